import Diagnostics
import IR
import YAML

/// `compile --apply-to` and `--with` for OpenShift and Kubernetes: the team's own manifests
/// (multi-document YAML files of Deployments, StatefulSets, DaemonSets and whatever else they
/// deploy), one implementation on the platform's `KubePlatform`.
///
/// `apply` writes each file back with Palisade's fields set on the spec's workloads (the
/// component's patch, merged as kustomize would), and every field that contradicts the spec
/// and that the patch does not set (privileged, host namespaces, host ports, added
/// capabilities, another user, escalation) set to the spec's value, each reported as an
/// `Override` at the team's value. Files with nothing to change keep their bytes; a changed
/// file is written again through libyaml, which keeps key order and scalars as written but
/// not comments, anchors or flow style. Palisade's objects go in `palisade-policy.yaml`.
///
/// `deployment` merges the component onto the team's objects as `kubectl kustomize` does and
/// reads the result; what the team's own fields open beyond the spec, which the component
/// leaves alone, comes back as gaps located in the team's files.
struct KubeApplication {
    let platform: KubePlatform

    /// The target's name, as messages begin.
    var target: String { platform.target.rawValue }

    /// The file of Palisade's policy objects that `apply` adds beside the team's.
    static let policyFile = "palisade-policy.yaml"

    /// The team's files hardened: `plan` is the plan in overlay mode (what the patches and
    /// `palisade-policy.yaml` hold), `emission` the emission in complete mode (its gaps).
    func apply(_ policy: Policy, plan: OpenShiftPlan, emission: Emission, to application: [ApplicationFile]) throws -> Application {
        let emitter = OpenShiftEmitter(plan: plan)
        let overlay = KubeOverlay(plan: plan)
        var deployments: [String: OpenShiftPlan.Deployment] = [:]
        for deployment in plan.deployments { deployments[deployment.workload.name] = deployment }

        var files: [OutputFile] = []
        var overrides: [Override] = []
        var found: [String: SourceRange] = [:]
        for file in application {
            guard file.path != Self.policyFile else {
                throw BackendError(
                    .error(.nameCollision, "\(target): the application's file \(file.path) has the name of the file palisade adds", at: .wholeFile(file.path)))
            }
            guard file.path.hasSuffix(".yaml") || file.path.hasSuffix(".yml") else {
                files.append(file)
                continue
            }
            let documents = try Self.load(file)
            var changed = false
            var written: [YAMLNode] = []
            for document in documents {
                let kind = document["kind"]?.scalar ?? ""
                if kind == "Kustomization" {
                    // Only the folder's own kustomization lists the policy file written beside
                    // it; the kustomizations under it are left alone.
                    guard Self.isRootKustomization(file.path) else {
                        written.append(document)
                        continue
                    }
                    var updated = withoutPalisadeComponent(document, policy: policy.name, file: file.path, overrides: &overrides)
                    updated = Self.listing(Self.policyFile, in: updated) ?? updated
                    if !Kustomize.sameValue(updated, document) {
                        written.append(updated)
                        changed = true
                    } else {
                        written.append(document)
                    }
                    continue
                }
                guard Kustomize.workloadKinds.contains(kind), let name = document["metadata"]?["name"]?.scalar, let deployment = deployments[name] else {
                    written.append(document)
                    continue
                }
                if let first = found[name] {
                    throw BackendError(
                        .error(
                            .duplicateDefinition, "\(target): workload '\(name)' is defined twice in the application's files (first at \(first))",
                            at: document.range))
                }
                found[name] = document.range
                let patch = KubeOverlay.patch(emitter.deployment(deployment))
                let hardened = try harden(document, kind: kind, deployment: deployment, patch: patch, overrides: &overrides)
                written.append(hardened)
                changed = true
            }
            if changed {
                files.append(OutputFile(path: file.path, contents: try YAMLWriter.write(written.map(Kustomize.value))))
            } else {
                files.append(file)
            }
        }
        try checkResolves(application, plus: [Self.policyFile], written: files)
        let names = application.map(\.path).joined(separator: ", ")
        for workload in policy.workloads where found[workload.name] == nil {
            throw BackendError(
                .error(
                    .unknownReference,
                    "\(target): workload '\(workload.name)' has no Deployment, StatefulSet or DaemonSet of that name in the application's files (\(names))",
                    at: workload.origin, help: "add the workload to the application's manifests, or remove it from the spec"))
        }
        let client = platform.securityContextConstraints ? "oc" : "kubectl"
        let header = [
            "Generated by palisade from \(policy.sourceNames.joined(separator: ", ")) (content hash \(policy.contentHash)); do not edit.",
            "Palisade's policy objects for the workloads hardened in the files beside it: \(client) apply -f on the folder.",
        ]
        let objects = OutputFile(path: Self.policyFile, contents: try YAMLWriter.write(overlay.resourceDocuments(emitter.documents()), header: header))
        return Application(
            emission: Emission(files: files + [objects], gaps: emission.gaps, widened: emission.widened, narrowed: emission.narrowed), overrides: overrides)
    }

