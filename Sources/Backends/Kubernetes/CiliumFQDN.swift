import IR
import YAML

// `dns:` egress on Kubernetes with Cilium (`cni: cilium`): each workload whose flows reach
// `dns:` names gets a CiliumNetworkPolicy `WORKLOAD-fqdn` whose `toFQDNs` rules name them
// exactly (`matchName`: the spec's names have no wildcards), on the flows' ports. Cilium
// learns a name's addresses only from lookups its DNS proxy answers, so the same policy sends
// the workload's lookups to the cluster DNS through the proxy (an L7 `dns` rule that lets every
// lookup through). The plan keeps the policy as an egress-only `NetworkPolicy` of
// `ClusterNetwork.ciliumPolicies`, whose rules carry the names, so the relation is evaluated
// with the NetworkPolicies by the same rules: a pod any policy selects is isolated, and the
// allows of all policies add up.

/// The spelling of CiliumNetworkPolicy objects, shared by the emitter and the reader.
enum CiliumPolicy {
    static let apiVersion = "cilium.io/v2"
    static let kind = "CiliumNetworkPolicy"
    /// Cilium's label for a pod's namespace, and the prefix of its labels from Kubernetes.
    static let namespaceLabel = "io.kubernetes.pod.namespace"
    static let namespaceLabelsPrefix = "io.cilium.k8s.namespace.labels."
    static let kubernetesSource = "k8s:"
    /// At most this many ports in one `toPorts` entry (the CRD's `maxItems`).
    static let portsPerEntry = 40
    /// The lookup pattern that lets every name through the DNS proxy.
    static let everyName = "*"

    /// The name of a workload's policy.
    static func name(_ workload: String) -> String { "\(workload)-fqdn" }
}

extension OpenShiftPlan {
    /// The CiliumNetworkPolicy of a workload that reaches `dns:` names by `rules`, and its
    /// DNS egress through Cilium's proxy, reported as the platform requires it.
    mutating func ciliumEgress(_ workload: Workload, _ rules: [PolicyRule], namespace: String) {
        let dns = PolicyRule(
            peers: [
                .pods(namespaces: LabelSelector(labels: [Self.namespaceNameLabel: platform.dnsNamespace]), pods: LabelSelector(labels: platform.dnsLabels))
            ],
            ports: PolicyPort.entries(platform.dnsPorts))
        network.ciliumPolicies.append(
            NetworkPolicy(name: CiliumPolicy.name(workload.name), namespace: namespace, podSelector: selector(workload), egress: rules + [dns]))
        platformRequired.append(
            Gap(
                kind: .platformRequired, capability: .dnsEgress, target: platform.target,
                subject: .connection(
                    Connection(.workload(workload.name), .platform("the cluster DNS (\(platform.dnsNamespace))"), ports: platform.dnsPorts)),
                reason: "CiliumNetworkPolicy \(namespace)/\(CiliumPolicy.name(workload.name)) sends the lookups of \(workload.name) to the cluster DNS "
                    + "(\(platform.dnsNamespace), \(platform.dnsPorts)) through Cilium's DNS proxy, which lets every lookup through: Cilium learns the "
                    + "addresses of dns: names only from the answers it sees",
                origin: workload.origin))
    }
}

/// Writes the plan's CiliumNetworkPolicies.
struct CiliumEmitter {
    let emitter: OpenShiftEmitter

    func documents() -> [StructuredValue] {
        emitter.plan.network.ciliumPolicies.map(policy)
    }

    func policy(_ policy: NetworkPolicy) -> StructuredValue {
        let spec: [StructuredValue.Entry] = [
            .init("endpointSelector", emitter.selector(policy.podSelector)),
            .init("egress", .array((policy.egress ?? []).map(rule))),
        ]
        return .object(
            emitter.header(CiliumPolicy.apiVersion, CiliumPolicy.kind, policy.name, namespace: policy.namespace) + [.init("spec", .object(spec))])
    }

