#!/usr/bin/env bash
# One TCP stream (iperf3) from a correspondent on the home LAN to a "VM" behind a site:
# forwarded directly by the kernel (the ceiling), and through the user-space tunnel
# (glm-tunnel-probe at both ends). Two copies of the same namespaces are built, one
# per path, and measured in alternation, so that a machine busy with something else
# weighs on both alike; the median of each is reported. Needs root.
#
#   cn 10.10.0.9 --- br-home [home 198.18.0.2] === WAN veth === [site 198.18.1.2] --- vm 10.10.0.50
#
# Usage: Benchmarks/tunnel-throughput.sh [seconds per run] [rounds] [probe options...]
#   e.g. Benchmarks/tunnel-throughput.sh 5 3 --offload off
# Builds the probe in release mode unless GLM_PROBE names a binary.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-5}"
rounds="${2:-3}"
shift 2 || shift $#
probe_options=("$@")

command -v iperf3 >/dev/null || { echo "tunnel-throughput: iperf3 is missing (apt-get install -y iperf3)" >&2; exit 1; }
probe="${GLM_PROBE:-}"
if [ -z "$probe" ]; then
    swift build -c release --product glm-tunnel-probe >/dev/null
    probe="$(swift build -c release --show-bin-path)/glm-tunnel-probe"
fi

work="$(mktemp -d)"
namespaces=()
cleanup() {
    for ns in "${namespaces[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    done
    sleep 0.3
    for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# build SUFFIX: the four namespaces home-, cn-, site-, vm-SUFFIX, wired as above.
build() {
    local home="home-$1" cn="cn-$1" site="site-$1" vm="vm-$1"
    for ns in "$home" "$cn" "$site" "$vm"; do
        ip netns add "$ns"
        namespaces+=("$ns")
        ip -n "$ns" link set lo up
    done
    ip -n "$home" link add br-home type bridge
    ip -n "$home" link add lan0 type veth peer name eth0 netns "$cn"
    ip -n "$home" link set lan0 master br-home
    ip -n "$home" link add wan0 type veth peer name wan0 netns "$site"
    ip -n "$site" link add vm0 type veth peer name eth0 netns "$vm"
    for link in "$home br-home" "$home lan0" "$home wan0" "$cn eth0" "$site wan0" "$site vm0" "$vm eth0"; do
        set -- $link
        ip -n "$1" link set "$2" up
    done
    ip -n "$home" addr add 10.10.0.2/24 dev br-home
    ip -n "$home" addr add 198.18.0.2/16 dev wan0
    ip -n "$site" addr add 198.18.1.2/16 dev wan0
    ip -n "$cn" addr add 10.10.0.9/24 dev eth0
    ip -n "$vm" addr add 10.10.0.50/24 dev eth0
    ip -n "$vm" route add default via 10.10.0.1
    ip -n "$site" route add 10.10.0.50/32 dev vm0
    ip netns exec "$site" sysctl -qw net.ipv4.conf.vm0.proxy_arp=1 net.ipv4.neigh.vm0.proxy_delay=0
}

# The ceiling: the kernel forwards the same path by itself.
build k$$
ip netns exec "home-k$$" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.neigh.br-home.proxy_delay=0
ip netns exec "site-k$$" sysctl -qw net.ipv4.ip_forward=1
ip -n "home-k$$" route replace 10.10.0.50/32 via 198.18.1.2 dev wan0
ip -n "home-k$$" neigh replace proxy 10.10.0.50 dev br-home
ip -n "site-k$$" rule add from 10.10.0.50 lookup 100 priority 100
ip -n "site-k$$" route replace default via 198.18.0.2 dev wan0 table 100

# The user-space tunnel at both ends, configuring their namespaces themselves.
build t$$
ip netns exec "home-t$$" "$probe" tunnel --local 198.18.0.2 --route 10.10.0.50/32=198.18.1.2 --os-routes \
    --proxy-arp br-home --counters "$work/home.json" "${probe_options[@]}" >"$work/home.log" 2>&1 &
ip netns exec "site-t$$" "$probe" tunnel --local 198.18.1.2 --route 10.10.0.9/32=198.18.0.2 \
    --route 10.10.0.0/24=198.18.0.2 --policy 10.10.0.50=100 --counters "$work/site.json" "${probe_options[@]}" \
    >"$work/site.log" 2>&1 &
for _ in $(seq 100); do [ -f "$work/home.json" ] && [ -f "$work/site.json" ] && break; sleep 0.1; done
for suffix in k$$ t$$; do ip netns exec "cn-$suffix" ping -c 1 -W 2 10.10.0.50 >/dev/null; done

# measure SUFFIX: prints Gbit/s received.
measure() {
    ip netns exec "vm-$1" iperf3 -s -1 -D -I "$work/iperf.pid" >/dev/null
    sleep 0.3
    ip netns exec "cn-$1" iperf3 -c 10.10.0.50 -t "$seconds" -J > "$work/result.json"
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["end"]; print("%.2f" % (r["sum_received"]["bits_per_second"]/1e9))' "$work/result.json"
}

kernel=() tunnel=()
echo "tunnel: $(tail -n 1 "$work/home.log" | sed 's/.*up: //'), $rounds rounds of $seconds s, one TCP stream"
for round in $(seq "$rounds"); do
    k="$(measure k$$)"
    t="$(measure t$$)"
    kernel+=("$k") tunnel+=("$t")
    echo "round $round: kernel forwarding $k Gbit/s, user-space tunnel $t Gbit/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
k="$(median "${kernel[@]}")" t="$(median "${tunnel[@]}")"
echo "median: kernel forwarding (ceiling) $k Gbit/s, user-space tunnel $t Gbit/s ($(awk -v t="$t" -v k="$k" 'BEGIN { printf "%.0f", 100 * t / k }')% of the ceiling)"
echo "home counters: $(cat "$work/home.json")"
echo "site counters: $(cat "$work/site.json")"
