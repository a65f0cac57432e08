import Diagnostics
import IR
import YAML

/// The part of kustomize a Palisade component exercises, on located YAML nodes: a strategic
/// merge patch of a workload's pod template, the component's `kustomization.yaml` (resources
/// and patches by target), and writing nodes back as YAML with the team's scalars as written.
enum Kustomize {
    /// The workload kinds a component patches, as one target `kind` (kustomize anchors it and
    /// reads it as a regular expression).
    static let workloadKinds = ["Deployment", "StatefulSet", "DaemonSet"]
    static let workloadKindPattern = "(" + workloadKinds.joined(separator: "|") + ")"

    /// One entry of a component's `patches`: the patch file and the workload it targets.
    struct Patch {
        var path: String
        var name: String
        var namespace: String
    }

    /// A component read back: its resource files and its patches.
    struct Component {
        var resources: [String]
        var patches: [Patch]
    }

    /// Reads a component's `kustomization.yaml`: `kind: Component`, `resources` and `patches`
    /// whose targets name one workload of one namespace; anything else is a `ReadFailure`.
    static func component(_ file: OutputFile) throws -> Component {
        let root = try [file].required(file.path).document()
        guard root["kind"]?.scalar == "Component", root["apiVersion"]?.scalar == "kustomize.config.k8s.io/v1alpha1" else {
            throw ReadFailure(file.path, "not a kustomize Component (kustomize.config.k8s.io/v1alpha1)")
        }
        let resources = try sequence(root["resources"], file.path, "resources").map { try scalar($0, file.path, "a resource") }
        let patches = try sequence(root["patches"], file.path, "patches").map { entry -> Patch in
            let target = entry["target"]
            guard let path = entry["path"]?.scalar, target?["kind"]?.scalar == workloadKindPattern, let name = target?["name"]?.scalar,
                let namespace = target?["namespace"]?.scalar
            else { throw ReadFailure(file.path, "a patch without a path, or whose target is not one workload of one namespace") }
            return Patch(path: path, name: name, namespace: namespace)
        }
        return Component(resources: resources, patches: patches)
    }

    static func sequence(_ node: YAMLNode?, _ file: String, _ what: String) throws -> [YAMLNode] {
        guard let node, !node.isNull else { return [] }
        guard case .sequence(let items) = node.content else { throw ReadFailure(file, "\(what) is not a list") }
        return items
    }

    static func scalar(_ node: YAMLNode, _ file: String, _ what: String) throws -> String {
        guard let text = node.scalar else { throw ReadFailure(file, "\(what) is not a string") }
        return text
    }

    // MARK: Strategic merge

    /// The merge key of a list under `key` in a pod template, as Kubernetes' `patchMergeKey`
    /// declares it; nil for a list the patch replaces whole (`capabilities.add`, `drop`,
    /// `command`, `args`: no `patchStrategy`).
    static func mergeKey(_ key: String) -> String? {
        switch key {
        case "containers", "initContainers", "volumes", "env", "imagePullSecrets": "name"
        case "volumeMounts": "mountPath"
        case "ports": "containerPort"
        default: nil
        }
    }

    /// `patch` merged onto `base` with strategic merge patch semantics: mappings merge key by
    /// key (new keys after the base's own), lists with a merge key merge item by item (new
    /// items after the base's), other lists and scalars replace, a null value deletes the key.
    /// `replaced` hears of every base value the patch changed: its key path, the base node and
    /// the patch node.
    static func merge(_ patch: YAMLNode, onto base: YAMLNode, path: [String] = [], replaced: ([String], YAMLNode, YAMLNode) -> Void = { _, _, _ in })
        -> YAMLNode
    {
        switch (base.content, patch.content) {
        case (.mapping(var pairs), .mapping(let patchPairs)):
            for pair in patchPairs {
                let key = pair.name
                if let index = pairs.firstIndex(where: { $0.name == key }) {
                    if pair.value.isNull {
                        replaced(path + [key], pairs[index].value, pair.value)
                        pairs.remove(at: index)
                    } else {
                        pairs[index].value = merge(pair.value, onto: pairs[index].value, path: path + [key], replaced: replaced)
                    }
                } else if !pair.value.isNull {
                    pairs.append(pair)
                }
            }
            return YAMLNode(.mapping(pairs), range: base.range)
        case (.sequence(var items), .sequence(let patchItems)):
            guard let key = path.last.flatMap(mergeKey) else { break }
            for item in patchItems {
                let value = item[key]?.scalar
                if let value, let index = items.firstIndex(where: { $0[key]?.scalar == value }) {
                    items[index] = merge(item, onto: items[index], path: path + ["\(key)=\(value)"], replaced: replaced)
                } else {
                    items.append(item)
                }
            }
            return YAMLNode(.sequence(items), range: base.range)
        default:
            break
        }
        if !sameValue(base, patch) { replaced(path, base, patch) }
        return patch
    }

