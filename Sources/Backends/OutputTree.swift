/// A whole output tree: `OUT/TARGET/POLICY/FILE` for every file of a run. `OutputWriter`
/// replaces it atomically as a whole: OUT holds the previous tree or the complete new one,
/// whatever happens (its comment has the scheme).
public struct OutputTree: Sendable {
    /// File contents by path relative to the output root.
    public private(set) var files: [String: String] = [:]

    public init() {}

    public mutating func add(_ path: String, _ contents: String) { files[path] = contents }

    public var paths: [String] { files.keys.sorted() }

    /// The bytes a file is written as (UTF-8); empty for a path the tree does not hold.
    public func bytes(_ path: String) -> [UInt8] { Array((files[path] ?? "").utf8) }

    /// The files under a folder (`openshift/shop/`), with paths relative to it.
    public func files(under folder: String) -> [OutputFile] {
        files.filter { $0.key.hasPrefix(folder) }.sorted { $0.key < $1.key }.map {
            OutputFile(path: String($0.key.dropFirst(folder.count)), contents: $0.value)
        }
    }

    /// Writes every file under `root`, atomically as a whole (`OutputWriter`); throws `OutputError`.
    public func write(to root: String) throws { try OutputWriter().write(self, to: root) }

    /// The paths under `root` whose bytes differ from this tree or are missing, and the files
    /// under the tree's `TARGET/POLICY` folders that the tree would not write; every path when
    /// `root` cannot be read (`OutputWriter.differences` says why).
    public func differences(from root: String) -> [String] { (try? OutputWriter().differences(self, from: root)) ?? paths }
}
