import Backends
import Foundation
import TestSupport
import Testing
import YAML

/// A file system that fails at step N (every call counts as one step, `unlock` aside), either
/// once (a transient error) or from then on (a full disk, or the process killed at that step:
/// nothing after it has any effect). The failing write leaves half the file, as a full disk does.
final class FailingFileSystem: InterceptedOutputFileSystem, @unchecked Sendable {
    enum Mode: CustomStringConvertible {
        case once, fromThenOn
        var description: String { self == .once ? "once" : "from then on" }
    }

    let real = POSIXOutputFileSystem()
    let failAt: Int
    let mode: Mode
    let code: Int32
    private let guarding = NSLock()
    private var count = 0

    /// Only file writes count as steps (a disk that fills up).
    let onlyWrites: Bool

    init(failAt: Int = .max, mode: Mode = .once, code: Int32 = EIO, onlyWrites: Bool = false) {
        self.failAt = failAt
        self.mode = mode
        self.code = code
        self.onlyWrites = onlyWrites
    }

    /// The steps taken so far.
    var steps: Int { guarding.withLock { count } }

    /// Counts a step; whether it is the one that fails first (`.first`), a later failing one, or fine.
    private enum Outcome { case fine, first, failing }

    private func step(writing: Bool = false) -> Outcome {
        if onlyWrites && !writing { return .fine }
        let step = guarding.withLock {
            count += 1
            return count
        }
        if step == failAt { return .first }
        return mode == .fromThenOn && step > failAt ? .failing : .fine
    }

    func intercept(_ call: String, _ path: String) throws {
        if step() != .fine { throw OutputFileSystemError(call: call, path: path, code: code) }
    }

    func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        switch step(writing: true) {
        case .fine: try real.writeFile(path, bytes)
        case .first:
            try? real.writeFile(path, Array(bytes.prefix(bytes.count / 2)))
            throw OutputFileSystemError(call: "write", path: path, code: code)
        case .failing: throw OutputFileSystemError(call: "open", path: path, code: code)
        }
    }
}

/// Everything under a folder, hidden entries included: files with their bytes, folders and
/// links as markers. Two snapshots are equal only when the trees are the same byte for byte.
func snapshot(_ root: String) -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    guard let entries = FileManager.default.enumerator(atPath: root) else { return [:] }
    for case let entry as String in entries {
        let path = root + "/" + entry
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        switch attributes?[.type] as? FileAttributeType {
        case .typeDirectory?: result[entry + "/"] = []
        case .typeRegular?: result[entry] = (try? Data(contentsOf: URL(fileURLWithPath: path))).map { Array($0) } ?? Array("<unreadable>".utf8)
        default: result[entry] = Array("<other>".utf8)
        }
    }
    return result
}

/// What `body` throws, as its message; nil when it throws nothing.
func failure(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return "\(error)"
    }
}

