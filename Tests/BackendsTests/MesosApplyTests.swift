import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// `compile --apply-to` and `--with` for Marathon: the team's group written back with
/// Palisade's fields set and every other field kept, overrides located in the team's file.
@Suite struct MesosApplyTests {
    let backend = MesosBackend()

    /// The sample's application fixture, named as the command line names a file argument.
    func fixture(_ policy: Policy) throws -> ApplicationFile {
        let url = repositoryRoot.appendingPathComponent("samples/apps/\(policy.name)/marathon.json")
        return ApplicationFile(path: "marathon.json", contents: try String(contentsOf: url, encoding: .utf8))
    }

    func marathon(_ application: Application, _ path: String = "marathon.json") throws -> String {
        try #require(application.emission.files.first { $0.path == path }).contents
    }

    func load(_ text: String, _ file: String = "marathon.json") throws -> YAMLNode {
        try #require(YAMLLoader.load(text: text, file: file).root)
    }

    /// The characters a node was written with.
    func source(_ node: YAMLNode, in text: String) -> String {
        let characters = Array(text)
        return String(characters[node.range.start.offset..<node.range.end.offset])
    }

    func apps(_ group: YAMLNode) -> [YAMLNode] {
        func items(_ node: YAMLNode?) -> [YAMLNode] {
            guard let node, case .sequence(let items) = node.content else { return [] }
            return items
        }
        return items(group["apps"]) + items(group["groups"]).flatMap(apps)
    }

    func keys(_ node: YAMLNode?) -> [String] {
        guard let node, case .mapping(let pairs) = node.content else { return [] }
        return pairs.map(\.name)
    }

    /// For every sample, under both gap policies and both containerizers: the applied group
    /// reads back to the relation complete mode reads back, and applying again changes nothing.
    @Test(arguments: backendSamples)
    func appliedSamplesReadBackLikeCompleteMode(sample: String) throws {
        let policy = try samplePolicy(sample)
        let team = try fixture(policy)
        for gaps in [GapPolicy.widen, .narrow] {
            for containerizer in ["docker", "mesos"] {
                let targetOptions = options(.mesos, gaps, ["containerizer": .string(containerizer)])
                let complete = try backend.emit(policy, options: targetOptions)
                let applied = try backend.apply(policy, options: targetOptions, to: [team])
                #expect(applied.emission.files.map(\.path) == ["marathon.json", "acls.json"])
                let expected = try backend.read(complete.files, policy: policy)
                let read = try backend.read(applied.emission.files, policy: policy)
                #expect(read.relation == expected.relation, "\(sample) \(gaps) \(containerizer)")
                #expect(read.runtime == expected.runtime, "\(sample) \(gaps) \(containerizer)")
                #expect(read.grants == expected.grants)
                let again = try backend.apply(policy, options: targetOptions, to: [ApplicationFile(path: "marathon.json", contents: try marathon(applied))])
                #expect(try marathon(again) == marathon(applied), "applying twice changes the file")
                #expect(again.overrides.isEmpty, "\(again.overrides.map(\.message))")
                let deployment = try backend.deployment(complete.files, application: [team], policy: policy, options: targetOptions)
                #expect(deployment.readBack.relation == expected.relation)
                #expect(deployment.gaps == applied.emission.gaps.filter { gap in !complete.gaps.contains(gap) })
            }
        }
    }

