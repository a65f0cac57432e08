import Backends
import Foundation
import Palisade
import TestSupport
import Testing

/// `palisade compile` and its output folder, one test per way it was seen to fail: a half-new,
/// half-old tree after an error in the rename phase, a mixed tree after a kill, temporaries left
/// behind, a `--check` fooled by canonically equivalent text, raw system errors, and `--out ""`.
/// (`scripts/conformance-atomic.sh` kills the real binary; `OutputWriterTests` fail every step.)
@Suite struct CompileOutputTests {
    static let v1 = """
        version: 1
        name: t
        workloads:
          web: {image: nginx:1.25, ports: [tcp/80]}
          db: {image: postgres:16, ports: [tcp/5432]}
        flows:
          - {from: web, to: db, ports: [tcp/5432]}
        """

    /// v1 and a workload more: every file of every target changes.
    static let v2 =
        v1.replacingOccurrences(of: "flows:", with: "  cache: {image: redis:7, ports: [tcp/6379]}\nflows:")
        + "\n  - {from: web, to: cache, ports: [tcp/6379]}\n"

    static let specs = InMemoryFileSystem(["v1.yaml": v1, "v2.yaml": v2])

    /// A team's own files next to the generated ones (as `targets/README.md` and `targets/aws/README.md`).
    static let foreign = ["README.md": "ours\n", "aws/README.md": "ours too\n"]

    func compile(_ spec: String, out: String, check: Bool = false, fileSystem: any OutputFileSystem = POSIXOutputFileSystem()) -> CommandOutput {
        Commands.compile(CompileRequest(specs: [spec], out: out, check: check), fileSystem: Self.specs, outputFileSystem: fileSystem)
    }

