#!/usr/bin/env bash
# Installs the Debian packages GLM needs to build and test, when they are missing.
# Usage: scripts/install-deps.sh [test|demo]
set -euo pipefail

packages=(libpcap-dev pkg-config tshark tcpdump iproute2 iputils-ping)
# The lab's VM: QEMU under TCG, and busybox and cpio for its initramfs (the guest kernel
# itself is fetched at run time into the lab's cache; see Docs/lab-vm.md).
packages+=(qemu-system-x86 busybox-static cpio)
# The site agent's bridge redirect (nftables, bridge family) and the lab's real-time
# priority for the agents (chrt, util-linux).
packages+=(nftables util-linux)
# The home agents' cluster store: etcd (server and etcdctl) for the cluster tests and
# `make demo-cluster`.
packages+=(etcd-server etcd-client)
# Certificates for the test of etcd over TLS.
packages+=(openssl)
# The eBPF data plane: libbpf to load its programs, the kernel's headers (linux-libc-dev)
# to compile them with the toolchain's clang.
packages+=(libbpf-dev linux-libc-dev)
# `make deb` and its test: readelf (binutils) for the package's dependencies,
# systemd-analyze for the units.
packages+=(binutils systemd)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: swift is not on PATH; GLM needs the Swift 6 toolchain" >&2
    exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${missing[*]}; run as root or install them yourself" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
