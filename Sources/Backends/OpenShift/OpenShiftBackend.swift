import Diagnostics
import IR

/// OpenShift 4.12 and later: one multi-document `manifests.yaml` per policy for `oc apply -f`,
/// or with `output: overlay` a kustomize component over the team's own workloads
/// (`OpenShiftOverlay`).
/// Segments are namespaces, identities service accounts with RBAC, runtime profiles pod
/// security contexts admitted by one SCC per distinct profile, and flows NetworkPolicies
/// (plus an EgressFirewall for `dns:` destinations). See `targets/openshift/README.md`.
public struct OpenShiftBackend: Backend {
    public init() {}

    public var target: TargetName { .openshift }

    public func validate(_ policy: Policy) -> [Diagnostic] {
        let settings = options(of: policy)
        var problems = KubePlatform.openshift.problems(policy, namespace: settings.namespace)
        for workload in policy.workloads {
            // A route's generated host starts with NAME-NAMESPACE, which must be a DNS label.
            let exposed = PortSet(unionOf: policy.intent.ingress[workload.id]?.entries.lazy.map(\.ports) ?? [])
            guard settings.exposure == .route, let port = OpenShiftPlan.singlePorts(exposed).last(where: { $0.proto == .tcp }) else { continue }
            let host = "\(workload.name)-\(port.lower)-\(settings.namespace(policy.segments[workload.segment.index].name))"
            if host.count > 63 {
                problems.append(
                    .error(
                        .targetLimit,
                        "openshift: the route host label '\(host)' of workload '\(workload.name)' is \(host.count) characters; a DNS label holds 63",
                        at: workload.origin, help: "shorten the workload, segment or namespace_prefix, or use exposure: loadbalancer"))
            }
        }
        return problems
    }

