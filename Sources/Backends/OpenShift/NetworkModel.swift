import IR

// The network objects of a manifest file as the platform sees them, and their semantics:
// Kubernetes NetworkPolicy (a pod selected by no policy of a type allows all of that type;
// policies union; a connection needs egress at the source and ingress at the destination),
// the OVN-Kubernetes EgressFirewall (one per namespace, first match wins, only traffic
// leaving the cluster), and the Services and Routes that carry traffic from outside.
// The plan builds these objects from the intent and the reader parses them from the file;
// both compute what they allow with `ClusterNetwork`.

/// `matchLabels`: every label must be present with that value; empty selects everything.
/// `valuesIn` holds `matchExpressions` with operator `In` (the label present with one of the
/// values), which only AdminNetworkPolicies use here: NetworkPolicy selectors keep to
/// `matchLabels`.
struct LabelSelector: Hashable {
    var labels: [String: String]
    var valuesIn: [String: Set<String>] = [:]

    static let everything = LabelSelector(labels: [:])

    /// Equal selectors hash equally; a one-label selector (nearly every one) hashes its label
    /// directly rather than through a dictionary's hash, which seeds a hasher per element.
    func hash(into hasher: inout Hasher) {
        hasher.combine(labels.count)
        if labels.count == 1, let (key, value) = labels.first {
            hasher.combine(key)
            hasher.combine(value)
        } else if !labels.isEmpty {
            hasher.combine(labels)
        }
        if !valuesIn.isEmpty { hasher.combine(valuesIn) }
    }

    func matches(_ other: [String: String]) -> Bool {
        labels.allSatisfy { other[$0.key] == $0.value } && valuesIn.allSatisfy { key, values in other[key].map(values.contains) ?? false }
    }
}

/// One port entry of a NetworkPolicy rule: a protocol, and a port or range (nil: every port).
struct PolicyPort: Hashable {
    var proto: TransportProtocol
    var port: Int?
    var endPort: Int?

    var ports: PortSet { PortSet(range) }

    /// The entry's ports as one range: the protocol's whole range when it names no port.
    var range: PortRange {
        guard let port else { return PortRange(proto, 1, 65535) }
        return PortRange(proto, port, endPort ?? port)
    }

    /// The entries for a port set; nil when NetworkPolicy cannot name part of it (ICMP).
    static func entries(_ set: PortSet) -> [PolicyPort]? {
        var result: [PolicyPort] = []
        for range in set.ranges {
            guard range.proto.hasPorts else { return nil }
            if range.isWholeProtocol {
                result.append(PolicyPort(proto: range.proto))
            } else {
                result.append(PolicyPort(proto: range.proto, port: range.lower, endPort: range.upper == range.lower ? nil : range.upper))
            }
        }
        return result
    }
}

/// A peer of a NetworkPolicy rule.
enum PolicyPeer: Hashable {
    /// Pods: `namespaceSelector` nil means the policy's own namespace.
    case pods(namespaces: LabelSelector?, pods: LabelSelector?)
    case block(cidr: CIDR, except: [CIDR])

    var addresses: AddressSet {
        guard case .block(let cidr, let except) = self else { return .empty }
        return except.reduce(cidr.addressSet) { $0.subtracting($1.addressSet) }
    }

    /// The ipBlocks for an address set, as few CIDRs as possible: the set's own prefixes, or
    /// (when `wholeFamily`) a whole address family with `except` when its complement is
    /// shorter. A whole family also matches every name: callers that must not let names
    /// through pass `wholeFamily: false`.
    static func blocks(_ set: AddressSet, wholeFamily: Bool = true) -> [PolicyPeer] {
        var result: [PolicyPeer] = []
        for (whole, part) in [(CIDR.v4(0, prefix: 0), AddressSet(v4: set.v4)), (.v6(0, prefix: 0), AddressSet(v6: set.v6))] {
            guard !part.isEmpty else { continue }
            let own = part.cidrs
            let complement = whole.addressSet.subtracting(part).cidrs
            if wholeFamily, complement.count + 1 < own.count {
                result.append(.block(cidr: whole, except: complement))
            } else if own == [whole] && !wholeFamily {
                // A whole family would match every name too: its two halves match addresses only.
                let halves: [CIDR] = whole == .v4(0, prefix: 0) ? [.v4(0, prefix: 1), .v4(1 << 31, prefix: 1)] : [.v6(0, prefix: 1), .v6(1 << 127, prefix: 1)]
                result += halves.map { .block(cidr: $0, except: []) }
            } else {
                result += own.map { .block(cidr: $0, except: []) }
            }
        }
        return result
    }
}

/// An ingress or egress rule: nil peers or nil ports mean everyone and every port.
struct PolicyRule: Hashable {
    var peers: [PolicyPeer]?
    var ports: [PolicyPort]?
    /// `dns:` names the rule also lets out to (a CiliumNetworkPolicy's `toFQDNs`; never in a
    /// NetworkPolicy, whose peers cannot name them).
    var names: DNSNames = .none

