import IR

/// An address family of the `inet` table: `ip` (IPv4) or `ip6` (IPv6).
enum NFTFamily: String, CaseIterable, Hashable {
    case v4, v6

    /// The keyword of its address matches: `ip saddr`, `ip6 saddr`.
    var keyword: String { self == .v4 ? "ip" : "ip6" }
    /// The type of its address sets.
    var setType: String { self == .v4 ? "ipv4_addr" : "ipv6_addr" }
    /// Its ICMP protocol name in `meta l4proto`.
    var icmp: String { self == .v4 ? "icmp" : "ipv6-icmp" }

    /// The part of `addresses` in this family.
    func part(of addresses: AddressSet) -> AddressSet { self == .v4 ? AddressSet(v4: addresses.v4) : AddressSet(v6: addresses.v6) }
    /// Every address of this family.
    var everything: AddressSet { part(of: .all) }
}

/// One workload's ruleset as Palisade writes it and reads it back: one `inet` table with
/// named address sets and an input and an output chain. The emitter writes it, the parser
/// reads exactly this subset back, and the reader's semantics work on it.
struct NFTRuleset: Equatable {
    var table: String
    var sets: [NFTSet]
    var input: NFTChain
    var output: NFTChain
}

/// A named set of addresses of one family, with `flags interval`.
///
/// Its fields live in one immutable storage object: the plan declares the same set in every
/// ruleset that names it (tens of thousands of copies in a large estate), and a copy is then
/// one retain, not one per field; the emitter renders a storage's declaration once and reuses
/// it (`NFTablesEmitter.texts`). Setting a field makes a new storage.
struct NFTSet: Equatable {
    final class Storage: Sendable {
        let name: String
        let family: NFTFamily
        let comment: String?
        let elements: [CIDR]
        let addresses: AddressSet

        init(name: String, family: NFTFamily, comment: String?, elements: [CIDR]) {
            self.name = name
            self.family = family
            self.comment = comment
            self.elements = elements
            addresses = AddressSet(unionOf: elements.map(\.addressSet))
        }
    }

    private(set) var storage: Storage

    var name: String {
        get { storage.name }
        set { storage = Storage(name: newValue, family: family, comment: comment, elements: elements) }
    }
    var family: NFTFamily {
        get { storage.family }
        set { storage = Storage(name: name, family: newValue, comment: comment, elements: elements) }
    }
    var comment: String? {
        get { storage.comment }
        set { storage = Storage(name: name, family: family, comment: newValue, elements: elements) }
    }
    /// The elements as written, each its own (an inventory's hosts are not merged into
    /// prefixes, so each can be deleted alone).
    var elements: [CIDR] {
        get { storage.elements }
        set { storage = Storage(name: name, family: family, comment: comment, elements: newValue) }
    }
    /// The addresses of the elements.
    var addresses: AddressSet { storage.addresses }

    init(name: String, family: NFTFamily, comment: String?, elements: [CIDR]) {
        storage = Storage(name: name, family: family, comment: comment, elements: elements)
    }

    static func == (lhs: NFTSet, rhs: NFTSet) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.name == rhs.name && lhs.family == rhs.family && lhs.comment == rhs.comment && lhs.elements == rhs.elements)
    }
}

/// A base chain: its hook (`input` or `output`), its policy, its rules in order.
struct NFTChain: Equatable {
    enum Hook: String { case input, output }

    var hook: Hook
    var policy: NFTRule.Verdict = .drop
    var rules: [NFTRule] = []
}

/// One rule of the subset Palisade writes.
struct NFTRule: Equatable {
    enum Verdict: String { case accept, drop, `return` }

    /// The rules every chain starts with, and the matches Palisade writes for the spec.
    enum Kind: Equatable {
        /// `iif "lo" accept` (`oif` in output).
        case loopback
        /// `ct state established,related accept`.
        case established
        /// `ct state invalid drop`.
        case invalid
        /// `icmpv6 type { nd-…, mld-… } accept`: IPv6 neighbour and multicast listener discovery
        /// (platform-required).
        case neighbourDiscovery
        /// A match on the peer's address and the ports.
        case match
    }

    /// Whom a rule's address match names: a named set, or addresses written in the rule.
    enum Peer: Equatable {
        case set(String)
        case addresses(AddressSet)
    }

    /// What a rule's protocol match takes.
    enum Ports: Hashable {
        /// No protocol match: every packet.
        case all
        /// `meta l4proto tcp`: every port of the protocol.
        case whole(TransportProtocol)
        /// `tcp dport { 80, 8000-8080 }`.
        case ranges(TransportProtocol, [PortRange])
        /// `meta l4proto icmp`, `ipv6-icmp` or both.
        case icmp(Set<NFTFamily>)

        /// The ports matched, in the relation's terms.
        var portSet: PortSet {
            switch self {
            case .all: .all
            case .whole(let proto): .whole(proto)
            case .ranges(_, let ranges): PortSet(ranges)
            case .icmp: .whole(.icmp)
            }
        }

        /// An `Interner` fingerprint: the case and protocol, and every range's bounds, folded and
        /// mixed (`QuickHash`).
        var fingerprint: Int {
            var word: UInt64
            switch self {
            case .all: word = 0
            case .whole(let proto): word = 1 << 8 | UInt64(proto.rawValue)
            case .ranges(let proto, let ranges):
                word = 2 << 8 | UInt64(proto.rawValue)
                for range in ranges { QuickHash.fold(&word, UInt64(range.lower) << 32 | UInt64(range.upper)) }
            case .icmp(let families): word = 3 << 8 | UInt64(families.count)
            }
            return QuickHash.mix(word, seed: 0)
        }
    }

    var kind: Kind = .match
    /// `ip` or `ip6` ahead of the address match; nil: no address match.
    var family: NFTFamily?
    var peer: Peer?
    var ports: Ports = .all
    /// The log prefix of a rate-limited log rule (which has no verdict).
    var log: String?
    var verdict: Verdict?
    var comment: String?
    /// The line the rule was read from (0 for rules built by the plan).
    var line = 0

    static func fixed(_ kind: Kind) -> NFTRule {
        NFTRule(kind: kind, verdict: kind == .invalid ? .drop : .accept)
    }

    /// The address families of the packets the rule can match.
    var families: Set<NFTFamily> {
        var result = Set(NFTFamily.allCases)
        if let family { result = [family] }
        if case .icmp(let icmp) = ports { result.formIntersection(icmp) }
        return result
    }
}
