import IR
import TestSupport
import Testing

@testable import Backends

/// The reader's memo of port sets gives each protocol match's own port set, its part within
/// every port and what it leaves of every port.
@Suite struct NFTablesPortSetsTests {
    /// Random matches, each asked several times in a random order (equal matches from
    /// different arrays among them): the memo answers what `portSet` makes.
    @Test func theMemoGivesEachMatchItsPortSet() {
        var random = SeededGenerator(seed: 41)
        let matches = (0..<300).map { _ in NFTablesScaleTests.randomPorts(&random) }
        let portSets = NFTablesReader.PortSets()
        for _ in 0..<3 {
            for ports in matches.shuffled(using: &random) {
                let number = portSets.id(ports)
                let match = portSets.matches[Int(number)]
                #expect(match.ports == ports.portSet, "\(ports)")
                #expect(match.withinAll == ports.portSet.intersection(.all), "\(ports)")
                #expect(match.rest == PortSet.all.subtracting(ports.portSet), "\(ports)")
                // The same match rebuilt (another array, equal ranges).
                if case .ranges(let proto, let ranges) = ports {
                    #expect(portSets.id(.ranges(proto, ranges.map { $0 })) == portSets.id(ports))
                }
            }
        }
    }

    /// Matches asked in runs (a chain's rules of one flow), a run's match alternating between
    /// the same array and equal copies: the memo of the last match answers each as `portSet`.
    @Test func runsOfOneMatchGetItsPortSet() {
        var random = SeededGenerator(seed: 43)
        let portSets = NFTablesReader.PortSets()
        for _ in 0..<400 {
            let ports = NFTablesScaleTests.randomPorts(&random)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                var asked = ports
                if case .ranges(let proto, let ranges) = ports, Bool.random(using: &random) { asked = .ranges(proto, ranges.map { $0 }) }
                let number = portSets.id(asked)
                let match = portSets.matches[Int(number)]
                #expect(match.ports == ports.portSet && match.rest == PortSet.all.subtracting(ports.portSet), "\(ports)")
            }
        }
    }
}
