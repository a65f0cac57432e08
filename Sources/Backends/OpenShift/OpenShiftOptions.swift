import Diagnostics
import Foundation
import IR

/// The `openshift` target's options, typed.
public struct OpenShiftOptions: BackendOptions {
    /// How outside clients reach workloads.
    public enum Exposure: String, Sendable, CaseIterable {
        /// A LoadBalancer Service that keeps the client's address.
        case loadbalancer
        /// TCP through the ingress routers, other protocols by load balancer.
        case route
    }

    static let defaultClusterNetworks = "10.128.0.0/14,172.30.0.0/16,fd01::/48,fd02::/112"
    /// The first release whose OVN-Kubernetes serves AdminNetworkPolicy as a supported feature.
    static let adminNetworkPolicyMinor = 16

    public static let specs = [
        OptionSpec(name: "namespace_prefix", summary: "namespaces are PREFIX + segment", defaultValue: ""),
        OptionSpec(
            name: "exposure",
            summary: "how outside clients reach workloads: loadbalancer (a LoadBalancer Service that keeps client addresses) "
                + "or route (TCP through the ingress routers, other protocols by load balancer)",
            defaultValue: "loadbalancer", kind: .choice(Exposure.allCases.map(\.rawValue))),
        OptionSpec(
            name: "cluster_networks", summary: "comma-separated pod and service networks, which ipBlocks leave out", defaultValue: defaultClusterNetworks),
        OutputMode.spec,
        OptionSpec(
            name: "version",
            summary: "the oldest OpenShift release the files must work on, 4.12 or later; from 4.17 image_policy is enforced "
                + "by a ValidatingAdmissionPolicy, before it is reported unenforced",
            defaultValue: "4.17"),
        AdminNetworkPolicyOptions.enabledSpec,
        AdminNetworkPolicyOptions.prioritySpec(AdminNetworkPolicyOptions.ovnPriorities),
    ]

    public var gaps: GapPolicy
    /// Namespaces are this prefix and the segment's name.
    public var namespacePrefix: String
    public var exposure: Exposure
    /// The pod and service networks: their addresses are pods, not outside peers.
    public var clusterNetworks: AddressSet
    /// Whole manifests, or a kustomize component over the team's own workloads.
    public var output: OutputMode
    /// The OpenShift minor release (`4.MINOR`) the files must work on.
    public var minorVersion = 17
    /// Deny flows as AdminNetworkPolicies (OVN-Kubernetes, OpenShift 4.16 and later).
    public var admin = AdminNetworkPolicyOptions()

    public init(_ options: TargetOptions, reading reader: inout OptionReader) {
        gaps = options.gaps
        namespacePrefix =
            reader.string("namespace_prefix", default: "") { prefix in
                prefix.isEmpty || isDNSLabelLike(prefix + "a", 1...63) ? nil : "a prefix is lower-case letters, digits and '-', starting with a letter"
            } ?? ""
        exposure = reader.choice("exposure", default: Exposure.loadbalancer)
        let text =
            reader.string("cluster_networks", default: Self.defaultClusterNetworks) { text in
                Self.cidrs(text) == nil ? "a comma-separated list of CIDRs" : nil
            } ?? Self.defaultClusterNetworks
        clusterNetworks = (Self.cidrs(text) ?? []).reduce(AddressSet.empty) { $0.union($1.addressSet) }
        output = reader.choice(OutputMode.spec.name, default: OutputMode.complete)
        minorVersion =
            reader.string("version", default: "4.17") { Self.minorVersion($0) == nil ? "a release 4.12 or later, like 4.17" : nil }
            .flatMap(Self.minorVersion) ?? 17
        admin = AdminNetworkPolicyOptions(reading: &reader, priorities: AdminNetworkPolicyOptions.ovnPriorities)
        if admin.enabled && minorVersion < Self.adminNetworkPolicyMinor {
            reader.report(
                .error(
                    .invalidTargetOption, "option 'admin_network_policy' of target openshift needs version 4.\(Self.adminNetworkPolicyMinor) or later",
                    at: options.origin, help: "OpenShift serves AdminNetworkPolicy from 4.16 (OVN-Kubernetes)"))
        }
    }

    /// The minor release of `4.MINOR`, 12 or more; nil otherwise.
    static func minorVersion(_ text: String) -> Int? {
        guard text.hasPrefix("4."), let minor = Int(text.dropFirst(2)), minor >= 12, minor < 100, !text.dropFirst(2).hasPrefix("+") else { return nil }
        return minor
    }

    /// Options as given, for tests that build a plan directly.
    init(
        gaps: GapPolicy = .widen, namespacePrefix: String = "", exposure: Exposure = .loadbalancer, clusterNetworks: AddressSet, output: OutputMode = .complete,
        admin: AdminNetworkPolicyOptions = AdminNetworkPolicyOptions()
    ) {
        self.admin = admin
        self.output = output
        self.gaps = gaps
        self.namespacePrefix = namespacePrefix
        self.exposure = exposure
        self.clusterNetworks = clusterNetworks
    }

    /// The namespace of a segment.
    func namespace(_ segment: String) -> String { namespacePrefix + segment }

    /// The CIDRs of a comma-separated list, or nil when one is not a CIDR.
    static func cidrs(_ text: String) -> [CIDR]? {
        var result: [CIDR] = []
        for part in text.split(separator: ",") {
            guard case .valid(let cidr) = CIDR.parse(part.trimmingCharacters(in: .whitespaces)) else { return nil }
            result.append(cidr)
        }
        return result
    }
}
