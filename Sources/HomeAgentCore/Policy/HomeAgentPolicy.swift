import GLMWire

/// Everything the home agent's protocol core needs to decide: the sites, the VMs and
/// the timers. Loaded from the configuration file and replaced whole on reload.
public struct HomeAgentPolicy: Sendable {
    public private(set) var sites: [SitePolicy]
    public private(set) var vms: [VMPolicy]
    public var timers: HomeAgentTimers
    /// This home agent's signaling address, which authenticators bind messages to.
    public var address: IPv4Address

    /// Sites' single hosts (/32), for the common lookup; prefixes are searched in order.
    private var sitesByHost: [IPv4Address: Int] = [:]
    private var sitesByPrefix: [(prefix: IPv4Prefix, site: Int)] = []
    private var sitesBySPI: [UInt32: Int] = [:]
    private var vmsByMAC: [MACAddress: Int] = [:]
    private var vmsByNAI: [String: Int] = [:]
    private var vmsByAddress: [IPv4Address: Int] = [:]

    /// A reason the policy is inconsistent, for the configuration loader to report.
    public struct Conflict: Error, Hashable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Builds the indexes; throws when two sites share a name or SPI, their hosts overlap,
    /// more than one is home, two VMs share a MAC, name or address, or a VM names a site
    /// that does not exist.
    public init(address: IPv4Address, sites: [SitePolicy], vms: [VMPolicy], timers: HomeAgentTimers = HomeAgentTimers()) throws(Conflict) {
        self.address = address
        self.sites = sites
        self.vms = vms
        self.timers = timers
        var names: Set<String> = []
        for (index, site) in sites.enumerated() {
            guard names.insert(site.name).inserted else { throw Conflict(reason: "site \(site.name) is defined twice") }
            guard !site.hosts.isEmpty else { throw Conflict(reason: "site \(site.name) has no hosts") }
            for prefix in site.hosts {
                if let clash = sitesByPrefix.first(where: { $0.prefix.overlaps(prefix) }) {
                    let (other, owner) = (clash.prefix, sites[clash.site].name)
                    throw Conflict(reason: owner == site.name
                                   ? "site \(site.name) lists \(prefix), which overlaps its own \(other)"
                                   : "site \(site.name)'s hosts \(prefix) overlap site \(owner)'s \(other)")
                }
                sitesByPrefix.append((prefix, index))
                if prefix.length == 32 { sitesByHost[prefix.network] = index }
            }
            if site.isHome, let home = sites[..<index].first(where: \.isHome) {
                throw Conflict(reason: "sites \(home.name) and \(site.name) are both marked home; one site is this agent's own")
            }
            guard sitesBySPI.updateValue(index, forKey: site.association.spi) == nil else {
                throw Conflict(reason: "site \(site.name) has the SPI \(site.association.spi) of another site")
            }
        }
        for (index, vm) in vms.enumerated() {
            guard vmsByMAC.updateValue(index, forKey: vm.mac) == nil else { throw Conflict(reason: "VM \(vm.mac) is defined twice") }
            guard vmsByAddress.updateValue(index, forKey: vm.address) == nil else {
                throw Conflict(reason: "VM \(vm.mac) has the address \(vm.address) of another VM")
            }
            if let nai = vm.nai {
                guard vmsByNAI.updateValue(index, forKey: nai) == nil else { throw Conflict(reason: "VM name \(nai) is used twice") }
            }
            for site in vm.allowedSites ?? [] where !names.contains(site) {
                throw Conflict(reason: "VM \(vm.mac) allows site \(site), which is not defined")
            }
        }
    }

    /// The site whose hosts hold `address`, if any.
    public func site(at address: IPv4Address) -> SitePolicy? {
        if let index = sitesByHost[address] { return sites[index] }
        return sitesByPrefix.first { $0.prefix.length < 32 && $0.prefix.contains(address) }.map { sites[$0.site] }
    }
    /// This agent's own site, if the configuration names one.
    public var homeSite: SitePolicy? { sites.first(where: \.isHome) }
    public func site(named name: String) -> SitePolicy? { sites.first { $0.name == name } }
    public func vm(mac: MACAddress) -> VMPolicy? { vmsByMAC[mac].map { vms[$0] } }
    public func vm(nai: String) -> VMPolicy? { vmsByNAI[nai].map { vms[$0] } }
    public func vm(address: IPv4Address) -> VMPolicy? { vmsByAddress[address].map { vms[$0] } }

    /// The VM a Mobile Node Identifier names, if this agent serves it.
    public func vm(identifiedBy identifier: MobileNodeIdentifier) -> VMPolicy? {
        switch identifier {
        case .eui48(let mac): vm(mac: mac)
        case .nai(let name): vm(nai: name)
        case .other: nil
        }
    }

    /// Every site's association, for verifying what arrives.
    public var associations: SecurityAssociations { SecurityAssociations(sites.map(\.association)) }
}
