/// Text from the input made safe to print in a diagnostic: control characters escaped (so a
/// message stays on its one `FILE:LINE:COL: error[CODE]: message` line and cannot drive the
/// terminal), and long input values abbreviated (so a 1 MB name does not flood stderr).
///
/// `Diagnostic` applies `message(_:)` to its message, help and notes, and the renderer to
/// whatever it prints, so the passes that build messages need not think about it; `quoted(_:)`
/// is for a message that wants to quote a value itself.
public enum SafeText {
    /// Quoted values up to this many characters are shown whole.
    public static let maxQuoted = 80
    /// How much of a longer quoted value is shown before `…`.
    public static let shownPrefix = 60
    /// Longest message, in characters, after quoted values are abbreviated.
    public static let maxMessage = 1_000

    /// `value` in single quotes, escaped and abbreviated: `'web'`, `'a\nb'`,
    /// `'aaaa…' (1,000,000 characters)`.
    public static func quoted(_ value: String) -> String {
        let scalars = escapedScalars(value)
        guard scalars.count > maxQuoted else { return "'" + String(String.UnicodeScalarView(scalars)) + "'" }
        return "'" + String(String.UnicodeScalarView(scalars.prefix(shownPrefix))) + "…' (\(grouped(scalars.count)) characters)"
    }

    /// `text` with every control character escaped: `\n`, `\r`, `\t`, `\0`, and `\u{1b}` for the
    /// others (C0, DEL, C1, line and paragraph separators, bidirectional controls).
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        return String(String.UnicodeScalarView(escapedScalars(text)))
    }

    /// A message made safe: escaped, every quoted value longer than `maxQuoted` abbreviated,
    /// and what is still longer than `maxMessage` cut, so that it stays short and on one line.
    /// Applying it twice changes nothing.
    public static func message(_ text: String) -> String {
        // The common case: short printable ASCII.
        if text.utf8.count <= maxQuoted, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        let scalars = abbreviatingQuotes(escapedScalars(text))
        guard scalars.count > maxMessage else { return String(String.UnicodeScalarView(scalars)) }
        let suffix = Array("… (\(grouped(scalars.count)) characters)".unicodeScalars)
        return String(String.UnicodeScalarView(scalars.prefix(maxMessage - suffix.count) + suffix))
    }

    /// Whether a character is shown escaped.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F..<0xA0: true
        // Line and paragraph separators, which some terminals and editors break lines at.
        case 0x2028, 0x2029: true
        // Bidirectional controls, which reorder what is shown ("Trojan source"), and the BOM.
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }

    /// How one character is shown: itself, or its escape.
    public static func escape(_ scalar: Unicode.Scalar) -> String {
        guard needsEscape(scalar) else { return String(scalar) }
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\0": return "\\0"
        default: return "\\u{\(String(scalar.value, radix: 16))}"
        }
    }

    static func escapedScalars(_ text: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.unicodeScalars.underestimatedCount)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                out.append(contentsOf: escape(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return out
    }

    /// Abbreviates every `'…'` span longer than `maxQuoted`. A quote opens a span where it does
    /// not follow a letter or digit, and closes it where it is not followed by one, so the
    /// apostrophes of "it's" and of a value like `o'neil` do not count.
    static func abbreviatingQuotes(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        func isWordCharacter(_ index: Int) -> Bool {
            guard scalars.indices.contains(index) else { return false }
            let scalar = scalars[index]
            return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
        }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        var index = 0
        // Each step moves `index` forward, and the search for a closing quote resumes where
        // the last one ended (or stops for good), so this is linear.
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "'", !isWordCharacter(index - 1) else {
                out.append(scalar)
                index += 1
                continue
            }
            var close = index + 1
            while close < scalars.count, !(scalars[close] == "'" && !isWordCharacter(close + 1)) { close += 1 }
            guard close < scalars.count else {
                // No closing quote after this one, so none after any later one either.
                out.append(contentsOf: scalars[index...])
                break
            }
            let length = close - index - 1
            if length > maxQuoted {
                out.append("'")
                out.append(contentsOf: scalars[(index + 1)..<(index + 1 + shownPrefix)])
                out.append(contentsOf: "…' (\(grouped(length)) characters)".unicodeScalars)
            } else {
                out.append(contentsOf: scalars[index...close])
            }
            index = close + 1
        }
        return out
    }
}

extension SafeText {
    /// An integer with a comma every three digits, for counts and sizes in messages: `1,000,000`.
    public static func grouped(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var out = value < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
    }
}
