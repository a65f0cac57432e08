/// Transport protocols the spec language knows.
public enum TransportProtocol: Int, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case tcp = 0
    case udp = 1
    case sctp = 2
    case icmp = 3

    public init?(name: String) {
        switch name {
        case "tcp": self = .tcp
        case "udp": self = .udp
        case "sctp": self = .sctp
        case "icmp": self = .icmp
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .sctp: "sctp"
        case .icmp: "icmp"
        }
    }

    /// Whether the protocol has port numbers.
    public var hasPorts: Bool { self != .icmp }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A range of ports of one protocol; for ICMP the range is always `0...0` (all of ICMP).
public struct PortRange: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var proto: TransportProtocol
    public var lower: Int
    public var upper: Int

    public init(_ proto: TransportProtocol, _ lower: Int, _ upper: Int) {
        self.proto = proto
        self.lower = proto.hasPorts ? lower : 0
        self.upper = proto.hasPorts ? upper : 0
    }

    public static func < (lhs: PortRange, rhs: PortRange) -> Bool {
        (lhs.proto, lhs.lower, lhs.upper) < (rhs.proto, rhs.lower, rhs.upper)
    }

    /// Every port of the protocol.
    public var isWholeProtocol: Bool { !proto.hasPorts || (lower == 1 && upper == 65535) }

    /// `tcp/443`, `tcp/8000-8100`, `udp` for every UDP port, `icmp`.
    public var description: String {
        if isWholeProtocol { return proto.description }
        return lower == upper ? "\(proto)/\(lower)" : "\(proto)/\(lower)-\(upper)"
    }
}

/// A normalized set of (protocol, port) pairs. Internally one interval set over the key
/// `protocol << 17 | port`, so every operation is a linear interval merge; the unused keys
/// between protocols keep one protocol's last port from merging with the next one's first.
public struct PortSet: Sendable, Hashable, CustomStringConvertible {
    public private(set) var keys: IntervalSet<UInt32>

    /// The hash dictionaries and sets take: the intervals' bounds folded into one word and
    /// mixed once (`QuickHash`), where the standard library's hasher was fed each bound (port
    /// sets key the interning of every target's rules and gaps). Equal sets have the same
    /// intervals, so they hash alike.
    public func _rawHashValue(seed: Int) -> Int {
        var folded = UInt64(truncatingIfNeeded: keys.intervals.count)
        for interval in keys.intervals {
            QuickHash.fold(&folded, UInt64(interval.lower) << 32 | UInt64(interval.upper))
        }
        return QuickHash.mix(folded, seed: seed)
    }

    static let protocolShift: UInt32 = 17

    public init() { keys = IntervalSet() }

    public init(keys: IntervalSet<UInt32>) { self.keys = keys }

    public init(_ ranges: [PortRange]) {
        keys = IntervalSet(normalizing: ranges.map(PortSet.interval))
    }

    /// One range: its interval as it is, with no list to normalize.
    public init(_ range: PortRange) { keys = IntervalSet(PortSet.interval(range)) }

    /// The union of many port sets at once (one sort, not one merge per set).
    public init(unionOf sets: some Sequence<PortSet>) { keys = IntervalSet(unionOf: sets.lazy.map(\.keys)) }

    /// Every port of the protocol (`tcp`, `udp`, `sctp`) or all of ICMP.
    public static func whole(_ proto: TransportProtocol) -> PortSet {
        PortSet(PortRange(proto, 1, 65535))
    }

    /// `all`: every port of tcp, udp and sctp, and icmp.
    public static let all = PortSet(TransportProtocol.allCases.map { PortRange($0, 1, 65535) })

    private static func interval(_ range: PortRange) -> IntervalSet<UInt32>.Interval {
        let base = UInt32(range.proto.rawValue) << PortSet.protocolShift
        return .init(base | UInt32(range.lower), base | UInt32(range.upper))
    }

    public var isEmpty: Bool { keys.isEmpty }

    public func contains(_ proto: TransportProtocol, _ port: Int) -> Bool {
        keys.contains(UInt32(proto.rawValue) << PortSet.protocolShift | UInt32(proto.hasPorts ? port : 0))
    }

    public func union(_ other: PortSet) -> PortSet { PortSet(keys: keys.union(other.keys)) }
    public func intersection(_ other: PortSet) -> PortSet { PortSet(keys: keys.intersection(other.keys)) }
    public func subtracting(_ other: PortSet) -> PortSet { PortSet(keys: keys.subtracting(other.keys)) }
    public func isSubset(of other: PortSet) -> Bool { keys.isSubset(of: other.keys) }
    public func overlaps(_ other: PortSet) -> Bool { keys.overlaps(other.keys) }
    public mutating func formUnion(_ other: PortSet) { keys.formUnion(other.keys) }

    /// The ranges, sorted by protocol then port.
    public var ranges: [PortRange] {
        keys.intervals.compactMap { interval in
            guard let proto = TransportProtocol(rawValue: Int(interval.lower >> PortSet.protocolShift)) else { return nil }
            return PortRange(proto, Int(interval.lower & 0xFFFF), Int(interval.upper & 0xFFFF))
        }
    }

    /// The protocols that have at least one port in the set.
    public var protocols: [TransportProtocol] {
        var seen: [TransportProtocol] = []
        for range in ranges where seen.last != range.proto { seen.append(range.proto) }
        return seen
    }

    /// The ranges taken apart by protocol, in one pass: each protocol's ranges are one run of
    /// `ranges` (they are ordered by protocol first), in protocol order.
    public var protocolRuns: [(proto: TransportProtocol, ranges: ArraySlice<PortRange>)] {
        let all = ranges
        var runs: [(proto: TransportProtocol, ranges: ArraySlice<PortRange>)] = []
        var start = 0
        while start < all.count {
            let proto = all[start].proto
            var end = start + 1
            while end < all.count, all[end].proto == proto { end += 1 }
            runs.append((proto, all[start..<end]))
            start = end
        }
        return runs
    }

    /// `tcp/443, udp/53`; `all` for every port; `none` when empty.
    public var description: String {
        if self == .all { return "all" }
        if isEmpty { return "none" }
        return ranges.map(\.description).joined(separator: ", ")
    }
}
