import Backends
import Foundation
import IR
import Palisade
import Reports
import TestSupport
import Testing

/// What a compile leaves when its output shrinks, and what `--check` says about it: the files a
/// compiled policy no longer writes are removed (its target's manifest lists them), a team's
/// own files and the files of other policies and targets are not, and `--check` names each
/// drifted path with its kind and shows a unified diff of each changed file.
@Suite struct StaleOutputTests {
    /// A chain of `count` workloads: past 200, AWS needs numbered templates.
    static func chain(_ count: Int) -> String {
        var text = "version: 1\nname: chain\nworkloads:\n"
        for index in 0..<count { text += "  w\(index): {image: nginx:1.25, ports: [tcp/80]}\n" }
        text += "flows:\n"
        for index in 0..<(count - 1) { text += "  - {from: w\(index), to: w\(index + 1), ports: [tcp/80]}\n" }
        return text
    }

    static let specs = InMemoryFileSystem([
        "big.yaml": chain(210),
        "small.yaml": chain(3),
        "other.yaml": CompileOutputTests.v1.replacingOccurrences(of: "name: t", with: "name: other"),
        "v1.yaml": CompileOutputTests.v1,
        "v2.yaml": CompileOutputTests.v2,
    ])

    let folders = CompileOutputTests()

    func compile(
        _ specs: [String], out: String, targets: [TargetName]? = nil, check: Bool = false, quiet: Bool = false,
        fileSystem: any OutputFileSystem = POSIXOutputFileSystem()
    ) -> CommandOutput {
        let request = CompileRequest(specs: specs, targets: targets.map { TargetList($0) }, out: out, check: check, quiet: quiet)
        return Commands.compile(request, fileSystem: Self.specs, outputFileSystem: fileSystem)
    }

    /// The files (not folders) under `root`.
    func files(_ root: String) -> [String: [UInt8]] { folders.snapshot(root).filter { !$0.key.hasSuffix("/") } }

