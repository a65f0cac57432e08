import IR
import YAML

/// Reads Kubernetes' `manifests.yaml` back with OpenShift's reader (the same kinds, by the
/// same rules), refuses what a plain cluster has no kind for, and admits each Deployment's
/// pods through Pod Security Admission at its namespace's `enforce` level.
struct KubernetesReader {
    let policy: Policy
    let files: [OutputFile]
    /// The cluster's network plugin: only Cilium serves CiliumNetworkPolicies.
    /// Required: a reader built without the target's option would refuse its own Cilium policies.
    let cni: KubernetesOptions.CNI
    /// The team's own documents under `--with` (`KubernetesApplication.swift`): read as
    /// `OpenShiftReader` reads them, and a workload refused by admission has no runtime
    /// instead of failing the read.
    var application: [YAMLNode]? = nil

    static let file = OpenShiftEmitter.file

    func parse() throws -> OpenShiftReader.Parsed {
        var reader = OpenShiftReader(policy: policy, files: files, application: application)
        reader.passThrough = [CiliumPolicy.kind]
        reader.clusterNetworks = KubernetesOptions.of(policy, target: .kubernetes).clusterNetworks
        var parsed = try reader.parse()
        try readCilium(&parsed)
        let foreign =
            parsed.sccs.keys.sorted().map { "SecurityContextConstraints \($0)" } + parsed.network.firewalls.map { "EgressFirewall \($0.namespace)/default" }
            + parsed.network.routes.map { "Route \($0.namespace)/\($0.name)" }
        if let first = foreign.first { throw ReadFailure(Self.file, "\(first): Kubernetes has no such kind (it is OpenShift's)") }
        return parsed
    }

    /// The CiliumNetworkPolicies of the file, which a cluster without Cilium refuses.
    func readCilium(_ parsed: inout OpenShiftReader.Parsed) throws {
        guard let first = parsed.passed.first else { return }
        guard cni == .cilium else {
            let name = "\(first["metadata"]?["namespace"]?.scalar ?? "")/\(first["metadata"]?["name"]?.scalar ?? "")"
            throw ReadFailure(
                Self.file, "\(CiliumPolicy.kind) \(name) (line \(first.range.start.line)): the cluster serves no such kind without Cilium (cni: cilium)")
        }
        parsed.network.ciliumPolicies = try parsed.passed.map(CiliumReader(file: Self.file).policy)
    }

    func read() throws -> ReadBack {
        let parsed = try parse()
        let reader = OpenShiftReader(policy: policy, files: files)
        // The admission policy admits every Deployment and refuses pods that break the image
        // policy or the runtime constraints (its CEL evaluated here), or the read fails.
        let constraints = KubernetesBackend.runtimeConstraints(policy)
        let policies = try ImageAdmissionCheck.policies(in: parsed.admission, file: Self.file)
        let imagePolicy =
            policy.imagePolicy ?? (constraints.isEmpty ? nil : ImagePolicy(requireDigest: false, allowedRegistries: [], origin: policy.origin))
        if !policies.isEmpty, let imagePolicy, application == nil {
            _ = try ImageAdmissionCheck.verify(policies, workloads: parsed.workloadObjects, imagePolicy: imagePolicy, runtime: constraints, file: Self.file)
        }
        return ReadBack(relation: parsed.network.relation, runtime: try admissions(parsed), grants: reader.grants(parsed))
    }

    /// The level a namespace enforces: its `pod-security.kubernetes.io/enforce` label, or
    /// privileged (admission's default) without one.
    static func level(_ labels: [String: String]) throws -> PodSecurityLevel {
        guard let text = labels[PodSecurityLevel.enforceLabel] else { return .privileged }
        guard let level = PodSecurityLevel(rawValue: text) else { throw ReadFailure(file, "'\(text)' is not a Pod Security level") }
        return level
    }

    /// Each Deployment's runtime, once Pod Security Admission admits its pods; a Deployment
    /// its namespace's level refuses fails the read.
    func admissions(_ parsed: OpenShiftReader.Parsed) throws -> [WorkloadID: RuntimeProfile] {
        var result: [WorkloadID: RuntimeProfile] = [:]
        for record in parsed.deployments {
            let level = try Self.level(parsed.network.namespaces[record.namespace] ?? [:])
            let refused = PodSecurityLevel.violations(record.security, of: level)
            guard refused.isEmpty else {
                if application != nil { continue }
                throw ReadFailure(
                    Self.file,
                    "Deployment \(record.namespace)/\(policy.workloads[record.workload.index].name): namespace \(record.namespace) enforces Pod Security "
                        + "level \(level.rawValue), which refuses its pods (\(refused.joined(separator: "; ")))")
            }
            result[record.workload] = record.security.profile(
                writablePaths: record.writablePaths, resources: record.resources, apparmor: record.security.apparmor)
        }
        return result
    }

    /// Why Pod Security Admission refuses a workload's pods at `level`, as the admission plugin
    /// judges a pod: its own fields (host namespaces, volumes), then each init container,
    /// container and ephemeral container of `object`'s pod template, with the pod's security
    /// context as its defaults. Empty when the level admits the pod.
    func podSecurityRefusals(_ record: OpenShiftReader.DeploymentRecord, object: YAMLNode, level: PodSecurityLevel) throws -> [KubeApplication.Refusal] {
        let prefix = "Pod Security Admission refuses its pods: namespace \(record.namespace) enforces level \(level.rawValue), and "
        var result: [KubeApplication.Refusal] = []
        let pod = record.security
        let podLevel = PodSecurityLevel.violations(pod, of: level, scope: .pod)
        if !podLevel.isEmpty {
            let key: RuntimeKey = pod.hostNetwork ? .hostNetwork : pod.hostPID ? .hostPID : pod.hostIPC ? .hostIPC : .readOnlyRoot
            result.append(KubeApplication.Refusal(reason: prefix + "they ask for \(podLevel.joined(separator: "; "))", container: nil, key: key))
        }
        let path = ["spec", "template", "spec"]
        guard let template = Kustomize.at(object, path) else { return result }
        let reader = OpenShiftReader(policy: policy, files: files, application: application ?? [])
        for (field, words) in [("initContainers", "init container"), ("containers", "container"), ("ephemeralContainers", "ephemeral container")] {
            guard let list = template[field], case .sequence(let containers) = list.content else { continue }
            for container in containers {
                // The pod with this container alone, read as the reader reads a workload's.
                let single = Kustomize.updating(object, path[...], range: object.range) {
                    Kustomize.setting("containers", YAMLNode(.sequence([container]), range: list.range), in: $0)
                }
                let security = try reader.deployment(single, workload: record.workload, namespace: record.namespace).security
                let refused = PodSecurityLevel.violations(security, of: level, scope: .container)
                guard !refused.isEmpty else { continue }
                let name = container["name"]?.scalar ?? "?"
                result.append(
                    KubeApplication.Refusal(
                        reason: prefix + "its \(words) \(name) asks for \(refused.joined(separator: "; "))", container: name,
                        key: KubernetesBackend.loosestKey(security)))
            }
        }
        return result
    }
}
