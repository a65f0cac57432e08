import Diagnostics
import IR
import YAML

/// Reads located YAML nodes into typed values, reporting every mismatch and carrying on.
/// Scalars are typed by the field that holds them (docs/language.md, "Files and YAML"), not by YAML 1.1's rules.
struct Decoder {
    var diagnostics: [Diagnostic] = []
    /// Every mapping decoded, when `recordsMappings` is set, to find keys the schema declares
    /// but the decoder never read (a test keeps this empty, so the schema and the decoder
    /// cannot drift apart). A compile does not keep them: they would hold every node.
    private(set) var decodedMappings: [Fields] = []
    /// Whether `decodedMappings` is kept.
    var recordsMappings = false
    /// Whether flows and workloads of known keys only are read without `fields`
    /// (`FlowKeys(direct:)`, `WorkloadKeys(direct:)`); tests turn it off to compare with the
    /// general reading.
    var readsDirectly = true
    /// A file with at least twice this many flows has them decoded in parts of at least this
    /// many at once on the cores, while this thread decodes its other sections; tests set it
    /// out of reach to compare with decoding in one pass.
    var flowsPerPart = FlowParts.minimumFlows
    /// Each port entry's text parsed so far, without error, and what it parses to.
    var portEntries: [String: PortEntry] = [:]
    /// The names of the definitions that did not decode (a bad name or body), found by
    /// `definitions`: references to them follow from errors already reported.
    var invalidDefinitions: Set<String> = []
    /// Whether each key met in a workload is a near miss of `segment`, asked once per key.
    private var nearMissOfSegment: [String: Bool] = [:]

    /// Whether `key` is not `segment` but close enough to it to be a misspelling.
    mutating func isNearMissOfSegment(_ key: String) -> Bool {
        if let known = nearMissOfSegment[key] { return known }
        let result = key != "segment" && didYouMean(key, in: ["segment"]) != nil
        nearMissOfSegment[key] = result
        return result
    }

    /// Keys present in the input and declared by the schema that no code read, as `shape.key`.
    var unreadKeys: [String] {
        decodedMappings.flatMap { fields in
            fields.keys.filter { !fields.read.contains($0) }.map { "\(fields.shape.name).\($0)" }
        }.sorted()
    }

    mutating func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    mutating func wrongType(_ node: YAMLNode, expected: String, in context: String) {
        report(.error(.wrongType, "expected \(expected) for \(context), found \(node.kindDescription)", at: node.range))
    }

    /// The fields of a mapping with the keys of `shape`; unknown keys and missing required
    /// ones are reported.
    mutating func fields(_ node: YAMLNode, _ shape: SpecSchema.Shape, in context: String, checkRequired: Bool = true) -> Fields? {
        guard case .mapping(let pairs) = node.content else {
            wrongType(node, expected: "a mapping", in: context)
            return nil
        }
        // The pairs whose keys the shape declares: all of them (the array shared, not
        // copied) until an unknown key is met.
        var known: [YAMLPair]?
        // Bit i is set when the shape's field i is present (a shape has at most 64 fields).
        var present: UInt64 = 0
        // Keys that unknown keys are near misses of: `workload:` is the `workloads` it was meant to be.
        var meant: [String] = []
        // By index: a pair is copied only into `known`, not for each key looked at.
        for position in pairs.indices {
            let name = pairs[position].name
            if let index = shape.fields.firstIndex(where: { $0.key == name }) {
                present |= 1 << UInt64(index)
                known?.append(pairs[position])
            } else {
                if known == nil { known = Array(pairs[..<position]) }
                let suggestion = closestMatch(to: name, in: shape.keys)
                if let suggestion { meant.append(suggestion) }
                report(
                    .error(
                        .unknownKey, "unknown key '\(name)' in \(context)", at: pairs[position].key.range,
                        help: suggestion.map { "did you mean '\($0)'?" } ?? "valid keys: \(shape.keys.joined(separator: ", "))"))
            }
        }
        // A required key that a misspelled one was meant to be is not reported missing as
        // well: that error would be a follow-on of the unknown key, and printed before it.
        if checkRequired {
            for (index, field) in shape.fields.enumerated() where field.required && present & (1 << UInt64(index)) == 0 && !meant.contains(field.key) {
                report(.error(.missingKey, "missing key '\(field.key)' in \(context)", at: node.range))
            }
        }
        let result = Fields(shape: shape, node: node, pairs: known ?? pairs, present: present)
        if recordsMappings { decodedMappings.append(result) }
        return result
    }

