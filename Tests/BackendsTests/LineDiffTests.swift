import Backends
import TestSupport
import Testing

/// The line diff behind `--check`'s unified diffs: hunks that are right (applied to the old
/// lines they give the new ones), minimal (as short as a longest common subsequence allows),
/// placed where GNU diff places them, and bounded on huge inputs.
@Suite struct LineDiffTests {
    func bytes(_ lines: [String], newlineAtEnd: Bool = true) -> [UInt8] {
        Array((lines.joined(separator: "\n") + (newlineAtEnd && !lines.isEmpty ? "\n" : "")).utf8)
    }

    /// Each hunk as its header and its lines, `-`/`+`/` ` first.
    func render(_ result: LineDiff.Result) -> [String] {
        result.hunks.flatMap { hunk in
            ["@@ -\(hunk.oldStart),\(hunk.oldCount) +\(hunk.newStart),\(hunk.newCount) @@"]
                + hunk.lines.map { line in
                    let mark =
                        switch line.kind {
                        case .context: " "
                        case .removed: "-"
                        case .added: "+"
                        }
                    return mark + line.text + (line.endsWithNewline ? "" : "\\")
                }
        }
    }

    func diff(_ old: [String], _ new: [String], context: Int = 1) -> [String] {
        render(LineDiff.diff(old: bytes(old), new: bytes(new), context: context))
    }

    let five = ["a", "b", "c", "d", "e"]

    @Test func equalFilesHaveNoHunk() {
        #expect(diff(five, five) == [])
        #expect(diff([], []) == [])
    }

    @Test func insertionsAtTheStartInTheMiddleAndAtTheEnd() {
        #expect(diff(five, ["x"] + five) == ["@@ -1,1 +1,2 @@", "+x", " a"])
        #expect(diff(five, ["a", "b", "x", "c", "d", "e"]) == ["@@ -2,2 +2,3 @@", " b", "+x", " c"])
        #expect(diff(five, five + ["x"]) == ["@@ -5,1 +5,2 @@", " e", "+x"])
        // Without context, an insertion's old range is empty and starts at the line before it.
        #expect(diff(five, ["x"] + five, context: 0) == ["@@ -0,0 +1,1 @@", "+x"])
        #expect(diff(five, ["a", "b", "x", "c", "d", "e"], context: 0) == ["@@ -2,0 +3,1 @@", "+x"])
        #expect(diff(five, five + ["x"], context: 0) == ["@@ -5,0 +6,1 @@", "+x"])
    }

    @Test func deletionsAtTheStartInTheMiddleAndAtTheEnd() {
        #expect(diff(five, ["b", "c", "d", "e"]) == ["@@ -1,2 +1,1 @@", "-a", " b"])
        #expect(diff(five, ["a", "b", "d", "e"]) == ["@@ -2,3 +2,2 @@", " b", "-c", " d"])
        #expect(diff(five, ["a", "b", "c", "d"]) == ["@@ -4,2 +4,1 @@", " d", "-e"])
        #expect(diff(five, ["b", "c", "d", "e"], context: 0) == ["@@ -1,1 +0,0 @@", "-a"])
        #expect(diff(five, ["a", "b", "c", "d"], context: 0) == ["@@ -5,1 +4,0 @@", "-e"])
    }

    @Test func changesAtTheStartInTheMiddleAndAtTheEnd() {
        #expect(diff(five, ["A", "b", "c", "d", "e"]) == ["@@ -1,2 +1,2 @@", "-a", "+A", " b"])
        #expect(diff(five, ["a", "b", "C", "d", "e"]) == ["@@ -2,3 +2,3 @@", " b", "-c", "+C", " d"])
        #expect(diff(five, ["a", "b", "c", "d", "E"]) == ["@@ -4,2 +4,2 @@", " d", "-e", "+E"])
    }

    @Test func fromAndToAnEmptyFile() {
        #expect(diff([], ["a", "b"]) == ["@@ -0,0 +1,2 @@", "+a", "+b"])
        #expect(diff(["a", "b"], []) == ["@@ -1,2 +0,0 @@", "-a", "-b"])
    }

    @Test func aMissingFinalNewlineIsADifferenceOfItsOwn() {
        let result = LineDiff.diff(old: bytes(["a", "b"], newlineAtEnd: false), new: bytes(["a", "b"]), context: 1)
        #expect(render(result) == ["@@ -1,2 +1,2 @@", " a", "-b\\", "+b"])
        #expect(render(LineDiff.diff(old: bytes(["a"]), new: bytes(["a", "c"], newlineAtEnd: false), context: 0)) == ["@@ -1,0 +2,1 @@", "+c\\"])
    }