    var portSet: PortSet {
        guard let ports else { return .all }
        // One entry (most rules): its range without a list of ranges in between.
        if ports.count == 1 { return ports[0].ports }
        // The entries' ranges normalized at once: one set built, where a set per entry and a
        // union into the result each allocated (most of the rule's cost in the relation).
        return PortSet(ports.map(\.range))
    }
}

struct NetworkPolicy: Hashable {
    var name: String
    var namespace: String
    var podSelector: LabelSelector
    /// nil when the policy does not list `Ingress` in its `policyTypes`.
    var ingress: [PolicyRule]?
    var egress: [PolicyRule]?
}

/// One rule of an EgressFirewall.
struct EgressFirewallRule: Hashable {
    enum Destination: Hashable {
        case cidr(CIDR)
        case dnsName(String)
    }

    var allow: Bool
    var to: Destination
    /// Single ports; nil matches every port and protocol.
    var ports: [PortRange]?

    /// What the rule matches. A name resolves to addresses nobody knows in advance: a name rule
    /// matches that name only, and a CIDR rule matches names only when it is a whole address
    /// family (`0.0.0.0/0`, `::/0`).
    var match: ExternalRules {
        let peers: ExternalSet
        switch to {
        case .cidr(let cidr):
            let whole = cidr == .v4(0, prefix: 0) || cidr == .v6(0, prefix: 0)
            peers = ExternalSet(addresses: cidr.addressSet, dns: whole ? .all : .none)
        case .dnsName(let name):
            peers = ExternalSet(dns: DNSNames([DNSNames.normalize(name)]))
        }
        let portSet = ports.map { PortSet($0) } ?? .all
        return ExternalRules(entries: [.init(ports: portSet, peers: peers)])
    }

    /// The single ports an EgressFirewall rule can list for a port set, or nil (every port)
    /// when the set holds ICMP or more than `limit` ports.
    static func ports(_ set: PortSet, limit: Int = 32) -> [PortRange]? {
        var result: [PortRange] = []
        for range in set.ranges {
            guard range.proto.hasPorts, result.count + range.upper - range.lower < limit else { return nil }
            for port in range.lower...range.upper { result.append(PortRange(range.proto, port, port)) }
        }
        return result
    }
}

struct EgressFirewall: Hashable {
    var namespace: String
    var rules: [EgressFirewallRule]

    /// What the rules let out: first match wins, and what no rule matches is allowed.
    ///
    /// From the last rule back: what the rules from an allow on let out is its match plus what
    /// the later rules let out, and from a deny on, what the later rules let out less its
    /// match. A run of allows (or of denies) is one union (or difference), so the cost follows
    /// the number of runs, not of rules.
    var allowed: ExternalRules {
        var result = ExternalRules(entries: [.init(ports: .all, peers: .any)])
        var end = rules.count
        while end > 0 {
            let allow = rules[end - 1].allow
            var start = end - 1
            while start > 0, rules[start - 1].allow == allow { start -= 1 }
            var contributions = result.entries.map { ExternalRules.Contribution(ports: $0.ports, peers: $0.peers, deny: false) }
            for rule in rules[start..<end] {
                contributions += rule.match.entries.map { .init(ports: $0.ports, peers: $0.peers, deny: !allow) }
            }
            result = ExternalRules(contributions: contributions)
            end = start
        }
        return result
    }
}

/// A LoadBalancer Service: the ports it carries from outside to the pods it selects, from
/// the sources `loadBalancerSourceRanges` allows (every address when empty). With
/// `externalTrafficPolicy: Local` the pods see the client's address; with `Cluster` the
/// node's, so NetworkPolicy ipBlocks cannot tell clients apart and nothing is counted.
struct LoadBalancer: Hashable {
    var name: String
    var namespace: String
    var selector: LabelSelector
    var ports: [PortRange]
    var sourceRanges: [CIDR]
    var preservesClientAddress: Bool
    /// `ipFamilyPolicy: PreferDualStack`; otherwise the Service has the cluster's primary
    /// family only, taken to be IPv4.
    var dualStack: Bool
    /// A NodePort Service instead: clients reach it on every node's port, and
    /// `loadBalancerSourceRanges` does not apply (NetworkPolicy ipBlocks filter them).
    var nodePort = false

    var delivers: ExternalRules {
        guard preservesClientAddress else { return ExternalRules() }
        var sources = sourceRanges.isEmpty || nodePort ? AddressSet.all : sourceRanges.reduce(AddressSet.empty) { $0.union($1.addressSet) }
        if !dualStack { sources = AddressSet(v4: sources.v4) }
        return ExternalRules(entries: [.init(ports: PortSet(ports), peers: ExternalSet(addresses: sources))])
    }
}

