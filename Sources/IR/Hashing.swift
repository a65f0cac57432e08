/// A hash for keys that are small integers, where the standard library's hasher (keyed
/// SipHash, seeded, fed and finished per lookup) costs more than the lookup: the key mixed with
/// the table's seed by a multiply-xorshift finalizer, whose every output bit depends on every
/// input bit. Equal keys hash alike for a seed, as `Hashable` requires; the keys come from the
/// compiler's own numbering, not from an adversary, so no keyed hash is needed against floods.
public enum QuickHash {
    @inline(__always)
    public static func mix(_ key: UInt64, seed: Int) -> Int {
        var z = key ^ UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: z ^ (z >> 31))
    }

    /// Two indices (each below 2^32) in one word, mixed.
    @inline(__always)
    public static func mix(_ first: Int, _ second: Int, seed: Int) -> Int {
        mix(UInt64(truncatingIfNeeded: first) << 32 ^ UInt64(truncatingIfNeeded: second), seed: seed)
    }

    /// One more value folded into a word of many (a set's bounds), to be mixed once at the end.
    @inline(__always)
    public static func fold(_ word: inout UInt64, _ value: UInt64) { word = (word ^ value) &* 0x100_0000_01B3 }
}

/// An enum without payloads, whose raw values are strings, hashed and compared by its case
/// rather than by its raw value. For raw-valued types the standard library's own `hash(into:)`
/// and `==` hash and compare the raw value, the whole string, and every lookup in a dictionary
/// keyed by such a case paid for it: a large estate's gaps look up their control and runtime
/// key hundreds of thousands of times.
public protocol HashedByCase: RawRepresentable, Hashable {}

extension HashedByCase where RawValue: Hashable {
    /// The case's tag: an enum without payloads is stored as the index of its case, one byte
    /// for up to 256 cases and none for a single case.
    @inline(__always)
    var caseTag: UInt8 { withUnsafeBytes(of: self) { $0.isEmpty ? 0 : $0[0] } }

    /// The case's position in declaration order (its tag), which is also its position in a
    /// synthesized `allCases`: a table indexed by case is read without a search or a hash.
    @inline(__always)
    public var caseIndex: Int { Int(caseTag) }

    public func hash(into hasher: inout Hasher) { hasher.combine(caseTag) }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.caseTag == rhs.caseTag }
}
