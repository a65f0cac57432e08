import IR
import YAML

/// Reads `manifests.yaml` back, from the file alone, into what OpenShift enforces: the
/// connections its NetworkPolicies, EgressFirewalls, Services and Routes allow (see
/// `ClusterNetwork`), the runtime controls each Deployment runs with once an SCC its service
/// account may use admits it, and the actions each identity's RoleBindings grant.
struct OpenShiftReader {
    let policy: Policy
    let files: [OutputFile]
    /// The team's own documents, when reading what kustomize builds from them and the
    /// component in `files` (`deployment(_:application:…)`): kinds the reader does not model
    /// (ConfigMaps, PersistentVolumeClaims, …) and workloads outside the spec are left out,
    /// and a workload no SCC admits has no runtime instead of failing the read.
    var application: [YAMLNode]? = nil
    /// Kinds another reader reads (Kubernetes' CiliumNetworkPolicy): kept in `Parsed.passed`.
    var passThrough: Set<String> = []
    /// The pod and service networks, which AdminNetworkPolicy `networks` peers are checked
    /// against: nil for the openshift target's `cluster_networks` (`AdminNetworkPolicyPlan.swift`).
    var clusterNetworks: AddressSet? = nil

    /// The file it reads.
    static let file = OpenShiftEmitter.file

    struct DeploymentRecord {
        var workload: WorkloadID
        var namespace: String
        var serviceAccount: String
        var labels: [String: String]
        var security: PodSecurity
        var writablePaths: [String]
        var resources: Resources?
    }

    /// The objects of a manifest file, as the platform sees them.
    struct Parsed {
        var network: ClusterNetwork
        var sccs: [String: SecurityContextConstraints]
        var roles: [String: RBACRole]
        var bindings: [RBACBinding]
        var deployments: [DeploymentRecord]
        /// ValidatingAdmissionPolicies and their bindings, and each workload's object.
        var admission: [YAMLNode] = []
        var workloadObjects: [ImageAdmissionCheck.Workload] = []
        /// The documents of `passThrough` kinds.
        var passed: [YAMLNode] = []
    }

    func read() throws -> ReadBack {
        let parsed = try parse()
        var runtime: [WorkloadID: RuntimeProfile] = [:]
        for (workload, admission) in try admissions(parsed) { runtime[workload] = admission.runtime }
        _ = try imageAdmission(parsed.admission, workloads: parsed.workloadObjects)
        return ReadBack(relation: parsed.network.relation, runtime: runtime, grants: grants(parsed))
    }

    /// Each Deployment's pod through SCC admission: the SCCs its service account may use
    /// (through RoleBindings in its namespace) plus restricted-v2, which every service account
    /// may use; the SCC that admits it (what OpenShift writes in the pod's `openshift.io/scc`
    /// annotation) and the runtime it then runs with.
    func admissions(_ parsed: Parsed) throws -> [WorkloadID: (scc: String, runtime: RuntimeProfile)] {
        var result: [WorkloadID: (scc: String, runtime: RuntimeProfile)] = [:]
        var usable: [RBACSubject: [SecurityContextConstraints]] = [:]
        for binding in parsed.bindings {
            var sccs: [SecurityContextConstraints] = []
            for rule in parsed.roles["\(binding.namespace)/\(binding.role)"]?.rules ?? []
            where rule.verbs.contains("use")
                && rule.apiGroups.contains("security.openshift.io") && rule.resources.contains("securitycontextconstraints")
            {
                sccs += rule.resourceNames.compactMap { parsed.sccs[$0] }
            }
            guard !sccs.isEmpty else { continue }
            // A RoleBinding grants within its own namespace only.
            for subject in binding.subjects where subject.kind == .serviceAccount && subject.namespace == binding.namespace {
                usable[subject, default: []] += sccs
            }
        }
        for record in parsed.deployments {
            let account = RBACSubject(kind: .serviceAccount, name: record.serviceAccount, namespace: record.namespace)
            let candidates = [SecurityContextConstraints.restrictedV2] + (usable[account] ?? [])
            guard let (scc, admitted) = SecurityContextConstraints.admission(of: record.security, among: candidates) else {
                if application != nil { continue }
                throw ReadFailure(Self.file, "Deployment \(policy.workloads[record.workload.index].name): no SCC its service account may use admits its pods")
            }
            result[record.workload] = (scc.name, admitted.profile(writablePaths: record.writablePaths, resources: record.resources))
        }

        return result
    }

