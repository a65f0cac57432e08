import Diagnostics
import IR
import YAML

/// The application team's compose files as `apply` and `deployment` take them: loaded with
/// their locations, the services found by name, and the loaded tree written back as a
/// `StructuredValue` (key order kept; comments, anchors and scalar styles are not: libyaml
/// hands the loader no comments, and aliases and `<<` merge keys arrive expanded).
struct SwarmCompose {
    /// One compose file of the application: its path and its root mapping.
    struct File {
        var path: String
        var root: YAMLNode

        /// The `services` mapping's pairs.
        var services: [YAMLPair] {
            if case .mapping(let pairs)? = root["services"]?.content { return pairs }
            return []
        }
    }

    var files: [File]

    /// Loads every file that is a compose file (a YAML mapping with a `services` mapping); a
    /// file that does not load is a located error, and so is a set with no compose file.
    init(_ application: [ApplicationFile]) throws {
        var files: [File] = []
        for file in application {
            let loaded = YAMLLoader.load(text: file.contents, file: file.path)
            if let problem = loaded.diagnostics.first(where: { $0.severity == .error }) { throw BackendError(problem) }
            guard let root = loaded.root, case .mapping? = root["services"]?.content else { continue }
            files.append(File(path: file.path, root: root))
        }
        guard !files.isEmpty else {
            let location = application.first.map { SourceRange.wholeFile($0.path) }
            throw BackendError(
                .error(
                    .missingKey, "no compose file among \(application.map { "'\($0.path)'" }.joined(separator: ", ")): none has a 'services' mapping",
                    at: location, help: "give the application's compose file (docker stack deploy -c FILE)"))
        }
        self.files = files
    }

    /// Where each workload's service is: the file's index and the service's pair. A workload
    /// whose service no file has is a located error at the workload, naming the files.
    func services(of policy: Policy) throws -> [WorkloadID: (file: Int, pair: YAMLPair)] {
        var found: [WorkloadID: (file: Int, pair: YAMLPair)] = [:]
        var missing: [Workload] = []
        for workload in policy.workloads {
            var hit: (Int, YAMLPair)?
            for (index, file) in files.enumerated() {
                if let pair = file.services.first(where: { $0.name == workload.name }) {
                    hit = (index, pair)
                    break
                }
            }
            if let hit { found[workload.id] = hit } else { missing.append(workload) }
        }
        if let first = missing.first {
            let names = files.map { "'\($0.path)'" }.joined(separator: ", ")
            throw BackendError(
                .error(
                    .missingKey, "workload '\(first.name)' has no service in \(names)", at: first.origin,
                    notes: missing.dropFirst().map { Diagnostic.Note("workload '\($0.name)' has no service either", at: $0.origin) },
                    help: "add a service '\(first.name)' to the application's compose file, or remove the workload from the spec"))
        }
        return found
    }
}

extension StructuredValue {
    /// A loaded node as a value to write: mappings keep their order; a plain scalar stays
    /// plain where YAML allows it (libyaml's emitter quotes it otherwise), a quoted one is
    /// quoted where a YAML 1.1 reader could take it for another type.
    init(_ node: YAMLNode) {
        switch node.content {
        case .scalar(let text, let style):
            if node.isNull {
                self = .null
            } else if style == .plain {
                self = .number(text)
            } else {
                self = .string(text)
            }
        case .sequence(let items): self = .array(items.map(StructuredValue.init))
        case .mapping(let pairs): self = .object(pairs.map { Entry($0.name, StructuredValue($0.value)) })
        }
    }

    /// Sets `key` of an object: in its place where it is, else at the end.
    mutating func set(_ key: String, _ value: StructuredValue) {
        guard case .object(var entries) = self else { return }
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = value
        } else {
            entries.append(Entry(key, value))
        }
        self = .object(entries)
    }

    /// Removes `key` of an object.
    mutating func remove(_ key: String) {
        guard case .object(let entries) = self else { return }
        self = .object(entries.filter { $0.key != key })
    }

    /// The value as compose would print it in a message: scalars as written, lists and
    /// mappings in flow style.
    var text: String {
        switch self {
        case .string(let text), .number(let text): text
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        case .array(let items): "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let entries): "{" + entries.map { "\($0.key): \($0.value.text)" }.joined(separator: ", ") + "}"
        }
    }
}

extension YAMLNode {
    /// The node's value in flow style, for messages.
    var text: String { StructuredValue(self).text }

    /// The items of a sequence (a scalar or mapping has none).
    var items: [YAMLNode] {
        if case .sequence(let items) = content { return items }
        return []
    }

    /// The pairs of a mapping.
    var pairs: [YAMLPair] {
        if case .mapping(let pairs) = content { return pairs }
        return []
    }

    /// A service's networks by name, from the list form (`[a, b]`) or the mapping form
    /// (`{a: {aliases: [...]}}`), each with its node.
    var networkNames: [(name: String, node: YAMLNode)] {
        switch content {
        case .sequence(let items): items.compactMap { item in item.scalar.map { ($0, item) } }
        case .mapping(let pairs): pairs.map { ($0.name, $0.key) }
        case .scalar: []
        }
    }

    /// A volume's mount path: `target` of the long form, the second field of the short form
    /// (`data:/var/lib/data:rw`), the path itself for an anonymous volume (`/data`).
    var volumeTarget: String? {
        if case .mapping = content { return self["target"]?.scalar }
        guard let text = scalar else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        return parts.count >= 2 ? parts[1] : parts.first
    }

    /// Whether a volume is mounted writable: not `read_only: true` (long form) nor `:ro`
    /// (short form).
    var volumeIsWritable: Bool {
        if case .mapping = content { return self["read_only"]?.scalar != "true" }
        guard let text = scalar else { return false }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        return !(parts.count >= 3 && parts[2].split(separator: ",").contains("ro"))
    }

    /// A secret reference's source: the short form's name or the long form's `source`.
    var secretSource: String? {
        if case .mapping = content { return self["source"]?.scalar }
        return scalar
    }
}
