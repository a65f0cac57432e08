import Diagnostics
import IR

/// What the manifests of the two Kubernetes distributions Palisade writes for differ in, for
/// the plan, emitter and reader they share (`OpenShiftPlan`, `OpenShiftEmitter`,
/// `OpenShiftReader`): how pods are admitted, whether EgressFirewalls exist, where the
/// cluster DNS runs and which namespaces the platform keeps.
struct KubePlatform: Sendable {
    var target: TargetName
    /// The platform's name in messages.
    var name: String
    /// Pods are admitted by SecurityContextConstraints (OpenShift); otherwise by Pod Security
    /// Admission, from the namespace's labels.
    var securityContextConstraints: Bool
    /// OVN-Kubernetes EgressFirewalls narrow `dns:` egress (OpenShift); otherwise NetworkPolicy
    /// alone carries egress, and names are a gap.
    var egressFirewall: Bool
    /// The cluster DNS: its namespace, the labels of its pods and the ports they listen on.
    var dnsNamespace: String
    var dnsLabels: [String: String]
    var dnsPorts: PortSet
    /// Namespaces the platform keeps for itself, in words, and the test.
    var reservedNamespaces: String
    var isReserved: @Sendable (String) -> Bool

    static let openshift = KubePlatform(
        target: .openshift, name: "OpenShift", securityContextConstraints: true, egressFirewall: true, dnsNamespace: PlatformPods.dnsNamespace,
        dnsLabels: PlatformPods.dnsLabels, dnsPorts: PlatformPods.dnsPorts, reservedNamespaces: "default, openshift, openshift-*, kube-*",
        isReserved: { ["default", "openshift"].contains($0) || $0.hasPrefix("openshift-") || $0.hasPrefix("kube-") })

    /// Any conformant cluster: CoreDNS (or kube-dns) runs in kube-system with the label
    /// `k8s-app: kube-dns` and listens on port 53, on EKS, GKE, AKS and kubeadm clusters alike.
    static let kubernetes = KubePlatform(
        target: .kubernetes, name: "Kubernetes", securityContextConstraints: false, egressFirewall: false, dnsNamespace: "kube-system",
        dnsLabels: ["k8s-app": "kube-dns"], dnsPorts: PortSet([PortRange(.udp, 53, 53), PortRange(.tcp, 53, 53)]),
        reservedNamespaces: "default, kube-*", isReserved: { $0 == "default" || $0.hasPrefix("kube-") })

    /// Located errors for segment namespaces the platform cannot take: not a DNS label, one it
    /// keeps, or two segments on one namespace; and Localhost seccomp profiles given as
    /// absolute paths (the kubelet takes them relative to its seccomp directory).
    func problems(_ policy: Policy, namespace: (String) -> String) -> [Diagnostic] {
        let target = target.rawValue
        var seen: [String: String] = [:]
        var problems: [Diagnostic] = []
        for segment in policy.segments {
            let namespace = namespace(segment.name)
            if !isDNSLabelLike(namespace, 1...63) {
                problems.append(
                    .error(
                        .targetLimit, "\(target) namespace '\(namespace)' is not a DNS-1123 label of at most 63 characters",
                        at: segment.origin, help: "shorten the namespace_prefix or the segment name"))
            } else if isReserved(namespace) {
                problems.append(
                    .error(
                        .targetLimit,
                        "\(target) namespace '\(namespace)' collides with a namespace \(name) reserves (\(reservedNamespaces))",
                        at: segment.origin, help: "rename the segment or set a namespace_prefix"))
            } else if let other = seen[namespace] {
                problems.append(
                    .error(
                        .targetLimit, "\(target) namespace '\(namespace)' of segment '\(segment.name)' collides with segment '\(other)'", at: segment.origin))
            }
            seen[namespace] = segment.name
        }
        for workload in policy.workloads {
            if case .localhost(let path)? = workload.runtime.seccomp, path.hasPrefix("/") {
                problems.append(
                    .error(
                        .targetLimit, "\(target): seccomp profile '\(path)' must be relative to the kubelet's seccomp directory",
                        at: workload.runtime.origins[.seccomp] ?? workload.origin, help: "write localhost/PATH with PATH relative, as profiles/NAME.json"))
            }
        }
        return problems
    }
}
