#!/usr/bin/env bash
# `make demo`: the GLM lab. A real QEMU VM boots at home and is live-migrated
# home → site A → site B → site C → home across emulated WAN sites (3 ms one way each)
# while the correspondent probes it every millisecond; the home agent and a site agent on
# every site run as an operator runs them. Prints the summary; writes the JSON report,
# the SVG timeline, the captures and the logs (REPORT=path, default reports/<time>/).
# Options through LAB_OPTIONS, e.g. LAB_OPTIONS="--delay-ms 30 --sites 2 --route home,a,b,home".
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
