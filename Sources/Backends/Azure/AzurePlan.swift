import Diagnostics
import IR

/// The security rules of a policy, decided from the firewall plan: an application security
/// group per service identity, and per segment an NSG whose allows carry the flows into and
/// out of its identities, closed by explicit denies at the lowest priority.
struct AzurePlan {
    /// One NSG security rule; each side is application security groups or address prefixes.
    struct Rule {
        enum Direction: String {
            case inbound = "Inbound"
            case outbound = "Outbound"
        }

        enum Access: String {
            case allow = "Allow"
            case deny = "Deny"
        }

        /// The protocols an NSG rule names; `*` is any protocol.
        enum NSGProtocol: String {
            case tcp = "Tcp"
            case udp = "Udp"
            case icmp = "Icmp"
            case any = "*"
        }

        var name: String
        var direction: Direction
        var access: Access
        var priority: Int
        var proto: NSGProtocol
        /// Destination ports as NSGs spell them: `*`, `443`, `8000-8010`.
        var ports: [String]
        var sourceGroups: [String] = []
        var sourcePrefixes: [String] = []
        var destinationGroups: [String] = []
        var destinationPrefixes: [String] = []
        var description: String
    }

    /// A network security group: the one of a segment, on its subnet; or, where one NSG cannot
    /// hold a segment's rules, one part of the segment split by service identity, on the NICs
    /// of the workloads listed (`workloads`).
    struct NSG {
        var name: String
        var segment: String
        /// For a part of a split segment: its number, from 1, and how many parts the segment has.
        var part: (number: Int, of: Int)?
        var rules: [Rule]
        /// For a part: the workloads, by name, whose NICs take this NSG.
        var workloads: [String] = []

        /// The application security groups its rules name. The rules of one peer unit share
        /// their group lists and mostly follow one another: a rule whose lists are the last
        /// one's adds nothing, and is passed without hashing its groups again.
        var namedGroups: Set<String> {
            var named = Set<String>()
            var last: (source: [String], destination: [String])?
            for rule in rules {
                if let last, last.source == rule.sourceGroups, last.destination == rule.destinationGroups { continue }
                named.formUnion(rule.sourceGroups)
                named.formUnion(rule.destinationGroups)
                last = (rule.sourceGroups, rule.destinationGroups)
            }
            return named
        }
    }

    /// An application security group that stands for several identities in one identity's
    /// rules (`merged`), where naming each would exceed the 100 groups an NSG's rules may name.
    struct MergedGroup {
        var name: String
        /// The identities (indexes into `firewall.identities`) whose workloads' NICs join it.
        var identities: [Int]
    }

    /// How an identity's peers were fitted to the groups one NSG's rules may name.
    enum Fit {
        /// Peers with the same ports share a merged group: exact.
        case exact
        /// Peers with different ports share a merged group, on the union of their ports (`widen`).
        case merged
        /// The peers with the fewest identities were dropped (`narrow`).
        case dropped
    }

    let policy: Policy
    let firewall: FirewallPlan
    let options: AzureOptions
    /// Names external peers after the spec's networks.
    let peerNamer: PeerNamer
    /// The NSGs, priorities assigned: per segment in segment order, its only NSG or its parts.
    private(set) var groups: [NSG] = []
    /// The merged application security groups, by name.
    private(set) var merged: [MergedGroup] = []
    /// The identities whose peers did not fit one NSG, and how they were fitted.
    private(set) var fits: [Int: Fit] = [:]

    /// Azure's limits: rules per NSG, priorities, prefixes per rule side, ASGs per rule side.
    static let rulesPerGroup = 1000
    static let lowestPriority = 4096
    static let firstPriority = 100
    /// Addresses and ranges per NSG, separately for sources and destinations (and, read
    /// conservatively, destination port entries).
    static let prefixesPerSide = 4000
    /// Application security groups referenced across all the rules of one NSG.
    static let groupsPerNSG = 100
    /// Application security groups one NIC's IP configuration may join.
    static let groupsPerNIC = 20
    /// What one NSG may take of a template, leaving room for the template's own text.
    static let bytesPerNSG = (4 << 20) - 40_000

