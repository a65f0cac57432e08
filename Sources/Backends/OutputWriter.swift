#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes an `OutputTree` under an output folder OUT so that OUT holds either the previous
/// tree exactly or the complete new one, whatever happens: an error at any step, a full disk,
/// or the process killed.
///
/// The scheme (a journal whose commit point is one rename):
///
/// 1. Lock OUT (`flock` on the folder itself, so no lock file; the kernel drops it when the
///    process dies), creating OUT first if needed.
/// 2. Recover what an earlier run left: roll a committed tree forward (step 6), remove any
///    uncommitted `OUT/.palisade-staging*`, and remove the `*.palisade-tmp-PID` and Foundation
///    `.dat.nosync…` temporaries older versions left beside the files of the new tree.
/// 3. Check every destination before touching anything: no file where a folder is needed, no
///    folder where a file goes, folders writable and on OUT's file system (so that a rename can
///    put each file in place).
/// 4. Stage: write every file of the tree under `OUT/.palisade-staging/TARGET/POLICY/FILE` with
///    open, write, fsync and close (no library temporaries), then fsync the staged folders.
///    Any failure so far removes the staging folder: OUT is as it was.
/// 5. Commit: rename `OUT/.palisade-staging` to `OUT/.palisade-committed`, one atomic step. The
///    committed folder is the journal: what it holds is what remains to be moved.
/// 6. Roll forward: move each entry of the committed folder to its place (a whole folder in one
///    rename when its destination does not exist yet, else file by file, each rename replacing
///    the old file), fsync the folders, remove the committed folder. Moving is idempotent: a run
///    killed here is finished by the next one (if a step fails, it is tried again once at once).
///
/// Every run on OUT, `--check` included (`differences`), begins under the lock by rolling a
/// committed tree forward and removing an uncommitted one (`recover`), so no reader sees a mix
/// of two trees after it; only a write also removes the stale temporaries of older versions.
/// Only the paths of the new tree are replaced: files Palisade does not write (a team's own,
/// next to the generated ones) stay untouched.
public struct OutputWriter: Sendable {
    /// The uncommitted tree of a run in progress.
    public static let stagingName = ".palisade-staging"
    /// The committed tree still to be moved into place.
    public static let committedName = ".palisade-committed"

    public var fileSystem: any OutputFileSystem

    public init(fileSystem: any OutputFileSystem = POSIXOutputFileSystem()) { self.fileSystem = fileSystem }

    // MARK: write

    /// Writes every file of `tree` under `root`; throws `OutputError`. When it returns, OUT holds
    /// the new tree; when it throws before the commit, the old one; when it throws after the
    /// commit (both attempts to move failed), the next run on OUT completes the new one.
    public func write(_ tree: OutputTree, to root: String) throws {
        guard !root.isEmpty else { throw OutputError.emptyRoot }
        try validate(tree, root: root)
        let created = try makeRoot(root)
        let token: Int32
        do {
            token = try attempt("open", root) { try fileSystem.lock(root) }
        } catch {
            removeCreated(created)
            throw error
        }
        do {
            try recoverLocked(root)
            try preflight(tree, root: root)
            try removeStaleTemporaries(tree, root: root)
            try stage(tree, root: root)
            // The commit point.
            try attempt("write", root) { try fileSystem.rename(join(root, Self.stagingName), join(root, Self.committedName)) }
        } catch {
            try? removeTree(join(root, Self.stagingName))
            fileSystem.unlock(token)
            removeCreated(created)
            throw error
        }
        defer { fileSystem.unlock(token) }
        do {
            try rollForward(root)
        } catch {
            do { try rollForward(root) } catch var second as OutputError {
                second.note = "the new files are committed in \(join(root, Self.committedName)); the next palisade run on \(root) puts them in place"
                throw second
            }
        }
    }

    // MARK: recover and compare

    /// Recovers what an interrupted run left under `root` (step 2 of the scheme, without the
    /// stale temporaries of a tree); nothing to do when `root` does not exist.
    public func recover(_ root: String) throws {
        guard !root.isEmpty else { throw OutputError.emptyRoot }
        guard try isDirectoryRoot(root) else { return }
        let token = try attempt("open", root) { try fileSystem.lock(root) }
        defer { fileSystem.unlock(token) }
        try recoverLocked(root)
    }

