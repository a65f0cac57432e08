import Synchronization

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
    /// The file, interned: a range is copied with every located value, on every thread, and a
    /// name held as a `String` would have all of them count references to one object.
    public var fileName: FileName
    public var start: SourcePosition
    public var end: SourcePosition

    public init(file: String, start: SourcePosition, end: SourcePosition) {
        self.init(fileName: FileName(file), start: start, end: end)
    }

    public init(fileName: FileName, start: SourcePosition, end: SourcePosition) {
        self.fileName = fileName
        self.start = start
        self.end = end
    }

    /// The file as the user named it (relative paths stay relative).
    public var file: String {
        get { fileName.name }
        set { fileName = FileName(newValue) }
    }

    /// A range that covers a whole file without pointing at any line in it.
    public static func wholeFile(_ file: String) -> SourceRange {
        let origin = SourcePosition(line: 1, column: 1, offset: 0)
        return SourceRange(file: file, start: origin, end: origin)
    }

    public static func < (lhs: SourceRange, rhs: SourceRange) -> Bool {
        lhs.fileName == rhs.fileName ? lhs.start < rhs.start : lhs.file < rhs.file
    }

    /// `FILE:LINE:COL`, the prefix every diagnostic line starts with; control characters in
    /// the file's name are escaped, so that the prefix stays on its line.
    public var description: String { "\(SafeText.escaped(file)):\(start.line):\(start.column)" }
}

/// A file's name, interned: made once per distinct name for the life of the process, and then
/// copied, compared and hashed as a pointer, without reference counting. Names are few (the
/// files a run reads or names), so keeping each one is no cost.
public struct FileName: Sendable, Hashable, Comparable, CustomStringConvertible {
    private let storage: Storage

    /// The one `FileName` of `name`.
    public init(_ name: String) { storage = Self.interned(name) }

    /// The name as given.
    public var name: String { storage.box.takeUnretainedValue().name }

    public var description: String { name }

    public static func == (lhs: FileName, rhs: FileName) -> Bool { lhs.storage.box.toOpaque() == rhs.storage.box.toOpaque() }

    public func hash(into hasher: inout Hasher) { hasher.combine(storage.box.toOpaque()) }

    /// By name.
    public static func < (lhs: FileName, rhs: FileName) -> Bool { lhs != rhs && lhs.name < rhs.name }

    private final class Box {
        let name: String
        init(_ name: String) { self.name = name }
    }

    /// A box never let go, so the unmanaged reference stays valid.
    private struct Storage: @unchecked Sendable {
        let box: Unmanaged<Box>
    }

    private static let table = Mutex<[String: Storage]>([:])

    private static func interned(_ name: String) -> Storage {
        table.withLock { table in
            if let known = table[name] { return known }
            let storage = Storage(box: .passRetained(Box(name)))
            table[name] = storage
            return storage
        }
    }
}
