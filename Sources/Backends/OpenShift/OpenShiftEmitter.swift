import IR
import YAML

/// Writes an `OpenShiftPlan` as the documents of `manifests.yaml`, in the order `oc apply`
/// needs them: namespaces and cluster-scoped SCCs first, then each namespace's objects.
/// A class: its methods and the closures that build documents share one reference to the
/// plan instead of copying (and retaining) every list of it per call.
final class OpenShiftEmitter {
    let plan: OpenShiftPlan
    /// Each peer's text as `networkPolicy(_:into:)` last wrote it: a large estate's policies
    /// name the same few thousand peers tens of thousands of times, and a peer's text (two
    /// selectors, six lines) costs more to write than to look up by `PeerTextKey`.
    private var peerTexts: [PeerTextKey: YAMLWriter.Block.Fragment] = [:]
    /// The same texts by `PeerIdentity`, looked up before `peerTexts`: a plan's peers are copies
    /// of one peer per workload, whose selectors share their label dictionaries, so two words
    /// find a peer's text where its labels' strings were read, hashed and compared.
    private var peerTextsByIdentity: [PeerIdentity: YAMLWriter.Block.Fragment] = [:]
    /// The peers whose identities `peerTextsByIdentity` holds, kept so that their dictionaries'
    /// storage (what an identity names) is neither freed nor changed while it does.
    private var identifiedPeers: [PolicyPeer] = []
    /// Each rule's `ports` text as `networkPolicy(_:into:)` last wrote it, by its entries: a
    /// few dozen distinct lists, written for tens of thousands of rules.
    private var portsTexts: [PortsKey: YAMLWriter.Block.Fragment] = [:]
    /// Each Service's `ports` text as `service(_:into:)` last wrote it, by its ports: most
    /// workloads listen on one of a few port sets.
    private var servicePortsTexts: [[PortRange]: YAMLWriter.Block.Fragment] = [:]
    /// Each container's `ports` text as `container(_:security:volumeNames:into:)` last wrote
    /// it, by its ports (a workload's ranges written out: five ports a container on average).
    private var containerPortsTexts: [[PortRange]: YAMLWriter.Block.Fragment] = [:]

    /// A peer as the key of its text, hashed and compared without the selectors'
    /// dictionaries (hashing and comparing a pods peer itself costs thousands of instructions
    /// a lookup): an ipBlock as itself, a pods peer whose selectors hold at most one label each
    /// and no `In` expressions (nearly every one) as its labels' strings.
    enum PeerTextKey: Hashable {
        case pods(Pods)
        case block(cidr: CIDR, except: [CIDR])

        /// The labels of a pods peer, hashed on their values alone (the keys are nearly always
        /// the same two) and compared in full.
        struct Pods: Hashable {
            /// Per selector: 0 absent, 1 empty, 2 one label.
            var namespaceShape: UInt8
            var namespaceKey: String
            var namespaceValue: String
            var podShape: UInt8
            var podKey: String
            var podValue: String

            func hash(into hasher: inout Hasher) {
                hasher.combine(namespaceShape &* 3 &+ podShape)
                hasher.combine(namespaceValue)
                hasher.combine(podValue)
            }
        }

        /// The key of `peer`, or nil for a pods peer of larger selectors (written each time).
        init?(_ peer: PolicyPeer) {
            switch peer {
            case .block(let cidr, let except): self = .block(cidr: cidr, except: except)
            case .pods(let namespaces, let pods):
                /// A selector's shape and label, or nil when it has more.
                func parts(_ selector: LabelSelector?) -> (UInt8, String, String)? {
                    guard let selector else { return (0, "", "") }
                    guard selector.valuesIn.isEmpty, selector.labels.count <= 1 else { return nil }
                    guard let (key, value) = selector.labels.first else { return (1, "", "") }
                    return (2, key, value)
                }
                guard let namespace = parts(namespaces), let pod = parts(pods) else { return nil }
                self = .pods(
                    Pods(namespaceShape: namespace.0, namespaceKey: namespace.1, namespaceValue: namespace.2, podShape: pod.0, podKey: pod.1, podValue: pod.2))
            }
        }
    }

    /// A peer by the storage of its lists: a pods peer by its selectors' label dictionaries'
    /// (0 for an absent selector), an ipBlock by its CIDR and its `except` list's. Equal
    /// identities, while the peer they came from is kept, mean equal peers, since storage
    /// shared by copies is never changed in place; equal peers in different storage have
    /// different identities, and find their text by `PeerTextKey`.
    enum PeerIdentity: Hashable {
        case pods(namespaces: Int, pods: Int)
        case block(CIDR, except: Int)

        /// The identity of `peer`, or nil for a selector with `In` expressions.
        init?(_ peer: PolicyPeer) {
            switch peer {
            case .pods(let namespaces, let pods):
                guard namespaces?.valuesIn.isEmpty != false, pods?.valuesIn.isEmpty != false else { return nil }
                self = .pods(namespaces: namespaces.map { Self.storage(of: $0.labels) } ?? 0, pods: pods.map { Self.storage(of: $0.labels) } ?? 0)
            case .block(let cidr, let except): self = .block(cidr, except: Self.storage(of: except))
            }
        }

        /// A pods peer's two addresses mixed into one word for the hasher (the cost of finding a
        /// known peer's text is mostly hashing); an ipBlock's parts as they are.
        func hash(into hasher: inout Hasher) {
            switch self {
            case .pods(let namespaces, let pods): hasher.combine(namespaces ^ pods &* 0x5851_F42D_4C95_7F2D)
            case .block(let cidr, let except):
                hasher.combine(cidr)
                hasher.combine(except)
            }
        }

