import Foundation
import GLMWire
import HomeAgentCore

/// How a ``Binding`` or a ``Preparation`` is written as an etcd value: JSON an
/// operator can read with `etcdctl get --prefix /glm/`, addresses and MACs as text.
struct BindingRecord: Codable, Equatable {
    var vm: String
    var homeAddress: String
    var siteName: String
    var siteAddress: String
    var sitePort: UInt16
    var timestamp: UInt64
    var sequenceNumber: UInt16
    var lifetime: Double
    var registeredAt: Double
    var expiresAt: Double
    var framing: FramingRecord

    init(_ binding: Binding) {
        vm = binding.vm.description
        homeAddress = binding.homeAddress.description
        siteName = binding.siteName
        siteAddress = binding.siteAddress.description
        sitePort = binding.sitePort
        timestamp = binding.timestamp.rawValue
        sequenceNumber = binding.sequenceNumber
        lifetime = binding.lifetime
        registeredAt = binding.registeredAt
        expiresAt = binding.expiresAt
        framing = FramingRecord(binding.framing)
    }

    /// The binding; refused when a field does not make one.
    func binding() throws(BindingStoreError) -> Binding {
        let vm = try Self.mac(vm)
        return Binding(vm: vm, homeAddress: try Self.address(homeAddress, vm), siteName: siteName,
                       siteAddress: try Self.address(siteAddress, vm), sitePort: sitePort,
                       timestamp: PMIPTimestamp(rawValue: timestamp), sequenceNumber: sequenceNumber,
                       lifetime: lifetime, registeredAt: registeredAt, expiresAt: expiresAt, framing: framing.format)
    }

    static func mac(_ text: String) throws(BindingStoreError) -> MACAddress {
        guard let mac = MACAddress(text) else { throw damaged("\(text) is not a MAC address") }
        return mac
    }

    static func address(_ text: String, _ vm: MACAddress) throws(BindingStoreError) -> IPv4Address {
        guard let address = IPv4Address(text) else { throw damaged("VM \(vm): \(text) is not an IPv4 address") }
        return address
    }

    static func damaged(_ detail: String) -> BindingStoreError {
        BindingStoreError(path: "etcd", reason: "damaged record: \(detail)")
    }
}

/// A tunnel framing as JSON: `{"kind": "bare" | "tlv" | "tlv-gre", "key": 7}`.
struct FramingRecord: Codable, Equatable {
    var kind: String
    var key: UInt32?

    init(_ format: TunnelFrame.Format) {
        switch format {
        case .bare: kind = "bare"
        case .tlv: kind = "tlv"
        case .tlvGRE(let key):
            kind = "tlv-gre"
            self.key = key
        }
    }

    var format: TunnelFrame.Format {
        switch kind {
        case "tlv": .tlv
        case "tlv-gre": .tlvGRE(key: key)
        default: .bare
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(String.self, forKey: .kind)
        key = try container.decodeIfPresent(UInt32.self, forKey: .key)
        guard ["bare", "tlv", "tlv-gre"].contains(kind), key == nil || kind == "tlv-gre" else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "\(kind) is not a framing")
        }
    }
}

/// A ``Preparation`` as JSON.
struct PreparationRecord: Codable, Equatable {
    var vm: String
    var homeAddress: String
    var siteName: String
    var siteAddress: String
    var framing: FramingRecord
    var expiresAt: Double

    init(_ preparation: Preparation) {
        vm = preparation.site.vm.description
        homeAddress = preparation.site.homeAddress.description
        siteName = preparation.siteName
        siteAddress = preparation.site.siteAddress.description
        framing = FramingRecord(preparation.site.framing)
        expiresAt = preparation.expiresAt
    }

    func preparation() throws(BindingStoreError) -> Preparation {
        let vm = try BindingRecord.mac(vm)
        let site = AwayVM(vm: vm, homeAddress: try BindingRecord.address(homeAddress, vm),
                          siteAddress: try BindingRecord.address(siteAddress, vm), framing: framing.format)
        return Preparation(site: site, siteName: siteName, expiresAt: expiresAt)
    }
}

/// A ``Revocation`` as an etcd value: the site hypervisor that still owes a BRA.
struct RevocationRecord: Codable, Equatable {
    var vm: String
    var siteAddress: String
    var sitePort: UInt16
    var trigger: UInt8
    var timestamp: UInt64

    init(_ revocation: Revocation) {
        vm = revocation.vm.description
        siteAddress = revocation.siteAddress.description
        sitePort = revocation.sitePort
        trigger = revocation.trigger.rawValue
        timestamp = revocation.timestamp.rawValue
    }

    func revocation() throws(BindingStoreError) -> Revocation {
        let vm = try BindingRecord.mac(vm)
        return Revocation(vm: vm, siteAddress: try BindingRecord.address(siteAddress, vm), sitePort: sitePort,
                          trigger: RevocationTrigger(rawValue: trigger), timestamp: PMIPTimestamp(rawValue: timestamp))
    }
}