    /// A team's file as documents, or its own located diagnostics as the error.
    static func load(_ file: ApplicationFile) throws -> [YAMLNode] {
        let loaded = YAMLLoader.loadStream(text: file.contents, file: file.path)
        if let problem = loaded.diagnostics.first { throw BackendError(problem) }
        return loaded.documents
    }

    /// A Kustomization with `file` added to its resources, or nil when it lists it already.
    static func listing(_ file: String, in kustomization: YAMLNode) -> YAMLNode? {
        let range = kustomization.range
        let entry = YAMLNode(.scalar(file, .plain), range: range)
        guard let resources = kustomization["resources"], case .sequence(let items) = resources.content else {
            return Kustomize.setting("resources", YAMLNode(.sequence([entry]), range: range), in: kustomization)
        }
        guard !items.contains(where: { $0.scalar == file }) else { return nil }
        return Kustomize.setting("resources", YAMLNode(.sequence(items + [entry]), range: resources.range), in: kustomization)
    }

    /// The names kustomize reads a folder's kustomization from.
    static let kustomizationNames = ["kustomization.yaml", "kustomization.yml", "Kustomization"]

    /// Whether `path` is the kustomization at the root of the folder `--apply-to` names.
    static func isRootKustomization(_ path: String) -> Bool { kustomizationNames.contains(path) }

    /// A kustomization without the `components:` entries that name Palisade's own overlay
    /// output for `policy` (a path ending in `TARGET/POLICY`): the hardened files carry its
    /// decisions already, and the path does not resolve from where they are written. Each
    /// removal is an `Override` at the entry.
    func withoutPalisadeComponent(_ kustomization: YAMLNode, policy: String, file: String, overrides: inout [Override]) -> YAMLNode {
        guard let components = kustomization["components"], case .sequence(let items) = components.content else { return kustomization }
        let own = { (entry: YAMLNode) -> Bool in
            guard let path = entry.scalar else { return false }
            let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
            return trimmed == "\(target)/\(policy)" || trimmed.hasSuffix("/\(target)/\(policy)")
        }
        let kept = items.filter { !own($0) }
        guard kept.count != items.count else { return kustomization }
        let shown = "[" + kept.compactMap(\.scalar).joined(separator: ", ") + "]"
        for entry in items where own(entry) {
            overrides.append(
                Override(
                    origin: entry.range, subject: "Kustomization \(file)", field: "components", application: Self.describe(components),
                    palisade: kept.isEmpty ? "unset" : shown))
        }
        return kept.isEmpty
            ? Kustomize.removing("components", from: kustomization)
            : Kustomize.setting("components", YAMLNode(.sequence(kept), range: components.range), in: kustomization)
    }

