/// The text of a source file, split into lines so that diagnostics can quote them.
public struct SourceFile: Sendable {
    public let path: String
    public let text: String
    private let lines: [Substring]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The text of a 1-based line without its line break, or nil past the end of the file.
    public func line(_ number: Int) -> Substring? {
        guard number >= 1, number <= lines.count else { return nil }
        let line = lines[number - 1]
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
