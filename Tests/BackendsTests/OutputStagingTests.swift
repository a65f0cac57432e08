import Backends
import Foundation
import TestSupport
import Testing
import YAML

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

    /// A file name with a control character is refused; one with characters beyond ASCII is
    /// a name like any other.
    @Test func controlCharactersAreRefusedAndOtherCharactersWritten() throws {
        try withTemporaryFolder { root in
            for bad in ["aws/shop/a\u{7}b.json", "aws/sh\nop/a.json", "aws/shop/a\u{7F}.json"] {
                let out = root + "/bad"
                var tree = OutputTree()
                tree.add(bad, "{}\n")
                #expect(failure { try OutputWriter().staging(out).stage(tree) } == "cannot write \(out)/\(bad): not a path inside the output folder")
                #expect(!FileManager.default.fileExists(atPath: out))
            }
            let out = root + "/good"
            var tree = OutputTree()
            for path in ["aws/café/règles.json", "aws/café/sous/dossier/a.json", "aws/café/sous/b.json", "aws/thé/c.json"] { tree.add(path, "{}\n") }
            let staging = OutputWriter().staging(out)
            try staging.stage(tree)
            _ = try staging.commit(OutputTree())
            for path in tree.paths { #expect(FileManager.default.fileExists(atPath: out + "/" + path)) }
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

    /// Holds every write of a path containing `held` until `release` is signalled, and tells
    /// `reached` when the first such write begins. `events` records, in order, each held write
    /// that completed (`wrote`) and each removal under the staging folder (`removed`).
    final class HeldFileSystem: InterceptedOutputFileSystem, @unchecked Sendable {
        let real = POSIXOutputFileSystem()
        let held: String
        let reached = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        private let guarding = NSLock()
        private var told = false
        private var recorded: [String] = []
        init(held: String) { self.held = held }
        var events: [String] { guarding.withLock { recorded } }

        func writeFile(_ path: String, text: ChunkedText) throws {
            try intercept("write", path)
            try real.writeFile(path, text: text)
            if path.contains(held) { guarding.withLock { recorded.append("wrote") } }
        }

        func intercept(_ call: String, _ path: String) throws {
            if call == "unlink" || call == "rmdir", path.contains(OutputWriter.stagingName) { guarding.withLock { recorded.append("removed") } }
            guard call == "write", path.contains(held) else { return }
            let first = guarding.withLock { () -> Bool in
                defer { told = true }
                return !told
            }
            if first { reached.signal() }
            // Bounded, so that a staging that serializes the writes fails the test instead of hanging it.
            _ = release.wait(timeout: .now() + 20)
            release.signal()
        }
    }

    /// A failure reported from another thread.
    final class Reported: @unchecked Sendable {
        private let guarding = NSLock()
        private var reported: String?
        func set(_ value: String?) { guarding.withLock { reported = value } }
        var value: String? { guarding.withLock { reported } }
    }

    @Test func aTargetWritingItsFilesDoesNotHoldUpTheStagingOfAnother() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            let fileSystem = HeldFileSystem(held: "/nftables/")
            let staging = OutputWriter(fileSystem: fileSystem).staging(out)
            var hosts = OutputTree()
            for index in 0..<20 { hosts.add("nftables/estate/host-\(index).nft", "table inet palisade {}\n") }
            var groups = OutputTree()
            groups.add("aws/estate/template.json", "{}\n")
            let slow = hosts
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                try? staging.stage(slow)
                done.signal()
            }
            #expect(fileSystem.reached.wait(timeout: .now() + 20) == .success)
            // nftables is writing (and held there): AWS stages its file meanwhile.
            let started = ContinuousClock.now
            try staging.stage(groups)
            let waited = ContinuousClock.now - started
            fileSystem.release.signal()
            #expect(done.wait(timeout: .now() + 20) == .success)
            #expect(waited < .seconds(10), "the second stage waited for the first one's writes")
            _ = try staging.commit()
            let files = snapshot(out)
            #expect(files["aws/estate/template.json"] == Array("{}\n".utf8))
            #expect(files.keys.filter { $0.hasPrefix("nftables/estate/host-") }.count == 20)
        }
    }

    @Test func aFailureWaitsForTheWritesUnderWayThenRemovesTheirFiles() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try OutputWriterTests.prepare(.manifests, out)
            let before = snapshot(out)
            let fileSystem = HeldFileSystem(held: "/nftables/")
            let staging = OutputWriter(fileSystem: fileSystem).staging(out)
            var hosts = OutputTree()
            for index in 0..<20 { hosts.add("nftables/estate/host-\(index).nft", "table inet palisade {}\n") }
            var escaping = OutputTree()
            escaping.add("aws/../../escape.json", "{}\n")
            let slow = hosts
            let result = Reported()
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                result.set(failure { try staging.stage(slow) })
                done.signal()
            }
            #expect(fileSystem.reached.wait(timeout: .now() + 20) == .success)
            // A bad path fails the staging while nftables writes; its writes finish, then the
            // staging folder goes and both calls report the failure.
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { fileSystem.release.signal() }
            let refused = failure { try staging.stage(escaping) }
            #expect(refused == "cannot write \(out)/aws/../../escape.json: not a path inside the output folder")
            #expect(done.wait(timeout: .now() + 20) == .success)
            #expect(result.value == refused)
            // Every held write completed before anything of the staging folder was removed.
            let events = fileSystem.events
            #expect(events.filter { $0 == "wrote" }.count == 20)
            #expect(events.lastIndex(of: "wrote").map { $0 < (events.firstIndex(of: "removed") ?? 0) } == true)
            #expect(snapshot(out) == before)
            #expect(Self.isUnlocked(out))
        }
    }
}
