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
    public func line(_ number: Int) -> Substring? {
        guard number >= 1 else { return nil }
        var current = 1
        var start = text.utf8.startIndex
        if number > 1 {
            for index in text.utf8.indices where text.utf8[index] == UInt8(ascii: "\n") {
                current += 1
                if current == number {
                    start = text.utf8.index(after: index)
                    break
                }
            }
            guard current == number else { return nil }
        }
        let end = text.utf8[start...].firstIndex(of: UInt8(ascii: "\n")) ?? text.utf8.endIndex
        let line = text[start..<end]
        return line.last == "\r" ? line.dropLast() : line
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