    func manifest(_ root: String, _ target: String) throws -> [String] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: root + "/" + target + "/" + OutputManifest.fileName))
        return try OutputManifest.parse(Array(bytes)).paths.sorted()
    }

    @Test func aSplitTemplateThatShrinksIsRemovedAndTheTeamsFileKept() throws {
        try folders.withFolder { out in
            #expect(compile(["big.yaml"], out: out, targets: [.aws]).exitStatus == .success)
            let templates = ["security-groups-2.json", "security-groups-3.json", "security-groups.json"]
            #expect(try manifest(out, "aws") == templates.map { "chain/" + $0 })
            try folders.plant(["aws/chain/NOTES.md": "ours\n", "aws/README.md": "ours too\n"], under: out)

            let check = compile(["small.yaml"], out: out, targets: [.aws], check: true, quiet: true)
            #expect(check.exitStatus == .failure)
            let drift = check.stderr.split(separator: "\n").filter { $0.hasPrefix("drift:") }
            #expect(
                drift == [
                    "drift: changed \(out)/aws/.palisade-manifest",
                    "drift: stale \(out)/aws/chain/security-groups-2.json",
                    "drift: stale \(out)/aws/chain/security-groups-3.json",
                    "drift: changed \(out)/aws/chain/security-groups.json",
                ])

            let output = compile(["small.yaml"], out: out, targets: [.aws])
            #expect(output.exitStatus == .success)
            #expect(
                output.stderr.hasSuffix(
                    """
                    removed \(out)/aws/chain/security-groups-2.json (no longer compiled)
                    removed \(out)/aws/chain/security-groups-3.json (no longer compiled)
                    wrote 1 file under \(out)/

                    """))
            #expect(files(out).keys.sorted() == ["aws/.palisade-manifest", "aws/README.md", "aws/chain/NOTES.md", "aws/chain/security-groups.json"])
            #expect(try manifest(out, "aws") == ["chain/security-groups.json"])
            let upToDate = compile(["small.yaml"], out: out, targets: [.aws], check: true)
            #expect(upToDate.exitStatus == .success, "\(upToDate.stderr)")
            #expect(upToDate.stderr.hasSuffix("\(out): 1 file up to date\n"))
        }
    }

    @Test func compilingOneTargetLeavesTheOtherTargetsFiles() throws {
        try folders.withFolder { out in
            #expect(compile(["v1.yaml"], out: out).exitStatus == .success)
            let before = files(out)
            #expect(compile(["v2.yaml"], out: out, targets: [.aws]).exitStatus == .success)
            let after = files(out)
            #expect(after.keys.sorted() == before.keys.sorted())
            for (path, bytes) in after {
                if path.hasPrefix("aws/t/") {
                    #expect(bytes != before[path], "\(path) is recompiled")
                } else {
                    #expect(bytes == before[path], "\(path) is another target's")
                }
            }
            #expect(compile(["v1.yaml"], out: out, targets: [.openshift, .swarm, .mesos, .gcp, .azure], check: true).exitStatus == .success)
            #expect(compile(["v2.yaml"], out: out, targets: [.aws], check: true).exitStatus == .success)
        }
    }

    @Test func compilingOnePolicyLeavesTheOtherPoliciesFiles() throws {
        try folders.withFolder { out in
            #expect(compile(["big.yaml", "other.yaml"], out: out, targets: [.aws, .swarm]).exitStatus == .success)
            let before = files(out)
            let listed = try manifest(out, "aws")
            #expect(listed.count == 4)
            // Only the chain, smaller: its numbered templates go; the other policy's files stay.
            #expect(compile(["small.yaml"], out: out, targets: [.aws, .swarm]).exitStatus == .success)
            let after = files(out)
            for path in before.keys where path.contains("/other/") { #expect(after[path] == before[path], "\(path)") }
            #expect(after["aws/chain/security-groups-2.json"] == nil && after["aws/chain/security-groups-3.json"] == nil)
            #expect(try manifest(out, "aws") == ["chain/security-groups.json", "other/security-groups.json"])
            #expect(try manifest(out, "swarm") == ["chain/stack.yaml", "other/stack.yaml"])
            #expect(compile(["small.yaml", "other.yaml"], out: out, targets: [.aws, .swarm], check: true).exitStatus == .success)
        }
    }

    @Test func checkNamesEachKindAndShowsAUnifiedDiff() throws {
        try folders.withFolder { out in
            #expect(compile(["v1.yaml"], out: out, targets: [.aws, .openshift, .swarm]).exitStatus == .success)
            // Changed: one line of the stack file; missing: the OpenShift file; stale: a template the manifest lists.
            let stackPath = out + "/swarm/t/stack.yaml"
            let compiled = try String(contentsOfFile: stackPath, encoding: .utf8)
            var lines = compiled.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.last == "" && lines.count > 12)
            lines.removeLast()
            let edited = 6  // 0-based: the seventh line
            var onDisk = lines
            onDisk[edited] = "# edited by hand"
            try Data((onDisk.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: stackPath))
            try FileManager.default.removeItem(atPath: out + "/openshift/t/manifests.yaml")
            let manifestPath = out + "/aws/" + OutputManifest.fileName
            let manifestBefore = try String(contentsOfFile: manifestPath, encoding: .utf8)
            try Data((manifestBefore + "t/security-groups-2.json\n").utf8).write(to: URL(fileURLWithPath: manifestPath))
            try folders.plant(["aws/t/security-groups-2.json": "{}\n"], under: out)

            let check = compile(["v1.yaml"], out: out, targets: [.aws, .openshift, .swarm], check: true)
            #expect(check.exitStatus == .failure)
            let manifestLines = manifestBefore.split(separator: "\n").map(String.init)
            let stackDiff =
                [
                    "drift: changed \(out)/swarm/t/stack.yaml",
                    "--- \(out)/swarm/t/stack.yaml (on disk)",
                    "+++ \(out)/swarm/t/stack.yaml (as compiled)",
                    "@@ -4,7 +4,7 @@",
                ] + lines[3..<6].map { " " + $0 } + ["-# edited by hand", "+" + lines[edited]] + lines[7..<10].map { " " + $0 }
            let expected =
                [
                    "drift: changed \(out)/aws/.palisade-manifest",
                    "--- \(out)/aws/.palisade-manifest (on disk)",
                    "+++ \(out)/aws/.palisade-manifest (as compiled)",
                    "@@ -\(manifestLines.count - 2),4 +\(manifestLines.count - 2),3 @@",
                ] + manifestLines.suffix(3).map { " " + $0 } + [
                    "-t/security-groups-2.json",
                    "drift: stale \(out)/aws/t/security-groups-2.json",
                    "drift: missing \(out)/openshift/t/manifests.yaml",
                ] + stackDiff
            let printed = check.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let first = try #require(printed.firstIndex { $0.hasPrefix("drift:") })
            #expect(Array(printed[first...].dropLast()) == expected)

            let quiet = compile(["v1.yaml"], out: out, targets: [.aws, .openshift, .swarm], check: true, quiet: true)
            #expect(quiet.exitStatus == .failure)
            #expect(quiet.stderr == expected.filter { $0.hasPrefix("drift:") }.joined(separator: "\n") + "\n")
            #expect(!quiet.stderr.contains("@@") && !quiet.stderr.contains("(on disk)"))
            #expect(files(out)["aws/t/security-groups-2.json"] != nil, "--check removes nothing")

            // The next compile puts it all right.
            #expect(compile(["v1.yaml"], out: out, targets: [.aws, .openshift, .swarm]).exitStatus == .success)
            #expect(compile(["v1.yaml"], out: out, targets: [.aws, .openshift, .swarm], check: true).exitStatus == .success)
            #expect(files(out)["aws/t/security-groups-2.json"] == nil)
        }
    }

    @Test func quietGoesWithCheckAndNotWithGaps() {
        let output = compile(["v1.yaml"], out: "unused", quiet: true)
        #expect(output.exitStatus == .usage)
        #expect(output.stderr == "error: --quiet goes with --check (it prints only the drift lines)\n")
        let gaps = Commands.compile(CompileRequest(specs: ["v1.yaml"], out: "unused", check: true, gaps: true, quiet: true), fileSystem: Self.specs)
        #expect(gaps.exitStatus == .usage)
        #expect(gaps.stderr == "error: --quiet prints only the drift lines; --gaps asks for every gap: choose one\n")
        #expect(!FileManager.default.fileExists(atPath: "unused"))
    }

    @Test func quietPrintsNothingButTheDriftLines() throws {
        try folders.withFolder { out in
            #expect(compile(["v1.yaml"], out: out).exitStatus == .success)
            let clean = compile(["v1.yaml"], out: out, check: true, quiet: true)
            #expect(clean.exitStatus == .success)
            #expect(clean.stderr == "", "no summary, no 'up to date'")
            try FileManager.default.removeItem(atPath: out + "/gcp/t/firewall-rules.json")
            let drifted = compile(["v1.yaml"], out: out, check: true, quiet: true)
            #expect(drifted.exitStatus == .failure)
            #expect(drifted.stderr == "drift: missing \(out)/gcp/t/firewall-rules.json\n")
            // Without --quiet the summaries come first, as in a compile.
            #expect(compile(["v1.yaml"], out: out, check: true).stderr.hasPrefix("v1.yaml: policy 't'"))
        }
    }

    // A compile whose tree removes files, killed at every step: the next run (a --check)
    // recovers the old tree or the new one, never a half-removed one.
    @Test func aCompileKilledWhileRemovingIsRecoveredToTheOldTreeOrTheNew() throws {
        var old: [String: [UInt8]] = [:]
        var new: [String: [UInt8]] = [:]
        var steps = 0
        try folders.withFolder(inMemory: true) { out in
            try folders.plant(["README.md": "ours\n", "aws/chain/NOTES.md": "ours too\n"], under: out)
            #expect(compile(["big.yaml", "other.yaml"], out: out, targets: [.aws]).exitStatus == .success)
            old = files(out)
            let counting = KilledFileSystem(at: .max)
            #expect(compile(["small.yaml"], out: out, targets: [.aws], fileSystem: counting).exitStatus == .success)
            steps = counting.steps
            new = files(out)
        }
        #expect(old["aws/chain/security-groups-3.json"] != nil && new["aws/chain/security-groups-3.json"] == nil)
        #expect(steps > 30)
        var outcomes = (old: 0, new: 0)
        for step in 1...steps {
            try folders.withFolder(inMemory: true) { root in
                let out = root + "/out"
                try folders.plant(old.mapValues { String(decoding: $0, as: UTF8.self) }, under: out)
                let killed = compile(["small.yaml"], out: out, targets: [.aws], fileSystem: KilledFileSystem(at: step))
                #expect(killed.exitStatus == .usage)
                #expect(!killed.stderr.contains("removed") && !killed.stderr.contains("wrote"))
                let check = compile(["small.yaml"], out: out, targets: [.aws], check: true)
                let after = files(out)
                #expect(after == old || after == new, "killed at step \(step) of \(steps): recovered to neither tree")
                #expect(folders.snapshot(out).keys.filter { $0.hasPrefix(".palisade") } == [], "killed at step \(step)")
                #expect(check.exitStatus == (after == new ? .success : .failure), "killed at step \(step): \(check.stderr)")
                if after == new { outcomes.new += 1 } else { outcomes.old += 1 }
            }
        }
        #expect(outcomes.old > 0 && outcomes.new > 0, "kills land before and after the commit")
    }
}

