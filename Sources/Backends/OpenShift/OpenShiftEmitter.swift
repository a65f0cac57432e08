import IR
import YAML

/// Writes an `OpenShiftPlan` as the documents of `manifests.yaml`, in the order `oc apply`
/// needs them: namespaces and cluster-scoped SCCs first, then each namespace's objects.
struct OpenShiftEmitter {
    let plan: OpenShiftPlan

    func documents() -> [StructuredValue] {
        var documents = plan.namespaces.map(namespace)
        documents += plan.deployments.map { securityContextConstraints($0.scc) }
        for namespace in plan.namespaces.map(\.name) {
            documents += plan.serviceAccounts.filter { $0.namespace == namespace }.map(serviceAccount)
            documents += plan.roles.filter { $0.namespace == namespace }.map(role)
            documents += plan.bindings.filter { $0.namespace == namespace }.map(binding)
            documents += plan.network.policies.filter { $0.namespace == namespace }.map(networkPolicy)
            documents += plan.network.firewalls.filter { $0.namespace == namespace }.map(egressFirewall)
            documents += plan.deployments.filter { $0.namespace == namespace }.map(deployment)
            documents += plan.services.filter { $0.namespace == namespace }.map(service)
            documents += plan.network.loadBalancers.filter { $0.namespace == namespace }.map(loadBalancer)
            documents += plan.network.routes.filter { $0.namespace == namespace }.map(route)
        }
        return documents
    }

    func header(_ apiVersion: String, _ kind: String, _ name: String, namespace: String? = nil, labels: [(String, String)] = [], annotations: [(String, String)] = []) -> [StructuredValue.Entry] {
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
        return .object([.init("matchLabels", strings(selector.labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))])
    }

    func namespace(_ namespace: OpenShiftPlan.Namespace) -> StructuredValue {
        .object(header("v1", "Namespace", namespace.name, labels: namespace.labels))
    }

    func serviceAccount(_ account: OpenShiftPlan.ServiceAccount) -> StructuredValue {
        .object(header("v1", "ServiceAccount", account.name, namespace: account.namespace) + [.init("automountServiceAccountToken", false)])
    }

