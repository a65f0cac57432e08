internal import CYAML
import Diagnostics

/// Bounds that keep hostile input from exhausting time or memory.
public struct YAMLLimits: Sendable {
    /// Largest file accepted, in bytes. This is what bounds the document's own size: a
    /// document has at most about one node per two bytes.
    public var maxBytes: Int = 64 << 20
    /// Deepest nesting of collections.
    public var maxDepth: Int = 64
    /// Most nodes reached through aliases, counted at their expanded size (an alias bomb);
    /// the nodes written out in the document are not counted here.
    public var maxAliasNodes: Int = 1_000_000

    public init() {}

    /// Bounds for reading back files Palisade generated itself (large specs make large files):
    /// the same protections against hostile input, with room for 1 GiB and 100 million nodes
    /// through aliases.
    public static var generatedFiles: YAMLLimits {
        var limits = YAMLLimits()
        limits.maxBytes = 1 << 30
        limits.maxAliasNodes = 100_000_000
        return limits
    }
}

/// Loads one YAML document through libyaml's event parser and composes it into located
/// nodes. It never traps on bad input: every problem becomes a diagnostic.
public enum YAMLLoader {
    public struct Result: Sendable {
        /// The document, or nil when it could not be composed.
        public var root: YAMLNode?
        public var diagnostics: [Diagnostic]
        /// Every document of a stream, for `loadStream` (`root` is the last one).
        public var documents: [YAMLNode] = []

        init(root: YAMLNode?, diagnostics: [Diagnostic], documents: [YAMLNode] = []) {
            self.root = root
            self.diagnostics = diagnostics
            self.documents = documents
        }
    }

    public static func load(bytes: [UInt8], file: String, limits: YAMLLimits = YAMLLimits()) -> Result {
        load(bytes: bytes, file: file, limits: limits, stream: false)
    }

    /// Loads a stream of documents separated by `---` (a multi-document manifest file); each
    /// document gets its own anchors. Empty documents are skipped.
    public static func loadStream(text: String, file: String, limits: YAMLLimits = YAMLLimits()) -> Result {
        load(bytes: Array(text.utf8), file: file, limits: limits, stream: true)
    }

    static func load(bytes: [UInt8], file: String, limits: YAMLLimits, stream: Bool, splitAbove: Int = splitThreshold) -> Result {
        if bytes.count > limits.maxBytes {
            return Result(
                root: nil,
                diagnostics: [
                    .error(
                        .inputTooLarge,
                        "the file is larger than \(describeSize(limits.maxBytes)), the size limit for one file",
                        at: .wholeFile(file))
                ])
        }
        if let offset = firstInvalidUTF8Offset(bytes) {
            let position = position(ofByte: offset, in: bytes)
            return Result(
                root: nil,
                diagnostics: [
                    .error(
                        .invalidUTF8,
                        "invalid UTF-8 byte 0x\(String(bytes[offset], radix: 16, uppercase: true))",
                        at: SourceRange(file: file, start: position, end: position))
                ])
        }
        if !stream, bytes.count > splitAbove, let result = loadInTwo(bytes: bytes, file: file, limits: limits) { return result }
        var composer = Composer(file: file, limits: limits)
        composer.stream = stream
        return bytes.withUnsafeBufferPointer { buffer in composer.run(buffer) }
    }

    /// One part of a file loaded in two: composed as a document of its own whose lines and
    /// offsets start `lineBase` lines and `offsetBase` characters into the file.
    static func composePart(
        _ buffer: UnsafeBufferPointer<UInt8>, file: String, limits: YAMLLimits, lineBase: Int, offsetBase: Int
    ) -> (result: Result, shape: PartShape) {
        var composer = Composer(file: file, limits: limits)
        composer.lineBase = UInt32(clamping: lineBase)
        composer.offsetBase = UInt32(clamping: offsetBase)
        let result = composer.run(buffer)
        return (result, composer.shape)
    }

    public static func load(text: String, file: String, limits: YAMLLimits = YAMLLimits()) -> Result {
        load(bytes: Array(text.utf8), file: file, limits: limits)
    }

