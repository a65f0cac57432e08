import IR
import TestSupport
import Testing

@testable import Backends

/// The plan's memo of protocol matches gives each port set what `NFTablesPlan.matches`
/// makes, asked again and again in any order, and nothing for no ports.
@Suite struct NFTablesMatchMemoTests {
    @Test func theMemoGivesEachPortSetItsMatches() {
        var random = SeededGenerator(seed: 29)
        let portSets = [PortSet(), .all, .whole(.icmp), .whole(.tcp)] + (0..<200).map { _ in NFTablesScaleTests.randomPorts(&random).portSet }
        var memo = NFTablesPlan.MatchMemo()
        for _ in 0..<3 {
            for ports in portSets.shuffled(using: &random) {
                #expect(memo.matches(ports) == (ports.isEmpty ? [] : NFTablesPlan.matches(ports)), "\(ports)")
            }
        }
    }
}
