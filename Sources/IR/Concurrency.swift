import Dispatch

/// Independent pieces of work spread over the cores: the targets of a compile, the two specs of
/// a diff, the parts of a large spec's front end.
public enum Concurrently {
    /// `body` for each position below `count`, run concurrently on the cores and started in
    /// `order` (nil: ascending); the results by position. Returns once every piece is done.
    public static func map<Value>(count: Int, order: [Int]? = nil, _ body: @Sendable (Int) -> Value) -> [Value] {
        let results = Results<Value>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { step in
            let index = order?[step] ?? step
            results.set(index, body(index))
        }
        return results.values
    }

    /// The positions `0..<count` in `parts` consecutive ranges of sizes that differ by one at
    /// most (fewer when `count` is smaller than `parts`), in order.
    public static func ranges(_ count: Int, parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, count))
        return (0..<parts).map { part in (count * part / parts)..<(count * (part + 1) / parts) }
    }

    /// One slot per piece, each written once by the thread that ran the piece; read once
    /// `concurrentPerform` has returned, which orders every write before the read.
    private final class Results<Value>: @unchecked Sendable {
        private let slots: UnsafeMutableBufferPointer<Value?>

        init(count: Int) {
            slots = .allocate(capacity: count)
            slots.initialize(repeating: nil)
        }

        deinit {
            slots.deinitialize()
            slots.deallocate()
        }

        func set(_ index: Int, _ value: Value) { slots[index] = value }

        var values: [Value] { slots.compactMap { $0 } }
    }
}
