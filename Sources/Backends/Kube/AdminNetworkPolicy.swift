import IR

// AdminNetworkPolicy and BaselineAdminNetworkPolicy (`policy.networking.k8s.io/v1alpha1`, the
// network-policy-api project), as the platform evaluates them for one direction of one pod:
//
// 1. AdminNetworkPolicies whose subject selects the pod, by ascending `priority`, each one's
//    rules in order: the first rule that matches a connection decides it. `Allow` and `Deny`
//    are final; `Pass` hands the connection to the next tier.
// 2. NetworkPolicy, as `ClusterNetwork` evaluates it.
// 3. For a pod no NetworkPolicy isolates in that direction, the BaselineAdminNetworkPolicy
//    (the cluster's one object named `default`): its first matching rule, `Allow` or `Deny`.
// 4. Whatever is left is allowed.
//
// Peers are pods (by namespace and pod selectors; pods on the host's network are never peers
// nor subjects) and, for egress, `networks` (CIDRs), which are taken to match outside
// addresses as NetworkPolicy ipBlocks are (a whole address family also matches names).

/// One AdminNetworkPolicy, or the BaselineAdminNetworkPolicy (`priority` nil).
struct AdminNetworkPolicy: Hashable {
    enum Action: String, Hashable {
        case allow = "Allow"
        case deny = "Deny"
        case pass = "Pass"
    }

    /// A subject or a peer.
    enum Peer: Hashable {
        /// Every pod of the namespaces the selector matches.
        case namespaces(LabelSelector)
        /// The pods `pods` matches in the namespaces `namespaces` matches.
        case pods(namespaces: LabelSelector, pods: LabelSelector)
        /// Addresses (egress only).
        case networks([CIDR])

        /// Whether the peer holds pods with `labels` in a namespace with `namespaceLabels`.
        func matches(namespaceLabels: [String: String], labels: [String: String]) -> Bool {
            switch self {
            case .namespaces(let selector): selector.matches(namespaceLabels)
            case .pods(let namespaces, let pods): namespaces.matches(namespaceLabels) && pods.matches(labels)
            case .networks: false
            }
        }

        /// The outside peers of a `networks` peer.
        var external: ExternalSet? {
            guard case .networks(let cidrs) = self else { return nil }
            let whole = cidrs.contains { $0 == .v4(0, prefix: 0) || $0 == .v6(0, prefix: 0) }
            return ExternalSet(addresses: cidrs.reduce(AddressSet.empty) { $0.union($1.addressSet) }, dns: whole ? .all : .none)
        }
    }

    struct Rule: Hashable {
        var name: String
        var action: Action
        var peers: [Peer]
        /// nil: every port and protocol (ICMP too).
        var ports: [PolicyPort]?

        var portSet: PortSet {
            guard let ports else { return .all }
            return PortSet(unionOf: ports.lazy.map(\.ports))
        }
    }

    var name: String
    /// nil for the BaselineAdminNetworkPolicy.
    var priority: Int?
    var subject: Peer
    var ingress: [Rule]
    var egress: [Rule]

    var isBaseline: Bool { priority == nil }

    func rules(_ direction: ClusterNetwork.Direction) -> [Rule] { direction == .ingress ? ingress : egress }

    /// The actions its rules take.
    var actions: Set<Action> { Set((ingress + egress).map(\.action)) }
}

extension ClusterNetwork {
    /// What the admin tiers decide for one pod and direction: per peer workload the ports
    /// allowed and denied, and the same for outside peers. What they leave falls through.
    struct AdminVerdicts {
        var allow: [WorkloadID: PortSet] = [:]
        var deny: [WorkloadID: PortSet] = [:]
        var externalAllow = ExternalRules()
        var externalDeny = ExternalRules()
    }

    /// The verdicts of `policies` (already ordered) for a pod, first match wins; nil when no
    /// policy selects it.
    func verdicts(_ policies: [AdminNetworkPolicy], _ direction: Direction, for group: PodGroup, known: inout [[String]: AdminVerdicts]) -> AdminVerdicts? {
        let own = labels(of: group.namespace)
        let selecting = policies.filter { $0.subject.matches(namespaceLabels: own, labels: group.labels) && !$0.rules(direction).isEmpty }
        guard !group.hostNetwork, !selecting.isEmpty else { return nil }
        // The verdicts depend on which policies select the pod, not on the pod.
        let key = selecting.map(\.name)
        if let verdicts = known[key] { return verdicts }
        let verdicts = verdicts(selecting, direction)
        known[key] = verdicts
        return verdicts
    }

