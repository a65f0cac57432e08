/// A position in a source file: 1-based line and column (in characters), and the 0-based
/// character offset from the start of the file.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column, lhs.offset) < (rhs.line, rhs.column, rhs.offset)
    }

    public var description: String { "\(line):\(column)" }
}

/// The span of a node in a named source file, from `start` up to (not including) `end`.
public struct SourceRange: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The file as the user named it (relative paths stay relative).
    public var file: String
    public var start: SourcePosition
    public var end: SourcePosition

    public init(file: String, start: SourcePosition, end: SourcePosition) {
        self.file = file
        self.start = start
        self.end = end
    }

    /// A range that covers a whole file without pointing at any line in it.
    public static func wholeFile(_ file: String) -> SourceRange {
        let origin = SourcePosition(line: 1, column: 1, offset: 0)
        return SourceRange(file: file, start: origin, end: origin)
    }

    public static func < (lhs: SourceRange, rhs: SourceRange) -> Bool {
        (lhs.file, lhs.start) < (rhs.file, rhs.start)
    }

    /// `FILE:LINE:COL`, the prefix every diagnostic line starts with; control characters in
    /// the file's name are escaped, so that the prefix stays on its line.
    public var description: String { "\(SafeText.escaped(file)):\(start.line):\(start.column)" }
}