/// A Route through the cluster's ingress routers to one TCP port of the pods a Service
/// selects; the router's IP allowlist (every address when nil) filters clients, and the pods
/// see the router as the source.
struct Route: Hashable {
    var name: String
    var namespace: String
    var selector: LabelSelector
    var port: Int
    var allowlist: [CIDR]?

    var delivers: ExternalRules {
        let sources = allowlist.map { $0.reduce(AddressSet.empty) { $0.union($1.addressSet) } } ?? .all
        return ExternalRules(entries: [.init(ports: PortSet(PortRange(.tcp, port, port)), peers: ExternalSet(addresses: sources))])
    }
}

/// The pods of one workload as NetworkPolicy sees them.
struct PodGroup: Hashable {
    var workload: WorkloadID
    var namespace: String
    var labels: [String: String]
    /// A pod on the host's network is outside NetworkPolicy (its traffic is the node's: no
    /// policy selects it, as subject or as peer) and outside EgressFirewalls.
    var hostNetwork = false
}

/// Namespaces the platform brings, which generated policies select: the cluster DNS and the
/// ingress routers (`policy-group.network.openshift.io/ingress`).
enum PlatformPods {
    static let dnsNamespace = "openshift-dns"
    static let dnsLabels = ["dns.operator.openshift.io/daemonset-dns": "default"]
    static let dnsPorts = PortSet([PortRange(.udp, 5353, 5353), PortRange(.tcp, 5353, 5353)])
    static let routerNamespaceLabel = "policy-group.network.openshift.io/ingress"
    static let routerNamespace = "openshift-ingress"
    static let routerLabels = ["ingresscontroller.operator.openshift.io/deployment-ingresscontroller": "default"]
}

/// Everything that decides connectivity, and the relation it allows.
struct ClusterNetwork {
    var namespaces: [String: [String: String]]
    var pods: [PodGroup]
    var policies: [NetworkPolicy]
    var firewalls: [EgressFirewall]
    var loadBalancers: [LoadBalancer]
    var routes: [Route]
    /// AdminNetworkPolicies, evaluated before NetworkPolicy (`AdminNetworkPolicy.swift`).
    var adminPolicies: [AdminNetworkPolicy] = []
    /// The BaselineAdminNetworkPolicy `default`, evaluated for traffic no NetworkPolicy isolates.
    var baseline: AdminNetworkPolicy? = nil
    /// CiliumNetworkPolicies, as egress policies whose rules may name `dns:` names: Cilium
    /// enforces them together with the NetworkPolicies (a pod any of them selects is isolated,
    /// and their allows add up).
    var ciliumPolicies: [NetworkPolicy] = []

    enum Direction { case ingress, egress }

    /// What the policies of `direction` allow for one pod group: to or from other pod groups
    /// (by workload, plus `everyone` for every pod), and to or from addresses.
    struct Allowed {
        var everyone = PortSet()
        /// The ports for peer workloads named by the rules, by ascending workload, each once:
        /// found by binary search, with no hashing and no dictionary built per pod.
        var workloads: [(workload: WorkloadID, ports: PortSet)] = []
        var external = ExternalRules()
        var isolated = false

        func ports(for workload: WorkloadID) -> PortSet {
            // Most pods allow peers by name only, or everyone only: no union to build.
            guard let named = named(workload) else { return everyone }
            return everyone.isEmpty ? named : everyone.union(named)
        }

        /// The ports the rules name `workload` for, nil when they do not name it.
        func named(_ workload: WorkloadID) -> PortSet? {
            var low = 0
            var high = workloads.count
            while low < high {
                let middle = (low + high) / 2
                if workloads[middle].workload < workload { low = middle + 1 } else { high = middle }
            }
            return low < workloads.count && workloads[low].workload == workload ? workloads[low].ports : nil
        }
    }

    /// One more than the largest workload index of the pods: the size of tables by workload.
    var workloadBound: Int { (pods.map(\.workload.index).max() ?? -1) + 1 }

    /// The ports allowed to or from each workload while one `Allowed` is gathered, found
    /// through a table indexed by workload (no hash per matched pod) and sorted by workload
    /// once for `Allowed.workloads`. One is reused for every pod of a direction.
    struct WorkloadPorts {
        /// By `WorkloadID.index`: the position in `entries` of that workload's ports, or -1.
        private var slots: [Int]
        private var entries: [(workload: WorkloadID, ports: PortSet)] = []

        init(workloads: Int) { slots = Array(repeating: -1, count: workloads) }

        /// Adds `ports` to what `workload` is allowed (an entry even when `ports` is empty).
        mutating func add(_ ports: PortSet, to workload: WorkloadID) {
            let slot = slots[workload.index]
            if slot >= 0 {
                entries[slot].ports.formUnion(ports)
            } else {
                slots[workload.index] = entries.count
                entries.append((workload, ports))
            }
        }

