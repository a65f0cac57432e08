import Diagnostics
import IR

/// One security group rule as CloudFormation spells it.
struct SecurityGroupRule: Hashable {
    enum Peer: Hashable {
        case ipv4(String)
        case ipv6(String)
        /// Another security group, by identity index.
        case group(Int)
    }

    var proto: String
    var fromPort: Int
    var toPort: Int
    var peer: Peer

    /// The ports it opens, as a port set.
    var ports: PortSet {
        var ranges: [PortRange] = []
        appendRanges(to: &ranges)
        return PortSet(ranges)
    }

    /// The ranges of `ports`, appended: the ports of many rules are one port set made once.
    func appendRanges(to ranges: inout [PortRange]) {
        switch proto {
        case "tcp": ranges.append(PortRange(.tcp, fromPort, toPort))
        case "udp": ranges.append(PortRange(.udp, fromPort, toPort))
        case "132": ranges.append(PortRange(.sctp, 1, 65535))
        case "icmp", "icmpv6": ranges.append(PortRange(.icmp, 1, 65535))
        case "-1": ranges += TransportProtocol.allCases.map { PortRange($0, 1, 65535) }
        default: break
        }
    }

    /// Whether the peer is another security group (a standalone rule resource) rather than
    /// an address range (a rule inline in its group).
    var isGroupReference: Bool {
        if case .group = peer { true } else { false }
    }

    /// The rule that keeps CloudFormation from adding its allow-all egress when a group may
    /// send nothing: ICMP type 252 code 86 to 255.255.255.255/32 matches no real traffic.
    static let sentinel = SecurityGroupRule(proto: "icmp", fromPort: 252, toPort: 86, peer: .ipv4("255.255.255.255/32"))

    var isSentinel: Bool { self == Self.sentinel }

    /// Whether the peer is an IPv6 address range (the quota counts each family apart).
    var isIPv6: Bool {
        if case .ipv6 = peer { true } else { false }
    }
}

/// The security groups of a policy and their rules, decided from the firewall plan: the rules
/// of each service identity (group-to-group rules for the identity pairs, CIDR rules for
/// external peers). Where one group cannot hold an identity's rules, they are first
/// aggregated (a segment's group, taken by every workload of the segment's identities, stands
/// for all of them as a peer), then spread over as many groups as the quota of rules per group
/// needs (the identity's own group `SgNAME`, then `SgNAME2`, …, all attached to its workloads),
/// and fitted when even `groups_per_eni` groups cannot hold them. `planned` is what they allow.
struct AWSPlan {
    let policy: Policy
    let firewall: FirewallPlan
    let options: AWSOptions

    /// Rules by identity index: what the identity's groups hold together. A group reference
    /// names the peer identity's own group.
    var ingressRules: [Int: [SecurityGroupRule]] = [:]
    var egressRules: [Int: [SecurityGroupRule]] = [:]
    /// The security groups: first each identity's own group (at the identity's index), then
    /// the segments' groups, then the further parts of the identities whose rules one group
    /// cannot hold.
    var groups: [Group] = []
    /// The identities each group stands for as a peer, by group index: its identity, or the
    /// identities of its segment (every workload of which takes the group).
    var members: [[Int]] = []
    /// The group of each segment that has one, by segment name.
    var segmentGroups: [String: Int] = [:]
    /// The segment groups each identity's workloads take, by identity index.
    var joined: [[Int]] = []
    /// The groups each identity's workloads take, its own first, by identity index.
    var groupsOf: [[Int]] = []
    /// The template's name of each group (`SgOrderWorker`, `SgOrderWorker2`), by group index.
    var logicalIDs: [String] = []
    /// The group-to-group rules, each a resource of its own, in logical id order.
    var standalone: [StandaloneRule] = []
    /// The identities whose rules were fitted (merged or cut) to what their groups can hold,
    /// per direction.
    var fittedIngress: Set<Int> = []
    var fittedEgress: Set<Int> = []

    /// One security group: part `part` (1 for its own group) of an identity's rules, or a
    /// segment's group (no rules: a peer that rules of other groups name).
    struct Group {
        var identity: Int?
        var segment: String? = nil
        var part: Int
        var ingress: [SecurityGroupRule] = []
        var egress: [SecurityGroupRule] = []
    }

