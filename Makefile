# GLM — the two set-up commands are `make demo` and `make test`.
SWIFT ?= swift
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1

.PHONY: all deps build release test demo fuzz fuzz-build bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Every test: codecs, pcap files and live capture, and interop with tshark.
# With CI=true a missing prerequisite fails a test instead of skipping it.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Until the lab arrives: encode a signaling exchange into a capture, then decode it
# with glmctl and with tshark side by side.
demo: release
	@scripts/demo.sh

# libFuzzer on the signaling and tunnel decoders; inputs that crash are kept in
# Tests/GLMWireTests/Regressions by scripts/fuzz.sh.
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) scripts/fuzz.sh

# Codec figures, home agent figures, and the tunnel against kernel forwarding (root, iperf3).
bench: release
	cd Benchmarks && $(SWIFT) run -c release GLMWireBenchmarks
	cd Benchmarks && $(SWIFT) run -c release HomeAgentBenchmarks
	cd Benchmarks && $(SWIFT) run -c release SiteAgentBenchmarks
	command -v iperf3 >/dev/null || apt-get install -y -qq iperf3 >/dev/null
	Benchmarks/tunnel-throughput.sh 5 3

clean:
	rm -rf .build Fuzz/.build Benchmarks/.build