        /// The ports gathered so far by ascending workload; empties the table for the next pod.
        mutating func take() -> [(workload: WorkloadID, ports: PortSet)] {
            for entry in entries { slots[entry.workload.index] = -1 }
            let result = entries.sorted { $0.workload < $1.workload }
            entries.removeAll(keepingCapacity: true)
            return result
        }
    }

    func labels(of namespace: String) -> [String: String] {
        if let labels = namespaces[namespace] { return labels }
        switch namespace {
        case PlatformPods.dnsNamespace: return ["kubernetes.io/metadata.name": namespace]
        case PlatformPods.routerNamespace: return ["kubernetes.io/metadata.name": namespace, PlatformPods.routerNamespaceLabel: ""]
        default: return ["kubernetes.io/metadata.name": namespace]
        }
    }

    /// Lookups that keep evaluation linear in the objects and in what they allow: pods and
    /// namespaces by label (key=value to the pods or namespaces that carry it), and for each
    /// pod the policies that select it. A selector is evaluated through the shortest posting
    /// list of its labels, never by testing it against every pod.
    struct Index {
        /// Pod positions by label (key and value together: one hash per lookup), ascending.
        var postings: [Label: [Int]] = [:]
        /// Pod positions by namespace, ascending.
        var podsIn: [String: [Int]] = [:]
        /// Namespaces that hold pods, by label key and value, and all of them.
        var namespacePostings: [String: [String: [String]]] = [:]
        var namespaceNames: [String] = []
        /// For each pod position, the positions (in `policies`) of the policies that select it.
        var selecting: [[Int]]

        /// A label key and value, as one posting key: hashed on its value alone (the pods'
        /// labels share a few keys, and hashing the key's bytes too doubled the cost of a
        /// lookup), compared in full.
        struct Label: Hashable {
            var key: String
            var value: String

            func hash(into hasher: inout Hasher) { hasher.combine(value) }
        }

        init(_ network: ClusterNetwork) {
            selecting = Array(repeating: [], count: network.pods.count)
            for (position, group) in network.pods.enumerated() {
                if podsIn[group.namespace] == nil { namespaceNames.append(group.namespace) }
                podsIn[group.namespace, default: []].append(position)
                for (key, value) in group.labels { postings[Label(key: key, value: value), default: []].append(position) }
            }
            for namespace in namespaceNames {
                for (key, value) in network.labels(of: namespace) { namespacePostings[key, default: [:]][value, default: []].append(namespace) }
            }
            for (position, policy) in network.policies.enumerated() {
                for pod in pods(matching: policy.podSelector, in: [policy.namespace], network) { selecting[pod].append(position) }
            }
        }

        /// The namespaces holding pods that `selector` matches.
        func namespaces(matching selector: LabelSelector, _ network: ClusterNetwork) -> [String] {
            guard
                let (key, value) = selector.labels.min(by: {
                    namespacePostings[$0.key]?[$0.value]?.count ?? 0 < namespacePostings[$1.key]?[$1.value]?.count ?? 0
                })
            else { return namespaceNames }
            return (namespacePostings[key]?[value] ?? []).filter { selector.matches(network.labels(of: $0)) }
        }

        /// The positions of the pods in `namespaces` (nil: any) that `selector` matches, ascending.
        func pods(matching selector: LabelSelector, in namespaces: [String]?, _ network: ClusterNetwork) -> [Int] {
            if let (key, value) = selector.labels.min(by: { posting($0.key, $0.value).count < posting($1.key, $1.value).count }) {
                // One namespace (nearly always) is compared, not hashed into a set; a selector of
                // one label is the posting list itself.
                let only = namespaces?.count == 1 ? namespaces?.first : nil
                let allowed = only == nil ? namespaces.map(Set.init) : nil
                let posted = selector.labels.count == 1 && selector.valuesIn.isEmpty
                return posting(key, value).filter { position in
                    let pod = network.pods[position]
                    let inNamespace = only.map { $0 == pod.namespace } ?? allowed?.contains(pod.namespace) ?? true
                    return inNamespace && (posted || selector.matches(pod.labels))
                }
            }
            guard let namespaces else { return Array(network.pods.indices) }
            return namespaces.flatMap { podsIn[$0] ?? [] }.sorted()
        }

        /// The pods of any namespace carrying a one-label selector's label, ascending: the pods
        /// it matches before their namespace is checked; nil for any other selector.
        func posted(_ selector: LabelSelector) -> [Int]? {
            guard selector.labels.count == 1, selector.valuesIn.isEmpty, let (key, value) = selector.labels.first else { return nil }
            return posting(key, value)
        }

        /// The pods carrying label `key` with `value`, ascending.
        func posting(_ key: String, _ value: String) -> [Int] { postings[Label(key: key, value: value)] ?? [] }

