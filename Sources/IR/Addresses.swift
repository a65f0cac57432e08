/// IPv4 and IPv6 addresses, CIDR prefixes and the normalized address sets built from them.

/// An IPv4 or IPv6 prefix such as `10.0.0.0/8` or `2001:db8::/32`.
public enum CIDR: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32, prefix: Int)
    case v6(UInt128, prefix: Int)

    /// Parses an address or CIDR. A bare address means /32 or /128.
    /// Returns `.hostBitsSet` with the network address when the prefix has host bits set.
    public static func parse(_ text: String) -> ParseResult {
        if let (address, prefix) = plainIPv4(text) { return ipv4(address, prefix: prefix) }
        return parseAnyForm(text)
    }

    /// `parse` without the fast path for well-formed IPv4: IPv6, and every problem's words.
    static func parseAnyForm(_ text: String) -> ParseResult {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = String(parts[0])
        let prefixText = parts.count == 2 ? String(parts[1]) : nil
        if let address = parseIPv4(addressText) {
            guard let prefix = parsePrefix(prefixText, max: 32) else { return .invalid(prefixProblem(prefixText, max: 32)) }
            return ipv4(address, prefix: prefix)
        }
        if let address = parseIPv6(addressText) {
            guard let prefix = parsePrefix(prefixText, max: 128) else { return .invalid(prefixProblem(prefixText, max: 128)) }
            let mask: UInt128 = prefix == 0 ? 0 : ~UInt128(0) << (128 - prefix)
            if address & ~mask != 0 { return .hostBitsSet(.v6(address & mask, prefix: prefix), host: .v6(address, prefix: 128)) }
            return .valid(.v6(address, prefix: prefix))
        }
        return .invalid(ipv4Problem(addressText) ?? "not an IPv4 or IPv6 address")
    }

    /// An IPv4 address and prefix length as a result: valid, or with host bits set.
    private static func ipv4(_ address: UInt32, prefix: Int) -> ParseResult {
        let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix)
        if address & ~mask != 0 { return .hostBitsSet(.v4(address & mask, prefix: prefix), host: .v4(address, prefix: 32)) }
        return .valid(.v4(address, prefix: prefix))
    }

    /// Well-formed IPv4 text, `a.b.c.d` or `a.b.c.d/n`, read in one pass over its bytes (readers
    /// parse every prefix of the files they read back): nil for anything else, which `parse`
    /// then reads the general way. It takes exactly the IPv4 text `parseIPv4` and `parsePrefix`
    /// take: four parts of one to three ASCII digits, none with a leading zero, each at most
    /// 255; a prefix length of one to three digits without a leading zero, at most 32.
    static func plainIPv4(_ text: String) -> (UInt32, Int)? {
        var text = text
        return text.withUTF8 { bytes -> (UInt32, Int)? in
            var address: UInt32 = 0
            var index = 0
            for part in 0..<4 {
                if part > 0 {
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ".") else { return nil }
                    index += 1
                }
                guard let (octet, next) = decimal(bytes, from: index), octet <= 255 else { return nil }
                address = address << 8 | UInt32(octet)
                index = next
            }
            if index == bytes.count { return (address, 32) }
            guard bytes[index] == UInt8(ascii: "/"), let (prefix, end) = decimal(bytes, from: index + 1), end == bytes.count, prefix <= 32
            else { return nil }
            return (address, prefix)
        }
    }

    /// One to three ASCII digits from `start`, without a leading zero (a lone `0` is fine), and
    /// the index after them; nil when there are none, four or more, or a leading zero.
    private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int, Int)? {
        var value = 0
        var index = start
        while index < bytes.count, index - start < 4, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        let digits = index - start
        guard digits >= 1, digits <= 3, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return nil }
        return (value, index)
    }

    /// Which rule of dotted-quad IPv4 text breaks, when it looks like IPv4 (digits and dots
    /// only): the number of parts, an empty part, a leading zero, an octet above 255.
    static func ipv4Problem(_ text: String) -> String? {
        guard !text.isEmpty, text.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return "an IPv4 address has 4 parts, this has \(parts.count)" }
        for part in parts {
            if part.isEmpty { return "an IPv4 address has no empty part" }
            if part.count > 1, part.first == "0" {
                return "'\(part)' has a leading zero, which some tools read as octal; write \(Int(part).map(String.init) ?? String(part))"
            }
            if part.count > 3 || (Int(part) ?? 256) > 255 { return "'\(part)' is above 255" }
        }
        return nil
    }

    public enum ParseResult: Sendable, Hashable {
        case valid(CIDR)
        /// The prefix has host bits set: the network it would be, and the single host.
        case hostBitsSet(CIDR, host: CIDR)
        case invalid(String)
    }

    /// Why a prefix length is refused: not a number, a leading zero, or out of range.
    private static func prefixProblem(_ text: String?, max: Int) -> String {
        let text = text ?? ""
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return "the prefix length '\(text)' is not a number 0-\(max)" }
        if text.count > 1, text.first == "0" { return "the prefix length '\(text)' has a leading zero" }
        return "the prefix length \(text) is above \(max)"
    }

    private static func parsePrefix(_ text: String?, max: Int) -> Int? {
        guard let text else { return max }
        guard !text.isEmpty, text.count <= 3, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber),
            !(text.count > 1 && text.first == "0"), let value = Int(text), value <= max
        else { return nil }
        return value
    }

    public var isIPv4: Bool { if case .v4 = self { true } else { false } }

    public var description: String {
        switch self {
        case .v4(let address, let prefix): formatIPv4(address, prefix: prefix)
        case .v6(let address, let prefix): "\(formatIPv6(address))/\(prefix)"
        }
    }

    /// The address set this prefix covers.
    public var addressSet: AddressSet {
        switch self {
        case .v4(let address, let prefix):
            let size: UInt32 = prefix == 0 ? .max : (UInt32(1) << (32 - prefix)) - 1
            return AddressSet(v4: IntervalSet(lower: address, upper: address | size), v6: IntervalSet())
        case .v6(let address, let prefix):
            let size: UInt128 = prefix == 0 ? .max : (UInt128(1) << (128 - prefix)) - 1
            return AddressSet(v4: IntervalSet(), v6: IntervalSet(lower: address, upper: address | size))
        }
    }
}