        /// The address of a native dictionary's or array's storage: the one word it is.
        static func storage<T>(of list: T) -> Int {
            precondition(MemoryLayout<T>.size == MemoryLayout<Int>.size)
            return withUnsafeBytes(of: list) { $0.loadUnaligned(as: Int.self) }
        }
    }

    /// A rule's ports as the key of their text: hashed as one word folded from the entries
    /// (an array's hash gave the hasher each entry's fields, and the optionals' tags, one by
    /// one), compared in full.
    struct PortsKey: Hashable {
        var ports: [PolicyPort]

        static func == (left: PortsKey, right: PortsKey) -> Bool { left.ports == right.ports }

        func hash(into hasher: inout Hasher) {
            var folded = ports.count
            for port in ports {
                // The protocol, the port and the end port in fields of their own (an absent port as 0xFFFF).
                let fields = port.proto.rawValue | (port.port.map { $0 & 0xFFFF } ?? 0xFFFF) << 8 | (port.endPort.map { $0 & 0xFFFF } ?? 0xFFFF) << 24
                folded = folded &* 0x1_0000_01B3 ^ fields
            }
            hasher.combine(folded)
        }
    }

    init(plan: OpenShiftPlan) { self.plan = plan }

    /// The one file of a policy.
    static let file = "manifests.yaml"

    /// `manifests.yaml`, with a header saying where it comes from and how to apply it.
    func file() throws -> OutputFile {
        let policy = plan.policy
        let header = [
            "Generated by palisade from \(policy.sourceNames.joined(separator: ", ")) (content hash \(policy.contentHash)); do not edit.",
            "Apply: oc apply -f \(Self.file) (OpenShift \(plan.imageAdmission == nil ? "4.12" : "4.17") or later, OVN-Kubernetes).",
            "Secrets are referenced, never written: create them in their namespaces first.",
        ]
        return OutputFile(path: Self.file, text: try text(header: header))
    }

    /// The documents written one by one under `header`: each document's tree lives only while
    /// it is written, never all of them at once, and the NetworkPolicies and Services (most of
    /// a large estate's documents) are written straight into the stream without a tree.
    func text(header: [String]) throws -> ChunkedText {
        var stream = YAMLWriter.Stream(header: header)
        try forEachDocument {
            try stream.append($0)
        } direct: {
            try stream.append(writing: $0, otherwise: $1)
        }
        return try stream.chunkedText()
    }

    func documents() -> [StructuredValue] {
        var documents: [StructuredValue] = []
        forEachDocument {
            documents.append($0)
        } direct: {
            documents.append($1())
        }
        return documents
    }

    /// Each document in order, built when `body` takes it; a document with a direct writer
    /// goes to `direct` instead, as that writer and its tree's builder.
    func forEachDocument(
        _ body: (StructuredValue) throws -> Void, direct: (_ write: (inout YAMLWriter.Block) -> Void, _ tree: () -> StructuredValue) throws -> Void
    ) rethrows {
        for item in plan.namespaces { try body(namespace(item)) }
        for item in plan.sccs { try body(securityContextConstraints(item)) }
        for item in plan.network.adminPolicies { try body(adminNetworkPolicy(item)) }
        for document in plan.imageAdmission?.documents(labels: [(OpenShiftPlan.policyLabel, plan.policy.name)]) ?? [] { try body(document) }
        /// The positions of each namespace's objects of one kind, in their order: one pass over
        /// each list, and the objects read in place (a Deployment or Service copied into a
        /// list per namespace, and out of it per document, was many retains each time).
        func byNamespace<T>(_ items: [T], _ namespace: (T) -> String) -> [String: [Int]] {
            var result: [String: [Int]] = [:]
            for (position, item) in items.enumerated() { result[namespace(item), default: []].append(position) }
            return result
        }
        let accounts = byNamespace(plan.serviceAccounts, \.namespace)
        let roles = byNamespace(plan.roles, \.namespace)
        let bindings = byNamespace(plan.bindings, \.namespace)
        let policies = byNamespace(plan.network.policies, \.namespace)
        let firewalls = byNamespace(plan.network.firewalls, \.namespace)
        let deployments = byNamespace(plan.deployments, \.namespace)
        let services = byNamespace(plan.services, \.namespace)
        let balancers = byNamespace(plan.network.loadBalancers, \.namespace)
        let routes = byNamespace(plan.network.routes, \.namespace)
        for namespace in plan.namespaces.map(\.name) {
            for item in accounts[namespace] ?? [] { try body(serviceAccount(plan.serviceAccounts[item])) }
            for item in roles[namespace] ?? [] { try body(role(plan.roles[item])) }
            for item in bindings[namespace] ?? [] { try body(binding(plan.bindings[item])) }
            for item in policies[namespace] ?? [] {
                try direct({ networkPolicy(plan.network.policies[item], into: &$0) }, { self.networkPolicy(self.plan.network.policies[item]) })
            }
            for item in firewalls[namespace] ?? [] { try body(egressFirewall(plan.network.firewalls[item])) }
            for item in deployments[namespace] ?? [] {
                try direct({ deployment(plan.deployments[item], into: &$0) }, { self.deployment(self.plan.deployments[item]) })
            }
            for item in services[namespace] ?? [] { try direct({ service(plan.services[item], into: &$0) }, { self.service(self.plan.services[item]) }) }
            for item in balancers[namespace] ?? [] { try body(loadBalancer(plan.network.loadBalancers[item])) }
            for item in routes[namespace] ?? [] { try body(route(plan.network.routes[item])) }
        }
        // Last, the CiliumNetworkPolicies (kubernetes with `cni: cilium`; none elsewhere), in
        // complete manifests and overlays alike.
        for item in plan.network.ciliumPolicies { try body(CiliumEmitter(emitter: self).policy(item)) }
    }