    public func emit(_ policy: Policy, with options: OpenShiftOptions) throws -> Emission {
        let plan = try OpenShiftPlan(policy: policy, options: options)
        let files = options.output == .overlay ? try OpenShiftOverlay(plan: plan).files() : [try OpenShiftEmitter(plan: plan).file()]
        let planned = plan.network.relation
        let widened = planned.subtracting(policy.intent)
        let narrowed = policy.intent.subtracting(planned)
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .openshift) { site in
            // Each cause is named only where this connection shows it.
            let hostNetwork = site.onHostNetwork(in: policy)
            let clusterPeers = !site.peers.addresses.intersection(options.clusterNetworks).isEmpty
            let exposedPorts = site.intendedPorts.ranges.filter(\.proto.hasPorts).reduce(0) { $0 + $1.upper - $1.lower + 1 }
            switch (site.kind, site.part) {
            case (.widened, .betweenWorkloads):
                return joinedCauses(
                    [
                        site.asks(.icmp) ? "NetworkPolicy has no ICMP protocol: the rule that carries the intended ICMP allows every protocol and port" : nil,
                        hostNetwork ? "no policy applies to a pod on the host's network" : nil,
                    ],
                    otherwise: "the NetworkPolicies between these pods allow more than the intent")
            case (.widened, .ingress):
                // External ingress rules list single ports (never ICMP): only the host's
                // network widens them.
                return hostNetwork
                    ? "a pod on the host's network is reachable wherever its node is"
                    : "the load balancer, route or NetworkPolicy that carries this ingress admits more than the intent"
            case (.widened, .egress):
                return joinedCauses(
                    [
                        !site.asksNames
                            ? nil
                            : "the namespace's EgressFirewall is shared by all its pods: "
                                + "a pod that may reach dns: names may reach every address the firewall lets out on those ports",
                        site.asks(.icmp) ? "NetworkPolicy has no ICMP protocol: the rule that carries the intended ICMP opens every port" : nil,
                        hostNetwork ? "neither NetworkPolicy nor EgressFirewall applies to a pod on the host's network" : nil,
                    ],
                    otherwise: "the NetworkPolicy and EgressFirewall of this pod let out more than the intent")
            case (.narrowed, .betweenWorkloads):
                return joinedCauses(
                    [
                        site.carries(.icmp) ? "with gaps: narrow, ICMP (which NetworkPolicy cannot name) is left out" : nil,
                        hostNetwork ? "no policy can select a pod on the host's network as a peer" : nil,
                    ],
                    otherwise: "the NetworkPolicies between these pods allow less than the intent")
            case (.narrowed, .ingress):
                return joinedCauses(
                    [
                        site.carries(.icmp) ? "clients reach pods only through a load balancer or route, which carry no ICMP" : nil,
                        clusterPeers ? "addresses of the cluster networks are pods, not clients: a load balancer or route brings no client from them" : nil,
                        exposedPorts > OpenShiftPlan.servicePortLimit
                            ? "clients reach pods only through a load balancer or route, at most \(OpenShiftPlan.servicePortLimit) ports per workload" : nil,
                    ],
                    otherwise: "clients reach pods only through a load balancer or route, which carry less than the intent here")
            case (.narrowed, .egress):
                let narrow = options.gaps == .narrow
                return joinedCauses(
                    [
                        narrow && !site.peers.dns.isEmpty ? "with gaps: narrow, dns: destinations are left out" : nil,
                        narrow && site.carries(.icmp) ? "with gaps: narrow, ICMP (which NetworkPolicy cannot name) is left out" : nil,
                        clusterPeers ? "addresses of the cluster networks are pods and services, not external peers: ipBlocks leave them out" : nil,
                    ],
                    otherwise: narrow
                        ? "with gaps: narrow, what NetworkPolicy and EgressFirewall cannot name exactly is left out"
                        : "the ipBlocks of the pod's NetworkPolicy let out less than the intent")
            case (.unenforced, _), (.platformRequired, _), (.expectationFailed, _):
                return ""
            }
        }
        gaps += plan.platformRequired
        gaps += runtimeGaps(policy)
        gaps = plan.imagePolicyGaps(gaps)
        return Emission(files: files, gaps: gaps, widened: widened, narrowed: narrowed)
    }

    /// What OpenShift does not enforce of the runtime profiles and the image policy.
    func runtimeGaps(_ policy: Policy) -> [Gap] {
        var gaps: [Gap] = []
        for workload in policy.workloads {
            let runtime = workload.runtime
            func gap(_ key: RuntimeKey, _ reason: String) {
                gaps.append(unenforced(workload, key, target: .openshift, reason))
            }
            if let apparmor = runtime.apparmor {
                gap(.apparmor, "apparmor \(apparmor) is not enforced: OpenShift nodes (RHCOS) confine containers with SELinux, not AppArmor")
            }
            if runtime.resources?.pids != nil {
                gap(.resources, "the pids limit is not enforced: a pod spec has no PID limit (only the node's podPidsLimit applies)")
            }
            if runtime.privileged == true, runtime.noNewPrivileges == true {
                gap(
                    .noNewPrivileges,
                    "no_new_privileges cannot hold for a privileged container: Kubernetes requires allowPrivilegeEscalation: true with privileged")
            }
        }
        if let imagePolicy = policy.imagePolicy {
            gaps.append(
                Gap(
                    kind: .unenforced, capability: .imagePolicy, target: .openshift, subject: .imagePolicy,
                    reason:
                        "image_policy is checked at compile time only: OpenShift's registry allowlist (image.config.openshift.io/cluster) is "
                        + "cluster-wide, and nothing in OpenShift requires digests",
                    origin: imagePolicy.origin))
        }
        return gaps
    }

    public func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        let network = try OpenShiftReader(policy: policy, files: files).parse().network
        return network.explain(from: from, to: to, ports: ports) { policy.workloads[$0.index].name }
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        try OpenShiftReader(policy: policy, files: files).read()
    }
}