    /// Azure's limit on the name of a resource (NSG, ASG) and of a security rule.
    static let nameLimit = 80

    init(policy: Policy, options: AzureOptions) throws {
        self.policy = policy
        self.options = options
        firewall = FirewallPlan(policy: policy, gaps: options.gaps)
        peerNamer = PeerNamer(policy)
        var inPeers = [[(peer: Int, ports: PortSet)]](repeating: [], count: firewall.identities.count)
        var outPeers = inPeers
        for (pair, ports) in firewall.between.sorted(by: { $0.key < $1.key }) {
            inPeers[pair.destination].append((pair.source, ports))
            outPeers[pair.source].append((pair.destination, ports))
        }
        // An identity's rules are the same in every segment it has workloads in: built once.
        var built: [IdentityRules] = []
        var mergedByName: [String: [Int]] = [:]
        var protocolLists = ProtocolLists()
        var prefixChunks = PrefixChunks()
        for index in firewall.identities.indices {
            let (units, fit) = fittedUnits(index, inbound: inPeers[index], outbound: outPeers[index])
            if let fit { fits[index] = fit }
            for unit in units where unit.peers.count > 1 { mergedByName[unit.group] = unit.peers }
            built.append(identityRules(index, units, lists: &protocolLists, prefixes: &prefixChunks))
        }
        for segment in policy.segments {
            let here = Set(segment.workloads.compactMap { firewall.identityOf[$0] }).sorted()
            let all = here.map { built[$0] }
            if Self.fitsOneNSG(all) {
                groups.append(
                    NSG(
                        name: Self.nsg(segment.name, policy: policy), segment: segment.name, part: nil,
                        rules: numbered(inbound: all.flatMap(\.inbound), outbound: all.flatMap(\.outbound))))
                continue
            }
            // Split by identity: an identity's part is its name's hash modulo the part's
            // modulus, parts halved (by the next bit of the hash) only where they do not fit, so
            // one more identity moves no other unless its own part has to be halved.
            for part in Self.parts(keys: here.map { firewall.identities[$0].name }, fits: { part in Self.fitsOneNSG(part.map { all[$0] }) }) {
                let members = Set(part.members.map { here[$0] })
                let workloads = segment.workloads.filter { firewall.identityOf[$0].map(members.contains) ?? false }
                groups.append(
                    NSG(
                        name: StableName.fitted("nsg-\(policy.name)-\(segment.name)-\(part.number)", limit: Self.nameLimit), segment: segment.name,
                        part: (part.number, part.modulus),
                        rules: numbered(inbound: part.members.flatMap { all[$0].inbound }, outbound: part.members.flatMap { all[$0].outbound }),
                        workloads: workloads.map { policy.workloads[$0.index].name }.sorted()))
            }
        }
        merged = mergedByName.map { MergedGroup(name: $0.key, identities: $0.value) }.sorted { $0.name < $1.name }
        try checkLimits()
    }

    /// The application security group of an identity.
    func asg(_ index: Int) -> String { Self.asg(firewall.identities[index], policy: policy) }

    /// `asg-POLICY-IDENTITY`, shortened with a hash beyond Azure's 80 characters.
    static func asg(_ identity: FirewallPlan.Identity, policy: Policy) -> String {
        StableName.fitted("asg-\(policy.name)-\(identity.name)", limit: nameLimit)
    }

    /// `nsg-POLICY-SEGMENT`, shortened with a hash beyond Azure's 80 characters.
    static func nsg(_ segment: String, policy: Policy) -> String {
        StableName.fitted("nsg-\(policy.name)-\(segment)", limit: nameLimit)
    }

    /// An allow rule, named (`allow-in-db-from-catalog-tcp`) but not yet given its priority.
    func allow(
        _ direction: Rule.Direction, _ name: String, _ proto: Rule.NSGProtocol, _ ports: [String], description: String
    ) -> Rule {
        Rule(name: name, direction: direction, access: .allow, priority: 0, proto: proto, ports: ports, description: description)
    }

