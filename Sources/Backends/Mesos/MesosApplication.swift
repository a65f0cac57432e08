import Diagnostics
import IR
import YAML

/// `compile --apply-to` and `compare/explain --with` for Marathon: the team's own Marathon
/// group (or app) files written back with Palisade's fields set and every other field kept,
/// plus the master's ACLs. Marathon has no merge tool of its own, so Palisade does the merge;
/// the rules (which app is which workload, which fields Palisade owns, what it does with a
/// team's field that contradicts the spec) are in `targets/mesos/README.md`.
extension MesosBackend: ApplicationBackend {
    public func apply(_ policy: Policy, with options: MesosOptions, to application: [ApplicationFile]) throws -> Application {
        let emission = try emit(policy, with: options)
        let merged = try MesosApplier(policy: policy, options: options).apply(application)
        var files = merged.files
        if let acls = emission.files.first(where: { $0.path == MesosEmitter.aclsFile }) { files.append(acls) }
        var applied = emission
        applied.files = files
        // Where the spec sets no cpu or memory limit, the team's app may: then that is used.
        applied.gaps = emission.gaps.map { gap in
            guard case .runtime(let name, .resources) = gap.subject, let values = merged.resources[name] else { return gap }
            var gap = gap
            for (key, prefix) in [("cpus", Self.noCPULimit), ("mem", Self.noMemoryLimit)] where gap.reason.hasPrefix(prefix) {
                if let value = values[key] { gap.reason = "\(prefix): the application's \(key) \(value) is used" }
            }
            return gap
        }
        applied.gaps += merged.gaps
        return Application(emission: applied, overrides: merged.overrides)
    }

    /// The team's files hardened as `apply` writes them, read back with the ACLs of `files`
    /// (the emission's own, which `apply` also writes); the gaps are those the team's kept
    /// fields open beyond the spec, located in the team's files.
    public func deployment(_ files: [OutputFile], application: [ApplicationFile], policy: Policy, with options: MesosOptions) throws -> Deployment {
        let merged = try MesosApplier(policy: policy, options: options).apply(application)
        var deployed = merged.files
        if let acls = files.first(where: { $0.path == MesosEmitter.aclsFile }) {
            deployed.append(acls)
        } else {
            deployed.append(
                OutputFile(path: MesosEmitter.aclsFile, contents: JSONWriter.write(MesosEmitter(plan: MesosPlan(policy: policy, options: options)).acls().json))
            )
        }
        return Deployment(readBack: try read(deployed, policy: policy), gaps: merged.gaps)
    }
}

/// Merges Palisade's decisions into the team's Marathon files.
struct MesosApplier {
    let policy: Policy
    let options: MesosOptions
    let plan: MesosPlan
    let emitter: MesosEmitter
    let networks: [WorkloadID: [String]]

    init(policy: Policy, options: MesosOptions) {
        self.policy = policy
        self.options = options
        plan = MesosPlan(policy: policy, options: options)
        emitter = MesosEmitter(plan: plan)
        networks = emitter.networksByWorkload()
    }

    /// The files rewritten, the team's values Palisade replaced, and the gaps the fields it
    /// keeps open.
    struct Result {
        var files: [OutputFile] = []
        var overrides: [Override] = []
        var gaps: [Gap] = []
        /// The `cpus` and `mem` the team's apps give where the spec sets none, by workload name.
        var resources: [String: [String: String]] = [:]
    }

    /// One app of the team's files: its id resolved against the groups around it.
    struct FoundApp {
        var file: String
        var id: String
        var node: YAMLNode
    }

    /// The id complete mode gives a workload's app: `/GROUP/SEGMENT/WORKLOAD`.
    func expectedID(_ workload: Workload) -> String {
        "\(plan.root == "/" ? "" : plan.root)/\(policy.segments[workload.segment.index].name)/\(workload.name)"
    }

