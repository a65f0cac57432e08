/// The lines two versions of a file differ in, as the hunks of a unified diff (`--check` shows
/// how a file drifted with them). Lines are compared as bytes, each with its line ending, so a
/// missing final newline is a difference too.
///
/// The shortest edit script is Myers' greedy algorithm (O((N+M)·D) time, D²/2 memory for the
/// path back), run between the common prefix and suffix. It is bounded: past `maxEdits`
/// differing lines, or when (N+M)·D would pass `maxWork`, the middle is shown removed and added
/// as a whole (`Result.isMinimal` is false), so a huge file costs linear time and memory.
public enum LineDiff {
    public struct Line: Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case context, removed, added }
        public var kind: Kind
        /// The line's text without its line ending (decoded leniently: bytes that are not UTF-8
        /// become U+FFFD).
        public var text: String
        /// False for a last line without a newline (`\ No newline at end of file`).
        public var endsWithNewline: Bool

        public init(_ kind: Kind, _ text: String, endsWithNewline: Bool = true) {
            self.kind = kind
            self.text = text
            self.endsWithNewline = endsWithNewline
        }
    }

    /// `@@ -oldStart,oldCount +newStart,newCount @@` and its lines. Starts are 1-based; a start
    /// with a count of 0 is the line before the (empty) range, as in GNU diff.
    public struct Hunk: Sendable, Hashable {
        public var oldStart: Int
        public var oldCount: Int
        public var newStart: Int
        public var newCount: Int
        public var lines: [Line]
    }

    public struct Result: Sendable, Hashable {
        public var hunks: [Hunk]
        /// False when the bounds cut the search short and the differing middle is shown whole.
        public var isMinimal: Bool
    }

    /// One step of an edit script: an index into the old lines, the new ones, or both.
    enum Edit: Hashable {
        case keep(Int, Int)
        case remove(Int)
        case insert(Int)
    }

    /// The hunks that turn `old` into `new`, each with up to `context` unchanged lines around its changes.
    public static func diff(old: [UInt8], new: [UInt8], context: Int = 3, maxEdits: Int = 1000, maxWork: Int = 50_000_000) -> Result {
        let a = lines(old)
        let b = lines(new)
        // Lines as numbers: equal lines, equal numbers.
        var numbers: [ArraySlice<UInt8>: Int] = [:]
        func number(_ line: ArraySlice<UInt8>) -> Int {
            if let known = numbers[line] { return known }
            numbers[line] = numbers.count
            return numbers.count - 1
        }
        let x = a.map(number)
        let y = b.map(number)
        let (script, isMinimal) = editScript(x, y, maxEdits: maxEdits, maxWork: maxWork)
        return Result(hunks: hunks(script, a, b, context: max(0, context)), isMinimal: isMinimal)
    }

    /// The lines of `bytes`, each with its `\n` (the last one may have none).
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            result.append(bytes[start...index])
            start = index + 1
        }
        if start < bytes.count { result.append(bytes[start...]) }
        return result
    }

    /// A shortest edit script from `a` to `b` (or, past the bounds, one that is not).
    static func editScript(_ a: [Int], _ b: [Int], maxEdits: Int, maxWork: Int) -> ([Edit], Bool) {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        var script = (0..<prefix).map { Edit.keep($0, $0) }
        let middleA = Array(a[prefix..<(a.count - suffix)])
        let middleB = Array(b[prefix..<(b.count - suffix)])
        let size = middleA.count + middleB.count
        let bound = min(maxEdits, maxWork / max(size, 1))
        var isMinimal = true
        if let middle = myers(middleA, middleB, maxEdits: bound) {
            script += middle.map { edit in
                switch edit {
                case .keep(let i, let j): .keep(i + prefix, j + prefix)
                case .remove(let i): .remove(i + prefix)
                case .insert(let j): .insert(j + prefix)
                }
            }
        } else {
            isMinimal = false
            script += middleA.indices.map { .remove($0 + prefix) } + middleB.indices.map { .insert($0 + prefix) }
        }
        script += (0..<suffix).map { .keep(a.count - suffix + $0, b.count - suffix + $0) }
        return (removalsFirst(script), isMinimal)
    }

    /// The same script with each run of changes as diff prints it: its removed lines, then its added ones.
    static func removalsFirst(_ script: [Edit]) -> [Edit] {
        var result: [Edit] = []
        var removed: [Edit] = []
        var added: [Edit] = []
        for edit in script {
            switch edit {
            case .keep:
                result += removed + added
                removed = []
                added = []
                result.append(edit)
            case .remove: removed.append(edit)
            case .insert: added.append(edit)
            }
        }
        return result + removed + added
    }

    /// Myers' greedy forward search, keeping each round's furthest points to walk back the
    /// path; nil when more than `maxEdits` lines differ.
    static func myers(_ a: [Int], _ b: [Int], maxEdits: Int) -> [Edit]? {
        let n = a.count
        let m = b.count
        if n == 0 || m == 0 { return (0..<n).map { .remove($0) } + (0..<m).map { .insert($0) } }
        let limit = min(n + m, maxEdits)
        let offset = limit + 1
        // v[k + offset]: the furthest x reached on diagonal k = x - y.
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        // trace[d][k + d]: v on diagonals -d...d after round d.
        var trace: [[Int]] = []
        var end: Int?
        search: for d in 0...limit {
            for k in stride(from: -d, through: d, by: 2) {
                var x = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1
                var y = x - k
                while x < n, y < m, a[x] == b[y] {
                    x += 1
                    y += 1
                }
                v[offset + k] = x
                if x >= n, y >= m {
                    trace.append(Array(v[(offset - d)...(offset + d)]))
                    end = d
                    break search
                }
            }
            trace.append(Array(v[(offset - d)...(offset + d)]))
        }
        guard let distance = end else { return nil }
        // Walk back from (n, m), one round at a time.
        var edits: [Edit] = []
        var x = n
        var y = m
        for d in stride(from: distance, to: 0, by: -1) {
            let previous = trace[d - 1]  // diagonals -(d-1)...(d-1)
            let k = x - y
            let down = k == -d || (k != d && previous[k - 1 + (d - 1)] < previous[k + 1 + (d - 1)])
            let previousK = down ? k + 1 : k - 1
            let previousX = previous[previousK + (d - 1)]
            let previousY = previousX - previousK
            while x > previousX, y > previousY {
                x -= 1
                y -= 1
                edits.append(.keep(x, y))
            }
            if down {
                y -= 1
                edits.append(.insert(y))
            } else {
                x -= 1
                edits.append(.remove(x))
            }
        }
        while x > 0, y > 0 {
            x -= 1
            y -= 1
            edits.append(.keep(x, y))
        }
        return edits.reversed()
    }

    /// Groups an edit script into hunks: changes with at most twice the context between them share one.
    static func hunks(_ script: [Edit], _ a: [ArraySlice<UInt8>], _ b: [ArraySlice<UInt8>], context: Int) -> [Hunk] {
        let changes = script.indices.filter { if case .keep = script[$0] { false } else { true } }
        guard let first = changes.first else { return [] }
        // Ranges of script indices, each a hunk with its context.
        var ranges: [ClosedRange<Int>] = []
        var start = max(0, first - context)
        var end = min(script.count - 1, first + context)
        for change in changes.dropFirst() {
            if change - context > end + 1 {
                ranges.append(start...end)
                start = change - context
            }
            end = min(script.count - 1, change + context)
        }
        ranges.append(start...end)
        // How many old and new lines come before each step of the script.
        var before: [(old: Int, new: Int)] = []
        before.reserveCapacity(script.count)
        var position = (old: 0, new: 0)
        for edit in script {
            before.append(position)
            switch edit {
            case .keep: position = (position.old + 1, position.new + 1)
            case .remove: position.old += 1
            case .insert: position.new += 1
            }
        }
        return ranges.map { range in
            let (old, new) = before[range.lowerBound]
            var hunk = Hunk(oldStart: old + 1, oldCount: 0, newStart: new + 1, newCount: 0, lines: [])
            for edit in script[range] {
                switch edit {
                case .keep(let i, _):
                    hunk.lines.append(line(.context, a[i]))
                    hunk.oldCount += 1
                    hunk.newCount += 1
                case .remove(let i):
                    hunk.lines.append(line(.removed, a[i]))
                    hunk.oldCount += 1
                case .insert(let j):
                    hunk.lines.append(line(.added, b[j]))
                    hunk.newCount += 1
                }
            }
            if hunk.oldCount == 0 { hunk.oldStart -= 1 }
            if hunk.newCount == 0 { hunk.newStart -= 1 }
            return hunk
        }
    }

    static func line(_ kind: Line.Kind, _ bytes: ArraySlice<UInt8>) -> Line {
        let endsWithNewline = bytes.last == UInt8(ascii: "\n")
        return Line(kind, String(decoding: endsWithNewline ? bytes.dropLast() : bytes, as: UTF8.self), endsWithNewline: endsWithNewline)
    }
}
