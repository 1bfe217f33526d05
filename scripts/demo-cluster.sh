#!/usr/bin/env bash
# `make demo-cluster`: a cluster of home agents on etcd losing its serving member. Site A's
# home agents are two members (hm11, hm12) on a three-member etcd, all on site A's LAN;
# site A's VM a1 is away at hypervisor B1 (3 ms one way per site link), registered with
# the cluster by B1's site agent, and probed every millisecond from site A's
# correspondent. The member serving is killed (every process of its machine, its links
# down) twice; after each kill the other takes over, and the machine killed comes back
# and rejoins as a standby. Prints a line per failover and the summary; writes the JSON
# report (REPORT=path, default reports/<time>.json) and, in a folder beside it named
# after it, the SVG timeline, the probe logs and the agents' logs. Options through LAB_OPTIONS, e.g. LAB_OPTIONS="--kills 5 --delay-ms 30".
# Everything the lab starts and makes is removed at the end, also on Ctrl-C: the
# namespaces, the agents, etcd's processes and its data.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "demo-cluster: the lab needs root (network namespaces, TUN devices)" >&2
    exit 1
fi
arguments=()
if [ -n "${REPORT:-}" ]; then
    arguments+=(--report "$REPORT")
fi
# shellcheck disable=SC2086
exec .build/release/glm-lab demo-cluster "${arguments[@]}" ${LAB_OPTIONS:-}
