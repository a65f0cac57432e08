import IR
import TestSupport
import Testing

@testable import Backends

/// `PolicyRule.portSet`, built from all its entries' ranges at once, against the union of
/// each entry's own port set (what it was built as before).
@Suite struct PolicyRulePortsTests {
    static func union(_ rule: PolicyRule) -> PortSet {
        guard let ports = rule.ports else { return .all }
        var result = PortSet()
        for port in ports { result.formUnion(port.ports) }
        return result
    }

    @Test func samplesAgreeWithTheUnionOfEntries() {
        let samples: [[PolicyPort]?] = [
            nil, [], [PolicyPort(proto: .tcp)], [PolicyPort(proto: .tcp, port: 443)], [PolicyPort(proto: .udp, port: 53), PolicyPort(proto: .tcp, port: 53)],
            [PolicyPort(proto: .tcp, port: 8000, endPort: 8100), PolicyPort(proto: .tcp, port: 8101)], [PolicyPort(proto: .icmp), PolicyPort(proto: .sctp)],
            [PolicyPort(proto: .tcp, port: 65535), PolicyPort(proto: .tcp, port: 1, endPort: 65534)],
        ]
        for ports in samples {
            let rule = PolicyRule(peers: nil, ports: ports)
            #expect(rule.portSet == Self.union(rule), "\(String(describing: ports))")
        }
    }

    /// Random entries in any order: overlapping, adjacent, whole protocols, ICMP.
    @Test func randomRulesAgreeWithTheUnionOfEntries() {
        var rng = SeededGenerator(seed: 61)
        for _ in 0..<5000 {
            let ports = (0..<Int.random(in: 0...6, using: &rng)).map { _ -> PolicyPort in
                let proto = TransportProtocol.allCases.randomElement(using: &rng)!
                guard Int.random(in: 0..<5, using: &rng) > 0 else { return PolicyPort(proto: proto) }
                let port = Int.random(in: 1...40, using: &rng)
                return PolicyPort(proto: proto, port: port, endPort: Bool.random(using: &rng) ? port + Int.random(in: 0...10, using: &rng) : nil)
            }
            let rule = PolicyRule(peers: nil, ports: ports)
            #expect(rule.portSet == Self.union(rule), "\(ports)")
        }
    }
}