    /// How a rule's name says its protocol: SCTP is the only traffic an any-protocol allow carries.
    static func protocolWord(_ proto: Rule.NSGProtocol) -> String {
        switch proto {
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        case .any: "sctp"
        }
    }

    /// A suffix for the parts of a prefix list longer than one rule side holds: none for the
    /// first, `-N` for the others (numbers only where Azure's limit forces them).
    static func part(_ number: Int) -> String { number == 0 ? "" : "-\(number + 1)" }

    /// Items split into parts that `fits`: item `i` goes to the part numbered
    /// `hash(keys[i]) mod M + 1`; a part starts with modulus 1 and, while it does not fit and
    /// holds more than one item, is halved into the residues `r` and `r + M` modulo `2M`. The
    /// numbers stay unique (a part's residue is one no halved part has), and an item moves only
    /// when its own part is halved. Parts in order of their numbers; each part's items in order.
    static func parts(keys: [String], fits: ([Int]) -> Bool) -> [(number: Int, modulus: Int, members: [Int])] {
        let hashes = keys.map(StableName.hash)
        var pending: [(residue: UInt64, modulus: UInt64, members: [Int])] = [(0, 1, Array(keys.indices))]
        var done: [(number: Int, modulus: Int, members: [Int])] = []
        while let part = pending.popLast() {
            if part.members.count <= 1 || fits(part.members) || part.modulus >= 1 << 40 {
                if !part.members.isEmpty { done.append((Int(part.residue) + 1, Int(part.modulus), part.members)) }
                continue
            }
            let modulus = part.modulus * 2
            let (low, high) = (part.members.filter { hashes[$0] % modulus == part.residue }, part.members.filter { hashes[$0] % modulus != part.residue })
            pending.append((part.residue, modulus, low))
            pending.append((part.residue + part.modulus, modulus, high))
        }
        return done.sorted { $0.number < $1.number }
    }

    /// Peers of one identity in one direction that one rule side names: one peer identity by
    /// its own group, or several by a merged group (`group`), on `ports`.
    struct PeerUnit {
        var direction: Rule.Direction
        var peers: [Int]
        var ports: PortSet
        /// The application security group the rules name for these peers.
        var group: String = ""
        /// How rule names say these peers: the identity's name, or `peers-HASH` for a merged group.
        var slug: String = ""
    }

    /// The allows about one identity's traffic, in every NSG that holds them, before names are
    /// made unique and priorities given; and what they cost of an NSG's limits.
    struct IdentityRules {
        var inbound: [Rule] = []
        var outbound: [Rule] = []
        /// The application security groups the rules name, the identity's own included.
        var named: Set<String> = []
        var sourcePrefixes = 0
        var destinationPrefixes = 0
        var portEntries = 0
        /// A bound on the rules' JSON in a template.
        var bytes = 0
    }

