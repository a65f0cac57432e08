import Backends
import Foundation
import Testing

/// A file system that fails at step N (every call counts as one step, `unlock` aside), either
/// once (a transient error) or from then on (a full disk, or the process killed at that step:
/// nothing after it has any effect). The failing write leaves half the file, as a full disk does.
final class FailingFileSystem: OutputFileSystem, @unchecked Sendable {
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

    private func check(_ call: String, _ path: String) throws {
        if step() != .fine { throw OutputFileSystemError(call: call, path: path, code: code) }
    }

    func status(_ path: String, followingLinks: Bool) throws -> FileStatus {
        try check("stat", path)
        return try real.status(path, followingLinks: followingLinks)
    }

    func checkWritable(_ directory: String) throws {
        try check("access", directory)
        try real.checkWritable(directory)
    }

    func makeDirectory(_ path: String) throws {
        try check("mkdir", path)
        try real.makeDirectory(path)
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

    func readFile(_ path: String) throws -> [UInt8] {
        try check("open", path)
        return try real.readFile(path)
    }

    func rename(_ from: String, _ to: String) throws {
        try check("rename", to)
        try real.rename(from, to)
    }

    func removeFile(_ path: String) throws {
        try check("unlink", path)
        try real.removeFile(path)
    }

    func removeDirectory(_ path: String) throws {
        try check("rmdir", path)
        try real.removeDirectory(path)
    }

    func entries(_ directory: String) throws -> [String] {
        try check("opendir", directory)
        return try real.entries(directory)
    }

    func syncDirectory(_ path: String) throws {
        try check("fsync", path)
        try real.syncDirectory(path)
    }

    func lock(_ directory: String) throws -> Int32 {
        try check("flock", directory)
        return try real.lock(directory)
    }

    func unlock(_ token: Int32) { real.unlock(token) }
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
    /// The previous run's files, one of them for a policy the new tree no longer has.
    static let old = [
        "aws/shop/security-groups.json": "{\"old\": true}\n",
        "swarm/shop/stack.yaml": "old: 1\n",
        "openshift/shop/network.yaml": "old: network\n",
        "swarm/legacy/stack.yaml": "legacy: 1\n",
    ]

    /// A team's own files next to the generated ones: never touched.
    static let foreign = [
        "NOTES.md": "ours\n",
        "aws/README": "ours too\n",
    ]

    /// Every old path with new bytes, a new file in an existing folder, a new policy folder
    /// in an existing target and a new target folder.
    static let new: OutputTree = {
        var tree = OutputTree()
        tree.add("aws/shop/security-groups.json", "{\"new\": true}\n")
        tree.add("aws/web/security-groups.json", "{\"web\": true}\n")
        tree.add("swarm/shop/stack.yaml", "new: caf\u{E9}\n")
        tree.add("openshift/shop/network.yaml", "new: network\n")
        tree.add("openshift/shop/rbac.yaml", "new: rbac\n")
        tree.add("gcp/shop/firewall-rules.json", "[]\n")
        return tree
    }()

    /// The snapshots of the old state and of the new one (written by a healthy writer).
    static func expectedStates(startingEmpty: Bool) throws -> (old: [String: [UInt8]], new: [String: [UInt8]]) {
        var states: [[String: [UInt8]]] = []
        for write in [false, true] {
            try withTemporaryFolder(inMemory: true) { root in
                let out = root + "/out"
                if !startingEmpty { try plant(Self.old.merging(Self.foreign) { $1 }, under: out) }
                if write { try OutputWriter().write(Self.new, to: out) }
                states.append(snapshot(out))
            }
        }
        return (states[0], states[1])
    }

    /// The number of steps of a whole write that fails nowhere.
    static func stepCount(startingEmpty: Bool) throws -> Int {
        let counting = FailingFileSystem()
        try withTemporaryFolder(inMemory: true) { root in
            if !startingEmpty { try plant(Self.old.merging(Self.foreign) { $1 }, under: root + "/out") }
            try OutputWriter(fileSystem: counting).write(Self.new, to: root + "/out")
        }
        return counting.steps
    }

    @Test func aHealthyWriteReplacesOnlyTheTreesPathsAndLeavesNoTemporaries() throws {
        let (_, new) = try Self.expectedStates(startingEmpty: false)
        #expect(new["NOTES.md"] == Array("ours\n".utf8))
        #expect(new["aws/README"] == Array("ours too\n".utf8))
        #expect(new["swarm/legacy/stack.yaml"] == Array("legacy: 1\n".utf8))
        for path in Self.new.paths { #expect(new[path] == Self.new.bytes(path)) }
        #expect(new.keys.filter { $0.contains(".palisade") || $0.contains(".dat.nosync") } == [])
    }

    @Test(arguments: [FailingFileSystem.Mode.once, .fromThenOn], [false, true])
    func aFailureAtEveryStepLeavesTheOldTreeOrTheNew(mode: FailingFileSystem.Mode, startingEmpty: Bool) throws {
        let states = try Self.expectedStates(startingEmpty: startingEmpty)
        let steps = try Self.stepCount(startingEmpty: startingEmpty)
        #expect(steps > 20)
        var outcomes = (old: 0, new: 0)
        for failAt in 1...(steps + 1) {
            try withTemporaryFolder(inMemory: true) { root in
                let out = root + "/out"
                if !startingEmpty { try plant(Self.old.merging(Self.foreign) { $1 }, under: out) }
                let failing = FailingFileSystem(failAt: failAt, mode: mode)
                var failure: (any Error)?
                do { try OutputWriter(fileSystem: failing).write(Self.new, to: out) } catch { failure = error }
                let after = snapshot(out)
                let place = "failing at step \(failAt) of \(steps) \(mode)"
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
            try plant(Self.old.merging(Self.foreign) { $1 }, under: out)
            let before = snapshot(out)
            let full = FailingFileSystem(failAt: 3, mode: .fromThenOn, code: ENOSPC, onlyWrites: true)
            // The third file in path order: half of it is written, then the disk is full.
            #expect(
                failure { try OutputWriter(fileSystem: full).write(Self.new, to: out) }
                    == "cannot write \(out)/gcp/shop/firewall-rules.json: no space left on device")
            #expect(snapshot(out) == before)
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
            // The first access check is the one on out/aws/shop.
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
                func lock(_ directory: String) throws -> Int32 { try real.lock(directory) }
                func unlock(_ token: Int32) { real.unlock(token) }
            }
            #expect(failure { try OutputWriter(fileSystem: Denying()).write(Self.new, to: out) } == "cannot write \(out)/aws/shop: permission denied")
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

    @Test func differencesCompareBytesNotCanonicallyEquivalentStrings() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try OutputWriter().write(Self.new, to: out)
            #expect(try OutputWriter().differences(Self.new, from: out) == [])
            // "café" with a combining accent: the same String to Swift's ==, other bytes on disk.
            try Data("new: cafe\u{301}\n".utf8).write(to: URL(fileURLWithPath: out + "/swarm/shop/stack.yaml"))
            #expect("new: cafe\u{301}\n" == Self.new.files["swarm/shop/stack.yaml"])
            #expect(try OutputWriter().differences(Self.new, from: out) == ["swarm/shop/stack.yaml"])
            #expect(Self.new.differences(from: out) == ["swarm/shop/stack.yaml"])
        }
    }

    @Test func differencesListMissingAndExtraFilesAndRecoverFirst() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            #expect(try OutputWriter().differences(Self.new, from: out) == Self.new.paths)
            try OutputWriter().write(Self.new, to: out)
            try plant(["openshift/shop/extra.yaml": "x\n"], under: out)
            try FileManager.default.removeItem(atPath: out + "/gcp/shop/firewall-rules.json")
            #expect(try OutputWriter().differences(Self.new, from: out) == ["gcp/shop/firewall-rules.json", "openshift/shop/extra.yaml"])

            // A committed tree an interrupted run left is put in place before comparing.
            try FileManager.default.removeItem(atPath: out + "/openshift/shop/extra.yaml")
            try plant([OutputWriter.committedName + "/gcp/shop/firewall-rules.json": "[]\n"], under: out)
            #expect(try OutputWriter().differences(Self.new, from: out) == [])
            #expect(!FileManager.default.fileExists(atPath: out + "/" + OutputWriter.committedName))

            try plant(["file": "x\n"], under: root)
            #expect(failure { _ = try OutputWriter().differences(Self.new, from: root + "/file") } == "cannot read \(root)/file: not a directory")
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
            #expect(try OutputWriter().differences(Self.new, from: out) == [])
        }
    }

    @Test func pathsOutsideTheOutputFolderAreRefused() {
        withTemporaryFolder { root in
            for path in ["../escape.yaml", "aws//x.json", "/etc/x", ".palisade-staging/x"] {
                var tree = OutputTree()
                tree.add(path, "x\n")
                #expect(throws: OutputError.self, "\(path)") { try OutputWriter().write(tree, to: root + "/out") }
            }
            #expect(snapshot(root) == [:])
        }
    }
}