    /// After recovering `root`: the paths of the tree whose bytes differ under `root` or are
    /// missing, and the files under the tree's folders (`TARGET/POLICY/`) that it would not
    /// write. Bytes are compared, never strings (`é` and `e` with a combining accent differ).
    public func differences(_ tree: OutputTree, from root: String) throws -> [String] {
        guard !root.isEmpty else { throw OutputError.emptyRoot }
        guard try isDirectoryRoot(root) else { return tree.paths }
        let token = try attempt("open", root) { try fileSystem.lock(root) }
        defer { fileSystem.unlock(token) }
        try recoverLocked(root)
        var result: Set<String> = []
        for path in tree.paths {
            let full = join(root, path)
            do {
                if try fileSystem.readFile(full) != tree.bytes(path) { result.insert(path) }
            } catch let error as OutputFileSystemError where [ENOENT, ENOTDIR, EISDIR].contains(error.code) {
                result.insert(path)
            } catch let error as OutputFileSystemError {
                throw OutputError(operation: "read", path: full, reason: error.reason)
            }
        }
        for folder in Set(tree.paths.map(parent)).sorted() {
            for path in try files(under: folder, root: root) where tree.files[path] == nil { result.insert(path) }
        }
        return result.sorted()
    }

    // MARK: the steps

    /// Every path is relative, without empty, `.` or `..` components, and stays clear of the
    /// scheme's own names.
    private func validate(_ tree: OutputTree, root: String) throws {
        for path in tree.paths {
            let components = path.split(separator: "/", omittingEmptySubsequences: false)
            let valid =
                !components.isEmpty && components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\0") }
                && !components[0].hasPrefix(".palisade-")
            guard valid else { throw OutputError(operation: "write", path: join(root, path), reason: "not a path inside the output folder") }
        }
    }

    /// Whether `root` exists as a folder; an error when something else stands there.
    private func isDirectoryRoot(_ root: String) throws -> Bool {
        switch try attempt("read", root, { try fileSystem.status(root, followingLinks: true) }).kind {
        case .missing: return false
        case .directory: return true
        default: throw OutputError(operation: "read", path: root, reason: OutputFileSystemError.reason(ENOTDIR))
        }
    }

    /// `mkdir -p root`; returns the folders it created, outermost first.
    private func makeRoot(_ root: String) throws -> [String] {
        var prefixes: [String] = []
        var current = root.hasPrefix("/") ? "/" : ""
        for component in root.split(separator: "/") {
            current = current.isEmpty || current == "/" ? current + component : current + "/" + component
            prefixes.append(current)
        }
        var missing: [String] = []
        for prefix in prefixes.reversed() {
            let kind = try attempt("create", root) { try fileSystem.status(prefix, followingLinks: true) }.kind
            if kind == .directory { break }
            // A file where a folder is needed: `--out` names a file, or a file is on its way.
            if kind != .missing { throw OutputError(operation: prefix == root ? "write" : "create", path: root, reason: OutputFileSystemError.reason(ENOTDIR)) }
            missing.insert(prefix, at: 0)
        }
        var created: [String] = []
        for folder in missing {
            do {
                try fileSystem.makeDirectory(folder)
            } catch let error as OutputFileSystemError {
                removeCreated(created)
                throw OutputError(operation: "create", path: folder, reason: error.reason)
            }
            created.append(folder)
        }
        return created
    }

    /// Removes the folders `makeRoot` created, innermost first (best effort: only if empty).
    private func removeCreated(_ created: [String]) {
        for folder in created.reversed() { try? fileSystem.removeDirectory(folder) }
    }

    private func recoverLocked(_ root: String) throws {
        try rollForward(root)
        for name in try attempt("read", root, { try fileSystem.entries(root) }) where name.hasPrefix(Self.stagingName) {
            try removeTree(join(root, name))
        }
    }