    /// The verdicts of the rules of `selecting`, in order.
    func verdicts(_ selecting: [AdminNetworkPolicy], _ direction: Direction) -> AdminVerdicts {
        var result = AdminVerdicts()
        var decided: [WorkloadID: PortSet] = [:]
        var externalDecided = ExternalRules()
        for policy in selecting {
            for rule in policy.rules(direction) {
                let ports = rule.portSet
                for peer in pods where !peer.hostNetwork {
                    let peerLabels = labels(of: peer.namespace)
                    guard rule.peers.contains(where: { $0.matches(namespaceLabels: peerLabels, labels: peer.labels) }) else { continue }
                    let fresh = ports.subtracting(decided[peer.workload] ?? PortSet())
                    guard !fresh.isEmpty else { continue }
                    switch rule.action {
                    case .allow: result.allow[peer.workload, default: PortSet()].formUnion(fresh)
                    case .deny: result.deny[peer.workload, default: PortSet()].formUnion(fresh)
                    case .pass: break
                    }
                    decided[peer.workload, default: PortSet()].formUnion(fresh)
                }
                guard direction == .egress else { continue }
                for peer in rule.peers {
                    guard let external = peer.external else { continue }
                    let match = ExternalRules(entries: [.init(ports: ports, peers: external)])
                    let fresh = match.subtracting(externalDecided)
                    switch rule.action {
                    case .allow: result.externalAllow = result.externalAllow.union(fresh)
                    case .deny: result.externalDeny = result.externalDeny.union(fresh)
                    case .pass: break
                    }
                    externalDecided = externalDecided.union(match)
                }
            }
        }
        return result
    }

    /// The AdminNetworkPolicies by ascending priority (then name, which the platform does not
    /// promise: `AdminNetworkPolicyOrder` refuses files where that would matter).
    var orderedAdminPolicies: [AdminNetworkPolicy] {
        adminPolicies.sorted { ($0.priority ?? 0, $0.name) < ($1.priority ?? 0, $1.name) }
    }

    /// Layers the admin tiers over what NetworkPolicy allows each pod (`allowed`, one per pod
    /// group): the BaselineAdminNetworkPolicy under pods no NetworkPolicy isolates, then the
    /// AdminNetworkPolicies over everything. A pod they touch gets its allowances per workload.
    func applyAdminTiers(_ direction: Direction, to allowed: inout [Allowed]) {
        let ordered = orderedAdminPolicies
        let baselines = baseline.map { [$0] } ?? []
        var known: [[String]: AdminVerdicts] = [:]
        var knownBaseline: [[String]: AdminVerdicts] = [:]
        for (position, group) in pods.enumerated() {
            var current = allowed[position]
            var changed = false
            if !current.isolated, let verdicts = verdicts(baselines, direction, for: group, known: &knownBaseline) {
                current = layer(verdicts, over: current)
                changed = true
            }
            if let verdicts = verdicts(ordered, direction, for: group, known: &known) {
                current = layer(verdicts, over: current)
                changed = true
            }
            if changed { allowed[position] = current }
        }
    }

    /// `verdicts` decided first, `base` for the rest: allow ∪ (base − allow − deny).
    func layer(_ verdicts: AdminVerdicts, over base: Allowed) -> Allowed {
        var result = Allowed()
        result.isolated = base.isolated
        var named: [WorkloadID: PortSet] = [:]
        for peer in pods {
            let workload = peer.workload
            var ports = base.ports(for: workload)
            if !peer.hostNetwork {
                let allow = verdicts.allow[workload] ?? PortSet()
                ports = allow.union(ports.subtracting(allow).subtracting(verdicts.deny[workload] ?? PortSet()))
            }
            if !ports.isEmpty { named[workload] = ports }
        }
        result.workloads = named.map { (workload: $0.key, ports: $0.value) }.sorted { $0.workload < $1.workload }
        result.external = verdicts.externalAllow.union(base.external.subtracting(verdicts.externalAllow).subtracting(verdicts.externalDeny))
        return result
    }