    /// The peer identities of one identity, each named by its own group, unless together with
    /// the identity's own group they are more than an NSG's rules may name. Then (`fit`) peers
    /// of one direction with the same ports share a merged group, the largest such sets
    /// first, until they fit: exact. Beyond that, under `widen` the smallest units of a
    /// direction merge (on the union of their ports) and under `narrow` the units with the
    /// fewest identities are dropped, until they fit.
    func fittedUnits(_ index: Int, inbound: [(peer: Int, ports: PortSet)], outbound: [(peer: Int, ports: PortSet)]) -> ([PeerUnit], Fit?) {
        var units =
            inbound.map { PeerUnit(direction: .inbound, peers: [$0.peer], ports: $0.ports) }
            + outbound.map { PeerUnit(direction: .outbound, peers: [$0.peer], ports: $0.ports) }
        // Groups named by the units, counted (a peer of both directions is one group), and the
        // identity's own group, always named.
        var references: [Int: Int] = [:]
        for unit in units { references[unit.peers[0], default: 0] += 1 }
        references[index, default: 0] += 1
        guard references.count > Self.groupsPerNSG else {
            return (
                units.map { unit in
                    var unit = unit
                    unit.group = asg(unit.peers[0])
                    return unit
                }, nil
            )
        }
        // A merged unit is counted under a negative key of its own.
        var mergedKeys: [Int: Int] = [:]
        var nextKey = -1
        var alive = [Bool](repeating: true, count: units.count)
        func retire(_ position: Int) {
            if let key = mergedKeys.removeValue(forKey: position) {
                references[key] = nil
                return
            }
            let key = units[position].peers[0]
            references[key, default: 0] -= 1
            if references[key] == 0 { references[key] = nil }
        }
        func merge(_ position: Int, into head: Int, widening: Bool) {
            if mergedKeys[head] == nil {
                retire(head)
                mergedKeys[head] = nextKey
                references[nextKey] = 1
                nextKey -= 1
            }
            retire(position)
            units[head].peers += units[position].peers
            if widening { units[head].ports.formUnion(units[position].ports) }
            alive[position] = false
        }
        struct Class: Hashable {
            var direction: Rule.Direction
            var ports: PortSet
        }
        var fit = Fit.exact
        // Exact: peers of one direction on the same ports, the largest sets first.
        var classes: [Class: [Int]] = [:]
        for (position, unit) in units.enumerated() { classes[Class(direction: unit.direction, ports: unit.ports), default: []].append(position) }
        for members in classes.values.filter({ $0.count > 1 }).sorted(by: { ($0.count, -$0[0]) > ($1.count, -$1[0]) })
        where references.count > Self.groupsPerNSG {
            for position in members.dropFirst() { merge(position, into: members[0], widening: false) }
        }
        let least = { (a: Int, b: Int) in (units[a].peers.count, units[a].peers[0]) < (units[b].peers.count, units[b].peers[0]) }
        if references.count > Self.groupsPerNSG, options.gaps == .narrow {
            fit = .dropped
            for position in units.indices.filter({ alive[$0] }).sorted(by: least) where references.count > Self.groupsPerNSG {
                retire(position)
                alive[position] = false
            }
        } else if references.count > Self.groupsPerNSG {
            fit = .merged
            // The smallest units of a direction join one merged unit, the direction with more
            // units left first.
            let queues = [Rule.Direction.inbound, .outbound].map { direction in
                units.indices.filter { alive[$0] && units[$0].direction == direction }.sorted(by: least)
            }
            var next = [0, 0]
            var heads: [Int?] = [nil, nil]
            while references.count > Self.groupsPerNSG {
                let side = queues[0].count - next[0] >= queues[1].count - next[1] ? 0 : 1
                guard next[side] < queues[side].count else { break }
                let position = queues[side][next[side]]
                next[side] += 1
                if let head = heads[side] { merge(position, into: head, widening: true) } else { heads[side] = position }
            }
        }
        let result = units.indices.filter { alive[$0] }.map { position in
            var unit = units[position]
            unit.peers.sort()
            if unit.peers.count > 1 {
                // Named after its members alone: identities fitted the same way share one group,
                // and a NIC joins it once.
                unit.slug = "peers-\(StableName.shortHash(unit.peers.map { firewall.identities[$0].name }.joined(separator: ",")))"
                unit.group = StableName.fitted("asg-\(policy.name)-\(unit.slug)", limit: Self.nameLimit)
            } else {
                unit.group = asg(unit.peers[0])
                unit.slug = firewall.identities[unit.peers[0]].name
            }
            return unit
        }
        return (result, fit)
    }

    /// The protocol and port lists (`protocols`) of each port set met so far: most peers of
    /// an estate are on one of a few port sets, and spelling a set's ranges costs more than
    /// finding it again.
    typealias ProtocolLists = [PortSet: [(Rule.NSGProtocol, [String])]]

    /// The prefixes of each external peer's addresses met so far, cut to what one rule side
    /// holds (`chunks`): most external peers are peers of many identities, and spelling their
    /// addresses costs more than finding them again.
    typealias PrefixChunks = [AddressSet: [[String]]]

