import Analysis
import Backends
import Diagnostics
import Foundation
import IR
import Palisade
import Reports
import TestSupport
import Testing

@Suite struct FidelityTests {
    /// a may open connections to b, not b to a: on Swarm they share a network, which works
    /// both ways, so the deny expectation fails there (with a witness) and holds on OpenShift.
    static let spec = """
        version: 1
        name: t
        workloads:
          a: {image: nginx:1.25, ports: [tcp/80]}
          b: {image: nginx:1.25, ports: [tcp/80]}
        flows:
          - {from: a, to: b, ports: [tcp/80]}
        expect:
          - {deny: {from: b, to: a, ports: [tcp/80]}}
        """

    @Test func expectationsAreCheckedOnEveryTargetsRelation() throws {
        let result = Pipeline.compile(paths: ["t.yaml"], targets: [.openshift, .swarm], fileSystem: InMemoryFileSystem(["t.yaml": Self.spec]))
        #expect(!result.hasErrors)
        let swarm = try #require(result.gaps.first { $0.target == .swarm }?.gaps.filter { $0.kind == .expectationFailed })
        #expect(swarm.count == 1)
        let witness = Connection(.workload("b"), .workload("a"), ports: PortSet([PortRange(.tcp, 80, 80)]))
        #expect(swarm.first?.subject == .expectation(.deny, witness: witness))
        #expect(swarm.first?.message == "swarm: expect deny fails: b -> a on tcp/80 is allowed on swarm")
        #expect(swarm.first?.origin?.start.line == 9)
        let openshift = try #require(result.gaps.first { $0.target == .openshift }?.gaps)
        #expect(!openshift.contains { $0.kind == .expectationFailed })
    }

    @Test func fidelityStrictInTheSpecMarksThePolicy() throws {
        let strict = Self.spec + "\nfidelity: strict\n"
        let result = Pipeline.compile(paths: ["t.yaml"], targets: [.swarm], fileSystem: InMemoryFileSystem(["t.yaml": strict]))
        #expect(result.strictPolicies == ["t"])
        let relaxed = Pipeline.compile(paths: ["t.yaml"], targets: [.swarm], fileSystem: InMemoryFileSystem(["t.yaml": Self.spec]))
        #expect(relaxed.strictPolicies.isEmpty)
        let wrong = Pipeline.compile(paths: ["t.yaml"], targets: [.swarm], fileSystem: InMemoryFileSystem(["t.yaml": Self.spec + "\nfidelity: strikt\n"]))
        #expect(wrong.allDiagnostics.map(\.code) == [.invalidValue])
    }

    @Test func gatesTripOnTheKindsTheyName() {
        let connection = Connection(.workload("a"), .platform("the cluster DNS"), ports: PortSet([PortRange(.udp, 53, 53)]))
        let required = Gap(kind: .platformRequired, capability: .dnsEgress, target: .openshift, subject: .connection(connection), reason: "dns", origin: nil)
        let widened = Gap(kind: .widened, capability: .portFiltering, target: .swarm, subject: .connection(connection), reason: "x", origin: nil)
        let failed = Gap(
            kind: .expectationFailed, capability: .workloadSegmentation, target: .swarm, subject: .expectation(.deny, witness: connection),
            reason: "", origin: nil)
        #expect(GapGate.defaults == [.expectation])
        #expect(GapGate.trips(failed, GapGate.defaults) && !GapGate.trips(widened, GapGate.defaults) && !GapGate.trips(required, GapGate.defaults))
        #expect(GapGate.strict == Set(GapGate.allCases).subtracting([.platformRequired]))
        #expect(!GapGate.trips(required, GapGate.strict) && GapGate.trips(widened, GapGate.strict))
        #expect(GapGate.trips(required, [.platformRequired]))
        #expect(GapGate.trips(widened, [.widened]) && !GapGate.trips(widened, [.narrowed]))
        #expect(Fidelity.summary([widened, required, widened]) == "2 widened, 1 platform-required")
        #expect(Fidelity.summary([]) == "exact")
    }

