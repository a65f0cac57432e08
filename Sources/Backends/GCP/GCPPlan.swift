import Diagnostics
import IR

/// The VPC firewall rules of a policy, decided from the firewall plan: an ingress allow per
/// identity pair (by service account) and per external source, egress allows towards the
/// VPC's internal ranges and external destinations, and egress denies closing each identity.
/// `planned` is what they allow.
struct GCPPlan {
    /// One compute v1 `Firewall` resource. Two rules are equal when every field is.
    struct Rule: Equatable {
        enum Direction: String {
            case ingress = "INGRESS"
            case egress = "EGRESS"
        }

        /// Whether the rule's protocols are `allowed` or `denied`.
        enum Action {
            case allow, deny
        }

        /// One entry of `allowed` or `denied`: a protocol and its ports as GCP spells them
        /// (`443`, `8000-8010`); no ports means every port.
        struct Match: Hashable {
            var proto: IPProtocol
            var ports: [String] = []
        }

        /// An `IPProtocol` value.
        enum IPProtocol: Hashable {
            case all, tcp, udp, sctp, icmp
            /// ICMP for IPv6, which GCP names by its protocol number, 58.
            case icmpv6
            /// Any other protocol name or number, which carries none of the spec's traffic.
            case other(String)

            init(name: String) {
                switch name {
                case "all": self = .all
                case "tcp": self = .tcp
                case "udp": self = .udp
                case "sctp": self = .sctp
                case "icmp": self = .icmp
                case "58": self = .icmpv6
                default: self = .other(name)
                }
            }

            var name: String {
                switch self {
                case .all: "all"
                case .tcp: "tcp"
                case .udp: "udp"
                case .sctp: "sctp"
                case .icmp: "icmp"
                case .icmpv6: "58"
                case .other(let name): name
                }
            }
        }

        var name: String
        var description: String
        var network: String
        var direction: Direction
        var priority: Int
        var action: Action
        var matches: [Match]
        var sourceRanges: [String] = []
        var destinationRanges: [String] = []
        var sourceServiceAccounts: [String] = []
        var targetServiceAccounts: [String] = []
    }

    let policy: Policy
    let firewall: FirewallPlan
    let options: GCPOptions
    /// Names external peers after the spec's networks.
    let peerNamer: PeerNamer
    /// Each identity's service account, by identity index: built once, named by many rules.
    let accounts: [String]
    private(set) var rules: [Rule] = []

    /// Allows sit at this priority, the egress denies below them; GCP's implied rules are at 65535.
    static let allowPriority = 1000
    static let denyPriority = 65000
    /// GCP's limit on a firewall rule name (`[a-z]([-a-z0-9]*[a-z0-9])?`).
    static let nameLimit = GCPRuleLimits.name

    init(policy: Policy, options: GCPOptions) throws {
        self.policy = policy
        self.options = options
        firewall = FirewallPlan(policy: policy, gaps: options.gaps)
        peerNamer = PeerNamer(policy)
        accounts = firewall.identities.map { options.serviceAccount($0.name, policy: policy) }
        try checkAccountIDs()
        // Rules with the name each would have and a key that tells it from every other rule
        // (built only for the names that meet).
        var named: [(rule: Rule, key: () -> String)] = []
        // Between identities: ingress by service account; the source's egress to the VPC's ranges.
        var internalOut: [Int: PortSet] = [:]
        var lists = MatchLists()
        for (pair, ports) in firewall.between.sorted(by: { $0.key < $1.key }) {
            let (source, destination) = (firewall.identities[pair.source].name, firewall.identities[pair.destination].name)
            var rule = allow(name(destination, "in-from", source), .ingress, "\(source) to \(destination)", ports: ports, lists: &lists)
            rule.sourceServiceAccounts = [account(pair.source)]
            rule.targetServiceAccounts = [account(pair.destination)]
            named.append((rule, { "in|\(destination)|identity|\(source)" }))
            internalOut[pair.source, default: PortSet()].formUnion(ports)
        }
        var ranges = FamilyRanges()
        for index in firewall.identities.indices { named += identityRules(index, internalOut: internalOut[index], lists: &lists, ranges: &ranges) }
        // Rules beyond GCP's per-rule limits split into parts named by what each holds (most
        // are within them, and kept as they are).
        if named.contains(where: { !GCPRuleLimits.withinSplitLimits($0.rule) }) {
            named = named.flatMap { item in
                guard !GCPRuleLimits.withinSplitLimits(item.rule) else { return [item] }
                return GCPRuleLimits.split(item.rule).map { part -> (rule: Rule, key: () -> String) in
                    guard !part.suffix.isEmpty else { return item }
                    var rule = part.rule
                    rule.name += "-" + part.suffix
                    let key = item.key
                    return (rule, { key() + "|" + part.suffix })
                }
            }
        }
        // Names made unique whatever the order, then the rules in name order (the names are
        // unique: the order of their indices is the rules' order).
        let names = StableName.unique(names: named.map(\.rule.name), limit: Self.nameLimit) { named[$0].key() }
        rules = names.indices.sorted { names[$0] < names[$1] }.map { index in
            var rule = named[index].rule
            rule.name = names[index]
            return rule
        }
    }