/// The unified diff `--check` prints under a changed file.
@Suite struct UnifiedDiffReportTests {
    func text(_ lines: [String]) -> [UInt8] { Array(lines.map { $0 + "\n" }.joined().utf8) }

    @Test func headersHunksAndContextAsGNUDiffWritesThem() {
        let old = text((1...10).map { "line \($0)" })
        var newLines = (1...10).map { "line \($0)" }
        newLines[0] = "first"
        newLines.insert("inserted", at: 9)
        let diff = CompileReport.unifiedDiff(from: old, to: text(newLines), path: "out/swarm/t/stack.yaml")
        #expect(
            diff == """
                --- out/swarm/t/stack.yaml (on disk)
                +++ out/swarm/t/stack.yaml (as compiled)
                @@ -1,4 +1,4 @@
                -line 1
                +first
                 line 2
                 line 3
                 line 4
                @@ -7,4 +7,5 @@
                 line 7
                 line 8
                 line 9
                +inserted
                 line 10

                """)
    }

    @Test func aSingleLineRangeHasNoCountAndAMissingNewlineIsSaid() {
        let diff = CompileReport.unifiedDiff(from: Array("a\n".utf8), to: Array("b".utf8), path: "p")
        #expect(
            diff == """
                --- p (on disk)
                +++ p (as compiled)
                @@ -1 +1 @@
                -a
                +b
                \\ No newline at end of file

                """)
        let empty = CompileReport.unifiedDiff(from: [], to: Array("a\nb\n".utf8), path: "p")
        #expect(empty.hasSuffix("@@ -0,0 +1,2 @@\n+a\n+b\n"))
    }

    @Test func aLongDiffIsCutAndSaysSo() {
        let old = text((0..<300).map { "old \($0)" })
        let new = text((0..<300).map { "new \($0)" })
        let diff = CompileReport.unifiedDiff(from: old, to: new, path: "p", maxLines: 50)
        let lines = diff.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 + 50 + 1)
        #expect(lines.last == "(diff cut after 50 of 601 lines)")
        #expect(!diff.contains("too many lines"))
        // The bounded search gave up on a line-by-line match, and says so too.
        let huge = CompileReport.unifiedDiff(from: text((0..<3000).map { "old \($0)" }), to: text((0..<3000).map { "new \($0)" }), path: "p", maxLines: 5)
        #expect(huge.contains("\n(too many lines differ for a line-by-line diff: the differing part is shown removed, then added)\n"))
        let drift = OutputDrift(.changed, "aws/x.json", onDisk: old, compiled: new)
        #expect(CompileReport.drift(drift, out: "out", quiet: true) == "drift: changed out/aws/x.json\n")
        #expect(CompileReport.drift(drift, out: "out").hasPrefix("drift: changed out/aws/x.json\n--- out/aws/x.json (on disk)\n"))
        #expect(CompileReport.drift(OutputDrift(.stale, "aws/t/x-2.json"), out: "out") == "drift: stale out/aws/t/x-2.json\n")
    }
}
