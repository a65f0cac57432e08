import Backends
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `OutputStaging`: a tree written target by target as a compile emits it.
@Suite struct OutputStagingTests {
    /// `OutputWriterTests.new`, split by target folder.
    static var parts: [OutputTree] {
        var byTarget: [String: OutputTree] = [:]
        for path in OutputWriterTests.new.paths {
            let target = String(path.split(separator: "/")[0])
            byTarget[target, default: OutputTree()].add(path, OutputWriterTests.new.files[path] ?? "")
        }
        return byTarget.keys.sorted().compactMap { byTarget[$0] }
    }

    /// Whether another process could lock `folder` now (`flock` without waiting).
    static func isUnlocked(_ folder: String) -> Bool {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { return true }
        defer { close(descriptor) }
        return flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    @Test(arguments: OutputWriterTests.Start.allCases)
    func stagedTargetByTargetTheTreeIsTheOneAWholeWriteLeaves(start: OutputWriterTests.Start) throws {
        let expected = try OutputWriterTests.expectedStates(start)
        try withTemporaryFolder(inMemory: true) { root in
            let out = root + "/out"
            try OutputWriterTests.prepare(start, out)
            let staging = OutputWriter().staging(out)
            for part in Self.parts {
                try staging.stage(part)
                // Nothing outside the staging folder changes before the commit.
                #expect(snapshot(out).filter { !$0.key.hasPrefix(OutputWriter.stagingName) } == expected.old)
            }
            #expect(staging.paths == OutputWriterTests.new.paths)
            // The commit is given the tree with the staged files' contents emptied, as compile does.
            var skeleton = OutputTree()
            for path in OutputWriterTests.new.paths { skeleton.add(path, "") }
            for (target, policies) in OutputWriterTests.new.policies { for policy in policies { skeleton.claim(target: target, policy: policy) } }
            _ = try staging.commit(skeleton)
            #expect(snapshot(out) == expected.new)
            #expect(Self.isUnlocked(out))
        }
    }

    @Test func abandoningLeavesTheOldTreeAndReleasesTheFolder() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try OutputWriterTests.prepare(.manifests, out)
            let before = snapshot(out)
            let staging = OutputWriter().staging(out)
            try staging.stage(Self.parts[0])
            #expect(!Self.isUnlocked(out), "OUT is locked while files are staged")
            staging.abandon()
            #expect(snapshot(out) == before)
            #expect(Self.isUnlocked(out))
            #expect(failure { _ = try staging.commit() } == "cannot write \(out): the write was abandoned")
        }
    }

    @Test func anOutputFolderNeverCreatedIsRemovedWhenTheWriteIsAbandoned() throws {
        try withTemporaryFolder { root in
            let out = root + "/new/out"
            let staging = OutputWriter().staging(out)
            try staging.stage(Self.parts[0])
            #expect(FileManager.default.fileExists(atPath: out + "/" + OutputWriter.stagingName))
            staging.abandon()
            #expect(!FileManager.default.fileExists(atPath: root + "/new"))
        }
    }

    @Test func aFailureWhileStagingIsThrownAgainByTheCommitAndLeavesTheOldTree() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try OutputWriterTests.prepare(.manifests, out)
            let before = snapshot(out)
            // The second file written fails: the disk is full from then on.
            let full = FailingFileSystem(failAt: 2, mode: .fromThenOn, code: ENOSPC, onlyWrites: true)
            let staging = OutputWriter(fileSystem: full).staging(out)
            let parts = Self.parts
            let first = failure { try staging.stage(parts[0]) }
            let firstPaths = parts[0].paths
            #expect(first == "cannot write \(out)/\(firstPaths[1]): no space left on device")
            #expect(failure { try staging.stage(parts[1]) } == first)
            #expect(failure { _ = try staging.commit(OutputWriterTests.new) } == first)
            #expect(snapshot(out) == before)
            #expect(Self.isUnlocked(out))
        }
    }

    @Test func aPathOutsideTheOutputFolderIsRefusedBeforeTheFolderIsCreated() {
        withTemporaryFolder { root in
            let out = root + "/out"
            var tree = OutputTree()
            tree.add("aws/../../escape.json", "{}\n")
            let staging = OutputWriter().staging(out)
            #expect(failure { try staging.stage(tree) } == "cannot write \(out)/aws/../../escape.json: not a path inside the output folder")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test func stagesFromSeveralThreadsAtOnceMakeOneTree() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            let staging = OutputWriter().staging(out)
            var parts: [OutputTree] = []
            for target in ["aws", "azure", "gcp", "nftables", "openshift", "swarm"] {
                var tree = OutputTree()
                for index in 0..<50 { tree.add("\(target)/estate/file-\(index).txt", "\(target) \(index)\n") }
                parts.append(tree)
            }
            let trees = parts
            DispatchQueue.concurrentPerform(iterations: trees.count) { index in try? staging.stage(trees[index]) }
            _ = try staging.commit()
            let files = snapshot(out).filter { $0.key.hasSuffix(".txt") }
            #expect(files.count == 300)
            #expect(files["gcp/estate/file-7.txt"] == Array("gcp 7\n".utf8))
        }
    }
}
