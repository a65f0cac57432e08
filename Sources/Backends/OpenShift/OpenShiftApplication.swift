import Diagnostics
import IR
import YAML

/// `compile --apply-to` and `--with` for OpenShift: `KubeApplication` on OpenShift, whose SCC
/// admission decides which of the team's pods run (a pod no SCC its service account may use
/// admits is refused: a gap at the team's object).
extension OpenShiftBackend: ApplicationBackend {
    /// The file of Palisade's policy objects that `apply` adds beside the team's.
    public static let policyFile = KubeApplication.policyFile

    static let application = KubeApplication(platform: .openshift)

    public func apply(_ policy: Policy, with options: OpenShiftOptions, to application: [ApplicationFile]) throws -> Application {
        var complete = options
        complete.output = .complete
        let emission = try emit(policy, with: complete)
        var overlayOptions = options
        overlayOptions.output = .overlay
        let plan = try OpenShiftPlan(policy: policy, options: overlayOptions)
        return try Self.application.apply(policy, plan: plan, emission: emission, to: application)
    }

    public func deployment(_ files: [OutputFile], application: [ApplicationFile], policy: Policy, with options: OpenShiftOptions) throws -> Deployment {
        var component = files
        if !files.contains(where: { $0.path == KubeOverlay.kustomization }) {
            var overlay = options
            overlay.output = .overlay
            component = try emit(policy, with: overlay).files
        }
        return try Self.application.deployment(
            component: component, application: application, policy: policy, namespace: options.namespace,
            read: { documents in
                guard let documents else { return try read(component, policy: policy) }
                return try OpenShiftReader(policy: policy, files: component, application: documents).read()
            },
            refusal: { workload, kind, readBack in
                readBack.runtime[workload.id] != nil
                    ? nil : "OpenShift refuses its pods: no SCC its service account may use admits what the application's \(kind) asks"
            })
    }

    /// A workload's containers, the path of a field and a value as messages show them (the
    /// shared implementation's, on OpenShift).
    static func containers(_ document: YAMLNode) throws -> [YAMLNode] { try application.containers(document) }
    static func fieldPath(_ path: [String]) -> String { KubeApplication.fieldPath(path) }
    static func describe(_ node: YAMLNode) -> String { KubeApplication.describe(node) }
}