        /// `posted(selector)`, found first in `known` by the storage of the selector's labels
        /// (`PostedLabels`), where a plan's peers, copies of one selector per workload, find it
        /// without hashing the label's strings. An entry holds the labels it was made for, so
        /// their storage is neither freed nor reused while `known` names it.
        func posted(_ selector: LabelSelector, known: inout [PostedLabels: (labels: [String: String], posted: [Int]?)]) -> [Int]? {
            guard let identity = PostedLabels(selector) else { return posted(selector) }
            if let entry = known[identity] { return entry.posted }
            let result = posted(selector)
            known[identity] = (selector.labels, result)
            return result
        }

        /// The pods a peer entry of a policy in `policyNamespace` matches (host-network pods
        /// included: callers leave them out).
        func pods(_ namespaces: LabelSelector?, _ selector: LabelSelector?, policyNamespace: String, _ network: ClusterNetwork) -> [Int] {
            let inNamespaces = namespaces.map { self.namespaces(matching: $0, network) } ?? [policyNamespace]
            return pods(matching: selector ?? .everything, in: inNamespaces, network)
        }
    }

    /// A selector's label dictionary by its storage: equal while the dictionary is alive
    /// means the same dictionary, so the same labels (storage shared by copies is never
    /// changed in place). A table keyed by it keeps the dictionary alive (`Index.posted`).
    struct PostedLabels: Hashable {
        var storage: Int

        /// The identity of `selector`'s labels, nil for a selector with `In` expressions (which
        /// `posted` does not take) or without labels (whose empty dictionaries share storage).
        init?(_ selector: LabelSelector) {
            guard selector.valuesIn.isEmpty, !selector.labels.isEmpty else { return nil }
            precondition(MemoryLayout<[String: String]>.size == MemoryLayout<Int>.size)
            storage = withUnsafeBytes(of: selector.labels) { $0.loadUnaligned(as: Int.self) }
        }
    }

    /// The rules of `direction` of the policies at `positions` (those selecting one pod); nil
    /// when none of them isolates the pod for that direction.
    func rules(_ direction: Direction, policies positions: [Int]) -> [(NetworkPolicy, PolicyRule)]? {
        var isolated = false
        var result: [(NetworkPolicy, PolicyRule)] = []
        for position in positions {
            let policy = policies[position]
            guard let rules = direction == .ingress ? policy.ingress : policy.egress else { continue }
            isolated = true
            result += rules.map { (policy, $0) }
        }
        return isolated ? result : nil
    }

    /// Whether a peer entry of `policy` matches pods with `labels` in `namespace`.
    func peer(_ peer: PolicyPeer, of policy: NetworkPolicy, matches namespace: String, _ labels: [String: String]) -> Bool {
        guard case .pods(let namespaces, let pods) = peer else { return false }
        if let namespaces {
            guard namespaces.matches(self.labels(of: namespace)) else { return false }
        } else if namespace != policy.namespace {
            return false
        }
        return (pods ?? .everything).matches(labels)
    }

    /// What the rules of `direction` of the policies at `positions` allow; pods selected by
    /// the same policies share it. The rules are read in place (no list of policy and rule
    /// copies, whose retains dominated the relation's cost). `gathered` is empty before and after.
    func allowed(
        _ direction: Direction, policies positions: [Int], index: Index, peers: inout [PeerKey: [Int]],
        externals: inout [[ContributionKey]: ExternalRules], gathered: inout WorkloadPorts,
        posted: inout [PostedLabels: (labels: [String: String], posted: [Int]?)]
    ) -> Allowed {
        var result = Allowed()
        result.isolated = true
        var contributions: [ExternalRules.Contribution] = []
        for position in positions {
            guard let rules = direction == .ingress ? policies[position].ingress : policies[position].egress else { continue }
            for rule in rules {
                allow(
                    rule, namespace: policies[position].namespace, index: index, peers: &peers, into: &result, gathered: &gathered,
                    posted: &posted, contributions: &contributions)
            }
        }
        result.workloads = gathered.take()
        if !contributions.isEmpty {
            // Many pods are let in from (or out to) the same addresses: normalize each distinct
            // list once.
            let key = contributions.map { ContributionKey(ports: $0.ports, peers: $0.peers) }
            if let known = externals[key] {
                result.external = known
            } else {
                result.external = ExternalRules(contributions: contributions)
                externals[key] = result.external
            }
        }
        return result
    }

