import YAML

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes an `OutputTree` under an output folder OUT so that OUT holds either the previous
/// tree exactly or the complete new one, whatever happens: an error at any step, a full disk,
/// or the process killed. The new tree includes its removals: the files Palisade wrote for a
/// policy the tree replaces and no longer writes.
///
/// The scheme (a journal whose commit point is one rename):
///
/// 1. Lock OUT (`flock` on the folder itself, so no lock file; the kernel drops it when the
///    process dies), creating OUT first if needed.
/// 2. Recover what an earlier run left: roll a committed tree forward (step 8) and remove any
///    uncommitted `OUT/.palisade-staging*`.
/// 3. Stage the tree's files under `OUT/.palisade-staging/TARGET/…` with open, write and close
///    (no library temporaries): all at once (`write`), or target by target as a compile emits
///    them (`OutputStaging`), so that no run holds every target's files at once. A file OUT
///    holds already with the same bytes (and owner, permissions, no other link) is staged as a
///    second link to it, not written. Nothing outside the staging folder changes before step 5.
/// 4. Plan: read each target's manifest (`OUT/TARGET/.palisade-manifest`, see `OutputManifest`).
///    For every policy the tree replaces in that target, the files the manifest lists and the
///    tree no longer has are to be removed; the new manifest lists the tree's files for those
///    policies and keeps the entries of every other policy as they are. Files no manifest lists
///    are never removed, and targets the tree does not touch keep their manifests.
/// 5. Check every destination before touching anything outside the staging folder: no file
///    where a folder is needed, no folder where a file goes, folders writable and on OUT's file
///    system (so that a rename can put each file in place), and the folders of the files to
///    remove writable. Then remove the `*.palisade-tmp-PID` and Foundation `.dat.nosync…`
///    temporaries older versions left beside the files of the new tree.
/// 6. Stage the new manifests, and the paths to remove, one a line, in
///    `OUT/.palisade-staging/.palisade-remove`; then sync the file system once (`syncfs`: every
///    staged file and folder lasts, where a `fsync` per file cost a disk flush each). Any
///    failure so far removes the staging folder: OUT is as it was.
/// 7. Commit: rename `OUT/.palisade-staging` to `OUT/.palisade-committed`, one atomic step. The
///    committed folder is the journal: what it holds is what remains to be moved and removed.
/// 8. Roll forward: move each entry of the committed folder to its place (a whole folder in one
///    rename when its destination does not exist yet, else file by file, each rename replacing
///    the old file; the rename of a link onto its own file does nothing, and the link goes with
///    the committed folder), then remove each path its `.palisade-remove` lists (one already gone is
///    skipped) and the folders that leaves empty, fsync the folders, and remove the committed
///    folder, its list of removals first. Every part is idempotent: a run killed here is finished
///    by the next one (if a step fails, it is tried again once at once).
///
/// Every run on OUT, `--check` included (`drift`), begins under the lock by rolling a committed
/// tree forward and removing an uncommitted one (`recover`), so no reader sees a mix of two
/// trees after it; only a write also removes the stale temporaries of older versions. Only the
/// paths of the new tree and its manifests are written and only files a manifest lists are
/// removed: files Palisade does not write (a team's own, next to the generated ones) stay
/// untouched.
public struct OutputWriter: Sendable {
    /// The uncommitted tree of a run in progress.
    public static let stagingName = ".palisade-staging"
    /// The committed tree still to be moved into place.
    public static let committedName = ".palisade-committed"
    /// In the staged and committed folders: the paths to remove, relative to OUT, one a line.
    public static let removalsName = ".palisade-remove"

    /// What a write did beyond writing the tree.
    public struct Outcome: Sendable, Hashable {
        /// The files removed because the tree no longer has them (relative to OUT, sorted),
        /// manifests aside.
        public var removed: [String]
    }

    public var fileSystem: any OutputFileSystem

    public init(fileSystem: any OutputFileSystem = POSIXOutputFileSystem()) { self.fileSystem = fileSystem }

    // MARK: write

