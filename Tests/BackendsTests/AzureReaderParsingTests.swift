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
}