/// A fresh folder under the temporary directory, removed afterwards; `inMemory`: under
/// `/dev/shm` where there is one (the step-by-step sweeps write hundreds of trees, and fsync
/// costs nothing there).
func withTemporaryFolder(inMemory: Bool = false, _ body: (String) throws -> Void) rethrows {
    let memory = inMemory && FileManager.default.isWritableFile(atPath: "/dev/shm")
    let base = memory ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
    let folder = base.appendingPathComponent("palisade-writer-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try body(folder)
}

/// Writes files the plain way (not through the writer under test).
func plant(_ files: [String: String], under root: String) throws {
    for (path, contents) in files {
        let full = root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
    }
}

@Suite struct OutputWriterTests {
    /// The previous run's files, one of them for a policy the new tree no longer has, as an
    /// older Palisade left them: without manifests.
    static let old = [
        "aws/shop/security-groups.json": "{\"old\": true}\n",
        "swarm/shop/stack.yaml": "old: 1\n",
        "openshift/shop/network.yaml": "old: network\n",
        "swarm/legacy/stack.yaml": "legacy: 1\n",
        "openshift/shop/quota.yaml": "same: quota\n",
    ]

    /// The previous run's tree as this Palisade writes it (with manifests): files the new tree
    /// rewrites, files it no longer has for policies it replaces, a policy and a target it does
    /// not compile.
    static let oldTree: OutputTree = {
        var tree = OutputTree()
        tree.add("aws/shop/security-groups.json", "{\"old\": true}\n")
        tree.add("aws/shop/security-groups-2.json", "{\"part\": 2}\n")  // the new tree has one template: removed
        tree.add("aws/shop/security-groups-3.json", "{\"part\": 3}\n")  // removed
        tree.add("swarm/shop/stack.yaml", "old: 1\n")
        tree.add("openshift/shop/network.yaml", "old: network\n")
        tree.add("openshift/shop/quota.yaml", "same: quota\n")  // the new tree writes the same bytes: linked, not written
        tree.add("openshift/gone/network.yaml", "gone: 1\n")  // claimed by the new tree with no file: removed, folder and all
        tree.add("swarm/legacy/stack.yaml", "legacy: 1\n")  // a policy the new tree does not compile: kept
        tree.add("mesos/shop/marathon.json", "{}\n")  // a target the new tree does not compile: kept
        return tree
    }()

    /// A team's own files next to the generated ones: never touched.
    static let foreign = [
        "NOTES.md": "ours\n",
        "aws/README": "ours too\n",
        "aws/shop/NOTES.md": "ours, next to the templates\n",
    ]

    /// Every old path with new bytes but one (`quota.yaml`, unchanged), a new file in an existing folder, a new policy folder
    /// in an existing target and a new target folder; `openshift/gone` compiled into no file.
    static let new: OutputTree = {
        var tree = OutputTree()
        tree.add("aws/shop/security-groups.json", "{\"new\": true}\n")
        tree.add("aws/web/security-groups.json", "{\"web\": true}\n")
        tree.add("swarm/shop/stack.yaml", "new: caf\u{E9}\n")
        tree.add("openshift/shop/network.yaml", "new: network\n")
        tree.add("openshift/shop/rbac.yaml", "new: rbac\n")
        tree.add("openshift/shop/quota.yaml", "same: quota\n")
        tree.add("gcp/shop/firewall-rules.json", "[]\n")
        tree.claim(target: "openshift", policy: "gone")
        return tree
    }()

    /// Where a write begins: an empty folder, a tree of an older Palisade (no manifests), or
    /// one this Palisade wrote, whose manifests name files to remove.
    enum Start: CaseIterable, CustomStringConvertible {
        case empty, legacy, manifests
        var description: String {
            switch self {
            case .empty: "empty"
            case .legacy: "with an older Palisade's tree"
            case .manifests: "with manifests"
            }
        }
    }

    /// Puts the old state under `out`.
    static func prepare(_ start: Start, _ out: String) throws {
        switch start {
        case .empty: return
        case .legacy: try plant(Self.old.merging(Self.foreign) { $1 }, under: out)
        case .manifests:
            try OutputWriter().write(Self.oldTree, to: out)
            try plant(Self.foreign, under: out)
        }
    }

    /// The snapshots of the old state and of the new one (written by a healthy writer).
    static func expectedStates(_ start: Start) throws -> (old: [String: [UInt8]], new: [String: [UInt8]]) {
        var states: [[String: [UInt8]]] = []
        for write in [false, true] {
            try withTemporaryFolder(inMemory: true) { root in
                let out = root + "/out"
                try prepare(start, out)
                if write { try OutputWriter().write(Self.new, to: out) }
                states.append(snapshot(out))
            }
        }
        return (states[0], states[1])
    }

    /// The number of steps of a whole write that fails nowhere.
    static func stepCount(_ start: Start) throws -> Int {
        let counting = FailingFileSystem()
        try withTemporaryFolder(inMemory: true) { root in
            try prepare(start, root + "/out")
            try OutputWriter(fileSystem: counting).write(Self.new, to: root + "/out")
        }
        return counting.steps
    }

    /// The system file system writes a text's UTF-8 bytes straight from its pieces (a string,
    /// adopted bytes, chunks filled by appending, or a string followed by chunks), the same
    /// bytes as through an array of them.
    @Test func aTextIsWrittenAsItsUTF8Bytes() throws {
        let real = POSIXOutputFileSystem()
        var chunked = ChunkedText()
        var expected: [UInt8] = []
        for index in 0..<100_000 {
            let line = "line \(index): café ✓ 🚀\n"
            chunked.append(line)
            expected += Array(line.utf8)
        }
        var headed = ChunkedText("head: ✓\n")
        headed.append(String(repeating: "y", count: ChunkedText.chunkSize + 17))
        let texts: [(String, ChunkedText, [UInt8])] = [
            ("empty", ChunkedText(), []), ("ascii", "a: 1\n", Array("a: 1\n".utf8)),
            ("unicode", ChunkedText("name: café ✓ 🚀\n"), Array("name: café ✓ 🚀\n".utf8)),
            ("large", ChunkedText(String(repeating: "x", count: 200_000)), Array(repeating: UInt8(ascii: "x"), count: 200_000)),
            ("bytes", ChunkedText(bytes: Array("é\n".utf8)), Array("é\n".utf8)), ("chunked", chunked, expected),
            ("headed", headed, Array("head: ✓\n".utf8) + Array(repeating: UInt8(ascii: "y"), count: ChunkedText.chunkSize + 17)),
        ]
        #expect(expected.count > 2 * ChunkedText.chunkSize, "the chunked text spans several chunks")
        try withTemporaryFolder(inMemory: false) { root in
            for (name, text, bytes) in texts {
                try real.writeFile(root + "/" + name, text: text)
                #expect(try real.readFile(root + "/" + name) == bytes, "\(name)")
                #expect(text.bytes == bytes && text.byteCount == bytes.count, "\(name)")
            }
            #expect(throws: OutputFileSystemError.self) { try real.writeFile(root + "/ascii", text: "again") }
        }
    }

    @Test func aHealthyWriteReplacesOnlyTheTreesPathsAndLeavesNoTemporaries() throws {
        let (_, new) = try Self.expectedStates(.legacy)
        #expect(new["NOTES.md"] == Array("ours\n".utf8))
        #expect(new["aws/README"] == Array("ours too\n".utf8))
        #expect(new["swarm/legacy/stack.yaml"] == Array("legacy: 1\n".utf8), "no manifest lists it: not Palisade's to remove")
        for path in Self.new.paths { #expect(new[path] == Self.new.bytes(path)) }
        #expect(new.keys.filter { $0.contains(".palisade") && !$0.hasSuffix("/.palisade-manifest") || $0.contains(".dat.nosync") } == [])
    }

    @Test func aWriteRemovesTheFilesItsManifestsListAndItNoLongerWritesAndNothingElse() throws {
        let (old, new) = try Self.expectedStates(.manifests)
        #expect(old["aws/shop/security-groups-2.json"] != nil && old["openshift/gone/network.yaml"] != nil)
        // Removed: listed for a policy the tree replaces, no longer written; and the folder that leaves empty.
        for gone in ["aws/shop/security-groups-2.json", "aws/shop/security-groups-3.json", "openshift/gone/network.yaml", "openshift/gone/"] {
            #expect(new[gone] == nil, "\(gone)")
        }
        // Kept: another policy of a target written, a target not written, the team's files (one in a policy folder).
        for kept in ["swarm/legacy/stack.yaml", "mesos/shop/marathon.json", "mesos/.palisade-manifest", "NOTES.md", "aws/README", "aws/shop/NOTES.md"] {
            #expect(new[kept] == old[kept] && new[kept] != nil, "\(kept)")
        }
        for path in Self.new.paths { #expect(new[path] == Self.new.bytes(path)) }
        #expect(new.keys.filter { $0.hasPrefix(".palisade") } == [])
        // Each manifest lists exactly what the tree wrote there, with the policies it did not compile.
        #expect(manifest(new, "aws") == ["shop/security-groups.json", "web/security-groups.json"])
        #expect(manifest(new, "openshift") == ["shop/network.yaml", "shop/quota.yaml", "shop/rbac.yaml"])
        #expect(manifest(new, "swarm") == ["legacy/stack.yaml", "shop/stack.yaml"])
        #expect(manifest(new, "gcp") == ["shop/firewall-rules.json"])
        #expect(manifest(new, "mesos") == ["shop/marathon.json"])
        #expect(String(decoding: new["gcp/.palisade-manifest"] ?? [], as: UTF8.self).hasPrefix(OutputManifest.formatLine + "\n"))
    }

    @Test func theOutcomeNamesTheRemovedFilesAndASecondWriteRemovesNothing() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try Self.prepare(.manifests, out)
            let first = try OutputWriter().write(Self.new, to: out)
            #expect(first.removed == ["aws/shop/security-groups-2.json", "aws/shop/security-groups-3.json", "openshift/gone/network.yaml"])
            let after = snapshot(out)
            #expect(try OutputWriter().write(Self.new, to: out).removed == [])
            #expect(snapshot(out) == after)
            #expect(try OutputWriter().drift(Self.new, from: out) == [])
        }
    }

    @Test func aPolicyThatLeavesATargetTakesItsManifestAndEmptyFolderAlong() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            var first = OutputTree()
            first.add("azure/shop/nsg.json", "{}\n")
            first.add("azure/shop/nsg-2.json", "{}\n")
            try OutputWriter().write(first, to: out)
            var none = OutputTree()
            none.claim(target: "azure", policy: "shop")
            #expect(
                try OutputWriter().drift(none, from: out).map { "\($0.kind) \($0.path)" } == [
                    "stale azure/.palisade-manifest", "stale azure/shop/nsg-2.json", "stale azure/shop/nsg.json",
                ])
            #expect(try OutputWriter().write(none, to: out).removed == ["azure/shop/nsg-2.json", "azure/shop/nsg.json"])
            #expect(snapshot(out) == [:], "no manifest listing nothing, no empty folder")
        }
    }

    /// The manifest's entries of `target`.
    func manifest(_ state: [String: [UInt8]], _ target: String) -> [String]? {
        guard let bytes = state[target + "/" + OutputManifest.fileName] else { return nil }
        return (try? OutputManifest.parse(bytes)).map { $0.paths.sorted() }
    }

    @Test(arguments: [FailingFileSystem.Mode.once, .fromThenOn], Start.allCases)
    func aFailureAtEveryStepLeavesTheOldTreeOrTheNew(mode: FailingFileSystem.Mode, start: Start) throws {
        let states = try Self.expectedStates(start)
        let steps = try Self.stepCount(start)
        #expect(steps > 20)
        if start == .manifests {
            #expect(states.old.keys.contains("aws/shop/security-groups-2.json") && !states.new.keys.contains("aws/shop/security-groups-2.json"))
        }
        var outcomes = (old: 0, new: 0)
        for failAt in 1...(steps + 1) {
            try withTemporaryFolder(inMemory: true) { root in
                let out = root + "/out"
                try Self.prepare(start, out)
                let failing = FailingFileSystem(failAt: failAt, mode: mode)
                var failure: (any Error)?
                do { try OutputWriter(fileSystem: failing).write(Self.new, to: out) } catch { failure = error }
                let after = snapshot(out)
                let place = "failing at step \(failAt) of \(steps) \(mode), starting \(start)"
                if failure == nil {
                    #expect(after == states.new, "\(place): a write that succeeds leaves the new tree, nothing else")
                } else {
                    #expect(failure is OutputError, "\(place): \(String(describing: failure))")
                    #expect("\(failure.map { "\($0)" } ?? "")".hasPrefix("cannot "))
                }
                switch mode {
                case .once:
                    // A transient failure: before the commit the old tree stays, after it the move is tried again.
                    #expect(after == (failure == nil ? states.new : states.old), "\(place): \(String(describing: failure))")
                case .fromThenOn:
                    // As if killed at that step: before the commit the old files are all there (staging aside);
                    // after it, the committed folder waits for the next run, or every file is in place already.
                    let committed = after.keys.contains { $0.hasPrefix(OutputWriter.committedName + "/") }
                    let visible = after.filter { !$0.key.hasPrefix(".palisade-") }
                    #expect(committed || visible == states.old || visible == states.new, "\(place)")
                    try OutputWriter().recover(out)
                    let recovered = snapshot(out)
                    #expect(recovered == states.old || recovered == states.new, "\(place): recovered to neither tree")
                    #expect(recovered == (committed || visible == states.new ? states.new : states.old), "\(place)")
                }
                let final = snapshot(out)
                if final == states.new { outcomes.new += 1 } else if final == states.old { outcomes.old += 1 }
                // The next run writes the new tree whatever happened before.
                try OutputWriter().write(Self.new, to: out)
                #expect(snapshot(out) == states.new, "\(place): the next run")
            }
        }
        #expect(outcomes.old + outcomes.new == steps + 1)
        #expect(outcomes.old > 0 && outcomes.new > 0, "failures land before and after the commit")
    }

    @Test func aFullDiskLeavesTheOldTree() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try Self.prepare(.manifests, out)
            let before = snapshot(out)
            let full = FailingFileSystem(failAt: 5, mode: .fromThenOn, code: ENOSPC, onlyWrites: true)
            // The fifth file of the tree in path order (its manifests are staged after its files):
            // half of it is written, then the disk is full. Nothing is removed either.
            #expect(
                failure { try OutputWriter(fileSystem: full).write(Self.new, to: out) }
                    == "cannot write \(out)/openshift/shop/rbac.yaml: no space left on device")
            #expect(snapshot(out) == before)
        }
    }

    /// Records every call by name, and fails the calls named in `failing` with EIO.
    final class CallLog: InterceptedOutputFileSystem, @unchecked Sendable {
        let real = POSIXOutputFileSystem()
        let failing: Set<String>
        private let guarding = NSLock()
        private var recorded: [(call: String, path: String)] = []
        init(failing: Set<String> = []) { self.failing = failing }
        var calls: [(call: String, path: String)] { guarding.withLock { recorded } }
        func intercept(_ call: String, _ path: String) throws {
            guarding.withLock { recorded.append((call, path)) }
            if failing.contains(call) { throw OutputFileSystemError(call: call, path: path, code: EIO) }
        }
    }

    @Test func theStagedTreeIsSyncedByOneCallWhateverItsSizeAndBeforeTheCommit() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            var tree = OutputTree()
            for index in 0..<200 { tree.add("nftables/estate/host-\(index).nft", "table inet palisade {}\n") }
            let log = CallLog()
            try OutputWriter(fileSystem: log).write(tree, to: out)
            let calls = log.calls
            #expect(calls.filter { $0.call == "write" }.count == 201)  // the files and the manifest
            #expect(calls.filter { $0.call == "syncfs" }.map(\.path) == [out + "/" + OutputWriter.stagingName])
            // No folder of the staged tree is synced one by one; the commit comes after the sync.
            #expect(!calls.contains { $0.call == "fsync" && $0.path.contains(OutputWriter.stagingName) })
            let synced = try #require(calls.firstIndex { $0.call == "syncfs" })
            let committed = try #require(calls.firstIndex { $0.call == "rename" && $0.path.hasSuffix(OutputWriter.committedName) })
            #expect(synced < committed)
            #expect(snapshot(out).keys.filter { $0.hasSuffix(".nft") }.count == 200)
        }
    }

    @Test func aWriteBackErrorOfTheSyncLeavesTheOldTree() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try Self.prepare(.manifests, out)
            // An older version's temporary beside a file of the tree: removed only once the sync held.
            try plant(["aws/shop/security-groups.json.palisade-tmp-4242": "half\n"], under: out)
            let before = snapshot(out)
            #expect(
                failure { try OutputWriter(fileSystem: CallLog(failing: ["syncfs"])).write(Self.new, to: out) }
                    == "cannot write \(out): input/output error")
            #expect(snapshot(out) == before)
            let log = CallLog()
            try OutputWriter(fileSystem: log).write(Self.new, to: out)
            let synced = try #require(log.calls.firstIndex { $0.call == "syncfs" })
            let removed = try #require(log.calls.firstIndex { $0.call == "unlink" && $0.path.hasSuffix(".palisade-tmp-4242") })
            #expect(synced < removed)
        }
    }

    @Test func aDirectoryWhereAFileGoesFailsBeforeAnythingIsReplaced() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try plant(Self.old, under: out)
            try FileManager.default.removeItem(atPath: out + "/swarm/shop/stack.yaml")
            try FileManager.default.createDirectory(atPath: out + "/swarm/shop/stack.yaml", withIntermediateDirectories: false)
            let before = snapshot(out)
            #expect(failure { try OutputWriter().write(Self.new, to: out) } == "cannot write \(out)/swarm/shop/stack.yaml: is a directory")
            #expect(snapshot(out) == before)
        }
    }

    @Test func aFileWhereAFolderGoesFailsBeforeAnythingIsReplaced() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try plant(Self.old.filter { !$0.key.hasPrefix("aws/") }.merging(["aws": "a file\n"]) { $1 }, under: out)
            let before = snapshot(out)
            #expect(failure { try OutputWriter().write(Self.new, to: out) } == "cannot write \(out)/aws: not a directory")
            #expect(snapshot(out) == before)
        }
    }

    /// The files of one folder share the walk of its folders, not the check of each file: a
    /// folder where the last file of a folder goes, and a file where the folder of the files
    /// after it goes, are each found.
    @Test func eachFileOfAFolderIsCheckedAndEachFolderWalked() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try plant(["nftables/p/a.nft": "old\n", "nftables/q": "a file\n"], under: out)
            try FileManager.default.createDirectory(atPath: out + "/nftables/p/c.nft", withIntermediateDirectories: false)
            let before = snapshot(out)
            var sameFolder = OutputTree()
            for path in ["nftables/p/a.nft", "nftables/p/b.nft", "nftables/p/c.nft"] { sameFolder.add(path, "new\n") }
            #expect(failure { try OutputWriter().write(sameFolder, to: out) } == "cannot write \(out)/nftables/p/c.nft: is a directory")
            var nextFolder = OutputTree()
            for path in ["nftables/p/a.nft", "nftables/p/b.nft", "nftables/q/d.nft"] { nextFolder.add(path, "new\n") }
            #expect(failure { try OutputWriter().write(nextFolder, to: out) } == "cannot write \(out)/nftables/q: not a directory")
            #expect(snapshot(out) == before)
        }
    }

    @Test func anOutputFolderThatIsAFileOrCannotBeCreatedIsNamedWithTheReason() throws {
        try withTemporaryFolder { root in
            try plant(["file": "x\n"], under: root)
            #expect(failure { try OutputWriter().write(Self.new, to: root + "/file") } == "cannot write \(root)/file: not a directory")
            #expect(failure { try OutputWriter().write(Self.new, to: root + "/file/out") } == "cannot create \(root)/file/out: not a directory")
            // Permission denied, whoever runs the tests (root passes every permission check).
            let denied = FailingFileSystem(failAt: 3, code: EACCES)  // the stats of root and root/out, then mkdir
            #expect(failure { try OutputWriter(fileSystem: denied).write(Self.new, to: root + "/out") } == "cannot create \(root)/out: permission denied")
            #expect(!FileManager.default.fileExists(atPath: root + "/out"))
            #expect(failure { try OutputWriter().write(Self.new, to: "") } == "cannot write '': the output folder has no name")
        }
    }

    @Test func anUnwritableFolderIsRefusedBeforeTheCommit() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try plant(Self.old, under: out)
            let before = snapshot(out)
            // The first access check is the one on out/aws, where the manifest goes.
            final class Denying: OutputFileSystem, @unchecked Sendable {
                let real = POSIXOutputFileSystem()
                func status(_ path: String, followingLinks: Bool) throws -> FileStatus { try real.status(path, followingLinks: followingLinks) }
                func checkWritable(_ directory: String) throws { throw OutputFileSystemError(call: "access", path: directory, code: EACCES) }
                func makeDirectory(_ path: String) throws { try real.makeDirectory(path) }
                func writeFile(_ path: String, _ bytes: [UInt8]) throws { try real.writeFile(path, bytes) }
                func readFile(_ path: String) throws -> [UInt8] { try real.readFile(path) }
                func rename(_ from: String, _ to: String) throws { try real.rename(from, to) }
                func removeFile(_ path: String) throws { try real.removeFile(path) }
                func removeDirectory(_ path: String) throws { try real.removeDirectory(path) }
                func entries(_ directory: String) throws -> [String] { try real.entries(directory) }
                func syncDirectory(_ path: String) throws { try real.syncDirectory(path) }
                func syncFileSystem(_ path: String, lock: Int32) throws { try real.syncFileSystem(path, lock: lock) }
                func lock(_ directory: String) throws -> Int32 { try real.lock(directory) }
                func unlock(_ token: Int32) { real.unlock(token) }
            }
            #expect(failure { try OutputWriter(fileSystem: Denying()).write(Self.new, to: out) } == "cannot write \(out)/aws: permission denied")
            #expect(snapshot(out) == before)
        }
    }

    @Test func staleTemporariesOfKilledRunsAreRemovedAndForeignFilesKept() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try plant(Self.old.merging(Self.foreign) { $1 }, under: out)
            try plant(
                [
                    "swarm/shop/stack.yaml.palisade-tmp-4242": "half",
                    "aws/shop/security-groups.json.palisade-tmp-17": "",
                    "aws/shop/.dat.nosync3f2a.Xq81Lw": "half",
                    ".palisade-staging/aws/shop/security-groups.json": "{\"half",
                    "swarm/shop/notes.palisade-tmp-draft": "not ours: not a process id\n",
                ], under: out)
            try OutputWriter().write(Self.new, to: out)
            let after = snapshot(out)
            #expect(after.keys.filter { $0.contains(".palisade-tmp-") } == ["swarm/shop/notes.palisade-tmp-draft"])
            #expect(after.keys.filter { $0.contains(".dat.nosync") || $0.hasPrefix(".palisade") } == [])
            #expect(after["NOTES.md"] != nil && after["aws/README"] != nil)
        }
    }

    @Test func driftComparesBytesNotCanonicallyEquivalentStrings() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try OutputWriter().write(Self.new, to: out)
            #expect(try OutputWriter().drift(Self.new, from: out) == [])
            // "café" with a combining accent: the same String to Swift's ==, other bytes on disk.
            try Data("new: cafe\u{301}\n".utf8).write(to: URL(fileURLWithPath: out + "/swarm/shop/stack.yaml"))
            #expect("new: cafe\u{301}\n" == Self.new.files["swarm/shop/stack.yaml"])
            #expect(
                try OutputWriter().drift(Self.new, from: out) == [
                    OutputDrift(.changed, "swarm/shop/stack.yaml", onDisk: Array("new: cafe\u{301}\n".utf8), compiled: Self.new.bytes("swarm/shop/stack.yaml"))
                ])
            #expect(Self.new.differences(from: out) == ["swarm/shop/stack.yaml"])
        }
    }

    /// `kind path` for each drift.
    func kinds(_ drift: [OutputDrift]) -> [String] { drift.map { "\($0.kind) \($0.path)" } }

    @Test func driftListsChangedMissingAndStaleButNotTheTeamsFilesAndRecoversFirst() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            // Nothing there: every file and every manifest is missing.
            let manifests = ["aws", "gcp", "openshift", "swarm"].map { $0 + "/" + OutputManifest.fileName }
            #expect(try OutputWriter().drift(Self.new, from: out) == (Self.new.paths + manifests).sorted().map { OutputDrift(.missing, $0) })
            #expect(!FileManager.default.fileExists(atPath: out), "comparing creates nothing")

            try Self.prepare(.manifests, out)
            #expect(
                kinds(try OutputWriter().drift(Self.new, from: out)) == [
                    "changed aws/.palisade-manifest",  // lists the old templates and not web's
                    "stale aws/shop/security-groups-2.json",
                    "stale aws/shop/security-groups-3.json",
                    "changed aws/shop/security-groups.json",
                    "missing aws/web/security-groups.json",
                    "missing gcp/.palisade-manifest",
                    "missing gcp/shop/firewall-rules.json",
                    "changed openshift/.palisade-manifest",
                    "stale openshift/gone/network.yaml",
                    "changed openshift/shop/network.yaml",
                    "missing openshift/shop/rbac.yaml",
                    "changed swarm/shop/stack.yaml",
                ])
            try OutputWriter().write(Self.new, to: out)
            #expect(try OutputWriter().drift(Self.new, from: out) == [])

            // A team's file in a policy folder is theirs: no drift. A manifest that differs only
            // in its comments does not drift either.
            try plant(["openshift/shop/extra.yaml": "x\n"], under: out)
            let manifest = out + "/gcp/" + OutputManifest.fileName
            try Data((OutputManifest.formatLine + "\n# ours\n\nshop/firewall-rules.json\n").utf8).write(to: URL(fileURLWithPath: manifest))
            #expect(try OutputWriter().drift(Self.new, from: out) == [])
            try FileManager.default.removeItem(atPath: out + "/gcp/shop/firewall-rules.json")
            #expect(kinds(try OutputWriter().drift(Self.new, from: out)) == ["missing gcp/shop/firewall-rules.json"])

            // A committed tree an interrupted run left is put in place before comparing.
            try plant([OutputWriter.committedName + "/gcp/shop/firewall-rules.json": "[]\n"], under: out)
            #expect(try OutputWriter().drift(Self.new, from: out) == [])
            #expect(!FileManager.default.fileExists(atPath: out + "/" + OutputWriter.committedName))

            // Temporaries an older version left are stale: the next write removes them.
            try plant(["swarm/shop/stack.yaml.palisade-tmp-4242": "half"], under: out)
            #expect(kinds(try OutputWriter().drift(Self.new, from: out)) == ["stale swarm/shop/stack.yaml.palisade-tmp-4242"])

            try plant(["file": "x\n"], under: root)
            #expect(failure { _ = try OutputWriter().drift(Self.new, from: root + "/file") } == "cannot read \(root)/file: not a directory")
        }
    }

    @Test func aFileListedThatIsNowAFolderOrGoneIsNotRemovedAndLeavesTheManifest() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try Self.prepare(.manifests, out)
            try FileManager.default.removeItem(atPath: out + "/aws/shop/security-groups-2.json")
            try FileManager.default.createDirectory(atPath: out + "/aws/shop/security-groups-2.json", withIntermediateDirectories: false)
            try plant(["aws/shop/security-groups-2.json/ours.txt": "ours\n"], under: out)
            try FileManager.default.removeItem(atPath: out + "/aws/shop/security-groups-3.json")
            #expect(try OutputWriter().write(Self.new, to: out).removed == ["openshift/gone/network.yaml"])
            let after = snapshot(out)
            #expect(after["aws/shop/security-groups-2.json/ours.txt"] == Array("ours\n".utf8))
            #expect(manifest(after, "aws") == ["shop/security-groups.json", "web/security-groups.json"])
        }
    }

    @Test func aManifestPalisadeCannotReadStopsTheWriteAndTheCheck() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try Self.prepare(.manifests, out)
            let path = out + "/aws/" + OutputManifest.fileName
            for (text, reason) in [
                ("shop/security-groups-2.json\n", "not a palisade manifest (its first line is not palisade-manifest 1)"),
                ("palisade-manifest 2\nshop/x\n", "a manifest of another format (palisade-manifest 2); this palisade reads palisade-manifest 1"),
                ("palisade-manifest 1\n../../etc/passwd\n", "line 2 is not a path POLICY/FILE inside the target folder: ../../etc/passwd"),
                ("palisade-manifest 1\nshop\n", "line 2 is not a path POLICY/FILE inside the target folder: shop"),
                ("palisade-manifest 1\n.palisade-committed/x\n", "line 2 is not a path POLICY/FILE inside the target folder: .palisade-committed/x"),
            ] {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
                let before = snapshot(out)
                let expected =
                    "cannot read \(path): \(reason); palisade removes only the files a manifest lists; remove this one to keep every file of "
                    + "\(out)/aws as it is"
                #expect(failure { try OutputWriter().write(Self.new, to: out) } == expected)
                #expect(failure { _ = try OutputWriter().drift(Self.new, from: out) } == expected)
                #expect(snapshot(out) == before)
            }
        }
    }

    @Test func anUnwritableFolderOfAFileToRemoveIsRefusedBeforeTheCommit() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try Self.prepare(.manifests, out)
            let before = snapshot(out)
            final class Denying: OutputFileSystem, @unchecked Sendable {
                let real = POSIXOutputFileSystem()
                let denied: String
                init(_ denied: String) { self.denied = denied }
                func status(_ path: String, followingLinks: Bool) throws -> FileStatus { try real.status(path, followingLinks: followingLinks) }
                func checkWritable(_ directory: String) throws {
                    if directory == denied { throw OutputFileSystemError(call: "access", path: directory, code: EACCES) }
                    try real.checkWritable(directory)
                }
                func makeDirectory(_ path: String) throws { try real.makeDirectory(path) }
                func writeFile(_ path: String, _ bytes: [UInt8]) throws { try real.writeFile(path, bytes) }
                func readFile(_ path: String) throws -> [UInt8] { try real.readFile(path) }
                func rename(_ from: String, _ to: String) throws { try real.rename(from, to) }
                func removeFile(_ path: String) throws { try real.removeFile(path) }
                func removeDirectory(_ path: String) throws { try real.removeDirectory(path) }
                func entries(_ directory: String) throws -> [String] { try real.entries(directory) }
                func syncDirectory(_ path: String) throws { try real.syncDirectory(path) }
                func syncFileSystem(_ path: String, lock: Int32) throws { try real.syncFileSystem(path, lock: lock) }
                func lock(_ directory: String) throws -> Int32 { try real.lock(directory) }
                func unlock(_ token: Int32) { real.unlock(token) }
            }
            // openshift/gone holds only a file to remove: nothing is written there.
            let denied = out + "/openshift/gone"
            #expect(failure { try OutputWriter(fileSystem: Denying(denied)).write(Self.new, to: out) } == "cannot remove \(denied): permission denied")
            #expect(snapshot(out) == before)
        }
    }

    @Test func aCommittedListOfRemovalsIsFinishedByTheNextRunAndRepeatingItChangesNothing() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try Self.prepare(.manifests, out)
            // As if a run committed removals, removed one of them and the folder it emptied, and was killed.
            try FileManager.default.removeItem(atPath: out + "/openshift/gone")
            try plant(
                [
                    OutputWriter.committedName + "/" + OutputWriter.removalsName:
                        "aws/shop/security-groups-2.json\naws/shop/security-groups-3.json\nopenshift/gone/network.yaml\n../outside\n"
                ], under: out)
            try plant(["outside": "not under out\n"], under: root)
            try OutputWriter().recover(out)
            let after = snapshot(out)
            #expect(after["aws/shop/security-groups-2.json"] == nil && after["aws/shop/security-groups-3.json"] == nil)
            #expect(after["aws/shop/security-groups.json"] != nil && after["aws/shop/NOTES.md"] != nil)
            #expect(after.keys.filter { $0.hasPrefix(".palisade") } == [])
            #expect(FileManager.default.fileExists(atPath: root + "/outside"), "a line that leaves OUT is skipped")
            try OutputWriter().recover(out)
            #expect(snapshot(out) == after)
        }
    }

    @Test func aCommittedTreeThatCannotMoveIsReportedAndFinishedByTheNextRun() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            // As if a run committed, then someone put a folder where one of its files goes.
            try plant(Self.old, under: out)
            try plant([OutputWriter.committedName + "/swarm/shop/stack.yaml": "new: 1\n"], under: out)
            try FileManager.default.removeItem(atPath: out + "/swarm/shop/stack.yaml")
            try FileManager.default.createDirectory(atPath: out + "/swarm/shop/stack.yaml", withIntermediateDirectories: false)
            #expect(failure { try OutputWriter().recover(out) }?.hasPrefix("cannot write \(out)/swarm/shop/stack.yaml: is a directory") == true)
            #expect(throws: OutputError.self) { try OutputWriter().write(Self.new, to: out) }
            try FileManager.default.removeItem(atPath: out + "/swarm/shop/stack.yaml")
            try OutputWriter().write(Self.new, to: out)
            #expect(try OutputWriter().drift(Self.new, from: out) == [])
        }
    }

    @Test func pathsOutsideTheOutputFolderAreRefused() {
        withTemporaryFolder { root in
            for path in ["../escape.yaml", "aws//x.json", "/etc/x", ".palisade-staging/x", "aws/.palisade-manifest", "aws/.palisade-x/y", "aws/shop/a\nb"] {
                var tree = OutputTree()
                tree.add(path, "x\n")
                #expect(throws: OutputError.self, "\(path)") { try OutputWriter().write(tree, to: root + "/out") }
            }
            for (target, policy) in [("aws", ".."), ("aws", "a/b"), ("", "shop"), (".palisade-committed", "shop"), ("aws", ".palisade-manifest")] {
                var tree = OutputTree()
                tree.claim(target: target, policy: policy)
                #expect(throws: OutputError.self, "\(target)/\(policy)") { try OutputWriter().write(tree, to: root + "/out") }
            }
            #expect(snapshot(root) == [:])
        }
    }
}