    /// Writes every file of `tree` under `root`; throws `OutputError`. When it returns, OUT holds
    /// the new tree; when it throws before the commit, the old one; when it throws after the
    /// commit (both attempts to move failed), the next run on OUT completes the new one.
    @discardableResult
    public func write(_ tree: OutputTree, to root: String) throws -> Outcome {
        let staging = staging(root)
        try staging.stage(tree)
        return try staging.commit()
    }

    // MARK: recover and compare

    /// Recovers what an interrupted run left under `root` (step 2 of the scheme, without the
    /// stale temporaries of a tree); nothing to do when `root` does not exist.
    public func recover(_ root: String) throws {
        guard !root.isEmpty else { throw OutputError.emptyRoot }
        try lockAndRecover(root).map(fileSystem.unlock)
    }

    /// After recovering `root`: what differs from what writing `tree` would leave there, sorted
    /// by path. `changed`: a file with other bytes (bytes are compared, never strings: `é` and
    /// `e` with a combining accent differ), or a manifest that lists other files; `missing`: a
    /// file or manifest the write would create; `stale`: a file a manifest lists that the write
    /// would remove, or a temporary an older version left beside the tree's files.
    public func drift(_ tree: OutputTree, from root: String) throws -> [OutputDrift] {
        guard !root.isEmpty else { throw OutputError.emptyRoot }
        try validate(tree, root: root)
        let token = try lockAndRecover(root)
        defer { token.map(fileSystem.unlock) }
        var result: [OutputDrift] = []
        for path in tree.paths {
            if let drift = try drift(path, tree.texts[path] ?? ChunkedText(), root: root) { result.append(drift) }
        }
        result += try driftBeyondFiles(tree, root: root, exists: token != nil)
        return result.sorted { $0.path < $1.path }
    }

    /// When OUT exists: locks it and recovers what an interrupted run left, returning the lock
    /// (released again if the recovery fails); nil, doing nothing, when OUT does not exist.
    func lockAndRecover(_ root: String) throws -> Int32? {
        guard try isDirectoryRoot(root) else { return nil }
        let token = try attempt("open", root) { try fileSystem.lock(root) }
        do {
            try recoverLocked(root)
        } catch {
            fileSystem.unlock(token)
            throw error
        }
        return token
    }

    /// How the file at `path` (relative to OUT) drifted from `text`: nil when it holds exactly
    /// its bytes (bytes are compared, never strings: `é` and `e` with a combining accent
    /// differ), `changed` with both bytes, or `missing`.
    func drift(_ path: String, _ text: ChunkedText, root: String) throws -> OutputDrift? {
        let full = join(root, path)
        do {
            if try fileSystem.fileHolds(full, text) { return nil }
            return OutputDrift(.changed, path, onDisk: try fileSystem.readFile(full), compiled: text.bytes)
        } catch let error as OutputFileSystemError where [ENOENT, ENOTDIR, EISDIR].contains(error.code) {
            return OutputDrift(.missing, path)
        } catch let error as OutputFileSystemError {
            throw OutputError(operation: "read", path: full, reason: error.reason)
        }
    }

    /// The drift of what a write does beyond the files of `tree` (whose texts are not read:
    /// they may be empty): its manifests, which drift only in what they list; the files it would
    /// remove; and, when OUT `exists`, the temporaries older versions left beside the tree's files.
    func driftBeyondFiles(_ tree: OutputTree, root: String, exists: Bool) throws -> [OutputDrift] {
        let plan = try makePlan(tree, root: root)
        var result: [OutputDrift] = []
        // A manifest that would list nothing is not written (but removed, below).
        for (path, manifest) in plan.manifests.sorted(by: { $0.key < $1.key }) where !manifest.new.paths.isEmpty {
            guard let old = manifest.old else {
                result.append(OutputDrift(.missing, path))
                continue
            }
            if old.paths != manifest.new.paths {
                result.append(OutputDrift(.changed, path, onDisk: manifest.oldBytes, compiled: plan.files[path]?.bytes ?? []))
            }
        }
        for path in plan.removals {
            // A manifest that listed nothing is removed quietly.
            if let manifest = plan.manifests[path], manifest.old?.paths.isEmpty ?? true { continue }
            result.append(OutputDrift(.stale, path))
        }
        if exists {
            for path in try staleTemporaries(tree, root: root) { result.append(OutputDrift(.stale, path)) }
        }
        return result
    }