    /// A located error at the first `resources:` or `components:` entry of a kustomization of
    /// the application's folder that names no file or folder of what `apply` writes (the
    /// folder's own files, `extra` beside them): kustomize could not build the tree. Remote
    /// entries (`https://…`, `github.com/…`) are not checked.
    func checkResolves(_ application: [ApplicationFile], plus extra: [String], written: [OutputFile]) throws {
        let paths = Set(written.map(\.path) + extra)
        let folders = Set(
            paths.flatMap { path -> [String] in
                let parts = path.split(separator: "/").map(String.init)
                return (0..<max(parts.count - 1, 0)).map { parts[0...$0].joined(separator: "/") }
            })
        for file in written where Self.kustomizationNames.contains(file.path.split(separator: "/").last.map(String.init) ?? "") {
            let documents = try Self.load(file)
            let base = file.path.split(separator: "/").dropLast().map(String.init)
            for document in documents where document["kind"]?.scalar == "Kustomization" {
                for key in ["resources", "components"] {
                    guard let list = document[key], case .sequence(let items) = list.content else { continue }
                    for entry in items {
                        guard let text = entry.scalar, !text.contains("://"), !text.hasPrefix("github.com/") else { continue }
                        let resolved = Self.normalized(base, text)
                        if let resolved, resolved.isEmpty || paths.contains(resolved) || folders.contains(resolved) { continue }
                        throw BackendError(
                            .error(
                                .unknownReference,
                                "\(target): \(file.path): \(key) entry '\(text)' names no file or folder of the application's folder: "
                                    + "kustomize could not build the hardened tree",
                                at: entry.range, help: "name a file or folder inside the folder given to --apply-to"))
                    }
                }
            }
        }
    }

    /// `path` taken from the folder `base` (path components), `.` and `..` resolved; nil when
    /// it leaves the folder's root.
    static func normalized(_ base: [String], _ path: String) -> String? {
        var parts = path.hasPrefix("/") ? [] : base
        for part in path.split(separator: "/").map(String.init) {
            switch part {
            case ".", "": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(part)
            }
        }
        return path.hasPrefix("/") ? nil : parts.joined(separator: "/")
    }