    /// The allows about one identity: from and to its peer units, and from and to external
    /// prefixes. Each port set's lists taken from `lists`, each peer's prefixes from
    /// `prefixes`, made there once.
    func identityRules(_ index: Int, _ units: [PeerUnit], lists: inout ProtocolLists, prefixes: inout PrefixChunks) -> IdentityRules {
        func protocols(_ ports: PortSet) -> [(Rule.NSGProtocol, [String])] {
            if let known = lists[ports] { return known }
            let made = Self.protocols(ports, gaps: options.gaps)
            lists[ports] = made
            return made
        }
        func peerChunks(_ addresses: AddressSet) -> [[String]] {
            if let known = prefixes[addresses] { return known }
            let made = Self.chunks(addresses.cidrs.map(\.description))
            prefixes[addresses] = made
            return made
        }
        var result = IdentityRules()
        let identity = firewall.identities[index].name
        let own = asg(index)
        // One list of each group, shared by the rules that name it (no array made per rule).
        let ownList = [own]
        result.named.insert(own)
        func add(_ rule: Rule) {
            result.sourcePrefixes += rule.sourcePrefixes.count
            result.destinationPrefixes += rule.destinationPrefixes.count
            result.portEntries += rule.ports.count
            result.bytes += Self.bytes(rule)
            if rule.direction == .inbound { result.inbound.append(rule) } else { result.outbound.append(rule) }
        }
        for unit in units {
            result.named.insert(unit.group)
            let groupList = [unit.group]
            let peer = unit.slug.isEmpty ? firewall.identities[unit.peers[0]].name : unit.slug
            let words = unit.peers.count == 1 ? peer : "\(unit.peers.count) identities"
            // One description for the unit's rules of every protocol.
            let description = unit.direction == .inbound ? "\(words) to \(identity)" : "\(identity) to \(words)"
            for (proto, list) in protocols(unit.ports) {
                var rule: Rule
                if unit.direction == .inbound {
                    rule = allow(.inbound, "allow-in-\(identity)-from-\(peer)-\(Self.protocolWord(proto))", proto, list, description: description)
                    rule.sourceGroups = groupList
                    rule.destinationGroups = ownList
                } else {
                    rule = allow(.outbound, "allow-out-\(identity)-to-\(peer)-\(Self.protocolWord(proto))", proto, list, description: description)
                    rule.sourceGroups = ownList
                    rule.destinationGroups = groupList
                }
                add(rule)
            }
        }
        for peer in peerNamer.peers(firewall.ingress[index]?.entries ?? []) {
            // The peer's prefixes spelled once, for each of its protocols.
            let chunks = peerChunks(peer.addresses)
            let description = "\(peer.words) to \(identity)"
            for (proto, list) in protocols(peer.ports) {
                for (number, prefixes) in chunks.enumerated() {
                    var rule = allow(
                        .inbound, "allow-in-\(identity)-from-\(peer.slug)-\(Self.protocolWord(proto))\(Self.part(number))", proto, list,
                        description: description)
                    rule.sourcePrefixes = prefixes
                    rule.destinationGroups = ownList
                    add(rule)
                }
            }
        }
        for peer in peerNamer.peers(firewall.egress[index]?.entries ?? []) {
            // The peer's prefixes spelled once, for each of its protocols.
            let chunks = peerChunks(peer.addresses)
            let description = "\(identity) to \(peer.words)"
            for (proto, list) in protocols(peer.ports) {
                for (number, prefixes) in chunks.enumerated() {
                    var rule = allow(
                        .outbound, "allow-out-\(identity)-to-\(peer.slug)-\(Self.protocolWord(proto))\(Self.part(number))", proto, list,
                        description: description)
                    rule.sourceGroups = ownList
                    rule.destinationPrefixes = prefixes
                    add(rule)
                }
            }
        }
        return result
    }

