import Analysis
import Backends
import Diagnostics
import Foundation
import IR
import Palisade
import Reports
import Spec
import TestSupport
import Testing

@Suite struct PipelineTests {
    @Test func errorCodeReferenceIsCurrent() {
        if let mismatch = goldenMismatch(ErrorCodeReference.markdown(), at: "docs/error-codes.md") {
            Issue.record(Comment(rawValue: mismatch))
        }
    }

    @Test func everyCodeIsUniqueAndDocumented() {
        let codes = DiagnosticCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        for code in DiagnosticCode.allCases {
            #expect(!code.summary.isEmpty && !code.explanation.isEmpty)
        }
    }

    @Test func badSpecWritesNothing() throws {
        let fileSystem = InMemoryFileSystem(["bad.yaml": "version: 1\nname: t\nworkloads: {a: {image: BAD}}\n"])
        let result = Pipeline.compile(paths: ["bad.yaml"], fileSystem: fileSystem)
        #expect(result.hasErrors)
        #expect(result.tree.paths.isEmpty)
        #expect(result.allReadable)
    }

    /// Each target's outcome is finished on its worker: its expectations checked, then the
    /// relations the check needed let go, so that the compile never holds every target's at once.
    @Test func finishingAnOutcomeChecksItsExpectationsThenLetsItsRelationsGo() throws {
        let spec = """
            version: 1
            name: t
            workloads:
              site: {image: registry.example.com/site:1.0.0, ports: [tcp/8080]}
              api: {image: registry.example.com/api:1.0.0, ports: [tcp/9000]}
            flows:
              - {from: site, to: api, ports: [tcp/9000]}
            expect:
              - {deny: {from: site, to: api, ports: [tcp/22]}}
            """
        let policy = try #require(compileSpec(spec).policy)
        let backend = try #require(BackendRegistry.backend(for: .swarm))
        var outcome = TargetEmitter.emit(policy, with: backend)
        let emitted = try #require(outcome.emission)
        // Swarm opens every port between services on one network: the deny fails there.
        #expect(!emitted.widenedProducts.isEmpty)
        let failing = Fidelity.expectationGaps(policy, target: .swarm, emission: emitted)
        #expect(failing.map(\.kind) == [.expectationFailed])

        Pipeline.finish(&outcome, policy: policy, application: nil, staging: nil)
        let finished = try #require(outcome.emission)
        #expect(finished.gaps == emitted.gaps + failing)
        #expect(finished.widenedProducts.isEmpty && finished.narrowed.isEmpty)
        #expect(finished.files.map(\.path) == emitted.files.map(\.path))
        #expect(finished.files.map(\.contents) == emitted.files.map(\.contents), "without staging the files stay")
    }

    /// Without `--gaps`, compile keeps only the gaps that trip a gate; the count lines are
    /// taken before the others are let go, so they are those of every gap.
    @Test func aCompileKeepingTheTrippingGapsCountsThemAll() throws {
        let files = RepositoryFileSystem()
        let all = Pipeline.compile(paths: ["samples/shop.yaml"], fileSystem: files)
        let gates: Set<GapGate> = [.widened, .expectation]
        let tripping = Pipeline.compile(paths: ["samples/shop.yaml"], fileSystem: files, keeping: .tripping { _ in gates })
        #expect(all.summaries == all.gaps.map { TargetGaps(target: $0.target, gaps: $0.gaps).summary })
        #expect(tripping.summaries == all.summaries)
        #expect(all.gaps.map(\.target) == tripping.gaps.map(\.target))
        for (every, kept) in zip(all.gaps, tripping.gaps) {
            #expect(kept.gaps == every.gaps.filter { GapGate.trips($0, gates) })
        }
        #expect(tripping.gaps.contains { !$0.gaps.isEmpty } && all.gaps.contains { $0.gaps.contains { !GapGate.trips($0, gates) } })
        // A policy that says `fidelity: strict` is given the strict gates.
        let shop = try String(contentsOf: repositoryRoot.appendingPathComponent("samples/shop.yaml"), encoding: .utf8)
        for (text, strict) in [(shop, false), (shop + "\nfidelity: strict\n", true)] {
            let result = Pipeline.compile(
                paths: ["s.yaml"], fileSystem: InMemoryFileSystem(["s.yaml": text]), keeping: .tripping { $0 ? GapGate.strict : [] })
            #expect(result.gaps.count == all.gaps.count)
            #expect(result.gaps.allSatisfy(\.gaps.isEmpty) == !strict)
        }
    }

    @Test func unreadableSpecIsReportedAsSuch() {
        let result = Pipeline.compile(paths: ["missing.yaml"], fileSystem: InMemoryFileSystem([:]))
        #expect(!result.allReadable)
        #expect(result.allDiagnostics.map(\.code) == [.unreadableFile])
    }

