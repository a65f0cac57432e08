import Diagnostics

/// How a scalar was written; the spec decoder types scalars by the field that holds them,
/// and a quoted scalar is always a string.
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded

    public var isQuoted: Bool { self != .plain }
}

/// A YAML node composed by the loader, with the range it came from. Aliases are expanded
/// (sharing storage with their anchor), and merge keys (`<<`) are applied.
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var content: Content
    // The range and weight are stored compactly: a document holds hundreds of thousands of
    // nodes, and a node of 64 bytes instead of 96 is a third less memory to fill and copy.
    // The weight sits in the padding after `content`; lines, columns and offsets fit 32 bits
    // (files are at most 1 GiB).
    private var storedWeight: UInt32 = 0
    private var file: FileName
    private var startLine: UInt32 = 0
    private var startColumn: UInt32 = 0
    private var startOffset: UInt32 = 0
    private var endLine: UInt32 = 0
    private var endColumn: UInt32 = 0
    private var endOffset: UInt32 = 0

    /// Where the node is in its file.
    public var range: SourceRange {
        get {
            SourceRange(
                fileName: file, start: SourcePosition(line: Int(startLine), column: Int(startColumn), offset: Int(startOffset)),
                end: SourcePosition(line: Int(endLine), column: Int(endColumn), offset: Int(endOffset)))
        }
        set {
            file = newValue.fileName
            startLine = UInt32(clamping: newValue.start.line)
            startColumn = UInt32(clamping: newValue.start.column)
            startOffset = UInt32(clamping: newValue.start.offset)
            endLine = UInt32(clamping: newValue.end.line)
            endColumn = UInt32(clamping: newValue.end.column)
            endOffset = UInt32(clamping: newValue.end.offset)
        }
    }

    /// Nodes in this subtree, aliases counted at their expanded size.
    public var weight: Int {
        get { Int(storedWeight) }
        set { storedWeight = UInt32(clamping: newValue) }
    }

    public init(_ content: Content, range: SourceRange) {
        self.content = content
        file = range.fileName
        self.range = range
        self.weight = Self.weight(of: content)
    }

    /// The nodes in a subtree with this content.
    static func weight(of content: Content) -> Int {
        switch content {
        case .scalar: 1
        case .sequence(let items): items.reduce(1) { $0 + $1.weight }
        case .mapping(let pairs): pairs.reduce(1) { $0 + $1.key.weight + $1.value.weight }
        }
    }

    /// A node at a place given as 1-based lines and columns and 0-based offsets, already in
    /// 32 bits: the composer makes every node of a document this way, without building a
    /// `SourceRange` for each.
    init(
        _ content: Content, file: FileName, weight: Int, startLine: UInt32, startColumn: UInt32, startOffset: UInt32, endLine: UInt32,
        endColumn: UInt32, endOffset: UInt32
    ) {
        self.content = content
        self.file = file
        storedWeight = UInt32(clamping: weight)
        self.startLine = startLine
        self.startColumn = startColumn
        self.startOffset = startOffset
        self.endLine = endLine
        self.endColumn = endColumn
        self.endOffset = endOffset
    }

    /// True for an empty plain scalar, `~` and `null`: YAML's null.
    public var isNull: Bool {
        guard case .scalar(let text, .plain) = content else { return false }
        // Asked of nearly every scalar the decoder reads: the length (constant time) rules out
        // most texts before any comparison.
        switch text.utf8.count {
        case 0: return true
        case 1: return text == "~"
        case 4: return text == "null" || text == "Null" || text == "NULL"
        default: return false
        }
    }

    /// The scalar's text, or nil for a collection.
    public var scalar: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// Whether the node is a scalar with this text (a key's name: collections have none).
    public func hasScalar(_ text: String) -> Bool {
        // The lengths (constant time) rule out most keys before the texts are compared.
        if case .scalar(let value, _) = content { return value.utf8.count == text.utf8.count && value == text }
        return false
    }

    /// What the node is, as diagnostics name it ("a mapping", "a list", "a string").
    public var kindDescription: String {
        switch content {
        case .scalar(let text, let style):
            if isNull { return "null" }
            if style == .plain {
                if text == "true" || text == "false" { return "a boolean" }
                if Int(text) != nil { return "an integer" }
                if Double(text) != nil { return "a number" }
            }
            return "a string"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// One key and value of a mapping; keys are always scalars.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }

    /// The key's text.
    public var name: String { key.scalar ?? "" }
}
