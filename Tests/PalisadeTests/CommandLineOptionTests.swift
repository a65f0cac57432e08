import Foundation
import Palisade
import TestSupport
import Testing

/// `--set TARGET.OPTION=VALUE` (target options from the command line) and the usage rules of
/// `--apply-to` and `--with` (the application's own files, for one target that takes them).
@Suite struct CommandLineOptionTests {
    static let files = InMemoryFileSystem([
        "spec.yaml": """
        version: 1
        name: t
        workloads:
          web: {image: nginx:1.25, ports: [tcp/80]}
        flows:
          - {from: any, to: web, ports: [tcp/80]}
        targets:
          swarm: {publish_mode: ingress}
        """
    ])

    @Test func theFormIsTargetDotOptionEqualsValueTypedAsYAMLWouldType() throws {
        let flag = try #require(OptionSetting(argument: "swarm.encrypt_networks=false"))
        #expect(flag.target == .swarm && flag.option == "encrypt_networks" && flag.value == .boolean(false))
        #expect(try #require(OptionSetting(argument: "aws.groups_per_eni=8")).value == .integer(8))
        #expect(try #require(OptionSetting(argument: "aws.format=terraform")).value == .string("terraform"))
        for bad in ["swarm.publish_mode", "publish_mode=host", "swarmy.publish_mode=host", "swarm.=host", "swarm.publish_mode=", "swarm.a-b=1"] {
            #expect(OptionSetting(argument: bad) == nil, "\(bad)")
        }
    }

    @Test func aSettingOverridesTheSpecsOption() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-set-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var request = CompileRequest(specs: ["spec.yaml"], targets: TargetList([.swarm]), out: out)
        let plain = Commands.compile(request, fileSystem: Self.files)
        #expect(plain.exitStatus == .success)
        let ingress = try String(contentsOfFile: "\(out)/swarm/t/stack.yaml", encoding: .utf8)
        #expect(ingress.contains("mode: ingress") && !ingress.contains("mode: host"))
        request.settings = [try #require(OptionSetting(argument: "swarm.publish_mode=host"))]
        #expect(Commands.compile(request, fileSystem: Self.files).exitStatus == .success)
        let host = try String(contentsOfFile: "\(out)/swarm/t/stack.yaml", encoding: .utf8)
        #expect(host.contains("mode: host") && !host.contains("mode: ingress"))
    }

    @Test func aBadSettingIsAnErrorNamingTheArgumentWhateverTheTargetsCompiled() throws {
        var request = CompileRequest(specs: ["spec.yaml"], targets: TargetList([.aws]), check: true)
        request.settings = [try #require(OptionSetting(argument: "swarm.publish_mod=host"))]
        let output = Commands.compile(request, fileSystem: Self.files)
        #expect(output.exitStatus == .failure)
        #expect(output.stderr.contains("error[E702]: --set swarm.publish_mod=host: unknown option 'publish_mod' for target swarm"))
        #expect(output.stderr.contains("did you mean 'publish_mode'?"))
        var compare = CompareRequest(spec: "spec.yaml", targets: TargetList([.swarm]))
        compare.settings = [try #require(OptionSetting(argument: "aws.gaps=wide"))]
        let refused = Commands.compare(compare, fileSystem: Self.files)
        #expect(refused.exitStatus == .failure)
        #expect(refused.stderr.contains("--set aws.gaps=wide: gaps is one of widen, narrow"))
    }

    @Test func applyToAndWithNeedOneTargetThatTakesTheApplicationsFiles() {
        var compile = CompileRequest(specs: ["spec.yaml"], check: true)
        compile.applyTo = "app.yaml"
        let noTarget = Commands.compile(compile, fileSystem: Self.files)
        #expect(noTarget.exitStatus == .usage)
        #expect(noTarget.stderr.contains("--apply-to needs exactly one --target"))
        compile.targets = TargetList([.aws])
        let cloud = Commands.compile(compile, fileSystem: Self.files)
        #expect(cloud.exitStatus == .usage)
        #expect(cloud.stderr.contains("--apply-to: target aws does not take the application's own files"))
        var compare = CompareRequest(spec: "spec.yaml", targets: TargetList([.swarm, .mesos]))
        compare.with = "app.yaml"
        let two = Commands.compare(compare, fileSystem: Self.files)
        #expect(two.exitStatus == .usage)
        #expect(two.stderr.contains("--with needs exactly one --target"))
    }

    static let shop = repositoryRoot.appendingPathComponent("samples/shop.yaml").path
    static let apps = repositoryRoot.appendingPathComponent("samples/apps").path

    @Test func applyToWritesTheApplicationsOwnFileHardenedAndSaysWhatItOverrode() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-apply-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var request = CompileRequest(specs: [Self.shop], targets: TargetList([.mesos]), out: out)
        request.applyTo = "\(Self.apps)/shop/marathon.json"
        let output = Commands.compile(request)
        #expect(output.exitStatus == .success, "\(output.stderr)")
        // Each override at its place in the team's file, by the path the user gave.
        #expect(output.stderr.contains("\(Self.apps)/shop/marathon.json:28:17: override: "))
        let written = try FileManager.default.contentsOfDirectory(atPath: "\(out)/mesos/shop").sorted()
        #expect(written == ["acls.json", "marathon.json"])
        let hardened = try String(contentsOfFile: "\(out)/mesos/shop/marathon.json", encoding: .utf8)
        let team = try String(contentsOfFile: "\(Self.apps)/shop/marathon.json", encoding: .utf8)
        #expect(hardened != team)
        // The team's own file is never written.
        #expect(try String(contentsOfFile: "\(Self.apps)/shop/marathon.json", encoding: .utf8) == team)
    }

    @Test func applicationFilesATargetRefusesAreALocatedErrorOfCompareAndExplain() {
        var compare = CompareRequest(spec: Self.shop, targets: TargetList([.mesos]))
        compare.with = "\(Self.apps)/platform/marathon.json"
        let refused = Commands.compare(compare)
        #expect(refused.exitStatus == .failure)
        #expect(refused.stderr.contains("error[E102]: workload 'cache' has no Marathon app"))
        var explain = ExplainRequest(spec: Self.shop, from: "web", to: "catalog", targets: "mesos")
        explain.with = compare.with
        let unanswered = Commands.explain(explain)
        #expect(unanswered.exitStatus == .failure)
        #expect(unanswered.stderr.contains("workload 'cache' has no Marathon app"))
        compare.with = "\(Self.apps)/no-such-file.json"
        let missing = Commands.compare(compare)
        #expect(missing.exitStatus == .usage)
        #expect(missing.stderr.contains("--with \(Self.apps)/no-such-file.json: no such file or folder"))
    }

    @Test func explainWithJudgesAPortOnlyTheApplicationsFileOpens() {
        var explain = ExplainRequest(spec: Self.shop, from: "any", to: "web", port: "tcp/8081", targets: "swarm")
        let intent = Commands.explain(explain)
        #expect(intent.stdout.contains("on swarm: denied"))
        explain.with = "\(Self.apps)/shop/swarm.yaml"
        let deployed = Commands.explain(explain)
        #expect(deployed.exitStatus == .success)
        #expect(deployed.stdout.contains("on swarm: allowed (the intent: denied)"), "\(deployed.stdout)")
        #expect(deployed.stdout.contains("by \(Self.apps)/shop/swarm.yaml:23:9: swarm allows any address -> web on tcp/8081"))
    }
}
