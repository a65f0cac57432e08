import Diagnostics
import IR

/// Everything `manifests.yaml` holds, built from the IR: tenancy, identity, runtime and the
/// network objects. `network.relation` is what these objects allow, by the platform's rules.
struct OpenShiftPlan {
    struct Namespace {
        var name: String
        var segment: SegmentID
        var labels: [(String, String)]
    }

    struct ServiceAccount: Hashable {
        var name: String
        var namespace: String
    }

    struct Deployment {
        var workload: Workload
        var namespace: String
        var serviceAccount: String
        var labels: [(String, String)]
        var security: PodSecurity
        var scc: SecurityContextConstraints
    }

    /// A ClusterIP Service for a workload's ports.
    struct Service {
        var workload: Workload
        var namespace: String
        var ports: [PortRange]
    }

    let policy: Policy
    let options: OpenShiftOptions
    /// OpenShift, or plain Kubernetes (no SCCs, no EgressFirewalls, its own cluster DNS).
    let platform: KubePlatform
    /// Cilium on Kubernetes: `dns:` egress as CiliumNetworkPolicy `toFQDNs` rules
    /// (`network.ciliumPolicies`) instead of NetworkPolicy ipBlocks.
    let fqdnEgress: Bool
    var gaps: GapPolicy { options.gaps }
    var namespaces: [Namespace] = []
    var serviceAccounts: [ServiceAccount] = []
    var deployments: [Deployment] = []
    /// One per distinct runtime profile, by name.
    var sccs: [SecurityContextConstraints] = []
    var services: [Service] = []
    var roles: [RBACRole] = []
    var bindings: [RBACBinding] = []
    var network: ClusterNetwork
    /// `PolicyPeer.blocks` by address set: workloads that share external peers compute
    /// their ipBlocks (and the complement they are weighed against) once.
    private var knownBlocks: [BlocksKey: [PolicyPeer]] = [:]
    /// Connections the compiler adds because the platform needs them, in words.
    var platformRequired: [Gap] = []
    /// The runtime each workload's pods must ask for exactly (its capabilities, its user),
    /// which the admission policy checks: Kubernetes, where Pod Security Admission cannot
    /// say it; empty on OpenShift, whose SCCs do.
    var admissionRuntime: [ImageAdmission.RuntimeConstraint] = []
    /// The image policy the admission policy checks when the spec has none but
    /// `admissionRuntime` asks for one: nothing.
    var admissionImagePolicy: ImagePolicy? {
        admissionRuntime.isEmpty ? nil : ImagePolicy(requireDigest: false, allowedRegistries: [], origin: policy.origin)
    }

    static let workloadLabel = "palisade.dev/workload"
    static let segmentLabel = "palisade.dev/segment"
    static let policyLabel = "palisade.dev/policy"
    static let namespaceNameLabel = "kubernetes.io/metadata.name"
    /// At most this many single ports in one Service (port ranges are written out).
    static let servicePortLimit = 100
    /// EgressFirewall's documented limit per namespace.
    static let egressFirewallRuleLimit = 8000

    init(policy: Policy, options: OpenShiftOptions, platform: KubePlatform = .openshift, fqdnEgress: Bool = false) throws {
        self.policy = policy
        self.options = options
        self.platform = platform
        self.fqdnEgress = fqdnEgress
        network = ClusterNetwork(namespaces: [:], pods: [], policies: [], firewalls: [], loadBalancers: [], routes: [])
        for (index, segment) in policy.segments.enumerated() {
            let name = options.namespace(segment.name)
            var labels = [(Self.namespaceNameLabel, name), (Self.policyLabel, policy.name), (Self.segmentLabel, segment.name)]
            labels += segment.labels.filter { label in !labels.contains { $0.0 == label.key } }.map { ($0.key, $0.value) }
            namespaces.append(Namespace(name: name, segment: SegmentID(index), labels: labels))
            network.namespaces[name] = Dictionary(labels, uniquingKeysWith: { first, _ in first })
        }
        buildWorkloads()
        buildGrants()
        try buildNetwork()
        buildAdminPolicies()
        knownBlocks = [:]
        try checkNames()
    }

