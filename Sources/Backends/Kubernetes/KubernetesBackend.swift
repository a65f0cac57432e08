import Diagnostics
import IR

/// Kubernetes 1.30 and later, with any CNI that implements NetworkPolicy (EKS, GKE, AKS,
/// kubeadm): one multi-document `manifests.yaml` per policy for `kubectl apply -f`.
/// Segments are namespaces whose Pod Security Admission level is the strictest their
/// workloads meet, identities service accounts with RBAC, runtime profiles security contexts,
/// flows NetworkPolicies. The plan, emitter and reader are OpenShift's, on
/// `KubePlatform.kubernetes`: no SCCs, EgressFirewalls or Routes. With `output: overlay`, a
/// kustomize component over the team's own workloads (`KubeOverlay`, and `--apply-to`/`--with`
/// in `KubernetesApplication.swift`). See `targets/kubernetes/README.md`.
public struct KubernetesBackend: Backend {
    public init() {}

    public var target: TargetName { .kubernetes }

    public func validate(_ policy: Policy) -> [Diagnostic] {
        KubePlatform.kubernetes.problems(policy, namespace: options(of: policy).namespace)
    }

    /// The shared plan on Kubernetes: AppArmor in the security contexts, NodePort Services
    /// when asked, and each namespace's Pod Security Admission labels.
    static func plan(_ policy: Policy, _ options: KubernetesOptions) throws -> OpenShiftPlan {
        var plan = try OpenShiftPlan(policy: policy, options: options.planOptions, platform: .kubernetes, fqdnEgress: options.cni == .cilium)
        var levels: [String: PodSecurityLevel] = [:]
        for index in plan.deployments.indices {
            plan.deployments[index].security.apparmor = plan.deployments[index].workload.runtime.apparmor
            let deployment = plan.deployments[index]
            levels[deployment.namespace] = min(levels[deployment.namespace] ?? .restricted, PodSecurityLevel.of(deployment.security))
        }
        plan.admissionRuntime = runtimeConstraints(policy)
        if options.exposure == .nodeport {
            for index in plan.network.loadBalancers.indices { plan.network.loadBalancers[index].nodePort = true }
        }
        let keys = [PodSecurityLevel.enforceLabel, PodSecurityLevel.enforceVersionLabel]
        for index in plan.namespaces.indices {
            let name = plan.namespaces[index].name
            // Palisade decides the level: a segment's own labels do not override it.
            plan.namespaces[index].labels.removeAll { keys.contains($0.0) }
            plan.namespaces[index].labels += [(keys[0], (levels[name] ?? .restricted).rawValue), (keys[1], PodSecurityLevel.version)]
            plan.network.namespaces[name] = Dictionary(plan.namespaces[index].labels, uniquingKeysWith: { first, _ in first })
        }
        return plan
    }

    /// The runtime Pod Security Admission cannot check, for the admission policy: each
    /// workload that sets capabilities or a user adds exactly those capabilities and runs as
    /// that user. The policy refuses a pod of no workload of the spec, so once one workload is
    /// constrained every workload is listed (unconstrained where its runtime says nothing).
    static func runtimeConstraints(_ policy: Policy) -> [ImageAdmission.RuntimeConstraint] {
        guard policy.workloads.contains(where: { $0.runtime.capabilities != nil || $0.runtime.user != nil }) else { return [] }
        return policy.workloads.map { workload in
            ImageAdmission.RuntimeConstraint(workload: workload.name, capabilities: workload.runtime.capabilities?.add, user: workload.runtime.user)
        }
    }

    public func emit(_ policy: Policy, with options: KubernetesOptions) throws -> Emission {
        let plan = try Self.plan(policy, options)
        let files = options.output == .overlay ? try KubeOverlay(plan: plan).files() : [try KubernetesEmitter(plan: plan).file()]
        let planned = plan.network.relation
        let widened = planned.subtracting(policy.intent)
        let narrowed = policy.intent.subtracting(planned)
        var gaps = kubeConnectionGaps(
            widened: widened, narrowed: narrowed, policy: policy, target: .kubernetes, gaps: options.gaps, clusterNetworks: options.clusterNetworks,
            wording: options.cni == .cilium ? .cilium : .kubernetes)
        gaps += plan.platformRequired
        gaps += runtimeGaps(policy, plan: plan)
        gaps = plan.imagePolicyGaps(gaps)
        return Emission(files: files, gaps: gaps, widened: widened, narrowed: narrowed)
    }

    /// What Kubernetes does not enforce of the runtime profiles and the image policy, and the
    /// workloads that keep their namespace below the restricted Pod Security level.
    func runtimeGaps(_ policy: Policy, plan: OpenShiftPlan) -> [Gap] {
        var gaps: [Gap] = []
        var levels: [String: String] = [:]
        for namespace in plan.namespaces {
            levels[namespace.name] = namespace.labels.first { $0.0 == PodSecurityLevel.enforceLabel }?.1
        }
        for deployment in plan.deployments {
            let workload = deployment.workload
            let runtime = workload.runtime
            func gap(_ key: RuntimeKey, _ reason: String) {
                gaps.append(unenforced(workload, key, target: .kubernetes, reason))
            }
            if runtime.resources?.pids != nil {
                gap(.resources, "the pids limit is not enforced: a pod spec has no PID limit (only the node's podPidsLimit applies)")
            }
            if runtime.privileged == true, runtime.noNewPrivileges == true {
                gap(
                    .noNewPrivileges,
                    "no_new_privileges cannot hold for a privileged container: Kubernetes requires allowPrivilegeEscalation: true with privileged")
            }
            let level = PodSecurityLevel.of(deployment.security)
            if level < .restricted {
                let missed = PodSecurityLevel.violations(deployment.security, of: .restricted)
                gap(
                    Self.loosestKey(deployment.security),
                    "keeps namespace \(deployment.namespace) at Pod Security level \(levels[deployment.namespace] ?? level.rawValue) "
                        + "(\(missed.joined(separator: "; "))): Pod Security Admission then admits any pod of that level there")
            }
        }
        if let imagePolicy = policy.imagePolicy {
            gaps.append(
                Gap(
                    kind: .unenforced, capability: .imagePolicy, target: .kubernetes, subject: .imagePolicy,
                    reason: "image_policy is checked at compile time only: the manifests hold no admission policy for it",
                    origin: imagePolicy.origin))
        }
        return gaps
    }

    /// The runtime key behind the first control that keeps a pod below restricted, for the
    /// gap that reports it.
    static func loosestKey(_ pod: PodSecurity) -> RuntimeKey {
        if pod.privileged == true { return .privileged }
        if pod.hostNetwork { return .hostNetwork }
        if pod.hostPID { return .hostPID }
        if pod.hostIPC { return .hostIPC }
        if !pod.drop.contains("ALL") || pod.add.contains(where: { $0 != "NET_BIND_SERVICE" }) { return .capabilities }
        if pod.seccomp == nil || pod.seccomp == .unconfined { return .seccomp }
        if pod.apparmor == .unconfined { return .apparmor }
        if pod.allowPrivilegeEscalation != false { return .noNewPrivileges }
        return pod.runAsUser == 0 ? .user : .runAsNonRoot
    }

    public func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        let network = try KubernetesReader(policy: policy, files: files, cni: options(of: policy).cni).parse().network
        let name = { (workload: WorkloadID) in policy.workloads[workload.index].name }
        return network.explain(from: from, to: to, ports: ports, name: name) + network.explainCilium(from: from, to: to, ports: ports, name: name)
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        try KubernetesReader(policy: policy, files: files, cni: options(of: policy).cni).read()
    }
}
