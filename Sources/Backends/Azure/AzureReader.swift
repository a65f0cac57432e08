import IR
import YAML

/// Reads the ARM templates back, from the files alone, into what the NSGs allow: a workload's
/// traffic passes the NSG its NIC takes (listed in the `networkInterfaceSecurityGroups` output,
/// for a segment split into several NSGs) or else its segment's NSG (by `palisade-segment`
/// tag); per direction the rules are tried by priority and the first match decides; without a
/// user rule Azure's defaults apply (VNet traffic and Internet egress allowed, other inbound
/// denied). A connection between workloads needs the source NSG's outbound and the
/// destination NSG's inbound. A merged application security group stands for the identities
/// listed in the `applicationSecurityGroupMembers` output.
struct AzureReader {
    typealias Rule = AzurePlan.Rule

    let policy: Policy
    let files: [OutputFile]

    /// What the templates say: each NSG's rules (Azure's defaults included, by priority), the
    /// NSG each workload's traffic passes, and the identities each application security group
    /// stands for.
    struct Templates {
        var names: [String] = []
        var segments: [String] = []
        var rules: [[Rule]] = []
        /// The NSG of each workload (by index into `policy.workloads`), nil without one.
        var nsgOf: [Int?] = []
        var members: [String: [Int]] = [:]
    }

    func read() throws -> ReadBack {
        ReadBack(relation: try relation())
    }

    func relation() throws -> Relation {
        try groupedRelation().expanded
    }

    /// The same relation kept by group: the workloads of one identity that take one NSG.
    func groupedRelation() throws -> GroupedRelation {
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        return NSGSemantics(templates: try parse(plan), plan: plan, policy: policy).groupedRelation()
    }

    /// The same relation for the ARM templates the emitter writes for `plan`, taken from the
    /// plan rather than from writing and parsing them (`templates(of:)`): what `parse` would
    /// read. The Terraform form, and a plan whose names meet (where the files' order would
    /// decide which NSG a workload takes), are read from the files.
    func groupedRelation(of plan: AzurePlan) throws -> GroupedRelation {
        guard try terraformFile() == nil, let templates = Self.templates(of: plan) else { return try groupedRelation() }
        return NSGSemantics(templates: templates, plan: plan.firewall, policy: policy).groupedRelation()
    }

