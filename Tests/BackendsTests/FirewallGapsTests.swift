import IR
import TestSupport
import Testing

@testable import Backends

/// The cloud targets' gaps, each distinct difference of external rules computed once per
/// identity, are exactly what `GroupedRelation` and `Relation` subtraction give.
@Suite struct FirewallGapsTests {
    /// A few ports of two protocols.
    static func ports(_ rng: inout SeededGenerator) -> PortSet {
        var ranges: [PortRange] = []
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            let low = Int.random(in: 1...6, using: &rng)
            ranges.append(PortRange([TransportProtocol.tcp, .udp].randomElement(using: &rng)!, low, min(8, low + Int.random(in: 0...3, using: &rng))))
        }
        return PortSet(ranges)
    }

    /// One of a few external rules over a /28 (so that workloads meet the same rules often).
    static func rules(_ rng: inout SeededGenerator, from pool: [ExternalRules]) -> ExternalRules {
        pool.randomElement(using: &rng) ?? ExternalRules()
    }

    static func pool(_ rng: inout SeededGenerator) -> [ExternalRules] {
        (0..<4).map { _ in
            let contributions = (0..<Int.random(in: 0...2, using: &rng)).map { _ -> ExternalRules.Contribution in
                let a = 0x0A00_0000 + UInt32.random(in: 0...15, using: &rng)
                let b = min(0x0A00_000F, a + UInt32.random(in: 0...6, using: &rng))
                return .init(ports: ports(&rng), peers: ExternalSet(addresses: AddressSet(v4: IntervalSet(lower: a, upper: b))), deny: false)
            }
            return ExternalRules(contributions: contributions)
        }
    }

    @Test func gapsAreTheSubtractionsOfTheRelations() {
        var rng = SeededGenerator(seed: 15)
        for _ in 0..<300 {
            let count = Int.random(in: 0...12, using: &rng)
            let pool = Self.pool(&rng)
            var groups: [[WorkloadID]] = Array(repeating: [], count: Int.random(in: 1...4, using: &rng))
            for index in 0..<count {
                let group = Int.random(in: -1..<groups.count, using: &rng)
                if group >= 0 { groups[group].append(WorkloadID(index)) }
            }
            var between: [GroupedRelation.Pair: PortSet] = [:]
            var groupIngress: [Int: ExternalRules] = [:]
            var groupEgress: [Int: ExternalRules] = [:]
            for source in groups.indices {
                for destination in groups.indices where Bool.random(using: &rng) {
                    between[.init(source: source, destination: destination)] = Self.ports(&rng)
                }
                if Bool.random(using: &rng) { groupIngress[source] = Self.rules(&rng, from: pool) }
                if Bool.random(using: &rng) { groupEgress[source] = Self.rules(&rng, from: pool) }
            }
            let planned = GroupedRelation(groups: groups, between: between, ingress: groupIngress, egress: groupEgress)
            var intent = Relation()
            for source in 0..<count {
                for destination in 0..<count where Int.random(in: 0..<3, using: &rng) == 0 {
                    let ports = Self.ports(&rng)
                    if !ports.isEmpty { intent.betweenWorkloads[WorkloadPair(WorkloadID(source), WorkloadID(destination))] = ports }
                }
                let ingress = Self.rules(&rng, from: pool)
                if !ingress.isEmpty, Bool.random(using: &rng) { intent.ingress[WorkloadID(source)] = ingress }
                let egress = Self.rules(&rng, from: pool)
                if !egress.isEmpty, Bool.random(using: &rng) { intent.egress[WorkloadID(source)] = egress }
            }
            let (widened, narrowed) = identityGaps(planned: planned, intent: intent)
            #expect(widened == planned.subtracting(intent))
            #expect(narrowed == intent.subtracting(planned))
        }
    }
}