    func header(
        _ apiVersion: String, _ kind: String, _ name: String, namespace: String? = nil, labels: [(String, String)] = [], annotations: [(String, String)] = []
    ) -> [StructuredValue.Entry] {
        var metadata: [StructuredValue.Entry] = [.init("name", .string(name))]
        if let namespace { metadata.append(.init("namespace", .string(namespace))) }
        if !labels.isEmpty { metadata.append(.init("labels", strings(labels))) }
        if !annotations.isEmpty { metadata.append(.init("annotations", strings(annotations))) }
        return [.init("apiVersion", .string(apiVersion)), .init("kind", .string(kind)), .init("metadata", .object(metadata))]
    }

    func strings(_ pairs: [(String, String)]) -> StructuredValue { .object(pairs.map { .init($0.0, .string($0.1)) }) }

    func strings(_ values: [String]) -> StructuredValue { .array(values.map { .string($0) }) }

    func selector(_ selector: LabelSelector) -> StructuredValue {
        guard !selector.labels.isEmpty else { return .object([]) }
        if selector.labels.count == 1, let (key, value) = selector.labels.first {
            return .object([.init("matchLabels", .object([.init(key, .string(value))]))])
        }
        return .object([.init("matchLabels", strings(selector.labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))])
    }

    func namespace(_ namespace: OpenShiftPlan.Namespace) -> StructuredValue {
        .object(header("v1", "Namespace", namespace.name, labels: namespace.labels))
    }

    func serviceAccount(_ account: OpenShiftPlan.ServiceAccount) -> StructuredValue {
        .object(header("v1", "ServiceAccount", account.name, namespace: account.namespace) + [.init("automountServiceAccountToken", false)])
    }

    func securityContextConstraints(_ scc: SecurityContextConstraints) -> StructuredValue {
        let runAsUser: StructuredValue =
            switch scc.runAsUser {
            case .mustRunAs(let uid): .object([.init("type", "MustRunAs"), .init("uid", .int(uid))])
            case .mustRunAsNonRoot: .object([.init("type", "MustRunAsNonRoot")])
            case .mustRunAsRange: .object([.init("type", "MustRunAsRange")])
            case .runAsAny: .object([.init("type", "RunAsAny")])
            }
        return .object(
            header("security.openshift.io/v1", "SecurityContextConstraints", scc.name) + [
                .init("priority", scc.priority.map { .int($0) } ?? .null),
                .init("allowPrivilegedContainer", .bool(scc.allowPrivilegedContainer)),
                .init("allowPrivilegeEscalation", .bool(scc.allowPrivilegeEscalation)),
                .init("defaultAllowPrivilegeEscalation", .bool(scc.allowPrivilegeEscalation)),
                .init("readOnlyRootFilesystem", .bool(scc.readOnlyRootFilesystem)),
                .init("requiredDropCapabilities", strings(scc.requiredDropCapabilities)),
                .init("allowedCapabilities", strings(scc.allowedCapabilities)),
                .init("defaultAddCapabilities", .null),
                .init("allowHostNetwork", .bool(scc.allowHostNetwork)),
                .init("allowHostPID", .bool(scc.allowHostPID)),
                .init("allowHostIPC", .bool(scc.allowHostIPC)),
                .init("allowHostPorts", .bool(scc.allowHostPorts)),
                .init("allowHostDirVolumePlugin", false),
                .init("runAsUser", runAsUser),
                .init("seLinuxContext", .object([.init("type", "MustRunAs")])),
                .init("fsGroup", .object([.init("type", "MustRunAs")])),
                .init("supplementalGroups", .object([.init("type", "RunAsAny")])),
                .init("seccompProfiles", strings(scc.seccompProfiles)),
                .init("volumes", strings(scc.volumes)),
                .init("users", .array([])),
                .init("groups", .array([])),
            ])
    }

    func role(_ role: RBACRole) -> StructuredValue {
        .object(
            header("rbac.authorization.k8s.io/v1", "Role", role.name, namespace: role.namespace) + [
                .init(
                    "rules",
                    .array(
                        role.rules.map { rule in
                            var entries: [StructuredValue.Entry] = [.init("apiGroups", strings(rule.apiGroups)), .init("resources", strings(rule.resources))]
                            if !rule.resourceNames.isEmpty { entries.append(.init("resourceNames", strings(rule.resourceNames))) }
                            entries.append(.init("verbs", strings(rule.verbs)))
                            return .object(entries)
                        }))
            ])
    }

    func binding(_ binding: RBACBinding) -> StructuredValue {
        .object(
            header("rbac.authorization.k8s.io/v1", "RoleBinding", binding.name, namespace: binding.namespace) + [
                .init("roleRef", .object([.init("apiGroup", "rbac.authorization.k8s.io"), .init("kind", "Role"), .init("name", .string(binding.role))])),
                .init(
                    "subjects",
                    .array(
                        binding.subjects.map { subject in
                            var entries: [StructuredValue.Entry] = [.init("kind", .string(subject.kind.rawValue)), .init("name", .string(subject.name))]
                            if let namespace = subject.namespace {
                                entries.append(.init("namespace", .string(namespace)))
                            } else {
                                entries.insert(.init("apiGroup", "rbac.authorization.k8s.io"), at: 0)
                            }
                            return .object(entries)
                        })),
            ])
    }