    /// A team workload with Palisade's fields set, then every contradicting field the patch
    /// leaves alone set to the spec's value.
    func harden(
        _ document: YAMLNode, kind: String, deployment: OpenShiftPlan.Deployment, patch: StructuredValue, overrides: inout [Override]
    ) throws -> YAMLNode {
        let workload = deployment.workload
        let subject = "\(kind) \(deployment.namespace)/\(workload.name)"
        let synthetic = SourceRange.wholeFile(Self.policyFile)
        func record(_ path: [String], _ team: YAMLNode?, _ palisade: String) {
            overrides.append(
                Override(
                    origin: team?.range ?? document.range, subject: subject, field: Self.fieldPath(path),
                    application: team.map(Self.describe) ?? "unset", palisade: palisade))
        }
        // The patch's container is the team's container named after the workload, or its only one.
        let containers = try containers(document)
        guard let main = containers.first(where: { $0["name"]?.scalar == workload.name }) ?? (containers.count == 1 ? containers.first : nil),
            let mainName = main["name"]?.scalar
        else {
            let names = containers.compactMap { $0["name"]?.scalar }.joined(separator: ", ")
            throw BackendError(
                .error(
                    .unknownReference, "\(target): \(subject) has containers [\(names)], none named '\(workload.name)'",
                    at: Kustomize.at(document, ["spec", "template", "spec", "containers"])?.range ?? document.range,
                    help: "name the workload's container '\(workload.name)'"))
        }
        var patchNode = Kustomize.node(patch, at: synthetic)
        patchNode = ["apiVersion", "kind"].reduce(patchNode) { Kustomize.removing($1, from: $0) }
        patchNode = Kustomize.updating(patchNode, ["metadata"], range: synthetic) { Kustomize.removing("name", from: $0) }
        patchNode = Kustomize.updating(patchNode, ["spec", "template", "spec"], range: synthetic) { pod in
            guard let list = pod["containers"], case .sequence(let items) = list.content else { return pod }
            let renamed = items.map { Kustomize.setting("name", YAMLNode(.scalar(mainName, .plain), range: synthetic), in: $0) }
            return Kustomize.setting("containers", YAMLNode(.sequence(renamed), range: synthetic), in: pod)
        }
        var result = Kustomize.merge(patchNode, onto: document) { path, team, palisade in
            record(path, team, Self.describe(palisade))
        }

        // What the patch does not say, but the spec decides: no privileges, host namespaces,
        // host ports, capabilities or users it does not grant.
        let runtime = workload.runtime
        let podPath = ["spec", "template", "spec"]
        var pod = Kustomize.at(result, podPath) ?? YAMLNode(.mapping([]), range: synthetic)
        let no = YAMLNode(.scalar("false", .plain), range: synthetic)
        for (key, allowed) in [("hostNetwork", runtime.hostNetwork), ("hostPID", runtime.hostPID), ("hostIPC", runtime.hostIPC)] where allowed != true {
            if let value = pod[key], value.scalar == "true" {
                record(podPath + [key], value, "false")
                pod = Kustomize.setting(key, no, in: pod)
            }
        }
        if runtime.user == nil, let value = pod["securityContext"]?["runAsUser"] {
            record(podPath + ["securityContext", "runAsUser"], value, "unset")
            pod = Kustomize.updating(pod, ["securityContext"], range: synthetic) { Kustomize.removing("runAsUser", from: $0) }
        }
        let security = deployment.security
        let allowedAdds = Set(security.add.isEmpty && runtime.capabilities == nil ? ["NET_BIND_SERVICE"] : security.add)
        for kind in ["initContainers", "containers"] {
            guard let list = pod[kind], case .sequence(var items) = list.content else { continue }
            for index in items.indices {
                var container = items[index]
                let name = container["name"]?.scalar ?? "\(index)"
                let path = podPath + [kind, "name=\(name)"]
                var context = container["securityContext"] ?? YAMLNode(.mapping([]), range: synthetic)
                if runtime.privileged != true, let value = context["privileged"], value.scalar == "true" {
                    record(path + ["securityContext", "privileged"], value, "false")
                    context = Kustomize.setting("privileged", no, in: context)
                }
                if runtime.privileged != true, runtime.noNewPrivileges != false, let value = context["allowPrivilegeEscalation"], value.scalar == "true" {
                    record(path + ["securityContext", "allowPrivilegeEscalation"], value, "false")
                    context = Kustomize.setting("allowPrivilegeEscalation", no, in: context)
                }
                if let value = context["capabilities"]?["add"], case .sequence(let adds) = value.content {
                    let kept = adds.filter { allowedAdds.contains($0.scalar ?? "") }
                    if kept.count != adds.count {
                        let shown = "[" + kept.compactMap(\.scalar).joined(separator: ", ") + "]"
                        record(path + ["securityContext", "capabilities", "add"], value, shown)
                        context = Kustomize.updating(context, ["capabilities"], range: synthetic) {
                            Kustomize.setting("add", YAMLNode(.sequence(kept), range: value.range), in: $0)
                        }
                    }
                }
                if let value = context["runAsUser"], value.scalar != runtime.user.map(String.init) {
                    let palisade = runtime.user.map(String.init)
                    record(path + ["securityContext", "runAsUser"], value, palisade ?? "unset")
                    context =
                        palisade.map { Kustomize.setting("runAsUser", YAMLNode(.scalar($0, .plain), range: synthetic), in: context) }
                        ?? Kustomize.removing("runAsUser", from: context)
                }
                if container["securityContext"] != nil || !Kustomize.sameValue(context, YAMLNode(.mapping([]), range: synthetic)) {
                    container = Kustomize.setting("securityContext", context, in: container)
                }
                if runtime.hostNetwork != true, let ports = container["ports"], case .sequence(var entries) = ports.content {
                    for position in entries.indices {
                        guard let hostPort = entries[position]["hostPort"] else { continue }
                        record(path + ["ports", "containerPort=\(entries[position]["containerPort"]?.scalar ?? "")", "hostPort"], hostPort, "unset")
                        entries[position] = Kustomize.removing("hostPort", from: entries[position])
                    }
                    container = Kustomize.setting("ports", YAMLNode(.sequence(entries), range: ports.range), in: container)
                }
                items[index] = container
            }
            pod = Kustomize.setting(kind, YAMLNode(.sequence(items), range: list.range), in: pod)
        }
        result = Kustomize.updating(result, podPath[...], range: synthetic) { _ in pod }

        try checkSelector(result, original: document, subject: subject)
        // The workload runs in its segment's namespace.
        let namespace = result["metadata"]?["namespace"]
        if namespace?.scalar != deployment.namespace {
            if let namespace { record(["metadata", "namespace"], namespace, deployment.namespace) }
            result = Kustomize.updating(result, ["metadata"], range: synthetic) {
                Kustomize.setting("namespace", YAMLNode(.scalar(deployment.namespace, .plain), range: synthetic), in: $0)
            }
        }
        return result
    }