    /// Every file under `root` (hidden ones included) with its bytes, and every folder.
    func snapshot(_ root: String) -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        for case let entry as String in FileManager.default.enumerator(atPath: root)?.allObjects ?? [] {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + entry, isDirectory: &isDirectory)
            result[entry + (isDirectory.boolValue ? "/" : "")] =
                isDirectory.boolValue ? [] : Array((try? Data(contentsOf: URL(fileURLWithPath: root + "/" + entry))) ?? Data("<unreadable>".utf8))
        }
        return result
    }

    func withFolder(inMemory: Bool = false, _ body: (String) throws -> Void) throws {
        let memory = inMemory && FileManager.default.isWritableFile(atPath: "/dev/shm")
        let base = memory ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        let folder = base.appendingPathComponent("palisade-compile-out-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }

    func plant(_ files: [String: String], under root: String) throws {
        for (path, contents) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
        }
    }

    /// The state of `out` after writing v1 then (`both`) v2 over the foreign files.
    func states() throws -> (v1: [String: [UInt8]], v2: [String: [UInt8]]) {
        var v1: [String: [UInt8]] = [:]
        var v2: [String: [UInt8]] = [:]
        try withFolder(inMemory: true) { root in
            try plant(Self.foreign, under: root)
            #expect(compile("v1.yaml", out: root).exitStatus == .success)
            v1 = snapshot(root)
            #expect(compile("v2.yaml", out: root).exitStatus == .success)
            v2 = snapshot(root)
        }
        return (v1, v2)
    }

    // Row 1: "cannot move …stack.yaml.palisade-tmp-… to …stack.yaml: Is a directory", four targets already new.
    @Test func aFolderWhereAFileGoesLeavesEveryTargetAsItWas() throws {
        let (v1, v2) = try states()
        let generated = v1.keys.filter { !$0.hasSuffix("/") && !$0.hasSuffix("README.md") && !$0.hasSuffix(OutputManifest.fileName) }
        #expect(generated.count == 10)
        #expect(v1.keys.filter { $0.hasSuffix("/" + OutputManifest.fileName) }.count == 8, "a manifest per target")
        // nftables writes a file per workload: db's hosts do not talk to the new workload.
        for path in generated where path != "nftables/t/db.nft" { #expect(v1[path] != v2[path], "v2 changes \(path)") }
        try withFolder { out in
            try plant(Self.foreign, under: out)
            #expect(compile("v1.yaml", out: out).exitStatus == .success)
            try FileManager.default.removeItem(atPath: out + "/swarm/t/stack.yaml")
            try FileManager.default.createDirectory(atPath: out + "/swarm/t/stack.yaml", withIntermediateDirectories: false)
            let before = snapshot(out)

            let output = compile("v2.yaml", out: out)
            #expect(output.exitStatus == .usage)
            #expect(output.stderr.hasSuffix("error: cannot write \(out)/swarm/t/stack.yaml: is a directory\n"))
            #expect(!output.stderr.contains("wrote"))
            #expect(snapshot(out) == before, "every target keeps the old version")
        }
    }

    // Row 2: a compile killed during its renames left 121 old files and 19 new ones. Here the
    // process "dies" at every step in turn (nothing after it takes effect); the next run recovers.
    @Test func aCompileKilledAtAnyStepIsRecoveredToTheOldTreeOrTheNew() throws {
        let (v1, v2) = try states()
        var steps = 0
        try withFolder(inMemory: true) { out in
            try plant(Self.foreign, under: out)
            #expect(compile("v1.yaml", out: out).exitStatus == .success)
            let counting = KilledFileSystem(at: .max)
            #expect(compile("v2.yaml", out: out, fileSystem: counting).exitStatus == .success)
            steps = counting.steps
        }
        var outcomes = (old: 0, new: 0)
        for step in 1...steps {
            try withFolder(inMemory: true) { root in
                let out = root + "/out"
                try plant(v1.filter { !$0.key.hasSuffix("/") }.mapValues { String(decoding: $0, as: UTF8.self) }, under: out)
                let killed = compile("v2.yaml", out: out, fileSystem: KilledFileSystem(at: step))
                #expect(killed.exitStatus == .usage)
                #expect(!killed.stderr.contains("wrote"))
                // The next run on out, even a --check, recovers first.
                let check = compile("v2.yaml", out: out, check: true)
                let after = snapshot(out)
                #expect(after == v1 || after == v2, "killed at step \(step) of \(steps): recovered to neither tree")
                #expect(check.exitStatus == (after == v2 ? .success : .failure), "killed at step \(step): \(check.stderr)")
                if after == v2 { outcomes.new += 1 } else { outcomes.old += 1 }
            }
        }
        #expect(steps > 30)
        #expect(outcomes.old > 0 && outcomes.new > 0, "kills land before and after the commit")
    }

    // Row 3: up to 135 `*.palisade-tmp-PID` files and a `.dat.nosync…` file left by killed runs,
    // kept by the next compile and reported by --check as drift forever.
    @Test func temporariesOfKilledRunsAreRemovedByTheNextCompile() throws {
        try withFolder { out in
            #expect(compile("v1.yaml", out: out).exitStatus == .success)
            try plant(
                [
                    "swarm/t/stack.yaml.palisade-tmp-4242": "half",
                    "aws/t/security-groups.json.palisade-tmp-4242": "",
                    "mesos/t/.dat.nosync1f3e.Zq0x1B": "half",
                    ".palisade-staging/openshift/t/manifests.yaml": "half",
                ], under: out)
            #expect(compile("v1.yaml", out: out, check: true).exitStatus == .failure, "leftovers in the tree's folders are drift")
            let output = compile("v1.yaml", out: out)
            #expect(output.exitStatus == .success)
            let left = snapshot(out).keys.filter { ($0.contains(".palisade") && !$0.hasSuffix(OutputManifest.fileName)) || $0.contains(".dat.nosync") }
            #expect(left == [])
            let check = compile("v1.yaml", out: out, check: true)
            #expect(check.exitStatus == .success)
            #expect(check.stderr.hasSuffix("\(out): 10 files up to date\n"))
        }
    }

    // Row 4: `é` rewritten as `e` and a combining accent passed --check: Strings were compared.
    @Test func checkComparesBytes() throws {
        try withFolder { out in
            var tree = OutputTree()
            tree.add("swarm/t/stack.yaml", "# caf\u{E9}\nservices: {}\n")
            try tree.write(to: out)
            #expect(tree.differences(from: out) == [])
            let decomposed = "# cafe\u{301}\nservices: {}\n"
            #expect(decomposed == tree.files["swarm/t/stack.yaml"], "equal as Strings")
            try Data(decomposed.utf8).write(to: URL(fileURLWithPath: out + "/swarm/t/stack.yaml"))
            #expect(tree.differences(from: out) == ["swarm/t/stack.yaml"])
        }
    }

    // Row 5: `error: Error Domain=NSCocoaErrorDomain Code=512 "(null)"UserInfo={…}`.
    @Test func anOutputFolderThatIsAFileIsAnErrorInPalisadesWords() throws {
        try withFolder { root in
            try plant(["file": "x\n"], under: root)
            let output = compile("v1.yaml", out: root + "/file")
            #expect(output.exitStatus == .usage)
            #expect(output.stderr.hasSuffix("\nerror: cannot write \(root)/file: not a directory\n"))
            #expect(!output.stderr.contains("NSCocoaErrorDomain") && !output.stderr.contains("wrote"))
            let inside = compile("v1.yaml", out: root + "/file/out")
            #expect(inside.stderr.hasSuffix("\nerror: cannot create \(root)/file/out: not a directory\n"))
            let check = compile("v1.yaml", out: root + "/file", check: true)
            #expect(check.exitStatus == .usage)
            #expect(check.stderr.hasSuffix("\nerror: cannot read \(root)/file: not a directory\n"))
        }
    }

    @Test func anUnwritableOutputFolderIsAnErrorInPalisadesWords() throws {
        try withFolder { root in
            // Root passes every permission check: the refusal comes through the seam.
            let output = compile("v1.yaml", out: root + "/out", fileSystem: KilledFileSystem(at: 3, code: EACCES))
            #expect(output.exitStatus == .usage)
            #expect(output.stderr.hasSuffix("\nerror: cannot create \(root)/out: permission denied\n"))
            #expect(!FileManager.default.fileExists(atPath: root + "/out"))
        }
    }

    @Test(.enabled(if: geteuid() != 0, "root may write anywhere"))
    func aReadOnlyOutputFolderIsAnErrorInPalisadesWords() throws {
        try withFolder { root in
            let out = root + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
            chmod(out, 0o555)
            defer { chmod(out, 0o755) }
            let output = compile("v1.yaml", out: out)
            #expect(output.exitStatus == .usage)
            #expect(output.stderr.hasSuffix("\nerror: cannot write \(out): permission denied\n"))
            #expect(snapshot(out) == [:])
        }
    }

    @Test func theSummaryNamesTheFolderOnceWrittenAndOnlyThen() throws {
        try withFolder { root in
            let output = compile("v1.yaml", out: root + "/out/")
            #expect(output.exitStatus == .success)
            #expect(output.stderr.hasSuffix("\nwrote 10 files under \(root)/out/\n"))
            #expect(compile("v1.yaml", out: root + "/out//", check: true).stderr.hasSuffix("\n\(root)/out: 10 files up to date\n"))
        }
    }

    /// Large estates: compile stages each target's files as the target is emitted, so that no
    /// run holds every target's files at once; the tree left is the one a whole write leaves.
    @Test func filesStagedTargetByTargetLeaveTheTreeAWholeWriteLeaves() throws {
        try withFolder { root in
            try plant(Self.foreign, under: root + "/streamed")
            try plant(Self.foreign, under: root + "/whole")
            #expect(compile("v1.yaml", out: root + "/streamed").exitStatus == .success)
            #expect(compile("v2.yaml", out: root + "/streamed").exitStatus == .success)
            for spec in ["v1.yaml", "v2.yaml"] {
                var tree = Pipeline.compile(paths: [spec], fileSystem: Self.specs).tree
                tree.claim(target: "swarm", policy: "t")
                try OutputWriter().write(tree, to: root + "/whole")
            }
            #expect(!snapshot(root + "/streamed").isEmpty)
            #expect(snapshot(root + "/streamed") == snapshot(root + "/whole"))

            // With a staging folder, the result keeps the files' paths and none of their bytes.
            let staging = OutputWriter().staging(root + "/staged")
            let result = Pipeline.compile(paths: ["v1.yaml"], fileSystem: Self.specs, staging: staging)
            #expect(!result.tree.paths.isEmpty)
            #expect(result.tree.files.values.allSatisfy { $0.isEmpty })
            #expect(staging.paths == result.tree.paths)
            staging.abandon()
            #expect(!FileManager.default.fileExists(atPath: root + "/staged"))

            // So with a check: the files are compared as each target is emitted, and the result
            // keeps none of their bytes either.
            let clean = OutputWriter().checking(root + "/streamed")
            let checked = Pipeline.compile(paths: ["v2.yaml"], fileSystem: Self.specs, staging: clean)
            #expect(!checked.tree.paths.isEmpty && checked.tree.files.values.allSatisfy { $0.isEmpty })
            var claimed = checked.tree
            claimed.claim(target: "swarm", policy: "t")
            #expect(try clean.finish(claimed) == [])
            let edited = try #require(checked.tree.paths.first)
            try plant([edited: "edited by hand\n"], under: root + "/streamed")
            let dirty = OutputWriter().checking(root + "/streamed")
            _ = Pipeline.compile(paths: ["v2.yaml"], fileSystem: Self.specs, staging: dirty)
            #expect(try dirty.finish(claimed).map { "\($0.kind) \($0.path)" } == ["changed \(edited)"])
        }
    }

    @Test func aCompileThatFailsAfterItsTargetsWereStagedLeavesTheOldTree() throws {
        try withFolder { root in
            #expect(compile("v1.yaml", out: root).exitStatus == .success)
            let before = snapshot(root)
            // Swarm widens db → web on their shared network: --strict fails after every target was emitted.
            let failed = Commands.compile(CompileRequest(specs: ["v2.yaml"], out: root, strict: true), fileSystem: Self.specs)
            #expect(failed.exitStatus == .failure)
            #expect(failed.stderr.contains("error[gap]"))
            #expect(snapshot(root) == before, "nothing staged remains and nothing else changed")
            #expect(compile("v2.yaml", out: root).exitStatus == .success, "OUT was released")
        }
    }

    // Row 6: `--out ""` wrote into the current folder and said `wrote 7 files under /`.
    @Test func anEmptyOutputFolderIsAUsageError() {
        for check in [false, true] {
            let output = compile("v1.yaml", out: "", check: check)
            #expect(output.exitStatus == .usage)
            #expect(output.stderr == "error: --out is empty: name the folder to write to (default: out)\n")
            #expect(!FileManager.default.fileExists(atPath: "swarm/t/stack.yaml"))
        }
    }
}

/// The real file system until step N, where the process "dies": that call and every later one
/// fail and change nothing (`unlock` aside, as the kernel drops a dead process's locks).
final class KilledFileSystem: InterceptedOutputFileSystem, @unchecked Sendable {
    let real = POSIXOutputFileSystem()
    let killedAt: Int
    let code: Int32
    private let guarding = NSLock()
    private var count = 0

    init(at step: Int, code: Int32 = EIO) {
        killedAt = step
        self.code = code
    }

    var steps: Int { guarding.withLock { count } }

    func intercept(_ call: String, _ path: String) throws {
        let step = guarding.withLock {
            count += 1
            return count
        }
        if step >= killedAt { throw OutputFileSystemError(call: call, path: path, code: code) }
    }
}