    /// Only the shop fixture contradicts its spec: three fields, each reported where it stands.
    @Test(arguments: backendSamples)
    func fixturesOverrideOnlyWhatContradictsTheSpec(sample: String) throws {
        let policy = try samplePolicy(sample)
        let team = try fixture(policy)
        let applied = try backend.apply(policy, options: options(.mesos, .widen), to: [team])
        let found = applied.overrides.map { "\($0.origin.map { "\($0.start.line)" } ?? "-") \($0.message)" }
        if policy.name != "shop" {
            #expect(found.isEmpty)
            return
        }
        let lines = team.contents.split(separator: "\n", omittingEmptySubsequences: false)
        func line(_ text: String, after: String) throws -> Int {
            let start = try #require(lines.firstIndex { $0.contains(after) })
            return try #require(lines[start...].firstIndex { $0.contains(text) }) + 1
        }
        let capAdd = "container.docker.parameters cap-add was cap-add=NET_ADMIN, now cap-add=NET_BIND_SERVICE"
        #expect(
            found == [
                "\(try line("NET_ADMIN", after: "\"id\": \"web\"") - 2) app /shop/edge/web: \(capAdd)",
                "\(try line("\"hostPort\": 8081", after: "\"id\": \"web\"")) app /shop/edge/web: container.portMappings[3].hostPort was 8081, now absent",
                "\(try line("\"privileged\": true", after: "\"id\": \"catalog\"")) app /shop/app/catalog: container.docker.privileged was true, now false",
            ], "\(found)")
        #expect(applied.overrides.allSatisfy { $0.origin?.file == "marathon.json" })
    }

    /// Every field Palisade does not own keeps its exact text and its place among the keys.
    @Test func fieldsPalisadeDoesNotOwnSurviveByteForByte() throws {
        let policy = try samplePolicy("shop.yaml")
        let team = try fixture(policy)
        let output = try marathon(try backend.apply(policy, options: options(.mesos, .widen), to: [team]))
        let before = apps(try load(team.contents))
        let after = apps(try load(output))
        #expect(before.count == 6 && after.count == 6)
        let owned: Set<String> = ["user", "cpus", "mem", "networks", "labels", "container", "portDefinitions", "ports", "ipAddress"]
        for (old, new) in zip(before, after) {
            #expect(keys(new).filter { keys(old).contains($0) } == keys(old), "key order of \(old["id"]?.scalar ?? "")")
            for key in keys(old) where !owned.contains(key) {
                let kept = try #require(new[key])
                #expect(source(kept, in: output) == source(try #require(old[key]), in: team.contents), "\(old["id"]?.scalar ?? "").\(key)")
            }
            // Inside the container: the volumes, the image and forcePullImage, each port's name.
            for key in ["volumes"] where old["container"]?[key] != nil {
                #expect(source(try #require(new["container"]?[key]), in: output) == source(try #require(old["container"]?[key]), in: team.contents))
            }
            for key in ["image", "forcePullImage"] {
                #expect(new["container"]?["docker"]?[key]?.scalar == old["container"]?["docker"]?[key]?.scalar)
            }
            #expect(keys(new["container"]).filter { keys(old["container"]).contains($0) } == keys(old["container"]))
            if case .sequence(let mappings)? = old["container"]?["portMappings"]?.content,
                case .sequence(let written)? = new["container"]?["portMappings"]?.content
            {
                #expect(written.prefix(mappings.count).map { $0["name"]?.scalar } == mappings.map { $0["name"]?.scalar }, "health checks name ports by index")
            }
        }
        // The team's parameters Palisade does not own stay, before Palisade's.
        #expect(output.contains("\"key\": \"log-driver\",\n                  \"value\": \"journald\""))
    }

    /// A small spec and a team app that contradicts it everywhere it can.
    static let spec = """
        version: 1
        name: t
        workloads:
          api:
            image: registry.example.com/api:1.0
            ports: [tcp/9000]
            runtime: {privileged: false, read_only_root: true, writable_paths: [/tmp], capabilities: {drop: [ALL]}}
        flows:
          - {from: any, to: api, ports: [tcp/9000]}
        """

    static let team = """
        {
          "id": "/t",
          "apps": [
            {
              "id": "t/api",
              "cmd": "serve --port 9000",
              "user": "root",
              "instances": 4,
              "networks": [{"mode": "host"}],
              "portDefinitions": [{"port": 9000}, {"port": 2222}],
              "container": {
                "type": "DOCKER",
                "docker": {
                  "image": "registry.example.com/api:1.0-debug",
                  "privileged": true,
                  "parameters": [{"key": "cap-add", "value": "SYS_ADMIN"}, {"key": "log-driver", "value": "journald"}, {"key": "net", "value": "host"}]
                },
                "portMappings": [{"containerPort": 9000, "hostPort": 0, "name": "api"}, {"containerPort": 22, "hostPort": 2222, "name": "ssh"}],
                "volumes": [{"containerPath": "/var/cache/api", "hostPath": "/srv/api", "mode": "RW"}]
              },
              "env": {"LOG_LEVEL": "debug"}
            }
          ]
        }
        """

    @Test func contradictingFieldsAreOverriddenAndReportedWhereTheyStand() throws {
        let policy = try #require(compileSpec(Self.spec).policy)
        let applied = try backend.apply(policy, options: options(.mesos, .widen), to: [ApplicationFile(path: "app.json", contents: Self.team)])
        let lines = Self.team.split(separator: "\n", omittingEmptySubsequences: false)
        func at(_ text: String) -> String { "app.json:\((lines.firstIndex { $0.contains(text) } ?? -2) + 1)" }
        let found = applied.overrides.map { "\($0.origin.map { "\($0.file):\($0.start.line)" } ?? "-") \($0.field): \($0.application) -> \($0.palisade)" }
        #expect(
            found == [
                "\(at("\"user\"")) user: \"root\" -> \"api\"",
                "\(at("\"networks\"")) networks: [{\"mode\":\"host\"}] -> [{\"mode\":\"container\",\"name\":\"own-api\"}]",
                "\(at("portDefinitions")) portDefinitions: [{\"port\":9000},{\"port\":2222}] -> absent",
                "\(at("\"privileged\"")) container.docker.privileged: true -> false",
                "\(at("SYS_ADMIN")) container.docker.parameters cap-add: cap-add=SYS_ADMIN -> none",
                "\(at("SYS_ADMIN")) container.docker.parameters net: net=host -> none",
                "\(at("\"hostPort\": 0")) container.portMappings[0].hostPort: 0 -> 9000",
                "\(at("\"hostPort\": 0")) container.portMappings[1].hostPort: 2222 -> absent",
            ])
        #expect(applied.overrides[0].subject == "app /t/t/api")
        let output = try marathon(applied, "app.json")
        let app = try #require(apps(try load(output, "app.json")).first)
        // The team's own fields stay: the image, the instances, the command, the env.
        #expect(app["container"]?["docker"]?["image"]?.scalar == "registry.example.com/api:1.0-debug")
        #expect(app["instances"]?.scalar == "4")
        #expect(keys(app) == ["id", "cmd", "user", "instances", "networks", "container", "env", "labels"])
        #expect(output.contains("\"key\": \"cap-drop\""))
        #expect(!output.contains("SYS_ADMIN") && !output.contains("2222") && !output.contains("\"host\""))
        // What it reads back is what complete mode reads back.
        let complete = try backend.emit(policy, options: options(.mesos, .widen))
        #expect(try backend.read(applied.emission.files, policy: policy).relation == backend.read(complete.files, policy: policy).relation)
        // The writable volume is kept and is a gap located in the team's file.
        let gap = try #require(applied.emission.gaps.first { $0.origin?.file == "app.json" })
        #expect(gap.kind == .widened && gap.subject == .runtime(workload: "api", key: .writablePaths))
        #expect(gap.origin?.start.line == (lines.firstIndex { $0.contains("/var/cache/api") } ?? -2) + 1)
    }

    /// With the Mesos containerizer the team's docker parameters and `privileged` go.
    @Test func theMesosContainerizerTakesNoDockerFlags() throws {
        let policy = try #require(compileSpec(Self.spec).policy)
        let applied = try backend.apply(
            policy, options: options(.mesos, .widen, ["containerizer": .string("mesos")]), to: [ApplicationFile(path: "app.json", contents: Self.team)])
        let output = try marathon(applied, "app.json")
        #expect(!output.contains("\"parameters\"") && !output.contains("\"privileged\"") && output.contains("\"type\": \"MESOS\""))
        #expect(applied.overrides.map(\.field).contains("container.docker.parameters"))
        #expect(applied.overrides.contains { $0.field == "container.type" && $0.palisade == "\"MESOS\"" })
    }

    /// The kept fields that open more than the spec are `--with` gaps in the team's file.
    @Test func deploymentReportsWhatTheTeamsKeptFieldsOpen() throws {
        let policy = try samplePolicy("platform.yaml")
        let team = try fixture(policy)
        let complete = try backend.emit(policy, options: options(.mesos, .widen))
        let deployment = try backend.deployment(complete.files, application: [team], policy: policy, options: options(.mesos, .widen))
        let lines = team.contents.split(separator: "\n", omittingEmptySubsequences: false)
        func line(_ text: String) -> Int { (lines.firstIndex { $0.contains(text) } ?? -2) + 1 }
        let found = deployment.gaps.map { gap -> String in
            guard case .runtime(let workload, let key) = gap.subject else { return "not a runtime gap" }
            return "\(gap.origin.map { "\($0.file):\($0.start.line)" } ?? "-") \(gap.kind) \(workload) \(key.name)"
        }
        #expect(
            found == [
                "marathon.json:\(line("/dev/fuse") - 2) widened ci-runner privileged",
                "marathon.json:\(line("\"containerPath\": \"/var/cache/ci\"") - 1) widened ci-runner writable_paths",
            ])
        #expect(deployment.readBack.relation == (try backend.read(complete.files, policy: policy).relation))
    }

    @Test func aWorkloadWithoutAnAppIsAnErrorAtTheWorkload() throws {
        let policy = try #require(compileSpec(Self.spec).policy)
        let team = ApplicationFile(path: "app.json", contents: #"{"id": "/t", "apps": [{"id": "/t/api", "cmd": "serve"}]}"#)
        let error = try #require(throws: BackendError.self) { try backend.apply(policy, options: options(.mesos, .widen), to: [team]) }
        #expect(error.diagnostic.code == .missingKey)
        #expect(error.diagnostic.range == policy.workloads[0].origin)
        #expect(error.diagnostic.message == "workload 'api' has no Marathon app '/t/t/api' in 'app.json'")
        #expect(error.diagnostic.notes.first?.range?.file == "app.json", "the app with the workload's name is shown")
    }

    @Test(arguments: [
        (#"[1, 2]"#, DiagnosticCode.wrongType, 1, 1),
        ("{\n  \"id\": \"/t\",\n  \"apps\": {}\n}", .wrongType, 3, 11),
        ("{\n  \"id\": \"/t\",\n  \"name\": \"x\"\n}", .wrongType, 1, 1),
        (
            "{\n  \"id\": \"/t\",\n  \"apps\": [\n    {\"id\": \"/t/t/api\", \"cmd\": \"a\"},\n    {\"id\": \"/t/t/db\", \"cmd\": \"b\"}\n  ]\n}",
            .unknownReference, 5, 12
        ),
        (
            "{\n  \"id\": \"/t\",\n  \"apps\": [\n    {\"id\": \"/t/t/api\", \"cmd\": \"a\"},\n    {\"id\": \"t/api\", \"cmd\": \"b\"}\n  ]\n}",
            .duplicateEntry, 5, 12
        ),
        ("{\n  \"id\": \"/t\",\n  \"apps\": [\n    {\"cmd\": \"a\"}\n  ]\n}", .missingKey, 4, 5),
        ("{\n  \"id\": \"/t\",\n  \"apps\": [\n", .yamlSyntax, 4, 1),
        ("", .emptyDocument, 1, 1),
    ])
    func aFileThatIsNotAMarathonGroupIsAnErrorInIt(text: String, code: DiagnosticCode, line: Int, column: Int) throws {
        let policy = try #require(compileSpec(Self.spec).policy)
        let error = try #require(throws: BackendError.self) {
            try backend.apply(policy, options: options(.mesos, .widen), to: [ApplicationFile(path: "app.json", contents: text)])
        }
        #expect(error.diagnostic.code == code, "\(error.diagnostic.message)")
        #expect(error.diagnostic.range?.file == "app.json")
        #expect(error.diagnostic.range.map { [$0.start.line, $0.start.column] } == [line, column], "\(error.diagnostic.message)")
    }

    /// Ids resolve as Marathon resolves them: relative to the group, `..` followed.
    @Test func idsResolveAgainstTheirGroups() throws {
        #expect(try MesosApplier.resolvedID(try load(#"{"id": "api"}"#), base: "/t/t", file: "f", what: "app") == "/t/t/api")
        #expect(try MesosApplier.resolvedID(try load(#"{"id": "../t/./api"}"#), base: "/t/x", file: "f", what: "app") == "/t/t/api")
        #expect(try MesosApplier.resolvedID(try load(#"{"id": "/t/t/api"}"#), base: "/other", file: "f", what: "app") == "/t/t/api")
        #expect(MesosApplier.isJSONNumber("0.50") && MesosApplier.isJSONNumber("-1e+3") && !MesosApplier.isJSONNumber("01") && !MesosApplier.isJSONNumber("1."))
        // Numbers keep their text.
        #expect(JSONWriter.compact(MesosApplier.value(try load(#"{"a": 0.50, "b": 1E3, "c": "0.5", "d": null}"#))) == #"{"a":0.50,"b":1E3,"c":"0.5","d":null}"#)
    }
}

