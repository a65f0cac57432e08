import IR
import TestSupport
import Testing

@testable import Spec

/// Lowering asks whether an allow's explicit ports are a subset of what a destination workload
/// listens on before it computes the ports missing (which only an error needs): on random port
/// sets the subset test must answer as the emptiness of the difference it replaced.
@Suite struct ListenCheckTests {
    static func randomPorts(_ generator: inout some RandomNumberGenerator) -> PortSet {
        let protocols: [TransportProtocol] = [.tcp, .udp, .sctp]
        let ranges = (0..<Int.random(in: 0...4, using: &generator)).map { _ -> PortRange in
            let low = Int.random(in: 1...100, using: &generator)
            return PortRange(protocols.randomElement(using: &generator)!, low, low + Int.random(in: 0...20, using: &generator))
        }
        return PortSet(ranges)
    }

    @Test func subsetAsTheDifferenceIsEmpty() {
        var generator = SeededGenerator(seed: 17)
        for _ in 0..<2_000 {
            let sent = Self.randomPorts(&generator)
            let listened = Bool.random(using: &generator) ? sent.union(Self.randomPorts(&generator)) : Self.randomPorts(&generator)
            #expect(sent.isSubset(of: listened) == sent.subtracting(listened).isEmpty, "\(sent) \(listened)")
        }
    }
}

/// Port entries hash through `QuickHash` (`PortEntry._rawHashValue`), not the standard
/// library's hasher: equal entries must hash alike, and a dictionary keyed by entries must find
/// exactly the entries put in it, as a search of the list does.
@Suite struct PortEntryHashTests {
    static func randomEntry(_ generator: inout some RandomNumberGenerator) -> PortEntry {
        let protocols: [TransportProtocol] = [.tcp, .udp, .sctp, .icmp]
        switch Int.random(in: 0..<4, using: &generator) {
        case 0:
            let low = Int.random(in: 1...40, using: &generator)
            return .range(PortRange(protocols.randomElement(using: &generator)!, low, low + Int.random(in: 0...3, using: &generator)))
        case 1: return .wholeProtocol(protocols.randomElement(using: &generator)!)
        case 2: return .all
        default: return .name(["web", "db", "cluster", "tcp5432", "a"].randomElement(using: &generator)!)
        }
    }

    @Test func equalEntriesHashAlikeAndLookupsFindWhatASearchFinds() {
        var generator = SeededGenerator(seed: 18)
        for _ in 0..<200 {
            let stored = (0..<Int.random(in: 0...12, using: &generator)).map { _ in Self.randomEntry(&generator) }
            var table: [PortEntry: Int] = [:]
            for (index, entry) in stored.enumerated() where table[entry] == nil { table[entry] = index }
            for _ in 0..<20 {
                let probe = Self.randomEntry(&generator)
                #expect(table[probe] == stored.firstIndex(of: probe), "\(probe) in \(stored)")
                for entry in stored where entry == probe {
                    #expect(entry._rawHashValue(seed: 7) == probe._rawHashValue(seed: 7))
                }
            }
        }
    }
}
