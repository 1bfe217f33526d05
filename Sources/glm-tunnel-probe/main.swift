// glm-tunnel-probe: one end of the user-space tunnel, run as a process inside a
// network namespace (`ip netns exec NS glm-tunnel-probe tunnel ...`), plus the small
// traffic tools the data-plane tests and the throughput measurement use, and what a
// site sends (a registration, a VM's announce) for the end-to-end tests.
// Not a product: tests find it beside their own binary.
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    ProbeOptions.usage()
}
let options = ProbeOptions(Array(arguments.dropFirst()))
do {
    switch command {
    case "tunnel": try TunnelEnd(options).run()
    case "send": try TrafficTools.sendFrame(options)
    case "udp-sink": try TrafficTools.udpSink(options)
    case "tcp-sink": try TrafficTools.tcpSink(options)
    case "tcp-source": try TrafficTools.tcpSource(options)
    case "register": try SiteEnd.register(options)
    case "announce": try SiteEnd.announce(options)
    case "register-stream": try RegistrationStream.run(options)
    case "route-changes": try RouteChanges.run(options)
    default: ProbeOptions.usage()
    }
} catch {
    FileHandle.standardError.write(Data("glm-tunnel-probe \(command): \(error)\n".utf8))
    exit(1)
}