    @Test func changesCloseTogetherShareAHunkAndFarApartDoNot() {
        let lines = (1...20).map { "l\($0)" }
        var near = lines
        near[4] = "x"
        near[10] = "y"  // five unchanged lines between: one hunk with 3 lines of context
        #expect(LineDiff.diff(old: bytes(lines), new: bytes(near)).hunks.count == 1)
        var far = lines
        far[2] = "x"
        far[16] = "y"
        let hunks = LineDiff.diff(old: bytes(lines), new: bytes(far)).hunks
        #expect(hunks.map { [$0.oldStart, $0.oldCount, $0.newStart, $0.newCount] } == [[1, 6, 1, 6], [14, 7, 14, 7]])
        var six = lines
        six[3] = "x"
        six[10] = "y"  // six unchanged lines between: exactly twice the context, still one hunk
        #expect(LineDiff.diff(old: bytes(lines), new: bytes(six)).hunks.count == 1)
        var seven = lines
        seven[3] = "x"
        seven[11] = "y"
        #expect(LineDiff.diff(old: bytes(lines), new: bytes(seven)).hunks.count == 2)
    }

    /// Applies hunks to the old lines; nil when a context or removed line does not match.
    func apply(_ result: LineDiff.Result, to old: [String]) -> [String]? {
        var output: [String] = []
        var next = 0  // the next old line to copy
        for hunk in result.hunks {
            let start = hunk.oldCount == 0 ? hunk.oldStart : hunk.oldStart - 1
            guard start >= next, start <= old.count else { return nil }
            output += old[next..<start]
            next = start
            for line in hunk.lines {
                switch line.kind {
                case .context, .removed:
                    guard next < old.count, old[next] == line.text else { return nil }
                    if line.kind == .context { output.append(line.text) }
                    next += 1
                case .added:
                    output.append(line.text)
                }
            }
        }
        return output + old[next...]
    }

    /// The length of a longest common subsequence, the slow way.
    func lcs(_ a: [String], _ b: [String]) -> Int {
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        return table[0][0]
    }

    @Test func randomEditsAreRightAndMinimal() {
        var random = SeededGenerator(seed: 20_261_129)
        for round in 0..<300 {
            let alphabet = ["a", "b", "c", "d"]
            let old = (0..<Int.random(in: 0...14, using: &random)).map { _ in alphabet.randomElement(using: &random) ?? "a" }
            let new = (0..<Int.random(in: 0...14, using: &random)).map { _ in alphabet.randomElement(using: &random) ?? "a" }
            let result = LineDiff.diff(old: bytes(old), new: bytes(new), context: Int.random(in: 0...3, using: &random))
            #expect(result.isMinimal)
            #expect(apply(result, to: old) == new, "round \(round): \(old) → \(new)")
            let edits = result.hunks.flatMap(\.lines).filter { $0.kind != .context }.count
            #expect(edits == old.count + new.count - 2 * lcs(old, new), "round \(round): \(old) → \(new)")
        }
    }

    @Test func pastItsBoundsTheDiffShowsTheMiddleReplacedWholeAndStaysRight() {
        let old = (0..<400).map { "old \($0)" } + ["same"]
        let new = (0..<400).map { $0.isMultiple(of: 2) ? "old \($0)" : "new \($0)" } + ["same"]
        let bounded = LineDiff.diff(old: bytes(old), new: bytes(new), maxEdits: 50)
        #expect(!bounded.isMinimal)
        #expect(apply(bounded, to: old) == new)
        #expect(bounded.hunks.flatMap(\.lines).filter { $0.kind == .removed }.count == 399, "from the first difference to the last")
        let exact = LineDiff.diff(old: bytes(old), new: bytes(new))
        #expect(exact.isMinimal)
        #expect(exact.hunks.flatMap(\.lines).filter { $0.kind == .removed }.count == 200)
    }

    @Test func aHugeFileWithEveryLineChangedStaysCheap() {
        let old = (0..<200_000).map { "line \($0)" }
        let new = old.map { $0 + "!" }
        let result = LineDiff.diff(old: bytes(old), new: bytes(new))
        #expect(!result.isMinimal)
        #expect(result.hunks.count == 1)
    }
}
