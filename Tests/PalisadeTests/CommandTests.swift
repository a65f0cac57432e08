import Foundation
import IR
import Palisade
import TestSupport
import Testing

/// The decisions the command line leaves to the library: exit statuses, strictness, drift,
/// target lists, usage errors. Each command is called as `palisade` calls it.
@Suite struct CommandTests {
    /// The spec of `FidelityTests`: its deny expectation fails on Swarm.
    static let good = FidelityTests.spec.replacingOccurrences(of: "ports: [tcp/80]}}", with: "ports: [tcp/80]}, targets: [openshift]}")

    static let files = InMemoryFileSystem([
        "good.yaml": good,
        "strict.yaml": good + "\nfidelity: strict\n",
        "bad.yaml": "version: 1\nname: bad\nworkloads: {a: {image: BAD}}\n",
        "again.yaml": good,
    ])

    /// A fresh folder under the temporary directory, removed by `body`'s caller.
    func withFolder(_ body: (String) throws -> Void) rethrows {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-commands-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }

    // MARK: compile

    @Test func aSpecWithErrorsExitsOneAndWritesNothing() {
        withFolder { out in
            let output = Commands.compile(CompileRequest(specs: ["bad.yaml"], out: out), fileSystem: Self.files)
            #expect(output.exitStatus == .failure)
            #expect(output.stderr.contains("bad.yaml:3:24: error[E601]"))
            #expect(output.stderr.hasSuffix("1 error generated\n"))
            #expect(output.stdout.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test func anUnreadableSpecExitsTwo() {
        let output = Commands.compile(CompileRequest(specs: ["missing.yaml"]), fileSystem: Self.files)
        #expect(output.exitStatus == .usage)
        #expect(output.stderr == "error[E001]: cannot read 'missing.yaml': no such file\n1 error generated\n")
    }

    @Test func twoSpecsWithOnePolicyNameExitOne() {
        let output = Commands.compile(CompileRequest(specs: ["good.yaml", "again.yaml"], check: true), fileSystem: Self.files)
        #expect(output.exitStatus == .failure)
        #expect(output.stderr.contains("error[E203]: policy 't' is also the name of the spec 'good.yaml'"))
    }

    @Test func strictMakesAGapAnErrorFromTheFlagOrTheSpec() {
        withFolder { out in
            // On Swarm b may reach a: the deny expectation fails there.
            let flag = Commands.compile(CompileRequest(specs: ["good.yaml"], targets: TargetList([.swarm]), out: out, strict: true), fileSystem: Self.files)
            #expect(flag.exitStatus == .failure)
            #expect(flag.stderr.contains("error[gap]: widened: swarm allows a, b -> a on all"))
            #expect(!FileManager.default.fileExists(atPath: out), "a strict failure writes nothing")

            let spec = Commands.compile(CompileRequest(specs: ["strict.yaml"], targets: TargetList([.swarm]), out: out), fileSystem: Self.files)
            #expect(spec.exitStatus == .failure)
            #expect(spec.stderr.contains("error[gap]"))

            let exact = Commands.compile(CompileRequest(specs: ["strict.yaml"], targets: TargetList([.openshift]), out: out), fileSystem: Self.files)
            #expect(exact.exitStatus == .success, "platform-required connections do not fail strict: \(exact.stderr)")

            let relaxed = Commands.compile(CompileRequest(specs: ["good.yaml"], targets: TargetList([.swarm]), out: out), fileSystem: Self.files)
            #expect(relaxed.exitStatus == .success)
            #expect(relaxed.stderr.contains("swarm/t: "))
            #expect(!relaxed.stderr.contains("[gap]"), "without --gaps only the counts are printed")

            let listed = Commands.compile(CompileRequest(specs: ["good.yaml"], targets: TargetList([.swarm]), out: out, gaps: true), fileSystem: Self.files)
            #expect(listed.exitStatus == .success)
            #expect(listed.stderr.contains("warning[gap]: widened"))
        }
    }

    @Test func checkExitsOneOnDriftAndZeroWhenUpToDate() {
        withFolder { out in
            let request = CompileRequest(specs: ["good.yaml"], targets: TargetList([.openshift, .swarm]), out: out, check: true)
            let drift = Commands.compile(request, fileSystem: Self.files)
            #expect(drift.exitStatus == .failure)
            #expect(drift.stderr.contains("drift: missing \(out)/openshift/t/"))
            #expect(!FileManager.default.fileExists(atPath: out), "--check writes nothing")

            var write = request
            write.check = false
            let written = Commands.compile(write, fileSystem: Self.files)
            #expect(written.exitStatus == .success)
            #expect(written.stderr.hasSuffix("files under \(out)/\n"))

            let upToDate = Commands.compile(request, fileSystem: Self.files)
            #expect(upToDate.exitStatus == .success)
            #expect(upToDate.stderr.hasSuffix("files up to date\n"))
        }
    }

    @Test func anUnwritableOutputFolderExitsTwo() {
        let output = Commands.compile(CompileRequest(specs: ["good.yaml"], targets: TargetList([.aws]), out: "/dev/null/out"), fileSystem: Self.files)
        #expect(output.exitStatus == .usage)
        #expect(output.stderr.contains("\nerror: "))
    }

    @Test func dumpsGoToStandardOutputAsJSON() throws {
        let output = Commands.compile(
            CompileRequest(specs: ["good.yaml"], targets: TargetList([.swarm]), check: true, dumpRead: true), fileSystem: Self.files)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["target"] as? String } == ["swarm"])
        let relation = try #require(entries.first?["relation"] as? [String: Any])
        let pairs = try #require(relation["between_workloads"] as? [[String: Any]])
        #expect(pairs.contains { $0["from"] as? String == "b" && $0["to"] as? String == "a" }, "Swarm's shared network lets b reach a")
    }

    // MARK: the report commands

    @Test func reportCommandsExitTwoWhenUnreadableAndOneOnErrors() {
        for (name, status) in [("missing.yaml", ExitStatus.usage), ("bad.yaml", .failure)] {
            #expect(Commands.compare(CompareRequest(spec: name), fileSystem: Self.files).exitStatus == status)
            #expect(Commands.graph(GraphRequest(spec: name), fileSystem: Self.files).exitStatus == status)
            #expect(Commands.explain(ExplainRequest(spec: name, from: "a", to: "b"), fileSystem: Self.files).exitStatus == status)
            #expect(Commands.diff(DiffRequest(old: "good.yaml", new: name), fileSystem: Self.files).exitStatus == status)
            #expect(Commands.lint(LintRequest(specs: [name]), fileSystem: Self.files).exitStatus == status)
        }
        let compare = Commands.compare(CompareRequest(spec: "good.yaml", targets: TargetList([.openshift]), format: .json), fileSystem: Self.files)
        #expect(compare.exitStatus == .success && compare.stdout.hasPrefix("{\n  \"format\": \"palisade-compare\",\n  \"version\": 1,\n  \"policy\": \"t\""))
    }

    /// diff compiles both specs at once, and reports as if one after the other: the new spec's
    /// diagnostics only once the old one compiled, the old one's first.
    @Test func diffReportsTheOldSpecFirstAndTheNewOnlyOnceTheOldCompiled() {
        let files = InMemoryFileSystem([
            "good.yaml": Self.good,
            "bad.yaml": "version: 1\nname: bad\nworkloads: {a: {image: BAD}}\n",
            "worse.yaml": "version: 1\nname: worse\nworkloads: {b: {image: WORSE}}\n",
        ])
        func diff(_ old: String, _ new: String) -> CommandOutput { Commands.diff(DiffRequest(old: old, new: new), fileSystem: files) }
        for old in ["missing.yaml", "bad.yaml"] {
            let output = diff(old, "worse.yaml")
            #expect(output.exitStatus == (old == "missing.yaml" ? .usage : .failure))
            #expect(output.stderr.contains(old) && !output.stderr.contains("worse.yaml"), "the new spec is not reported: \(output.stderr)")
            #expect(output.stdout.isEmpty)
        }
        let newFails = diff("good.yaml", "worse.yaml")
        #expect(newFails.exitStatus == .failure)
        #expect(newFails.stderr.contains("worse.yaml:3:24: error[E601]") && !newFails.stderr.contains("good.yaml"))
        let newMissing = diff("good.yaml", "missing.yaml")
        #expect(newMissing.exitStatus == .usage && newMissing.stderr.contains("missing.yaml"))
        // Many at once: the outputs are the same each time, whichever spec compiles first.
        let first = diff("good.yaml", "bad.yaml")
        for _ in 0..<20 {
            let again = diff("good.yaml", "bad.yaml")
            #expect(again.stderr == first.stderr && again.exitStatus == first.exitStatus)
        }
    }

    @Test func graphExitsOneWhenTheTargetRefusesTheSpec() {
        let files = InMemoryFileSystem(["k.yaml": "version: 1\nname: k\nsegments: {kube-a: {}}\nworkloads:\n  a: {image: nginx:1.25, segment: kube-a}\n"])
        let refused = Commands.graph(GraphRequest(spec: "k.yaml", target: TargetChoice(.openshift)), fileSystem: files)
        #expect(refused.exitStatus == .failure)
        #expect(refused.stderr.contains("error[E"))
        #expect(refused.stdout.isEmpty)
        let drawn = Commands.graph(GraphRequest(spec: "k.yaml", target: TargetChoice(.swarm), format: .mermaid), fileSystem: files)
        #expect(drawn.exitStatus == .success && drawn.stdout.hasPrefix("flowchart LR\n"))
    }

    @Test func explainChecksItsTargetListAndItsQuestion() {
        let badList = Commands.explain(ExplainRequest(spec: "good.yaml", from: "a", to: "b", targets: "all,swarm"), fileSystem: Self.files)
        #expect(badList.exitStatus == .usage)
        #expect(badList.stderr == "error: 'all,swarm' is not a list of targets (openshift, swarm, mesos, aws, gcp, azure, kubernetes, nftables, or all)\n")

        let badPort = Commands.explain(ExplainRequest(spec: "good.yaml", from: "a", to: "b", port: "tcp/99999"), fileSystem: Self.files)
        #expect(badPort.exitStatus == .usage)
        #expect(badPort.stderr == "error: ports are 1-65535; 'tcp/99999' is outside\n")

        let all = Commands.explain(ExplainRequest(spec: "good.yaml", from: "b", to: "a", port: "tcp/80", targets: "all"), fileSystem: Self.files)
        #expect(all.exitStatus == .success)
        #expect(all.stdout.hasPrefix("b -> a on tcp/80: denied\n"))
        #expect(all.stdout.contains("on swarm: allowed (the intent: denied)\n"))
        #expect(all.stdout.components(separatedBy: "\non ").count - 1 == TargetName.allCases.count)
    }

    @Test func lintFailsOnFindingsAtTheThreshold() {
        let files = RepositoryFileSystem()
        // shop.yaml has one warning and no error.
        #expect(Commands.lint(LintRequest(specs: ["samples/shop.yaml"]), fileSystem: files).exitStatus == .success)
        let strict = Commands.lint(LintRequest(specs: ["samples/shop.yaml"], format: .json, failOn: .warning), fileSystem: files)
        #expect(strict.exitStatus == .failure)
        #expect(strict.stdout.contains("\"warnings\": 1"))
    }

    @Test func usageErrorsExitTwo() {
        let output = Commands.usageError("Error: Missing expected argument '<spec>'")
        #expect(output == CommandOutput(stderr: "Error: Missing expected argument '<spec>'\n", exitStatus: .usage))
        #expect(ExitStatus.usage.rawValue == 2 && ExitStatus.failure.rawValue == 1 && ExitStatus.success.rawValue == 0)
    }

    @Test func targetsAndSchemaNeedNoSpec() {
        #expect(Commands.targets(TargetsRequest(format: .markdown)).stdout.hasPrefix("| control | openshift | swarm |"))
        #expect(Commands.schema().stdout.hasPrefix("{"))
        #expect(Commands.schema().exitStatus == .success)
    }

    @Test func targetsListEachChoiceOptionsWordsSuchAsTheCloudsFormats() {
        let text = Commands.targets(TargetsRequest(format: .text)).stdout
        #expect(text.contains("  format: cloudformation | terraform (default cloudformation): "))
        #expect(text.contains("  format: json | terraform (default json): "))
        #expect(text.contains("  format: arm | terraform (default arm): "))
        #expect(text.contains("  output: complete | overlay (default complete): "))
        let json = Commands.targets(TargetsRequest(format: .json)).stdout
        #expect(json.contains("\"values\": [\n          \"cloudformation\",\n          \"terraform\"\n        ]"))
    }
}

