import Analysis
import IR
import Palisade
import Reports
import TestSupport
import Testing

@Suite struct DiffTests {
    static let old = """
        version: 1
        name: d
        networks: {corp: [10.0.0.0/8]}
        roles: {viewer: [view], oncall: [view, exec]}
        identities: {sre: {kind: group}}
        grants: [{identity: sre, role: oncall, segments: all}]
        workloads:
          web: {image: nginx:1.25, ports: [tcp/80, tcp/443], runtime: {privileged: false, read_only_root: true, capabilities: {drop: [ALL]}}}
          api: {image: nginx:1.25, ports: [tcp/8080, tcp/9090]}
          old: {image: nginx:1.25}
        flows:
          - {from: corp, to: web, ports: [tcp/443]}
          - {from: web, to: api, ports: [tcp/8080]}
        """

    static let new = """
        version: 1
        name: d
        networks: {corp: [10.0.0.0/8]}
        roles: {viewer: [view], oncall: [view, exec]}
        identities: {sre: {kind: group}}
        grants: [{identity: sre, role: viewer, segments: all}]
        workloads:
          web: {image: nginx:1.25, ports: [tcp/80, tcp/443], runtime: {privileged: true, capabilities: {drop: [ALL], add: [NET_ADMIN]}}}
          api: {image: nginx:1.25, ports: [tcp/8080, tcp/9090]}
          extra: {image: nginx:1.25}
        flows:
          - {from: corp, to: web, ports: [tcp/443, tcp/80]}
          - {from: web, to: api, ports: [tcp/9090]}
        """

    func diff() throws -> SpecDiff {
        let old = try #require(compileSpec(Self.old, path: "old.yaml").policy)
        let new = try #require(compileSpec(Self.new, path: "new.yaml").policy)
        return SpecDiff(old: old, new: new)
    }

    func texts(_ diff: SpecDiff, _ kind: SpecDiff.Kind) -> [String] { diff.changes.filter { $0.kind == kind }.map(\.text) }

    @Test func connectionsOpenedAndClosedAreLocatedAtTheirFlows() throws {
        let diff = try diff()
        #expect(texts(diff, .opens) == ["web -> api on tcp/9090", "corp -> web on tcp/80"])
        #expect(texts(diff, .closes) == ["web -> api on tcp/8080"])
        let opened = try #require(diff.changes.first { $0.kind == .opens })
        #expect(opened.origin?.file == "new.yaml" && opened.origin?.start.line == 13)
        let closed = try #require(diff.changes.first { $0.kind == .closes })
        #expect(closed.origin?.file == "old.yaml" && closed.origin?.start.line == 13)
    }

    @Test func runtimeControlsAndGrantsRelaxOrTighten() throws {
        let diff = try diff()
        #expect(
            texts(diff, .relaxes) == [
                "web: privileged false -> true", "web: read_only_root true -> unset", "web: capabilities.add without -> with NET_ADMIN",
            ])
        #expect(texts(diff, .tightens) == ["sre loses exec on d"])
        #expect(texts(diff, .changes) == ["workload extra added (segment d, listens on none)", "workload old removed"])
        #expect(DiffReport.summary(diff) == "2 opens, 1 closes, 3 relaxes, 1 tightens, 2 other changes")
    }

    @Test func formatsCarryEveryChange() throws {
        let diff = try diff()
        let text = DiffReport.text(diff)
        for change in diff.changes { #expect(text.contains(change.text)) }
        #expect(DiffReport.markdown(diff).contains("### 🔓 Opens (2)"))
        #expect(DiffReport.json(diff).contains("\"kind\": \"opens\""))
        let same = try #require(compileSpec(Self.old, path: "old.yaml").policy)
        #expect(SpecDiff(old: same, new: same).changes.isEmpty)
        #expect(DiffReport.summary(SpecDiff(old: same, new: same)) == "no security-relevant change")
    }
}

extension DiffTests {
    @Test func unsetMeansThePlatformsDefault() throws {
        let old = try #require(compileSpec("version: 1\nname: d\nworkloads:\n  a: {image: nginx:1.25}\n", path: "old.yaml").policy)
        let new = try #require(
            compileSpec(
                "version: 1\nname: d\nworkloads:\n  a: {image: nginx:1.25, runtime: {privileged: true, host_network: true, run_as_non_root: false}}\n",
                path: "new.yaml"
            ).policy)
        let diff = SpecDiff(old: old, new: new)
        #expect(texts(diff, .relaxes) == ["a: privileged unset -> true", "a: host_network unset -> true"])
        #expect(texts(diff, .changes) == ["a: run_as_non_root unset -> false"], "false is the default: no weaker")
        #expect(texts(SpecDiff(old: new, new: old), .tightens) == ["a: privileged true -> unset", "a: host_network true -> unset"])
    }
}