    /// A group-to-group rule as a resource: `SgDbInFromCatalogTcp5432` is the inbound rule of
    /// `SgDb` from `SgCatalog` on tcp/5432. `owner` is a group index.
    struct StandaloneRule {
        var logicalID: String
        var owner: Int
        var ingress: Bool
        var rule: SecurityGroupRule
    }

    /// CloudFormation's limit on a logical id (letters and digits).
    static let logicalIDLimit = 255

    /// Default VPC quotas (adjustable): rules per security group and direction, per address family.
    static let rulesPerGroup = 60

    init(policy: Policy, options: AWSOptions) throws {
        self.policy = policy
        self.options = options
        firewall = FirewallPlan(policy: policy, gaps: options.gaps)
        let count = firewall.identities.count
        groups = firewall.identities.indices.map { Group(identity: $0, part: 1) }
        members = firewall.identities.indices.map { [$0] }
        joined = Array(repeating: [], count: count)
        var inbound = [[Int: PortSet]](repeating: [:], count: count)
        var outbound = [[Int: PortSet]](repeating: [:], count: count)
        for (pair, ports) in firewall.between where !ports.isEmpty {
            inbound[pair.destination][pair.source] = ports
            outbound[pair.source][pair.destination] = ports
        }
        var segmentIdentities: [String: [Int]] = [:]
        for (index, identity) in firewall.identities.enumerated() {
            for segment in identity.segments { segmentIdentities[segment, default: []].append(index) }
        }
        for index in 0..<count {
            for ingress in [true, false] {
                let peers = ingress ? inbound[index] : outbound[index]
                guard !peers.isEmpty else { continue }
                var list = peers.sorted { $0.key < $1.key }.flatMap { rules($0.value, peer: .group($0.key)) }
                // One outbound rule may have to be the no-egress sentinel.
                let quota = ingress ? Self.rulesPerGroup : Self.rulesPerGroup - 1
                if list.count >= 2, list.count + ((ingress ? firewall.ingress[index] : firewall.egress[index]).map { externalCount($0) } ?? 0) > quota {
                    list = aggregated(peers, segments: segmentIdentities)
                }
                if ingress { ingressRules[index] = list } else { egressRules[index] = list }
            }
        }
        // What the identity's groups can hold together: the group references first, fitted
        // when they alone are too many; the CIDR rules share what they leave.
        for index in firewall.identities.indices {
            // The segment groups the identity takes leave fewer places for its own.
            let capacity = (options.groupsPerENI - joined[index].count) * Self.rulesPerGroup
            // One outbound rule per group may have to be the no-egress sentinel.
            let egressCapacity = (options.groupsPerENI - joined[index].count) * (Self.rulesPerGroup - 1)
            if let references = ingressRules[index], references.count > capacity - (firewall.ingress[index] == nil ? 0 : 1) {
                ingressRules[index] = try fitReferences(references, budget: capacity - (firewall.ingress[index] == nil ? 0 : 1), identity: index)
                fittedIngress.insert(index)
            }
            if let references = egressRules[index], references.count > egressCapacity - (firewall.egress[index] == nil ? 0 : 1) {
                egressRules[index] = try fitReferences(references, budget: egressCapacity - (firewall.egress[index] == nil ? 0 : 1), identity: index)
                fittedEgress.insert(index)
            }
        }
        for (index, asked) in firewall.ingress {
            let capacity = (options.groupsPerENI - joined[index].count) * Self.rulesPerGroup
            let budget = capacity - (ingressRules[index]?.count ?? 0)
            let rules = fit(asked, ipv4Budget: budget, ipv6Budget: capacity)
            if rules != asked { fittedIngress.insert(index) }
            ingressRules[index, default: []] += external(rules)
        }
        for (index, asked) in firewall.egress {
            let egressCapacity = (options.groupsPerENI - joined[index].count) * (Self.rulesPerGroup - 1)
            let budget = egressCapacity - (egressRules[index]?.count ?? 0)
            let rules = fit(asked, ipv4Budget: budget, ipv6Budget: egressCapacity)
            if rules != asked { fittedEgress.insert(index) }
            egressRules[index, default: []] += external(rules)
        }
        try layOut()
        nameResources()
    }