    /// Step 6: moves what the committed folder holds into place, then removes it.
    private func rollForward(_ root: String) throws {
        let committed = join(root, Self.committedName)
        switch try attempt("read", committed, { try fileSystem.status(committed, followingLinks: false) }).kind {
        case .missing: return
        case .directory: break
        default: throw OutputError(operation: "read", path: committed, reason: OutputFileSystemError.reason(ENOTDIR))
        }
        var touched: [String] = []
        try move(contentsOf: committed, into: root, touched: &touched)
        for folder in touched { try attempt("write", folder) { try fileSystem.syncDirectory(folder) } }
        try removeTree(committed)
        try attempt("write", root) { try fileSystem.syncDirectory(root) }
    }

    /// Moves each entry of `source` to `destination`, recording the folders it renamed into.
    private func move(contentsOf source: String, into destination: String, touched: inout [String]) throws {
        for name in try attempt("read", source, { try fileSystem.entries(source) }) {
            let from = join(source, name)
            let to = join(destination, name)
            let sourceKind = try attempt("read", from) { try fileSystem.status(from, followingLinks: false) }.kind
            if sourceKind == .directory {
                switch try attempt("write", to, { try fileSystem.status(to, followingLinks: true) }).kind {
                case .missing:
                    try attempt("write", to) { try fileSystem.rename(from, to) }
                    if !touched.contains(destination) { touched.append(destination) }
                case .directory:
                    try move(contentsOf: from, into: to, touched: &touched)
                default:
                    throw OutputError(operation: "write", path: to, reason: OutputFileSystemError.reason(ENOTDIR))
                }
            } else {
                try attempt("write", to) { try fileSystem.rename(from, to) }
                if !touched.contains(destination) { touched.append(destination) }
            }
        }
    }

    /// `rm -r` without following links; nothing to do when `path` does not exist.
    private func removeTree(_ path: String) throws {
        switch try attempt("remove", path, { try fileSystem.status(path, followingLinks: false) }).kind {
        case .missing: return
        case .directory:
            for name in try attempt("remove", path, { try fileSystem.entries(path) }) { try removeTree(join(path, name)) }
            try attempt("remove", path) { try fileSystem.removeDirectory(path) }
        default:
            try attempt("remove", path) { try fileSystem.removeFile(path) }
        }
    }

    /// Removes, beside the files of the tree, the temporaries older versions of Palisade left
    /// when killed: `NAME.palisade-tmp-PID` and Foundation's `.dat.nosync…`.
    private func removeStaleTemporaries(_ tree: OutputTree, root: String) throws {
        for folder in Set(tree.paths.map(parent)).sorted() {
            let full = join(root, folder)
            guard try attempt("read", full, { try fileSystem.status(full, followingLinks: true) }).kind == .directory else { continue }
            for name in try attempt("read", full, { try fileSystem.entries(full) }) where Self.isStaleTemporary(name) {
                let path = join(full, name)
                guard try attempt("remove", path, { try fileSystem.status(path, followingLinks: false) }).kind != .directory else { continue }
                try attempt("remove", path) { try fileSystem.removeFile(path) }
            }
        }
    }

    /// `stack.yaml.palisade-tmp-4242`, `.dat.nosync1a2b.Xc9`.
    static func isStaleTemporary(_ name: String) -> Bool {
        if name.hasPrefix(".dat.nosync") { return true }
        guard let range = name.ranges(of: ".palisade-tmp-").last else { return false }
        let pid = name[range.upperBound...]
        return !pid.isEmpty && pid.allSatisfy(\.isASCIIDigitCharacter)
    }