    /// What `parse` reads from the ARM templates of `plan`, from the plan: each NSG's rules as
    /// the files say them (a side names its groups or else its prefixes; no description) with
    /// Azure's defaults, by priority; the NSG of each workload; the identities of each group.
    /// Nil where the files' order would matter: two NSGs of one name, two unsplit NSGs of one
    /// segment, a workload listed by two parts, or a group name `resourceId` cannot carry.
    static func templates(of plan: AzurePlan) -> Templates? {
        let policy = plan.policy
        var result = Templates()
        var bySegment: [String: Int] = [:]
        var byName: [String: Int] = [:]
        var interfaces: [String: String] = [:]
        for nsg in plan.groups {
            guard byName.updateValue(result.names.count, forKey: nsg.name) == nil else { return nil }
            if nsg.part == nil {
                guard bySegment.updateValue(result.names.count, forKey: nsg.segment) == nil else { return nil }
            } else {
                for workload in nsg.workloads {
                    guard interfaces.updateValue(nsg.name, forKey: workload) == nil else { return nil }
                }
            }
            var rules: [Rule] = []
            rules.reserveCapacity(nsg.rules.count + defaults.count)
            for rule in nsg.rules {
                guard rule.sourceGroups.allSatisfy(Self.readable), rule.destinationGroups.allSatisfy(Self.readable) else { return nil }
                rules.append(
                    Rule(
                        name: rule.name, direction: rule.direction, access: rule.access, priority: rule.priority, proto: rule.proto, ports: rule.ports,
                        sourceGroups: rule.sourceGroups, sourcePrefixes: rule.sourceGroups.isEmpty ? rule.sourcePrefixes : [],
                        destinationGroups: rule.destinationGroups, destinationPrefixes: rule.destinationGroups.isEmpty ? rule.destinationPrefixes : [],
                        description: ""))
            }
            result.names.append(nsg.name)
            result.segments.append(nsg.segment)
            result.rules.append(byPriority(rules))
        }
        let identities = plan.firewall.identities
        for (index, identity) in identities.enumerated() { result.members[AzurePlan.asg(identity, policy: policy)] = [index] }
        let identityByName = Dictionary(identities.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
        for group in plan.merged { result.members[group.name] = group.identities.compactMap { identityByName[identities[$0].name] } }
        result.nsgOf = policy.workloads.map { workload in
            if let nsg = interfaces[workload.name] { return byName[nsg] }
            return bySegment[policy.segments[workload.segment.index].name]
        }
        return result
    }

    /// Whether `resourceId` can carry the group's name (read back by `groupName`): not empty,
    /// no single quote. Checked on the name's UTF-8 bytes in place, not by iterating its UTF-8
    /// view (11K names at 1,250 workloads).
    static func readable(_ group: String) -> Bool {
        let quote = UInt8(ascii: "'")
        let quoted = group.utf8.withContiguousStorageIfAvailable { $0.contains(quote) } ?? group.utf8.contains(quote)
        return !group.isEmpty && !quoted
    }

    /// The rules of the templates by NSG (Azure's default rules included), for `explain`.
    func views() throws -> [FirewallRuleView] {
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        let templates = try parse(plan)
        var here = [Set<Int>](repeating: [], count: templates.names.count)
        for (index, nsg) in templates.nsgOf.enumerated() {
            if let nsg, let identity = plan.identityOf[policy.workloads[index].id] { here[nsg].insert(identity) }
        }
        var views: [FirewallRuleView] = []
        for nsg in templates.names.indices.sorted(by: { templates.names[$0] < templates.names[$1] }) {
            let name = templates.names[nsg]
            for rule in templates.rules[nsg] {
                let (own, peer) = (rule.ownSide, rule.peerSide)
                let addresses = peer.isInternet ? AddressSet.all : Self.addresses(peer.prefixes)
                views.append(
                    FirewallRuleView(
                        name: "NSG \(name) rule \(rule.name) (priority \(rule.priority))", inbound: rule.direction == .inbound, allow: rule.access == .allow,
                        owners: own.isWide ? here[nsg] : Set(own.groups.flatMap { templates.members[$0] ?? [] }).intersection(here[nsg]),
                        peers: peer.isWide ? Set(plan.identities.indices) : Set(peer.groups.flatMap { templates.members[$0] ?? [] }),
                        addresses: addresses, ports: Self.portSet(rule.proto, rule.ports), group: "\(name)/\(rule.direction.rawValue)"))
            }
        }
        return views
    }

    // MARK: Parsing

    /// The Terraform form's file, when that is the form to read: the policy's options ask for
    /// it, or the files hold it and no ARM template.
    func terraformFile() throws -> OutputFile? {
        if AzureOptions.of(policy, target: .azure).format == .terraform { return try files.required(AzureTerraformEmitter.file) }
        return files.contains { $0.path == AzureEmitter.file } ? nil : files.first { $0.path == AzureTerraformEmitter.file }
    }

    /// The templates: the first, and the numbered ones of a split policy.
    func templates() throws -> [OutputFile] { try files.requiredSeries(AzureEmitter.file) }

    /// Each NSG's rules, Azure's default rules included, by priority; which NSG each workload
    /// takes; what each application security group stands for.
    func parse(_ plan: FirewallPlan) throws -> Templates {
        var result = Templates()
        var bySegment: [String: Int] = [:]
        var byName: [String: Int] = [:]
        var interfaces: [String: String] = [:]
        var merged: [String: [String]] = [:]
        if let terraform = try terraformFile() {
            try AzureTerraformReader(file: terraform).parse(
                into: &result, bySegment: &bySegment, byName: &byName, interfaces: &interfaces, merged: &merged)
        }
        for file in try terraformFile() == nil ? templates() : [] {
            let root = try file.document()
            guard case .sequence(let resources)? = root["resources"]?.content else {
                throw ReadFailure(file.path, "the template has no resources")
            }
            for resource in resources where resource["type"]?.scalar == "Microsoft.Network/networkSecurityGroups" {
                guard let segment = resource["tags"]?["palisade-segment"]?.scalar else { throw ReadFailure(file.path, "an NSG without a segment tag") }
                let name = resource["name"]?.scalar ?? ""
                let items: [YAMLNode]
                if case .sequence(let list)? = resource["properties"]?["securityRules"]?.content { items = list } else { items = [] }
                byName[name] = result.names.count
                if resource["tags"]?["palisade-part"] == nil { bySegment[segment] = result.names.count }
                result.names.append(name)
                result.segments.append(segment)
                result.rules.append(Self.byPriority(try items.map { try rule($0, in: file.path) }))
            }
            for (output, into) in [(AzureEmitter.interfacesOutput, true), (AzureEmitter.membersOutput, false)] {
                guard let value = root["outputs"]?[output]?["value"] else { continue }
                guard case .mapping(let pairs) = value.content else { throw ReadFailure(file.path, "output \(output) is not an object") }
                for pair in pairs {
                    guard let key = pair.key.scalar, case .sequence(let names) = pair.value.content else {
                        throw ReadFailure(file.path, "output \(output) has an entry that is not a list of names")
                    }
                    if into {
                        for workload in names.compactMap(\.scalar) { interfaces[workload] = key }
                    } else {
                        merged[key] = names.compactMap(\.scalar)
                    }
                }
            }
        }
        for (index, identity) in plan.identities.enumerated() { result.members[AzurePlan.asg(identity, policy: policy)] = [index] }
        let identityByName = Dictionary(plan.identities.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
        for (group, names) in merged { result.members[group] = names.compactMap { identityByName[$0] } }
        result.nsgOf = policy.workloads.map { workload in
            if let nsg = interfaces[workload.name] { return byName[nsg] }
            return bySegment[policy.segments[workload.segment.index].name]
        }
        return result
    }

    func rule(_ item: YAMLNode, in file: String) throws -> Rule {
        let name = item["name"]?.scalar ?? ""
        // Every property in one pass over the pairs (the first of a key counts, as a lookup by
        // key finds it), not one search of them per key.
        var values: [YAMLNode?] = Array(repeating: nil, count: Self.ruleKeys.count)
        if case .mapping(let pairs)? = item["properties"]?.content {
            for pair in pairs {
                guard let slot = Self.ruleKeys[pair.name], values[slot] == nil else { continue }
                values[slot] = pair.value
            }
        }
        func value(_ key: RuleKey) -> YAMLNode? { values[key.rawValue] }
        func list(_ single: RuleKey, _ plural: RuleKey) -> [String] {
            if let value = value(single)?.scalar { return [value] }
            guard case .sequence(let values)? = value(plural)?.content else { return [] }
            return values.compactMap(\.scalar)
        }
        func groups(_ key: RuleKey) -> [String] {
            guard case .sequence(let values)? = value(key)?.content else { return [] }
            return values.compactMap { value in value["id"]?.scalar.flatMap(Self.groupName) }
        }
        func field<Value: RawRepresentable>(_ key: RuleKey, _ what: String, default fallback: String? = nil) throws -> Value where Value.RawValue == String {
            let text = value(key)?.scalar ?? fallback ?? ""
            guard let value = Value(rawValue: text) else { throw ReadFailure(file, "rule \(name): \(what) '\(text)' is not one an NSG takes") }
            return value
        }
        return Rule(
            name: name, direction: try field(.direction, "direction"), access: try field(.access, "access"),
            priority: value(.priority)?.scalar.flatMap { Int($0) } ?? 0, proto: try field(.protocol, "protocol", default: "*"),
            ports: try checkedPortTexts(list(.destinationPortRange, .destinationPortRanges), in: file, star: true, zeroMeansOne: true),
            sourceGroups: groups(.sourceApplicationSecurityGroups), sourcePrefixes: list(.sourceAddressPrefix, .sourceAddressPrefixes),
            destinationGroups: groups(.destinationApplicationSecurityGroups),
            destinationPrefixes: list(.destinationAddressPrefix, .destinationAddressPrefixes),
            description: "")
    }

    /// The properties of a rule the reader reads.
    enum RuleKey: Int, CaseIterable {
        case direction, access, priority, `protocol`, destinationPortRange, destinationPortRanges, sourceApplicationSecurityGroups
        case sourceAddressPrefix, sourceAddressPrefixes, destinationApplicationSecurityGroups, destinationAddressPrefix, destinationAddressPrefixes
    }

    static let ruleKeys: [String: Int] = Dictionary(uniqueKeysWithValues: RuleKey.allCases.map { ("\($0)", $0.rawValue) })

    /// The application security group a `resourceId(…)` names: the last but one of the
    /// non-empty pieces between its single quotes (`[resourceId('…/applicationSecurityGroups',
    /// 'NAME')]`), found from the end without splitting the whole text.
    static func groupName(_ id: String) -> String? {
        let bytes = id.utf8
        var end = bytes.endIndex
        var pieces = 0
        var index = end
        while index > bytes.startIndex {
            let before = bytes.index(before: index)
            if bytes[before] == UInt8(ascii: "'") {
                if index < end {
                    pieces += 1
                    if pieces == 2 { return String(id[index..<end]) }
                }
                end = before
            }
            index = before
        }
        // The first piece, when the text does not start with a quote.
        if bytes.startIndex < end {
            pieces += 1
            if pieces == 2 { return String(id[bytes.startIndex..<end]) }
        }
        return nil
    }

    /// An NSG's rules and Azure's defaults after them, by priority. Rules that come in
    /// priority order already (the plan's do, and the defaults' priorities are above any an
    /// NSG's own rule takes) are kept as they are, without a sort: the same order the sort
    /// gives them, as it keeps rules of equal priority in place.
    static func byPriority(_ rules: [Rule]) -> [Rule] {
        let all = rules + defaults
        var ordered = true
        for index in all.indices.dropFirst() where all[index - 1].priority > all[index].priority {
            ordered = false
            break
        }
        return ordered ? all : all.sorted { $0.priority < $1.priority }
    }

    /// Azure's default rules, under every NSG's own (VirtualNetwork: every workload; Internet:
    /// every external address).
    static let defaults: [Rule] = [
        defaultRule("AllowVnetInBound", .inbound, .allow, 65000, from: "VirtualNetwork", to: "VirtualNetwork"),
        defaultRule("DenyAllInBound", .inbound, .deny, 65500, from: "*", to: "*"),
        defaultRule("AllowVnetOutBound", .outbound, .allow, 65000, from: "VirtualNetwork", to: "VirtualNetwork"),
        defaultRule("AllowInternetOutBound", .outbound, .allow, 65001, from: "*", to: "Internet"),
        defaultRule("DenyAllOutBound", .outbound, .deny, 65500, from: "*", to: "*"),
    ]

    static func defaultRule(_ name: String, _ direction: Rule.Direction, _ access: Rule.Access, _ priority: Int, from: String, to: String) -> Rule {
        Rule(
            name: name, direction: direction, access: access, priority: priority, proto: .any, ports: ["*"],
            sourcePrefixes: [from], destinationPrefixes: [to], description: "")
    }

    // MARK: Values

    /// The ports a rule's protocol and port list cover; `*` is every protocol.
    static func portSet(_ proto: Rule.NSGProtocol, _ ports: [String]) -> PortSet {
        let protocols: [TransportProtocol] =
            switch proto {
            case .tcp: [.tcp]
            case .udp: [.udp]
            case .icmp: [.icmp]
            case .any: [.tcp, .udp, .sctp, .icmp]
            }
        var result = PortSet()
        for proto in protocols {
            if !proto.hasPorts || ports.contains("*") {
                result.formUnion(.whole(proto))
                continue
            }
            for text in ports {
                let bounds = text.split(separator: "-").compactMap { Int($0) }
                if let low = bounds.first, let high = bounds.last { result.formUnion(PortSet(PortRange(proto, max(low, 1), high))) }
            }
        }
        return result
    }

    static func addresses(_ prefixes: [String]) -> AddressSet {
        var parser = AddressRanges()
        return parser.addresses(prefixes)
    }
}

/// One side of a rule: the application security groups it names, or its address prefixes.
struct RuleSide {
    var groups: [String]
    var prefixes: [String]

    /// Every workload of the virtual network: any address, or the VirtualNetwork tag.
    var isWide: Bool { isOnly("*") || isOnly("VirtualNetwork") }

    /// Every external address: any address, or the Internet tag.
    var isInternet: Bool { isOnly("*") || isOnly("Internet") }

    /// Whether the side's prefixes are `prefix` alone (compared in place, with no array made
    /// to compare with).
    func isOnly(_ prefix: String) -> Bool { prefixes.count == 1 && prefixes[0] == prefix }
}

extension AzurePlan.Rule {
    /// The side of the workloads whose NSG holds the rule: the destination of an inbound
    /// rule, the source of an outbound one.
    var ownSide: RuleSide {
        direction == .inbound ? RuleSide(groups: destinationGroups, prefixes: destinationPrefixes) : RuleSide(groups: sourceGroups, prefixes: sourcePrefixes)
    }

    /// The other side: where inbound traffic comes from, where outbound traffic goes.
    var peerSide: RuleSide {
        direction == .inbound ? RuleSide(groups: sourceGroups, prefixes: sourcePrefixes) : RuleSide(groups: destinationGroups, prefixes: destinationPrefixes)
    }
}

/// NSG semantics over the rules of every NSG, in named steps: each rule compiled once (its
/// ports, the identities each side stands for), the rules indexed by the identities they are
/// about, which identity pairs some rule could allow, the first-match evaluation per
/// direction, and the external peers each workload's NSG lets in and out. No step compares
/// every identity of an NSG with every rule of it.
struct NSGSemantics {
    typealias Rule = AzurePlan.Rule

    /// A rule as it is evaluated.
    struct Compiled {
        var direction: Rule.Direction
        var allow: Bool
        var ports: PortSet
        /// Whether a side matches every workload (`*`, VirtualNetwork); else the identities its
        /// groups stand for (none for address prefixes).
        var ownWide: Bool
        var owners: [Int]
        var peerWide: Bool
        var peers: [Int]
        /// The external peers its peer side matches, when it names addresses.
        var external: ExternalSet?
    }

    /// Rules of one NSG about one identity (and peer), by position in the NSG's priority order.
    struct Key: Hashable {
        var nsg: Int
        var direction: Rule.Direction
        var identity: Int
        var peer: Int
    }

    let templates: AzureReader.Templates
    let plan: FirewallPlan
    let policy: Policy
    /// Each NSG's rules compiled, by priority; `nsgs` holds Azure's defaults alone at its end,
    /// for workloads without an NSG.
    let nsgs: [[Compiled]]

    init(templates: AzureReader.Templates, plan: FirewallPlan, policy: Policy) {
        self.templates = templates
        self.plan = plan
        self.policy = policy
        // A side of one group (most) takes that group's list as it is, no new array made.
        func identities(_ groups: [String]) -> [Int] {
            groups.count == 1 ? templates.members[groups[0]] ?? [] : groups.flatMap { templates.members[$0] ?? [] }
        }
        // Many rules name the same prefixes and ports (an external network, a service's
        // ports): each list is parsed once.
        var addressCache: [[String]: AddressSet] = [:]
        var parser = AddressRanges()
        func addresses(_ prefixes: [String]) -> AddressSet {
            if let known = addressCache[prefixes] { return known }
            let parsed = parser.addresses(prefixes)
            addressCache[prefixes] = parsed
            return parsed
        }
        struct PortsKey: Hashable {
            var proto: Rule.NSGProtocol
            var ports: [String]
        }
        var portCache: [PortsKey: PortSet] = [:]
        func portSet(_ proto: Rule.NSGProtocol, _ ports: [String]) -> PortSet {
            let key = PortsKey(proto: proto, ports: ports)
            if let known = portCache[key] { return known }
            let parsed = AzureReader.portSet(proto, ports)
            portCache[key] = parsed
            return parsed
        }
        nsgs = (templates.rules + [AzureReader.defaults]).map { rules in
            rules.map { rule in
                let (own, peer) = (rule.ownSide, rule.peerSide)
                let external: ExternalSet? =
                    peer.groups.isEmpty ? (peer.isInternet ? ExternalSet.any : ExternalSet(addresses: addresses(peer.prefixes))) : nil
                return Compiled(
                    direction: rule.direction, allow: rule.access == .allow, ports: portSet(rule.proto, rule.ports), ownWide: own.isWide,
                    owners: identities(own.groups), peerWide: peer.isWide, peers: identities(peer.groups), external: external)
            }
        }
    }

    func relation() -> Relation { groupedRelation().expanded }

    /// What the NSGs allow, by group: the workloads of one identity that take one NSG see the
    /// same rules, so each pair of groups is evaluated once and kept as one product.
    func groupedRelation() -> GroupedRelation {
        // Groups by (identity, NSG), in workload order.
        var groups: [[WorkloadID]] = []
        var groupNSG: [Int] = []
        var groupIdentity: [Int] = []
        var groupsOf: [Int: [Int]] = [:]
        var position: [Key: Int] = [:]
        for workload in policy.workloads {
            guard let identity = plan.identityOf[workload.id] else { continue }
            let nsg = nsg(of: workload.id)
            let key = Key(nsg: nsg, direction: .inbound, identity: identity, peer: -1)
            if let at = position[key] {
                groups[at].append(workload.id)
            } else {
                position[key] = groups.count
                groupsOf[identity, default: []].append(groups.count)
                groups.append([workload.id])
                groupNSG.append(nsg)
                groupIdentity.append(identity)
            }
        }
        var between: [GroupedRelation.Pair: PortSet] = [:]
        addBetweenGroups(to: &between, groupsOf: groupsOf, nsgOf: groupNSG)
        var ingress: [Int: ExternalRules] = [:]
        var egress: [Int: ExternalRules] = [:]
        addExternal(ingress: &ingress, egress: &egress, nsgOf: groupNSG, identityOf: groupIdentity)
        return GroupedRelation(groups: groups, between: between, ingress: ingress, egress: egress)
    }

    /// The NSG a workload's traffic passes: its own, or Azure's defaults alone.
    func nsg(of id: WorkloadID) -> Int { templates.nsgOf[id.index] ?? (nsgs.count - 1) }

    // MARK: Between workloads

    /// The rules that can decide traffic between workloads, per NSG and direction (at
    /// `slot(nsg, direction)`), in priority order: those whose own side names an identity, by
    /// that identity (`owned`), and those whose own side is wide (`wide`). Rules whose peer
    /// side names addresses concern external peers only and are left out. Arrays and integer
    /// keys, not one dictionary of composite keys per kind of rule: a pair's rules are one
    /// lookup and one merge of two ordered lists.
    struct RuleIndex {
        var owned: [[Int: [Int]]]
        var wide: [[Int]]
    }

    /// The index of an NSG's rules in one direction in a `RuleIndex`.
    static func slot(_ nsg: Int, _ direction: Rule.Direction) -> Int { nsg * 2 + (direction == .inbound ? 0 : 1) }

    func ruleIndex() -> RuleIndex {
        var index = RuleIndex(owned: Array(repeating: [:], count: nsgs.count * 2), wide: Array(repeating: [], count: nsgs.count * 2))
        for (nsg, rules) in nsgs.enumerated() {
            for (position, rule) in rules.enumerated() where rule.peerWide || !rule.peers.isEmpty {
                let slot = Self.slot(nsg, rule.direction)
                if rule.ownWide {
                    index.wide[slot].append(position)
                    continue
                }
                // An identity two of the rule's groups stand for takes the rule once.
                for own in rule.owners where index.owned[slot][own]?.last != position { index.owned[slot][own, default: []].append(position) }
            }
        }
        return index
    }

    /// The ports the rules of an NSG allow in one direction between the workloads of
    /// `identity` (its own side) and those of `peer`: the rules about both, from `index`, by
    /// first match.
    func allowedPorts(_ index: RuleIndex, nsg: Int, direction: Rule.Direction, identity: Int, peer: Int) -> PortSet {
        let slot = Self.slot(nsg, direction)
        let rules = nsgs[nsg]
        let owned = index.owned[slot][identity] ?? []
        let wide = index.wide[slot]
        var positions: [Int] = []
        positions.reserveCapacity(owned.count + wide.count)
        var (next, nextWide) = (0, 0)
        while next < owned.count || nextWide < wide.count {
            let position: Int
            if nextWide == wide.count || (next < owned.count && owned[next] < wide[nextWide]) {
                position = owned[next]
                next += 1
            } else {
                position = wide[nextWide]
                nextWide += 1
            }
            if rules[position].peerWide || rules[position].peers.contains(peer) { positions.append(position) }
        }
        return allowedPorts(rules, positions, direction: direction)
    }

    /// Identity pairs some rule could allow: those its groups name, or all of them when an
    /// allow matches every workload (a wildcard or VirtualNetwork ahead of every deny).
    func candidatePairs() -> Set<FirewallPlan.Pair> {
        var candidates = Set<FirewallPlan.Pair>()
        var everyPair = false
        for (nsg, rules) in nsgs.enumerated() {
            // Azure's defaults alone matter only for workloads without an NSG.
            if nsg == nsgs.count - 1, !templates.nsgOf.contains(nil) { continue }
            for rule in rules where rule.allow {
                let (sources, destinations) = rule.direction == .inbound ? (rule.peers, rule.owners) : (rule.owners, rule.peers)
                for source in sources {
                    for destination in destinations { candidates.insert(FirewallPlan.Pair(source: source, destination: destination)) }
                }
            }
            for direction in [Rule.Direction.inbound, .outbound] {
                for rule in rules where rule.direction == direction {
                    if !rule.allow, rule.ownWide, rule.peerWide, rule.ports == .all { break }
                    if rule.allow, rule.ownWide || rule.peerWide { everyPair = true }
                }
            }
        }
        if everyPair {
            for source in plan.identities.indices {
                for destination in plan.identities.indices { candidates.insert(FirewallPlan.Pair(source: source, destination: destination)) }
            }
        }
        return candidates
    }

    /// Every workload of the source identity reaches every workload of the destination where
    /// its NSG lets the traffic out and the destination's NSG lets it in. Evaluations are
    /// cached per (NSG, direction, identity, peer): workloads of one identity that take one
    /// NSG see the same rules, so each pair of groups (`groupsOf` an identity, each group's NSG
    /// in `nsgOf`) is intersected once.
    func addBetweenGroups(to between: inout [GroupedRelation.Pair: PortSet], groupsOf: [Int: [Int]], nsgOf: [Int]) {
        let index = ruleIndex()
        var cache: [Key: PortSet] = [:]
        func ports(_ nsg: Int, _ direction: Rule.Direction, _ identity: Int, _ peer: Int) -> PortSet {
            let key = Key(nsg: nsg, direction: direction, identity: identity, peer: peer)
            if let known = cache[key] { return known }
            let result = allowedPorts(index, nsg: nsg, direction: direction, identity: identity, peer: peer)
            cache[key] = result
            return result
        }
        for pair in candidatePairs() {
            var destinations: [(group: Int, ports: PortSet)]? = nil
            for source in groupsOf[pair.source] ?? [] {
                let out = ports(nsgOf[source], .outbound, pair.source, pair.destination)
                guard !out.isEmpty else { continue }
                if destinations == nil {
                    destinations = (groupsOf[pair.destination] ?? []).map { group in
                        (group, ports(nsgOf[group], .inbound, pair.destination, pair.source))
                    }
                }
                for destination in destinations ?? [] {
                    let both = out.intersection(destination.ports)
                    guard !both.isEmpty else { continue }
                    between[.init(source: source, destination: destination.group)] = both
                }
            }
        }
    }

    /// The ports the rules at `positions` (all about the pair, in priority order) allow in one
    /// direction: first match wins, so a rule decides only the ports no earlier rule decided.
    /// A deny decides its ports without a subtraction (what it decides is denied either way),
    /// and once every port is decided (Azure's default wide allow decides what is left) no
    /// later rule can change the result.
    func allowedPorts(_ rules: [Compiled], _ positions: [Int], direction: Rule.Direction) -> PortSet {
        var decided = PortSet()
        var allowed = PortSet()
        for position in positions where rules[position].direction == direction {
            let rule = rules[position]
            if rule.allow {
                let ports = rule.ports.subtracting(decided)
                allowed.formUnion(ports)
                decided.formUnion(ports)
            } else {
                decided.formUnion(rule.ports)
            }
            if decided == .all { break }
        }
        return allowed
    }

    // MARK: External peers

    /// The external peers each group's NSG lets in and out. Egress open to every address
    /// reaches every dns: name too. The rules about an identity are found by index, not by
    /// trying each rule of the NSG.
    func addExternal(ingress: inout [Int: ExternalRules], egress: inout [Int: ExternalRules], nsgOf: [Int], identityOf: [Int]) {
        var about: [Key: [Int]] = [:]
        var wide: [Int: [Int]] = [:]
        for (nsg, rules) in nsgs.enumerated() {
            for (position, rule) in rules.enumerated() where rule.external != nil {
                if rule.ownWide {
                    wide[nsg, default: []].append(position)
                } else {
                    for own in Set(rule.owners) { about[Key(nsg: nsg, direction: .inbound, identity: own, peer: -1), default: []].append(position) }
                }
            }
        }
        for group in nsgOf.indices {
            let nsg = nsgOf[group]
            let key = Key(nsg: nsg, direction: .inbound, identity: identityOf[group], peer: -1)
            let positions = ((about[key] ?? []) + (wide[nsg] ?? [])).sorted()
            let (inbound, outbound) = external(nsgs[nsg], positions)
            if !inbound.isEmpty { ingress[group] = inbound }
            if !outbound.isEmpty { egress[group] = outbound }
        }
    }

    func external(_ rules: [Compiled], _ positions: [Int]) -> (ingress: ExternalRules, egress: ExternalRules) {
        let ingress = ExternalRules(contributions: allowedExternal(rules, positions, direction: .inbound))
        let egress = ExternalRules(
            entries: ExternalRules(contributions: allowedExternal(rules, positions, direction: .outbound))
                .entries.map { entry in
                    var peers = entry.peers
                    if peers.addresses.isAll { peers.dns = .all }
                    return ExternalRules.Entry(ports: entry.ports, peers: peers)
                })
        return (ingress, egress)
    }

    /// The external peers and ports the rules at `positions` allow in one direction: first
    /// match wins, so an allow counts only where no earlier deny decided (what an earlier
    /// allow decided is allowed either way).
    func allowedExternal(_ rules: [Compiled], _ positions: [Int], direction: Rule.Direction) -> [ExternalRules.Contribution] {
        var allowed: [ExternalRules.Contribution] = []
        var denied: [ExternalRules.Contribution] = []
        for position in positions where rules[position].direction == direction {
            let rule = rules[position]
            guard let peers = rule.external, !peers.isEmpty else { continue }
            if !rule.allow {
                denied.append(.init(ports: rule.ports, peers: peers, deny: true))
            } else if denied.isEmpty {
                allowed.append(.init(ports: rule.ports, peers: peers, deny: false))
            } else {
                let fresh = ExternalRules(contributions: [.init(ports: rule.ports, peers: peers, deny: false)] + denied)
                allowed += fresh.entries.map { .init(ports: $0.ports, peers: $0.peers, deny: false) }
            }
        }
        return allowed
    }
}
