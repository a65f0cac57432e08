import Diagnostics
import IR

/// `palisade diff OLD NEW`: what a spec change opens, closes, relaxes and tightens, for review.
/// Workloads, segments and identities are matched by name. `DiffReport` (in Reports) renders it.
public struct SpecDiff: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Connections the new spec allows that the old did not.
        case opens
        /// Connections the old spec allowed that the new does not.
        case closes
        /// Runtime controls and grants that became weaker.
        case relaxes
        /// Runtime controls and grants that became stronger.
        case tightens
        /// Changes that are neither, such as another UID.
        case changes
    }

    public struct Change: Sendable {
        public var kind: Kind
        /// `connection`, `runtime`, `grant`, `workload`.
        public var subject: String
        public var text: String
        /// Where the new spec says it (or the old one, for what it no longer says).
        public var origin: SourceRange?
    }

    public let old: Policy
    public let new: Policy
    public private(set) var changes: [Change] = []

    public init(old: Policy, new: Policy) {
        self.old = old
        self.new = new
        workloads()
        connections()
        runtime()
        grants()
    }

    mutating func add(_ kind: Kind, _ subject: String, _ text: String, _ origin: SourceRange?) {
        changes.append(Change(kind: kind, subject: subject, text: text, origin: origin))
    }

    mutating func workloads() {
        let before = Set(old.workloads.map(\.name))
        let after = Set(new.workloads.map(\.name))
        for workload in new.workloads where !before.contains(workload.name) {
            let segment = new.segments[workload.segment.index].name
            add(.changes, "workload", "workload \(workload.name) added (segment \(segment), listens on \(workload.listens))", workload.origin)
        }
        for workload in old.workloads where !after.contains(workload.name) {
            add(.changes, "workload", "workload \(workload.name) removed", workload.origin)
        }
    }

    // MARK: Connections

    /// A relation keyed by workload names, so two specs compare whatever their order.
    struct NamedRelation {
        var pairs: [String: [String: PortSet]] = [:]
        var ingress: [String: ExternalRules] = [:]
        var egress: [String: ExternalRules] = [:]

        init(_ policy: Policy) {
            let name = { (id: WorkloadID) in policy.workloads[id.index].name }
            for (pair, ports) in policy.intent.betweenWorkloads { pairs[name(pair.source), default: [:]][name(pair.destination)] = ports }
            for (id, rules) in policy.intent.ingress { ingress[name(id)] = rules }
            for (id, rules) in policy.intent.egress { egress[name(id)] = rules }
        }
    }

    /// A policy's allow flows (their positions, in order) by the workload they reach, and those
    /// that reach the outside by the workload they leave: `flowOrigin` looks only at the flows
    /// that could answer, not at every flow for every change.
    struct FlowIndex {
        var reaching: [WorkloadID: [Int]] = [:]
        var leavingToOutside: [WorkloadID: [Int]] = [:]

        init(_ policy: Policy) {
            for (position, flow) in policy.flows.enumerated() where flow.action == .allow {
                for id in flow.destinations.workloads { reaching[id, default: []].append(position) }
                if !flow.destinations.external.isEmpty {
                    for id in flow.sources.workloads { leavingToOutside[id, default: []].append(position) }
                }
            }
        }
    }

    /// The first allow flow of `policy` that reaches `destination` (a workload name, or nil
    /// for the outside) from `source`.
    func flowOrigin(_ policy: Policy, _ index: FlowIndex, from source: String?, to destination: String?) -> SourceRange? {
        let id = { (name: String?) in name.flatMap { policy.workload(named: $0)?.id } }
        let sourceID = id(source)
        let destinationID = id(destination)
        func matches(_ flow: Flow) -> Bool {
            flow.action == .allow
                && (sourceID.map { flow.sources.workloads.contains($0) } ?? !flow.sources.external.isEmpty)
                && (destinationID.map { flow.destinations.workloads.contains($0) } ?? !flow.destinations.external.isEmpty)
        }
        let found: Int?
        if let destinationID {
            found = index.reaching[destinationID]?.first { matches(policy.flows[$0]) }
        } else if let sourceID {
            found = index.leavingToOutside[sourceID]?.first { matches(policy.flows[$0]) }
        } else {
            found = policy.flows.indices.first { matches(policy.flows[$0]) }
        }
        return found.map { policy.flows[$0].origin } ?? (destination ?? source).flatMap { policy.workload(named: $0)?.origin }
    }

    mutating func connections() {
        let before = NamedRelation(old)
        let after = NamedRelation(new)
        for (kind, from, to, policy) in [(Kind.opens, after, before, new), (.closes, before, after, old)] {
            let index = FlowIndex(policy)
            for (source, destinations) in from.pairs.sorted(by: { $0.key < $1.key }) {
                for (destination, allowed) in destinations.sorted(by: { $0.key < $1.key }) {
                    let ports = allowed.subtracting(to.pairs[source]?[destination] ?? PortSet())
                    guard !ports.isEmpty else { continue }
                    let what = source == destination ? "between replicas of \(source)" : "\(source) -> \(destination)"
                    add(kind, "connection", "\(what) on \(ports)", flowOrigin(policy, index, from: source, to: destination))
                }
            }
            for (workload, rules) in from.ingress.sorted(by: { $0.key < $1.key }) {
                for entry in rules.subtracting(to.ingress[workload] ?? ExternalRules()).entries {
                    let peers = IntentGraph.label(entry.peers, policy: policy, limit: nil)
                    add(kind, "connection", "\(peers) -> \(workload) on \(entry.ports)", flowOrigin(policy, index, from: nil, to: workload))
                }
            }
            for (workload, rules) in from.egress.sorted(by: { $0.key < $1.key }) {
                for entry in rules.subtracting(to.egress[workload] ?? ExternalRules()).entries {
                    let peers = IntentGraph.label(entry.peers, policy: policy, limit: nil)
                    add(kind, "connection", "\(workload) -> \(peers) on \(entry.ports)", flowOrigin(policy, index, from: workload, to: nil))
                }
            }
        }
    }

    // MARK: Runtime

    /// How a runtime key moved: weaker, stronger, or just different.
    enum Direction { case weaker, stronger, other }

    mutating func runtime() {
        for workload in new.workloads {
            guard let previous = old.workload(named: workload.name) else { continue }
            let a = previous.runtime
            let b = workload.runtime
            func report(_ key: RuntimeKey, part: String? = nil, _ direction: Direction, _ from: String, _ to: String) {
                let kind: Kind =
                    switch direction {
                    case .weaker: .relaxes
                    case .stronger: .tightens
                    case .other: .changes
                    }
                let setting = part.map { "\(key.name).\($0)" } ?? key.name
                add(kind, "runtime", "\(workload.name): \(setting) \(from) -> \(to)", b.origins[key] ?? workload.origin)
            }
            /// A flag whose unset value means the platform's default, `fallback`.
            func flag(_ key: RuntimeKey, _ old: Bool?, _ new: Bool?, safe: Bool, fallback: Bool) {
                guard old != new else { return }
                let text = { (value: Bool?) in value.map { "\($0)" } ?? "unset" }
                let (before, after) = (old ?? fallback, new ?? fallback)
                let direction: Direction = before == after ? .other : before == safe ? .weaker : .stronger
                report(key, direction, text(old), text(new))
            }
            if a.user != b.user {
                let direction: Direction = b.user == 0 ? .weaker : a.user == 0 ? .stronger : .other
                report(.user, direction, a.user.map(String.init) ?? "unset", b.user.map(String.init) ?? "unset")
            }
            flag(.runAsNonRoot, a.runAsNonRoot, b.runAsNonRoot, safe: true, fallback: false)
            flag(.privileged, a.privileged, b.privileged, safe: false, fallback: false)
            flag(.readOnlyRoot, a.readOnlyRoot, b.readOnlyRoot, safe: true, fallback: false)
            flag(.noNewPrivileges, a.noNewPrivileges, b.noNewPrivileges, safe: true, fallback: false)
            flag(.hostNetwork, a.hostNetwork, b.hostNetwork, safe: false, fallback: false)
            flag(.hostPID, a.hostPID, b.hostPID, safe: false, fallback: false)
            flag(.hostIPC, a.hostIPC, b.hostIPC, safe: false, fallback: false)
            for (key, before, after) in [(RuntimeKey.seccomp, a.seccomp, b.seccomp), (.apparmor, a.apparmor, b.apparmor)] where before != after {
                let confined = { (profile: SecurityProfile?) in profile != nil && profile != .unconfined }
                let direction: Direction =
                    confined(before) && !confined(after)
                    ? .weaker
                    : !confined(before) && confined(after) ? .stronger : .other
                report(key, direction, before.map { "\($0)" } ?? "unset", after.map { "\($0)" } ?? "unset")
            }
            let paths = (Set(a.writablePaths ?? []), Set(b.writablePaths ?? []))
            let added = (Set(a.capabilities?.add ?? []), Set(b.capabilities?.add ?? []))
            let dropped = (Set(a.capabilities?.drop ?? []), Set(b.capabilities?.drop ?? []))
            func names(_ set: Set<String>) -> String { set.sorted().joined(separator: ", ") }
            if !paths.1.subtracting(paths.0).isEmpty { report(.writablePaths, .weaker, "without", "with \(names(paths.1.subtracting(paths.0)))") }
            if !paths.0.subtracting(paths.1).isEmpty { report(.writablePaths, .stronger, "with", "without \(names(paths.0.subtracting(paths.1)))") }
            if !added.1.subtracting(added.0).isEmpty { report(.capabilities, part: "add", .weaker, "without", "with \(names(added.1.subtracting(added.0)))") }
            if !added.0.subtracting(added.1).isEmpty { report(.capabilities, part: "add", .stronger, "with", "without \(names(added.0.subtracting(added.1)))") }
            if !dropped.0.subtracting(dropped.1).isEmpty {
                report(.capabilities, part: "drop", .weaker, "with", "without \(names(dropped.0.subtracting(dropped.1)))")
            }
            if !dropped.1.subtracting(dropped.0).isEmpty {
                report(.capabilities, part: "drop", .stronger, "without", "with \(names(dropped.1.subtracting(dropped.0)))")
            }
            for (key, before, after) in [
                ("cpu", a.resources?.cpuMillis, b.resources?.cpuMillis),
                ("memory", a.resources?.memoryBytes, b.resources?.memoryBytes),
                ("pids", a.resources?.pids, b.resources?.pids),
            ] where before != after {
                // No limit now, or a higher one: weaker.
                let weaker = after.map { after in before.map { after > $0 } ?? false } ?? true
                let direction: Direction = weaker ? .weaker : .stronger
                report(.resources, part: key, direction, before.map(String.init) ?? "unlimited", after.map(String.init) ?? "unlimited")
            }
        }
    }

    // MARK: Grants

    mutating func grants() {
        func held(_ policy: Policy) -> [String: [String: Set<Action>]] {
            var result: [String: [String: Set<Action>]] = [:]
            for grant in policy.grants {
                let actions = policy.role(grant.role).effectiveActions
                for segment in grant.segments {
                    result[policy.identity(grant.identity).name, default: [:]][policy.segments[segment.index].name, default: []].formUnion(actions)
                }
            }
            return result
        }
        let before = held(old)
        let after = held(new)
        for identity in Set(before.keys).union(after.keys).sorted() {
            for segment in Set((before[identity] ?? [:]).keys).union((after[identity] ?? [:]).keys).sorted() {
                let a = before[identity]?[segment] ?? []
                let b = after[identity]?[segment] ?? []
                let gained = b.subtracting(a).sorted()
                let lost = a.subtracting(b).sorted()
                let origin = { (policy: Policy) in policy.grants.first { policy.identity($0.identity).name == identity }?.origin }
                if !gained.isEmpty { add(.relaxes, "grant", "\(identity) gains \(gained.map(\.rawValue).joined(separator: ", ")) on \(segment)", origin(new)) }
                if !lost.isEmpty {
                    add(.tightens, "grant", "\(identity) loses \(lost.map(\.rawValue).joined(separator: ", ")) on \(segment)", origin(old) ?? origin(new))
                }
            }
        }
    }
}