    /// The documents to read: `manifests.yaml`, or what kustomize builds from the component
    /// (over the team's documents, or over a skeleton of each workload it patches).
    func documents() throws -> [YAMLNode] {
        if files.contains(where: { $0.path == KubeOverlay.kustomization }) {
            return try KubeOverlay.build(files, application: application, policy: policy)
        }
        return try files.required(Self.file).documents()
    }

    func parse() throws -> Parsed {
        let documents = try documents()
        let lenient = application != nil
        var workloadIDs: [String: WorkloadID] = [:]
        for workload in policy.workloads { workloadIDs[workload.name] = workload.id }

        var network = ClusterNetwork(namespaces: [:], pods: [], policies: [], firewalls: [], loadBalancers: [], routes: [])
        var sccs: [String: SecurityContextConstraints] = [:]
        var roles: [String: RBACRole] = [:]
        var bindings: [RBACBinding] = []
        var deployments: [DeploymentRecord] = []
        var admission: [YAMLNode] = []
        var workloadObjects: [ImageAdmissionCheck.Workload] = []
        var servicePorts: [String: (selector: LabelSelector, ports: [String: Int])] = [:]
        var routeNodes: [(String, YAMLNode)] = []
        var passed: [YAMLNode] = []
        var seen = Set<String>()
        for document in documents {
            let kind = try string(document["kind"], "kind")
            let name = try string(document["metadata"]?["name"], "\(kind) name")
            let namespace = document["metadata"]?["namespace"]?.scalar ?? ""
            // oc apply would make the later object replace the earlier one.
            guard seen.insert("\(kind)/\(namespace)/\(name)").inserted else {
                throw ReadFailure(Self.file, "\(kind) \(namespace)/\(name) is in the file twice")
            }
            switch kind {
            case "Namespace":
                network.namespaces[name] = try labels(document["metadata"]?["labels"])
            case "ServiceAccount":
                continue
            case "SecurityContextConstraints":
                sccs[name] = try securityContextConstraints(document, name: name)
            case "Role":
                roles["\(namespace)/\(name)"] = RBACRole(name: name, namespace: namespace, rules: try list(document["rules"], "rules of \(name)").map(rule))
            case "RoleBinding":
                bindings.append(try binding(document, name: name, namespace: namespace))
            case "NetworkPolicy":
                network.policies.append(try networkPolicy(document, name: name, namespace: namespace))
            case "EgressFirewall":
                guard name == "default" else {
                    throw ReadFailure(Self.file, "EgressFirewall '\(name)' in \(namespace): OpenShift only honours one named 'default'")
                }
                let rules = try list(document["spec"]?["egress"], "egress of the EgressFirewall in \(namespace)").map(firewallRule)
                network.firewalls.append(EgressFirewall(namespace: namespace, rules: rules))
            case "Deployment", "StatefulSet", "DaemonSet":
                guard let id = workloadIDs[name] else {
                    if lenient { continue }
                    throw ReadFailure(Self.file, "\(kind) '\(name)' is not a workload of the spec")
                }
                deployments.append(try deployment(document, workload: id, namespace: namespace))
                workloadObjects.append(
                    .init(
                        name: name, namespace: namespace, resource: "apps/\(kind.lowercased())s", object: document, image: policy.workloads[id.index].image.text
                    ))
            case "AdminNetworkPolicy":
                network.adminPolicies.append(try adminNetworkPolicy(document, name: name, baseline: false))
            case "BaselineAdminNetworkPolicy":
                network.baseline = try adminNetworkPolicy(document, name: name, baseline: true)
            case "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
                admission.append(document)
            case "Service":
                let (selector, ports, balancer) = try service(document, name: name, namespace: namespace)
                servicePorts["\(namespace)/\(name)"] = (selector, ports)
                if let balancer { network.loadBalancers.append(balancer) }
            case "Route":
                routeNodes.append((namespace, document))
            case _ where passThrough.contains(kind):
                passed.append(document)
            default:
                if lenient { continue }
                throw ReadFailure(Self.file, "unexpected kind \(kind)")
            }
        }
        for (namespace, document) in routeNodes {
            network.routes.append(try route(document, namespace: namespace, services: servicePorts))
        }
        if let ambiguity = AdminNetworkPolicyOrder.ambiguity(network.adminPolicies) { throw ReadFailure(Self.file, ambiguity) }
        for record in deployments {
            network.pods.append(
                PodGroup(
                    workload: record.workload, namespace: record.namespace, labels: record.labels, hostNetwork: record.security.hostNetwork))
        }
        return Parsed(
            network: network, sccs: sccs, roles: roles, bindings: bindings, deployments: deployments, admission: admission, workloadObjects: workloadObjects,
            passed: passed)
    }