    @Test func theSummaryCountsEveryKindAndTheConnectionsProductsStandFor() {
        let many = Connection(.workloads(["a", "b", "c"]), .workloads(["d", "e"]), ports: PortSet([PortRange(.tcp, 80, 80)]))
        let one = Connection(.workload("a"), .workload("d"), ports: PortSet([PortRange(.tcp, 80, 80)]))
        func gap(_ kind: Gap.Kind, _ subject: Gap.Subject, _ capability: Capability = .portFiltering) -> Gap {
            Gap(kind: kind, capability: capability, target: .aws, subject: subject, reason: "r", origin: nil)
        }
        let gaps = [
            gap(.widened, .connection(many)), gap(.widened, .connection(one)), gap(.narrowed, .connection(one)),
            gap(.unenforced, .runtime(workload: "a", key: .readOnlyRoot), .readOnlyRoot),
            gap(.unenforced, .secrets(workload: "a"), .secrets), gap(.expectationFailed, .expectation(.deny, witness: many)),
            gap(.platformRequired, .connection(one)),
        ]
        #expect(gaps.map(\.pairCount) == [6, 1, 1, 1, 1, 6, 1])
        #expect(Fidelity.summary(gaps) == "2 widened (7 connections), 1 narrowed, 2 unenforced, 1 expectation failed, 1 platform-required")
        let scoped = Fidelity.summary(gaps, capabilities: [.secrets: Support.none, .readOnlyRoot: .full])
        #expect(scoped == "2 widened (7 connections), 1 narrowed, 1 unenforced, 1 outside its scope, 1 expectation failed, 1 platform-required")
        // Controls met again and again, interleaved: each gap counted by its own control, and
        // only unenforced gaps ever outside the scope (a widened gap of a control the target
        // does not cover is still widened).
        let runs = [
            gap(.unenforced, .secrets(workload: "a"), .secrets), gap(.unenforced, .runtime(workload: "a", key: .readOnlyRoot), .readOnlyRoot),
            gap(.unenforced, .secrets(workload: "b"), .secrets), gap(.unenforced, .runtime(workload: "a", key: .seccomp), .seccomp),
            gap(.unenforced, .runtime(workload: "b", key: .readOnlyRoot), .readOnlyRoot), gap(.widened, .connection(one)),
        ]
        let capabilities: [Capability: Support] = [.secrets: Support.none, .readOnlyRoot: .full, .seccomp: Support.none, .portFiltering: Support.none]
        #expect(Fidelity.summary(runs, capabilities: capabilities) == "1 widened, 2 unenforced, 3 outside its scope")
    }
}

@Suite struct TargetMatrixTests {
    @Test func theReadmeCarriesTheCurrentMatrix() throws {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let updated = try #require(TargetMatrixReport.updatingReadme(readme), "README.md lacks the palisade targets markers")
        if let mismatch = goldenMismatch(updated, at: "README.md") { Issue.record(Comment(rawValue: mismatch)) }
    }

    @Test func everyBackendDeclaresEveryCapability() {
        for backend in BackendRegistry.all {
            #expect(Set(backend.capabilities.keys) == Set(Capability.allCases), "\(backend.target)")
        }
        let table = TargetMatrixReport.markdown(TargetMatrix())
        #expect(table.split(separator: "\n").count == Capability.allCases.count + 2)
        #expect(table.hasPrefix("| control | openshift | swarm | mesos | aws | gcp | azure | kubernetes | nftables |"))
    }
}

/// `--fail-on` on compile, compare and diff, and expectations that name their targets.
@Suite struct GateTests {
    static let files = InMemoryFileSystem([
        "t.yaml": FidelityTests.spec,
        // The deny holds on OpenShift, not on Swarm (a shared network works both ways).
        "named.yaml": FidelityTests.spec.replacingOccurrences(of: "ports: [tcp/80]}}", with: "ports: [tcp/80]}, targets: [openshift]}"),
        "empty.yaml": FidelityTests.spec.replacingOccurrences(of: "ports: [tcp/80]}}", with: "ports: [tcp/80]}, targets: []}"),
        "unknown.yaml": FidelityTests.spec.replacingOccurrences(of: "ports: [tcp/80]}}", with: "ports: [tcp/80]}, targets: [swram]}"),
        "one-way.yaml": Self.flows("  - {from: a, to: b, ports: [tcp/80]}"),
        "both-ways.yaml": Self.flows("  - {from: a, to: b, ports: [tcp/80]}\n  - {from: b, to: a, ports: [tcp/80]}"),
    ])

    static func flows(_ flows: String) -> String {
        "version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, ports: [tcp/80]}\n  b: {image: nginx:1.25, ports: [tcp/80]}\nflows:\n\(flows)\n"
    }

