/// `numerator / denominator` as a short exact decimal when it has at most `digits` decimals,
/// else rounded up to `digits` decimals (resource amounts are never rounded down).
public func decimalText(_ numerator: Int, _ denominator: Int, digits: Int = 3) -> String {
    var scale = 1
    for _ in 0..<digits { scale *= 10 }
    let scaled = (numerator * scale + denominator - 1) / denominator
    let whole = scaled / scale
    var fraction = String(scaled % scale)
    guard fraction != "0" else { return String(whole) }
    fraction = String(repeating: "0", count: digits - fraction.count) + fraction
    while fraction.hasSuffix("0") { fraction.removeLast() }
    return "\(whole).\(fraction)"
}

/// Vertices grouped by connected component (each sorted, components in order of their
/// smallest vertex); isolated vertices are components of one.
public func connectedComponents(vertexCount: Int, edges: [(Int, Int)]) -> [[Int]] {
    var parent = Array(0..<vertexCount)
    func root(_ vertex: Int) -> Int {
        var current = vertex
        while parent[current] != current {
            parent[current] = parent[parent[current]]
            current = parent[current]
        }
        return current
    }
    for (a, b) in edges {
        let ra = root(a)
        let rb = root(b)
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }
    var groups: [Int: [Int]] = [:]
    for vertex in 0..<vertexCount { groups[root(vertex), default: []].append(vertex) }
    return groups.sorted { $0.key < $1.key }.map(\.value)
}