    // MARK: Kinds

    /// A Service: what it selects, its port numbers by name (for routes), and the load
    /// balancer it is when its type is LoadBalancer.
    func service(_ node: YAMLNode, name: String, namespace: String) throws -> (LabelSelector, [String: Int], LoadBalancer?) {
        let spec = node["spec"]
        let selector = LabelSelector(labels: try labels(spec?["selector"]))
        var ports: [String: Int] = [:]
        var ranges: [PortRange] = []
        for port in try list(spec?["ports"], "ports of Service \(name)") {
            let proto = try transport(port["protocol"]?.scalar ?? "TCP")
            guard let number = port["targetPort"]?.scalar.flatMap({ Int($0) }) ?? port["port"]?.scalar.flatMap({ Int($0) }) else {
                throw ReadFailure(Self.file, "Service \(name): a port without a number")
            }
            if let portName = port["name"]?.scalar { ports[portName] = number }
            ranges.append(PortRange(proto, number, number))
        }
        let type = spec?["type"]?.scalar
        guard type == "LoadBalancer" || type == "NodePort" else { return (selector, ports, nil) }
        let sources = try spec?["loadBalancerSourceRanges"].map { try list($0, "loadBalancerSourceRanges").map { try cidr($0.scalar) } } ?? []
        let balancer = LoadBalancer(
            name: name, namespace: namespace, selector: selector, ports: ranges, sourceRanges: sources,
            preservesClientAddress: spec?["externalTrafficPolicy"]?.scalar == "Local",
            dualStack: ["PreferDualStack", "RequireDualStack"].contains(spec?["ipFamilyPolicy"]?.scalar ?? ""), nodePort: type == "NodePort")
        return (selector, ports, balancer)
    }

    func securityContextConstraints(_ node: YAMLNode, name: String) throws -> SecurityContextConstraints {
        var scc = SecurityContextConstraints(name: name)
        scc.priority = node["priority"]?.scalar.flatMap { Int($0) }
        func flag(_ key: String) -> Bool { node[key]?.scalar == "true" }
        scc.allowPrivilegedContainer = flag("allowPrivilegedContainer")
        scc.allowPrivilegeEscalation = node["allowPrivilegeEscalation"].map { $0.scalar == "true" } ?? true
        scc.readOnlyRootFilesystem = flag("readOnlyRootFilesystem")
        scc.allowHostNetwork = flag("allowHostNetwork")
        scc.allowHostPID = flag("allowHostPID")
        scc.allowHostIPC = flag("allowHostIPC")
        scc.allowHostPorts = flag("allowHostPorts")
        scc.requiredDropCapabilities = try strings(node["requiredDropCapabilities"])
        scc.allowedCapabilities = try strings(node["allowedCapabilities"])
        scc.seccompProfiles = try strings(node["seccompProfiles"])
        scc.volumes = try strings(node["volumes"])
        let strategy = node["runAsUser"]
        switch strategy?["type"]?.scalar {
        case "MustRunAs":
            guard let uid = strategy?["uid"]?.scalar.flatMap({ Int($0) }) else { throw ReadFailure(Self.file, "SCC \(name): MustRunAs without a uid") }
            scc.runAsUser = .mustRunAs(uid)
        case "MustRunAsNonRoot": scc.runAsUser = .mustRunAsNonRoot
        case "MustRunAsRange": scc.runAsUser = .mustRunAsRange
        case "RunAsAny": scc.runAsUser = .runAsAny
        default: throw ReadFailure(Self.file, "SCC \(name): unknown runAsUser strategy")
        }
        return scc
    }

