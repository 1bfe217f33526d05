import Foundation
import GLMWire

// The site agent's handoff processing, measured on the wire with the real agents:
//
// * announce → PBU: from QEMU's announce reaching the site's bridge to the PBU leaving
//   by the site's WAN interface (capture, decode, registration, signing, send);
// * PBA → served: from the PBA arriving at the site to the VM served (the policy rule
//   that sends its traffic into the tunnel in the kernel; tunnel route, host route and
//   proxy ARP are set before it).
//
// Run as root after `swift build -c release` at the repository's root:
//   cd Benchmarks && swift run -c release SiteAgentBenchmarks
// Environment: BENCH_VMS (registrations measured, default 200), BENCH_GAP_MS (pause
// between announces, default 20), GLM_BIN (the agents' folder, default ../.build/release),
// BENCH_LOG_LEVEL (the agents', default warning), BENCH_TUNNEL (the agents'
// tunnel.implementation: auto, the default, ebpf or user-space), BENCH_KEEP (a folder to
// keep the logs, rule events and capture in).
//
// First, in the site's namespace, a route change by itself in both tunnel
// implementations (`glm-tunnel-probe route-changes`): 1,000 host routes installed, moved
// to another peer and removed, each call timed.

let environment = ProcessInfo.processInfo.environment
let count = Int(environment["BENCH_VMS"] ?? "") ?? 200
let gap = Double(environment["BENCH_GAP_MS"] ?? "") ?? 20
let bin = environment["GLM_BIN"] ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent(".build/release").path

guard geteuid() == 0 else {
    print("SiteAgentBenchmarks needs root (network namespaces, TUN devices).")
    exit(1)
}
for program in ["home-agent", "site-agent", "glm-tunnel-probe"] where !FileManager.default.isExecutableFile(atPath: "\(bin)/\(program)") {
    print("\(bin)/\(program) is missing: run `swift build -c release` at the repository's root first.")
    exit(1)
}
guard count > 0, count <= 250 else {
    print("BENCH_VMS must be 1-250.")
    exit(1)
}

let key = "7c1d8e0f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"
let vms = (1...count).map { index in
    (mac: MACAddress(0x52, 0x54, 0x00, 0xbe, UInt8(index >> 8), UInt8(index & 0xff)),
     address: IPv4Address(10, 10, 1, UInt8(index)))
}

let lab = try HandoffLab()
signal(SIGINT) { _ in exit(130) }
defer { lab.remove() }

for implementation in ["ebpf", "user-space"] {
    let changes = Process()
    changes.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    changes.arguments = ["netns", "exec", lab.site, "\(bin)/glm-tunnel-probe", "route-changes", "--local", "198.18.0.3",
                         "--implementation", implementation, "--routes", "1000"]
    try changes.run()
    changes.waitUntilExit()
}
let tunnel = environment["BENCH_TUNNEL"] ?? "auto"

try """
address: 198.18.0.2
home-interface: br-home
database: \(lab.file("home-agent.sqlite"))
control-socket: \(lab.file("home-agent.sock"))
metrics: off
log-level: \(environment["BENCH_LOG_LEVEL"] ?? "warning")
tunnel: { implementation: \(tunnel) }
sites:
  - { name: site-a, address: 198.18.0.3, spi: 256, key: \(key) }
vms:
\(vms.map { "  - { mac: \"\($0.mac)\", address: \($0.address)/16, gateway: 10.10.0.1 }" }.joined(separator: "\n"))

""".write(toFile: lab.file("home-agent.yaml"), atomically: true, encoding: .utf8)
try """
address: 198.18.0.3
bridges: [br0]
control-socket: \(lab.file("site-agent.sock"))
metrics: off
log-level: \(environment["BENCH_LOG_LEVEL"] ?? "warning")
tunnel: { implementation: \(tunnel) }
home-agents:
  - name: dc1
    address: 198.18.0.2
    spi: 256
    key: \(key)
    vms:
\(vms.map { "      - \"\($0.mac)\"" }.joined(separator: "\n"))

""".write(toFile: lab.file("site-agent.yaml"), atomically: true, encoding: .utf8)

try lab.spawn(lab.site, ["/usr/sbin/ip", "-ts", "monitor", "rule"], log: lab.file("rules.log"))
try lab.spawn(lab.site, ["tcpdump", "-i", "any", "-U", "-s", "200", "-w", lab.file("site.pcap"), "rarp or udp port 5436"],
              log: lab.file("tcpdump.log"))
try lab.spawn(lab.home, ["\(bin)/home-agent", "run", "--config", lab.file("home-agent.yaml")], log: lab.file("home-agent.log"))
try lab.spawn(lab.site, ["\(bin)/site-agent", "run", "--config", lab.file("site-agent.yaml")], log: lab.file("site-agent.log"))
usleep(1_500_000)

print("Registering \(count) VMs one after another, \(Int(gap)) ms apart…")
for vm in vms {
    try lab.run("/usr/sbin/ip", ["netns", "exec", lab.vm, "\(bin)/glm-tunnel-probe", "announce", "--interface", "eth0",
                                 "--mac", "\(vm.mac)", "--count", "1"])
    usleep(UInt32(gap * 1000))
}
usleep(1_000_000)
lab.remove()
if let keep = environment["BENCH_KEEP"] {
    for name in ["home-agent.log", "site-agent.log", "rules.log", "site.pcap"] {
        try? FileManager.default.removeItem(atPath: "\(keep)/\(name)")
        try? FileManager.default.copyItem(atPath: lab.file(name), toPath: "\(keep)/\(name)")
    }
}

let timelines = try HandoffTimeline.read(
    capture: lab.file("site.pcap"), ruleEvents: (try? String(contentsOfFile: lab.file("rules.log"), encoding: .utf8)) ?? "",
    addresses: Dictionary(uniqueKeysWithValues: vms.map { ($0.address, $0.mac) }))

func row(_ name: String, _ values: [Double]) {
    guard !values.isEmpty else {
        print(String(format: "%-32@ %@", name as NSString, "no samples"))
        return
    }
    let sorted = values.sorted()
    func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))] * 1e6 }
    print(String(format: "%-32@ %6d %9.0f %9.0f %9.0f %9.0f", name as NSString, values.count,
                 percentile(0.5), percentile(0.9), percentile(0.99), sorted.last! * 1e6))
}
let all = vms.compactMap { timelines[$0.mac] }
print("Agents' tunnel: \(tunnel)")
print(String(format: "%-32@ %6@ %9@ %9@ %9@ %9@", "µs (site host, release build)" as NSString, "n", "median", "p90", "p99", "max"))
row("announce → PBU leaves", all.compactMap(\.announceToUpdate))
row("PBA arrives → VM served", all.compactMap(\.acknowledgementToServed))
row("PBU → PBA (home agent + wire)", all.compactMap(\.registration))
let complete = all.filter { $0.announceToUpdate != nil && $0.acknowledgementToServed != nil }.count
print("\(complete) of \(count) registrations seen whole.")