    func apply(_ application: [ApplicationFile]) throws -> Result {
        var roots: [(file: ApplicationFile, root: YAMLNode, isGroup: Bool)] = []
        var found: [FoundApp] = []
        for file in application {
            if file.path == MesosEmitter.aclsFile {
                throw BackendError(
                    .error(
                        .wrongType, "'\(file.path)' is the name of the Mesos ACLs Palisade writes; a Marathon group or app file needs another name",
                        at: .wholeFile(file.path)))
            }
            let loaded = YAMLLoader.load(text: file.contents, file: file.path)
            if let problem = loaded.diagnostics.first(where: { $0.severity == .error }) { throw BackendError(problem) }
            guard let root = loaded.root else {
                throw BackendError(.error(.emptyDocument, "'\(file.path)' is empty: a Marathon group or app is expected", at: .wholeFile(file.path)))
            }
            let isGroup = try Self.kind(of: root, in: file.path)
            roots.append((file, root, isGroup))
            if isGroup {
                try collectGroup(root, base: "/", file: file.path, into: &found)
            } else {
                found.append(FoundApp(file: file.path, id: try Self.resolvedID(root, base: "/", file: file.path, what: "app"), node: root))
            }
        }
        // Every id once: Marathon refuses a group holding an id twice.
        var byID: [String: FoundApp] = [:]
        for app in found {
            if let first = byID[app.id] {
                throw BackendError(
                    .error(
                        .duplicateEntry, "app '\(app.id)' is defined twice", at: app.node["id"]?.range ?? app.node.range,
                        notes: [.init("first defined here", at: first.node["id"]?.range ?? first.node.range)]))
            }
            byID[app.id] = app
        }
        let names = application.isEmpty ? "no file (none given)" : application.map { "'\($0.path)'" }.joined(separator: ", ")
        var workloadOf: [String: Workload] = [:]
        for workload in policy.workloads {
            let id = expectedID(workload)
            guard byID[id] != nil else {
                let near = found.first { $0.id.split(separator: "/").last.map(String.init) == workload.name }
                throw BackendError(
                    .error(
                        .missingKey, "workload '\(workload.name)' has no Marathon app '\(id)' in \(names)", at: workload.origin,
                        notes: near.map { [.init("app '\($0.id)' has the workload's name but not its path", at: $0.node["id"]?.range ?? $0.node.range)] } ?? [],
                        help: "name the app '\(id)' (the group option, the segment, the workload), as the complete output does"))
            }
            workloadOf[id] = workload
        }
        for app in found where workloadOf[app.id] == nil {
            throw BackendError(
                .error(
                    .unknownReference, "app '\(app.id)' is not a workload of the spec", at: app.node["id"]?.range ?? app.node.range,
                    help: "the ACLs let Marathon run tasks only as the spec's service identities: add the workload to the spec or remove the app"))
        }
        var result = Result()
        for (file, root, isGroup) in roots {
            let value: StructuredValue
            if isGroup {
                value = rewriteGroup(root, base: "/", workloads: workloadOf, into: &result)
            } else {
                let id = (try? Self.resolvedID(root, base: "/", file: file.path, what: "app")) ?? ""
                value = workloadOf[id].map { merge(root, id: id, workload: $0, into: &result) } ?? Self.value(root)
            }
            result.files.append(OutputFile(path: file.path, contents: JSONWriter.write(value)))
        }
        return result
    }

    /// True for a group (`apps` or `groups`), false for one app (`cmd`, `args` or
    /// `container`); a located error for anything else.
    static func kind(of root: YAMLNode, in file: String) throws -> Bool {
        guard case .mapping = root.content else {
            throw BackendError(
                .error(.wrongType, "'\(file)' is not a Marathon group or app: a JSON object is expected, not \(root.kindDescription)", at: root.range))
        }
        if root["apps"] != nil || root["groups"] != nil { return true }
        if root["cmd"] != nil || root["args"] != nil || root["container"] != nil { return false }
        throw BackendError(
            .error(
                .wrongType, "'\(file)' is not a Marathon group (with 'apps' or 'groups') or app (with 'cmd', 'args' or 'container')", at: root.range))
    }

