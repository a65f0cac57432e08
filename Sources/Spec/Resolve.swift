import Diagnostics
import IR

/// The resolve pass: merges the definitions of every file (a name defined twice is an
/// error naming both places), checks names, and resolves networks and port sets to
/// normalized sets, reporting cycles.
struct ResolvePass {
    var diagnostics: [Diagnostic] = []
    let policyName: Located<String>?
    /// True when some file has a `segments` section; otherwise one segment is implied.
    let segmentsDeclared: Bool

    var networks: [String: Definition<[Located<AddressEntry>]>] = [:]
    var portSets: [String: Definition<[Located<PortEntry>]>] = [:]
    var segments: [String: Definition<SegmentSyntax>] = [:]
    var identities: [String: Definition<IdentitySyntax>] = [:]
    var roles: [String: Definition<[Action]>] = [:]
    var secrets: [String: Definition<SecretSyntax>] = [:]
    var workloads: [String: Definition<WorkloadSyntax>] = [:]

    private var resolvedNetworks: [String: ExternalSet] = [:]
    private var resolvedPortSets: [String: ResolvedPorts] = [:]
    private var resolving: [String] = []
    /// Networks and port sets in a reported cycle, so each cycle is reported once.
    private var failed: Set<String> = []

    init(files: [SpecFile]) {
        policyName = files.first?.name
        segmentsDeclared = files.contains { $0.sections["segments"] != nil }
        networks = merge("network", files.map(\.networks))
        portSets = merge("port set", files.map(\.ports))
        segments = merge("segment", files.map(\.segments))
        identities = merge("identity", files.map(\.identities))
        roles = merge("role", files.map(\.roles))
        secrets = merge("secret", files.map(\.secrets))
        workloads = merge("workload", files.map(\.workloads))
        checkReservedNames()
        checkSharedNamespace()
    }

    private mutating func merge<Body>(_ kind: String, _ lists: [[Definition<Body>]]) -> [String: Definition<Body>] {
        var result: [String: Definition<Body>] = [:]
        result.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        for definition in lists.joined() {
            if let first = result[definition.name.value] {
                diagnostics.append(
                    .error(
                        .duplicateDefinition, "\(kind) '\(definition.name.value)' is defined twice", at: definition.name.range,
                        notes: [.init("first defined here", at: first.name.range)]))
                continue
            }
            result[definition.name.value] = definition
        }
        return result
    }

    private mutating func checkReservedNames() {
        // Each kind's definitions are asked for the two names directly: no list of every name
        // is built to search it.
        let kinds: [(String, [Located<String>?])] = [
            ("network", [networks["any"]?.name, networks["all"]?.name]), ("port set", [portSets["any"]?.name, portSets["all"]?.name]),
            ("segment", [segments["any"]?.name, segments["all"]?.name]), ("identity", [identities["any"]?.name, identities["all"]?.name]),
            ("role", [roles["any"]?.name, roles["all"]?.name]), ("secret", [secrets["any"]?.name, secrets["all"]?.name]),
            ("workload", [workloads["any"]?.name, workloads["all"]?.name]),
        ]
        for (kind, names) in kinds {
            for case let name? in names {
                diagnostics.append(.error(.reservedName, "'\(name.value)' is reserved and cannot name a \(kind)", at: name.range))
            }
        }
        for definition in portSets.values where TransportProtocol(name: definition.name.value) != nil {
            diagnostics.append(.error(.reservedName, "'\(definition.name.value)' is a protocol and cannot name a port set", at: definition.name.range))
        }
    }

    /// Workloads, segments and networks share one namespace.
    private mutating func checkSharedNamespace() {
        typealias Named = (kind: String, name: Located<String>)
        // Every definition of a name defined in more than one of the three kinds, in the order
        // workload, segment, network. A name is defined once per kind (merge keeps the first),
        // so only segment and network names can be shared: the workloads, by far the most, are
        // looked up, never gathered.
        var shared: [String: [Named]] = [:]
        for (name, segment) in segments {
            let entries: [Named?] = [workloads[name].map { ("workload", $0.name) }, ("segment", segment.name), networks[name].map { ("network", $0.name) }]
            let present = entries.compactMap { $0 }
            if present.count > 1 { shared[name] = present }
        }
        for (name, network) in networks where segments[name] == nil {
            if let workload = workloads[name] { shared[name] = [("workload", workload.name), ("network", network.name)] }
        }
        for (name, entries) in shared {
            let sorted = entries.sorted { $0.name.range < $1.name.range }
            for entry in sorted.dropFirst() {
                diagnostics.append(
                    .error(
                        .nameCollision, "\(entry.kind) '\(name)' has the name of \(sorted[0].kind) '\(name)'", at: entry.name.range,
                        notes: [.init("\(sorted[0].kind) '\(name)' is defined here", at: sorted[0].name.range)],
                        help: "workloads, segments and networks share one namespace; rename one of them"))
            }
        }
    }

    // MARK: Networks

