import Backends
import Foundation
import TestSupport
import Testing
import YAML

#if canImport(Glibc)
    import Glibc
#endif

/// `OutputCheck`: a `--check` whose files are compared target by target as a compile emits them.
@Suite struct OutputCheckTests {
    /// The drift lines as the tests read them.
    static func lines(_ drift: [OutputDrift]) -> [String] { drift.map { "\($0.kind) \($0.path) \($0.onDisk.count) \($0.compiled.count)" } }

    /// The tree with the files' contents emptied, as compile hands it to `finish`.
    static func skeleton(_ tree: OutputTree) -> OutputTree {
        var skeleton = OutputTree()
        for path in tree.paths { skeleton.add(path, "") }
        for (target, policies) in tree.policies { for policy in policies { skeleton.claim(target: target, policy: policy) } }
        return skeleton
    }

    @Test(arguments: OutputWriterTests.Start.allCases)
    func checkedTargetByTargetTheDriftIsTheWholeTreesDrift(start: OutputWriterTests.Start) throws {
        try withTemporaryFolder(inMemory: true) { root in
            let out = root + "/out"
            try OutputWriterTests.prepare(start, out)
            // A stale temporary beside a file of the tree, and a file edited by hand.
            if start != .empty {
                try plant(["aws/shop/security-groups.json.palisade-tmp-4242": "half\n", "openshift/shop/quota.yaml": "edited\n"], under: out)
            }
            let before = snapshot(out)
            let whole = try OutputWriter().drift(OutputWriterTests.new, from: out)
            #expect(!whole.isEmpty)
            let check = OutputWriter().checking(out)
            for part in OutputStagingTests.parts {
                try check.stage(part)
                if start != .empty { #expect(!OutputStagingTests.isUnlocked(out), "OUT is locked from the first part to the end") }
            }
            let parts = try check.finish(Self.skeleton(OutputWriterTests.new))
            #expect(Self.lines(parts) == Self.lines(whole))
            #expect(parts == whole)
            #expect(OutputStagingTests.isUnlocked(out))
            #expect(snapshot(out) == before, "a check changes nothing")
            // Once the tree is written, nothing drifts.
            try OutputWriter().write(OutputWriterTests.new, to: out)
            let again = OutputWriter().checking(out)
            for part in OutputStagingTests.parts { try again.stage(part) }
            #expect(try again.finish(Self.skeleton(OutputWriterTests.new)) == [])
        }
    }

    @Test func filesNotStagedAreComparedByFinish() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try OutputWriterTests.prepare(.manifests, out)
            let check = OutputWriter().checking(out)
            try check.stage(OutputStagingTests.parts[0])
            #expect(try check.finish(OutputWriterTests.new) == OutputWriter().drift(OutputWriterTests.new, from: out))
        }
    }

    @Test func aFailureWhileComparingIsThrownByFinishAndReleasesTheFolder() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try OutputWriterTests.prepare(.manifests, out)
            let failing = OutputWriterTests.CallLog(failing: ["open"])
            let check = OutputWriter(fileSystem: failing).checking(out)
            #expect(failure { try check.stage(OutputStagingTests.parts[0]) } == "cannot read \(out)/aws/shop/security-groups.json: input/output error")
            #expect(OutputStagingTests.isUnlocked(out))
            // Every later call gives the same failure.
            #expect(failure { try check.stage(OutputStagingTests.parts[1]) } == "cannot read \(out)/aws/shop/security-groups.json: input/output error")
            #expect(failure { _ = try check.finish() } == "cannot read \(out)/aws/shop/security-groups.json: input/output error")
        }
    }

    @Test func abandoningReleasesTheFolder() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try OutputWriterTests.prepare(.manifests, out)
            let check = OutputWriter().checking(out)
            try check.stage(OutputStagingTests.parts[0])
            #expect(!OutputStagingTests.isUnlocked(out))
            check.abandon()
            #expect(OutputStagingTests.isUnlocked(out))
            #expect(failure { _ = try check.finish() } == "cannot read \(out): the check was abandoned")
        }
    }

    /// The comparison reads the file piece by piece: a change in its last byte, a file one byte
    /// longer, a folder or a pipe in its place.
    @Test func theSystemFileSystemComparesEveryByteAndWaitsOnNoPipe() throws {
        try withTemporaryFolder { root in
            let files = POSIXOutputFileSystem()
            let text = OutputReuseTests.large()
            let path = root + "/large.yaml"
            try files.writeFile(path, text: text)
            #expect(try files.fileHolds(path, text))
            #expect(try !files.fileHolds(path, OutputReuseTests.large(last: "!")))
            var longer = text
            longer.append("x")
            #expect(try !files.fileHolds(path, longer))
            #expect(try files.fileHolds(path, text), "the same file again, from its start")
            try FileManager.default.createDirectory(atPath: root + "/t/p/folder", withIntermediateDirectories: true)
            #expect(throws: OutputFileSystemError.self) { try files.fileHolds(root + "/t/p/folder", "") }
            #expect(mkfifo(root + "/t/p/pipe", 0o644) == 0)
            #expect(try !files.fileHolds(root + "/t/p/pipe", "text\n"))
            // Through the writer: a folder where a file goes is missing; a pipe is changed, read without waiting.
            var tree = OutputTree()
            tree.add("t/p/folder", "text\n")
            tree.add("t/p/pipe", "text\n")
            #expect(
                try Self.lines(OutputWriter().drift(tree, from: root)) == [
                    "missing t/.palisade-manifest 0 0", "missing t/p/folder 0 0", "changed t/p/pipe 0 5",
                ])
        }
    }
}