    /// Line and column (in characters) of a byte offset in valid-UTF-8 prefix bytes.
    static func position(ofByte offset: Int, in bytes: [UInt8]) -> SourcePosition {
        var line = 1
        var column = 1
        var characters = 0
        for byte in bytes[..<offset] where byte & 0xC0 != 0x80 {
            characters += 1
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return SourcePosition(line: line, column: column, offset: characters)
    }
}

/// A size for messages: `64 MiB` when it is a whole number of MiB, else bytes.
func describeSize(_ bytes: Int) -> String {
    if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(SafeText.grouped(bytes >> 20)) MiB" }
    return "\(SafeText.grouped(bytes)) bytes"
}

/// A collection being composed. Its children wait in the composer's `PendingNodes`, above
/// `base` (a mapping's as key, value, key, value, …), until it ends; the frame itself holds
/// only what the collection needs besides them.
private struct Frame {
    enum Kind { case sequence, mapping }

    let kind: Kind
    /// Where the collection starts: line and column 1-based, offset 0-based, as a node keeps them.
    let start: Mark
    let anchor: String?
    /// Where the collection's first child is (or will be) among the pending nodes.
    var base = 0
    /// Whether a merge key (`<<`) is among the pairs.
    var hasMergeKey = false
    /// Index among the pairs of every key once the mapping is large, to find duplicates in
    /// constant time; small mappings (most of them) are searched linearly.
    var keys: [String: Int]?

    init(_ kind: Kind, start: Mark, anchor: String?) {
        self.kind = kind
        self.start = start
        self.anchor = anchor
    }
}

/// The composed nodes not yet in a finished collection, in document order, in one buffer
/// that grows a few times for a whole document. A collection that ends moves its children out
/// into one array of their exact count: no array per collection grown an item at a time, and
/// no node retained or released on its way into its parent. The composer that owns it calls
/// `release` once done (the buffer is not reference counted: copies of it share it).
private struct PendingNodes {
    private var storage: UnsafeMutablePointer<YAMLNode>
    private var capacity: Int
    private(set) var count = 0

    init() {
        capacity = 64
        storage = .allocate(capacity: capacity)
    }

    /// Destroys the nodes left (a document that failed) and frees the buffer.
    mutating func release() {
        storage.deinitialize(count: count)
        storage.deallocate()
        count = 0
        capacity = 0
    }

    mutating func append(_ node: consuming YAMLNode) {
        if count == capacity {
            let larger = UnsafeMutablePointer<YAMLNode>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: storage, count: count)
            storage.deallocate()
            storage = larger
            capacity *= 2
        }
        (storage + count).initialize(to: node)
        count += 1
    }

    subscript(index: Int) -> YAMLNode {
        _read { yield storage[index] }
    }

    /// Destroys the last node.
    mutating func removeLast() {
        count -= 1
        (storage + count).deinitialize(count: 1)
    }

    // The arrays below are reserved, then appended to: `Array(unsafeUninitializedCapacity:)`
    // allocated through the unspecialized generic path here (about 830 instructions an array).

    /// The nodes from `base` on, moved out in order, and the weight of a sequence of them
    /// (summed as they move: no second pass over the items).
    mutating func moveItems(from base: Int) -> (items: [YAMLNode], weight: Int) {
        var items: [YAMLNode] = []
        items.reserveCapacity(count - base)
        var weight = 1
        for index in base..<count {
            weight += storage[index].weight
            items.append((storage + index).move())
        }
        count = base
        return (items, weight)
    }

    /// The nodes from `base` on, moved out two by two as keys and values, and the weight of a
    /// mapping of them.
    mutating func movePairs(from base: Int) -> (pairs: [YAMLPair], weight: Int) {
        let pairCount = (count - base) / 2
        var pairs: [YAMLPair] = []
        pairs.reserveCapacity(pairCount)
        var weight = 1
        for index in 0..<pairCount {
            let key = storage + base + 2 * index
            weight += key.pointee.weight + (key + 1).pointee.weight
            pairs.append(YAMLPair(key: key.move(), value: (key + 1).move()))
        }
        // A key without a value cannot come from libyaml; were there one, it is dropped.
        if base + 2 * pairCount < count { (storage + base + 2 * pairCount).deinitialize(count: 1) }
        count = base
        return (pairs, weight)
    }
}

/// A place in the input as a node stores it: 1-based line and column, 0-based offset, in 32 bits.
private struct Mark {
    var line: UInt32
    var column: UInt32
    var offset: UInt32

    init(_ mark: yaml_mark_t) {
        // As `SourcePosition(line: mark.line + 1, …)` stored in a node would be.
        line = UInt32(clamping: Int(mark.line) + 1)
        column = UInt32(clamping: Int(mark.column) + 1)
        offset = UInt32(clamping: Int(mark.index))
    }

