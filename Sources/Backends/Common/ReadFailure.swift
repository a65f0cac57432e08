import IR
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
        // The JSON files Palisade writes compose to the same nodes through the JSON fast path;
        // anything else goes through libyaml, which says what is wrong.
        if let root = JSONLoader.load(text: contents, file: path, limits: .generatedFiles) { return root }
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

/// A port range read from a file: ports 1-65535 (0 read as 1 where `zeroMeansOne`), low no
/// greater than high; a `ReadFailure` otherwise, never a trap.
func checkedRange(_ proto: TransportProtocol, _ low: Int, _ high: Int, in file: String, zeroMeansOne: Bool = false) throws -> PortRange {
    let low = zeroMeansOne ? max(low, 1) : low
    guard (1...65535).contains(low), (1...65535).contains(high), low <= high else {
        throw ReadFailure(file, "ports \(low)-\(high): ports are 1-65535, the low one first")
    }
    return PortRange(proto, low, high)
}

/// Port entries as a file writes them (`443`, `8000-8100`, and `*` where `star` is allowed),
/// each a range of 1-65535 (0 read as 1 where `zeroMeansOne`) with its low end first; a
/// `ReadFailure` for any other, so that a reader never builds a range it cannot hold.
func checkedPortTexts(_ texts: [String], in file: String, star: Bool = false, zeroMeansOne: Bool = false) throws -> [String] {
    for text in texts where !(star && text == "*") {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil else {
            throw ReadFailure(file, "'\(text)' is not a port or a range of ports")
        }
        _ = try checkedRange(.tcp, low, high, in: file, zeroMeansOne: zeroMeansOne)
    }
    return texts
}
