import Diagnostics
import IR

/// The `kubernetes` target's options, typed.
public struct KubernetesOptions: BackendOptions {
    /// How outside clients reach workloads.
    public enum Exposure: String, Sendable, CaseIterable {
        /// A LoadBalancer Service that keeps the client's address.
        case loadbalancer
        /// A NodePort Service that keeps the client's address: every node's port, filtered by
        /// the pods' NetworkPolicy ipBlocks alone.
        case nodeport
    }

    /// The cluster's network plugin, for what only some plugins can enforce.
    public enum CNI: String, Sendable, CaseIterable {
        /// Any plugin that implements NetworkPolicy: `dns:` egress is widened or narrowed, and
        /// reported.
        case any
        /// Cilium: `dns:` egress as CiliumNetworkPolicy `toFQDNs` rules, exact.
        case cilium
    }

    /// None by default: pod and service networks differ from cluster to cluster (kubeadm's
    /// services take 10.96.0.0/12, EKS pods VPC addresses), and a guess that overlaps the spec's
    /// address ranges would take clients away from it. `targets/kubernetes/README.md` says
    /// why to set it.
    static let defaultClusterNetworks = ""

    public static let specs = [
        OptionSpec(name: "namespace_prefix", summary: "namespaces are PREFIX + segment", defaultValue: ""),
        OptionSpec.choice(
            "exposure",
            summary: "how outside clients reach workloads: loadbalancer (a LoadBalancer Service that keeps client addresses) "
                + "or nodeport (a NodePort Service on every node, filtered by the pods' NetworkPolicies)",
            default: Exposure.loadbalancer),
        OptionSpec(
            name: "cluster_networks",
            summary: "comma-separated pod and service networks, which ipBlocks leave out (none by default: set your cluster's)",
            defaultValue: defaultClusterNetworks),
        AdminNetworkPolicyOptions.enabledSpec,
        AdminNetworkPolicyOptions.prioritySpec(AdminNetworkPolicyOptions.priorities),
        OptionSpec.choice(
            "cni",
            summary: "the cluster's network plugin: any (NetworkPolicy alone; dns: egress is a reported gap) "
                + "or cilium (dns: egress as CiliumNetworkPolicy toFQDNs rules, exact)",
            default: CNI.any),
        OutputMode.spec,
    ]

    public var gaps: GapPolicy
    /// Namespaces are this prefix and the segment's name.
    public var namespacePrefix: String
    public var exposure: Exposure
    /// The pod and service networks: their addresses are pods, not outside peers.
    public var clusterNetworks: AddressSet
    /// Deny flows as AdminNetworkPolicies (`admin_network_policy`).
    public var admin = AdminNetworkPolicyOptions()
    /// The network plugin: with Cilium, `dns:` egress is written as CiliumNetworkPolicies.
    public var cni: CNI
    /// Whole manifests, or a kustomize component over the team's own workloads (`KubeOverlay`).
    public var output: OutputMode

    public init(_ options: TargetOptions, reading reader: inout OptionReader) {
        gaps = options.gaps
        namespacePrefix =
            reader.string("namespace_prefix", default: "") { prefix in
                prefix.isEmpty || isDNSLabelLike(prefix + "a", 1...63) ? nil : "a prefix is lower-case letters, digits and '-', starting with a letter"
            } ?? ""
        exposure = reader.choice("exposure", default: Exposure.loadbalancer)
        let text =
            reader.string("cluster_networks", default: Self.defaultClusterNetworks) { text in
                OpenShiftOptions.cidrs(text) == nil ? "a comma-separated list of CIDRs" : nil
            } ?? Self.defaultClusterNetworks
        clusterNetworks = (OpenShiftOptions.cidrs(text) ?? []).reduce(AddressSet.empty) { $0.union($1.addressSet) }
        admin = AdminNetworkPolicyOptions(reading: &reader)
        cni = reader.choice("cni", default: CNI.any)
        if admin.enabled && cni == .cilium {
            // Cilium implements no AdminNetworkPolicy (cilium/cilium#23380 closed unimplemented):
            // the Deny rules would be applied and never enforced.
            reader.report(
                .error(
                    .invalidTargetOption, "option 'admin_network_policy' of target kubernetes cannot be true with cni: cilium",
                    at: options.option("admin_network_policy")?.value.range ?? options.origin,
                    help: "Cilium does not implement AdminNetworkPolicy: its Deny rules would not be enforced; leave the option out"))
        }
        output = reader.choice(OutputMode.spec.name, default: OutputMode.complete)
    }

    /// The plan's options: the shared plan takes OpenShift's, with a load balancer (a NodePort
    /// is the same Service but for its type, set after planning).
    var planOptions: OpenShiftOptions {
        OpenShiftOptions(gaps: gaps, namespacePrefix: namespacePrefix, exposure: .loadbalancer, clusterNetworks: clusterNetworks, admin: admin)
    }

    /// The namespace of a segment.
    func namespace(_ segment: String) -> String { namespacePrefix + segment }
}