    func networkPolicy(_ policy: NetworkPolicy) -> StructuredValue {
        func rules(_ rules: [PolicyRule], _ side: String) -> StructuredValue {
            .array(
                rules.map { rule in
                    var entries: [StructuredValue.Entry] = []
                    if let peers = rule.peers { entries.append(.init(side, .array(peers.map(peer)))) }
                    if let ports = rule.ports { entries.append(.init("ports", .array(ports.map(port)))) }
                    return .object(entries)
                })
        }
        var spec: [StructuredValue.Entry] = [.init("podSelector", selector(policy.podSelector))]
        var types: [StructuredValue] = []
        if policy.ingress != nil { types.append("Ingress") }
        if policy.egress != nil { types.append("Egress") }
        spec.append(.init("policyTypes", .array(types)))
        if let ingress = policy.ingress, !ingress.isEmpty { spec.append(.init("ingress", rules(ingress, "from"))) }
        if let egress = policy.egress, !egress.isEmpty { spec.append(.init("egress", rules(egress, "to"))) }
        return .object(header("networking.k8s.io/v1", "NetworkPolicy", policy.name, namespace: policy.namespace) + [.init("spec", .object(spec))])
    }

    /// `networkPolicy(policy)` written directly, key by key in the tree's order.
    func networkPolicy(_ policy: NetworkPolicy, into out: inout YAMLWriter.Block) {
        func rules(_ rules: [PolicyRule], _ side: YAMLWriter.Block.Key, into out: inout YAMLWriter.Block) {
            for rule in rules {
                out.itemMapping { out in
                    if let peers = rule.peers { out.sequence(side) { out in for item in peers { knownPeer(item, into: &out) } } }
                    if let ports = rule.ports { knownPorts(ports, into: &out) }
                }
            }
        }
        header("networking.k8s.io/v1", "NetworkPolicy", policy.name, namespace: policy.namespace, into: &out)
        out.mapping("spec") { out in
            selector("podSelector", policy.podSelector, into: &out)
            out.sequence("policyTypes") { out in
                if policy.ingress != nil { out.item("Ingress") }
                if policy.egress != nil { out.item("Egress") }
            }
            if let ingress = policy.ingress, !ingress.isEmpty { out.sequence("ingress") { rules(ingress, "from", into: &$0) } }
            if let egress = policy.egress, !egress.isEmpty { out.sequence("egress") { rules(egress, "to", into: &$0) } }
        }
    }

    /// `header(apiVersion, kind, name, namespace:)` written directly, `metadata` ending with
    /// what `rest` writes (labels, annotations).
    func header(
        _ apiVersion: String, _ kind: String, _ name: String, namespace: String?, into out: inout YAMLWriter.Block,
        rest: (inout YAMLWriter.Block) -> Void = { _ in }
    ) {
        out.string("apiVersion", apiVersion)
        out.string("kind", kind)
        out.mapping("metadata") { out in
            out.string("name", name)
            if let namespace { out.string("namespace", namespace) }
            rest(&out)
        }
    }

    /// `key: selector(selector)` written directly.
    func selector(_ key: YAMLWriter.Block.Key, _ selector: LabelSelector, into out: inout YAMLWriter.Block) {
        out.mapping(key) { out in
            guard !selector.labels.isEmpty else { return }
            out.mapping("matchLabels") { out in
                if selector.labels.count == 1, let (key, value) = selector.labels.first {
                    out.string(.init(key), value)
                } else {
                    for (key, value) in selector.labels.sorted(by: { $0.key < $1.key }) { out.string(.init(key), value) }
                }
            }
        }
    }

    /// The item of a rule's peers `itemMapping { peer(peer, into: $0) }` writes, its text
    /// (the dash included) taken from `peerTexts` where it was written before at the same place.
    func knownPeer(_ peer: PolicyPeer, into out: inout YAMLWriter.Block) {
        let identity = PeerIdentity(peer)
        if let identity, let known = peerTextsByIdentity[identity], out.replay(known) { return }
        guard let key = PeerTextKey(peer) else { return out.itemMapping { self.peer(peer, into: &$0) } }
        let text = reusing(key, in: &peerTexts, into: &out) { $0.itemMapping { self.peer(peer, into: &$0) } }
        guard let identity else { return }
        if peerTextsByIdentity.updateValue(text, forKey: identity) == nil { identifiedPeers.append(peer) }
    }

    /// What `body` writes, its text taken from `texts[key]` where it was written before at the
    /// same place (and recorded there otherwise): for the parts many documents repeat. Gives
    /// the text written.
    @discardableResult private func reusing<Key: Hashable>(
        _ key: Key, in texts: inout [Key: YAMLWriter.Block.Fragment], into out: inout YAMLWriter.Block, _ body: (inout YAMLWriter.Block) -> Void
    ) -> YAMLWriter.Block.Fragment {
        if let known = texts[key], out.replay(known) { return known }
        let text = out.recording(body)
        texts[key] = text
        return text
    }

