import Foundation
import TestSupport
import Testing

@testable import Backends

/// The reader's one-pass parsing of a rule reads what a lookup per key read.
@Suite struct AzureReaderParsingTests {
    /// The group name as the reader first took it: the last but one piece between quotes.
    func split(_ id: String) -> String? { id.split(separator: "'").dropLast().last.map(String.init) }

    @Test(arguments: [
        "[resourceId('Microsoft.Network/applicationSecurityGroups', 'asg-web')]", "'a'b'", "a'b'", "'a''b'", "''", "'", "", "plain",
        "x'y", "'ü'→'ß'", "[resourceId('T', 'n')]'", "''a''''b''c",
    ])
    func groupNamesAreTheLastButOnePieceBetweenQuotes(id: String) {
        #expect(AzureReader.groupName(id) == split(id))
    }

    @Test func ruleKeysAreTheJSONPropertyNames() {
        #expect(AzureReader.ruleKeys["protocol"] == AzureReader.RuleKey.protocol.rawValue)
        #expect(AzureReader.ruleKeys["destinationAddressPrefixes"] == AzureReader.RuleKey.destinationAddressPrefixes.rawValue)
        #expect(AzureReader.ruleKeys.count == AzureReader.RuleKey.allCases.count)
    }

    /// A group name is readable, checked on its bytes in place, exactly when it is not empty
    /// and its UTF-8 view holds no single quote: small and large, native and bridged names.
    @Test(arguments: [
        "", "'", "asg-web", "a'b", "asg-\u{fc}ber-'", "a-long-application-security-group-name-past-fifteen", "a-long-application-security-group-name'",
        "\u{e9}t\u{e9}", "x'",
    ])
    func readableNamesHaveNoQuote(name: String) {
        let reference = !name.isEmpty && !name.utf8.contains(UInt8(ascii: "'"))
        #expect(AzureReader.readable(name) == reference)
        #expect(AzureReader.readable(NSString(string: name) as String) == reference)
        #expect(AzureReader.readable(String(name[...])) == reference)
    }

    /// An NSG's rules with the defaults, by priority, are what the sort gives: kept as they
    /// come when in order, sorted (equal priorities in place) when not.
    @Test func rulesByPriorityAreTheSortedRules() {
        var random = SeededGenerator(seed: 47)
        for _ in 0..<300 {
            let count = Int.random(in: 0...12, using: &random)
            var priorities = (0..<count).map { _ in Int.random(in: 100...110, using: &random) }
            if Bool.random(using: &random) { priorities.sort() }
            let rules = priorities.enumerated().map { index, priority in
                AzurePlan.Rule(name: "r\(index)", direction: .inbound, access: .allow, priority: priority, proto: .tcp, ports: ["80"], description: "")
            }
            let reference = (rules + AzureReader.defaults).sorted { $0.priority < $1.priority }
            let ordered = AzureReader.byPriority(rules)
            #expect(ordered.map(\.name) == reference.map(\.name))
            #expect(ordered.map(\.priority) == reference.map(\.priority))
        }
    }

    /// A side's wide and Internet checks, made in place, are the comparisons with one-prefix
    /// lists they replace.
    @Test(arguments: [[], ["*"], ["VirtualNetwork"], ["Internet"], ["*", "Internet"], ["10.0.0.0/8"], ["VirtualNetwork", "*"], ["internet"]])
    func sidesAreWideOrInternetByTheirOnlyPrefix(prefixes: [String]) {
        let side = RuleSide(groups: [], prefixes: prefixes)
        #expect(side.isWide == (prefixes == ["*"] || prefixes == ["VirtualNetwork"]))
        #expect(side.isInternet == (prefixes == ["*"] || prefixes == ["Internet"]))
    }
}