    /// Services and routes named after workloads (`web`, `web-external`, `web-443`) could
    /// meet another workload's: a located error rather than one object overwriting another.
    func checkNames() throws {
        // Owners by position in `policy.workloads`: no copy of a workload per object.
        var owners: [String: Int] = [:]
        // By name, the first of a name as `Policy.workload(named:)` finds it, without a scan per object.
        var byName: [String: Int] = [:]
        for (position, workload) in policy.workloads.enumerated() where byName[workload.name] == nil { byName[workload.name] = position }
        let workload = { (selector: LabelSelector) in selector.labels[Self.workloadLabel].flatMap { byName[$0] } }
        var named: [(String, Int?)] = services.map { ("Service/\($0.namespace)/\($0.workload.name)", $0.workload.id.index) }
        named += network.loadBalancers.map { ("Service/\($0.namespace)/\($0.name)", workload($0.selector)) }
        named += network.routes.map { ("Route/\($0.namespace)/\($0.name)", workload($0.selector)) }
        for (key, position) in named {
            guard let position else { continue }
            if let otherPosition = owners[key] {
                let (owner, other) = (policy.workloads[position], policy.workloads[otherPosition])
                throw BackendError(
                    .error(
                        .targetLimit, "\(platform.target.rawValue): \(key) is the name of an object of both '\(other.name)' and '\(owner.name)'",
                        at: owner.origin, help: "rename one of the workloads"))
            }
            owners[key] = position
        }
    }

    func namespace(of workload: Workload) -> String { namespaces[workload.segment.index].name }

    func selector(_ workload: Workload) -> LabelSelector { LabelSelector(labels: [Self.workloadLabel: workload.name]) }

    // MARK: Identity and runtime

    mutating func buildWorkloads() {
        var accounts = Set<ServiceAccount>()
        for workload in policy.workloads {
            let namespace = namespace(of: workload)
            let identity = policy.identity(workload.identity).name
            let account = ServiceAccount(name: identity, namespace: namespace)
            if accounts.insert(account).inserted { serviceAccounts.append(account) }
            var labels = [(Self.workloadLabel, workload.name)]
            labels += workload.labels.filter { $0.key != Self.workloadLabel }.map { ($0.key, $0.value) }
            let security = Self.security(workload)
            // Over the team's own pods (overlay), its configMap, projected and storage
            // volumes are its own business: the SCC also admits restricted-v2's volume types.
            let volumeTypes = options.output == .overlay ? security.volumeTypes.union(SecurityContextConstraints.restrictedV2.volumes) : security.volumeTypes
            let scc = SecurityContextConstraints(name: "", profile: workload.runtime, volumeTypes: volumeTypes)
            deployments.append(
                Deployment(
                    workload: workload, namespace: namespace, serviceAccount: identity, labels: labels, security: security, scc: scc))
            let ports = Self.singlePorts(workload.listens)
            if !ports.isEmpty { services.append(Service(workload: workload, namespace: namespace, ports: ports)) }
            network.pods.append(
                PodGroup(
                    workload: workload.id, namespace: namespace, labels: Dictionary(labels, uniquingKeysWith: { first, _ in first }),
                    hostNetwork: workload.runtime.hostNetwork == true))
        }
        if platform.securityContextConstraints { buildSCCs() }
    }