    /// The entries of a mapping from names to values (`workloads`, `networks`, …).
    mutating func namedEntries(_ node: YAMLNode, in context: String) -> [YAMLPair] {
        guard case .mapping(let pairs) = node.content else {
            wrongType(node, expected: "a mapping of names", in: context)
            return []
        }
        return pairs
    }

    /// A list; a single scalar stands for a one-element list where `allowScalar` is set.
    mutating func list(_ node: YAMLNode, in context: String, allowScalar: Bool = false) -> [YAMLNode]? {
        switch node.content {
        case .sequence(let items): return items
        case .scalar where allowScalar && !node.isNull: return [node]
        default:
            wrongType(node, expected: "a list", in: context)
            return nil
        }
    }

    mutating func string(_ node: YAMLNode, in context: String) -> Located<String>? {
        guard case .scalar(let text, _) = node.content, !node.isNull else {
            wrongType(node, expected: "a string", in: context)
            return nil
        }
        return Located(text, at: node.range)
    }

    mutating func integer(_ node: YAMLNode, in context: String, minimum: Int = .min, maximum: Int = .max) -> Located<Int>? {
        guard case .scalar(let text, let style) = node.content, style == .plain, !node.isNull else {
            wrongType(node, expected: "an integer", in: context)
            return nil
        }
        guard let value = plainDecimal(text) ?? signedInteger(text) else {
            report(.error(.invalidInteger, "'\(text)' is not an integer (\(context))", at: node.range))
            return nil
        }
        guard value >= minimum, value <= maximum else {
            let bounds = maximum == .max ? "at least \(minimum)" : "\(minimum) to \(maximum)"
            report(.error(.invalidInteger, "\(context) must be \(bounds), not \(value)", at: node.range))
            return nil
        }
        return Located(value, at: node.range)
    }

    mutating func boolean(_ node: YAMLNode, in context: String) -> Located<Bool>? {
        guard case .scalar(let text, let style) = node.content, !node.isNull else {
            wrongType(node, expected: "true or false", in: context)
            return nil
        }
        if style == .plain {
            if text == "true" { return Located(true, at: node.range) }
            if text == "false" { return Located(false, at: node.range) }
        }
        let lowered = text.lowercased()
        let truthy = ["yes", "y", "on", "true"].contains(lowered)
        let falsy = ["no", "n", "off", "false"].contains(lowered)
        if truthy || falsy {
            let suggestion = truthy ? "true" : "false"
            let what = style == .plain ? "'\(text)'" : "the string '\(text)'"
            report(
                .error(
                    .invalidBoolean, "\(what) is not a boolean (\(context)); booleans are true or false", at: node.range,
                    help: "write \(suggestion)"))
        } else {
            wrongType(node, expected: "true or false", in: context)
        }
        return nil
    }

    /// One of a fixed set of words, with a suggestion when it is close to one.
    mutating func choice(_ node: YAMLNode, _ allowed: [String], in context: String) -> Located<String>? {
        guard let text = string(node, in: context) else { return nil }
        guard allowed.contains(text.value) else {
            report(
                .error(
                    .invalidValue, "'\(text.value)' is not a valid \(context)", at: node.range,
                    help: didYouMean(text.value, in: allowed) ?? "expected one of: \(allowed.joined(separator: ", "))"))
            return nil
        }
        return text
    }

