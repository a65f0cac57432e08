/// The quantities of resource limits, parsed once for the spec and for the readers of
/// generated files.
public enum Quantity {
    /// CPU in thousandths of a core: `500m`, `2`, `0.5`; nil for anything else (or a
    /// fraction finer than a millicore).
    public static func millicores(_ text: String) -> Int? {
        if text.hasSuffix("m") {
            let digits = text.dropLast()
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits), value <= 1_000_000_000 else {
                return nil
            }
            return value
        }
        return decimal(text, scale: 1000)
    }

    /// Memory in bytes: Kubernetes quantities with binary (`Ki`…`Pi`) or decimal (`k`…`P`)
    /// suffixes, or plain bytes.
    public static func bytes(_ text: String) -> Int? {
        let suffixes: [(String, Int)] = [
            ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40), ("Pi", 1 << 50),
            ("k", 1000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000), ("P", 1_000_000_000_000_000),
        ]
        for (suffix, scale) in suffixes where text.hasSuffix(suffix) {
            return decimal(String(text.dropLast(suffix.count)), scale: scale)
        }
        return decimal(text, scale: 1)
    }

    /// A decimal number times `scale`, when the result is a whole number.
    static func decimal(_ text: String, scale: Int) -> Int? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 12, whole.allSatisfy({ $0.isASCII && $0.isNumber }),
            let integer = Int(whole)
        else { return nil }
        var value = integer * scale
        if parts.count == 2 {
            let fraction = parts[1]
            let digits = fraction.compactMap { $0.isASCII ? $0.wholeNumberValue : nil }
            guard !fraction.isEmpty, fraction.count <= 9, digits.count == fraction.count else { return nil }
            var place = scale
            for digit in digits {
                guard place % 10 == 0 else { return digit == 0 ? value : nil }
                place /= 10
                value += digit * place
            }
        }
        return value
    }
}