    /// A group's or app's `id`, resolved against `base` as Marathon does (`PathId.canonicalPath`):
    /// relative ids join the enclosing group's, `.` and `..` are followed.
    static func resolvedID(_ node: YAMLNode, base: String, file: String, what: String, optional: Bool = false) throws -> String {
        guard let idNode = node["id"] else {
            if optional { return base }
            throw BackendError(.error(.missingKey, "this \(what) in '\(file)' has no 'id'", at: node.range))
        }
        guard case .scalar(let text, _) = idNode.content, !idNode.isNull, !text.isEmpty else {
            throw BackendError(.error(.wrongType, "a Marathon \(what) id is a non-empty string, not \(idNode.kindDescription)", at: idNode.range))
        }
        var parts: [Substring] = []
        let joined = text.hasPrefix("/") ? text : base + "/" + text
        for part in joined.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                _ = parts.popLast()
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    static func items(_ node: YAMLNode?, _ key: String, in file: String) throws -> [YAMLNode] {
        guard let node else { return [] }
        guard case .sequence(let items) = node.content else {
            if node.isNull { return [] }
            throw BackendError(.error(.wrongType, "'\(key)' of a Marathon group is a list, not \(node.kindDescription)", at: node.range))
        }
        for item in items {
            guard case .mapping = item.content else {
                throw BackendError(.error(.wrongType, "an entry of '\(key)' is a JSON object, not \(item.kindDescription)", at: item.range))
            }
        }
        return items
    }

    func collectGroup(_ group: YAMLNode, base: String, file: String, into found: inout [FoundApp]) throws {
        let id = try Self.resolvedID(group, base: base, file: file, what: "group", optional: true)
        for app in try Self.items(group["apps"], "apps", in: file) {
            found.append(FoundApp(file: file, id: try Self.resolvedID(app, base: id, file: file, what: "app"), node: app))
        }
        for child in try Self.items(group["groups"], "groups", in: file) {
            try collectGroup(child, base: id, file: file, into: &found)
        }
    }

    func rewriteGroup(_ group: YAMLNode, base: String, workloads: [String: Workload], into result: inout Result) -> StructuredValue {
        let id = (try? Self.resolvedID(group, base: base, file: "", what: "group", optional: true)) ?? base
        guard case .mapping(let pairs) = group.content else { return Self.value(group) }
        return .object(
            pairs.map { pair in
                switch (pair.name, pair.value.content) {
                case ("apps", .sequence(let apps)):
                    return .init(
                        pair.name,
                        .array(
                            apps.map { app in
                                let appID = (try? Self.resolvedID(app, base: id, file: "", what: "app")) ?? ""
                                return workloads[appID].map { merge(app, id: appID, workload: $0, into: &result) } ?? Self.value(app)
                            }))
                case ("groups", .sequence(let groups)):
                    return .init(pair.name, .array(groups.map { rewriteGroup($0, base: id, workloads: workloads, into: &result) }))
                default:
                    return .init(pair.name, Self.value(pair.value))
                }
            })
    }
}

// MARK: - Values

extension MesosApplier {
    /// A loaded JSON value as written: numbers keep their text (`0.50` stays `0.50`), strings
    /// their characters, objects their key order.
    static func value(_ node: YAMLNode) -> StructuredValue {
        switch node.content {
        case .scalar(let text, let style):
            if style != .plain { return .string(text) }
            if node.isNull { return .null }
            if text == "true" || text == "false" { return .bool(text == "true") }
            return isJSONNumber(text) ? .number(text) : .string(text)
        case .sequence(let items): return .array(items.map(value))
        case .mapping(let pairs): return .object(pairs.map { .init($0.name, value($0.value)) })
        }
    }

    /// JSON's number grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        func digits() -> Int {
            let count = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else if digits() == 0 {
            return false
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            if digits() == 0 { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            if digits() == 0 { return false }
        }
        return bytes.isEmpty
    }

    /// A value as one line of JSON, for override messages.
    static func text(_ node: YAMLNode) -> String { JSONWriter.compact(value(node)) }
}