/// A set of IPv4 and IPv6 addresses, kept apart and normalized (overlapping and adjacent
/// ranges merged).
public struct AddressSet: Sendable, Hashable {
    public var v4: IntervalSet<UInt32>
    public var v6: IntervalSet<UInt128>

    public init(v4: IntervalSet<UInt32> = IntervalSet(), v6: IntervalSet<UInt128> = IntervalSet()) {
        self.v4 = v4
        self.v6 = v6
    }

    public static let empty = AddressSet()
    /// Every IPv4 and IPv6 address: `0.0.0.0/0` and `::/0`.
    public static let all = AddressSet(v4: .full, v6: .full)

    public var isEmpty: Bool { v4.isEmpty && v6.isEmpty }
    public var isAll: Bool { v4.isFull && v6.isFull }

    public func union(_ other: AddressSet) -> AddressSet { AddressSet(v4: v4.union(other.v4), v6: v6.union(other.v6)) }

    /// The union of many address sets at once (one sort per family, not one merge per set).
    public init(unionOf sets: [AddressSet]) {
        self.init(v4: IntervalSet(unionOf: sets.lazy.map(\.v4)), v6: IntervalSet(unionOf: sets.lazy.map(\.v6)))
    }
    public func intersection(_ other: AddressSet) -> AddressSet {
        AddressSet(v4: v4.intersection(other.v4), v6: v6.intersection(other.v6))
    }
    public func subtracting(_ other: AddressSet) -> AddressSet {
        AddressSet(v4: v4.subtracting(other.v4), v6: v6.subtracting(other.v6))
    }
    public func isSubset(of other: AddressSet) -> Bool { v4.isSubset(of: other.v4) && v6.isSubset(of: other.v6) }

    /// The smallest list of CIDR prefixes that covers exactly this set, IPv4 first.
    public var cidrs: [CIDR] {
        var result: [CIDR] = []
        for interval in v4.intervals {
            result += prefixes(interval.lower, interval.upper).map { CIDR.v4($0.0, prefix: $0.1) }
        }
        for interval in v6.intervals {
            result += prefixes(interval.lower, interval.upper).map { CIDR.v6($0.0, prefix: $0.1) }
        }
        return result
    }

    public static func + (lhs: AddressSet, rhs: AddressSet) -> AddressSet { lhs.union(rhs) }
}

/// The largest aligned blocks covering `lower...upper`, as (address, prefix length).
public func prefixBlocks<T: FixedWidthInteger & UnsignedInteger>(_ lower: T, _ upper: T) -> [(T, Int)] {
    prefixes(lower, upper)
}

