import Testing

@testable import IR

/// Brute force over a small domain: every operation must agree with plain Swift sets.
@Suite struct IntervalSetTests {
    typealias Small = IntervalSet<UInt8>

    func randomSet(_ rng: inout SplitMix) -> (Small, Set<UInt8>) {
        var intervals: [Small.Interval] = []
        var members = Set<UInt8>()
        for _ in 0..<Int.random(in: 0...6, using: &rng) {
            let a = UInt8.random(in: 0...255, using: &rng)
            let length = UInt8.random(in: 0...40, using: &rng)
            let b = a &+ length < a ? 255 : a + length
            intervals.append(.init(a, b))
            for value in a...b { members.insert(value) }
        }
        return (Small(normalizing: intervals), members)
    }

    func members(_ set: Small) -> Set<UInt8> {
        Set(set.intervals.flatMap { Array($0.lower...$0.upper) })
    }

    @Test func operationsAgreeWithBruteForce() {
        var rng = SplitMix(seed: 7)
        for _ in 0..<2000 {
            let (a, sa) = randomSet(&rng)
            let (b, sb) = randomSet(&rng)
            #expect(members(a) == sa)
            #expect(members(a.union(b)) == sa.union(sb))
            var formed = a
            formed.formUnion(b)
            #expect(formed == a.union(b))
            #expect(members(a.intersection(b)) == sa.intersection(sb))
            #expect(members(a.subtracting(b)) == sa.subtracting(sb))
            #expect(a.isSubset(of: b) == sa.isSubset(of: sb))
            #expect(a.overlaps(b) == !sa.isDisjoint(with: sb))
            let probe = UInt8.random(in: 0...255, using: &rng)
            #expect(a.contains(probe) == sa.contains(probe))
        }
    }

    /// Pairs where one set lies within the other or the two do not meet, which `intersection`
    /// and `subtracting` answer without building a new array: the same sets as brute force,
    /// and the operand itself where the answer is that operand.
    @Test func withinAndApartAgreeWithBruteForce() {
        var rng = SplitMix(seed: 8)
        for _ in 0..<1000 {
            let (a, sa) = randomSet(&rng)
            let (c, _) = randomSet(&rng)
            let wider = a.union(c)
            let narrower = a.intersection(c)
            let apart = Small.full.subtracting(a)
            for b in [wider, narrower, apart, a] {
                let sb = members(b)
                #expect(members(a.intersection(b)) == sa.intersection(sb))
                #expect(members(b.intersection(a)) == sa.intersection(sb))
                #expect(members(a.subtracting(b)) == sa.subtracting(sb))
                #expect(members(b.subtracting(a)) == sb.subtracting(sa))
            }
            #expect(a.intersection(wider) == a)
            #expect(wider.intersection(a) == a)
            #expect(a.subtracting(apart) == a)
            #expect(a.subtracting(wider).isEmpty)
        }
    }

    /// Sets grown one interval at a time, in ascending order (the in-place path) and in random
    /// order, equal the set built at once, also up to the domain's maximum.
    @Test func formUnionInAnyOrderEqualsNormalizing() {
        var rng = SplitMix(seed: 11)
        for _ in 0..<500 {
            var pieces: [Small.Interval] = []
            for _ in 0..<Int.random(in: 1...12, using: &rng) {
                let a = UInt8.random(in: 0...255, using: &rng)
                let b = UInt8.random(in: a...min(255, a &+ 20 < a ? 255 : a + 20), using: &rng)
                pieces.append(.init(a, b))
            }
            let whole = Small(normalizing: pieces)
            for order in [pieces.sorted { $0.lower < $1.lower }, pieces] {
                var grown = Small()
                for piece in order { grown.formUnion(Small(piece)) }
                #expect(grown == whole)
            }
        }
    }

    /// Intervals given in ascending order (merged without a sort, in place), some touching,
    /// overlapping or nested, and the same shuffled, give the set of their members.
    @Test func normalizingAscendingInputAgreesWithBruteForce() {
        var rng = SplitMix(seed: 17)
        for _ in 0..<1000 {
            var pieces: [Small.Interval] = []
            var members = Set<UInt8>()
            var lower = UInt8.random(in: 0...20, using: &rng)
            for _ in 0..<Int.random(in: 0...10, using: &rng) {
                let upper = UInt8(min(255, Int(lower) + Int.random(in: 0...30, using: &rng)))
                pieces.append(.init(lower, upper))
                for value in lower...upper { members.insert(value) }
                lower = UInt8(min(255, Int(lower) + Int.random(in: 0...25, using: &rng)))
            }
            #expect(self.members(Small(normalizing: pieces)) == members)
            #expect(Small(normalizing: pieces.shuffled(using: &rng)) == Small(normalizing: pieces))
        }
    }

    @Test func normalFormIsCanonical() {
        var rng = SplitMix(seed: 11)
        for _ in 0..<500 {
            let (a, _) = randomSet(&rng)
            // Sorted, disjoint, never adjacent: equal sets have equal representations.
            for (left, right) in zip(a.intervals, a.intervals.dropFirst()) {
                #expect(left.upper < right.lower)
                #expect(right.lower - left.upper >= 2)
            }
            #expect(Small(normalizing: a.intervals.reversed()) == a)
        }
    }

    @Test func adjacentAndOverlappingRangesMerge() {
        let set = Small(normalizing: [.init(10, 20), .init(21, 30), .init(25, 40), .init(50, 50)])
        #expect(set.intervals == [.init(10, 40), .init(50, 50)])
    }

    @Test func extremesDoNotOverflow() {
        let full = Small.full
        #expect(full.isFull)
        #expect(full.subtracting(Small(lower: 0, upper: 0)).intervals == [.init(1, 255)])
        #expect(full.subtracting(Small(lower: 255, upper: 255)).intervals == [.init(0, 254)])
        #expect(Small(lower: 255, upper: 255).union(Small(lower: 0, upper: 254)).isFull)
        let wide = IntervalSet<UInt128>.full.subtracting(IntervalSet(lower: 5, upper: 5))
        #expect(wide.intervals.count == 2)
    }
}

/// SplitMix64, so that property tests are repeatable.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