    /// One direction's group references of an identity whose rules one group cannot hold,
    /// aggregated: a segment all of whose identities are peers on some common ports gets a
    /// group (taken by every workload of those identities, if each has room for one more
    /// group besides its own), and one rule per range towards that group stands for all of
    /// them on those ports, when that makes fewer rules. Exact: the segment's rules carry the
    /// ports every one of its identities has. The segment groups' rules first, then each
    /// peer's rules for what is left, in peer order.
    mutating func aggregated(_ peers: [Int: PortSet], segments: [String: [Int]]) -> [SecurityGroupRule] {
        var peers = peers
        var seen: [String: Int] = [:]
        for peer in peers.keys {
            for segment in firewall.identities[peer].segments { seen[segment, default: 0] += 1 }
        }
        var aggregates: [(group: Int, ports: PortSet)] = []
        for (segment, count) in seen.sorted(by: { $0.key < $1.key }) {
            guard count >= 2, let identities = segments[segment], identities.count == count else { continue }
            var common = peers[identities[0]] ?? PortSet()
            for identity in identities.dropFirst() where !common.isEmpty { common = common.intersection(peers[identity] ?? PortSet()) }
            guard !common.isEmpty else { continue }
            let before = identities.reduce(0) { $0 + rules(peers[$1] ?? PortSet(), peer: .group($1)).count }
            let after =
                rules(common, peer: .group(0)).count + identities.reduce(0) { $0 + rules((peers[$1] ?? PortSet()).subtracting(common), peer: .group($1)).count }
            guard after < before else { continue }
            let group: Int
            if let existing = segmentGroups[segment] {
                group = existing
            } else {
                guard identities.allSatisfy({ joined[$0].count + 2 <= options.groupsPerENI }) else { continue }
                group = groups.count
                groups.append(Group(identity: nil, segment: segment, part: 1))
                members.append(identities)
                segmentGroups[segment] = group
                for identity in identities { joined[identity].append(group) }
            }
            for identity in identities {
                let rest = (peers[identity] ?? PortSet()).subtracting(common)
                peers[identity] = rest.isEmpty ? nil : rest
            }
            aggregates.append((group, common))
        }
        return aggregates.flatMap { rules($0.ports, peer: .group($0.group)) }
            + peers.sorted { $0.key < $1.key }.flatMap { rules($0.value, peer: .group($0.key)) }
    }

    /// Group references fitted to `budget` rules: under `widen` the ranges of one peer merge
    /// across their smallest gaps (the peer's own rules towards this group still say exactly
    /// which ports, so the connections stay as asked unless both sides were merged); under
    /// `narrow` the rules that open the fewest ports to the fewest workloads are dropped. A
    /// located error when merging cannot bring them within the budget.
    func fitReferences(_ rules: [SecurityGroupRule], budget: Int, identity: Int) throws -> [SecurityGroupRule] {
        if options.gaps == .narrow {
            func weight(_ rule: SecurityGroupRule) -> Int {
                guard case .group(let peer) = rule.peer else { return 0 }
                let ports = rule.proto == "tcp" || rule.proto == "udp" ? rule.toPort - rule.fromPort + 1 : 65535
                return ports * members[peer].reduce(0) { $0 + firewall.identities[$1].workloads.count }
            }
            let kept = rules.indices.sorted { (weight(rules[$0]), -$0) > (weight(rules[$1]), -$1) }.prefix(max(budget, 0))
            return kept.sorted().map { rules[$0] }
        }
        guard rules.count > budget else { return rules }
        // Widen by the smallest gaps between neighbouring ranges of one peer and protocol, the
        // first of equal gaps first. Merging two neighbours leaves every other gap as it was, so
        // the gaps to close are simply the smallest ones: one sort, not a scan per merge.
        let gaps = rules.indices.dropLast().compactMap { index -> (gap: Int, index: Int)? in
            let (a, b) = (rules[index], rules[index + 1])
            guard a.peer == b.peer, a.proto == b.proto, a.proto == "tcp" || a.proto == "udp" else { return nil }
            return (b.fromPort - a.toPort, index)
        }
        guard gaps.count >= rules.count - budget else {
            let name = firewall.identities[identity].name
            throw BackendError(
                .error(
                    .targetLimit,
                    "aws: the security groups of identity '\(name)' need \(rules.count - gaps.count) rules towards other groups in one direction; "
                        + "\(options.groupsPerENI) groups of \(Self.rulesPerGroup) rules (groups_per_eni) hold \(budget)",
                    at: identityOrigin(name), help: "raise groups_per_eni (up to 16), or give its peers fewer identities"))
        }
        let closed = Set(gaps.sorted { ($0.gap, $0.index) < ($1.gap, $1.index) }.prefix(rules.count - budget).map(\.index))
        var fitted: [SecurityGroupRule] = []
        fitted.reserveCapacity(budget)
        for (index, rule) in rules.enumerated() {
            if index > 0, closed.contains(index - 1) {
                fitted[fitted.count - 1].toPort = rule.toPort
            } else {
                fitted.append(rule)
            }
        }
        return fitted
    }