    /// A DNS-1123 label of at most 40 characters.
    mutating func name(_ node: YAMLNode, in context: String) -> Located<String>? {
        guard let text = string(node, in: context) else { return nil }
        guard checkName(text, in: context) else { return nil }
        return text
    }

    mutating func checkName(_ name: Located<String>, in context: String) -> Bool {
        guard isDNSLabel(name.value, maxLength: 40) else {
            let lowered = name.value.lowercased()
            let help =
                isDNSLabel(lowered, maxLength: 40)
                ? "write '\(lowered)'" : "names are lower-case letters, digits and '-', start with a letter, end with a letter or digit, at most 40 characters"
            report(.error(.invalidName, "'\(name.value)' is not a valid \(context) name", at: name.range, help: help))
            return false
        }
        return true
    }

    /// Free-form string-to-string labels, checked against Kubernetes' label syntax.
    mutating func labels(_ node: YAMLNode, in context: String) -> [Label] {
        var result: [Label] = []
        for pair in namedEntries(node, in: context) {
            guard let value = string(pair.value, in: "label '\(pair.name)'") else { continue }
            if let problem = labelKeyProblem(pair.name) {
                report(.error(.invalidLabel, "invalid label key '\(pair.name)': \(problem)", at: pair.key.range))
            } else if let problem = labelValueProblem(value.value) {
                report(.error(.invalidLabel, "invalid value for label '\(pair.name)': \(problem)", at: pair.value.range))
            } else {
                result.append(Label(pair.name, value.value))
            }
        }
        return result.sorted { $0.key < $1.key }
    }
}

/// The value of 1 to 18 ASCII digits (no sign), or nil for any other text. Most integers
/// in a spec are written so (`replicas: 2`): they are read from their bytes, without the
/// character-by-character checks of `signedInteger`, which gives the same value for them.
func plainDecimal(_ text: String) -> Int? {
    let bytes = text.utf8
    guard (1...18).contains(bytes.count) else { return nil }
    var value = 0
    for byte in bytes {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return value
}

/// An integer as a spec may write it: an optional `+` or `-`, then ASCII digits; nil otherwise.
func signedInteger(_ text: String) -> Int? {
    let digits = text.hasPrefix("+") ? String(text.dropFirst()) : text
    guard let value = Int(digits), digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) else { return nil }
    return value
}

/// The fields of one mapping, by key; only keys its shape declares can be asked for, and
/// the keys asked for are remembered.
final class Fields {
    let shape: SpecSchema.Shape
    let node: YAMLNode
    /// The pairs whose keys the shape declares, in source order (a handful: a linear
    /// search beats hashing here).
    let pairs: [YAMLPair]
    /// Bit i is set once the shape's field i was asked for.
    private var readMask: UInt64 = 0

    /// Bit i is set when the shape's field i is among `pairs`: an absent key is answered
    /// without a search, a present one by a search of the few pairs (no table to allocate
    /// for each mapping).
    private let present: UInt64

    init(shape: SpecSchema.Shape, node: YAMLNode, pairs: [YAMLPair], present: UInt64) {
        self.shape = shape
        self.node = node
        self.pairs = pairs
        self.present = present
    }

    subscript(_ key: String) -> YAMLNode? {
        guard let position = position(of: key) else { return nil }
        return pairs[position].value
    }

    /// Where the pair with this key (one the shape declares) is in `pairs`; the key is marked
    /// as asked for, as the subscript marks it.
    func position(of key: String) -> Int? {
        guard let index = shape.fields.firstIndex(where: { $0.key == key }) else {
            assertionFailure("key '\(key)' is not declared in shape '\(shape.name)'")
            return nil
        }
        readMask |= 1 << UInt64(index)
        guard present & (1 << UInt64(index)) != 0 else { return nil }
        return pairPosition(of: key)
    }

    /// Where the pair with this key is in `pairs`: found by index, so that no pair is copied
    /// to look at its key.
    private func pairPosition(of key: String) -> Int? {
        for position in pairs.indices where pairs[position].key.hasScalar(key) { return position }
        return nil
    }