    func compile(_ spec: String, failOn: String? = nil, strict: Bool = false) -> CommandOutput {
        let request = CompileRequest(
            specs: [spec], targets: TargetList([.openshift, .swarm]), strict: strict, failOn: failOn.flatMap(GapGates.init(argument:)),
            check: true)
        return Commands.compile(request, fileSystem: Self.files)
    }

    @Test func aFailedExpectationFailsTheCompileByDefault() {
        let output = compile("t.yaml")
        #expect(output.exitStatus == .failure)
        #expect(output.stderr.contains("t.yaml:9:5: error[gap]: expectation failed: swarm: expect deny fails: b -> a on tcp/80 is allowed on swarm"))
        #expect(!output.stderr.contains("error[gap]: widened"))
    }

    @Test func anExpectationSpeaksOnlyForTheTargetsItNames() {
        let output = compile("named.yaml")
        #expect(!output.stderr.contains("expectation failed"), "\(output.stderr)")
        #expect(output.exitStatus != .failure || output.stderr.contains("drift"))
        let policy = try? #require(Pipeline.compile(paths: ["named.yaml"], targets: [.swarm], fileSystem: Self.files).specs.first?.policy)
        #expect(policy?.expectations.first?.targets == [.openshift])
    }

    @Test func badTargetListsOfAnExpectationAreLocatedErrors() {
        let empty = Pipeline.compile(paths: ["empty.yaml"], targets: [.swarm], fileSystem: Self.files)
        #expect(empty.allDiagnostics.map(\.code) == [.invalidValue])
        let unknown = Pipeline.compile(paths: ["unknown.yaml"], targets: [.swarm], fileSystem: Self.files)
        #expect(unknown.allDiagnostics.map(\.code) == [.unknownTarget])
        #expect(unknown.allDiagnostics.first?.help == "did you mean 'swarm'?")
    }

    @Test func failOnChoosesTheKinds() {
        #expect(!compile("t.yaml", failOn: "none").stderr.contains("error[gap]"))
        let widened = compile("named.yaml", failOn: "widened")
        #expect(widened.exitStatus == .failure && widened.stderr.contains("error[gap]: widened"))
        #expect(compile("named.yaml", failOn: "narrowed").stderr.contains("error[gap]") == false)
        let strict = compile("named.yaml", strict: true)
        #expect(strict.exitStatus == .failure && strict.stderr.contains("error[gap]: widened"))
        #expect(GapGates(argument: "widened, expectation")?.kinds == [.widened, .expectation])
        #expect(GapGates(argument: "widened,loosened") == nil)
        #expect(GapGates(argument: "none")?.kinds == [])
    }

    @Test func compareFailsOnTheSameGates() {
        let byDefault = Commands.compare(CompareRequest(spec: "t.yaml", targets: TargetList([.swarm])), fileSystem: Self.files)
        #expect(byDefault.exitStatus == .failure)
        #expect(byDefault.stderr.hasPrefix("error: swarm: 1 expectation failed (--fail-on)\n"))
        let named = Commands.compare(CompareRequest(spec: "named.yaml", targets: TargetList([.swarm])), fileSystem: Self.files)
        #expect(named.exitStatus == .success)
        let widened = Commands.compare(
            CompareRequest(spec: "named.yaml", targets: TargetList([.swarm]), failOn: GapGates([.widened])), fileSystem: Self.files)
        #expect(widened.exitStatus == .failure)
    }

    @Test func diffFailsOnTheChangesNamed() {
        let plain = Commands.diff(DiffRequest(old: "one-way.yaml", new: "both-ways.yaml"), fileSystem: Self.files)
        #expect(plain.exitStatus == .success)
        let gated = Commands.diff(
            DiffRequest(old: "one-way.yaml", new: "both-ways.yaml", failOn: ChangeGates(argument: "opens,relaxes")!), fileSystem: Self.files)
        #expect(gated.exitStatus == .failure)
        #expect(gated.stderr.hasPrefix("error: 1 change of the kinds --fail-on names (opens)\n"))
        let closes = Commands.diff(DiffRequest(old: "one-way.yaml", new: "both-ways.yaml", failOn: ChangeGates([.closes])), fileSystem: Self.files)
        #expect(closes.exitStatus == .success)
    }
}