    /// Spreads each identity's rules over its groups: each group takes at most the quota per
    /// direction and address family, less the no-egress sentinel's place where a group has no
    /// outbound rule to an address range. A located error when some identity still needs more
    /// groups than `groups_per_eni`.
    /// Where an identity is declared, for a located error; the target's options when the spec
    /// names it only through its workloads.
    func identityOrigin(_ name: String) -> SourceRange? {
        policy.identities.first { $0.name == name }?.origin ?? options.origin
    }

    mutating func layOut() throws {
        let count = firewall.identities.count
        groupsOf = firewall.identities.indices.map { [$0] }
        for index in 0..<count {
            let inbound = Self.chunks(ingressRules[index] ?? [], egress: false)
            let outbound = Self.chunks(egressRules[index] ?? [], egress: true)
            let parts = max(inbound.count, outbound.count, 1)
            if parts + joined[index].count > options.groupsPerENI {
                let name = firewall.identities[index].name
                let origin = identityOrigin(name)
                throw BackendError(
                    .error(
                        .targetLimit,
                        "aws: the rules of identity '\(name)' need \(parts + joined[index].count) security groups; "
                            + "a network interface takes \(options.groupsPerENI) (groups_per_eni)",
                        at: origin, help: "raise groups_per_eni (up to 16), or merge its peers into fewer, wider ranges"))
            }
            for part in 0..<parts {
                let group: Int
                if part == 0 {
                    group = index
                } else {
                    group = groups.count
                    groups.append(Group(identity: index, part: part + 1))
                    groupsOf[index].append(group)
                }
                if part < inbound.count { groups[group].ingress = inbound[part] }
                if part < outbound.count { groups[group].egress = outbound[part] }
            }
            groupsOf[index] += joined[index]
        }
    }

    /// One direction's rules in groups' shares, in their order: per address family (group
    /// references count as IPv4) at most the quota; outbound, one place fewer in a share
    /// without an IPv4 address rule, where the sentinel may go.
    static func chunks(_ rules: [SecurityGroupRule], egress: Bool) -> [[SecurityGroupRule]] {
        // Which share each rule goes to: IPv4 address rules first (a share that holds one needs
        // no sentinel), then the group references; IPv6 address rules apart. Each share keeps
        // the rules in their order.
        var share = [Int](repeating: 0, count: rules.count)
        let v4 = rules.indices.filter { !rules[$0].isGroupReference && !rules[$0].isIPv6 } + rules.indices.filter { rules[$0].isGroupReference }
        var start = 0
        var part = 0
        while start < v4.count {
            let size = egress && rules[v4[start]].isGroupReference ? rulesPerGroup - 1 : rulesPerGroup
            for position in start..<min(start + size, v4.count) { share[v4[position]] = part }
            start += size
            part += 1
        }
        for (position, index) in rules.indices.filter({ rules[$0].isIPv6 }).enumerated() { share[index] = position / rulesPerGroup }
        var shares = [[SecurityGroupRule]](repeating: [], count: (share.max() ?? -1) + 1)
        for (index, rule) in rules.enumerated() { shares[share[index]].append(rule) }
        return shares
    }