    /// A bound on a rule's JSON as the emitter writes it (indented, one list entry a line).
    static func bytes(_ rule: Rule) -> Int {
        // Each entry's line holds its text, up to 6 bytes a character where escaped, and at
        // most 40 bytes of indentation and punctuation; a group's line also its resourceId.
        // Summed list by list: no list of them all is made.
        func texts(_ list: [String], line: Int) -> Int { list.reduce(0) { $0 + 6 * $1.utf8.count + line } }
        let entries = texts(rule.ports, line: 40) + texts(rule.sourcePrefixes, line: 40) + texts(rule.destinationPrefixes, line: 40)
        let groups = texts(rule.sourceGroups, line: 200) + texts(rule.destinationGroups, line: 200)
        return 1000 + 6 * (rule.name.utf8.count + min(rule.description.utf8.count, 160)) + entries + groups
    }

    /// Whether the rules of these identities fit one NSG: rules (with the two closing denies),
    /// groups named, prefixes per side, port entries and JSON within Azure's limits.
    static func fitsOneNSG(_ parts: [IdentityRules]) -> Bool {
        var rules = 2
        var (sources, destinations, ports, bytes) = (0, 0, 0, 0)
        var named = Set<String>()
        for part in parts {
            rules += part.inbound.count + part.outbound.count
            sources += part.sourcePrefixes
            destinations += part.destinationPrefixes
            ports += part.portEntries
            bytes += part.bytes
            named.formUnion(part.named)
        }
        return rules <= rulesPerGroup && named.count <= groupsPerNSG && sources <= prefixesPerSide && destinations <= prefixesPerSide
            && ports <= prefixesPerSide && bytes <= bytesPerNSG
    }

    /// The allows of each direction, names made unique (by a hash of what a rule matches,
    /// where two names meet) and fitted to Azure's 80 characters, each given a priority that
    /// depends on its name alone (`priorities`); then the denies that close the NSG, since
    /// Azure allows VNet traffic both ways and Internet egress by default. In name order.
    func numbered(inbound: [Rule], outbound: [Rule]) -> [Rule] {
        var rules: [Rule] = []
        for list in [inbound, outbound] {
            let names = StableName.unique(names: list.map(\.name), limit: Self.nameLimit) { Self.key(list[$0]) }
            let priorities = Self.priorities(names)
            for (index, var rule) in list.enumerated() {
                rule.name = names[index]
                rule.priority = priorities[index]
                rules.append(rule)
            }
        }
        rules.sort { $0.name < $1.name }
        for direction in [Rule.Direction.inbound, .outbound] {
            rules.append(
                Rule(
                    name: "deny-all-\(direction.rawValue.lowercased())", direction: direction, access: .deny, priority: Self.lowestPriority,
                    proto: .any, ports: ["*"], sourcePrefixes: ["*"], destinationPrefixes: ["*"], description: "default deny"))
        }
        return rules
    }

    /// What a rule matches, to tell apart two rules whose names meet.
    static func key(_ rule: Rule) -> String {
        [
            rule.direction.rawValue, rule.proto.rawValue, rule.ports.joined(separator: ","), rule.sourceGroups.joined(separator: ","),
            rule.sourcePrefixes.joined(separator: ","), rule.destinationGroups.joined(separator: ","), rule.destinationPrefixes.joined(separator: ","),
        ]
        .joined(separator: "|")
    }

    /// Priorities for the allows of one direction of an NSG, from their names alone: each
    /// rule's own slot in 100...4095 from a hash of its name, or when an earlier name (in name
    /// order) holds it, the next free one. The allows never overlap a deny, so their order
    /// decides nothing; what a priority must be is unique, and the same from one compile to
    /// the next while the rule is.
    static func priorities(_ names: [String]) -> [Int] {
        let slots = lowestPriority - firstPriority
        // Which slots are taken, one flag each (no set hashed per probe), and how many.
        var taken = [Bool](repeating: false, count: slots)
        var takenCount = 0
        var result = [Int](repeating: 0, count: names.count)
        for index in names.indices.sorted(by: { names[$0] < names[$1] }) {
            // Beyond the slots the NSG is far over its rule limit, which `checkLimits` reports.
            guard takenCount < slots else {
                result[index] = lowestPriority
                continue
            }
            var slot = Int(StableName.hash(names[index]) % UInt64(slots))
            while taken[slot] { slot = (slot + 1) % slots }
            taken[slot] = true
            takenCount += 1
            result[index] = firstPriority + slot
        }
        return result
    }

