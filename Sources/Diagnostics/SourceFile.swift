/// The text of a source file, split into lines so that diagnostics can quote them.
/// Lines are found only when a diagnostic quotes one, so that loading stays cheap.
public struct SourceFile: Sendable {
    public let path: String
    public let text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    /// The text of a 1-based line without its line break, or nil past the end of the file.
    /// Lines break as YAML breaks them: at a line feed, a carriage return and line feed, or a
    /// carriage return alone, so the line a diagnostic names is the line it quotes.
    public func line(_ number: Int) -> Substring? {
        guard number >= 1 else { return nil }
        let bytes = text.utf8
        var current = 1
        var start = bytes.startIndex
        var index = bytes.startIndex
        while current < number {
            guard index < bytes.endIndex else { return nil }
            let byte = bytes[index]
            index = bytes.index(after: index)
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else { continue }
            if byte == UInt8(ascii: "\r"), index < bytes.endIndex, bytes[index] == UInt8(ascii: "\n") { index = bytes.index(after: index) }
            current += 1
            start = index
        }
        let end = bytes[start...].firstIndex { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") } ?? bytes.endIndex
        return text[start..<end]
    }
}

/// Every source file read in one run, so that diagnostics can be rendered with their lines.
public struct SourceFiles: Sendable {
    private var files: [String: SourceFile] = [:]

    public init() {}

    public mutating func add(_ file: SourceFile) { files[file.path] = file }

    public subscript(path: String) -> SourceFile? { files[path] }

    /// Every file, sorted by path.
    public var all: [SourceFile] { files.keys.sorted().compactMap { files[$0] } }
}
