#!/usr/bin/env bash
# `make demo`: the GLM lab on the federation. Two sites (A and B, each the home of its
# own subnet, 3 ms one way per site link) of two hypervisors each; a real QEMU VM, a1 of
# site A, is live-migrated A1 → B1 → B2 → A2 with QEMU's announce alone, then back
# A2 → B1 → B2 → A1 in make-before-break mode (the libvirt hook's `incoming` first), while
# site A's correspondent probes it every millisecond; a home agent on every site and a
# site agent on every hypervisor run as operators run them. Prints the summary; writes
# the JSON report (REPORT=path, default reports/<time>.json) and, in a folder beside it
# named after it, the SVG overview and timeline, the captures and the logs. Options through LAB_OPTIONS, e.g. LAB_OPTIONS="--crossing" (b1 of
# site B crossing a1's path), "--delay-ms 30 --route A1,B2,A2", or "--single-origin" for
# the older lab of one origin site and single-host foreign sites (its own --sites,
# --vms, --route home,a,b,home).
# Everything the lab starts and makes is removed at the end, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "demo: the lab needs root (network namespaces, TUN and TAP devices)" >&2
    exit 1
fi
arguments=()
if [ -n "${REPORT:-}" ]; then
    arguments+=(--report "$REPORT")
fi
# shellcheck disable=SC2086
exec .build/release/glm-lab demo "${arguments[@]}" ${LAB_OPTIONS:-}
