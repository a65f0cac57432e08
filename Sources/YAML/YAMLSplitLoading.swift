import Diagnostics
import Dispatch

/// What a part's composer saw of its document's shape, for `YAMLLoader.loadInTwo` to decide
/// whether the two parts make the same document as the whole file would.
struct PartShape {
    var documents = 0
    var documentStartImplicit = false
    var documentEndImplicit = false
    /// Whether the document's root is a mapping in block style (`key: value` lines).
    var rootIsBlockMapping = false
    /// Whether the root mapping has a merge key (`<<`), which merges over the whole mapping.
    var rootHasMergeKey = false
    var aliasNodes = 0
    /// libyaml's mark at the end of the input: the line breaks and characters it read.
    var streamEnd: (line: Int, index: Int)?
}

extension YAMLLoader {
    /// Files larger than this many bytes are composed in two parts at once, on two threads
    /// (`loadInTwo`); smaller ones gain less than the second thread costs.
    static let splitThreshold = 256 << 10

    /// A large spec composed in two parts at once: the file is cut at the start of a line that
    /// begins a key of the top-level mapping (`flows:`, say) near its middle, each part is
    /// composed as a document of its own on its own thread (the second one's lines and offsets
    /// counted from the cut), and the two root mappings are joined into one.
    ///
    /// The result is the document the whole file composes to, node for node, range for range;
    /// otherwise nil, and the file is composed whole. The parts are joined only when each is one
    /// block mapping at the first column with no diagnostic, the first ends at the cut as libyaml
    /// counts lines and characters (no `...`, no construct left open: a quote, a bracket, or an
    /// alias to an anchor of the other part all leave a part with an error), neither root has a
    /// merge key, no key is in both, and the aliases of both stay within the limit together.
    /// A top-level key at the first column ends every plain scalar, block scalar and block
    /// collection before it, so each node ends where it would in the whole file.
    static func loadInTwo(bytes: [UInt8], file: String, limits: YAMLLimits, cut: Int? = nil) -> Result? {
        bytes.withUnsafeBufferPointer { whole -> Result? in
            guard let cut = cut ?? splitPoint(in: whole), cut > 0, cut < whole.count, whole[cut - 1] == UInt8(ascii: "\n") else { return nil }
            // The second part starts this many lines and characters into the file (libyaml's
            // `index` counts characters); the first part's end mark must agree.
            let (lines, characters) = linesAndCharacters(UnsafeBufferPointer(rebasing: whole[..<cut]))
            let parts = Parts()
            nonisolated(unsafe) let whole = whole
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                if part == 0 {
                    parts.first = composePart(UnsafeBufferPointer(rebasing: whole[..<cut]), file: file, limits: limits, lineBase: 0, offsetBase: 0)
                } else {
                    parts.second = composePart(
                        UnsafeBufferPointer(rebasing: whole[cut...]), file: file, limits: limits, lineBase: lines, offsetBase: characters)
                }
            }
            guard let first = parts.first, let second = parts.second else { return nil }
            return join(first, second, lines: lines, characters: characters, limits: limits)
        }
    }

    /// The line feeds and the characters (bytes that do not continue a UTF-8 sequence) of `bytes`.
    private static func linesAndCharacters(_ bytes: UnsafeBufferPointer<UInt8>) -> (lines: Int, characters: Int) {
        var lines = 0
        var characters = 0
        for byte in bytes {
            if byte == UInt8(ascii: "\n") { lines += 1 }
            if byte & 0xC0 != 0x80 { characters += 1 }
        }
        return (lines, characters)
    }

    /// Where `loadInTwo` cuts a file: the start of the line nearest the middle that begins with
    /// a plain key at the first column (an ASCII letter or `_`), never the first line; nil when
    /// the file has none or does not end with a line break.
    static func splitPoint(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count > 2, bytes[bytes.count - 1] == UInt8(ascii: "\n") else { return nil }
        func startsKey(_ index: Int) -> Bool {
            let byte = bytes[index] | 0x20
            return (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || bytes[index] == UInt8(ascii: "_")
        }
        let middle = bytes.count / 2
        var best: Int?
        // Forward from the middle to the first such line, then backward for a nearer one.
        var index = middle
        while index < bytes.count {
            if bytes[index - 1] == UInt8(ascii: "\n"), startsKey(index) {
                best = index
                break
            }
            index += 1
        }
        let limit = best.map { middle - ($0 - middle) } ?? 1
        index = middle - 1
        while index > max(limit, 0) {
            if bytes[index - 1] == UInt8(ascii: "\n"), startsKey(index) { return index }
            index -= 1
        }
        return best
    }

    private static func join(
        _ first: (result: Result, shape: PartShape), _ second: (result: Result, shape: PartShape), lines: Int, characters: Int,
        limits: YAMLLimits
    ) -> Result? {
        guard first.result.diagnostics.isEmpty, second.result.diagnostics.isEmpty, let head = first.result.root, let tail = second.result.root,
            first.shape.documents == 1, second.shape.documents == 1, first.shape.documentEndImplicit, second.shape.documentStartImplicit,
            first.shape.rootIsBlockMapping, second.shape.rootIsBlockMapping, !first.shape.rootHasMergeKey, !second.shape.rootHasMergeKey,
            let cut = first.shape.streamEnd, cut.line == lines, cut.index == characters,
            first.shape.aliasNodes + second.shape.aliasNodes <= limits.maxAliasNodes,
            case .mapping(let headPairs) = head.content, case .mapping(let tailPairs) = tail.content
        else { return nil }
        let start = head.range.start
        let tailStart = tail.range.start
        guard start.column == 1, tailStart.column == 1, tailStart.line == lines + 1 else { return nil }
        var keys = Set<String>()
        keys.reserveCapacity(headPairs.count)
        for pair in headPairs { keys.insert(pair.key.scalar ?? "") }
        for pair in tailPairs where keys.contains(pair.key.scalar ?? "") { return nil }
        let end = tail.range.end
        let root = YAMLNode(
            .mapping(headPairs + tailPairs), file: head.range.fileName, weight: head.weight + tail.weight - 1, startLine: UInt32(clamping: start.line),
            startColumn: UInt32(clamping: start.column), startOffset: UInt32(clamping: start.offset), endLine: UInt32(clamping: end.line),
            endColumn: UInt32(clamping: end.column), endOffset: UInt32(clamping: end.offset))
        return Result(root: root, diagnostics: [])
    }
}

/// The two parts' results, each written by its own thread of `loadInTwo` and read once both
/// are done.
private final class Parts: @unchecked Sendable {
    var first: (result: YAMLLoader.Result, shape: PartShape)?
    var second: (result: YAMLLoader.Result, shape: PartShape)?
}

extension YAMLNode {
    /// Lets go of a document once it is read, on another thread when it is large (`weight`
    /// nodes or more): a 10,000-workload spec is over a million nodes, and tearing them down
    /// one by one took about a fifth of the decode pass, which the caller need not wait for.
    /// A small document is let go here. `released` is called once the document is gone, on
    /// the thread that let it go.
    public static func release(_ node: consuming YAMLNode, weight: Int = 65_536, released: (@Sendable () -> Void)? = nil) {
        guard node.weight >= weight else {
            _ = consume node
            released?()
            return
        }
        let box = Box(node)
        DispatchQueue.global(qos: .utility).async {
            box.node = nil
            released?()
        }
    }

    /// The document, held until the other thread empties it.
    private final class Box: @unchecked Sendable {
        var node: YAMLNode?
        init(_ node: consuming YAMLNode) { self.node = node }
    }
}