    init(_ position: SourcePosition) {
        line = UInt32(clamping: position.line)
        column = UInt32(clamping: position.column)
        offset = UInt32(clamping: position.offset)
    }
}

private struct LoadFailure: Error {
    var diagnostic: Diagnostic
}

private struct Composer {
    let file: FileName
    let limits: YAMLLimits
    var stack: [Frame] = []
    var pending = PendingNodes()
    var anchors: [String: YAMLNode] = [:]
    var diagnostics: [Diagnostic] = []
    var root: YAMLNode?
    var documents = 0
    /// Whether several documents are welcome (`loadStream`).
    var stream = false
    var roots: [YAMLNode] = []
    /// Nodes reached through aliases so far, at their expanded size.
    var aliasNodes = 0
    /// The input's size, and where a mark at its end lands when the input has no final line
    /// break (libyaml puts it one line past the last: an empty document `---`, say): at the end
    /// of the last line. Nil when the input ends a line, whose end mark is a line of the file.
    var inputCount = 0
    var endOfLastLine: SourcePosition?
    /// Added to every line and offset: nonzero for the second part of a file loaded in two
    /// (`YAMLLoader.loadInTwo`), whose input starts that many lines and characters in.
    var lineBase: UInt32 = 0
    var offsetBase: UInt32 = 0
    /// What `loadInTwo` checks of each part before joining them (the rest of a document's
    /// events do not set them).
    var shape = PartShape()

    init(file: String, limits: YAMLLimits) {
        self.file = FileName(file)
        self.limits = limits
    }

