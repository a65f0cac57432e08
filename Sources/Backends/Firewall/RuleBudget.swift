import IR

/// Fits external rules into a platform's rule budget, the way `gaps` says: widening fills the
/// smallest holes between allowed ranges (or widens a range to its enclosing prefix), narrowing
/// drops the smallest prefixes. Either way what changes is reported by the relation difference.
/// `rulesPerPeer` says how many rules one prefix costs for a port set; budgets are per family.
func fitted(
    _ rules: ExternalRules, ipv4Budget: Int, ipv6Budget: Int, widen: Bool, rulesPerPeer: (PortSet) -> Int
) -> ExternalRules {
    var entries = rules.entries
    func cost(_ family: Int) -> Int {
        entries.reduce(0) { total, entry in
            let prefixes = family == 4 ? AddressSet(v4: entry.peers.addresses.v4).cidrs.count : AddressSet(v6: entry.peers.addresses.v6).cidrs.count
            return total + prefixes * rulesPerPeer(entry.ports)
        }
    }
    var guardCount = 0
    while guardCount < 100_000 {
        guardCount += 1
        let family: Int
        if cost(4) > ipv4Budget { family = 4 } else if cost(6) > ipv6Budget { family = 6 } else { break }
        // The entry with the most prefixes of that family gives way first.
        guard
            let index = entries.indices.max(by: { a, b in
                prefixCount(entries[a].peers.addresses, family) < prefixCount(entries[b].peers.addresses, family)
            }), prefixCount(entries[index].peers.addresses, family) > 0
        else { break }
        var addresses = entries[index].peers.addresses
        if family == 4 {
            addresses.v4 = widen ? coarsened(addresses.v4) : withoutSmallestPrefix(addresses.v4)
        } else {
            addresses.v6 = widen ? coarsened(addresses.v6) : withoutSmallestPrefix(addresses.v6)
        }
        entries[index].peers.addresses = addresses
        entries.removeAll { $0.peers.isEmpty }
    }
    return ExternalRules(entries: entries)
}

private func prefixCount(_ addresses: AddressSet, _ family: Int) -> Int {
    family == 4 ? AddressSet(v4: addresses.v4).cidrs.count : AddressSet(v6: addresses.v6).cidrs.count
}

/// Fills the smallest gap between two intervals; a single interval grows to the smallest
/// prefix that encloses it.
private func coarsened<T>(_ set: IntervalSet<T>) -> IntervalSet<T> {
    let intervals = set.intervals
    if intervals.count >= 2 {
        var best = 0
        for index in 1..<(intervals.count - 1) where intervals[index + 1].lower - intervals[index].upper < intervals[best + 1].lower - intervals[best].upper {
            best = index
        }
        var merged = intervals
        merged[best] = .init(intervals[best].lower, intervals[best + 1].upper)
        merged.remove(at: best + 1)
        return IntervalSet(normalizing: merged)
    }
    guard let only = intervals.first else { return set }
    var size = 0
    while size < T.bitWidth, (only.lower >> size) != (only.upper >> size) { size += 1 }
    let mask: T = size == T.bitWidth ? 0 : ~T(0) << size
    let lower = only.lower & mask
    let upper = size == T.bitWidth ? T.max : lower | ~mask
    return IntervalSet(lower: lower, upper: upper)
}

/// Drops the smallest prefix of the set's decomposition.
private func withoutSmallestPrefix<T>(_ set: IntervalSet<T>) -> IntervalSet<T> {
    let blocks = prefixes(set)
    guard let smallest = blocks.max(by: { $0.1 < $1.1 }) else { return set }
    let last = smallest.1 == 0 ? T.max : smallest.0 | ((T(1) << (T.bitWidth - smallest.1)) &- 1)
    return set.subtracting(IntervalSet(lower: smallest.0, upper: last))
}

private func prefixes<T>(_ set: IntervalSet<T>) -> [(T, Int)] {
    set.intervals.flatMap { IR.prefixBlocks($0.lower, $0.upper) }
}