    /// The admin rules that decide `from` → `to` on some of `ports`, for `palisade explain`.
    func explainAdmin(_ direction: Direction, subject: PodGroup, peer: PodGroup?, external: ExternalSet?, ports: PortSet, what: String) -> [String] {
        var lines: [String] = []
        let own = labels(of: subject.namespace)
        for policy in orderedAdminPolicies + (baseline.map { [$0] } ?? []) {
            guard policy.subject.matches(namespaceLabels: own, labels: subject.labels) else { continue }
            for (index, rule) in policy.rules(direction).enumerated() {
                let common = rule.portSet.intersection(ports)
                guard !common.isEmpty else { continue }
                let matched = rule.peers.contains { candidate in
                    if let peer { return !peer.hostNetwork && candidate.matches(namespaceLabels: labels(of: peer.namespace), labels: peer.labels) }
                    if let external, let set = candidate.external { return !set.intersection(external).isEmpty }
                    return false
                }
                guard matched else { continue }
                let kind = policy.isBaseline ? "BaselineAdminNetworkPolicy" : "AdminNetworkPolicy"
                let rank = policy.priority.map { " (priority \($0))" } ?? ""
                lines.append(
                    "\(kind) \(policy.name)\(rank): \(direction == .ingress ? "ingress" : "egress") rule \(index + 1) '\(rule.name)': "
                        + "\(rule.action.rawValue) \(what) on \(common)")
            }
        }
        return lines
    }
}

/// The order of AdminNetworkPolicies that share a priority is not defined by the API: the
/// platform may apply either first. Harmless when all their rules take one action. (The
/// policies Palisade writes each have their own priority; this guards files from elsewhere.)
enum AdminNetworkPolicyOrder {
    /// A problem with `policies`' priorities, or nil.
    static func ambiguity(_ policies: [AdminNetworkPolicy]) -> String? {
        var byPriority: [Int: [AdminNetworkPolicy]] = [:]
        for policy in policies { byPriority[policy.priority ?? 0, default: []].append(policy) }
        for (priority, group) in byPriority.sorted(by: { $0.key < $1.key }) where group.count > 1 {
            let actions = group.reduce(into: Set<AdminNetworkPolicy.Action>()) { $0.formUnion($1.actions) }
            if actions.count > 1 {
                let names = group.map(\.name).sorted().joined(separator: ", ")
                return "AdminNetworkPolicies \(names) share priority \(priority) with different actions: the platform may apply either first"
            }
        }
        return nil
    }
}

/// The options `admin_network_policy` and `admin_network_policy_priority`, shared by the
/// `kubernetes` and `openshift` targets.
public struct AdminNetworkPolicyOptions: Sendable, Hashable {
    /// Write deny flows as AdminNetworkPolicies too.
    public var enabled = false
    /// The priority of the first AdminNetworkPolicy the policy writes (lower first); the others
    /// take the next ones, one each, in the order of their names.
    public var priority = AdminNetworkPolicyOptions.defaultPriority
    /// The priorities the platform takes: AdminNetworkPolicies past its end are not written.
    public var priorities = AdminNetworkPolicyOptions.priorities

    static let defaultPriority = 40
    /// The API's range.
    static let priorities = 0...1000
    /// OVN-Kubernetes (OpenShift) takes at most 100 AdminNetworkPolicies, priorities 0 to 99.
    static let ovnPriorities = 0...99

    /// `admin_network_policy`.
    static let enabledSpec = OptionSpec(
        name: "admin_network_policy",
        summary: "the cluster serves AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1): deny flows are also written as "
            + "AdminNetworkPolicy Deny rules, which no NetworkPolicy can reopen",
        defaultValue: "false", kind: .boolean)

    /// `admin_network_policy_priority`, within the platform's `priorities`.
    static func prioritySpec(_ priorities: ClosedRange<Int>) -> OptionSpec {
        OptionSpec(
            name: "admin_network_policy_priority",
            summary: "the priority of the first AdminNetworkPolicy written (lower is evaluated first); each next one, in the order of "
                + "their names, takes the next priority up to \(priorities.upperBound): keep that range free of the cluster's other "
                + "AdminNetworkPolicies",
            defaultValue: String(defaultPriority), kind: .integer(priorities))
    }

    public init() {}

    init(reading reader: inout OptionReader, priorities: ClosedRange<Int> = Self.priorities) {
        self.priorities = priorities
        enabled = reader.boolean("admin_network_policy", default: false)
        priority = reader.integer("admin_network_policy_priority", in: priorities, default: Self.defaultPriority)
    }
}
