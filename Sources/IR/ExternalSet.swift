/// A set of `dns:` names: either finitely many, or every name except finitely many (what
/// `any` covers, minus the names a deny removes). Names are lower case without a final dot.
public struct DNSNames: Sendable, Hashable {
    /// The names listed: those included, or with `allExcept`, those excluded.
    public private(set) var names: Set<String>
    /// True when the set is every name except `names`.
    public private(set) var allExcept: Bool

    public init(_ names: Set<String> = [], allExcept: Bool = false) {
        self.names = Set(names.map(DNSNames.normalize))
        self.allExcept = allExcept
    }

    public static let none = DNSNames()
    public static let all = DNSNames(allExcept: true)

    /// `API.Example.com.` and `api.example.com` are the same name.
    public static func normalize(_ name: String) -> String {
        var lowered = name.lowercased()
        if lowered.hasSuffix(".") { lowered.removeLast() }
        return lowered
    }

    public var isEmpty: Bool { !allExcept && names.isEmpty }
    public var isAll: Bool { allExcept && names.isEmpty }

    public func contains(_ name: String) -> Bool { names.contains(DNSNames.normalize(name)) != allExcept }

    public func union(_ other: DNSNames) -> DNSNames {
        switch (allExcept, other.allExcept) {
        case (false, false): DNSNames(names.union(other.names))
        case (true, true): DNSNames(names.intersection(other.names), allExcept: true)
        case (true, false): DNSNames(names.subtracting(other.names), allExcept: true)
        case (false, true): DNSNames(other.names.subtracting(names), allExcept: true)
        }
    }

    /// The union of many name sets at once: the listed names gathered in one set, and when
    /// some set is every name except a few, every name except what all of those exclude
    /// and no listed set includes.
    public init(unionOf sets: [DNSNames]) {
        var included = Set<String>()
        var excluded: Set<String>?
        for set in sets {
            if set.allExcept {
                excluded = excluded.map { $0.intersection(set.names) } ?? set.names
            } else {
                included.formUnion(set.names)
            }
        }
        if let excluded {
            names = excluded.subtracting(included)
            allExcept = true
        } else {
            names = included
            allExcept = false
        }
    }

    public func intersection(_ other: DNSNames) -> DNSNames {
        switch (allExcept, other.allExcept) {
        case (false, false): DNSNames(names.intersection(other.names))
        case (true, true): DNSNames(names.union(other.names), allExcept: true)
        case (true, false): DNSNames(other.names.subtracting(names))
        case (false, true): DNSNames(names.subtracting(other.names))
        }
    }

    public func subtracting(_ other: DNSNames) -> DNSNames {
        intersection(DNSNames(other.names, allExcept: !other.allExcept))
    }

    public func isSubset(of other: DNSNames) -> Bool { subtracting(other).isEmpty }

    /// The names, sorted (the included ones, or the excluded ones with `allExcept`).
    public var sortedNames: [String] { names.sorted() }
}

/// Peers outside the spec: addresses and, as destinations only, `dns:` names.
public struct ExternalSet: Sendable, Hashable {
    public var addresses: AddressSet
    public var dns: DNSNames

    /// The hash dictionaries and sets take (`QuickHash`): the address ranges' bounds folded
    /// into one word with how many names there are and whether they are excluded, mixed once.
    /// Equal sets have the same ranges and names, so they hash alike; sets apart only by which
    /// names they list meet in `==`.
    public func _rawHashValue(seed: Int) -> Int {
        var folded = UInt64(truncatingIfNeeded: dns.names.count) << 1 | (dns.allExcept ? 1 : 0)
        for interval in addresses.v4.intervals {
            QuickHash.fold(&folded, UInt64(interval.lower) << 32 | UInt64(interval.upper))
        }
        for interval in addresses.v6.intervals {
            QuickHash.fold(&folded, UInt64(truncatingIfNeeded: interval.lower) ^ UInt64(truncatingIfNeeded: interval.upper >> 64))
        }
        return QuickHash.mix(folded, seed: seed)
    }

    public init(addresses: AddressSet = .empty, dns: DNSNames = .none) {
        self.addresses = addresses
        self.dns = dns
    }

    public static let empty = ExternalSet()
    /// `any`: every address, and every `dns:` name.
    public static let any = ExternalSet(addresses: .all, dns: .all)

    public var isEmpty: Bool { addresses.isEmpty && dns.isEmpty }
    public var isAny: Bool { addresses.isAll && dns.isAll }

    public func union(_ other: ExternalSet) -> ExternalSet {
        ExternalSet(addresses: addresses.union(other.addresses), dns: dns.union(other.dns))
    }

    /// The union of many external sets at once, linear-logarithmic in their total size.
    public init(unionOf sets: [ExternalSet]) {
        switch sets.count {
        case 0: self = .empty
        case 1: self = sets[0]
        default: self.init(addresses: AddressSet(unionOf: sets.map(\.addresses)), dns: DNSNames(unionOf: sets.map(\.dns)))
        }
    }
    public func intersection(_ other: ExternalSet) -> ExternalSet {
        ExternalSet(addresses: addresses.intersection(other.addresses), dns: dns.intersection(other.dns))
    }
    public func subtracting(_ other: ExternalSet) -> ExternalSet {
        ExternalSet(addresses: addresses.subtracting(other.addresses), dns: dns.subtracting(other.dns))
    }
    public func isSubset(of other: ExternalSet) -> Bool {
        addresses.isSubset(of: other.addresses) && dns.isSubset(of: other.dns)
    }

    /// Human-readable: CIDRs, then `dns:` names; `any` for everything.
    public var summary: String {
        if isAny { return "any" }
        var parts: [String]
        let complement = AddressSet.all.subtracting(addresses)
        if addresses.isAll {
            parts = ["any address"]
        } else if !complement.isEmpty, !addresses.isEmpty, complement.cidrs.count < addresses.cidrs.count {
            parts = ["any address except " + complement.cidrs.map(\.description).joined(separator: ", ")]
        } else {
            parts = addresses.cidrs.map(\.description)
        }
        if dns.allExcept {
            parts.append(dns.names.isEmpty ? "every dns: name" : "every dns: name except \(dns.sortedNames.map { "dns:\($0)" }.joined(separator: ", "))")
        } else {
            parts += dns.sortedNames.map { "dns:\($0)" }
        }
        return parts.joined(separator: ", ")
    }
}
