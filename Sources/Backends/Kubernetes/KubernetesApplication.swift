import Diagnostics
import IR
import YAML

/// `compile --apply-to` and `--with` for Kubernetes: `KubeApplication` (the same rules as
/// OpenShift's) on Kubernetes. Under `--with`, admission is evaluated on the merged pods: Pod
/// Security Admission at their namespace's `enforce` level and the admission policy's CEL on
/// each workload's object and pod; a workload either refuses has no runtime, and the reason is
/// a gap at the team's object.
extension KubernetesBackend: ApplicationBackend {
    static let application = KubeApplication(platform: .kubernetes)

    public func apply(_ policy: Policy, with options: KubernetesOptions, to application: [ApplicationFile]) throws -> Application {
        var complete = options
        complete.output = .complete
        let emission = try emit(policy, with: complete)
        let plan = try Self.plan(policy, options)
        var applied = try Self.application.apply(policy, plan: plan, emission: emission, to: application)
        applied.emission.gaps += try Self.admissionGaps(policy, plan: plan, cni: options.cni, hardened: applied.emission.files, original: application)
        return applied
    }

    /// Pod Security Admission on the hardened workloads `apply` writes, at the level Palisade
    /// labels their namespace with: hardening sets the workload's container and removes what
    /// contradicts the spec, but a sidecar or init container of the team's may still ask for
    /// what the level refuses (no `allowPrivilegeEscalation: false`, no drop ALL). Each
    /// refusal is a gap at the team's container, else at its object.
    static func admissionGaps(_ policy: Policy, plan: OpenShiftPlan, cni: KubernetesOptions.CNI, hardened: [OutputFile], original: [ApplicationFile]) throws
        -> [Gap]
    {
        var levels: [String: PodSecurityLevel] = [:]
        for namespace in plan.namespaces {
            let label = namespace.labels.first { $0.0 == PodSecurityLevel.enforceLabel }?.1
            levels[namespace.name] = label.flatMap(PodSecurityLevel.init(rawValue:)) ?? .restricted
        }
        var originals: [String: YAMLNode] = [:]
        for file in original where file.path.hasSuffix(".yaml") || file.path.hasSuffix(".yml") {
            for document in try KubeApplication.load(file) where Kustomize.workloadKinds.contains(document["kind"]?.scalar ?? "") {
                if let name = document["metadata"]?["name"]?.scalar, originals[name] == nil { originals[name] = document }
            }
        }
        let reader = KubernetesReader(policy: policy, files: [], cni: cni, application: [])
        let workloads = OpenShiftReader(policy: policy, files: [], application: [])
        var gaps: [Gap] = []
        for file in hardened where file.path != KubeApplication.policyFile && (file.path.hasSuffix(".yaml") || file.path.hasSuffix(".yml")) {
            let documents = try KubeApplication.load(file)
            for document in documents where Kustomize.workloadKinds.contains(document["kind"]?.scalar ?? "") {
                guard let name = document["metadata"]?["name"]?.scalar, let workload = policy.workload(named: name),
                    let namespace = document["metadata"]?["namespace"]?.scalar, let level = levels[namespace]
                else { continue }
                let record = try workloads.deployment(document, workload: workload.id, namespace: namespace)
                for refused in try reader.podSecurityRefusals(record, object: document, level: level) {
                    let team = originals[name]
                    let container = refused.container.flatMap { container in team.flatMap { KubeApplication.container(named: container, in: $0) } }
                    gaps.append(
                        .runtime(
                            target: .kubernetes, workload: name, key: refused.key ?? .user, reason: refused.reason,
                            origin: container?.range ?? team?.range ?? workload.origin))
                }
            }
        }
        return gaps
    }

    public func deployment(_ files: [OutputFile], application: [ApplicationFile], policy: Policy, with options: KubernetesOptions) throws -> Deployment {
        var component = files
        if !files.contains(where: { $0.path == KubeOverlay.kustomization }) {
            var overlay = options
            overlay.output = .overlay
            component = try emit(policy, with: overlay).files
        }
        var refusals: [WorkloadID: [KubeApplication.Refusal]] = [:]
        return try Self.application.deployment(
            component: component, application: application, policy: policy, namespace: options.namespace,
            read: { documents in
                guard let documents else { return try KubernetesReader(policy: policy, files: component, cni: options.cni).read() }
                let reader = KubernetesReader(policy: policy, files: component, cni: options.cni, application: documents)
                var readBack = try reader.read()
                refusals = try reader.refusals(try reader.parse())
                for id in refusals.keys { readBack.runtime[id] = nil }
                return readBack
            },
            refusals: { workload, _, _ in refusals[workload.id] ?? [] })
    }
}

extension KubernetesReader {
    /// Why admission refuses each workload of the spec in the team's merged objects: the
    /// controls its namespace's Pod Security level refuses, of the pod and of each of its
    /// containers (`podSecurityRefusals`), else the first validation of the admission policy
    /// its object or its pod fails.
    func refusals(_ parsed: OpenShiftReader.Parsed) throws -> [WorkloadID: [KubeApplication.Refusal]] {
        var result: [WorkloadID: [KubeApplication.Refusal]] = [:]
        for record in parsed.deployments {
            let level = try Self.level(parsed.network.namespaces[record.namespace] ?? [:])
            let name = policy.workloads[record.workload.index].name
            let found: [KubeApplication.Refusal]
            if let object = parsed.workloadObjects.first(where: { $0.name == name && $0.namespace == record.namespace })?.object {
                found = try podSecurityRefusals(record, object: object, level: level)
            } else {
                let refused = PodSecurityLevel.violations(record.security, of: level)
                found =
                    refused.isEmpty
                    ? []
                    : [
                        KubeApplication.Refusal(
                            reason: "Pod Security Admission refuses its pods: namespace \(record.namespace) enforces level \(level.rawValue), "
                                + "and they ask for \(refused.joined(separator: "; "))", container: nil, key: KubernetesBackend.loosestKey(record.security))
                    ]
            }
            if !found.isEmpty { result[record.workload] = found }
        }
        let policies = try ImageAdmissionCheck.policies(in: parsed.admission, file: Self.file)
        guard !policies.isEmpty else { return result }
        let evaluator = CELEvaluator()
        for workload in parsed.workloadObjects {
            guard let id = policy.workload(named: workload.name)?.id, result[id] == nil else { continue }
            let object = ImageAdmissionCheck.value(workload.object)
            var requests = [(object, workload.resource, "its \(workload.object["kind"]?.scalar ?? "object")")]
            if let pod = ImageAdmissionCheck.pod(of: object, namespace: workload.namespace) { requests.append((pod, "/pods", "its pods")) }
            search: for (request, resource, what) in requests {
                for admission in policies {
                    guard let message = admission.refusal(of: request, resource: resource, namespace: workload.namespace, evaluator: evaluator) else {
                        continue
                    }
                    result[id] = [
                        KubeApplication.Refusal(reason: "the admission policy \(admission.name) refuses \(what): \(message)", container: nil, key: nil)
                    ]
                    break search
                }
            }
        }
        return result
    }
}
