import Analysis
import Backends
import Diagnostics
import Foundation
import IR
import Palisade
import Reports
import Testing
import TestSupport

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

    @Test func platformRequiredConnectionsDoNotFailStrict() {
        let connection = Connection(.workload("a"), .platform("the cluster DNS"), ports: PortSet([PortRange(.udp, 53, 53)]))
        let required = Gap(kind: .platformRequired, capability: .dnsEgress, target: .openshift, subject: .connection(connection), reason: "dns", origin: nil)
        let widened = Gap(kind: .widened, capability: .portFiltering, target: .swarm, subject: .connection(connection), reason: "x", origin: nil)
        #expect(!Fidelity.failsStrict(required))
        #expect(Fidelity.failsStrict(widened))
        #expect(Fidelity.summary([widened, required, widened]) == "2 widened, 1 platform-required")
        #expect(Fidelity.summary([]) == "exact")
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
        #expect(table.hasPrefix("| control | openshift | swarm | mesos | aws | gcp | azure |"))
    }
}