    /// Step 3: every destination can take its file by one rename.
    private func preflight(_ tree: OutputTree, root: String) throws {
        let device = try attempt("read", root) { try fileSystem.status(root, followingLinks: true) }.device
        var exists: [String: Bool] = [:]  // relative folder → whether it exists
        var writable: Set<String> = []
        for path in tree.paths {
            var deepest = root
            var missing = false
            var relative = ""
            for component in path.split(separator: "/").dropLast() {
                relative = join(relative, String(component))
                let full = join(root, relative)
                if exists[relative] == nil {
                    let status = try attempt("write", full) { try fileSystem.status(full, followingLinks: true) }
                    switch status.kind {
                    case .missing:
                        exists[relative] = false
                    case .directory:
                        guard status.device == device else {
                            throw OutputError(
                                operation: "write", path: full, reason: "on another file system than \(root) (each file must move into place by one rename)")
                        }
                        exists[relative] = true
                    default:
                        throw OutputError(operation: "write", path: full, reason: OutputFileSystemError.reason(ENOTDIR))
                    }
                }
                guard exists[relative] == true else {
                    missing = true
                    break
                }
                deepest = full
            }
            if !missing {
                let full = join(root, path)
                if try attempt("write", full, { try fileSystem.status(full, followingLinks: false) }).kind == .directory {
                    throw OutputError(operation: "write", path: full, reason: OutputFileSystemError.reason(EISDIR))
                }
            }
            if writable.insert(deepest).inserted {
                try attempt("write", deepest) { try fileSystem.checkWritable(deepest) }
            }
        }
    }

    /// Step 4: the whole tree under the staging folder, synced.
    private func stage(_ tree: OutputTree, root: String) throws {
        let staging = join(root, Self.stagingName)
        try attempt("write", root) { try fileSystem.makeDirectory(staging) }
        var made: Set<String> = []
        var folders = [staging]
        for path in tree.paths {
            var relative = ""
            for component in path.split(separator: "/").dropLast() {
                relative = join(relative, String(component))
                if made.insert(relative).inserted {
                    try attempt("write", join(root, relative)) { try fileSystem.makeDirectory(join(staging, relative)) }
                    folders.append(join(staging, relative))
                }
            }
            try attempt("write", join(root, path)) { try fileSystem.writeFile(join(staging, path), tree.bytes(path)) }
        }
        for folder in folders.reversed() { try attempt("write", root) { try fileSystem.syncDirectory(folder) } }
    }

    /// The files (not folders) under `root/folder`, recursively, as paths relative to `root`.
    private func files(under folder: String, root: String) throws -> [String] {
        let full = join(root, folder)
        let kind: FileStatus.Kind
        do {
            kind = try fileSystem.status(full, followingLinks: true).kind
        } catch let error as OutputFileSystemError where error.code == ENOTDIR {
            return []  // a file stands where a folder of the tree goes: its paths are listed as differing
        } catch let error as OutputFileSystemError {
            throw OutputError(operation: "read", path: full, reason: error.reason)
        }
        guard kind == .directory else { return [] }
        var result: [String] = []
        for name in try attempt("read", full, { try fileSystem.entries(full) }) {
            let path = join(folder, name)
            if try attempt("read", join(root, path), { try fileSystem.status(join(root, path), followingLinks: false) }).kind == .directory {
                result += try files(under: path, root: root)
            } else {
                result.append(path)
            }
        }
        return result
    }

    // MARK: helpers

    /// Runs one file system call; its failure becomes an `OutputError` naming `path`.
    private func attempt<T>(_ operation: String, _ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as OutputFileSystemError {
            throw OutputError(operation: operation, path: path, reason: error.reason)
        }
    }

    private func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }
}

/// `a` + `b` with one slash between them (`out/` + `aws` is `out/aws`).
func join(_ base: String, _ name: String) -> String {
    if base.isEmpty { return name }
    if name.isEmpty { return base }
    return base.hasSuffix("/") ? base + name : base + "/" + name
}

/// An output folder that cannot be written or read, in Palisade's words:
/// `cannot write out/aws: not a directory`.
public struct OutputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `write`, `create`, `read`, `remove`, `open`.
    public var operation: String
    /// The path as the user names it: under `--out` as given.
    public var path: String
    /// The system's reason, in lower case.
    public var reason: String
    /// What happens next, when there is something to say.
    public var note: String?

    public init(operation: String, path: String, reason: String, note: String? = nil) {
        self.operation = operation
        self.path = path
        self.reason = reason
        self.note = note
    }

    static let emptyRoot = OutputError(operation: "write", path: "''", reason: "the output folder has no name")

    public var description: String { "cannot \(operation) \(path): \(reason)" + (note.map { "; \($0)" } ?? "") }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}
