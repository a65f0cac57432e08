import Analysis
import IR
import Spec
import TestSupport
import Testing

/// The compare report's pictures: a target's graph is drawn only where the intent alone has
/// at most `maxEdges` edges, counted without drawing (`IntentGraph.edgeCount`).
@Suite struct CompareGraphBoundTests {
    func policy(_ sample: String) throws -> Policy {
        try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/\(sample)").path).policy)
    }

    @Test func theEdgeCountIsTheEdgesTheGraphDraws() throws {
        for sample in ["minimal.yaml", "no-segments.yaml", "payments.yaml", "platform.yaml", "shop.yaml"] {
            let policy = try policy(sample)
            #expect(IntentGraph.edgeCount(of: policy.intent) == IntentGraph(policy).edges.count, "\(sample)")
        }
        var rng = SeededGenerator(seed: 0xED6E)
        for _ in 0..<60 {
            let policy = try #require(compileSpec(RandomSpec.generate(&rng)).policy)
            #expect(IntentGraph.edgeCount(of: policy.intent) == IntentGraph(policy).edges.count)
        }
    }

    @Test func aTargetsGraphIsLeftOutOnlyWhenTheIntentAloneHasMoreEdges() throws {
        let policy = try policy("shop.yaml")
        let comparison = Comparison(policy, targets: [.swarm])
        let result = try #require(comparison.targets.first)
        let whole = try #require(comparison.graph(of: result))
        let intent = IntentGraph.edgeCount(of: policy.intent)
        #expect(whole.edges.count > intent)
        // At the intent's own count the graph is drawn, whole; one below, it is not.
        let bounded = try #require(comparison.graph(of: result, maxEdges: intent))
        #expect(bounded.edges.count == whole.edges.count)
        #expect(comparison.graph(of: result, maxEdges: intent - 1) == nil)
    }
}