    /// A rule to names (`toFQDNs`) or to pods (`toEndpoints`, the cluster DNS: through the DNS
    /// proxy), on its ports.
    func rule(_ rule: PolicyRule) -> StructuredValue {
        var entries: [StructuredValue.Entry] = []
        let pods = (rule.peers ?? []).compactMap { peer -> StructuredValue? in
            guard case .pods(let namespaces, let pods) = peer else { return nil }
            var labels: [(String, String)] = []
            if let namespace = namespaces?.labels[OpenShiftPlan.namespaceNameLabel] {
                labels.append((CiliumPolicy.kubernetesSource + CiliumPolicy.namespaceLabel, namespace))
            }
            labels += (pods?.labels ?? [:]).sorted { $0.key < $1.key }.map { (CiliumPolicy.kubernetesSource + $0.key, $0.value) }
            return .object([.init("matchLabels", emitter.strings(labels))])
        }
        if !rule.names.isEmpty {
            entries.append(.init("toFQDNs", .array(rule.names.sortedNames.map { .object([.init("matchName", .string($0))]) })))
        }
        if !pods.isEmpty { entries.append(.init("toEndpoints", .array(pods))) }
        if let ports = rule.ports {
            var chunks: [StructuredValue] = []
            var start = 0
            while start < ports.count {
                let chunk = ports[start..<min(start + CiliumPolicy.portsPerEntry, ports.count)]
                var entry: [StructuredValue.Entry] = [.init("ports", .array(chunk.map(port)))]
                if !pods.isEmpty {
                    entry.append(.init("rules", .object([.init("dns", .array([.object([.init("matchPattern", .string(CiliumPolicy.everyName))])]))])))
                }
                chunks.append(.object(entry))
                start += CiliumPolicy.portsPerEntry
            }
            entries.append(.init("toPorts", .array(chunks)))
        }
        return .object(entries)
    }

    /// A port as Cilium writes it: the number as a string, `0` for every port of the protocol.
    func port(_ port: PolicyPort) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [.init("port", .string(String(port.port ?? 0)))]
        if let end = port.endPort { entries.append(.init("endPort", .int(end))) }
        entries.append(.init("protocol", .string(port.proto.description.uppercased())))
        return .object(entries)
    }
}

extension KubeGapWording {
    /// Kubernetes with Cilium: names are exact but for every name except some (what `any`
    /// covers less a deny), which `toFQDNs` cannot say.
    static let cilium: KubeGapWording = {
        var wording = KubeGapWording.kubernetes
        wording.namesWidened =
            "toFQDNs cannot match every dns: name except some: the pod may reach every outside address on the ports those names are allowed"
        wording.namesNarrowed = "with gaps: narrow, every dns: name except some (which toFQDNs cannot match) is left out"
        wording.namers = "NetworkPolicy and CiliumNetworkPolicy"
        return wording
    }()
}

extension ClusterNetwork {
    /// The CiliumNetworkPolicy rules that let `from` reach `to` on some of `ports`, for
    /// `palisade explain`.
    func explainCilium(from: Endpoints, to: Endpoints, ports: PortSet, name: (WorkloadID) -> String) -> [String] {
        var lines: [String] = []
        let groups = Dictionary(pods.map { ($0.workload, $0) }, uniquingKeysWith: { first, _ in first })
        for source in from.workloads {
            guard let origin = groups[source], !origin.hostNetwork else { continue }
            for policy in ciliumPolicies where policy.namespace == origin.namespace && policy.podSelector.matches(origin.labels) {
                for (index, rule) in (policy.egress ?? []).enumerated() {
                    let common = rule.portSet.intersection(ports)
                    guard !common.isEmpty else { continue }
                    var reached: [String] = []
                    for destination in to.workloads {
                        guard let target = groups[destination], !target.hostNetwork else { continue }
                        if rule.peers?.contains(where: { peer($0, of: policy, matches: target.namespace, target.labels) }) ?? true {
                            reached.append(name(destination))
                        }
                    }
                    let names = rule.peers == nil ? to.external.dns : rule.names.intersection(to.external.dns)
                    if !names.isEmpty { reached.append(ExternalSet(dns: names).summary) }
                    if rule.peers == nil, !to.external.addresses.isEmpty { reached.append(ExternalSet(addresses: to.external.addresses).summary) }
                    guard !reached.isEmpty else { continue }
                    lines.append(
                        "\(CiliumPolicy.kind) \(policy.namespace)/\(policy.name): egress rule \(index + 1) allows \(name(source)) -> "
                            + "\(reached.joined(separator: ", ")) on \(common)")
                }
            }
        }
        return lines
    }
}