    func securityContextConstraints(_ scc: SecurityContextConstraints) -> StructuredValue {
        let runAsUser: StructuredValue = switch scc.runAsUser {
        case .mustRunAs(let uid): .object([.init("type", "MustRunAs"), .init("uid", .int(uid))])
        case .mustRunAsNonRoot: .object([.init("type", "MustRunAsNonRoot")])
        case .mustRunAsRange: .object([.init("type", "MustRunAsRange")])
        case .runAsAny: .object([.init("type", "RunAsAny")])
        }
        return .object(header("security.openshift.io/v1", "SecurityContextConstraints", scc.name) + [
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
        .object(header("rbac.authorization.k8s.io/v1", "Role", role.name, namespace: role.namespace) + [
            .init("rules", .array(role.rules.map { rule in
                var entries: [StructuredValue.Entry] = [.init("apiGroups", strings(rule.apiGroups)), .init("resources", strings(rule.resources))]
                if !rule.resourceNames.isEmpty { entries.append(.init("resourceNames", strings(rule.resourceNames))) }
                entries.append(.init("verbs", strings(rule.verbs)))
                return .object(entries)
            })),
        ])
    }

    func binding(_ binding: RBACBinding) -> StructuredValue {
        .object(header("rbac.authorization.k8s.io/v1", "RoleBinding", binding.name, namespace: binding.namespace) + [
            .init("roleRef", .object([.init("apiGroup", "rbac.authorization.k8s.io"), .init("kind", "Role"), .init("name", .string(binding.role))])),
            .init("subjects", .array(binding.subjects.map { subject in
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
            .array(rules.map { rule in
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

    func peer(_ peer: PolicyPeer) -> StructuredValue {
        switch peer {
        case let .pods(namespaces, pods):
            var entries: [StructuredValue.Entry] = []
            if let namespaces { entries.append(.init("namespaceSelector", selector(namespaces))) }
            if let pods { entries.append(.init("podSelector", selector(pods))) }
            return .object(entries)
        case let .block(cidr, except):
            var block: [StructuredValue.Entry] = [.init("cidr", .string(cidr.description))]
            if !except.isEmpty { block.append(.init("except", strings(except.map(\.description)))) }
            return .object([.init("ipBlock", .object(block))])
        }
    }

    func port(_ port: PolicyPort) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [.init("protocol", .string(port.proto.description.uppercased()))]
        if let number = port.port { entries.append(.init("port", .int(number))) }
        if let end = port.endPort { entries.append(.init("endPort", .int(end))) }
        return .object(entries)
    }

    func egressFirewall(_ firewall: EgressFirewall) -> StructuredValue {
        .object(header("k8s.ovn.org/v1", "EgressFirewall", "default", namespace: firewall.namespace) + [
            .init("spec", .object([.init("egress", .array(firewall.rules.map { rule in
                let to: StructuredValue = switch rule.to {
                case .cidr(let cidr): .object([.init("cidrSelector", .string(cidr.description))])
                case .dnsName(let name): .object([.init("dnsName", .string(name))])
                }
                var entries: [StructuredValue.Entry] = [.init("type", rule.allow ? "Allow" : "Deny"), .init("to", to)]
                if let ports = rule.ports {
                    entries.append(.init("ports", .array(ports.map { .object([.init("protocol", .string($0.proto.description.uppercased())), .init("port", .int($0.lower))]) })))
                }
                return .object(entries)
            }))])),
        ])
    }

    func deployment(_ deployment: OpenShiftPlan.Deployment) -> StructuredValue {
        let workload = deployment.workload
        let security = deployment.security
        let runtime = workload.runtime
        var podContext: [StructuredValue.Entry] = []
        if let user = security.runAsUser { podContext.append(.init("runAsUser", .int(user))) }
        if let nonRoot = security.runAsNonRoot { podContext.append(.init("runAsNonRoot", .bool(nonRoot))) }
        if let seccomp = security.seccomp {
            switch seccomp {
            case .runtimeDefault: podContext.append(.init("seccompProfile", .object([.init("type", "RuntimeDefault")])))
            case .unconfined: podContext.append(.init("seccompProfile", .object([.init("type", "Unconfined")])))
            case .localhost(let path):
                podContext.append(.init("seccompProfile", .object([.init("type", "Localhost"), .init("localhostProfile", .string(path))])))
            }
        }
        var containerContext: [StructuredValue.Entry] = []
        if let privileged = security.privileged { containerContext.append(.init("privileged", .bool(privileged))) }
        if let escalation = security.allowPrivilegeEscalation { containerContext.append(.init("allowPrivilegeEscalation", .bool(escalation))) }
        if let readOnly = security.readOnlyRootFilesystem { containerContext.append(.init("readOnlyRootFilesystem", .bool(readOnly))) }
        if !security.add.isEmpty || !security.drop.isEmpty {
            var capabilities: [StructuredValue.Entry] = []
            if !security.add.isEmpty { capabilities.append(.init("add", strings(security.add))) }
            if !security.drop.isEmpty { capabilities.append(.init("drop", strings(security.drop))) }
            containerContext.append(.init("capabilities", .object(capabilities)))
        }

        var container: [StructuredValue.Entry] = [.init("name", .string(workload.name)), .init("image", .string(workload.image.text))]
        let ports = OpenShiftPlan.singlePorts(workload.listens)
        if !ports.isEmpty {
            container.append(.init("ports", .array(ports.map { port in
                .object([.init("name", .string(Self.portName(port))), .init("containerPort", .int(port.lower)), .init("protocol", .string(port.proto.description.uppercased()))])
            })))
        }
        if let resources = runtime.resources, resources.cpuMillis != nil || resources.memoryBytes != nil {
            var limits: [StructuredValue.Entry] = []
            if let cpu = resources.cpuMillis { limits.append(.init("cpu", .string(cpu % 1000 == 0 ? String(cpu / 1000) : "\(cpu)m"))) }
            if let memory = resources.memoryBytes { limits.append(.init("memory", .string(resources.memoryText ?? String(memory)))) }
            container.append(.init("resources", .object([.init("limits", .object(limits))])))
        }
        if !containerContext.isEmpty { container.append(.init("securityContext", .object(containerContext))) }
        var mounts: [StructuredValue] = []
        var volumes: [StructuredValue] = []
        for (index, path) in (runtime.writablePaths ?? []).enumerated() {
            mounts.append(.object([.init("name", .string("scratch-\(index + 1)")), .init("mountPath", .string(path))]))
            volumes.append(.object([.init("name", .string("scratch-\(index + 1)")), .init("emptyDir", .object([]))]))
        }
        for (index, secret) in workload.secrets.enumerated() {
            mounts.append(.object([.init("name", .string("secret-\(index + 1)")), .init("mountPath", .string("/run/secrets/\(secret)")), .init("readOnly", true)]))
            volumes.append(.object([.init("name", .string("secret-\(index + 1)")), .init("secret", .object([.init("secretName", .string(secret)), .init("defaultMode", .int(0o400))]))]))
        }
        if !mounts.isEmpty { container.append(.init("volumeMounts", .array(mounts))) }

        var pod: [StructuredValue.Entry] = [
            .init("serviceAccountName", .string(deployment.serviceAccount)),
            .init("automountServiceAccountToken", false),
        ]
        if security.hostNetwork { pod.append(.init("hostNetwork", true)) }
        if security.hostPID { pod.append(.init("hostPID", true)) }
        if security.hostIPC { pod.append(.init("hostIPC", true)) }
        if !podContext.isEmpty { pod.append(.init("securityContext", .object(podContext))) }
        pod.append(.init("containers", .array([.object(container)])))
        if !volumes.isEmpty { pod.append(.init("volumes", .array(volumes))) }

        let labels = strings(deployment.labels)
        return .object(header("apps/v1", "Deployment", workload.name, namespace: deployment.namespace, labels: deployment.labels) + [
            .init("spec", .object([
                .init("replicas", .int(workload.replicas)),
                .init("selector", .object([.init("matchLabels", strings([(OpenShiftPlan.workloadLabel, workload.name)]))])),
                .init("template", .object([
                    .init("metadata", .object([.init("labels", labels)])),
                    .init("spec", .object(pod)),
                ])),
            ])),
        ])
    }

    /// A Service or container port name: at most 15 characters, `tcp-8080`.
    static func portName(_ port: PortRange) -> String { "\(port.proto)-\(port.lower)" }

    func service(_ service: OpenShiftPlan.Service) -> StructuredValue {
        .object(header("v1", "Service", service.workload.name, namespace: service.namespace) + [
            .init("spec", .object([
                .init("type", "ClusterIP"),
                .init("selector", strings([(OpenShiftPlan.workloadLabel, service.workload.name)])),
                .init("ports", .array(service.ports.map(servicePort))),
            ])),
        ])
    }

    func servicePort(_ port: PortRange) -> StructuredValue {
        .object([
            .init("name", .string(Self.portName(port))), .init("protocol", .string(port.proto.description.uppercased())),
            .init("port", .int(port.lower)), .init("targetPort", .int(port.lower)),
        ])
    }

    func loadBalancer(_ balancer: LoadBalancer) -> StructuredValue {
        var spec: [StructuredValue.Entry] = [
            .init("type", "LoadBalancer"),
            .init("externalTrafficPolicy", balancer.preservesClientAddress ? "Local" : "Cluster"),
        ]
        if balancer.dualStack {
            spec.append(.init("ipFamilyPolicy", "PreferDualStack"))
            spec.append(.init("ipFamilies", ["IPv4", "IPv6"]))
        }
        spec.append(.init("selector", strings(balancer.selector.labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })))
        spec.append(.init("ports", .array(balancer.ports.map(servicePort))))
        if !balancer.sourceRanges.isEmpty { spec.append(.init("loadBalancerSourceRanges", strings(balancer.sourceRanges.map(\.description)))) }
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
        return .object(header("route.openshift.io/v1", "Route", route.name, namespace: route.namespace, annotations: annotations) + [.init("spec", .object(spec))])
    }
}