    mutating func run(_ buffer: UnsafeBufferPointer<UInt8>) -> YAMLLoader.Result {
        inputCount = buffer.count
        if let last = buffer.last, last != UInt8(ascii: "\n"), last != UInt8(ascii: "\r") {
            endOfLastLine = clamped(SourcePosition(line: Int.max, column: 1, offset: buffer.count), buffer)
        }
        // libyaml keeps a pointer to the parser inside the parser (its read handler's data),
        // so the parser lives at one heap address for its whole life.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            return YAMLLoader.Result(
                root: nil,
                diagnostics: [
                    .error(
                        .yamlSyntax, "libyaml could not start", at: .wholeFile(file.name))
                ])
        }
        defer { yaml_parser_delete(parser) }
        defer { pending.release() }
        let emptyInput = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        defer { emptyInput.deallocate() }
        yaml_parser_set_input_string(parser, buffer.count > 0 ? buffer.baseAddress : UnsafePointer(emptyInput), buffer.count)
        do {
            loop: while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(parser, &event) == 1 else {
                    throw LoadFailure(diagnostic: syntaxError(parser.pointee, input: buffer))
                }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    shape.streamEnd = (Int(event.start_mark.line), Int(event.start_mark.index))
                    break loop
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    shape.documentStartImplicit = event.data.document_start.implicit != 0
                    anchors = [:]
                    if stream { root = nil }
                    if documents > 1, !stream {
                        let at = range(event.start_mark, event.end_mark)
                        throw LoadFailure(
                            diagnostic: .error(
                                .multipleDocuments, "a spec is one YAML document; found a second one", at: at))
                    }
                case YAML_DOCUMENT_END_EVENT:
                    shape.documentEndImplicit = event.data.document_end.implicit != 0
                    if stream, let root, !root.isNull { roots.append(root) }
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let text = string(scalar.value, length: scalar.length)
                    var style = scalarStyle(scalar.style)
                    if let tag = optionalString(scalar.tag) {
                        guard tag == "tag:yaml.org,2002:str" || tag == "!" else {
                            throw LoadFailure(
                                diagnostic: .error(
                                    .unsupportedYAML, "unsupported tag '\(tag)'",
                                    at: range(event.start_mark, event.end_mark),
                                    help: "remove the tag; the field that holds a value gives its type"))
                        }
                        if style == .plain { style = .doubleQuoted }
                    }
                    let node = self.node(.scalar(text, style), weight: 1, start: mark(event.start_mark), end: mark(event.end_mark))
                    try complete(node, anchor: optionalString(scalar.anchor))
                case YAML_ALIAS_EVENT:
                    let name = optionalString(event.data.alias.anchor) ?? ""
                    let at = range(event.start_mark, event.end_mark)
                    guard let node = anchors[name] else {
                        throw LoadFailure(diagnostic: .error(.unknownAnchor, "alias '*\(name)' has no anchor '&\(name)' before it", at: at))
                    }
                    // The alias repeats its anchor's whole subtree (expanded aliases included):
                    // that many nodes are reached through aliases.
                    aliasNodes += node.weight
                    if aliasNodes > limits.maxAliasNodes {
                        throw LoadFailure(
                            diagnostic: .error(
                                .aliasExpansionTooLarge,
                                "aliases expand to more than \(SafeText.grouped(limits.maxAliasNodes)) nodes, the limit on nodes reached through aliases",
                                at: at))
                    }
                    try complete(node, anchor: nil)
                case YAML_SEQUENCE_START_EVENT:
                    let start = event.data.sequence_start
                    try checkCollectionTag(start.tag, "tag:yaml.org,2002:seq", event)
                    try push(Frame(.sequence, start: mark(event.start_mark), anchor: optionalString(start.anchor)), event)
                case YAML_MAPPING_START_EVENT:
                    let start = event.data.mapping_start
                    try checkCollectionTag(start.tag, "tag:yaml.org,2002:map", event)
                    if stack.isEmpty { shape.rootIsBlockMapping = start.style == YAML_BLOCK_MAPPING_STYLE }
                    try push(Frame(.mapping, start: mark(event.start_mark), anchor: optionalString(start.anchor)), event)
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    try pop(end: mark(event.end_mark))
                default:
                    continue
                }
            }
        } catch let failure as LoadFailure {
            diagnostics.append(failure.diagnostic)
            return YAMLLoader.Result(root: nil, diagnostics: diagnostics)
        } catch {
            return YAMLLoader.Result(root: nil, diagnostics: diagnostics)
        }
        if root == nil, roots.isEmpty, documents == 0 || diagnostics.isEmpty {
            diagnostics.append(.error(.emptyDocument, "the file holds no YAML document", at: .wholeFile(file.name)))
        }
        shape.documents = documents
        shape.aliasNodes = aliasNodes
        return YAMLLoader.Result(root: root, diagnostics: diagnostics, documents: roots)
    }

    // MARK: Composition

    /// Opens a collection; the frame is moved onto the stack, not copied.
    mutating func push(_ frame: consuming Frame, _ event: yaml_event_t) throws {
        if stack.count >= limits.maxDepth {
            throw LoadFailure(
                diagnostic: .error(
                    .nestingTooDeep, "collections nest deeper than \(limits.maxDepth) levels, the nesting limit",
                    at: range(event.start_mark, event.end_mark)))
        }
        frame.base = pending.count
        stack.append(frame)
    }

    mutating func pop(end: Mark) throws {
        guard let frame = stack.popLast() else { return }
        if stack.isEmpty, frame.hasMergeKey { shape.rootHasMergeKey = true }
        let content: YAMLNode.Content
        let weight: Int
        switch frame.kind {
        case .sequence:
            let (items, itemsWeight) = pending.moveItems(from: frame.base)
            content = .sequence(items)
            weight = itemsWeight
        case .mapping:
            let (pairs, pairsWeight) = pending.movePairs(from: frame.base)
            if frame.hasMergeKey {
                content = .mapping(applyMergeKeys(pairs))
                weight = YAMLNode.weight(of: content)
            } else {
                content = .mapping(pairs)
                weight = pairsWeight
            }
        }
        try complete(node(content, weight: weight, start: frame.start, end: end), anchor: frame.anchor)
    }

    /// A node of this file between two marks.
    func node(_ content: YAMLNode.Content, weight: Int, start: Mark, end: Mark) -> YAMLNode {
        YAMLNode(
            content, file: file, weight: weight, startLine: start.line, startColumn: start.column, startOffset: start.offset, endLine: end.line,
            endColumn: end.column, endOffset: end.offset)
    }

    /// Adds a finished node to the collection being composed, or makes it the root.
    mutating func complete(_ node: consuming YAMLNode, anchor: String?) throws {
        if let anchor { anchors[anchor] = copy node }
        let top = stack.count - 1
        guard top >= 0 else {
            root = node
            return
        }
        let base = stack[top].base
        guard stack[top].kind == .mapping else {
            pending.append(node)
            return
        }
        // Keys and values alternate above the mapping's base: an even count waits for a key.
        guard (pending.count - base) % 2 == 1 else {
            guard case .scalar = node.content else {
                throw LoadFailure(
                    diagnostic: .error(
                        .unsupportedYAML, "mapping keys must be scalars, not \(node.kindDescription)", at: node.range))
            }
            pending.append(node)
            return
        }
        let keyIndex = pending.count - 1
        guard case .scalar(let name, let style) = pending[keyIndex].content else { return }
        // Asked of every value of every mapping: the length (constant time) rules out nearly all
        // keys before a comparison with "<<", which for small strings that differ is not cheap.
        if style == .plain, name.utf8.count == 2, name == "<<" {
            stack[top].hasMergeKey = true
            pending.append(node)
        } else if let existing = index(of: name, in: top) {
            diagnostics.append(
                .error(
                    .duplicateKey, "duplicate key '\(name)'", at: pending[keyIndex].range,
                    notes: [.init("first defined here", at: pending[base + 2 * existing].range)]))
            // The first definition stands: the key goes, and the value with it.
            pending.removeLast()
        } else {
            // Only a large mapping has its keys indexed: a small one is not touched (optional
            // chaining on the frame still went through the stack's element for every value).
            if stack[top].keys != nil { stack[top].keys?[name] = (keyIndex - base) / 2 }
            pending.append(node)
        }
    }

    /// The index among the finished pairs of the mapping at `top` of the pair with this key,
    /// if there is one (the key waiting for its value is not among them).
    mutating func index(of name: String, in top: Int) -> Int? {
        if let keys = stack[top].keys { return keys[name] }
        let base = stack[top].base
        let pairCount = (pending.count - base) / 2
        if pairCount < 16 {
            for position in 0..<pairCount where pending[base + 2 * position].hasScalar(name) { return position }
            return nil
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(pairCount * 2)
        for position in 0..<pairCount {
            let key = pending[base + 2 * position].scalar ?? ""
            if index[key] == nil { index[key] = position }
        }
        stack[top].keys = index
        return index[name]
    }

    func isMergeKey(_ key: YAMLNode) -> Bool {
        if case .scalar("<<", .plain) = key.content { return true }
        return false
    }

    /// YAML 1.1 merge keys: `<<: *base` (or a list of them) adds the keys of the merged
    /// mappings that the mapping does not set itself.
    mutating func applyMergeKeys(_ pairs: [YAMLPair]) -> [YAMLPair] {
        guard pairs.contains(where: { isMergeKey($0.key) }) else { return pairs }
        var result = pairs.filter { !isMergeKey($0.key) }
        var present = Set(result.compactMap(\.key.scalar))
        for pair in pairs where isMergeKey(pair.key) {
            let sources: [YAMLNode]
            switch pair.value.content {
            case .mapping: sources = [pair.value]
            case .sequence(let items): sources = items
            case .scalar:
                diagnostics.append(.error(.unsupportedYAML, "a merge key '<<' takes a mapping or a list of mappings", at: pair.value.range))
                continue
            }
            for source in sources {
                guard case .mapping(let merged) = source.content else {
                    diagnostics.append(.error(.unsupportedYAML, "a merge key '<<' takes a mapping or a list of mappings", at: source.range))
                    continue
                }
                for entry in merged where present.insert(entry.key.scalar ?? "").inserted {
                    result.append(entry)
                }
            }
        }
        return result
    }

    func checkCollectionTag(_ tag: UnsafeMutablePointer<yaml_char_t>?, _ allowed: String, _ event: yaml_event_t) throws {
        if let tag = optionalString(tag), tag != allowed, tag != "!" {
            throw LoadFailure(
                diagnostic: .error(
                    .unsupportedYAML, "unsupported tag '\(tag)'", at: range(event.start_mark, event.end_mark)))
        }
    }

    // MARK: libyaml conversions

    /// libyaml's error in Palisade's words, at the place the user must look (where a quote or
    /// bracket was opened, where a key began), with a help line; libyaml's own words only for
    /// the errors this does not know.
    func syntaxError(_ parser: yaml_parser_t, input: UnsafeBufferPointer<UInt8>) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        let context = parser.context.map { String(cString: $0) }
        let at = clamped(position(parser.problem_mark), input)
        let point = SourceRange(fileName: file, start: at, end: at)
        if parser.error == YAML_READER_ERROR {
            return .error(.invalidUTF8, problem + (context.map { " \($0)" } ?? ""), at: point)
        }
        let opened = clamped(position(parser.context_mark), input)
        let openedAt = SourceRange(fileName: file, start: opened, end: opened)
        let offset = Int(parser.problem_mark.index)
        let byte = offset < input.count ? input[offset] : nil
        let said = "(libyaml: \(problem)\(context.map { " \($0)" } ?? ""))"
        switch (problem, context) {
        case ("found character that cannot start any token", _) where byte == UInt8(ascii: "\t"):
            return .error(.yamlSyntax, "a tab character: YAML indents with spaces only", at: point, help: "replace the tab with spaces")
        case ("found unexpected end of stream", "while scanning a quoted scalar"?):
            return .error(
                .yamlSyntax, "a quoted string is never closed", at: openedAt,
                help: "end it with the quote it starts with, on the same line for a short value")
        case ("did not find expected ',' or '}'", "while parsing a flow mapping"?):
            return .error(
                .yamlSyntax, "a '{…}' mapping is not closed, or two of its entries lack a ',' between them", at: openedAt,
                notes: [.init("here it should go on with a ',' or end with '}'", at: point)],
                help: "close the mapping with '}' and separate its entries with ','")
        case ("did not find expected ',' or ']'", "while parsing a flow sequence"?):
            return .error(
                .yamlSyntax, "a '[…]' list is not closed, or two of its items lack a ',' between them", at: openedAt,
                notes: [.init("here it should go on with a ',' or end with ']'", at: point)],
                help: "close the list with ']' and separate its items with ','")
        case ("could not find expected ':'", "while scanning a simple key"?):
            return .error(
                .yamlSyntax, "a key without ':'", at: openedAt,
                help: "write 'KEY: VALUE', or 'KEY:' with its value indented on the lines below")
        case ("did not find expected key", "while parsing a block mapping"?):
            return .error(
                .yamlSyntax, "this line is not indented like the keys of its mapping", at: point,
                notes: [.init("the mapping starts here", at: openedAt)],
                help: "indent it exactly as the keys above it, with spaces")
        case ("did not find expected '-' indicator", "while parsing a block collection"?):
            return .error(
                .yamlSyntax, "this line is not indented like the items of its list", at: point,
                notes: [.init("the list starts here", at: openedAt)],
                help: "start each item of the list with '- ' at the same indentation")
        case ("mapping values are not allowed in this context", _):
            return .error(
                .yamlSyntax, "a ':' where YAML expects none", at: point,
                help: "quote a value that holds ': ' (\"a: b\"), or put the key on a line of its own")
        default:
            return .error(.yamlSyntax, "malformed YAML \(said)", at: point)
        }
    }

    /// A position on a line of the input: libyaml's end mark in a file without a final line
    /// break is one line past the last one, so it becomes the end of the last line.
    func clamped(_ position: SourcePosition, _ input: UnsafeBufferPointer<UInt8>) -> SourcePosition {
        var lines = 1
        var lastLineLength = 0
        var index = 0
        while index < input.count {
            let byte = input[index]
            index += 1
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if byte == UInt8(ascii: "\r"), index < input.count, input[index] == UInt8(ascii: "\n") { index += 1 }
                lines += 1
                lastLineLength = 0
            } else if byte & 0xC0 != 0x80 {
                lastLineLength += 1
            }
        }
        guard position.line > lines else { return position }
        return SourcePosition(line: lines, column: lastLineLength + 1, offset: position.offset)
    }

    func position(_ mark: yaml_mark_t) -> SourcePosition {
        let lineBase = Int(lineBase)
        let offsetBase = Int(offsetBase)
        if let end = endOfLastLine, Int(mark.index) >= inputCount, Int(mark.line) + 1 > end.line {
            return SourcePosition(line: lineBase + end.line, column: end.column, offset: offsetBase + Int(mark.index))
        }
        return SourcePosition(line: lineBase + Int(mark.line) + 1, column: Int(mark.column) + 1, offset: offsetBase + Int(mark.index))
    }

    /// A node's mark: on a line of the input, as `position` places it.
    func mark(_ mark: yaml_mark_t) -> Mark {
        guard endOfLastLine != nil, Int(mark.index) >= inputCount else {
            var mark = Mark(mark)
            mark.line &+= lineBase
            mark.offset &+= offsetBase
            return mark
        }
        return Mark(position(mark))
    }

    func range(_ start: yaml_mark_t, _ end: yaml_mark_t) -> SourceRange {
        SourceRange(fileName: file, start: position(start), end: position(end))
    }

    func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    func optionalString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    func scalarStyle(_ style: yaml_scalar_style_t) -> ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }
}