    /// The entries of `peer(peer)` written directly.
    func peer(_ peer: PolicyPeer, into out: inout YAMLWriter.Block) {
        switch peer {
        case .pods(let namespaces, let pods):
            if let namespaces { selector("namespaceSelector", namespaces, into: &out) }
            if let pods { selector("podSelector", pods, into: &out) }
        case .block(let cidr, let except):
            out.mapping("ipBlock") { out in
                out.string("cidr", cidr.description)
                if !except.isEmpty { out.sequence("except") { out in for item in except { out.item(item.description) } } }
            }
        }
    }

    /// A rule's `ports: [port(...)]` written directly, its text taken from `portsTexts` where
    /// it was written before at the same place.
    func knownPorts(_ ports: [PolicyPort], into out: inout YAMLWriter.Block) {
        reusing(PortsKey(ports: ports), in: &portsTexts, into: &out) { out in
            out.sequence("ports") { out in for item in ports { out.itemMapping { port(item, into: &$0) } } }
        }
    }

    /// The entries of `port(port)` written directly.
    func port(_ port: PolicyPort, into out: inout YAMLWriter.Block) {
        out.string("protocol", Self.protocolName(port.proto))
        if let number = port.port { out.int("port", number) }
        if let end = port.endPort { out.int("endPort", end) }
    }

    func peer(_ peer: PolicyPeer) -> StructuredValue {
        switch peer {
        case .pods(let namespaces, let pods):
            var entries: [StructuredValue.Entry] = []
            if let namespaces { entries.append(.init("namespaceSelector", selector(namespaces))) }
            if let pods { entries.append(.init("podSelector", selector(pods))) }
            return .object(entries)
        case .block(let cidr, let except):
            var block: [StructuredValue.Entry] = [.init("cidr", .string(cidr.description))]
            if !except.isEmpty { block.append(.init("except", strings(except.map(\.description)))) }
            return .object([.init("ipBlock", .object(block))])
        }
    }