    /// The external set a network stands for, with other networks expanded.
    mutating func network(_ name: String) -> ExternalSet? {
        if let done = resolvedNetworks[name] { return done }
        guard let definition = networks[name] else { return nil }
        if failed.contains("network:" + name) { return nil }
        if let start = resolving.firstIndex(of: "network:" + name) {
            failed.formUnion(resolving[start...])
            let chain = (resolving[start...].map { String($0.dropFirst("network:".count)) } + [name]).joined(separator: " -> ")
            diagnostics.append(.error(.referenceCycle, "network '\(name)' contains itself: \(chain)", at: definition.name.range))
            return nil
        }
        resolving.append("network:" + name)
        defer { resolving.removeLast() }
        // Addresses and names are gathered first and normalized once: a network of many entries
        // costs a sort, not a union per entry.
        var v4: [IntervalSet<UInt32>.Interval] = []
        var v6: [IntervalSet<UInt128>.Interval] = []
        var names: Set<String> = []
        var members: [ExternalSet] = []
        for entry in definition.body {
            switch entry.value {
            case .cidr(let cidr):
                let addresses = cidr.addressSet
                v4 += addresses.v4.intervals
                v6 += addresses.v6.intervals
            case .dns(let name): names.insert(name)
            case .name("any"): members.append(.any)
            case .name(let other):
                guard networks[other] != nil else {
                    diagnostics.append(unknown("network", other, at: entry.range, candidates: Array(networks.keys)))
                    continue
                }
                guard let nested = network(other) else { return nil }
                members.append(nested)
            }
        }
        members.append(ExternalSet(addresses: AddressSet(v4: IntervalSet(normalizing: v4), v6: IntervalSet(normalizing: v6)), dns: DNSNames(names)))
        let set = ExternalSet(unionOf: members)
        resolvedNetworks[name] = set
        return set
    }

    // MARK: Ports

    /// The ports of a list of entries: all of them, and those written out explicitly
    /// (which an allow naming a workload must not clip).
    mutating func ports(_ entries: [Located<PortEntry>]) -> ResolvedPorts {
        ResolvedPorts(unionOf: entries.compactMap { port($0) })
    }

    mutating func port(_ entry: Located<PortEntry>) -> ResolvedPorts? {
        switch entry.value {
        case .range(let range): return ResolvedPorts(whole: PortSet(range), explicit: range.proto.hasPorts ? PortSet(range) : PortSet())
        case .wholeProtocol(let proto): return ResolvedPorts(whole: .whole(proto), explicit: PortSet())
        case .all: return ResolvedPorts(whole: .all, explicit: PortSet())
        case .name(let name):
            guard portSets[name] != nil else {
                diagnostics.append(
                    unknown(
                        "port set", name, at: entry.range, candidates: Array(portSets.keys),
                        help: "port entries are PROTO/PORT, PROTO/LOW-HIGH, tcp, udp, sctp, icmp, all, or a port set name"))
                return nil
            }
            return portSet(name)
        }
    }

    mutating func portSet(_ name: String) -> ResolvedPorts? {
        if let done = resolvedPortSets[name] { return done }
        guard let definition = portSets[name] else { return nil }
        if failed.contains("ports:" + name) { return nil }
        if let start = resolving.firstIndex(of: "ports:" + name) {
            failed.formUnion(resolving[start...])
            let chain = (resolving[start...].map { String($0.dropFirst("ports:".count)) } + [name]).joined(separator: " -> ")
            diagnostics.append(.error(.referenceCycle, "port set '\(name)' contains itself: \(chain)", at: definition.name.range))
            return nil
        }
        resolving.append("ports:" + name)
        defer { resolving.removeLast() }
        var parts: [ResolvedPorts] = []
        for entry in definition.body {
            guard let resolved = port(entry) else { return nil }
            parts.append(resolved)
        }
        let result = ResolvedPorts(unionOf: parts)
        resolvedPortSets[name] = result
        return result
    }

    /// Resolves every network and port set once, so that cycles and dangling names are
    /// reported even in definitions no flow uses.
    mutating func resolveAllDefinitions() {
        for name in networks.keys.sorted() { _ = network(name) }
        for name in portSets.keys.sorted() { _ = portSet(name) }
    }

    func unknown(_ kind: String, _ name: String, at range: SourceRange, candidates: [String], help: String? = nil) -> Diagnostic {
        .error(.unknownReference, "unknown \(kind) '\(name)'", at: range, help: didYouMean(name, in: candidates) ?? help)
    }
}

/// Ports resolved from entries: all of them, and the explicitly written ones.
struct ResolvedPorts {
    var whole = PortSet()
    var explicit = PortSet()

    init(whole: PortSet = PortSet(), explicit: PortSet = PortSet()) {
        self.whole = whole
        self.explicit = explicit
    }

    /// Many entries' ports at once: one sort each, not one union per entry.
    init(unionOf parts: [ResolvedPorts]) {
        if parts.count == 1 {
            self = parts[0]
            return
        }
        whole = PortSet(unionOf: parts.lazy.map(\.whole))
        explicit = PortSet(unionOf: parts.lazy.map(\.explicit))
    }
}

/// The union of port sets; one set (a flow of one port entry, the usual case) is its own
/// union, without gathering and sorting its ranges again.
func portUnion(_ sets: [PortSet]) -> PortSet {
    switch sets.count {
    case 0: PortSet()
    case 1: sets[0]
    default: PortSet(unionOf: sets)
    }
}