    /// What one rule of a policy in `namespace` adds to `result`: ports for everyone, or (in
    /// `gathered`) for the pods its peers match, and its external contributions.
    private func allow(
        _ rule: PolicyRule, namespace: String, index: Index, peers: inout [PeerKey: [Int]], into result: inout Allowed,
        gathered: inout WorkloadPorts, posted known: inout [PostedLabels: (labels: [String: String], posted: [Int]?)],
        contributions: inout [ExternalRules.Contribution]
    ) {
        let ports = rule.portSet
        guard let entries = rule.peers else {
            result.everyone.formUnion(ports)
            contributions.append(.init(ports: ports, peers: .any, deny: false))
            return
        }
        if !rule.names.isEmpty { contributions.append(.init(ports: ports, peers: ExternalSet(dns: rule.names), deny: false)) }
        for peer in entries {
            switch peer {
            case .block(let cidr, _):
                let whole = cidr == .v4(0, prefix: 0) || cidr == .v6(0, prefix: 0)
                contributions.append(.init(ports: ports, peers: ExternalSet(addresses: peer.addresses, dns: whole ? .all : .none), deny: false))
            case .pods(let namespaces, let selector):
                if let selector, namespaces?.valuesIn.isEmpty ?? true, let posted = index.posted(selector, known: &known) {
                    // A one-label pod selector (nearly every peer), in the policy's own namespace
                    // or in the namespaces a label selector picks: its posting list read in place
                    // costs less than hashing the peer for `peers`. The pods are read in place too
                    // (a copy of each was two retains and two releases).
                    for position in posted where !pods[position].hostNetwork {
                        guard namespaces.map({ $0.matches(labels(of: pods[position].namespace)) }) ?? (pods[position].namespace == namespace) else {
                            continue
                        }
                        gathered.add(ports, to: pods[position].workload)
                    }
                    continue
                }
                // One hash of the key whether it is known or not: the entry is looked up once
                // and filled in place.
                func matched(_ known: inout [Int]?) -> [Int] {
                    if let known { return known }
                    let matched = index.pods(namespaces, selector, policyNamespace: namespace, self).filter { !pods[$0].hostNetwork }
                    known = matched
                    return matched
                }
                for position in matched(&peers[PeerKey(peer: peer, namespace: namespaces == nil ? namespace : "")]) {
                    gathered.add(ports, to: pods[position].workload)
                }
            }
        }
    }

    /// An allowing contribution, as the key of its normalized rules.
    struct ContributionKey: Hashable {
        var ports: PortSet
        var peers: ExternalSet
    }

    /// What a pod lets out, and the namespace whose EgressFirewall filters it.
    struct FirewallKey: Hashable {
        var namespace: String
        var out: ExternalRules
    }

    /// A pods peer and the namespace it is relative to (empty when it names namespaces).
    struct PeerKey: Hashable {
        var peer: PolicyPeer
        var namespace: String
    }

    /// What the policies of `direction` allow for each pod, computed once per distinct set of
    /// selecting policies.
    func allowed(_ direction: Direction, index: Index, peers: inout [PeerKey: [Int]]) -> [Allowed] {
        var open = Allowed()
        open.everyone = .all
        open.external = ExternalRules(entries: [.init(ports: .all, peers: .any)])
        var known: [[Int]: Allowed] = [:]
        var externals: [[ContributionKey]: ExternalRules] = [:]
        var gathered = WorkloadPorts(workloads: workloadBound)
        var posted: [PostedLabels: (labels: [String: String], posted: [Int]?)] = [:]
        var result: [Allowed] = []
        result.reserveCapacity(pods.count)
        for (position, group) in pods.enumerated() {
            let selecting = index.selecting[position].filter { (direction == .ingress ? policies[$0].ingress : policies[$0].egress) != nil }
            guard !group.hostNetwork, !selecting.isEmpty else {
                result.append(open)
                continue
            }
            if let allowed = known[selecting] {
                result.append(allowed)
                continue
            }
            let allowed = allowed(direction, policies: selecting, index: index, peers: &peers, externals: &externals, gathered: &gathered, posted: &posted)
            known[selecting] = allowed
            result.append(allowed)
        }
        return result
    }

    /// Whether pods of the group at `position` may open connections to (egress) or accept
    /// them from (ingress) platform pods with `labels` in `namespace`, on `ports`.
    func allows(_ direction: Direction, _ position: Int, platform namespace: String, _ labels: [String: String], on ports: PortSet, index: Index) -> Bool {
        guard !pods[position].hostNetwork, let rules = rules(direction, policies: index.selecting[position]) else { return true }
        var covered = PortSet()
        for (policy, rule) in rules where rule.peers?.contains(where: { self.peer($0, of: policy, matches: namespace, labels) }) ?? true {
            covered.formUnion(rule.portSet)
        }
        return ports.isSubset(of: covered)
    }

