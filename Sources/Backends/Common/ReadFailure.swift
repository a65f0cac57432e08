import YAML

/// Why a backend cannot read files back: which file, and what is wrong with it. Every
/// backend's reader throws this one type; `palisade compare` and `explain` show it as
/// `FILE: REASON` (`stack.yaml: service 'x' is not a workload of the spec`).
public struct ReadFailure: Error, CustomStringConvertible, Sendable, Hashable {
    /// The file, relative to the policy's output folder (`manifests.yaml`, `nsg-2.json`).
    public var file: String
    /// What is wrong, in words.
    public var reason: String

    public init(_ file: String, _ reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}

extension [OutputFile] {
    /// The file at `path`, or a `ReadFailure` saying it is missing.
    func required(_ path: String) throws(ReadFailure) -> OutputFile {
        guard let file = first(where: { $0.path == path }) else { throw ReadFailure(path, "missing from the files read") }
        return file
    }

    /// The numbered series a template is split into when it outgrows one file
    /// (`nsg.json`, `nsg-2.json`, …), in the order given; `first` itself must be there.
    func requiredSeries(_ first: String) throws(ReadFailure) -> [OutputFile] {
        let head = try required(first)
        let stem = first.hasSuffix(".json") ? String(first.dropLast(5)) : first
        return [head] + filter { $0.path != first && $0.path.hasPrefix(stem + "-") && $0.path.hasSuffix(".json") }
    }
}

extension OutputFile {
    /// The file's one document, loaded with the bounds for generated files; a `ReadFailure`
    /// with the loader's messages when it does not load.
    func document() throws(ReadFailure) -> YAMLNode {
        let loaded = YAMLLoader.load(text: contents, file: path, limits: .generatedFiles)
        guard let root = loaded.root, loaded.diagnostics.isEmpty else {
            throw ReadFailure(path, "does not load: \(loaded.diagnostics.map(\.message))")
        }
        return root
    }

    /// Every document of a multi-document file, loaded like `document()`.
    func documents() throws(ReadFailure) -> [YAMLNode] {
        let loaded = YAMLLoader.loadStream(text: contents, file: path, limits: .generatedFiles)
        guard loaded.diagnostics.isEmpty else { throw ReadFailure(path, "does not load: \(loaded.diagnostics.map(\.message))") }
        return loaded.documents
    }
}
