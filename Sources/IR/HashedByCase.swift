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

    public func hash(into hasher: inout Hasher) { hasher.combine(caseTag) }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.caseTag == rhs.caseTag }
}