    /// One SCC per distinct runtime profile (the SCC's content), named after that content;
    /// RBAC `use` on it, in each namespace, for the service accounts of the workloads with
    /// that profile. A service account whose workloads have several profiles may use several
    /// SCCs: priorities then make each pod's own SCC the first that admits it.
    mutating func buildSCCs() {
        // Each deployment's SCC as a kind: a position in `contents` and `keys`, one per distinct
        // key, in the order of the first deployment of each. Workloads share a few profiles:
        // each distinct SCC's key is built and hashed once, and the rest goes by kind (hashing
        // the keys' long strings, and copying deployments, per deployment was most of the cost).
        var contents: [SecurityContextConstraints] = []
        var keys: [String] = []
        var kindOfKey: [String: Int] = [:]
        var kindOfSCC: [SecurityContextConstraints: Int] = [:]
        var kindOf: [Int] = []
        kindOf.reserveCapacity(deployments.count)
        for position in deployments.indices {
            if let kind = kindOfSCC[deployments[position].scc] {
                kindOf.append(kind)
                continue
            }
            let key = Self.sccKey(deployments[position].scc)
            let kind = kindOfKey[key] ?? keys.count
            if kind == keys.count {
                kindOfKey[key] = kind
                keys.append(key)
                contents.append(deployments[position].scc)
            }
            kindOfSCC[deployments[position].scc] = kind
            kindOf.append(kind)
        }
        let slugs = StableName.unique(zip(contents, keys).map { (Self.sccSlug($0), $1) }, limit: 200)
        for kind in contents.indices { contents[kind].name = "palisade.\(options.namespacePrefix)\(policy.name).\(slugs[kind])" }
        // Which SCCs each service account may use, and which pods each account runs.
        var usedBy: [ServiceAccount: [Int]] = [:]
        var podsOf: [ServiceAccount: [Int]] = [:]
        for position in deployments.indices {
            let account = ServiceAccount(name: deployments[position].serviceAccount, namespace: deployments[position].namespace)
            if !(usedBy[account] ?? []).contains(kindOf[position]) { usedBy[account, default: []].append(kindOf[position]) }
            podsOf[account, default: []].append(position)
        }
        let priorities = Self.priorities(keys: keys, contents: contents, usedBy: usedBy, podsOf: podsOf, deployments: deployments, kindOf: kindOf)
        for kind in contents.indices { contents[kind].priority = priorities[kind] }
        for position in deployments.indices { deployments[position].scc = contents[kindOf[position]] }
        sccs = contents.sorted { $0.name < $1.name }
        // Role and RoleBinding `palisade.scc.SLUG` in each namespace where the profile runs:
        // by namespace and kind (the slug is the kind's own).
        struct BindingKey: Hashable {
            var namespace: String
            var kind: Int
        }
        var bindingAt: [BindingKey: Int] = [:]
        for position in deployments.indices {
            let (kind, namespace) = (kindOf[position], deployments[position].namespace)
            let subject = RBACSubject(kind: .serviceAccount, name: deployments[position].serviceAccount, namespace: namespace)
            if let index = bindingAt[BindingKey(namespace: namespace, kind: kind)] {
                if !bindings[index].subjects.contains(subject) { bindings[index].subjects.append(subject) }
                continue
            }
            bindingAt[BindingKey(namespace: namespace, kind: kind)] = bindings.count
            let name = "palisade.scc.\(slugs[kind])"
            roles.append(
                RBACRole(
                    name: name, namespace: namespace,
                    rules: [
                        RBACRule(
                            apiGroups: ["security.openshift.io"], resources: ["securitycontextconstraints"], verbs: ["use"],
                            resourceNames: [contents[kind].name])
                    ]))
            bindings.append(RBACBinding(name: name, namespace: namespace, role: name, subjects: [subject]))
        }
        for index in bindings.indices { bindings[index].subjects.sort { $0.name < $1.name } }
    }

    /// SCC priorities (10 and up), by kind (a position in `keys` and `contents`), such that,
    /// for every service account that may use several SCCs, each of its pods meets its own SCC
    /// before any other of the account's SCCs that would also admit it: an SCC comes before
    /// those that admit pods of its profile, so its priority is 10 plus the longest chain of
    /// such SCCs below it. A cycle (two profiles whose SCCs each admit the other's pod) cannot
    /// be ordered; its SCCs keep what the chain gives them (walked in the order of the keys),
    /// and the reader shows which SCC admits each pod.
    static func priorities(
        keys: [String], contents: [SecurityContextConstraints], usedBy: [ServiceAccount: [Int]], podsOf: [ServiceAccount: [Int]],
        deployments: [Deployment], kindOf: [Int]
    ) -> [Int] {
        var before = Array(repeating: Set<Int>(), count: keys.count)
        for (account, used) in usedBy where used.count > 1 {
            for position in podsOf[account] ?? [] {
                let own = kindOf[position]
                for other in used where other != own && contents[other].admit(deployments[position].security) != nil {
                    before[own].insert(other)
                }
            }
        }
        var height: [Int?] = Array(repeating: nil, count: keys.count)
        var visiting = Array(repeating: false, count: keys.count)
        func visit(_ kind: Int) -> Int {
            if let known = height[kind] { return known }
            guard !visiting[kind] else { return 0 }
            visiting[kind] = true
            let value = before[kind].sorted { keys[$0] < keys[$1] }.map { visit($0) + 1 }.max() ?? 0
            visiting[kind] = false
            height[kind] = value
            return value
        }
        return keys.indices.map { 10 + visit($0) }
    }