    /// Service account ids GCP takes: 6-30 characters.
    func checkAccountIDs() throws {
        for identity in firewall.identities {
            let account = options.accountID(identity.name)
            guard isDNSLabelLike(account, 6...30) else {
                throw BackendError(
                    .error(
                        .targetLimit, "gcp: service account id '\(account)' must be 6-30 characters",
                        at: policy.identities.first { $0.name == identity.name }?.origin ?? options.origin,
                        help: "use a shorter identity name, or a different service_account_prefix"))
            }
        }
    }

    func account(_ index: Int) -> String { accounts[index] }

    /// A rule's name before it is fitted and made unique: `POLICY-IDENTITY-WHAT[-PEER]`
    /// (`shop-db-in-from-catalog`, `shop-web-in-from-any-v4`, `shop-web-deny-out-v6`).
    func name(_ identity: String, _ what: String, _ peer: String? = nil) -> String {
        // Appended piece by piece: no array of the pieces made to join.
        var name = policy.name
        name += "-"
        name += identity
        name += "-"
        name += what
        if let peer {
            name += "-"
            name += peer
        }
        return name
    }

    /// The `allowed` entries (`matches`) of each port set met so far: most rules of an estate
    /// are on one of a few port sets, and spelling a set's ranges costs more than finding it again.
    typealias MatchLists = [PortSet: [Rule.Match]]

    /// An allow at the allows' priority, its entries taken from `lists` (made there once).
    func allow(_ name: String, _ direction: Rule.Direction, _ what: String, ports: PortSet, lists: inout MatchLists) -> Rule {
        let matches: [Rule.Match]
        if let known = lists[ports] {
            matches = known
        } else {
            matches = Self.matches(ports)
            lists[ports] = matches
        }
        return Rule(
            name: name, description: "palisade \(policy.name): \(what)", network: options.network,
            direction: direction, priority: Self.allowPriority, action: .allow, matches: matches)
    }

    /// The ranges of each external peer's addresses met so far, by family (`families`): most
    /// external peers are peers of many identities, and spelling their addresses costs more
    /// than finding them again.
    typealias FamilyRanges = [AddressSet: [(part: String, ranges: [String])]]