@Suite struct TargetListTests {
    @Test func namesAreCommaSeparatedKeptOnceInOrder() {
        #expect(TargetList(argument: "openshift,aws")?.targets == [.openshift, .aws])
        #expect(TargetList(argument: " swarm , mesos ")?.targets == [.swarm, .mesos])
        #expect(TargetList(argument: "gcp,azure,gcp")?.targets == [.gcp, .azure])
        #expect(TargetList(argument: "aws,,gcp")?.targets == [.aws, .gcp])
    }

    @Test func unknownNamesAndEmptyListsAreRefused() {
        for argument in ["", ",", " , ", "bogus", "openshift,bogus", "OpenShift", "all"] {
            #expect(TargetList(argument: argument) == nil, "\(argument)")
        }
    }

    @Test func allIsEveryTargetWhereItIsAllowed() {
        #expect(TargetList(argumentOrAll: "all") == TargetList.all)
        #expect(TargetList.all.targets == TargetName.allCases)
        #expect(TargetList(argumentOrAll: "all,swarm") == nil)
        #expect(TargetList(argumentOrAll: "swarm")?.targets == [.swarm])
        #expect(TargetList.names == ["openshift", "swarm", "mesos", "aws", "gcp", "azure", "kubernetes", "nftables"])
    }

    @Test func aSingleTargetIsItsExactName() {
        #expect(TargetChoice(argument: "swarm")?.target == .swarm)
        #expect(TargetChoice(argument: "Swarm") == nil)
        #expect(TargetChoice(argument: "swarm,aws") == nil)
    }
}