    /// A located error where Palisade's pod labels took a key the workload's selector matches
    /// on to another value: the API server would refuse a template its selector does not match.
    func checkSelector(_ merged: YAMLNode, original: YAMLNode, subject: String) throws {
        guard let selector = Kustomize.at(original, ["spec", "selector", "matchLabels"]), case .mapping(let pairs) = selector.content else { return }
        let labels = Kustomize.at(merged, ["spec", "template", "metadata", "labels"])
        for pair in pairs where labels?[pair.name]?.scalar != pair.value.scalar {
            let label = "\(pair.name)=\(labels?[pair.name]?.scalar ?? "")"
            throw BackendError(
                .error(
                    .nameCollision, "\(target): \(subject): the spec's pod label \(label) replaces \(pair.value.scalar ?? ""), which the selector matches",
                    at: pair.value.range, help: "select on a label the spec does not set, or set the same value in the spec"))
        }
    }

    /// The containers of a workload's pod template.
    func containers(_ document: YAMLNode) throws -> [YAMLNode] {
        guard let list = Kustomize.at(document, ["spec", "template", "spec", "containers"]), case .sequence(let items) = list.content else {
            throw BackendError(.error(.missingKey, "\(target): a workload without spec.template.spec.containers", at: document.range))
        }
        return items
    }

    /// `spec.template.spec.containers[web].securityContext.privileged`.
    static func fieldPath(_ path: [String]) -> String {
        var text = ""
        for part in path {
            if let equals = part.firstIndex(of: "=") {
                text += "[\(part[part.index(after: equals)...])]"
            } else {
                text += (text.isEmpty ? "" : ".") + part
            }
        }
        return text
    }