    /// The connections these objects allow, workload to workload and with the outside. Each
    /// pod's allowances come from the rules that select it (evaluated through the label
    /// index); a pair is looked at only where a destination's ingress names its source or
    /// admits every pod, so the cost follows the rules and the relation, not the square of a
    /// namespace.
    var relation: Relation {
        if !ciliumPolicies.isEmpty {
            var merged = self
            merged.policies += ciliumPolicies
            merged.ciliumPolicies = []
            return merged.relation
        }
        var relation = Relation()
        let lookup = Index(self)
        var peers: [PeerKey: [Int]] = [:]
        var ingress = allowed(.ingress, index: lookup, peers: &peers)
        var egress = allowed(.egress, index: lookup, peers: &peers)
        if !adminPolicies.isEmpty || baseline != nil {
            applyAdminTiers(.ingress, to: &ingress)
            applyAdminTiers(.egress, to: &egress)
        }
        // The load balancers and routes that select each pod, in their order: found through
        // the label index, never by testing every selector against every pod of a namespace.
        var balancersOf = Array(repeating: [Int](), count: pods.count)
        for (position, balancer) in loadBalancers.enumerated() {
            for pod in lookup.pods(matching: balancer.selector, in: [balancer.namespace], self)
            where balancer.selector.valuesIn.isEmpty || balancer.selector.matches(pods[pod].labels) {
                balancersOf[pod].append(position)
            }
        }
        let delivered = loadBalancers.map(\.delivers)
        var routesOf = Array(repeating: [Int](), count: pods.count)
        for (position, route) in routes.enumerated() {
            for pod in lookup.pods(matching: route.selector, in: [route.namespace], self)
            where route.selector.valuesIn.isEmpty || route.selector.matches(pods[pod].labels) {
                routesOf[pod].append(position)
            }
        }
        var firewallAllows: [String: ExternalRules] = [:]
        for firewall in firewalls {
            firewallAllows[firewall.namespace] = intersection(
                firewallAllows[firewall.namespace] ?? ExternalRules(entries: [.init(ports: .all, peers: .any)]), firewall.allowed)
        }
        var firewalled: [FirewallKey: ExternalRules] = [:]
        // Tables by workload index (every workload named below is a pod's): each pod's
        // position (the last, for a workload of several), and the sources whose egress names
        // it; then the sources whose egress admits every pod.
        var index = Array(repeating: -1, count: workloadBound)
        for (position, group) in pods.enumerated() { index[group.workload.index] = position }
        var egressNames = Array(repeating: [WorkloadID](), count: index.count)
        var egressEveryone: [WorkloadID] = []
        for (position, group) in pods.enumerated() {
            if !egress[position].everyone.isEmpty { egressEveryone.append(group.workload) }
            for (destination, _) in egress[position].workloads { egressNames[destination.index].append(group.workload) }
        }
        // Each pair a destination's ingress names is looked at once: room for them all up front.
        relation.betweenWorkloads.reserveCapacity(ingress.reduce(0) { $0 + $1.workloads.count })
        for (position, group) in pods.enumerated() {
            let destination = group.workload
            var candidates = ingress[position].workloads.map(\.workload)
            if !ingress[position].everyone.isEmpty {
                var seen = Set(candidates)
                for source in egressNames[destination.index] where seen.insert(source).inserted { candidates.append(source) }
                for source in egressEveryone where seen.insert(source).inserted { candidates.append(source) }
            }
            for source in candidates {
                let sourcePosition = index[source.index]
                let ports = ingress[position].ports(for: source).intersection(egress[sourcePosition].ports(for: destination))
                if !ports.isEmpty { relation.betweenWorkloads[WorkloadPair(source, destination)] = ports }
            }
            // From outside: through a load balancer, as far as the pods' policies accept the
            // client's address; or through a route, where the policies let the router in and
            // the route's allowlist filters clients.
            var balanced = ExternalRules()
            for balancer in balancersOf[position] { balanced = balanced.union(delivered[balancer]) }
            var external = balanced.isEmpty ? balanced : intersection(balanced, ingress[position].external)
            for route in routesOf[position].lazy.map({ self.routes[$0] })
            where allows(
                .ingress, position, platform: PlatformPods.routerNamespace, PlatformPods.routerLabels, on: PortSet(PortRange(.tcp, route.port, route.port)),
                index: lookup)
            {
                external = external.union(route.delivers)
            }
            // On the host's network the pod listens on its node: whoever reaches the node
            // reaches it, on every port (the node's own firewall is outside the file).
            if group.hostNetwork { external = ExternalRules(entries: [.init(ports: .all, peers: ExternalSet(addresses: .all))]) }
            if !external.isEmpty { relation.ingress[destination] = external }

            var out = egress[position].external
            if !out.isEmpty, let allowed = firewallAllows[group.namespace], !group.hostNetwork {
                // Two set differences per pod: pods of a namespace that let out the same
                // addresses share them.
                let key = FirewallKey(namespace: group.namespace, out: out)
                if let known = firewalled[key] {
                    out = known
                } else {
                    out = intersection(out, allowed)
                    firewalled[key] = out
                }
            }
            if !out.isEmpty { relation.egress[destination] = out }
        }
        return relation
    }

    func intersection(_ lhs: ExternalRules, _ rhs: ExternalRules) -> ExternalRules {
        lhs.subtracting(lhs.subtracting(rhs))
    }
}

