import Foundation

/// The order of network names (Swarm's and Mesos's plans list their networks by name),
/// found by comparing UTF-8 bytes where that is provably `String`'s order.
enum NameOrder {
    /// `items` given `names` (one each, by position), in the names' order (`positions`):
    /// Swarm's and Mesos's networks once their names are made unique.
    static func named<Item>(_ items: [Item], _ names: [String], rename: (inout Item, String) -> Void) -> [Item] {
        positions(names).map { position in
            var item = items[position]
            rename(&item, names[position])
            return item
        }
    }

    /// The positions of `names`, in the order `sorted(by: <)` gives their strings (equal names
    /// in their given order). When every name is ASCII, which every name made from spec names
    /// is (DNS labels), `String`'s `<` (Unicode scalar values of the canonical form) is the
    /// order of the bytes: the names are copied into one buffer and compared there with
    /// `memcmp`, with no `String` comparison (nor network moved) per step of the sort;
    /// otherwise by `<`.
    static func positions(_ names: [String]) -> [Int] {
        var bytes: [UInt8] = []
        // Name i is bytes[starts[i]..<starts[i + 1]].
        var starts = [0]
        starts.reserveCapacity(names.count + 1)
        for name in names {
            bytes += name.utf8
            starts.append(bytes.count)
        }
        var positions = Array(names.indices)
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            return positions.sorted { names[$0] < names[$1] }
        }
        // One byte past the names, so that the buffer has an address when every name is empty.
        bytes.append(0)
        bytes.withUnsafeBufferPointer { bytes in
            starts.withUnsafeBufferPointer { starts in
                let base = bytes.baseAddress!
                positions.sort { a, b in
                    let (aCount, bCount) = (starts[a + 1] - starts[a], starts[b + 1] - starts[b])
                    let order = memcmp(base + starts[a], base + starts[b], min(aCount, bCount))
                    // Where one is a prefix of the other, the shorter comes first.
                    return order != 0 ? order < 0 : aCount < bCount
                }
            }
        }
        return positions
    }
}