    /// An identity's own rules: ingress from external sources, egress towards the internal
    /// ranges on the ports it sends to other identities (`internalOut`), egress to external
    /// destinations, then the denies of the rest of its egress. Each with its key; each peer's
    /// ranges taken from `ranges`, made there once.
    func identityRules(_ index: Int, internalOut: PortSet?, lists: inout MatchLists, ranges known: inout FamilyRanges) -> [(
        rule: Rule, key: () -> String
    )] {
        func families(_ addresses: AddressSet) -> [(part: String, ranges: [String])] {
            if let found = known[addresses] { return found }
            let made = Self.families(addresses)
            known[addresses] = made
            return made
        }
        var rules: [(rule: Rule, key: () -> String)] = []
        let identity = firewall.identities[index].name
        for peer in peerNamer.peers(firewall.ingress[index]?.entries ?? []) {
            for (part, ranges) in families(peer.addresses) {
                var rule = allow(name(identity, "in-from", "\(peer.slug)-\(part)"), .ingress, "\(peer.words) to \(identity)", ports: peer.ports, lists: &lists)
                rule.sourceRanges = ranges
                rule.targetServiceAccounts = [account(index)]
                rules.append((rule, { "in|\(identity)|\(peer.slug)|\(part)|\(ranges.joined(separator: ","))" }))
            }
        }
        if let internalOut {
            var rule = allow(name(identity, "out-to-vpc"), .egress, "\(identity) to workloads (internal ranges)", ports: internalOut, lists: &lists)
            rule.destinationRanges = options.internalRanges.map(\.description)
            rule.targetServiceAccounts = [account(index)]
            rules.append((rule, { "out|\(identity)|vpc" }))
        }
        for peer in peerNamer.peers(firewall.egress[index]?.entries ?? []) {
            for (part, ranges) in families(peer.addresses) {
                var rule = allow(name(identity, "out-to", "\(peer.slug)-\(part)"), .egress, "\(identity) to \(peer.words)", ports: peer.ports, lists: &lists)
                rule.destinationRanges = ranges
                rule.targetServiceAccounts = [account(index)]
                rules.append((rule, { "out|\(identity)|\(peer.slug)|\(part)|\(ranges.joined(separator: ","))" }))
            }
        }
        // GCP allows every egress unless denied: deny the rest, IPv4 and IPv6 apart.
        for (family, everything) in [("v4", "0.0.0.0/0"), ("v6", "::/0")] {
            var rule = allow(name(identity, "deny-out-\(family)"), .egress, "\(identity) sends nothing else", ports: .all, lists: &lists)
            rule.priority = Self.denyPriority
            rule.action = .deny
            rule.matches = [Rule.Match(proto: .all)]
            rule.destinationRanges = [everything]
            rule.targetServiceAccounts = [account(index)]
            rules.append((rule, { "deny|\(identity)|\(family)" }))
        }
        return rules
    }

    /// `allowed` entries for a port set: tcp, udp and sctp with port strings, icmp as ICMP and
    /// ICMPv6 (protocol 58).
    /// The set's ranges are taken once, in order: each protocol's are one run of them.
    static func matches(_ ports: PortSet) -> [Rule.Match] {
        var result: [Rule.Match] = []
        for (proto, ranges) in ports.protocolRuns {
            switch proto {
            case .icmp:
                result.append(Rule.Match(proto: .icmp))
                result.append(Rule.Match(proto: .icmpv6))
            case .tcp, .udp, .sctp:
                let whole = ranges.count == 1 && ranges.first?.isWholeProtocol == true
                let texts = whole ? [] : ranges.map { $0.lower == $0.upper ? "\($0.lower)" : "\($0.lower)-\($0.upper)" }
                result.append(Rule.Match(proto: Rule.IPProtocol(name: proto.description), ports: texts))
            }
        }
        return result
    }

    /// Ranges split by family (a rule holds IPv4 or IPv6, not both), each part named by its
    /// family (`v4`, `v6`); a family beyond the per-rule limit splits later, by address block.
    static func families(_ addresses: AddressSet) -> [(part: String, ranges: [String])] {
        let v4 = AddressSet(v4: addresses.v4).cidrs.map(\.description)
        let v6 = AddressSet(v6: addresses.v6).cidrs.map(\.description)
        return [("v4", v4), ("v6", v6)].filter { !$0.1.isEmpty }
    }

    /// What the rules allow, by the semantics the reader applies to the file.
    var planned: Relation { plannedGroups.expanded }

    /// What the rules allow, at identity level.
    var plannedGroups: GroupedRelation {
        GCPReader.groupedRelation(rules, plan: firewall, options: options, policy: policy)
    }
}