    /// Logical ids from names alone: a group's from its identity (`SgOrderWorker`, its further
    /// parts `SgOrderWorker2`, …), a standalone rule's from its group, direction, peer group,
    /// protocol and ports. Ids that meet (`a-b` and `a--b` are both `SgAB`) each get a hash of
    /// what they stand for.
    mutating func nameResources() {
        let groups = self.groups
        let identities = firewall.identities
        let groupNames: [String] = groups.map { group in
            guard let index = group.identity else { return "SgSegment" + StableName.camel(group.segment ?? "") }
            return "Sg" + StableName.camel(identities[index].name) + (group.part == 1 ? "" : "\(group.part)")
        }
        func groupKey(_ index: Int) -> String {
            let group = groups[index]
            guard let identity = group.identity else { return "segment|\(group.segment ?? "")" }
            let name = identities[identity].name
            return group.part == 1 ? "group|\(name)" : "group|\(name)|\(group.part)"
        }
        var names = groupNames
        var rules: [(owner: Int, ingress: Bool, rule: SecurityGroupRule)] = []
        // How a rule's name says its peer group: the group's name without its `Sg`, cut once
        // per group rather than once per rule.
        let peerWords = groupNames.map { String($0.dropFirst(2)) }
        for (index, group) in groups.enumerated() where group.identity != nil {
            for (ingress, list) in [(true, group.ingress), (false, group.egress)] {
                // The start every name of this group and direction shares.
                let start = groupNames[index] + (ingress ? "InFrom" : "OutTo")
                for rule in list {
                    guard case .group(let peer) = rule.peer else { continue }
                    rules.append((index, ingress, rule))
                    var name = start
                    name += peerWords[peer]
                    name += Self.protocolWords(rule)
                    names.append(name)
                }
            }
        }
        // The keys, which tell apart only names that meet, are built for those alone.
        let unique = StableName.unique(names: names, limit: Self.logicalIDLimit, separator: "") { position in
            guard position >= groups.count else { return groupKey(position) }
            let (index, ingress, rule) = rules[position - groups.count]
            let group = groups[index]
            let owner = identities[group.identity ?? 0].name
            guard case .group(let peer) = rule.peer else { return "" }
            let part = group.part == 1 ? "" : "|\(group.part)"
            let peerKey = groups[peer].identity.map { identities[$0].name } ?? groupKey(peer)
            return "rule|\(owner)\(part)|\(ingress ? "in" : "out")|\(peerKey)|\(rule.proto)|\(rule.fromPort)|\(rule.toPort)"
        }
        logicalIDs = Array(unique.prefix(groups.count))
        standalone = zip(rules, unique.dropFirst(groups.count)).map { item, name in
            StandaloneRule(logicalID: name, owner: item.owner, ingress: item.ingress, rule: item.rule)
        }.sorted { $0.logicalID < $1.logicalID }
    }

    /// A rule's protocol and ports in a logical id: `Tcp5432`, `Udp8000To8100`, `Sctp`,
    /// `Icmp`, `Icmpv6`, `All`.
    static func protocolWords(_ rule: SecurityGroupRule) -> String {
        switch rule.proto {
        case "tcp", "udp":
            let ports = rule.fromPort == rule.toPort ? "\(rule.fromPort)" : "\(rule.fromPort)To\(rule.toPort)"
            return (rule.proto == "tcp" ? "Tcp" : "Udp") + ports
        case "132": return "Sctp"
        case "icmp": return "Icmp"
        case "icmpv6": return "Icmpv6"
        case "-1": return "All"
        default: return "Proto" + rule.proto.filter { $0.isLetter || $0.isNumber }
        }
    }

