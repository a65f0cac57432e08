import Diagnostics
import IR

/// OpenShift 4.12 and later: one multi-document `manifests.yaml` per policy for `oc apply -f`,
/// or with `output: overlay` a kustomize component over the team's own workloads
/// (`KubeOverlay`).
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
        let files = options.output == .overlay ? try KubeOverlay(plan: plan).files() : [try OpenShiftEmitter(plan: plan).file()]
        let planned = plan.network.relation
        let widened = planned.subtracting(policy.intent)
        let narrowed = policy.intent.subtracting(planned)
        var gaps = kubeConnectionGaps(
            widened: widened, narrowed: narrowed, policy: policy, target: .openshift, gaps: options.gaps, clusterNetworks: options.clusterNetworks,
            wording: .openshift)
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