extension MesosApplyTests {
    /// Without cpu or memory limits in the spec, the team's own `cpus` and `mem` stay, and the
    /// gap says so instead of naming Marathon's defaults.
    @Test func theTeamsResourcesStandWhereTheSpecSetsNone() throws {
        let policy = try #require(compileSpec(Self.spec).policy)
        let team = #"{"id": "/t/t/api", "cmd": "serve", "cpus": 0.25, "mem": 64}"#
        let applied = try backend.apply(policy, options: options(.mesos, .widen), to: [ApplicationFile(path: "app.json", contents: team)])
        let output = try marathon(applied, "app.json")
        #expect(output.contains("\"cpus\": 0.25,") && output.contains("\"mem\": 64,"))
        let reasons = applied.emission.gaps.filter { $0.subject == .runtime(workload: "api", key: .resources) }.map(\.reason)
        #expect(reasons == ["no cpu limit in the spec: the application's cpus 0.25 is used", "no memory limit in the spec: the application's mem 64 is used"])
        #expect(applied.overrides.isEmpty)
        // A file holding one app is read back as that app.
        let complete = try backend.emit(policy, options: options(.mesos, .widen))
        #expect(try backend.read(applied.emission.files, policy: policy).relation == backend.read(complete.files, policy: policy).relation)
    }
}

extension MesosApplyTests {
    /// JSON as other tools write it: tab indentation (Go's `json.MarshalIndent` with `"\t"`),
    /// Windows line ends, everything on one line.
    @Test(arguments: [
        "{\n\t\"id\": \"/t\",\n\t\"apps\": [\n\t\t{\n\t\t\t\"id\": \"/t/t/api\",\n\t\t\t\"cmd\": \"serve\"\n\t\t}\n\t]\n}\n",
        "{\r\n  \"id\": \"/t\",\r\n  \"apps\": [{\"id\": \"/t/t/api\", \"cmd\": \"serve\"}]\r\n}\r\n",
        #"{"id":"/t","apps":[{"id":"/t/t/api","cmd":"serve"}]}"#,
    ])
    func jsonLayoutsLoad(text: String) throws {
        let policy = try #require(compileSpec(Self.spec).policy)
        let applied = try backend.apply(policy, options: options(.mesos, .widen), to: [ApplicationFile(path: "app.json", contents: text)])
        #expect(try marathon(applied, "app.json").contains("\"cmd\": \"serve\""))
    }
}
