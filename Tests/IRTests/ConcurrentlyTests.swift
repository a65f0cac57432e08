import Testing

@testable import IR

/// `Concurrently.map` gives each piece's result at its position, whatever order the pieces
/// start or finish in; `Concurrently.ranges` cuts positions into consecutive, near-equal parts.
@Suite struct ConcurrentlyTests {
    @Test func resultsComeBackByPosition() {
        #expect(Concurrently.map(count: 50) { $0 * $0 } == (0..<50).map { $0 * $0 })
        let order = Array((0..<20).reversed())
        #expect(Concurrently.map(count: 20, order: order) { "\($0)" } == (0..<20).map { "\($0)" })
        #expect(Concurrently.map(count: 0) { $0 }.isEmpty)
    }

    @Test(arguments: [(0, 3), (1, 3), (10, 1), (10, 3), (10, 10), (10, 20), (40_000, 8), (9, 0)])
    func rangesCoverEveryPositionOnceInOrder(count: Int, parts: Int) {
        let ranges = Concurrently.ranges(count, parts: parts)
        #expect(ranges.count == max(1, min(parts, count)))
        #expect(ranges.first?.lowerBound == 0)
        #expect(ranges.last?.upperBound == count)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        let sizes = ranges.map(\.count)
        #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
    }
}
