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
        return try Self.application.apply(policy, plan: try Self.plan(policy, options), emission: emission, to: application)
    }

    public func deployment(_ files: [OutputFile], application: [ApplicationFile], policy: Policy, with options: KubernetesOptions) throws -> Deployment {
        var component = files
        if !files.contains(where: { $0.path == KubeOverlay.kustomization }) {
            var overlay = options
            overlay.output = .overlay
            component = try emit(policy, with: overlay).files
        }
        var refusals: [WorkloadID: String] = [:]
        return try Self.application.deployment(
            component: component, application: application, policy: policy, namespace: options.namespace,
            read: { documents in
                guard let documents else { return try read(component, policy: policy) }
                let reader = KubernetesReader(policy: policy, files: component, application: documents)
                var readBack = try reader.read()
                refusals = try reader.refusals(try reader.parse())
                for id in refusals.keys { readBack.runtime[id] = nil }
                return readBack
            },
            refusal: { workload, _, _ in refusals[workload.id] })
    }
}

extension KubernetesReader {
    /// Why admission refuses each workload of the spec in the team's merged objects: the
    /// controls its namespace's Pod Security level refuses, else the first validation of the
    /// admission policy its object or its pod fails.
    func refusals(_ parsed: OpenShiftReader.Parsed) throws -> [WorkloadID: String] {
        var result: [WorkloadID: String] = [:]
        for record in parsed.deployments {
            let level = try Self.level(parsed.network.namespaces[record.namespace] ?? [:])
            let refused = PodSecurityLevel.violations(record.security, of: level)
            guard !refused.isEmpty else { continue }
            result[record.workload] =
                "Pod Security Admission refuses its pods: namespace \(record.namespace) enforces level \(level.rawValue), "
                + "and they ask for \(refused.joined(separator: "; "))"
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
                    result[id] = "the admission policy \(admission.name) refuses \(what): \(message)"
                    break search
                }
            }
        }
        return result
    }
}
