#!/usr/bin/env bash
# The tunnel's throughput against the kernel's own forwarding, from a correspondent on the
# home LAN to a "VM" behind a site, over three copies of the same namespaces:
#   kernel      the kernel forwards the path by itself (the ceiling, no tunnel)
#   ebpf        the eBPF tunnel at both ends (glm-tunnel-probe --implementation ebpf)
#   user-space  the user-space tunnel at both ends
# Each round measures every path in turn, so that a machine busy with something else
# weighs on all alike: one TCP stream, four TCP streams (iperf3), and the rate of small
# packets (UDP, 64-octet payloads, as fast as iperf3 sends them). For each, the processor
# time the whole machine spent (from /proc/stat: sender, receiver and forwarding alike)
# per gigabit moved. Medians over the rounds; the last line is the one-stream summary.
# Needs root.
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

# A tunnel at both ends, configuring their namespaces themselves: tunnel SUFFIX IMPLEMENTATION.
tunnel() {
    build "$1"
    ip netns exec "home-$1" "$probe" tunnel --local 198.18.0.2 --route 10.10.0.50/32=198.18.1.2 --os-routes \
        --proxy-arp br-home --implementation "$2" --counters "$work/home-$1.json" "${probe_options[@]}" \
        >"$work/home-$1.log" 2>&1 &
    ip netns exec "site-$1" "$probe" tunnel --local 198.18.1.2 --route 10.10.0.9/32=198.18.0.2 \
        --route 10.10.0.0/24=198.18.0.2 --policy 10.10.0.50=100 --implementation "$2" \
        --counters "$work/site-$1.json" "${probe_options[@]}" >"$work/site-$1.log" 2>&1 &
    for _ in $(seq 100); do [ -f "$work/home-$1.json" ] && [ -f "$work/site-$1.json" ] && break; sleep 0.1; done
    [ -f "$work/home-$1.json" ] || { echo "tunnel-throughput: the $2 tunnel did not start: $(cat "$work/home-$1.log")" >&2; exit 1; }
}
tunnel e$$ ebpf
tunnel u$$ user-space
for suffix in k$$ e$$ u$$; do ip netns exec "cn-$suffix" ping -c 1 -W 2 10.10.0.50 >/dev/null; done

busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
ticks="$(getconf CLK_TCK)"

# measure SUFFIX MODE (tcp1, tcp4, udp): prints "Gbit/s Mpps CPU-s-per-Gbit".
measure() {
    local options=()
    case "$2" in
        tcp1) options=() ;;
        tcp4) options=(-P 4) ;;
        udp) options=(-u -b 0 -l 64) ;;
    esac
    ip netns exec "vm-$1" iperf3 -s -1 -D -I "$work/iperf.pid" >/dev/null
    sleep 0.3
    local before after
    before="$(busy)"
    ip netns exec "cn-$1" iperf3 -c 10.10.0.50 -t "$seconds" -J "${options[@]}" > "$work/result.json"
    after="$(busy)"
    python3 - "$work/result.json" "$before" "$after" "$ticks" "$seconds" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))["end"]
total = result.get("sum_received") or result["sum"]
seconds = float(sys.argv[5])
bits = total["bits_per_second"]
packets = result["sum"].get("packets", 0) - result["sum"].get("lost_packets", 0) if "packets" in result.get("sum", {}) else 0
cpu = (float(sys.argv[3]) - float(sys.argv[2])) / float(sys.argv[4])
gigabits = bits * seconds / 1e9
print("%.2f %.3f %.2f" % (bits / 1e9, packets / seconds / 1e6, cpu / gigabits if gigabits else 0))
PY
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "tunnels: $(tail -n 1 "$work/home-e$$.log" | sed 's/.*up: //') / $(tail -n 1 "$work/home-u$$.log" | sed 's/.*up: //'); $rounds rounds of $seconds s"
declare -A results
for round in $(seq "$rounds"); do
    for mode in tcp1 tcp4 udp; do
        line="round $round $mode:"
        for path in kernel ebpf user-space; do
            case "$path" in kernel) suffix=k$$ ;; ebpf) suffix=e$$ ;; user-space) suffix=u$$ ;; esac
            read -r gbits mpps cpu <<<"$(measure "$suffix" "$mode")"
            results[$path,$mode,gbits]+="$gbits " results[$path,$mode,mpps]+="$mpps " results[$path,$mode,cpu]+="$cpu "
            if [ "$mode" = udp ]; then line+=" $path $mpps Mpps"; else line+=" $path $gbits Gbit/s ($cpu CPU-s/Gbit)"; fi
        done
        echo "$line"
    done
done
for mode in tcp1 tcp4 udp; do
    line="median $mode:"
    for path in kernel ebpf user-space; do
        g="$(median ${results[$path,$mode,gbits]})" m="$(median ${results[$path,$mode,mpps]})" c="$(median ${results[$path,$mode,cpu]})"
        if [ "$mode" = udp ]; then line+=" $path $m Mpps ($g Gbit/s);"; else line+=" $path $g Gbit/s, $c CPU-s/Gbit;"; fi
    done
    echo "$line"
done
for side in home site; do
    echo "$side counters: ebpf $(cat "$work/$side-e$$.json"); user-space $(cat "$work/$side-u$$.json")"
done
k="$(median ${results[kernel,tcp1,gbits]})" e="$(median ${results[ebpf,tcp1,gbits]})" u="$(median ${results[user-space,tcp1,gbits]})"
echo "tunnel throughput: ebpf $e Gbit/s, user-space $u Gbit/s, kernel $k Gbit/s, ebpf/kernel $(awk -v e="$e" -v k="$k" 'BEGIN { printf "%.2f", e / k }')"
