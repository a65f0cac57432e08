/// A set of unsigned integers kept as sorted, disjoint, non-adjacent closed intervals.
/// Address sets (IPv4 as `UInt32`, IPv6 as `UInt128`) and port sets are built on it, so
/// that large sets stay small and every operation is linear in the number of intervals.
public struct IntervalSet<Bound: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable, Hashable {
    /// A closed interval `lower...upper`.
    public struct Interval: Sendable, Hashable {
        public var lower: Bound
        public var upper: Bound

        public init(_ lower: Bound, _ upper: Bound) {
            precondition(lower <= upper, "interval bounds out of order")
            self.lower = lower
            self.upper = upper
        }
    }

    /// The intervals, sorted, disjoint and never adjacent.
    public private(set) var intervals: [Interval]

    public init() { intervals = [] }

    public init(_ interval: Interval) { intervals = [interval] }

    public init(lower: Bound, upper: Bound) { intervals = [Interval(lower, upper)] }

    /// Any intervals, in any order, overlapping or not. Intervals already in ascending order
    /// (ports and addresses as a spec or a file lists them, usually) are not sorted again, and
    /// they are merged in the array given, so a caller's fresh array is the set's own.
    /// Specialized for ports and IPv4 and IPv6 addresses where other modules call it: the
    /// generic entry point sorted through the standard library's unspecialized sort.
    @_specialize(exported:true,where Bound == UInt32)
    @_specialize(exported:true,where Bound == UInt128)
    public init(normalizing input: consuming [Interval]) {
        var intervals = input
        if intervals.count > 1 {
            var ascending = true
            for index in 1..<intervals.count where intervals[index].lower < intervals[index - 1].lower {
                ascending = false
                break
            }
            if !ascending { intervals.sort { $0.lower < $1.lower } }
            var last = 0
            for index in 1..<intervals.count {
                let interval = intervals[index]
                let kept = intervals[last]
                if kept.upper == Bound.max || interval.lower <= kept.upper + 1 {
                    intervals[last].upper = max(kept.upper, interval.upper)
                } else {
                    last += 1
                    intervals[last] = interval
                }
            }
            intervals.removeLast(intervals.count - last - 1)
        }
        self.intervals = intervals
    }

    private init(sortedDisjoint intervals: [Interval]) { self.intervals = intervals }

    /// The union of many sets at once: one sort of all their intervals, where a union per set
    /// would cost the size of the growing result each time (quadratic in the number of sets).
    public init(unionOf sets: some Sequence<IntervalSet>) {
        var all: [Interval] = []
        var count = 0
        for set in sets {
            all += set.intervals
            count += 1
        }
        if count == 1 {
            self = IntervalSet(sortedDisjoint: all)
        } else {
            self.init(normalizing: consume all)
        }
    }