    /// External rules coarsened (widen) or cut (narrow) to fit the budgets.
    func fit(_ rules: ExternalRules, ipv4Budget: Int, ipv6Budget: Int) -> ExternalRules {
        fitted(rules, ipv4Budget: max(ipv4Budget, 1), ipv6Budget: ipv6Budget, widen: options.gaps == .widen) { ports in
            self.rules(ports, peer: .ipv4("0.0.0.0/0")).count
        }
    }

    /// The rules for a port set towards one peer: TCP and UDP ranges exactly, SCTP only as a
    /// whole protocol (security groups filter ports for TCP and UDP only), ICMP as icmp for
    /// IPv4 and icmpv6 for IPv6; in protocol and port order. That order (by protocol text:
    /// `132`, `icmp`, `icmpv6`, `tcp`, `udp`, then by ports) is built directly, not sorted:
    /// a port set's ranges come disjoint and in protocol (tcp, udp, sctp, icmp) then port
    /// order, so the protocol-wide rules go first and the tcp and udp ranges follow as they come.
    func rules(_ ports: PortSet, peer: SecurityGroupRule.Peer) -> [SecurityGroupRule] {
        let ranges = ports.ranges
        var sctp = false
        var icmp = false
        var portRules = 0
        for range in ranges {
            switch range.proto {
            case .tcp, .udp:
                portRules += 1
            case .sctp:
                if options.gaps == .narrow, !range.isWholeProtocol { continue }
                sctp = true
            case .icmp:
                icmp = true
            }
        }
        var result: [SecurityGroupRule] = []
        result.reserveCapacity(portRules + 3)
        if sctp { result.append(SecurityGroupRule(proto: "132", fromPort: -1, toPort: -1, peer: peer)) }
        if icmp {
            if case .ipv6 = peer {} else { result.append(SecurityGroupRule(proto: "icmp", fromPort: -1, toPort: -1, peer: peer)) }
            if case .ipv4 = peer {} else { result.append(SecurityGroupRule(proto: "icmpv6", fromPort: -1, toPort: -1, peer: peer)) }
        }
        for range in ranges where range.proto == .tcp || range.proto == .udp {
            result.append(SecurityGroupRule(proto: range.proto.description, fromPort: range.lower, toPort: range.upper, peer: peer))
        }
        return result
    }

    /// The rules towards external peers: each entry's rules for each of its address blocks.
    /// An entry's rules are the same for every block of one family but for the peer (ICMP
    /// alone depends on the family): they are made once per family, then given each block.
    func external(_ rules: ExternalRules) -> [SecurityGroupRule] {
        rules.entries.flatMap { entry in
            let cidrs = entry.peers.addresses.cidrs
            let v4 = cidrs.contains { $0.isIPv4 } ? self.rules(entry.ports, peer: .ipv4("")) : []
            let v6 = cidrs.contains { !$0.isIPv4 } ? self.rules(entry.ports, peer: .ipv6("")) : []
            return cidrs.flatMap { cidr in
                let peer: SecurityGroupRule.Peer = cidr.isIPv4 ? .ipv4(cidr.description) : .ipv6(cidr.description)
                return (cidr.isIPv4 ? v4 : v6).map { rule in
                    var rule = rule
                    rule.peer = peer
                    return rule
                }
            }
        }
    }

    /// How many rules `external` makes, without spelling their address blocks: the same
    /// rules per block of one family.
    func externalCount(_ rules: ExternalRules) -> Int {
        rules.entries.reduce(0) { total, entry in
            let cidrs = entry.peers.addresses.cidrs
            let v4 = cidrs.reduce(0) { $0 + ($1.isIPv4 ? 1 : 0) }
            let v6 = cidrs.count - v4
            return total + (v4 > 0 ? v4 * self.rules(entry.ports, peer: .ipv4("")).count : 0)
                + (v6 > 0 ? v6 * self.rules(entry.ports, peer: .ipv6("")).count : 0)
        }
    }

    /// What the rules allow, by the semantics the reader applies to the file.
    var planned: Relation { plannedGroups.expanded }

    /// What the rules allow, at identity level.
    var plannedGroups: GroupedRelation {
        AWSReader.groupedRelation(plan: firewall, ingress: ingressRules, egress: egressRules) { members[$0] }
    }
}
