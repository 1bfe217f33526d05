# GLM — the two set-up commands are `make demo` and `make test`.
SWIFT ?= swift
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1

.PHONY: all deps build release test demo demo-cluster decode-demo fuzz fuzz-build bench clean install deb

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Every test: codecs, pcap files and live capture, and interop with tshark.
# With CI=true a missing prerequisite fails a test instead of skipping it.
# The lab VM's own tests, the operator's tools against a lab of three sites, the
# federation's end-to-end tests, the home agents' cluster failovers and then the QEMU
# migration tests run on their own afterwards: their emulated CPUs, probers and agents
# would take the cores from the timing-sensitive tests, and from each other's loss
# measurements.
# Those timing-sensitive tests (the prober across an outage, the delay line's accuracy)
# run each on its own too: the etcd tests' clusters and the agents' process tests load
# the parallel phase.
# Last, `make install` into a temporary DESTDIR and `make deb`, checked (scripts/test-install.sh).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip QEMUMigrationTests --skip FederationLabTests --skip LabVMTests --skip ClusterFailoverTests --skip ProberNamespaceTests --skip DelayLineNamespaceTests --skip OperatorToolLabTests
	$(SWIFT) test --skip-build --filter ProberNamespaceTests
	$(SWIFT) test --skip-build --filter DelayLineNamespaceTests
	$(SWIFT) test --skip-build --filter LabVMTests
	$(SWIFT) test --skip-build --filter OperatorToolLabTests
	$(SWIFT) test --skip-build --filter FederationLabTests
	$(SWIFT) test --skip-build --filter ClusterFailoverTests
	$(SWIFT) test --skip-build --filter QEMUMigrationTests
	scripts/test-install.sh

# The agents and glmctl with the Swift runtime linked statically, their systemd units,
# example configurations (never over an existing file), the libvirt hook, manual pages
# and completions: under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local by default).
install: deps
	@scripts/install.sh

# The Debian package of the same (PREFIX=/usr), in .build/deb/.
deb: deps
	@scripts/deb.sh

# The lab: a real QEMU VM live-migrated across emulated WAN sites while traffic flows,
# and the report (REPORT=path for the JSON; LAB_OPTIONS for the lab's options).
demo: release
	@scripts/demo.sh

# A cluster of home agents on etcd: the serving member killed while its VM abroad is
# probed, and the report (REPORT=path for the JSON; LAB_OPTIONS for the lab's options).
demo-cluster: release
	@scripts/demo-cluster.sh

# The signaling of a handoff encoded into a capture and decoded by glmctl and tshark.
decode-demo: release
	@scripts/decode-demo.sh

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