    func rule(_ node: YAMLNode) throws -> RBACRule {
        RBACRule(
            apiGroups: try strings(node["apiGroups"]), resources: try strings(node["resources"]),
            verbs: try strings(node["verbs"]), resourceNames: try strings(node["resourceNames"]))
    }

    func binding(_ node: YAMLNode, name: String, namespace: String) throws -> RBACBinding {
        guard node["roleRef"]?["kind"]?.scalar == "Role", let role = node["roleRef"]?["name"]?.scalar else {
            throw ReadFailure(Self.file, "RoleBinding \(name): roleRef is not a Role")
        }
        let subjects = try list(node["subjects"], "subjects of \(name)").map { subject in
            guard let kind = subject["kind"]?.scalar.flatMap(RBACSubject.Kind.init(rawValue:)), let subjectName = subject["name"]?.scalar else {
                throw ReadFailure(Self.file, "RoleBinding \(name): a subject without kind or name")
            }
            return RBACSubject(kind: kind, name: subjectName, namespace: kind == .serviceAccount ? (subject["namespace"]?.scalar ?? namespace) : nil)
        }
        return RBACBinding(name: name, namespace: namespace, role: role, subjects: subjects)
    }

    func networkPolicy(_ node: YAMLNode, name: String, namespace: String) throws -> NetworkPolicy {
        guard let spec = node["spec"] else { throw ReadFailure(Self.file, "NetworkPolicy \(name) has no spec") }
        let types = try spec["policyTypes"].map { try strings($0) } ?? (spec["egress"] == nil ? ["Ingress"] : ["Ingress", "Egress"])
        func rules(_ key: String, _ side: String) throws -> [PolicyRule] {
            try spec[key].map { try list($0, "\(key) of \(name)") }?.map { rule in
                // An empty or missing list means everyone, or every port.
                let peers = try rule[side].map { try list($0, side).map(peer) }.flatMap { $0.isEmpty ? nil : $0 }
                let ports = try rule["ports"].map { try list($0, "ports").map(policyPort) }.flatMap { $0.isEmpty ? nil : $0 }
                return PolicyRule(peers: peers, ports: ports)
            } ?? []
        }
        return NetworkPolicy(
            name: name, namespace: namespace, podSelector: try selector(spec["podSelector"]),
            ingress: types.contains("Ingress") ? try rules("ingress", "from") : nil,
            egress: types.contains("Egress") ? try rules("egress", "to") : nil)
    }

    func peer(_ node: YAMLNode) throws -> PolicyPeer {
        if let block = node["ipBlock"] {
            let except = try block["except"].map { try list($0, "except").map { try cidr($0.scalar) } } ?? []
            return .block(cidr: try cidr(block["cidr"]?.scalar), except: except)
        }
        return .pods(namespaces: try node["namespaceSelector"].map(selector), pods: try node["podSelector"].map(selector))
    }

    func policyPort(_ node: YAMLNode) throws -> PolicyPort {
        let proto = try transport(node["protocol"]?.scalar ?? "TCP")
        guard let text = node["port"]?.scalar else { return PolicyPort(proto: proto) }
        guard let port = Int(text) else { throw ReadFailure(Self.file, "named port '\(text)': the reader takes numbers only") }
        return PolicyPort(proto: proto, port: port, endPort: node["endPort"]?.scalar.flatMap { Int($0) })
    }