    /// A value as a message shows it: a scalar as written, a list `[a, b]`, a mapping `{k: v}`.
    static func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .scalar(let text, _): text
        case .sequence(let items): "[" + items.map(describe).joined(separator: ", ") + "]"
        case .mapping(let pairs): "{" + pairs.map { "\($0.name): \(describe($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    static func describe(_ value: StructuredValue) -> String { describe(Kustomize.node(value, at: .wholeFile(""))) }

    // MARK: What the platform deploys

    /// What the platform deploys from the team's files and `component` (the emission in overlay
    /// mode): kustomize's merge, read back by `read` (over the team's documents, or over the
    /// component's skeletons for nil), with the gaps the team's own fields open; `refusal` says
    /// why the platform refuses a workload's pods (its object's kind given), nil when it admits
    /// them.
    func deployment(
        component: [OutputFile], application: [ApplicationFile], policy: Policy, namespace: (String) -> String, read: ([YAMLNode]?) throws -> ReadBack,
        refusal: (Workload, String, ReadBack) -> String?
    ) throws -> Deployment {
        try deployment(
            component: component, application: application, policy: policy, namespace: namespace, read: read,
            refusals: { workload, kind, readBack in refusal(workload, kind, readBack).map { [Refusal(reason: $0, container: nil, key: nil)] } ?? [] })
    }

    /// Why the platform refuses a workload's pods: in words, the team's container it is about
    /// (nil: the pod or the object), and the runtime key of the gap that reports it (nil: the
    /// key of the first gap the team's fields open, else `user`).
    struct Refusal {
        var reason: String
        var container: String?
        var key: RuntimeKey?
    }

    /// `deployment` with each of the platform's refusals of a workload's pods reported as a
    /// gap, at the team's container it names, else at the team's object.
    func deployment(
        component: [OutputFile], application: [ApplicationFile], policy: Policy, namespace: (String) -> String, read: ([YAMLNode]?) throws -> ReadBack,
        refusals: (Workload, String, ReadBack) -> [Refusal]
    ) throws -> Deployment {
        var documents: [YAMLNode] = []
        for file in application where file.path.hasSuffix(".yaml") || file.path.hasSuffix(".yml") {
            documents += try Self.load(file).filter { document in
                guard document["apiVersion"]?.scalar != nil, let kind = document["kind"]?.scalar else { return false }
                return kind != "Kustomization" && kind != "Component"
            }
        }
        var matched: [String: [Int]] = [:]
        let built: [YAMLNode]
        do {
            built = try KubeOverlay.build(component, application: documents, policy: policy) { patch, indices in matched[patch.name] = indices }
        } catch let failure as ReadFailure {
            throw BackendError(.error(.nameCollision, "\(target): \(failure.reason)", at: .wholeFile(application.first?.path ?? failure.file)))
        }
        for workload in policy.workloads where (matched[workload.name] ?? []).isEmpty {
            let namespace = namespace(policy.segments[workload.segment.index].name)
            let elsewhere = documents.first { Kustomize.workloadKinds.contains($0["kind"]?.scalar ?? "") && $0["metadata"]?["name"]?.scalar == workload.name }
            let kind = elsewhere?["kind"]?.scalar ?? ""
            let message =
                elsewhere.map { _ in "\(target): the application's \(kind) '\(workload.name)' is not in namespace \(namespace): the component does not patch it"
                }
                ?? "\(target): workload '\(workload.name)' has no Deployment, StatefulSet or DaemonSet in namespace \(namespace) in the application's files"
            throw BackendError(.error(.unknownReference, message, at: elsewhere?.range ?? workload.origin))
        }
        let readBack = try read(documents)
        var gaps: [Gap] = []
        // Where the team's own fields put a workload on its node's network.
        var causes: [String: (origin: SourceRange, words: String)] = [:]
        for workload in policy.workloads {
            for index in matched[workload.name] ?? [] where causes[workload.name] == nil {
                causes[workload.name] = Self.hostExposure(built[index])
            }
        }
        let own = try read(nil).relation
        gaps += connectionChanges(
            widened: readBack.relation.subtracting(own), narrowed: own.subtracting(readBack.relation), policy: policy, causes: causes,
            fallback: { name in (matched[name]?.first).map { documents[$0].range } })
        for workload in policy.workloads {
            for index in matched[workload.name] ?? [] {
                let kind = built[index]["kind"]?.scalar ?? "object"
                let namespace = built[index]["metadata"]?["namespace"]?.scalar ?? ""
                try checkSelector(built[index], original: documents[index], subject: "\(kind) \(namespace)/\(workload.name)")
                let found = weakening(built[index], workload: workload)
                gaps += found
                for refused in refusals(workload, kind, readBack) {
                    let container = refused.container.flatMap { Self.container(named: $0, in: built[index]) }
                    gaps.append(
                        .runtime(
                            target: platform.target, workload: workload.name, key: refused.key ?? found.first.flatMap(\.runtimeKey) ?? .user,
                            reason: refused.reason, origin: container?.range ?? found.first?.origin ?? built[index].range))
                }
            }
        }
        return Deployment(readBack: readBack, gaps: gaps)
    }

    /// The container, init container or ephemeral container `name` of a workload's pod template.
    static func container(named name: String, in document: YAMLNode) -> YAMLNode? {
        guard let pod = Kustomize.at(document, ["spec", "template", "spec"]) else { return nil }
        for kind in ["initContainers", "containers", "ephemeralContainers"] {
            guard let list = pod[kind], case .sequence(let containers) = list.content else { continue }
            if let found = containers.first(where: { $0["name"]?.scalar == name }) { return found }
        }
        return nil
    }

    /// The team's field that puts a merged workload's pods on its node's network: its
    /// `hostNetwork: true`, else its first `hostPort` entry; nil when it sets neither.
    static func hostExposure(_ document: YAMLNode) -> (origin: SourceRange, words: String)? {
        guard let pod = Kustomize.at(document, ["spec", "template", "spec"]) else { return nil }
        if let value = pod["hostNetwork"], value.scalar == "true" { return (value.range, "hostNetwork: true") }
        for kind in ["initContainers", "containers"] {
            guard let list = pod[kind], case .sequence(let containers) = list.content else { continue }
            for container in containers {
                guard let ports = container["ports"], case .sequence(let entries) = ports.content else { continue }
                for entry in entries {
                    if let hostPort = entry["hostPort"] { return (hostPort.range, "hostPort \(hostPort.scalar ?? "")") }
                }
            }
        }
        return nil
    }

    /// The connections the merged deployment allows (`widened`) or blocks (`narrowed`)
    /// beyond what Palisade's files alone enforce, as gaps grouped into products, each located
    /// at the team's field that opens or closes it (`hostExposure` of a workload at either
    /// end, destinations first), else at the team's object (`fallback`).
    func connectionChanges(
        widened: Relation, narrowed: Relation, policy: Policy, causes: [String: (origin: SourceRange, words: String)],
        fallback: (String) -> SourceRange?
    ) -> [Gap] {
        guard !(widened.isEmpty && narrowed.isEmpty) else { return [] }
        let grouped = groupedConnectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: platform.target) { _ in "" }
        func names(_ endpoint: Endpoint) -> [String] {
            switch endpoint {
            case .workload(let name): [name]
            case .workloads(let names): names
            default: []
            }
        }
        return grouped.map { gap in
            var gap = gap
            guard let connection = gap.connection else { return gap }
            let ends = names(connection.destination) + names(connection.source)
            var seen: Set<String> = []
            let exposed = ends.filter { causes[$0] != nil && seen.insert($0).inserted }
            let verb = gap.kind == .widened ? "opens" : "closes"
            if let first = exposed.first, let cause = causes[first] {
                let who = exposed.count == 1 ? first : exposed.joined(separator: ", ")
                gap.reason = "the application's files set \(cause.words) on \(who): it \(verb) this connection beyond Palisade's NetworkPolicies"
                gap.origin = cause.origin
            } else {
                gap.reason = "the application's files \(verb) this connection beyond Palisade's NetworkPolicies"
                gap.origin = ends.lazy.compactMap(fallback).first ?? gap.origin
            }
            if case .connection(let connection) = gap.subject {
                switch (connection.source, connection.destination) {
                case (.external, _): gap.capability = .externalIngress
                case (_, .external): break
                default: gap.capability = .workloadSegmentation
                }
            }
            return gap
        }
    }

