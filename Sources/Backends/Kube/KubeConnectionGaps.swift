import IR

/// Why a NetworkPolicy target (OpenShift, Kubernetes) allows more or less than the intent,
/// said in each platform's words: the causes are the same (no ICMP in NetworkPolicy, pods on
/// the host's network, clients only through what exposes a Service, the cluster networks left
/// out of ipBlocks, `dns:` names), the objects that carry them are not.
struct KubeGapWording: Sendable {
    /// What selects no pod on the host's network, widened between workloads (`no policy`).
    var unselected: String
    /// What applies to no pod on the host's network, widened egress.
    var hostEgress: String
    /// What carries a widened ingress (`the load balancer, route or NetworkPolicy`).
    var ingressCarrier: String
    /// Why a pod that may reach `dns:` names reaches more.
    var namesWidened: String
    /// What lets a pod out (`the NetworkPolicy and EgressFirewall of this pod`).
    var egressCarrier: String
    /// How outside clients reach pods (`a load balancer or route`), and its verb's number.
    var clientPath: String
    var clientPathCarries: String
    /// The ICMP cause of a narrowed ingress.
    var clientPathICMP: String
    /// `dns:` destinations left out under `gaps: narrow`.
    var namesNarrowed: String
    /// What cannot name a destination exactly (`NetworkPolicy and EgressFirewall`).
    var namers: String

    static let openshift = KubeGapWording(
        unselected: "no policy", hostEgress: "neither NetworkPolicy nor EgressFirewall applies",
        ingressCarrier: "the load balancer, route or NetworkPolicy",
        namesWidened: "the namespace's EgressFirewall is shared by all its pods: "
            + "a pod that may reach dns: names may reach every address the firewall lets out on those ports",
        egressCarrier: "the NetworkPolicy and EgressFirewall of this pod", clientPath: "a load balancer or route", clientPathCarries: "carry",
        clientPathICMP: "clients reach pods only through a load balancer or route, which carry no ICMP",
        namesNarrowed: "with gaps: narrow, dns: destinations are left out", namers: "NetworkPolicy and EgressFirewall")

    static let kubernetes = KubeGapWording(
        unselected: "no NetworkPolicy", hostEgress: "no NetworkPolicy applies", ingressCarrier: "the Service or NetworkPolicy",
        namesWidened: "NetworkPolicy cannot match dns: names: the pod may reach every outside address on the ports the names are allowed",
        egressCarrier: "the NetworkPolicies of this pod", clientPath: "a Service", clientPathCarries: "carries",
        clientPathICMP: "clients reach pods only through a LoadBalancer or NodePort Service, which carries no ICMP",
        namesNarrowed: "with gaps: narrow, dns: destinations (which NetworkPolicy cannot match) are left out", namers: "NetworkPolicy")
}

/// The gaps of a NetworkPolicy target's planned relation against the intent, each with the
/// causes its connection shows.
func kubeConnectionGaps(
    widened: Relation, narrowed: Relation, policy: Policy, target: TargetName, gaps gapPolicy: GapPolicy, clusterNetworks: AddressSet,
    wording: KubeGapWording
) -> [Gap] {
    connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: target) { site in
        // Each cause is named only where this connection shows it.
        let hostNetwork = site.onHostNetwork(in: policy)
        let clusterPeers = !site.peers.addresses.intersection(clusterNetworks).isEmpty
        let exposedPorts = site.intendedPorts.ranges.filter(\.proto.hasPorts).reduce(0) { $0 + $1.upper - $1.lower + 1 }
        let icmp = "NetworkPolicy has no ICMP protocol"
        switch (site.kind, site.part) {
        case (.widened, .betweenWorkloads):
            return joinedCauses(
                [
                    site.asks(.icmp) ? "\(icmp): the rule that carries the intended ICMP allows every protocol and port" : nil,
                    hostNetwork ? "\(wording.unselected) applies to a pod on the host's network" : nil,
                ],
                otherwise: "the NetworkPolicies between these pods allow more than the intent")
        case (.widened, .ingress):
            // External ingress rules list single ports (never ICMP): only the host's network
            // widens them.
            return hostNetwork
                ? "a pod on the host's network is reachable wherever its node is"
                : "\(wording.ingressCarrier) that carries this ingress admits more than the intent"
        case (.widened, .egress):
            return joinedCauses(
                [
                    site.asksNames ? wording.namesWidened : nil,
                    site.asks(.icmp) ? "\(icmp): the rule that carries the intended ICMP opens every port" : nil,
                    hostNetwork ? "\(wording.hostEgress) to a pod on the host's network" : nil,
                ],
                otherwise: "\(wording.egressCarrier) let out more than the intent")
        case (.narrowed, .betweenWorkloads):
            return joinedCauses(
                [
                    site.carries(.icmp) ? "with gaps: narrow, ICMP (which NetworkPolicy cannot name) is left out" : nil,
                    hostNetwork ? "\(wording.unselected) can select a pod on the host's network as a peer" : nil,
                ],
                otherwise: "the NetworkPolicies between these pods allow less than the intent")
        case (.narrowed, .ingress):
            return joinedCauses(
                [
                    site.carries(.icmp) ? wording.clientPathICMP : nil,
                    clusterPeers ? "addresses of the cluster networks are pods, not clients: \(wording.clientPath) brings no client from them" : nil,
                    exposedPorts > OpenShiftPlan.servicePortLimit
                        ? "clients reach pods only through \(wording.clientPath), at most \(OpenShiftPlan.servicePortLimit) ports per workload" : nil,
                ],
                otherwise: "clients reach pods only through \(wording.clientPath), which \(wording.clientPathCarries) less than the intent here")
        case (.narrowed, .egress):
            let narrow = gapPolicy == .narrow
            return joinedCauses(
                [
                    narrow && !site.peers.dns.isEmpty ? wording.namesNarrowed : nil,
                    narrow && site.carries(.icmp) ? "with gaps: narrow, ICMP (which NetworkPolicy cannot name) is left out" : nil,
                    clusterPeers ? "addresses of the cluster networks are pods and services, not external peers: ipBlocks leave them out" : nil,
                ],
                otherwise: narrow
                    ? "with gaps: narrow, what \(wording.namers) cannot name exactly is left out"
                    : "the ipBlocks of the pod's NetworkPolicy let out less than the intent")
        case (.unenforced, _), (.platformRequired, _), (.expectationFailed, _):
            return ""
        }
    }
}
