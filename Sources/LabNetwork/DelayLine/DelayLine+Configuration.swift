import GLMWire

extension DelayLine {
    /// What crossing one host's link to the WAN core costs a packet.
    public struct Link: Sendable, Hashable {
        /// The one-way delay the link adds.
        public var delay: Duration
        /// The share of packets the link loses, in percent (0 to 100), drawn at random.
        public var lossPercent: Double
        /// Networks beside the link's own 198.18.k.0/24 whose packets cross it: a
        /// federation site's home subnet, which that site's router routes (see
        /// ``FederationTopology``).
        public var networks: [Network]

        public init(delay: Duration, lossPercent: Double = 0, networks: [Network] = []) {
            self.delay = delay
            self.lossPercent = lossPercent
            self.networks = networks
        }
    }

    /// An IPv4 network behind a link: `10.1.0.0/24`.
    public struct Network: Sendable, Hashable, CustomStringConvertible {
        public let address: IPv4Address
        public let prefixLength: Int

        /// The network `address` lies in when its prefix is `prefixLength` bits (0 to 32).
        public init(address: IPv4Address, prefixLength: Int) {
            precondition((0...32).contains(prefixLength), "a prefix length is 0 to 32")
            self.prefixLength = prefixLength
            self.address = IPv4Address(rawValue: address.rawValue & Self.mask(prefixLength))
        }

        /// Parses `A.B.C.D/N`.
        public init?(_ text: some StringProtocol) {
            let parts = text.split(separator: "/")
            guard parts.count == 2, let address = IPv4Address(parts[0]), let length = Int(parts[1]),
                  (0...32).contains(length) else { return nil }
            self.init(address: address, prefixLength: length)
        }

        public func contains(_ address: IPv4Address) -> Bool {
            address.rawValue & Self.mask(prefixLength) == self.address.rawValue
        }

        public var description: String { "\(address)/\(prefixLength)" }

        private static func mask(_ length: Int) -> UInt32 {
            length == 0 ? 0 : UInt32.max << UInt32(32 - length)
        }
    }

    /// The WAN's links: the home host's and each site's, found from a packet's addresses.
    ///
    /// 198.18.0.0/24 is the home link, 198.18.k.0/24 site k's (see ``LabTopology``), and
    /// each link's ``Link/networks`` are behind it too. A packet from one host to another
    /// is delayed by its source's link plus its destination's (home ↔ site k: site k's
    /// delay; site j ↔ site k: both), and each of the two links may lose it. Other
    /// addresses, and sites beyond ``sites``, add nothing.
    public struct Configuration: Sendable, Hashable {
        public var home: Link
        /// Site k's link at index k - 1.
        public var sites: [Link]

        /// Every site's link with `siteDelay`, the home link with `homeDelay`; no loss.
        public init(sites: Int, siteDelay: Duration = .milliseconds(3), homeDelay: Duration = .zero) {
            home = Link(delay: homeDelay)
            self.sites = Array(repeating: Link(delay: siteDelay), count: sites)
        }

        public init(home: Link, sites: [Link]) {
            self.home = home
            self.sites = sites
        }

        /// The link an address sits on: 0 for home, k for site k, nil for none.
        public func linkNumber(of address: IPv4Address) -> Int? {
            if address.rawValue >> 16 == 198 << 8 | 18 {
                let number = Int(address.rawValue >> 8 & 0xff)
                return number <= sites.count ? number : nil
            }
            if home.networks.contains(where: { $0.contains(address) }) { return 0 }
            for (index, site) in sites.enumerated() where site.networks.contains(where: { $0.contains(address) }) {
                return index + 1
            }
            return nil
        }

        /// The link numbered as ``linkNumber(of:)`` numbers them.
        public func link(_ number: Int) -> Link {
            number == 0 ? home : sites[number - 1]
        }

        /// The one-way delay from `source` to `destination`.
        public func delay(from source: IPv4Address, to destination: IPv4Address) -> Duration {
            [source, destination].compactMap(linkNumber(of:)).reduce(.zero) { $0 + link($1).delay }
        }

        /// The configuration as `glm-wan delay-line` options: `--link home=0 --link
        /// site1=3,network=10.1.0.0/24 --link site2=10,loss=5` (delays in milliseconds).
        public var arguments: [String] {
            ([("home", home)] + sites.enumerated().map { ("site\($0.offset + 1)", $0.element) }).flatMap { name, link in
                let milliseconds = Double(link.delay.nanoseconds) / 1e6
                return ["--link", "\(name)=\(milliseconds)" + (link.lossPercent > 0 ? ",loss=\(link.lossPercent)" : "")
                            + link.networks.map { ",network=\($0)" }.joined()]
            }
        }

        /// Parses `--link` values as ``arguments`` writes them
        /// (`NAME=MS[,loss=PERCENT][,network=A.B.C.D/N...]`, NAME `home` or `site<k>`);
        /// links not named add nothing.
        public init(links specifications: [String]) throws(ConfigurationError) {
            var home = Link(delay: .zero)
            var sites: [Int: Link] = [:]
            for specification in specifications {
                let fields = specification.split(separator: ",")
                let nameAndDelay = fields.first?.split(separator: "=") ?? []
                guard nameAndDelay.count == 2, let milliseconds = Double(nameAndDelay[1]),
                      milliseconds >= 0, milliseconds <= 10_000 else {
                    throw ConfigurationError("\(specification): expected NAME=MILLISECONDS[,loss=PERCENT]")
                }
                var link = Link(delay: .nanoseconds(Int64((milliseconds * 1e6).rounded())))
                for field in fields.dropFirst() {
                    if field.hasPrefix("network="), let network = Network(field.dropFirst(8)) {
                        link.networks.append(network)
                        continue
                    }
                    guard field.hasPrefix("loss="), let percent = Double(field.dropFirst(5)), (0...100).contains(percent) else {
                        throw ConfigurationError("\(specification): \(field) is not loss=PERCENT (0 to 100) or network=A.B.C.D/N")
                    }
                    link.lossPercent = percent
                }
                switch nameAndDelay[0] {
                case "home": home = link
                case let name where name.hasPrefix("site"):
                    guard let number = Int(name.dropFirst(4)), (1...250).contains(number) else {
                        throw ConfigurationError("\(specification): site number must be 1 to 250")
                    }
                    sites[number] = link
                default:
                    throw ConfigurationError("\(specification): link name must be home or site<k>")
                }
            }
            self.home = home
            self.sites = (0..<(sites.keys.max() ?? 0)).map { sites[$0 + 1] ?? Link(delay: .zero) }
        }
    }

    /// A `--link` value the delay line cannot use.
    public struct ConfigurationError: Error, Hashable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