    /// Whether two nodes hold the same YAML value (styles and places aside).
    static func sameValue(_ a: YAMLNode, _ b: YAMLNode) -> Bool {
        switch (a.content, b.content) {
        case (.scalar(let x, _), .scalar(let y, _)): return x == y
        case (.sequence(let x), .sequence(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
        case (.mapping(let x), .mapping(let y)):
            return x.count == y.count && x.allSatisfy { pair in y.contains { $0.name == pair.name && sameValue($0.value, pair.value) } }
        default: return false
        }
    }

    // MARK: Nodes and values

    /// A generated value as a node, every node placed at `range` (the file it stands for).
    static func node(_ value: StructuredValue, at range: SourceRange) -> YAMLNode {
        switch value {
        case .string(let text): YAMLNode(.scalar(text, plainScalarIsAmbiguous(text) ? .doubleQuoted : .plain), range: range)
        case .int(let number): YAMLNode(.scalar(String(number), .plain), range: range)
        case .number(let text): YAMLNode(.scalar(text, .plain), range: range)
        case .bool(let flag): YAMLNode(.scalar(flag ? "true" : "false", .plain), range: range)
        case .null: YAMLNode(.scalar("null", .plain), range: range)
        case .array(let items): YAMLNode(.sequence(items.map { node($0, at: range) }), range: range)
        case .object(let entries):
            YAMLNode(
                .mapping(entries.map { YAMLPair(key: YAMLNode(.scalar($0.key, .plain), range: range), value: node($0.value, at: range)) }),
                range: range)
        }
    }

    /// A node as a value to write: a plain scalar stays plain (`3`, `true`, `null` keep their
    /// type), a quoted one stays a string; key order is kept.
    static func value(_ node: YAMLNode) -> StructuredValue {
        switch node.content {
        case .scalar(let text, let style):
            return style == .plain && plainScalarIsAmbiguous(text) ? .number(text) : .string(text)
        case .sequence(let items): return .array(items.map(value))
        case .mapping(let pairs): return .object(pairs.map { StructuredValue.Entry($0.name, value($0.value)) })
        }
    }

    /// `node` with `value` under `key` (replaced in place, or added last).
    static func setting(_ key: String, _ value: YAMLNode, in node: YAMLNode) -> YAMLNode {
        guard case .mapping(var pairs) = node.content else { return node }
        if let index = pairs.firstIndex(where: { $0.name == key }) {
            pairs[index].value = value
        } else {
            pairs.append(YAMLPair(key: YAMLNode(.scalar(key, .plain), range: value.range), value: value))
        }
        return YAMLNode(.mapping(pairs), range: node.range)
    }

    /// `node` without `key`.
    static func removing(_ key: String, from node: YAMLNode) -> YAMLNode {
        guard case .mapping(let pairs) = node.content else { return node }
        return YAMLNode(.mapping(pairs.filter { $0.name != key }), range: node.range)
    }

    /// The node at a key path (`spec.template.spec`), through mappings.
    static func at(_ node: YAMLNode, _ path: [String]) -> YAMLNode? {
        path.reduce(Optional(node)) { $0?[$1] }
    }

    /// `node` with `transform` applied to the node at `path` (created as an empty mapping
    /// where missing, at `range`).
    static func updating(_ node: YAMLNode, _ path: ArraySlice<String>, range: SourceRange, _ transform: (YAMLNode) -> YAMLNode) -> YAMLNode {
        guard let key = path.first else { return transform(node) }
        let child = node[key] ?? YAMLNode(.mapping([]), range: range)
        return setting(key, updating(child, path.dropFirst(), range: range, transform), in: node)
    }
}