    @Test func diagnosticsRenderWithSourceLineAndCaret() {
        let output = compileSpec("version: 1\nname: t\nworkloads:\n  web: {image: nginx:1.25, replica: 2}\n")
        let text = DiagnosticRenderer(sources: output.sources).render(output.diagnostics)
        #expect(
            text == """
                spec.yaml:4:28: error[E101]: unknown key 'replica' in a workload
                   4 |   web: {image: nginx:1.25, replica: 2}
                     |                            ^~~~~~~
                      = help: did you mean 'replicas'?

                """)
    }

    @Test func notesPointAtTheOtherPlace() {
        let output = compileSpec("version: 1\nname: t\nworkloads:\n  a: {image: x}\n  a: {image: y}\n")
        let text = DiagnosticRenderer(sources: output.sources).render(output.diagnostics)
        #expect(text.contains("spec.yaml:5:3: error[E007]: duplicate key 'a'"))
        #expect(text.contains("spec.yaml:4:3: note: first defined here"))
    }

    @Test func outputTreeIsWrittenAtomically() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-tree-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var tree = OutputTree()
        tree.add("swarm/shop/stack.yaml", "a: 1\n")
        tree.add("aws/shop/security-groups.json", "{}\n")
        try tree.write(to: root)
        #expect(tree.differences(from: root) == [])
        // A file no manifest lists is a team's own, not drift (CompileOutputTests has stale files).
        try "ours\n".write(toFile: root + "/swarm/shop/old.yaml", atomically: true, encoding: .utf8)
        #expect(tree.differences(from: root) == [])

        // A file whose folder cannot be created: nothing of the new tree lands, no temporaries stay.
        var failing = OutputTree()
        failing.add("aws/shop/security-groups.json", "{\"new\": true}\n")
        failing.add("swarm/shop/stack.yaml/inner.yaml", "b: 2\n")
        #expect(throws: (any Error).self) { try failing.write(to: root) }
        let content = try String(contentsOfFile: root + "/aws/shop/security-groups.json", encoding: .utf8)
        #expect(content == "{}\n")
        let leftovers = FileManager.default.enumerator(atPath: root)?.allObjects.compactMap { $0 as? String }.filter { $0.contains(".palisade-tmp-") }
        #expect(leftovers == [])
    }

    @Test func schemaIsValidJSONWithTheTopLevelKeys() throws {
        let data = Data(Pipeline.schema().utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let properties = try #require(object["properties"] as? [String: Any])
        #expect(Set(properties.keys) == Set(SpecSchema.root.keys))
        #expect(object["required"] as? [String] == ["version", "name", "workloads"])
    }
}

@Suite struct ExplainTests {
    static let spec = """
        version: 1
        name: t
        networks: {corp: [10.0.0.0/8], guests: [10.9.0.0/16], stripe: ["dns:api.stripe.com"]}
        workloads:
          web: {image: nginx:1.25, ports: [tcp/443]}
          api: {image: nginx:1.25, ports: [tcp/9000]}
        flows:
          - {name: public, from: corp, to: web, ports: [tcp/443]}
          - {name: no-guests, action: deny, from: guests, to: web, ports: [all]}
          - {from: web, to: api, ports: [tcp/9000]}
          - {from: api, to: stripe, ports: [tcp/443]}
        """

    func answer(_ from: String, _ to: String, _ port: String?) throws -> Explain.Answer {
        let policy = try #require(compileSpec(Self.spec).policy)
        return try Explain.explain(policy, from: from, to: to, port: port)
    }

    @Test func allowedByAFlow() throws {
        let answer = try answer("web", "api", "tcp/9000")
        #expect(answer.verdict == .allowed)
        #expect(answer.flows.map(\.flow.label) == ["flow #3"])
    }

    @Test func addressesInsideAndOutsideADeny() throws {
        #expect(try answer("10.1.2.3", "web", "tcp/443").verdict == .allowed)
        let denied = try answer("10.9.0.1", "web", "tcp/443")
        #expect(denied.verdict == .denied)
        #expect(denied.flows.map(\.flow.label) == ["public", "no-guests"])
        let partly = try answer("corp", "web", "tcp/443")
        #expect(partly.verdict == .partlyAllowed)
        #expect(
            partly.allowedPart == [
                "10.0.0.0/13, 10.8.0.0/16, 10.10.0.0/15, 10.12.0.0/14, 10.16.0.0/12, 10.32.0.0/11, 10.64.0.0/10, 10.128.0.0/9 -> web on tcp/443"
            ])
    }

    @Test func dnsDestinationsAndNonListenedPorts() throws {
        #expect(try answer("api", "dns:API.stripe.com", "tcp/443").verdict == .allowed)
        #expect(try answer("api", "dns:api.other.com", "tcp/443").verdict == .denied)
        let notListened = try answer("web", "api", "tcp/80")
        #expect(notListened.verdict == .denied)
        #expect(notListened.notes.first == "'api' does not listen on tcp/80 (it listens on tcp/9000)")
    }

    @Test func badQueriesAreErrors() {
        #expect(throws: Explain.QueryError.self) { try answer("wbe", "api", nil) }
        #expect(throws: Explain.QueryError.self) { try answer("web", "api", "tcp/99999") }
        #expect(throws: Explain.QueryError.self) { try answer("corp", "stripe", nil) }
        #expect(throws: Explain.QueryError.self) { try answer("10.1.2.3/8", "web", nil) }
    }
}