    // MARK: the steps

    /// Every path is relative, without empty, `.` or `..` components or control characters, and
    /// stays clear of the scheme's own names (`.palisade-…` as a target or policy folder, where
    /// the manifests are); so is every claimed target and policy.
    func validate(_ tree: OutputTree, root: String) throws {
        // Control characters are single bytes in UTF-8 (every byte of a longer character is
        // 0x80 or more), so the bytes say it without decoding the characters.
        func isName(_ component: Substring) -> Bool {
            !component.isEmpty && component != "." && component != ".." && !component.utf8.contains { $0 < 0x20 || $0 == 0x7F }
        }
        func isValid(_ path: String) -> Bool {
            let components = path.split(separator: "/", omittingEmptySubsequences: false)
            return !components.isEmpty && components.allSatisfy(isName) && !components[0].hasPrefix(".palisade-")
                && !(components.count >= 2 && components[1].hasPrefix(".palisade-"))
        }
        // The paths in the dictionary's order, not sorted: only when one is invalid are they
        // sorted, so that the first invalid path in order is the one reported.
        if !tree.texts.keys.allSatisfy(isValid) {
            for path in tree.paths where !isValid(path) {
                throw OutputError(operation: "write", path: join(root, path), reason: "not a path inside the output folder")
            }
        }
        for (target, policies) in tree.policies {
            for policy in policies {
                let valid =
                    isName(Substring(target)) && isName(Substring(policy)) && !target.contains("/") && !policy.contains("/")
                    && !target.hasPrefix(".palisade-") && !policy.hasPrefix(".palisade-")
                guard valid else {
                    throw OutputError(operation: "write", path: join(root, join(target, policy)), reason: "not a policy folder inside the output folder")
                }
            }
        }
    }

    /// What a write does beyond the tree's files: each target's manifest, and the files to remove.
    struct Plan {
        /// Every file to write, the tree's and the new manifests, by path relative to OUT. The
        /// tree's texts are shared, not copied, and written from their own bytes, so a large
        /// tree is not held twice.
        var files: [String: ChunkedText] = [:]
        /// The files to remove, relative to OUT, sorted: owned files the tree no longer has, and
        /// manifests that would list nothing.
        var removals: [String] = []
        /// Each touched target's manifest, by its path relative to OUT.
        var manifests: [String: ManifestChange] = [:]
    }

    struct ManifestChange {
        /// As read; nil when there is none.
        var old: OutputManifest?
        var oldBytes: [UInt8]
        var new: OutputManifest
    }

    static func isManifest(_ path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        return components.count == 2 && components[1] == OutputManifest.fileName
    }