    func firewallRule(_ node: YAMLNode) throws -> EgressFirewallRule {
        let allow: Bool
        switch node["type"]?.scalar {
        case "Allow": allow = true
        case "Deny": allow = false
        default: throw ReadFailure(Self.file, "an EgressFirewall rule that is neither Allow nor Deny")
        }
        let to: EgressFirewallRule.Destination
        if let text = node["to"]?["cidrSelector"]?.scalar {
            to = .cidr(try cidr(text))
        } else if let name = node["to"]?["dnsName"]?.scalar {
            to = .dnsName(name)
        } else {
            throw ReadFailure(Self.file, "an EgressFirewall rule without cidrSelector or dnsName")
        }
        let ports = try node["ports"].map {
            try list($0, "ports").map { entry -> PortRange in
                guard let port = entry["port"]?.scalar.flatMap({ Int($0) }) else { throw ReadFailure(Self.file, "an EgressFirewall port without a number") }
                return PortRange(try transport(entry["protocol"]?.scalar ?? "TCP"), port, port)
            }
        }
        return EgressFirewallRule(allow: allow, to: to, ports: ports)
    }

    func deployment(_ node: YAMLNode, workload: WorkloadID, namespace: String) throws -> DeploymentRecord {
        guard let template = node["spec"]?["template"], let pod = template["spec"] else {
            throw ReadFailure(Self.file, "Deployment without a pod template")
        }
        let containers = try list(pod["containers"], "containers")
        let name = policy.workloads[workload.index].name
        // The team's pods may have sidecars: the workload is the container named after it.
        let chosen = application == nil || containers.count == 1 ? containers.first : containers.first { $0["name"]?.scalar == name }
        guard application != nil || containers.count == 1, let container = chosen else {
            throw ReadFailure(Self.file, "a Deployment with \(containers.count) containers")
        }
        let podContext = pod["securityContext"]
        let context = container["securityContext"]
        func flag(_ key: String) -> Bool? {
            (context?[key] ?? podContext?[key])?.scalar.map { $0 == "true" }
        }
        var security = PodSecurity()
        security.runAsUser = (context?["runAsUser"] ?? podContext?["runAsUser"])?.scalar.flatMap { Int($0) }
        security.runAsNonRoot = flag("runAsNonRoot")
        security.privileged = context?["privileged"]?.scalar.map { $0 == "true" }
        security.allowPrivilegeEscalation = context?["allowPrivilegeEscalation"]?.scalar.map { $0 == "true" }
        security.readOnlyRootFilesystem = context?["readOnlyRootFilesystem"]?.scalar.map { $0 == "true" }
        security.add = try strings(context?["capabilities"]?["add"])
        security.drop = try strings(context?["capabilities"]?["drop"])
        security.seccomp = try (context?["seccompProfile"] ?? podContext?["seccompProfile"]).map { try profile($0, "seccompProfile") }
        security.apparmor = try (context?["appArmorProfile"] ?? podContext?["appArmorProfile"]).map { try profile($0, "appArmorProfile") }
        security.hostNetwork = pod["hostNetwork"]?.scalar == "true"
        security.hostPID = pod["hostPID"]?.scalar == "true"
        security.hostIPC = pod["hostIPC"]?.scalar == "true"
        let containerPorts = try container["ports"].map { try list($0, "ports") } ?? []
        security.hostPorts = containerPorts.contains { $0["hostPort"] != nil } || (security.hostNetwork && !containerPorts.isEmpty)
        var emptyDirs = Set<String>()
        for volume in try pod["volumes"].map({ try list($0, "volumes") }) ?? [] {
            guard case .mapping(let pairs) = volume.content, let type = pairs.first(where: { $0.name != "name" })?.name else { continue }
            security.volumeTypes.insert(type)
            if type == "emptyDir", let name = volume["name"]?.scalar { emptyDirs.insert(name) }
        }
        let mounts = try container["volumeMounts"].map { try list($0, "volumeMounts") } ?? []
        let writable = mounts.filter { emptyDirs.contains($0["name"]?.scalar ?? "") }.compactMap { $0["mountPath"]?.scalar }
        var resources: Resources?
        if let limits = container["resources"]?["limits"] {
            resources = Resources(cpuMillis: limits["cpu"]?.scalar.flatMap(Quantity.millicores), memoryBytes: limits["memory"]?.scalar.flatMap(Quantity.bytes))
        }
        return DeploymentRecord(
            workload: workload, namespace: namespace, serviceAccount: pod["serviceAccountName"]?.scalar ?? "default",
            labels: try labels(template["metadata"]?["labels"]), security: security, writablePaths: writable, resources: resources)
    }