    /// The keys asked for so far.
    var read: Set<String> {
        Set(shape.fields.indices.filter { readMask & (1 << UInt64($0)) != 0 }.map { shape.fields[$0].key })
    }

    func keyRange(_ key: String) -> SourceRange? {
        guard let index = shape.fields.firstIndex(where: { $0.key == key }), present & (1 << UInt64(index)) != 0, let position = pairPosition(of: key)
        else { return nil }
        return pairs[position].key.range
    }

    /// The keys present, in source order.
    var keys: [String] { pairs.map(\.name) }

    var range: SourceRange { node.range }
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?` of at most `maxLength` characters.
func isDNSLabel(_ text: String, maxLength: Int) -> Bool {
    let bytes = text.utf8
    guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
    guard let first = bytes.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") else { return false }
    guard let last = bytes.last, last != UInt8(ascii: "-") else { return false }
    return bytes.allSatisfy {
        ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-")
    }
}

/// Why a label key breaks Kubernetes' rules (`[prefix/]name`), or nil.
func labelKeyProblem(_ key: String) -> String? {
    let parts = key.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count <= 2 else { return "at most one '/'" }
    let name = String(parts.last ?? "")
    if parts.count == 2 {
        let prefix = String(parts[0])
        guard prefix.count <= 253, isDNSName(prefix, requireDot: false) else { return "the prefix must be a DNS subdomain" }
    }
    guard !name.isEmpty, name.count <= 63 else { return "the name must be 1-63 characters" }
    guard isLabelText(name) else { return "the name must be alphanumeric with '-', '_' or '.' inside" }
    return nil
}

/// Why a label value breaks Kubernetes' rules, or nil.
func labelValueProblem(_ value: String) -> String? {
    if value.isEmpty { return nil }
    guard value.count <= 63 else { return "at most 63 characters" }
    guard isLabelText(value) else { return "alphanumeric with '-', '_' or '.' inside" }
    return nil
}

/// Whether `text` is ASCII letters and digits with '-', '_' or '.' inside. Only ASCII can
/// pass, so it checks bytes (the ASCII scalars that are alphabetic are the letters A-Z and
/// a-z): no scalar is taken apart or looked up in Unicode's tables.
func isLabelText(_ text: String) -> Bool {
    func alnum(_ byte: UInt8) -> Bool {
        ((byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
    let bytes = text.utf8
    guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
    return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
}

/// A DNS name: dot-separated labels of 1-63 letters, digits and '-', not starting or
/// ending with '-', at most 253 characters; with `requireDot`, at least two labels.
/// Only ASCII can pass, so it checks bytes: a character is a byte there. The bytes are read
/// from the string's contiguous storage, not through its UTF-8 view's indices (every image's
/// registry and every `dns:` entry is checked).
func isDNSName(_ text: String, requireDot: Bool) -> Bool {
    var text = text
    return text.withUTF8 { isDNSName(bytes: $0, requireDot: requireDot) }
}

private func isDNSName(bytes whole: UnsafeBufferPointer<UInt8>, requireDot: Bool) -> Bool {
    var bytes = whole[...]
    if bytes.last == UInt8(ascii: ".") { bytes = bytes.dropLast() }
    guard !bytes.isEmpty, bytes.count <= 253 else { return false }
    var labels = 1
    var labelLength = 0
    var previous: UInt8 = UInt8(ascii: ".")
    for byte in bytes {
        if byte == UInt8(ascii: ".") {
            guard labelLength >= 1, previous != UInt8(ascii: "-") else { return false }
            labels += 1
            labelLength = 0
        } else {
            let letter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard letter || digit || byte == UInt8(ascii: "-") else { return false }
            if labelLength == 0, byte == UInt8(ascii: "-") { return false }
            labelLength += 1
            guard labelLength <= 63 else { return false }
        }
        previous = byte
    }
    guard labelLength >= 1, previous != UInt8(ascii: "-") else { return false }
    return !requireDot || labels >= 2
}
