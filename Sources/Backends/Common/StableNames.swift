import IR

/// Names of generated objects, derived from spec names alone, never from a position in a list:
/// adding a flow, a workload or a network to a spec leaves every other object's name as it was.
/// A name too long for its platform keeps its beginning and its end around a short hash of the
/// whole name; two objects whose derived names meet both get a short hash of their own content
/// key, whatever their order.
enum StableName {
    /// FNV-1a (64 bits) of the UTF-8 bytes, its bits then mixed (MurmurHash3's finalizer) so
    /// that the low ones, which pick parts and priorities, depend on every byte: the same on
    /// every platform and every run (Swift's `Hasher` is seeded per process).
    static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        value ^= value >> 33
        value = value &* 0xff51_afd7_ed55_8ccd
        value ^= value >> 33
        value = value &* 0xc4ce_b9fe_1a85_ec53
        value ^= value >> 33
        return value
    }

    /// The first `digits` hexadecimal digits (lower case) of `hash(text)`.
    static func shortHash(_ text: String, digits: Int = 8) -> String {
        let hex = String(hash(text), radix: 16)
        return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(digits))
    }

    /// `name` when it has at most `limit` characters; else its beginning and its end (where
    /// names say what and whom) around an 8-digit hash of the whole name, joined by `separator`:
    /// `a-policy-name-of-fo-3e889753-y-of-twenty-six-b2-v4`.
    static func fitted(_ name: String, limit: Int, separator: String = "-") -> String {
        // At most `limit` bytes is at most `limit` characters: most names, told without counting characters.
        guard name.utf8.count > limit, name.count > limit else { return name }
        let hash = shortHash(name)
        let room = max(limit - hash.count - 2 * separator.count, 2)
        var head = String(name.prefix(room / 2))
        var tail = String(name.suffix(room - room / 2))
        if !separator.isEmpty {
            while head.hasSuffix(separator), head.count > separator.count { head.removeLast(separator.count) }
            while tail.hasPrefix(separator), tail.count > separator.count { tail.removeFirst(separator.count) }
        }
        return head + separator + hash + separator + tail
    }

    /// The names of `items` made unique: an item whose fitted name no other item has keeps
    /// it; items whose names meet each get `separator` and a hash of their `key` (which must
    /// tell them apart), whatever their order.
    static func unique(_ items: [(name: String, key: String)], limit: Int, separator: String = "-") -> [String] {
        unique(names: items.map(\.name), limit: limit, separator: separator) { items[$0].key }
    }

    /// The same for `names`, the key of the item at an index built by `key` only for the items
    /// whose names meet (most never do).
    static func unique(names: [String], limit: Int, separator: String = "-", key: (Int) -> String) -> [String] {
        var result = names.map { Self.fitted($0, limit: limit, separator: separator) }
        var seen = Set<String>(minimumCapacity: result.count)
        var repeated = Set<String>()
        for name in result where !seen.insert(name).inserted { repeated.insert(name) }
        guard !repeated.isEmpty else { return result }
        for index in result.indices where repeated.contains(result[index]) {
            let suffix = separator + shortHash(key(index))
            result[index] = Self.fitted(names[index], limit: limit - suffix.count, separator: separator) + suffix
        }
        return result
    }

    /// `order-worker` as `OrderWorker`: for identifiers that allow letters and digits only.
    static func camel(_ name: String) -> String {
        name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

/// Splits items among numbered parts the way numbered templates are filled: item `i` goes to
/// part `hash(keys[i]) mod B`, `B` the smallest power of two for which every part `fits`. Adding
/// an item moves no other between parts unless `B` has to double (then each part's items split
/// between it and part `p + B`). Parts in order, some perhaps empty.
func stableParts(keys: [String], fits: ([Int]) -> Bool) -> [[Int]] {
    let hashes = keys.map(StableName.hash)
    var count = 1
    while true {
        var parts = [[Int]](repeating: [], count: count)
        for (index, hash) in hashes.enumerated() { parts[Int(hash % UInt64(count))].append(index) }
        // Past one part per item, more parts cannot help: the caller reports what does not fit.
        if parts.allSatisfy(fits) || count >= 2 * max(keys.count, 1) { return parts }
        count *= 2
    }
}

/// External peers as a platform rule names them: a `slug` for names (`corp`,
/// `any-except-blocked`, `addr-1f2e3d4c`), the same in words, their addresses, and the ports on
/// which they are allowed.
struct NamedPeers {
    var slug: String
    var words: String
    var addresses: AddressSet
    var ports: PortSet
}

/// Names external peers after the spec's networks, for one policy; remembers the parts of each
/// address set it has split (the same sets recur across identities).
final class PeerNamer {
    /// The spec's networks that hold addresses, by name.
    private let networks: [(name: String, addresses: AddressSet)]
    /// For each network, the others that hold all its addresses and keep it out of `largest`:
    /// those with more addresses, and those with the same ones earlier by name.
    private let wider: [[Int]]
    /// The addresses of every network together: what lies outside it no network names.
    private let everyNetwork: AddressSet
    private var known: [AddressSet: [NamedPeers]] = [:]

    init(_ policy: Policy) {
        let networks = policy.networks.filter { !$0.members.addresses.isEmpty }.sorted { $0.name < $1.name }.map { ($0.name, $0.members.addresses) }
        self.networks = networks
        everyNetwork = AddressSet(
            v4: IntervalSet(normalizing: networks.flatMap { $0.1.v4.intervals }), v6: IntervalSet(normalizing: networks.flatMap { $0.1.v6.intervals }))
        wider = networks.indices.map { index in
            networks.indices.filter { other in
                other != index && Self.isSubset(networks[index].1, of: networks[other].1)
                    && (networks[index].1 != networks[other].1 || other < index)
            }
        }
    }

    /// One identity's external rules of one direction as rules per named peer, in slug order:
    /// each entry's addresses split into the spec's networks (`parts`), and each part with the
    /// ports of every entry it comes from. The same connections as the entries; but a network
    /// keeps its rule, with the same ports, when a flow from another network joins it on those
    /// ports.
    func peers(_ entries: [ExternalRules.Entry]) -> [NamedPeers] {
        // By addresses, not by slug: a network may be named like another's slug (`corp-except-lab`).
        var byAddresses: [AddressSet: NamedPeers] = [:]
        for entry in entries {
            for part in parts(entry.peers.addresses) {
                byAddresses[part.addresses, default: part].ports.formUnion(entry.ports)
            }
        }
        let text = { (peers: NamedPeers) in peers.addresses.cidrs.map(\.description).joined(separator: ",") }
        return byAddresses.values.sorted { $0.slug != $1.slug ? $0.slug < $1.slug : text($0) < text($1) }
    }

    /// Addresses as named parts (ports empty): the whole set when one name says it (`any`, a
    /// network, `any-except-NETWORKS`, `NETWORK-except-NETWORKS`); else the largest networks of
    /// the spec inside it (by name) and what they leave, named `addr-HASH` of its addresses.
    func parts(_ addresses: AddressSet) -> [NamedPeers] {
        if let parts = known[addresses] { return parts }
        let parts = split(addresses)
        known[addresses] = parts
        return parts
    }

    /// The networks inside a set, without those inside another of them (of two with the same
    /// addresses, the first by name stays).
    private func largest(inside set: AddressSet) -> [Int] {
        var isCandidate = [Bool](repeating: false, count: networks.count)
        for index in networks.indices where Self.isSubset(networks[index].addresses, of: set) { isCandidate[index] = true }
        return networks.indices.filter { index in isCandidate[index] && !wider[index].contains { isCandidate[$0] } }
    }

    /// `a ⊆ b` without building `a − b`: one walk over both interval lists.
    static func isSubset(_ a: AddressSet, of b: AddressSet) -> Bool {
        isSubset(a.v4.intervals, of: b.v4.intervals) && isSubset(a.v6.intervals, of: b.v6.intervals)
    }

    static func isSubset<Bound>(_ a: [IntervalSet<Bound>.Interval], of b: [IntervalSet<Bound>.Interval]) -> Bool {
        var j = 0
        for interval in a {
            // Intervals are sorted and never adjacent: each of `a` lies within one of `b`, or `a` is not inside.
            while j < b.count, b[j].upper < interval.lower { j += 1 }
            guard j < b.count, b[j].lower <= interval.lower, interval.upper <= b[j].upper else { return false }
        }
        return true
    }

    /// The addresses of some networks together, in one pass.
    private func union(_ indices: [Int]) -> AddressSet {
        AddressSet(
            v4: IntervalSet(normalizing: indices.flatMap { networks[$0].addresses.v4.intervals }),
            v6: IntervalSet(normalizing: indices.flatMap { networks[$0].addresses.v6.intervals }))
    }

    private func split(_ addresses: AddressSet) -> [NamedPeers] {
        guard !addresses.isEmpty else { return [] }
        func whole(_ slug: String, _ words: String) -> [NamedPeers] {
            [NamedPeers(slug: slug, words: words, addresses: addresses, ports: PortSet())]
        }
        if addresses.isAll { return whole("any", "any") }
        if let network = networks.first(where: { $0.addresses == addresses }) { return whole(network.name, network.name) }
        // Everything, or a network, but the networks it leaves out.
        let outer = [("any", AddressSet.all)] + networks.filter { Self.isSubset(addresses, of: $0.addresses) }
        for (name, superset) in outer {
            let rest = superset.subtracting(addresses)
            // Networks name the rest only when it lies within them (the cheap test first).
            guard Self.isSubset(rest, of: everyNetwork) else { continue }
            let excluded = largest(inside: rest)
            if !excluded.isEmpty, union(excluded) == rest {
                let names = excluded.map { networks[$0].name }
                return whole("\(name)-except-" + names.joined(separator: "-"), "\(name) except " + names.joined(separator: ", "))
            }
        }
        let parts = largest(inside: addresses)
        var result = parts.map {
            NamedPeers(slug: networks[$0].name, words: networks[$0].name, addresses: networks[$0].addresses, ports: PortSet())
        }
        let left = addresses.subtracting(union(parts))
        if !left.isEmpty {
            let cidrs = left.cidrs.map(\.description)
            let words = cidrs.count <= 3 ? cidrs.joined(separator: ", ") : cidrs.prefix(3).joined(separator: ", ") + " and \(cidrs.count - 3) more"
            result.append(NamedPeers(slug: "addr-" + StableName.shortHash(cidrs.joined(separator: ",")), words: words, addresses: left, ports: PortSet()))
        }
        return result
    }
}