    /// A `seccompProfile` or `appArmorProfile`.
    func profile(_ node: YAMLNode, _ field: String) throws -> SecurityProfile {
        switch node["type"]?.scalar {
        case "RuntimeDefault": return .runtimeDefault
        case "Unconfined": return .unconfined
        case "Localhost": return .localhost(node["localhostProfile"]?.scalar ?? "")
        default: throw ReadFailure(Self.file, "unknown \(field) type")
        }
    }

    func route(_ node: YAMLNode, namespace: String, services: [String: (selector: LabelSelector, ports: [String: Int])]) throws -> Route {
        let name = node["metadata"]?["name"]?.scalar ?? ""
        guard let serviceName = node["spec"]?["to"]?["name"]?.scalar, let service = services["\(namespace)/\(serviceName)"] else {
            throw ReadFailure(Self.file, "Route \(name) points at no Service of the file")
        }
        let target = node["spec"]?["port"]?["targetPort"]?.scalar ?? ""
        guard let port = service.ports[target] ?? Int(target) else { throw ReadFailure(Self.file, "Route \(name): no port '\(target)' on its Service") }
        // OpenShift 4.12 reads ip_whitelist (4.18 and later prefer ip_allowlist: both must
        // agree). One entry that is not an address or CIDR makes 4.12 drop the whole list.
        let annotations = node["metadata"]?["annotations"]
        let values = OpenShiftEmitter.allowlistAnnotations.map { annotations?[$0]?.scalar }
        guard values[0] == nil || values[0] == values[1] else { throw ReadFailure(Self.file, "Route \(name): its allowlist annotations disagree") }
        var allowlist: [CIDR]? = nil
        if let text = values[1] {
            let parsed = text.split(separator: " ", omittingEmptySubsequences: false).map { CIDR.parse(String($0)) }
            let entries = parsed.compactMap { result -> CIDR? in if case .valid(let cidr) = result { cidr } else { nil } }
            allowlist = entries.count == parsed.count && !entries.isEmpty ? entries : nil
        }
        return Route(name: name, namespace: namespace, selector: service.selector, port: port, allowlist: allowlist)
    }

    // MARK: Values

    func string(_ node: YAMLNode?, _ what: String) throws -> String {
        guard let text = node?.scalar else { throw ReadFailure(Self.file, "\(what) is missing") }
        return text
    }

    func strings(_ node: YAMLNode?) throws -> [String] {
        guard let node, !node.isNull else { return [] }
        return try list(node, "a list").compactMap(\.scalar)
    }

    func list(_ node: YAMLNode?, _ what: String) throws -> [YAMLNode] {
        guard let node, case .sequence(let items) = node.content else { throw ReadFailure(Self.file, "\(what) is not a list") }
        return items
    }

    func labels(_ node: YAMLNode?) throws -> [String: String] {
        guard let node else { return [:] }
        guard case .mapping(let pairs) = node.content else { throw ReadFailure(Self.file, "labels are not a mapping") }
        return Dictionary(pairs.map { ($0.name, $0.value.scalar ?? "") }, uniquingKeysWith: { first, _ in first })
    }

    func selector(_ node: YAMLNode?) throws -> LabelSelector {
        guard let node else { return .everything }
        if node["matchExpressions"] != nil { throw ReadFailure(Self.file, "matchExpressions: the reader takes matchLabels only") }
        return LabelSelector(labels: try labels(node["matchLabels"]))
    }

    func transport(_ name: String) throws -> TransportProtocol {
        guard let proto = TransportProtocol(name: name.lowercased()), proto.hasPorts else { throw ReadFailure(Self.file, "protocol \(name)") }
        return proto
    }

    func cidr(_ text: String?) throws -> CIDR {
        guard let text, case .valid(let cidr) = CIDR.parse(text) else { throw ReadFailure(Self.file, "'\(text ?? "")' is not a CIDR") }
        return cidr
    }
}
