import Analysis
import Foundation
import IR
import Palisade
import TestSupport
import Testing

@testable import Reports

/// A compare baseline holds connections, not lines: a gap's pairs stay held back when the gap
/// they are grouped into changes shape, and only what is new is reported.
@Suite struct CompareBaselineTests {
    static let before = """
        version: 1
        name: minimal
        workloads:
          site: {image: registry.example.com/hello/site:1.0.0, ports: [tcp/8080]}
          api: {image: registry.example.com/hello/api:1.0.0, ports: [tcp/9000]}
        flows:
          - {name: public-site, from: any, to: site, ports: [tcp/8080]}
          - {name: site-to-api, from: site, to: api, ports: [tcp/9000]}
        """
    /// `before` and a worker that site calls: on Swarm the network's group of gaps grows.
    static let after =
        before.replacingOccurrences(
            of: "  api: {", with: "  worker: {image: registry.example.com/hello/worker:1.0.0, ports: [tcp/7000]}\n  api: {")
        + "\n  - {name: site-to-worker, from: site, to: worker, ports: [tcp/7000]}\n"

    func gap(_ source: [String], _ destination: [String], ports: PortSet = .all, reason: String = "shared network") -> Gap {
        Gap(
            kind: .widened, capability: .portFiltering, target: .swarm,
            subject: .connection(Connection(.workloads(named: source), .workloads(named: destination), ports: ports)), reason: reason, origin: nil)
    }

    /// Through the command: a baseline written before a workload joins still holds the pairs
    /// it accepted; the gaps of the new workload are reported, and fail the gate.
    @Test func baselinedConnectionsStayBaselinedWhenTheirGroupGrows() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-baseline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        try Self.before.write(toFile: path("before.yaml"), atomically: true, encoding: .utf8)
        try Self.after.write(toFile: path("after.yaml"), atomically: true, encoding: .utf8)
        let gate = GapGates(argument: "widened")
        _ = Commands.compare(CompareRequest(spec: path("before.yaml"), targets: TargetList([.swarm]), failOn: gate, writeBaseline: path("base.json")))
        let same = Commands.compare(CompareRequest(spec: path("before.yaml"), targets: TargetList([.swarm]), failOn: gate, baseline: path("base.json")))
        #expect(same.exitStatus == .success, "\(same.stdout)")
        let checked = Commands.compare(CompareRequest(spec: path("after.yaml"), targets: TargetList([.swarm]), failOn: gate, baseline: path("base.json")))
        #expect(!checked.stdout.contains("api, site, worker -> site"), "\(checked.stdout)")
        #expect(!checked.stdout.contains("api -> site") && !checked.stdout.contains("api, site -> site"), "\(checked.stdout)")
        #expect(checked.stdout.contains("worker -> site"), "\(checked.stdout)")
        #expect(checked.exitStatus == .failure, "worker's connections are new")
    }

    @Test func aListIsWrittenWholeInItsFingerprint() {
        let names = (0..<5).map { "w\($0)" }
        let fingerprint = CompareReport.fingerprint(target: .swarm, gap: gap(names, ["db"]))
        #expect(fingerprint == "swarm:widened:w0, w1, w2, w3, w4 -> db on all")
        #expect(Comparison.line(gap(names, ["db"])).contains("5 workloads (w0, w1, w2, …)"), "a report still abbreviates")
        #expect(CompareReport.fingerprint(target: .swarm, gap: gap(["a"], ["a"])) == "swarm:widened:between replicas of a on all")
    }

    @Test func aGapHeldInPartLeavesItsNewPairsAsProducts() {
        let held = CompareBaseline(["swarm:widened:a, b -> c, d on all"])
        #expect(held.remaining(gap(["a", "b"], ["c", "d"]), target: .swarm).isEmpty)
        #expect(held.remaining(gap(["b", "a"], ["d"]), target: .swarm).isEmpty, "any grouping of held pairs")
        // x is new towards both destinations, e is new from every source.
        let rest = held.remaining(gap(["a", "b", "x"], ["c", "d", "e"]), target: .swarm)
        #expect(rest.map { $0.connection?.description } == ["x -> c, d on all", "a, b, x -> e on all"])
        #expect(rest.allSatisfy { $0.reason == "shared network" && $0.kind == .widened })
        // Other ports, another target or kind: not held.
        #expect(held.remaining(gap(["a"], ["c"], ports: PortSet(PortRange(.tcp, 80, 80))), target: .swarm).count == 1)
        #expect(held.remaining(gap(["a"], ["c"]), target: .mesos).count == 1)
        #expect(held.remaining(gap(["q"], ["r"]), target: .swarm) == [gap(["q"], ["r"])], "nothing held: the gap as it was")
    }

    @Test func pairWiseFingerprintsOfAnOlderBaselineHoldAProduct() {
        let held = CompareBaseline(["swarm:widened:a -> b on all", "swarm:widened:between replicas of b on all"])
        #expect(held.remaining(gap(["a", "b"], ["b"]), target: .swarm).isEmpty)
        #expect(held.remaining(gap(["a", "b"], ["a"]), target: .swarm).map { $0.connection?.description } == ["a, b -> a on all"])
    }

    @Test func otherGapsMatchTheirFingerprintExactly() {
        let runtime = Gap.runtime(target: .swarm, workload: "web", key: .privileged, reason: "ignored", origin: nil)
        let fingerprint = CompareReport.fingerprint(target: .swarm, gap: runtime)
        #expect(CompareBaseline([fingerprint]).remaining(runtime, target: .swarm).isEmpty)
        #expect(CompareBaseline(["swarm:unenforced:api: privileged"]).remaining(runtime, target: .swarm) == [runtime])
    }
}