extension ClusterNetwork {
    /// The objects and rules that let `from` reach `to` on some of `ports`, named as in the
    /// file, for `palisade explain`.
    func explain(from: Endpoints, to: Endpoints, ports: PortSet, name: (WorkloadID) -> String) -> [String] {
        var lines: [String] = []
        let groups = Dictionary(pods.map { ($0.workload, $0) }, uniquingKeysWith: { first, _ in first })
        /// The rules of `direction` selecting `group` that match `matches` on some of `ports`.
        func matching(_ direction: Direction, _ group: PodGroup, _ what: String, _ matches: (NetworkPolicy, PolicyPeer) -> Bool, external: Bool) {
            var isolated = false
            for policy in policies where policy.namespace == group.namespace && policy.podSelector.matches(group.labels) {
                guard let rules = direction == .ingress ? policy.ingress : policy.egress else { continue }
                isolated = true
                for (index, rule) in rules.enumerated() {
                    let common = rule.portSet.intersection(ports)
                    guard !common.isEmpty, rule.peers?.contains(where: { matches(policy, $0) }) ?? true else { continue }
                    lines.append(
                        "NetworkPolicy \(policy.namespace)/\(policy.name): \(direction == .ingress ? "ingress" : "egress") rule \(index + 1) allows "
                            + "\(what) on \(common)"
                    )
                }
            }
            if !isolated {
                lines.append("no NetworkPolicy isolates \(name(group.workload)) for \(direction == .ingress ? "ingress" : "egress"): everything is allowed")
            }
        }
        for destination in to.workloads {
            guard let target = groups[destination] else { continue }
            for source in from.workloads {
                guard let origin = groups[source] else { continue }
                let what = "\(name(source)) -> \(name(destination))"
                lines += explainAdmin(.egress, subject: origin, peer: target, external: nil, ports: ports, what: what)
                lines += explainAdmin(.ingress, subject: target, peer: origin, external: nil, ports: ports, what: what)
                matching(
                    .egress, origin, "\(name(source)) -> \(name(destination))",
                    { policy, peer in self.peer(peer, of: policy, matches: target.namespace, target.labels) }, external: false)
                matching(
                    .ingress, target, "\(name(source)) -> \(name(destination))",
                    { policy, peer in self.peer(peer, of: policy, matches: origin.namespace, origin.labels) }, external: false)
            }
            if !from.external.isEmpty {
                let addresses = from.external.addresses
                for balancer in loadBalancers where balancer.namespace == target.namespace && balancer.selector.matches(target.labels) {
                    let carried = PortSet(balancer.ports).intersection(ports)
                    let sources = balancer.delivers.entries.first?.peers.addresses ?? .empty
                    if !carried.isEmpty, !sources.intersection(addresses).isEmpty {
                        lines.append("Service \(balancer.namespace)/\(balancer.name) (LoadBalancer) carries \(carried) from outside to \(name(destination))")
                    }
                }
                matching(
                    .ingress, target, "\(from.external.summary) -> \(name(destination))", { _, peer in !peer.addresses.intersection(addresses).isEmpty },
                    external: true)
                for route in routes where route.namespace == target.namespace && route.selector.matches(target.labels) && ports.contains(.tcp, route.port) {
                    let sources = route.delivers.entries.first?.peers.addresses ?? .empty
                    if !sources.intersection(addresses).isEmpty {
                        lines.append(
                            "Route \(route.namespace)/\(route.name) carries tcp/\(route.port) through the ingress routers to "
                                + "\(name(destination))\(route.allowlist == nil ? "" : " (its allowlist admits the sources)")"
                        )
                    }
                }
            }
        }
        if !to.external.isEmpty {
            for source in from.workloads {
                guard let origin = groups[source] else { continue }
                lines += explainAdmin(
                    .egress, subject: origin, peer: nil, external: to.external, ports: ports, what: "\(name(source)) -> \(to.external.summary)")
                let names = !to.external.dns.isEmpty
                matching(
                    .egress, origin, "\(name(source)) -> \(to.external.summary)",
                    { _, peer in
                        guard case .block(let cidr, _) = peer else { return false }
                        let whole = cidr == .v4(0, prefix: 0) || cidr == .v6(0, prefix: 0)
                        return !peer.addresses.intersection(to.external.addresses).isEmpty || (names && whole)
                    }, external: true)
                for firewall in firewalls where firewall.namespace == origin.namespace {
                    for (index, rule) in firewall.rules.enumerated() {
                        let match = rule.match
                        let overlap = match.entries.contains { entry in
                            !entry.ports.intersection(ports).isEmpty && !entry.peers.intersection(to.external).isEmpty
                        }
                        guard overlap else { continue }
                        let destination: String =
                            switch rule.to {
                            case .cidr(let cidr): "cidrSelector \(cidr)"
                            case .dnsName(let dnsName): "dnsName \(dnsName)"
                            }
                        lines.append(
                            "EgressFirewall \(firewall.namespace)/default: rule \(index + 1) \(rule.allow ? "Allow" : "Deny") "
                                + "\(destination)\(rule.ports.map { " on \(PortSet($0))" } ?? "") (the first rule that matches)"
                        )
                        break
                    }
                }
            }
        }
        return lines
    }
}