    /// What tells two SCCs apart: every field but the name and the priority.
    static func sccKey(_ scc: SecurityContextConstraints) -> String {
        let user: String =
            switch scc.runAsUser {
            case .mustRunAs(let uid): "uid=\(uid)"
            case .mustRunAsNonRoot: "nonroot"
            case .mustRunAsRange: "range"
            case .runAsAny: "any"
            }
        return [
            user, "privileged=\(scc.allowPrivilegedContainer)", "escalation=\(scc.allowPrivilegeEscalation)", "readonly=\(scc.readOnlyRootFilesystem)",
            "drop=\(scc.requiredDropCapabilities.joined(separator: ","))", "add=\(scc.allowedCapabilities.joined(separator: ","))",
            "host=\(scc.allowHostNetwork),\(scc.allowHostPID),\(scc.allowHostIPC),\(scc.allowHostPorts)",
            "seccomp=\(scc.seccompProfiles.joined(separator: ","))", "volumes=\(scc.volumes.joined(separator: ","))",
        ].joined(separator: "|")
    }

    /// Lowercase ASCII letters and digits of `text`, every other run of characters one `-`,
    /// none at either end (`/var/cache/nginx`: `var-cache-nginx`); empty when `text` has none.
    static func slug(_ text: String) -> String {
        var result = ""
        for character in text.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber {
                result.append(character)
            } else if !result.isEmpty, result.last != "-" {
                result.append("-")
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return result
    }

    /// A readable name for an SCC's content: what it allows beyond restricted-v2, in a fixed
    /// order (`uid-1000.readonly.secret`); `restricted` when nothing.
    static func sccSlug(_ scc: SecurityContextConstraints) -> String {
        var parts: [String] = []
        switch scc.runAsUser {
        case .mustRunAs(let uid): parts.append("uid-\(uid)")
        case .mustRunAsNonRoot: parts.append("nonroot")
        case .mustRunAsRange: break
        case .runAsAny: parts.append("anyuid")
        }
        if scc.allowPrivilegedContainer { parts.append("privileged") } else if scc.allowPrivilegeEscalation { parts.append("escalation") }
        if scc.readOnlyRootFilesystem { parts.append("readonly") }
        if scc.requiredDropCapabilities != ["ALL"] || scc.allowedCapabilities != ["NET_BIND_SERVICE"] {
            let add = scc.allowedCapabilities.map(slug).filter { !$0.isEmpty }
            let drop = scc.requiredDropCapabilities.map(slug).filter { !$0.isEmpty }
            parts.append("add-" + (add.isEmpty ? "none" : add.joined(separator: "-")))
            parts.append("drop-" + (drop.isEmpty ? "none" : drop.joined(separator: "-")))
        }
        if scc.allowHostNetwork { parts.append("hostnetwork") }
        if scc.allowHostPID { parts.append("hostpid") }
        if scc.allowHostIPC { parts.append("hostipc") }
        if scc.seccompProfiles != ["runtime/default"] {
            let named = slug(scc.seccompProfiles.joined(separator: "-"))
            parts.append("seccomp-" + (named.isEmpty ? "none" : named))
        }
        // An overlay's SCCs admit restricted-v2's volume types: named once, not one by one.
        if Set(scc.volumes) == Set(SecurityContextConstraints.restrictedV2.volumes) {
            parts.append("volumes-v2")
        } else {
            parts += scc.volumes.filter { $0 != "none" }.map(slug).filter { !$0.isEmpty }
        }
        return parts.isEmpty ? "restricted" : parts.joined(separator: ".")
    }

    /// The pod's security settings for a workload's runtime profile.
    static func security(_ workload: Workload) -> PodSecurity {
        let runtime = workload.runtime
        var pod = PodSecurity()
        pod.runAsUser = runtime.user
        pod.runAsNonRoot = runtime.runAsNonRoot
        pod.privileged = runtime.privileged
        // Kubernetes refuses allowPrivilegeEscalation: false on a privileged container.
        pod.allowPrivilegeEscalation = runtime.privileged == true ? true : runtime.noNewPrivileges.map { !$0 }
        pod.readOnlyRootFilesystem = runtime.readOnlyRoot
        pod.add = runtime.capabilities?.add ?? []
        pod.drop = runtime.capabilities?.drop ?? []
        pod.seccomp = runtime.seccomp
        pod.hostNetwork = runtime.hostNetwork ?? false
        pod.hostPID = runtime.hostPID ?? false
        pod.hostIPC = runtime.hostIPC ?? false
        pod.hostPorts = pod.hostNetwork && !singlePorts(workload.listens).isEmpty
        if !(runtime.writablePaths ?? []).isEmpty { pod.volumeTypes.insert("emptyDir") }
        if !workload.secrets.isEmpty { pod.volumeTypes.insert("secret") }
        return pod
    }

    /// The single TCP, UDP and SCTP ports of a set, ranges written out, at most
    /// `servicePortLimit` of them.
    static func singlePorts(_ set: PortSet) -> [PortRange] {
        var result: [PortRange] = []
        for range in set.ranges where range.proto.hasPorts {
            for port in range.lower...range.upper {
                guard result.count < servicePortLimit else { return result }
                result.append(PortRange(range.proto, port, port))
            }
        }
        return result
    }

    mutating func buildGrants() {
        var accountsByIdentity: [String: [ServiceAccount]] = [:]
        for account in serviceAccounts { accountsByIdentity[account.name, default: []].append(account) }
        var roleNames = Set(roles.map { "\($0.namespace)/\($0.name)" })
        var bindingIndex: [String: Int] = [:]
        for grant in policy.grants {
            let role = policy.role(grant.role)
            let identity = policy.identity(grant.identity)
            for segment in grant.segments {
                let namespace = namespaces[segment.index].name
                let roleName = "palisade.role.\(role.name)"
                if roleNames.insert("\(namespace)/\(roleName)").inserted {
                    roles.append(RBACRole(name: roleName, namespace: namespace, rules: RBACRule.rules(for: role.effectiveActions)))
                }
                var subjects: [RBACSubject]
                switch identity.kind {
                case .user: subjects = [RBACSubject(kind: .user, name: identity.name)]
                case .group: subjects = [RBACSubject(kind: .group, name: identity.name)]
                case .service:
                    let accounts: [ServiceAccount]
                    if let known = accountsByIdentity[identity.name] {
                        accounts = known
                    } else {
                        let account = ServiceAccount(name: identity.name, namespace: namespace)
                        serviceAccounts.append(account)
                        accountsByIdentity[identity.name] = [account]
                        accounts = [account]
                    }
                    subjects = accounts.map { RBACSubject(kind: .serviceAccount, name: $0.name, namespace: $0.namespace) }
                }
                let name = "palisade.grant.\(role.name).\(identity.name)"
                if let index = bindingIndex["\(namespace)/\(name)"] {
                    bindings[index].subjects += subjects.filter { !bindings[index].subjects.contains($0) }
                } else {
                    bindingIndex["\(namespace)/\(name)"] = bindings.count
                    bindings.append(RBACBinding(name: name, namespace: namespace, role: roleName, subjects: subjects))
                }
            }
        }
    }

    // MARK: Segmentation

    /// NetworkPolicy ports for a connection's ports: ICMP has no NetworkPolicy protocol, so
    /// with `gaps: widen` a rule that carries ICMP lists no ports (every protocol), and with
    /// `gaps: narrow` ICMP is left out. nil: no rule at all.
    func policyPorts(_ ports: PortSet) -> [PolicyPort]?? {
        if let entries = PolicyPort.entries(ports) { return .some(entries) }
        if gaps == .widen { return .some(nil) }
        let rest = ports.subtracting(.whole(.icmp))
        return rest.isEmpty ? nil : .some(PolicyPort.entries(rest))
    }

    /// The pods peer of every workload, from its own namespace (its pod selector) and from any
    /// other (with its namespace's selector): built once, so the rules naming a workload share
    /// its selectors' storage instead of each building two dictionaries.
    struct PeerTable {
        var sameNamespace: [PolicyPeer] = []
        var otherNamespace: [PolicyPeer] = []
        var namespaces: [String] = []

        func peer(_ workload: WorkloadID, from namespace: String) -> PolicyPeer {
            namespaces[workload.index] == namespace ? sameNamespace[workload.index] : otherNamespace[workload.index]
        }
    }

    func peerTable() -> PeerTable {
        var table = PeerTable()
        table.sameNamespace.reserveCapacity(policy.workloads.count)
        table.otherNamespace.reserveCapacity(policy.workloads.count)
        let namespaceSelectors = namespaces.map { LabelSelector(labels: [Self.namespaceNameLabel: $0.name]) }
        for workload in policy.workloads {
            let pods = selector(workload)
            table.namespaces.append(namespace(of: workload))
            table.sameNamespace.append(.pods(namespaces: nil, pods: pods))
            table.otherNamespace.append(.pods(namespaces: namespaceSelectors[workload.segment.index], pods: pods))
        }
        return table
    }

    /// Rules for workload peers, one per distinct port set.
    func workloadRules(_ peers: [(WorkloadID, PortSet)], namespace: String, table: PeerTable) -> [PolicyRule] {
        var groups: [(ports: PortSet, peers: [WorkloadID])] = []
        // A workload's peers share a few port sets: their group is found by comparing, and
        // through a dictionary (built, grown and hashed into per workload, most of this
        // step's cost) only past `Self.scannedGroups` of them.
        var position: [PortSet: Int] = [:]
        for (peer, ports) in peers {
            if let index = position.isEmpty ? groups.firstIndex(where: { $0.ports == ports }) : position[ports] {
                groups[index].peers.append(peer)
                continue
            }
            groups.append((ports, [peer]))
            if groups.count > Self.scannedGroups {
                if position.isEmpty {
                    for (index, group) in groups.enumerated() { position[group.ports] = index }
                } else {
                    position[ports] = groups.count - 1
                }
            }
        }
        return groups.compactMap { group in
            guard let entries = policyPorts(group.ports) else { return nil }
            return PolicyRule(peers: group.peers.sorted().map { table.peer($0, from: namespace) }, ports: entries)
        }
    }

    /// How many port groups `workloadRules` finds by comparing before it indexes them.
    static let scannedGroups = 8

    struct BlocksKey: Hashable {
        var addresses: AddressSet
        var wholeFamily: Bool
    }

    mutating func blocks(_ addresses: AddressSet, wholeFamily: Bool) -> [PolicyPeer] {
        let key = BlocksKey(addresses: addresses, wholeFamily: wholeFamily)
        if let known = knownBlocks[key] { return known }
        let result = PolicyPeer.blocks(addresses, wholeFamily: wholeFamily)
        knownBlocks[key] = result
        return result
    }

    mutating func buildNetwork() throws {
        var sources: [WorkloadID: [(WorkloadID, PortSet)]] = [:]
        var destinations: [WorkloadID: [(WorkloadID, PortSet)]] = [:]
        for (pair, ports) in policy.intent.sortedPairs {
            sources[pair.destination, default: []].append((pair.source, ports))
            destinations[pair.source, default: []].append((pair.destination, ports))
        }
        let outside = AddressSet.all.subtracting(options.clusterNetworks)
        let table = peerTable()
        var firewallNeeded = Set<String>()
        // Each namespace's external egress, united once per namespace (not workload by workload).
        var egressByNamespace: [String: [ExternalRules.Contribution]] = [:]
        var hasEgress = Set<String>()
        for workload in policy.workloads {
            let namespace = namespace(of: workload)
            var ingress = workloadRules(sources[workload.id] ?? [], namespace: namespace, table: table)
            var egress = workloadRules(destinations[workload.id] ?? [], namespace: namespace, table: table)
            if let rules = policy.intent.ingress[workload.id] { ingress += exposure(workload, rules, namespace: namespace) }
            var fqdnRules: [PolicyRule] = []
            if let rules = policy.intent.egress[workload.id] {
                egressByNamespace[namespace, default: []] += rules.entries.map { .init(ports: $0.ports, peers: $0.peers, deny: false) }
                for var entry in rules.entries {
                    guard let ports = policyPorts(entry.ports) else { continue }
                    if fqdnEgress, !entry.peers.dns.isEmpty, !entry.peers.dns.allExcept {
                        fqdnRules.append(PolicyRule(peers: [], ports: ports, names: entry.peers.dns))
                        entry.peers.dns = .none
                    }
                    let names = !entry.peers.dns.isEmpty && gaps == .widen
                    // A name resolves to addresses nobody knows in advance: the pod may reach
                    // every outside address on those ports, and the namespace's EgressFirewall
                    // narrows that to the names.
                    let addresses = names ? outside : entry.peers.addresses.intersection(outside)
                    if names && platform.egressFirewall { firewallNeeded.insert(namespace) }
                    guard !addresses.isEmpty else { continue }
                    // A whole-family ipBlock lets every name through: only where the intent
                    // allows every name on these ports, or the firewall narrows them.
                    egress.append(PolicyRule(peers: blocks(addresses, wholeFamily: names || entry.peers.dns.isAll), ports: ports))
                }
            }
            if !egress.isEmpty || !fqdnRules.isEmpty { hasEgress.insert(namespace) }
            if !fqdnRules.isEmpty { ciliumEgress(workload, fqdnRules, namespace: namespace) }
            let selector = selector(workload)
            if !ingress.isEmpty {
                network.policies.append(NetworkPolicy(name: "\(workload.name)-ingress", namespace: namespace, podSelector: selector, ingress: ingress))
            }
            if !egress.isEmpty {
                network.policies.append(NetworkPolicy(name: "\(workload.name)-egress", namespace: namespace, podSelector: selector, egress: egress))
            }
        }
        uniqueRouteHosts()
        for namespace in namespaces {
            network.policies.insert(NetworkPolicy(name: "default-deny", namespace: namespace.name, podSelector: .everything, ingress: [], egress: []), at: 0)
            guard hasEgress.contains(namespace.name) else { continue }
            network.policies.append(
                NetworkPolicy(
                    name: "allow-dns", namespace: namespace.name, podSelector: .everything,
                    egress: [
                        PolicyRule(
                            peers: [
                                .pods(
                                    namespaces: LabelSelector(labels: [Self.namespaceNameLabel: platform.dnsNamespace]),
                                    pods: LabelSelector(labels: platform.dnsLabels))
                            ],
                            ports: PolicyPort.entries(platform.dnsPorts))
                    ]))
            platformRequired.append(
                Gap(
                    kind: .platformRequired, capability: .dnsEgress, target: platform.target,
                    subject: .connection(
                        Connection(.segment(namespace.name), .platform("the cluster DNS (\(platform.dnsNamespace))"), ports: platform.dnsPorts)),
                    reason: "every pod of namespace \(namespace.name) may reach the cluster DNS (\(platform.dnsNamespace), \(platform.dnsPorts)), "
                        + "which resolves the names of services and dns: destinations",
                    origin: policy.segments[namespace.segment.index].origin))
        }
        for namespace in namespaces where firewallNeeded.contains(namespace.name) {
            let rules = Self.firewallRules(ExternalRules(contributions: egressByNamespace[namespace.name] ?? []))
            guard rules.count <= Self.egressFirewallRuleLimit else {
                throw BackendError(
                    .error(
                        .targetLimit,
                        "openshift: the EgressFirewall of namespace \(namespace.name) needs \(rules.count) rules; OpenShift allows "
                            + "\(Self.egressFirewallRuleLimit)",
                        at: policy.segments[namespace.segment.index].origin,
                        help: "merge the segment's external destinations into fewer ranges, or split the segment"))
            }
            network.firewalls.append(EgressFirewall(namespace: namespace.name, rules: rules))
        }
    }

    /// The EgressFirewall rules that let a namespace's pods out to exactly `allowed` (a
    /// union over its workloads: the firewall is namespace-wide), then deny the rest.
    static func firewallRules(_ allowed: ExternalRules) -> [EgressFirewallRule] {
        var rules: [EgressFirewallRule] = []
        for entry in allowed.entries {
            let ports = EgressFirewallRule.ports(entry.ports)
            if entry.peers.dns.allExcept {
                for name in entry.peers.dns.sortedNames { rules.append(EgressFirewallRule(allow: false, to: .dnsName(name), ports: ports)) }
                for cidr in AddressSet.all.subtracting(entry.peers.addresses).cidrs {
                    rules.append(EgressFirewallRule(allow: false, to: .cidr(cidr), ports: ports))
                }
                rules.append(EgressFirewallRule(allow: true, to: .cidr(.v4(0, prefix: 0)), ports: ports))
                rules.append(EgressFirewallRule(allow: true, to: .cidr(.v6(0, prefix: 0)), ports: ports))
            } else {
                for name in entry.peers.dns.sortedNames { rules.append(EgressFirewallRule(allow: true, to: .dnsName(name), ports: ports)) }
                for cidr in entry.peers.addresses.cidrs { rules.append(EgressFirewallRule(allow: true, to: .cidr(cidr), ports: ports)) }
            }
        }
        rules.append(EgressFirewallRule(allow: false, to: .cidr(.v4(0, prefix: 0)), ports: nil))
        rules.append(EgressFirewallRule(allow: false, to: .cidr(.v6(0, prefix: 0)), ports: nil))
        return rules
    }

    /// A Route without `spec.host` is given `NAME-NAMESPACE.` and the router's domain, and the
    /// router admits only the oldest of two routes with one host: so routes whose names and
    /// namespaces meet that way (`a-80` in `x-9-y`, `a-80-x-9` in `y`) each get a short hash of
    /// their namespace and name, whatever their order.
    mutating func uniqueRouteHosts() {
        var hosts: [String: Int] = [:]
        for route in network.routes { hosts["\(route.name)-\(route.namespace)", default: 0] += 1 }
        for index in network.routes.indices {
            let route = network.routes[index]
            guard (hosts["\(route.name)-\(route.namespace)"] ?? 0) > 1 else { continue }
            network.routes[index].name = "\(route.name)-\(StableName.shortHash("\(route.namespace)/\(route.name)", digits: 5))"
        }
    }

    /// How outside clients reach a workload, and the ingress rules that let them in: a
    /// LoadBalancer Service that keeps the client's address (so ipBlocks filter it), or with
    /// `exposure: route`, a Route per TCP port through the ingress routers, whose allowlist
    /// filters clients.
    mutating func exposure(_ workload: Workload, _ rules: ExternalRules, namespace: String) -> [PolicyRule] {
        let outside = AddressSet.all.subtracting(options.clusterNetworks)
        var result: [PolicyRule] = []
        var balanced: [PortRange] = []
        var sources = AddressSet.empty
        var routed: [PortRange] = []
        for entry in rules.entries {
            var ports = Self.singlePorts(entry.ports)
            let budget = Self.servicePortLimit - balanced.count - routed.count
            if ports.count > budget { ports = Array(ports.prefix(max(budget, 0))) }
            if options.exposure == .route {
                // A route reaches a named port of the workload's ClusterIP Service.
                let served = Set(Self.singlePorts(workload.listens))
                let tcp = ports.filter { $0.proto == .tcp && served.contains($0) }
                for port in tcp {
                    let allowlist = entry.peers.addresses.isAll ? nil : entry.peers.addresses.cidrs
                    network.routes.append(
                        Route(
                            name: "\(workload.name)-\(port.lower)", namespace: namespace, selector: selector(workload), port: port.lower, allowlist: allowlist))
                    routed.append(port)
                }
                ports = ports.filter { !tcp.contains($0) }
            }
            let addresses = entry.peers.addresses.intersection(outside)
            guard !ports.isEmpty, !addresses.isEmpty else { continue }
            balanced += ports
            sources = sources.union(entry.peers.addresses)
            result.append(PolicyRule(peers: blocks(addresses, wholeFamily: true), ports: PolicyPort.entries(PortSet(ports))))
        }
        if !balanced.isEmpty {
            network.loadBalancers.append(
                LoadBalancer(
                    name: "\(workload.name)-external", namespace: namespace, selector: selector(workload), ports: balanced.sorted(),
                    sourceRanges: sources.isAll ? [] : sources.cidrs, preservesClientAddress: true, dualStack: !sources.v6.isEmpty))
        }
        if !routed.isEmpty {
            let ports = PortSet(routed)
            result.append(
                PolicyRule(
                    peers: [.pods(namespaces: LabelSelector(labels: [PlatformPods.routerNamespaceLabel: ""]), pods: nil)],
                    ports: PolicyPort.entries(ports)))
            platformRequired.append(
                Gap(
                    kind: .platformRequired, capability: .externalIngress, target: .openshift,
                    subject: .connection(Connection(.platform("the ingress routers"), .workload(workload.name), ports: ports)),
                    reason:
                        "the ingress routers (namespaces labelled \(PlatformPods.routerNamespaceLabel)) may reach \(workload.name) on \(ports), to "
                        + "carry its routes",
                    origin: workload.origin))
        }
        return result
    }
}