    /// What a merged workload's own fields open beyond the spec: host namespaces and ports,
    /// privileges, capabilities, users and writable mounts the spec does not grant, each at
    /// the team's value.
    func weakening(_ document: YAMLNode, workload: Workload) -> [Gap] {
        let runtime = workload.runtime
        var gaps: [Gap] = []
        func gap(_ key: RuntimeKey, _ node: YAMLNode, _ reason: String) {
            gaps.append(
                .runtime(target: platform.target, workload: workload.name, key: key, reason: "the application's files set " + reason, origin: node.range))
        }
        guard let pod = Kustomize.at(document, ["spec", "template", "spec"]) else { return [] }
        let hosts: [(String, Bool?, RuntimeKey, String)] = [
            (
                "hostNetwork", runtime.hostNetwork, .hostNetwork,
                "its pods share the node's network, outside every NetworkPolicy\(platform.egressFirewall ? " and EgressFirewall" : "")"
            ),
            ("hostPID", runtime.hostPID, .hostPID, "its pods see the node's processes"),
            ("hostIPC", runtime.hostIPC, .hostIPC, "its pods share the node's IPC namespace"),
        ]
        for (key, allowed, runtimeKey, effect) in hosts where allowed != true {
            if let value = pod[key], value.scalar == "true" { gap(runtimeKey, value, "\(key): true: \(effect)") }
        }
        if runtime.user == nil, let value = pod["securityContext"]?["runAsUser"], value.scalar == "0" {
            gap(.user, value, "runAsUser: 0: its pods run as root")
        }
        let allowedAdds = Set(runtime.capabilities?.add ?? (runtime.capabilities == nil ? ["NET_BIND_SERVICE"] : []))
        var writableVolumes: [String: YAMLNode] = [:]
        if let volumes = pod["volumes"], case .sequence(let items) = volumes.content {
            for volume in items {
                guard let name = volume["name"]?.scalar else { continue }
                if let path = volume["hostPath"] { gap(.readOnlyRoot, path, "a hostPath volume '\(name)': its pods reach the node's files") }
                if ["emptyDir", "persistentVolumeClaim", "hostPath", "ephemeral"].contains(where: { volume[$0] != nil }) { writableVolumes[name] = volume }
            }
        }
        for kind in ["initContainers", "containers"] {
            guard let list = pod[kind], case .sequence(let containers) = list.content else { continue }
            for container in containers {
                let name = container["name"]?.scalar ?? "?"
                let context = container["securityContext"]
                if runtime.privileged != true, let value = context?["privileged"], value.scalar == "true" {
                    gap(.privileged, value, "privileged: true on container \(name)")
                }
                if runtime.privileged != true, runtime.noNewPrivileges == true, let value = context?["allowPrivilegeEscalation"], value.scalar == "true" {
                    gap(.noNewPrivileges, value, "allowPrivilegeEscalation: true on container \(name)")
                }
                if let value = context?["capabilities"]?["add"], case .sequence(let adds) = value.content {
                    let extra = adds.compactMap(\.scalar).filter { !allowedAdds.contains($0) }
                    if !extra.isEmpty { gap(.capabilities, value, "capabilities \(extra.joined(separator: ", ")) added to container \(name)") }
                }
                if let value = context?["runAsUser"], value.scalar != runtime.user.map(String.init), runtime.user != nil || value.scalar == "0" {
                    gap(.user, value, "runAsUser: \(value.scalar ?? "") on container \(name)")
                }
                if let ports = container["ports"], case .sequence(let entries) = ports.content, runtime.hostNetwork != true {
                    for entry in entries {
                        guard let hostPort = entry["hostPort"] else { continue }
                        gap(
                            .hostNetwork, hostPort,
                            "hostPort \(hostPort.scalar ?? "") on container \(name): the port is published on its node's address, outside every NetworkPolicy")
                    }
                }
                if runtime.readOnlyRoot == true, let mounts = container["volumeMounts"], case .sequence(let entries) = mounts.content {
                    for mount in entries {
                        guard let volume = mount["name"]?.scalar, writableVolumes[volume] != nil, mount["readOnly"]?.scalar != "true",
                            let path = mount["mountPath"]?.scalar, !(runtime.writablePaths ?? []).contains(path)
                        else { continue }
                        gap(.writablePaths, mount, "a writable mount of '\(volume)' at \(path) on container \(name), beyond the spec's writable_paths")
                    }
                }
            }
        }
        return gaps
    }
}

extension Gap {
    /// The runtime key a runtime gap is about.
    fileprivate var runtimeKey: RuntimeKey? {
        if case .runtime(_, let key) = subject { return key }
        return nil
    }
}
