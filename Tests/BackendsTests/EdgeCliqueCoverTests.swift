import Testing
import TestSupport
@testable import Backends

@Suite struct EdgeCliqueCoverTests {
    @Test func coversEveryEdgeWithTrueCliquesOnly() {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<300 {
            let n = Int.random(in: 1...14, using: &rng)
            let density = Double.random(in: 0...1, using: &rng)
            var edges: [(Int, Int)] = []
            var adjacent = Set<[Int]>()
            for a in 0..<n {
                for b in (a + 1)..<max(a + 1, n) where Double.random(in: 0...1, using: &rng) < density {
                    edges.append(Bool.random(using: &rng) ? (a, b) : (b, a))
                    adjacent.insert([a, b])
                }
            }
            let cover = EdgeCliqueCover(vertexCount: n, edges: edges.shuffled(using: &rng))
            var covered = Set<[Int]>()
            for clique in cover.cliques {
                #expect(clique.count >= 2)
                for (i, a) in clique.enumerated() {
                    for b in clique[(i + 1)...] {
                        #expect(adjacent.contains([min(a, b), max(a, b)]), "non-adjacent \(a), \(b) share a clique")
                        covered.insert([min(a, b), max(a, b)])
                    }
                }
            }
            #expect(covered == adjacent)
        }
    }

    @Test func aCompleteGraphIsOneClique() {
        let edges = (0..<6).flatMap { a in ((a + 1)..<6).map { (a, $0) } }
        #expect(EdgeCliqueCover(vertexCount: 6, edges: edges).cliques == [[0, 1, 2, 3, 4, 5]])
    }

    @Test func aBipartiteGraphNeedsOneCliquePerEdge() {
        let edges = [(0, 2), (0, 3), (1, 2), (1, 3)]
        #expect(EdgeCliqueCover(vertexCount: 4, edges: edges).cliques == [[0, 2], [0, 3], [1, 2], [1, 3]])
    }

    @Test func isDeterministicWhateverTheEdgeOrder() {
        let edges = [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (2, 4)]
        let a = EdgeCliqueCover(vertexCount: 5, edges: edges).cliques
        let b = EdgeCliqueCover(vertexCount: 5, edges: edges.reversed()).cliques
        #expect(a == b)
        #expect(a == [[0, 1, 2], [2, 3, 4]])
    }
}