    /// Step 4: the manifests and the removals, from the manifests on disk.
    func makePlan(_ tree: OutputTree, root: String) throws -> Plan {
        var plan = Plan()
        for (path, text) in tree.texts { plan.files[path] = text }
        var removals: [String] = []
        for (target, policies) in tree.policies.sorted(by: { $0.key < $1.key }) {
            let path = join(target, OutputManifest.fileName)
            let full = join(root, path)
            var old: OutputManifest?
            var oldBytes: [UInt8] = []
            do {
                oldBytes = try fileSystem.readFile(full)
                do {
                    old = try OutputManifest.parse(oldBytes)
                } catch {
                    throw OutputError(
                        operation: "read", path: full, reason: error.reason,
                        note: "palisade removes only the files a manifest lists; remove this one to keep every file of \(join(root, target)) as it is")
                }
            } catch let error as OutputFileSystemError where [ENOENT, ENOTDIR, EISDIR].contains(error.code) {
                // None yet (a folder in its place is refused when the new one is checked).
            } catch let error as OutputFileSystemError {
                throw OutputError(operation: "read", path: full, reason: error.reason)
            }
            let prefix = target + "/"
            // One set, filled in place: a manifest copied per file is quadratic in the files.
            var paths = (old?.paths ?? []).filter { !policies.contains(OutputManifest.policy(of: $0)) }
            for file in tree.texts.keys where file.hasPrefix(prefix) {
                let entry = String(file.dropFirst(prefix.count))
                if entry.contains("/") { paths.insert(entry) }
            }
            let new = OutputManifest(paths: paths)
            for entry in (old?.paths ?? []).sorted() where policies.contains(OutputManifest.policy(of: entry)) && tree.texts[prefix + entry] == nil {
                let stale = join(root, prefix + entry)
                let kind: FileStatus.Kind
                do {
                    kind = try fileSystem.status(stale, followingLinks: false).kind
                } catch let error as OutputFileSystemError where error.code == ENOTDIR {
                    continue  // a file where its folder was: not Palisade's
                } catch let error as OutputFileSystemError {
                    throw OutputError(operation: "read", path: stale, reason: error.reason)
                }
                // Gone already, or a folder now: nothing of Palisade's to remove.
                if kind != .missing && kind != .directory { removals.append(prefix + entry) }
            }
            if new.paths.isEmpty {
                if old != nil { removals.append(path) }
            } else {
                plan.files[path] = ChunkedText(new.text)
            }
            plan.manifests[path] = ManifestChange(old: old, oldBytes: oldBytes, new: new)
        }
        plan.removals = removals.sorted()
        return plan
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
    func makeRoot(_ root: String) throws -> [String] {
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
    func removeCreated(_ created: [String]) {
        for folder in created.reversed() { try? fileSystem.removeDirectory(folder) }
    }

    func recoverLocked(_ root: String) throws {
        try rollForward(root)
        for name in try attempt("read", root, { try fileSystem.entries(root) }) where name.hasPrefix(Self.stagingName) {
            try removeTree(join(root, name))
        }
    }

    /// Step 8: moves what the committed folder holds into place, removes what its list of
    /// removals names, then removes the folder.
    func rollForward(_ root: String) throws {
        let committed = join(root, Self.committedName)
        switch try attempt("read", committed, { try fileSystem.status(committed, followingLinks: false) }).kind {
        case .missing: return
        case .directory: break
        default: throw OutputError(operation: "read", path: committed, reason: OutputFileSystemError.reason(ENOTDIR))
        }
        let journal = join(committed, Self.removalsName)
        var removals: [String] = []
        if try attempt("read", journal, { try fileSystem.status(journal, followingLinks: false) }).kind == .file {
            removals = Self.parseRemovals(try attempt("read", journal) { try fileSystem.readFile(journal) })
        }
        var touched: [String] = []
        try move(contentsOf: committed, into: root, touched: &touched, skipping: Self.removalsName)
        for path in removals { try remove(path, root: root, touched: &touched) }
        for folder in touched where try attempt("write", folder, { try fileSystem.status(folder, followingLinks: true) }).kind == .directory {
            try attempt("write", folder) { try fileSystem.syncDirectory(folder) }
        }
        // The list of removals goes first: once it is gone, they are all done.
        if !removals.isEmpty { try attempt("remove", journal) { try fileSystem.removeFile(journal) } }
        try removeTree(committed)
        try attempt("write", root) { try fileSystem.syncDirectory(root) }
    }

    /// Moves each entry of `source` to `destination`, recording the folders it renamed into.
    private func move(contentsOf source: String, into destination: String, touched: inout [String], skipping skipped: String? = nil) throws {
        for name in try attempt("read", source, { try fileSystem.entries(source) }) where name != skipped {
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

    /// Removes `path` (relative to `root`) unless it is gone already or a folder, then the
    /// folders above it that this leaves empty, up to `root`; records the folder that keeps the
    /// change. Repeating it changes nothing.
    private func remove(_ path: String, root: String, touched: inout [String]) throws {
        /// `lstat`; a path under a file is missing.
        func kind(_ path: String) throws -> FileStatus.Kind {
            do {
                return try fileSystem.status(path, followingLinks: false).kind
            } catch let error as OutputFileSystemError where error.code == ENOTDIR {
                return .missing
            } catch let error as OutputFileSystemError {
                throw OutputError(operation: "remove", path: path, reason: error.reason)
            }
        }
        let full = join(root, path)
        let fileKind = try kind(full)
        if fileKind != .missing && fileKind != .directory { try attempt("remove", full) { try fileSystem.removeFile(full) } }
        // Up to OUT: a folder already gone (an earlier run removed it) is passed, an empty one
        // removed, one that holds anything ends the walk.
        var folder = parent(path)
        while !folder.isEmpty {
            let fullFolder = join(root, folder)
            let folderKind = try kind(fullFolder)
            if folderKind == .directory {
                guard try attempt("remove", fullFolder, { try fileSystem.entries(fullFolder) }).isEmpty else { break }
                try attempt("remove", fullFolder) { try fileSystem.removeDirectory(fullFolder) }
            } else if folderKind != .missing {
                break
            }
            folder = parent(folder)
        }
        let kept = folder.isEmpty ? root : join(root, folder)
        if !touched.contains(kept) { touched.append(kept) }
    }

    /// The removals as staged: one path relative to OUT a line.
    static func removalsText(_ paths: [String]) -> [UInt8] { Array(paths.map { $0 + "\n" }.joined().utf8) }

    /// The paths of a list of removals; a line that is not a path inside OUT is skipped.
    static func parseRemovals(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init).filter { line in
            let components = line.split(separator: "/", omittingEmptySubsequences: false)
            return components.count >= 2 && !components[0].hasPrefix(".palisade-")
                && components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\0") }
        }
    }

    /// `rm -r` without following links; nothing to do when `path` does not exist.
    func removeTree(_ path: String) throws {
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
    func removeStaleTemporaries(_ tree: OutputTree, root: String) throws {
        for path in try staleTemporaries(tree, root: root) {
            let full = join(root, path)
            try attempt("remove", full) { try fileSystem.removeFile(full) }
        }
    }

    /// The temporaries older versions left beside the files of the tree (not folders), relative to `root`.
    private func staleTemporaries(_ tree: OutputTree, root: String) throws -> [String] {
        var result: [String] = []
        for folder in Set(tree.texts.keys.map(parent)).sorted() {
            let full = join(root, folder)
            do {
                guard try fileSystem.status(full, followingLinks: true).kind == .directory else { continue }
            } catch let error as OutputFileSystemError where error.code == ENOTDIR {
                continue  // a file where a folder of the tree goes: that folder holds nothing
            } catch let error as OutputFileSystemError {
                throw OutputError(operation: "read", path: full, reason: error.reason)
            }
            for name in try attempt("read", full, { try fileSystem.entries(full) }) where Self.isStaleTemporary(name) {
                let path = join(full, name)
                guard try attempt("remove", path, { try fileSystem.status(path, followingLinks: false) }).kind != .directory else { continue }
                result.append(join(folder, name))
            }
        }
        return result
    }

    /// `stack.yaml.palisade-tmp-4242`, `.dat.nosync1a2b.Xc9`.
    static func isStaleTemporary(_ name: String) -> Bool {
        if name.hasPrefix(".dat.nosync") { return true }
        guard let range = name.ranges(of: ".palisade-tmp-").last else { return false }
        let pid = name[range.upperBound...]
        return !pid.isEmpty && pid.allSatisfy(\.isASCIIDigitCharacter)
    }

    /// Step 5: every destination can take its file by one rename, and every file to remove can be.
    func preflight(_ plan: Plan, root: String) throws {
        let device = try attempt("read", root) { try fileSystem.status(root, followingLinks: true) }.device
        var exists: [String: Bool] = [:]  // relative folder → whether it exists
        var writable: Set<String> = []
        // The folder of the path before (by its bytes) and what its walk found: the files of a
        // folder come one after another, and the walk depends on the folder alone.
        var previous: (folder: Substring, deepest: String, missing: Bool)?
        for path in plan.files.keys.sorted() {
            let folder = path.lastIndex(of: "/").map { path[..<$0] } ?? ""
            var deepest = root
            var missing = false
            var relative = ""
            if let previous, previous.folder.utf8.elementsEqual(folder.utf8) {
                (deepest, missing) = (previous.deepest, previous.missing)
            } else {
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
                                    operation: "write", path: full, reason: "on another file system than \(root) (each file must move into place by one rename)"
                                )
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
                previous = (folder, deepest, missing)
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
        for path in plan.removals {
            let folder = join(root, parent(path))
            if writable.insert(folder).inserted {
                try attempt("remove", folder) { try fileSystem.checkWritable(folder) }
            }
        }
    }

    /// Step 6, after `OutputStaging` wrote the tree's files (`skipping`) under the staging
    /// folder, making the folders `made` names: the manifests and the removals, then one sync of
    /// the file system for every file and folder staged (see `syncFileSystem`).
    func stage(_ plan: Plan, root: String, skipping staged: [String: ChunkedText], made: inout Set<String>, lock: Int32) throws {
        // The files `OutputStaging` has not staged (the manifests, mostly) picked out before
        // they are sorted: a large tree's paths are not sorted once more for a few files.
        for path in plan.files.keys.filter({ staged[$0] == nil }).sorted() {
            try stageFile(path, plan.files[path] ?? ChunkedText(), root: root, made: &made)
        }
        let staging = join(root, Self.stagingName)
        if !plan.removals.isEmpty {
            try attempt("write", root) { try fileSystem.writeFile(join(staging, Self.removalsName), Self.removalsText(plan.removals)) }
        }
        try attempt("write", root) { try fileSystem.syncFileSystem(staging, lock: lock) }
    }

    /// Writes one file of the tree (`path` relative to OUT) under the staging folder, making the
    /// folders above it that `made` (relative to OUT) does not hold yet.
    func stageFile(_ path: String, _ text: ChunkedText, root: String, made: inout Set<String>) throws {
        try makeStagingFolders(above: path, root: root, made: &made)
        try writeStagedFile(path, text, root: root)
    }

    /// Makes the folders above `path` (relative to OUT) under the staging folder that `made`
    /// (relative to OUT) does not hold yet.
    func makeStagingFolders(above path: String, root: String, made: inout Set<String>) throws {
        // A folder is in `made` only after every folder above it: the folder of the file before
        // (most often this one's) is one lookup, with no path joined component by component.
        guard let slash = path.lastIndex(of: "/") else { return }
        if made.contains(String(path[..<slash])) { return }
        let staging = join(root, Self.stagingName)
        var relative = ""
        for component in path.split(separator: "/").dropLast() {
            relative = join(relative, String(component))
            if made.insert(relative).inserted {
                try attempt("write", join(root, relative)) { try fileSystem.makeDirectory(join(staging, relative)) }
            }
        }
    }

    /// Writes one file (`path` relative to OUT) under the staging folder, whose folders exist;
    /// when `reusing`, the file now at `path` is linked instead if it holds the same bytes (see
    /// `OutputFileSystem.writeFile(_:text:unlessIn:)`).
    func writeStagedFile(_ path: String, _ text: ChunkedText, root: String, reusing: Bool = true) throws {
        let staged = join(join(root, Self.stagingName), path)
        try attempt("write", join(root, path)) {
            if reusing {
                try fileSystem.writeFile(staged, text: text, unlessIn: join(root, path))
            } else {
                try fileSystem.writeFile(staged, text: text)
            }
        }
    }

    /// `writeStagedFile` for each of `paths` (files of `tree`, sorted), looking for a file to
    /// reuse only in folders that exist under OUT: the first compile into a new folder tries
    /// no file, however many it writes.
    func writeStagedFiles(_ paths: [String], of tree: OutputTree, root: String) throws {
        var previous: (folder: Substring, exists: Bool)?
        for path in paths {
            let folder = path.lastIndex(of: "/").map { path[..<$0] } ?? ""
            let exists: Bool
            if let previous, previous.folder.utf8.elementsEqual(folder.utf8) {
                exists = previous.exists
            } else {
                exists = (try? fileSystem.status(join(root, String(folder)), followingLinks: true).kind) == .directory
                previous = (folder, exists)
            }
            try writeStagedFile(path, tree.texts[path] ?? ChunkedText(), root: root, reusing: exists)
        }
    }

    // MARK: helpers

    /// Runs one file system call; its failure becomes an `OutputError` naming `path`.
    func attempt<T>(_ operation: String, _ path: String, _ body: () throws -> T) throws -> T {
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