    /// Protocol and port lists for a port set: Tcp and Udp with their ranges, Icmp whole; SCTP
    /// has no NSG protocol, so it is any protocol on its ports (widen) or nothing (narrow).
    /// The set's ranges are taken once, in order: each protocol's are one run of them.
    static func protocols(_ ports: PortSet, gaps: GapPolicy) -> [(Rule.NSGProtocol, [String])] {
        var result: [(Rule.NSGProtocol, [String])] = []
        for (proto, ranges) in ports.protocolRuns {
            let list = ranges.map { $0.isWholeProtocol ? "*" : $0.lower == $0.upper ? "\($0.lower)" : "\($0.lower)-\($0.upper)" }
            switch proto {
            case .tcp: result.append((.tcp, list))
            case .udp: result.append((.udp, list))
            case .icmp: result.append((.icmp, ["*"]))
            case .sctp: if gaps == .widen { result.append((.any, list)) }
            }
        }
        return result
    }

    /// Prefixes cut to what one rule side holds.
    static func chunks(_ prefixes: [String]) -> [[String]] {
        stride(from: 0, to: prefixes.count, by: prefixesPerSide).map { Array(prefixes[$0..<min(prefixes.count, $0 + prefixesPerSide)]) }
    }

    /// A located error for the first NSG that no split brings within Azure's limits (one
    /// identity's rules alone beyond them), and for an identity whose NICs would join more
    /// application security groups than a NIC takes.
    func checkLimits() throws {
        let origin = { (segment: String) in self.policy.segments.first { $0.name == segment }?.origin ?? self.options.origin }
        for group in groups {
            let what = group.part == nil ? "the network security group of segment '\(group.segment)'" : "network security group \(group.name)"
            let help = group.part == nil ? "split the segment" : "give the segment's workloads fewer peers or external networks per service identity"
            if group.rules.count > Self.rulesPerGroup {
                throw BackendError(
                    .error(
                        .targetLimit, "azure: \(what) needs \(group.rules.count) rules; an NSG holds \(Self.rulesPerGroup)", at: origin(group.segment),
                        help: help))
            }
            let named = group.namedGroups
            if named.count > Self.groupsPerNSG {
                throw BackendError(
                    .error(
                        .targetLimit,
                        "azure: the rules of \(what) name \(named.count) application security groups; an NSG's rules may name \(Self.groupsPerNSG)",
                        at: origin(group.segment), help: help))
            }
            for (side, count) in [
                ("source", group.rules.reduce(0) { $0 + $1.sourcePrefixes.count }),
                ("destination", group.rules.reduce(0) { $0 + $1.destinationPrefixes.count }),
            ]
            where count > Self.prefixesPerSide {
                throw BackendError(
                    .error(
                        .targetLimit, "azure: the rules of \(what) name \(count) \(side) prefixes; an NSG takes \(Self.prefixesPerSide) per side",
                        at: origin(group.segment), help: "merge the external networks into fewer prefixes"))
            }
        }
        var joined: [Int: Int] = [:]
        for group in merged {
            for identity in group.identities { joined[identity, default: 1] += 1 }
        }
        if let (index, count) = joined.filter({ $0.value > Self.groupsPerNIC }).min(by: { $0.key < $1.key }) {
            let identity = firewall.identities[index]
            throw BackendError(
                .error(
                    .targetLimit,
                    "azure: the NICs of identity '\(identity.name)' would join \(count) application security groups; a NIC joins \(Self.groupsPerNIC)",
                    at: identity.workloads.first.map { policy.workloads[$0.index].origin } ?? options.origin,
                    help: "give the identity's peers fewer peers each"))
        }
    }
}
