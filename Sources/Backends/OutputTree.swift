import YAML

/// A whole output tree: `OUT/TARGET/POLICY/FILE` for every file of a run, and the policy folders
/// it replaces. `OutputWriter` replaces it atomically as a whole: OUT holds the previous tree or
/// the complete new one, whatever happens (its comment has the scheme).
///
/// A tree owns the `TARGET/POLICY` folders it writes into and those it claims (a policy compiled
/// for a target into no file): writing it removes the files the target's manifest
/// (`OutputManifest`) lists for those policies and the tree no longer has. Other policies, other
/// targets and files no manifest lists are left alone.
public struct OutputTree: Sendable {
    /// File contents by path relative to the output root, as written (`ChunkedText`).
    public private(set) var texts: [String: ChunkedText] = [:]
    /// The policies this tree replaces, by target folder: those it writes files for and those claimed.
    public private(set) var policies: [String: Set<String>] = [:]

    public init() {}

    /// File contents by path, each joined into one string: for small trees and tests (a large
    /// tree's files are written from `texts`).
    public var files: [String: String] { texts.mapValues(\.string) }

    /// Adds a file; a path `TARGET/POLICY/FILE` also claims `TARGET/POLICY`.
    public mutating func add(_ path: String, _ contents: String) { add(path, ChunkedText(contents)) }

    /// Adds a file as written; a path `TARGET/POLICY/FILE` also claims `TARGET/POLICY`.
    public mutating func add(_ path: String, _ text: ChunkedText) {
        texts[path] = text
        // The first two components, found without splitting the whole path.
        let bytes = path.utf8
        guard let first = bytes.firstIndex(of: UInt8(ascii: "/")) else { return }
        let start = bytes.index(after: first)
        guard let second = bytes[start...].firstIndex(of: UInt8(ascii: "/")) else { return }
        claim(target: String(path[..<first]), policy: String(path[start..<second]))
    }

    /// Adds a file as written without claiming its policy folder: for a caller that claims every
    /// policy of the tree the file comes from, where each file's claim is one of those.
    mutating func add(unclaimed path: String, _ text: ChunkedText) { texts[path] = text }

    /// The files of this tree whose paths `taken` does not hold, with every policy this tree
    /// claims: what is left of it once `taken`'s files were handed over.
    func excluding(_ taken: OutputTree) -> OutputTree {
        var rest = OutputTree()
        for (path, text) in texts where taken.texts[path] == nil { rest.add(unclaimed: path, text) }
        rest.policies = policies
        return rest
    }

    /// Notes `tree`'s paths, with empty contents, and claims its policies: what a write or a
    /// check keeps of the files it took.
    mutating func addPaths(of tree: OutputTree) {
        for path in tree.texts.keys { texts[path] = ChunkedText() }
        for (target, claimed) in tree.policies { policies[target, default: []].formUnion(claimed) }
    }

    /// Makes this tree the owner of `TARGET/POLICY`, files or not: writing it removes the files
    /// the manifest lists there that the tree does not write.
    public mutating func claim(target: String, policy: String) { policies[target, default: []].insert(policy) }

    public var paths: [String] { texts.keys.sorted() }

    /// No file and no claimed policy: writing it changes nothing.
    public var isEmpty: Bool { texts.isEmpty && policies.isEmpty }

    /// The bytes a file is written as (UTF-8); empty for a path the tree does not hold.
    public func bytes(_ path: String) -> [UInt8] { texts[path]?.bytes ?? [] }

    /// The files under a folder (`openshift/shop/`), with paths relative to it.
    public func files(under folder: String) -> [OutputFile] {
        texts.filter { $0.key.hasPrefix(folder) }.sorted { $0.key < $1.key }.map {
            OutputFile(path: String($0.key.dropFirst(folder.count)), text: $0.value)
        }
    }

    /// Writes every file under `root`, atomically as a whole, and removes the owned files it no
    /// longer has (`OutputWriter`, whose `write` also says which); throws `OutputError`.
    public func write(to root: String) throws { try OutputWriter().write(self, to: root) }

    /// The paths under `root` that drift from this tree: changed, missing, or stale (owned and
    /// no longer written); every path when `root` cannot be read (`OutputWriter.drift` says why).
    public func differences(from root: String) -> [String] { (try? OutputWriter().drift(self, from: root).map(\.path)) ?? paths }
}

/// One path under OUT that differs from what a compile would leave there (`--check`).
public struct OutputDrift: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// On disk with other bytes (a manifest: listing other files).
        case changed
        /// Would be written; not there (or a folder stands in its place).
        case missing
        /// Palisade's own and no longer written: the next compile removes it.
        case stale
    }

    public var kind: Kind
    /// Relative to OUT.
    public var path: String
    /// For `changed`: the bytes on disk and those a compile writes.
    public var onDisk: [UInt8]
    public var compiled: [UInt8]

    public init(_ kind: Kind, _ path: String, onDisk: [UInt8] = [], compiled: [UInt8] = []) {
        self.kind = kind
        self.path = path
        self.onDisk = onDisk
        self.compiled = compiled
    }
}