    func port(_ port: PolicyPort) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [.init("protocol", .string(Self.protocolName(port.proto)))]
        if let number = port.port { entries.append(.init("port", .int(number))) }
        if let end = port.endPort { entries.append(.init("endPort", .int(end))) }
        return .object(entries)
    }

    func egressFirewall(_ firewall: EgressFirewall) -> StructuredValue {
        .object(
            header("k8s.ovn.org/v1", "EgressFirewall", "default", namespace: firewall.namespace) + [
                .init(
                    "spec",
                    .object([
                        .init(
                            "egress",
                            .array(
                                firewall.rules.map { rule in
                                    let to: StructuredValue =
                                        switch rule.to {
                                        case .cidr(let cidr): .object([.init("cidrSelector", .string(cidr.description))])
                                        case .dnsName(let name): .object([.init("dnsName", .string(name))])
                                        }
                                    var entries: [StructuredValue.Entry] = [.init("type", rule.allow ? "Allow" : "Deny"), .init("to", to)]
                                    if let ports = rule.ports {
                                        entries.append(
                                            .init(
                                                "ports",
                                                .array(
                                                    ports.map { port in
                                                        .object([
                                                            .init("protocol", .string(Self.protocolName(port.proto))), .init("port", .int(port.lower)),
                                                        ])
                                                    })))
                                    }
                                    return .object(entries)
                                }))
                    ]))
            ])
    }

    func deployment(_ deployment: OpenShiftPlan.Deployment) -> StructuredValue {
        let workload = deployment.workload
        let security = deployment.security
        let (mounts, volumes) = self.volumes(workload)
        var container = self.container(workload, securityContext: containerContext(security))
        if !mounts.isEmpty { container.append(.init("volumeMounts", .array(mounts))) }

        var pod: [StructuredValue.Entry] = [
            .init("serviceAccountName", .string(deployment.serviceAccount)),
            .init("automountServiceAccountToken", false),
        ]
        if security.hostNetwork { pod.append(.init("hostNetwork", true)) }
        if security.hostPID { pod.append(.init("hostPID", true)) }
        if security.hostIPC { pod.append(.init("hostIPC", true)) }
        let podContext = podContext(security)
        if !podContext.isEmpty { pod.append(.init("securityContext", .object(podContext))) }
        pod.append(.init("containers", .array([.object(container)])))
        if !volumes.isEmpty { pod.append(.init("volumes", .array(volumes))) }

        let labels = strings(deployment.labels)
        return .object(
            header("apps/v1", "Deployment", workload.name, namespace: deployment.namespace, labels: deployment.labels) + [
                .init(
                    "spec",
                    .object([
                        .init("replicas", .int(workload.replicas)),
                        .init("selector", .object([.init("matchLabels", strings([(OpenShiftPlan.workloadLabel, workload.name)]))])),
                        .init(
                            "template",
                            .object([
                                .init("metadata", .object([.init("labels", labels)])),
                                .init("spec", .object(pod)),
                            ])),
                    ]))
            ])
    }

    /// `deployment(deployment)` written directly, container and volumes included (their
    /// trees, built per Deployment, were most of its cost).
    func deployment(_ deployment: OpenShiftPlan.Deployment, into out: inout YAMLWriter.Block) {
        let workload = deployment.workload
        let security = deployment.security
        header("apps/v1", "Deployment", workload.name, namespace: deployment.namespace, into: &out) { out in
            if !deployment.labels.isEmpty { out.mapping("labels") { out in for (key, value) in deployment.labels { out.string(.init(key), value) } } }
        }
        out.mapping("spec") { out in
            out.int("replicas", workload.replicas)
            out.mapping("selector") { out in out.mapping("matchLabels") { $0.string(.init(OpenShiftPlan.workloadLabel), workload.name) } }
            out.mapping("template") { out in
                out.mapping("metadata") { out in out.mapping("labels") { out in for (key, value) in deployment.labels { out.string(.init(key), value) } } }
                out.mapping("spec") { out in
                    out.string("serviceAccountName", deployment.serviceAccount)
                    out.bool("automountServiceAccountToken", false)
                    if security.hostNetwork { out.bool("hostNetwork", true) }
                    if security.hostPID { out.bool("hostPID", true) }
                    if security.hostIPC { out.bool("hostIPC", true) }
                    podContext(security, into: &out)
                    let names = Self.volumeNames(workload)
                    out.sequence("containers") { out in out.itemMapping { container(workload, security: security, volumeNames: names, into: &$0) } }
                    volumes(workload, names: names, into: &out)
                }
            }
        }
    }

    /// The pod's security context: its user and seccomp profile.
    func podContext(_ security: PodSecurity) -> [StructuredValue.Entry] {
        var context: [StructuredValue.Entry] = []
        if let user = security.runAsUser { context.append(.init("runAsUser", .int(user))) }
        if let nonRoot = security.runAsNonRoot { context.append(.init("runAsNonRoot", .bool(nonRoot))) }
        if let seccomp = security.seccomp {
            context.append(.init("seccompProfile", Self.profile(seccomp)))
        }
        return context
    }

    /// `podContext(security)` written directly as `securityContext`, left out when empty.
    func podContext(_ security: PodSecurity, into out: inout YAMLWriter.Block) {
        out.nonEmptyMapping("securityContext") { out in
            if let user = security.runAsUser { out.int("runAsUser", user) }
            if let nonRoot = security.runAsNonRoot { out.bool("runAsNonRoot", nonRoot) }
            if let seccomp = security.seccomp { Self.profile("seccompProfile", seccomp, into: &out) }
        }
    }

    /// `key: profile(profile)` written directly.
    static func profile(_ key: YAMLWriter.Block.Key, _ profile: SecurityProfile, into out: inout YAMLWriter.Block) {
        out.mapping(key) { out in
            switch profile {
            case .runtimeDefault: out.string("type", "RuntimeDefault")
            case .unconfined: out.string("type", "Unconfined")
            case .localhost(let name):
                out.string("type", "Localhost")
                out.string("localhostProfile", name)
            }
        }
    }

    /// A `seccompProfile` or `appArmorProfile`: its type, and the node's profile for Localhost.
    static func profile(_ profile: SecurityProfile) -> StructuredValue {
        switch profile {
        case .runtimeDefault: .object([.init("type", "RuntimeDefault")])
        case .unconfined: .object([.init("type", "Unconfined")])
        case .localhost(let name): .object([.init("type", "Localhost"), .init("localhostProfile", .string(name))])
        }
    }

    /// The container's security context: privileges, root filesystem, capabilities.
    func containerContext(_ security: PodSecurity) -> [StructuredValue.Entry] {
        var context: [StructuredValue.Entry] = []
        if let privileged = security.privileged { context.append(.init("privileged", .bool(privileged))) }
        if let escalation = security.allowPrivilegeEscalation { context.append(.init("allowPrivilegeEscalation", .bool(escalation))) }
        if let readOnly = security.readOnlyRootFilesystem { context.append(.init("readOnlyRootFilesystem", .bool(readOnly))) }
        if !security.add.isEmpty || !security.drop.isEmpty {
            var capabilities: [StructuredValue.Entry] = []
            if !security.add.isEmpty { capabilities.append(.init("add", strings(security.add))) }
            if !security.drop.isEmpty { capabilities.append(.init("drop", strings(security.drop))) }
            context.append(.init("capabilities", .object(capabilities)))
        }
        if let apparmor = security.apparmor { context.append(.init("appArmorProfile", Self.profile(apparmor))) }
        return context
    }

    /// `containerContext(security)` written directly as `securityContext`, left out when empty.
    func containerContext(_ security: PodSecurity, into out: inout YAMLWriter.Block) {
        out.nonEmptyMapping("securityContext") { out in
            if let privileged = security.privileged { out.bool("privileged", privileged) }
            if let escalation = security.allowPrivilegeEscalation { out.bool("allowPrivilegeEscalation", escalation) }
            if let readOnly = security.readOnlyRootFilesystem { out.bool("readOnlyRootFilesystem", readOnly) }
            out.nonEmptyMapping("capabilities") { out in
                if !security.add.isEmpty { out.sequence("add") { out in for item in security.add { out.item(item) } } }
                if !security.drop.isEmpty { out.sequence("drop") { out in for item in security.drop { out.item(item) } } }
            }
            if let apparmor = security.apparmor { Self.profile("appArmorProfile", apparmor, into: &out) }
        }
    }

    /// A container's `ports`: one entry per listened port (named after it with `named`), or nil
    /// for a workload that listens on none.
    static func containerPorts(_ workload: Workload, named: Bool) -> StructuredValue.Entry? {
        let ports = OpenShiftPlan.singlePorts(workload.listens)
        guard !ports.isEmpty else { return nil }
        return .init(
            "ports",
            .array(
                ports.map { port in
                    .object(
                        (named ? [.init("name", .string(portName(port)))] : [])
                            + [.init("containerPort", .int(port.lower)), .init("protocol", .string(Self.protocolName(port.proto)))])
                }))
    }

    /// The workload's one container, up to its volume mounts: image, ports, limits, security context.
    func container(_ workload: Workload, securityContext: [StructuredValue.Entry]) -> [StructuredValue.Entry] {
        var container: [StructuredValue.Entry] = [.init("name", .string(workload.name)), .init("image", .string(workload.image.text))]
        if let ports = Self.containerPorts(workload, named: true) { container.append(ports) }
        if let resources = workload.runtime.resources, resources.cpuMillis != nil || resources.memoryBytes != nil {
            var limits: [StructuredValue.Entry] = []
            if let cpu = resources.cpuMillis { limits.append(.init("cpu", .string(Self.cpuText(cpu)))) }
            if let memory = resources.memoryBytes { limits.append(.init("memory", .string(resources.memoryText ?? String(memory)))) }
            container.append(.init("resources", .object([.init("limits", .object(limits))])))
        }
        if !securityContext.isEmpty { container.append(.init("securityContext", .object(securityContext))) }
        return container
    }

    /// A CPU limit as Kubernetes writes it: whole cores (`2`) or millicores (`500m`).
    static func cpuText(_ millis: Int) -> String { millis % 1000 == 0 ? String(millis / 1000) : "\(millis)m" }

    /// `container(workload, securityContext: containerContext(security))` and the mounts of
    /// the volumes named `names` (`volumeNames(workload)`) written directly, the ports' text
    /// replayed where an earlier container had the same ports.
    func container(_ workload: Workload, security: PodSecurity, volumeNames names: [String], into out: inout YAMLWriter.Block) {
        out.string("name", workload.name)
        out.string("image", workload.image.text)
        let ports = OpenShiftPlan.singlePorts(workload.listens)
        if !ports.isEmpty {
            reusing(ports, in: &containerPortsTexts, into: &out) { out in
                out.sequence("ports") { out in
                    for port in ports {
                        out.itemMapping { out in
                            out.string("name", Self.portName(port))
                            out.int("containerPort", port.lower)
                            out.string("protocol", Self.protocolName(port.proto))
                        }
                    }
                }
            }
        }
        if let resources = workload.runtime.resources, resources.cpuMillis != nil || resources.memoryBytes != nil {
            out.mapping("resources") { out in
                out.mapping("limits") { out in
                    if let cpu = resources.cpuMillis { out.string("cpu", Self.cpuText(cpu)) }
                    if let memory = resources.memoryBytes { out.string("memory", resources.memoryText ?? String(memory)) }
                }
            }
        }
        containerContext(security, into: &out)
        guard !names.isEmpty else { return }
        let paths = workload.runtime.writablePaths ?? []
        out.sequence("volumeMounts") { out in
            for (path, name) in zip(paths, names) {
                out.itemMapping { out in
                    out.string("name", name)
                    out.string("mountPath", path)
                }
            }
            for (secret, name) in zip(workload.secrets, names.dropFirst(paths.count)) {
                out.itemMapping { out in
                    out.string("name", name)
                    out.string("mountPath", "/run/secrets/\(secret)")
                    out.bool("readOnly", true)
                }
            }
        }
    }

    /// The `volumes` of `volumes(workload)` written directly, named `names` (`volumeNames(workload)`).
    func volumes(_ workload: Workload, names: [String], into out: inout YAMLWriter.Block) {
        guard !names.isEmpty else { return }
        let paths = workload.runtime.writablePaths ?? []
        out.sequence("volumes") { out in
            for name in names.prefix(paths.count) {
                out.itemMapping { out in
                    out.string("name", name)
                    out.mapping("emptyDir") { _ in }
                }
            }
            for (secret, name) in zip(workload.secrets, names.dropFirst(paths.count)) {
                out.itemMapping { out in
                    out.string("name", name)
                    out.mapping("secret") { out in
                        out.string("secretName", secret)
                        out.int("defaultMode", 0o400)
                    }
                }
            }
        }
    }

    /// Scratch space (emptyDir) for the writable paths and the secrets' volumes, with the
    /// container's mounts of them. Volumes are named after what they hold (`scratch-var-cache`,
    /// `secret-db-password`), so adding a path or a secret renames no other volume.
    func volumes(_ workload: Workload) -> (mounts: [StructuredValue], volumes: [StructuredValue]) {
        var mounts: [StructuredValue] = []
        var volumes: [StructuredValue] = []
        let paths = workload.runtime.writablePaths ?? []
        let names = Self.volumeNames(workload)
        for (path, name) in zip(paths, names) {
            mounts.append(.object([.init("name", .string(name)), .init("mountPath", .string(path))]))
            volumes.append(.object([.init("name", .string(name)), .init("emptyDir", .object([]))]))
        }
        for (secret, name) in zip(workload.secrets, names.dropFirst(paths.count)) {
            mounts.append(.object([.init("name", .string(name)), .init("mountPath", .string("/run/secrets/\(secret)")), .init("readOnly", true)]))
            volumes.append(
                .object([.init("name", .string(name)), .init("secret", .object([.init("secretName", .string(secret)), .init("defaultMode", .int(0o400))]))]))
        }
        return (mounts, volumes)
    }

    /// The names of a workload's volumes: its writable paths', then its secrets'.
    static func volumeNames(_ workload: Workload) -> [String] {
        let paths = workload.runtime.writablePaths ?? []
        guard !paths.isEmpty || !workload.secrets.isEmpty else { return [] }
        return volumeNames(paths: paths, secrets: workload.secrets)
    }

    /// Volume names, DNS labels of at most 63 characters: `scratch-` and the path's letters
    /// and digits (`/var/cache/nginx`: `scratch-var-cache-nginx`), `secret-` and the secret's
    /// name; where two meet (`/tmp` and `/TMP`), each gets a hash of its path or secret.
    static func volumeNames(paths: [String], secrets: [String]) -> [String] {
        func slug(_ path: String) -> String {
            let slug = OpenShiftPlan.slug(path)
            return slug.isEmpty ? "root" : slug
        }
        let items = paths.map { ("scratch-\(slug($0))", "path|\($0)") } + secrets.map { ("secret-\($0)", "secret|\($0)") }
        return StableName.unique(items, limit: 63)
    }

    /// A protocol as manifests name it (`TCP`): its description in capitals, made once per
    /// protocol rather than per port.
    static func protocolName(_ proto: TransportProtocol) -> String { protocolNames[proto.rawValue] }

    /// `protocolName` by raw value.
    private static let protocolNames = TransportProtocol.allCases.sorted { $0.rawValue < $1.rawValue }.map { $0.description.uppercased() }

    /// A Service or container port name: at most 15 characters, `tcp-8080`.
    static func portName(_ port: PortRange) -> String { "\(port.proto)-\(port.lower)" }

    func service(_ service: OpenShiftPlan.Service) -> StructuredValue {
        .object(
            header("v1", "Service", service.workload.name, namespace: service.namespace) + [
                .init(
                    "spec",
                    .object([
                        .init("type", "ClusterIP"),
                        .init("selector", strings([(OpenShiftPlan.workloadLabel, service.workload.name)])),
                        .init("ports", .array(service.ports.map(servicePort))),
                    ]))
            ])
    }

    /// `service(service)` written directly, its ports' text replayed where an earlier Service
    /// had the same ports.
    func service(_ service: OpenShiftPlan.Service, into out: inout YAMLWriter.Block) {
        header("v1", "Service", service.workload.name, namespace: service.namespace, into: &out)
        out.mapping("spec") { out in
            out.string("type", "ClusterIP")
            out.mapping("selector") { $0.string(.init(OpenShiftPlan.workloadLabel), service.workload.name) }
            reusing(service.ports, in: &servicePortsTexts, into: &out) { out in
                out.sequence("ports") { out in
                    for port in service.ports {
                        out.itemMapping { out in
                            out.string("name", Self.portName(port))
                            out.string("protocol", Self.protocolName(port.proto))
                            out.int("port", port.lower)
                            out.int("targetPort", port.lower)
                        }
                    }
                }
            }
        }
    }

    func servicePort(_ port: PortRange) -> StructuredValue {
        .object([
            .init("name", .string(Self.portName(port))), .init("protocol", .string(Self.protocolName(port.proto))),
            .init("port", .int(port.lower)), .init("targetPort", .int(port.lower)),
        ])
    }

    func loadBalancer(_ balancer: LoadBalancer) -> StructuredValue {
        var spec: [StructuredValue.Entry] = [
            .init("type", balancer.nodePort ? "NodePort" : "LoadBalancer"),
            .init("externalTrafficPolicy", balancer.preservesClientAddress ? "Local" : "Cluster"),
        ]
        if balancer.dualStack {
            spec.append(.init("ipFamilyPolicy", "PreferDualStack"))
            spec.append(.init("ipFamilies", ["IPv4", "IPv6"]))
        }
        spec.append(.init("selector", strings(balancer.selector.labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })))
        spec.append(.init("ports", .array(balancer.ports.map(servicePort))))
        if !balancer.sourceRanges.isEmpty, !balancer.nodePort {
            spec.append(.init("loadBalancerSourceRanges", strings(balancer.sourceRanges.map(\.description))))
        }
        return .object(header("v1", "Service", balancer.name, namespace: balancer.namespace) + [.init("spec", .object(spec))])
    }

    /// The route's allowlist under both annotation names: OpenShift 4.12-4.17 read
    /// `ip_whitelist`, 4.18 and later read `ip_allowlist` first.
    static let allowlistAnnotations = ["haproxy.router.openshift.io/ip_allowlist", "haproxy.router.openshift.io/ip_whitelist"]

    /// Ports whose routes pass TLS through; every other port is routed as plain HTTP.
    static let tlsPorts: Set<Int> = [443, 8443]

    func route(_ route: Route) -> StructuredValue {
        let annotations = route.allowlist.map { list in Self.allowlistAnnotations.map { ($0, list.map(\.description).joined(separator: " ")) } } ?? []
        let service = route.selector.labels[OpenShiftPlan.workloadLabel] ?? route.name
        var spec: [StructuredValue.Entry] = [
            .init("to", .object([.init("kind", "Service"), .init("name", .string(service)), .init("weight", 100)])),
            .init("port", .object([.init("targetPort", .string(Self.portName(PortRange(.tcp, route.port, route.port))))])),
        ]
        // The routers take HTTP on 80 and TLS on 443: a workload's TLS port passes through
        // untouched (the router reads only the SNI), any other port is plain HTTP.
        if Self.tlsPorts.contains(route.port) { spec.append(.init("tls", .object([.init("termination", "passthrough")]))) }
        let metadata = header("route.openshift.io/v1", "Route", route.name, namespace: route.namespace, annotations: annotations)
        return .object(metadata + [.init("spec", .object(spec))])
    }
}