    /// The index of the first interval at or after `start` whose upper bound is at least
    /// `value`: a binary search, so that a small set against a large one costs a logarithm
    /// per interval instead of a walk over the large one.
    @inline(__always)
    private func firstIndex(upperAtLeast value: Bound, from start: Int) -> Int {
        var low = start
        var high = intervals.count
        // Nearby answers are common when both sets are of similar size: look a few ahead first.
        var probe = start
        while probe < high, probe < start + 4 {
            if intervals[probe].upper >= value { return probe }
            probe += 1
        }
        low = probe
        while low < high {
            let middle = (low + high) / 2
            if intervals[middle].upper < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Every value of `Bound`.
    public static var full: IntervalSet { IntervalSet(lower: .min, upper: .max) }

    public var isEmpty: Bool { intervals.isEmpty }

    public var isFull: Bool { intervals.count == 1 && intervals[0].lower == .min && intervals[0].upper == .max }

    public func contains(_ value: Bound) -> Bool {
        var low = 0
        var high = intervals.count - 1
        while low <= high {
            let middle = (low + high) / 2
            let interval = intervals[middle]
            if value < interval.lower {
                high = middle - 1
            } else if value > interval.upper {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }

    public func union(_ other: IntervalSet) -> IntervalSet {
        if other.isEmpty { return self }
        if isEmpty { return other }
        // Merge two sorted lists, then coalesce: linear.
        var merged: [Interval] = []
        merged.reserveCapacity(intervals.count + other.intervals.count)
        var i = 0
        var j = 0
        func push(_ interval: Interval) {
            if let last = merged.last, last.upper == Bound.max || interval.lower <= last.upper + 1 {
                merged[merged.count - 1].upper = max(last.upper, interval.upper)
            } else {
                merged.append(interval)
            }
        }
        while i < intervals.count || j < other.intervals.count {
            if j == other.intervals.count || (i < intervals.count && intervals[i].lower <= other.intervals[j].lower) {
                push(intervals[i])
                i += 1
            } else {
                push(other.intervals[j])
                j += 1
            }
        }
        return IntervalSet(sortedDisjoint: merged)
    }

    /// In place. When `other` starts at or after this set's last interval (ports and addresses
    /// added in ascending order, the common case of a loop), only the tail can merge: the
    /// intervals are appended, amortized constant time each, where a merge per call would copy
    /// the growing set every time (quadratic in the loop's length).
    public mutating func formUnion(_ other: IntervalSet) {
        guard let first = other.intervals.first else { return }
        guard let last = intervals.last else {
            self = other
            return
        }
        guard first.lower >= last.lower else {
            self = union(other)
            return
        }
        for interval in other.intervals {
            let tail = intervals[intervals.count - 1]
            if tail.upper == Bound.max || interval.lower <= tail.upper + 1 {
                intervals[intervals.count - 1].upper = max(tail.upper, interval.upper)
            } else {
                intervals.append(interval)
            }
        }
    }

    public func intersection(_ other: IntervalSet) -> IntervalSet {
        if isEmpty || other.isEmpty { return IntervalSet() }
        // One set within the other (ports against `all`, an address within a wider network):
        // that set itself, its storage shared, where a new array cost an allocation.
        if isSubset(of: other) { return self }
        if other.isSubset(of: self) { return other }
        var result: [Interval] = []
        forEachOverlap(with: other) { overlap in
            // Each interval of the result ends where one of the two sets' intervals ends,
            // except the last: room for all of them at once, where growing by appends
            // reallocated; none for sets that do not meet.
            if result.isEmpty { result.reserveCapacity(intervals.count + other.intervals.count - 1) }
            result.append(overlap)
            return true
        }
        return IntervalSet(sortedDisjoint: result)
    }

    /// Calls `body` with each overlap of an interval of this set and one of `other`, in order,
    /// until it returns false: the walk `intersection` and `overlaps` share.
    @inline(__always)
    private func forEachOverlap(with other: IntervalSet, _ body: (Interval) -> Bool) {
        var i = 0
        var j = 0
        while i < intervals.count, j < other.intervals.count {
            let a = intervals[i]
            let b = other.intervals[j]
            // Skip, by binary search, what lies wholly before the other side's interval.
            if a.upper < b.lower {
                i = firstIndex(upperAtLeast: b.lower, from: i + 1)
                continue
            }
            if b.upper < a.lower {
                j = other.firstIndex(upperAtLeast: a.lower, from: j + 1)
                continue
            }
            guard body(Interval(max(a.lower, b.lower), min(a.upper, b.upper))) else { return }
            if a.upper < b.upper { i += 1 } else { j += 1 }
        }
    }

    public func subtracting(_ other: IntervalSet) -> IntervalSet {
        if other.isEmpty || isEmpty { return self }
        // Nothing to take away, or everything: no new array.
        if !overlaps(other) { return self }
        if isSubset(of: other) { return IntervalSet() }
        var result: [Interval] = []
        // Each cut splits at most one interval in two: room for all of them at once.
        result.reserveCapacity(intervals.count + other.intervals.count)
        var j = 0
        for interval in intervals {
            var lower = interval.lower
            var exhausted = false
            j = other.firstIndex(upperAtLeast: lower, from: j)
            var k = j
            while k < other.intervals.count, other.intervals[k].lower <= interval.upper {
                let cut = other.intervals[k]
                if cut.lower > lower { result.append(Interval(lower, cut.lower - 1)) }
                if cut.upper >= interval.upper {
                    exhausted = true
                    break
                }
                lower = cut.upper + 1
                k += 1
            }
            if !exhausted { result.append(Interval(lower, interval.upper)) }
        }
        return IntervalSet(sortedDisjoint: result)
    }

    public mutating func subtract(_ other: IntervalSet) { self = subtracting(other) }

    /// Whether every value is in `other`: each interval must lie within one of `other`'s (they
    /// are never adjacent), found by the same search as `subtracting`, with nothing allocated.
    public func isSubset(of other: IntervalSet) -> Bool {
        var j = 0
        for interval in intervals {
            j = other.firstIndex(upperAtLeast: interval.lower, from: j)
            guard j < other.intervals.count else { return false }
            let cover = other.intervals[j]
            if cover.lower > interval.lower || cover.upper < interval.upper { return false }
        }
        return true
    }

    /// Whether the sets share a value: `intersection`'s walk, stopped at the first overlap.
    public func overlaps(_ other: IntervalSet) -> Bool {
        var found = false
        forEachOverlap(with: other) { _ in
            found = true
            return false
        }
        return found
    }

    /// How many values the set holds, as a double (an IPv6 set can hold 2^128).
    public var magnitude: Double {
        intervals.reduce(0) { $0 + Double($1.upper - $1.lower) + 1 }
    }

    /// The smallest value, when the set is not empty.
    public var first: Bound? { intervals.first?.lower }
}