func prefixes<T: FixedWidthInteger & UnsignedInteger>(_ lower: T, _ upper: T) -> [(T, Int)] {
    var result: [(T, Int)] = []
    var start = lower
    while true {
        // The largest block aligned at `start` that does not pass `upper`.
        var size = start == 0 ? T.bitWidth : start.trailingZeroBitCount
        while size > 0 {
            let last = size == T.bitWidth ? T.max : start | ((T(1) << size) - 1)
            if last <= upper { break }
            size -= 1
        }
        let last = size == T.bitWidth ? T.max : start | ((T(1) << size) - 1)
        result.append((start, T.bitWidth - size))
        if last >= upper { break }
        start = last + 1
    }
    return result
}

/// Parses dotted-quad IPv4 without leading zeros (`010.0.0.1` is ambiguous and refused).
public func parseIPv4(_ text: String) -> UInt32? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    var value: UInt32 = 0
    for part in parts {
        guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
            !(part.count > 1 && part.first == "0"), let octet = UInt32(part), octet <= 255
        else { return nil }
        value = value << 8 | octet
    }
    return value
}

/// Parses IPv6 text (RFC 4291): eight groups, `::` once, an embedded IPv4 tail allowed.
public func parseIPv6(_ text: String) -> UInt128? {
    guard text.contains(":"), text.allSatisfy({ $0.isASCII }) else { return nil }
    var groups: [UInt16] = []
    var tailGroups: [UInt16] = []
    var sawDoubleColon = false
    let doubleColons = text.ranges(of: "::")
    guard doubleColons.count <= 1, !text.contains(":::") else { return nil }
    let halves = doubleColons.first.map { [String(text[..<$0.lowerBound]), String(text[$0.upperBound...])] } ?? [text]
    func parseGroups(_ part: String, allowIPv4Tail: Bool) -> [UInt16]? {
        if part.isEmpty { return [] }
        var result: [UInt16] = []
        let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
        for (index, piece) in pieces.enumerated() {
            if piece.contains(".") {
                guard allowIPv4Tail, index == pieces.count - 1, let v4 = parseIPv4(String(piece)) else { return nil }
                result.append(UInt16(v4 >> 16))
                result.append(UInt16(v4 & 0xFFFF))
            } else {
                guard (1...4).contains(piece.count), let group = UInt16(piece, radix: 16) else { return nil }
                result.append(group)
            }
        }
        return result
    }
    if halves.count == 2 {
        sawDoubleColon = true
        guard let head = parseGroups(halves[0], allowIPv4Tail: false),
            let tail = parseGroups(halves[1], allowIPv4Tail: true)
        else { return nil }
        groups = head
        tailGroups = tail
        guard groups.count + tailGroups.count <= 7 else { return nil }
    } else {
        guard let all = parseGroups(text, allowIPv4Tail: true), all.count == 8 else { return nil }
        groups = all
    }
    var value: UInt128 = 0
    let zeros = sawDoubleColon ? 8 - groups.count - tailGroups.count : 0
    for group in groups + [UInt16](repeating: 0, count: zeros) + tailGroups {
        value = value << 16 | UInt128(group)
    }
    return value
}

public func formatIPv4(_ value: UInt32) -> String { formatIPv4(value, prefix: nil) }

/// Dotted-quad text, with `/prefix` when one is given, written digit by digit into the string's
/// own storage (at most 18 bytes, where interpolation builds five strings).
func formatIPv4(_ value: UInt32, prefix: Int?) -> String {
    String(unsafeUninitializedCapacity: 18) { buffer in
        var count = 0
        func put(_ number: Int) {
            if number >= 100 {
                buffer[count] = UInt8(ascii: "0") + UInt8(number / 100)
                count += 1
            }
            if number >= 10 {
                buffer[count] = UInt8(ascii: "0") + UInt8(number / 10 % 10)
                count += 1
            }
            buffer[count] = UInt8(ascii: "0") + UInt8(number % 10)
            count += 1
        }
        for part in 0..<4 {
            if part > 0 {
                buffer[count] = UInt8(ascii: ".")
                count += 1
            }
            put(Int((value >> UInt32(24 - 8 * part)) & 0xFF))
        }
        if let prefix {
            buffer[count] = UInt8(ascii: "/")
            count += 1
            put(prefix)
        }
        return count
    }
}

/// RFC 5952 text: lower case, the longest run of two or more zero groups as `::`.
public func formatIPv6(_ value: UInt128) -> String {
    let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
    var bestStart = -1
    var bestLength = 0
    var index = 0
    while index < 8 {
        if groups[index] == 0 {
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        } else {
            index += 1
        }
    }
    let hex = groups.map { String($0, radix: 16) }
    if bestLength < 2 { return hex.joined(separator: ":") }
    let head = hex[..<bestStart].joined(separator: ":")
    let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
    return head + "::" + tail
}
