/// An edge clique cover of an undirected graph: a list of cliques such that every edge lies
/// in at least one clique, and no two vertices share a clique unless they are adjacent.
/// Platforms whose only isolation is "members of one network reach each other" (Swarm
/// overlay networks, Mesos CNI networks) use it to put exactly the intended pairs together.
///
/// Finding the smallest cover is NP-hard; this is the usual greedy: take the first uncovered
/// edge, grow a clique around it with the common neighbour that covers the most uncovered
/// edges (lowest index on ties), until no neighbour adds an uncovered edge. Deterministic.
/// Work is about the sum over cliques of (common neighbours × clique size): near-linear on
/// sparse graphs.
public struct EdgeCliqueCover: Sendable {
    /// Cliques as sorted vertex lists, in the order found.
    public private(set) var cliques: [[Int]] = []

    /// - Parameters:
    ///   - vertexCount: vertices are `0..<vertexCount`.
    ///   - edges: undirected edges; self-loops and repeats are ignored.
    public init(vertexCount: Int, edges: [(Int, Int)]) {
        var adjacency = [Set<Int>](repeating: [], count: vertexCount)
        for (a, b) in edges where a != b {
            adjacency[a].insert(b)
            adjacency[b].insert(a)
        }
        // Uncovered neighbours of each vertex.
        var uncovered = adjacency
        let sortedNeighbours = adjacency.map { $0.sorted() }
        for u in 0..<vertexCount {
            while let v = sortedNeighbours[u].first(where: { uncovered[u].contains($0) }) {
                var clique = [u, v]
                var candidates = sortedNeighbours[u].filter { adjacency[v].contains($0) }
                while true {
                    var best: (vertex: Int, score: Int)?
                    for w in candidates {
                        let score = clique.reduce(0) { $0 + (uncovered[w].contains($1) ? 1 : 0) }
                        if score > 0, best == nil || score > best!.score { best = (w, score) }
                    }
                    guard let chosen = best?.vertex else { break }
                    clique.append(chosen)
                    candidates = candidates.filter { $0 != chosen && adjacency[chosen].contains($0) }
                }
                for a in clique {
                    for b in clique where a != b { uncovered[a].remove(b) }
                }
                cliques.append(clique.sorted())
            }
        }
    }
}
