import TestSupport
import Testing

@testable import Backends

/// Networks put in name order by their names' bytes come in the order `String`'s `<` gives.
@Suite struct NameOrderTests {
    /// A random name: mostly ASCII network names sharing prefixes, some with non-ASCII letters
    /// (composed and decomposed accents, which only `String`'s `<` orders as equal).
    static func randomName(_ random: inout SeededGenerator, ascii: Bool) -> String {
        let prefixes = ["link-", "own-", "egress-", "net-", ""]
        let letters: [String] = ascii ? ["a", "b", "z", "0", "9", "-", "A", "_"] : ["a", "é", "e\u{301}", "ß", "日", "z", "-"]
        var name = prefixes.randomElement(using: &random)!
        for _ in 0..<Int.random(in: 0...8, using: &random) { name += letters.randomElement(using: &random)! }
        return name
    }

    @Test(arguments: [true, false])
    func positionsAreTheOrderOfStringComparison(ascii: Bool) {
        var random = SeededGenerator(seed: ascii ? 7 : 8)
        for _ in 0..<200 {
            let names = (0..<Int.random(in: 0...60, using: &random)).map { _ in Self.randomName(&random, ascii: ascii) }
            let reference = Array(names.indices).sorted { names[$0] < names[$1] }
            #expect(NameOrder.positions(names) == reference, "\(names)")
        }
        #expect(NameOrder.positions([]) == [] && NameOrder.positions(["link-a-b", "link-a", "", "link-a"]) == [2, 1, 3, 0])
    }

    @Test func namedItemsTakeTheirNamesInNameOrder() {
        struct Network {
            var members: [Int]
            var name = ""
        }
        let networks = [Network(members: [0]), Network(members: [1, 2]), Network(members: [3])]
        let named = NameOrder.named(networks, ["own-b", "link-a", "own-a"]) { $0.name = $1 }
        #expect(named.map(\.name) == ["link-a", "own-a", "own-b"])
        #expect(named.map(\.members) == [[1, 2], [3], [0]])
    }
}
