import IR
import TestSupport
import Testing

@testable import Backends

/// The reader's cheaper paths: ASCII rulesets tokenized byte by byte, and a hand-edited chain
/// with an external accept ahead of a drop.
extension NFTablesTests {
    /// Every line of every ruleset Palisade writes gives the same tokens byte by byte as
    /// character by character.
    @Test func theByteTokenizerMatchesTheCharacterOne() throws {
        for sample in ["shop.yaml", "payments.yaml", "platform.yaml"] {
            let emission = try backend.emit(try policy(sample), options: options(.nftables, .widen))
            for file in emission.files {
                let bytes = Array(file.contents.utf8)
                var start = 0
                var number = 1
                for line in file.contents.split(separator: "\n", omittingEmptySubsequences: false) {
                    let end = start + line.utf8.count
                    let byByte = try NFTablesParser.tokens(bytes, start..<end, line: number, path: file.path)
                    #expect(byByte == (try NFTablesParser.tokens(String(line), line: number, path: file.path)), "\(file.path):\(number)")
                    start = end + 1
                    number += 1
                }
            }
        }
    }

    /// A file with carriage returns or non-ASCII text is still read character by character,
    /// with columns in characters.
    @Test func nonASCIIRulesetsKeepCharacterColumns() throws {
        let (policy, files) = try files()
        let edited = files.map { path, contents in
            OutputFile(path: path, contents: path == "api.nft" ? contents.replacingOccurrences(of: "tcp dport 9000", with: "tcp dpört 9000") : contents)
        }
        #expect(throws: ReadFailure.self) { try backend.read(edited, policy: policy) }
        do {
            _ = try backend.read(edited, policy: policy)
        } catch let failure as ReadFailure {
            #expect(failure.description.contains("unexpected 'dpört'"))
            // Located at the word's line and its column counted in characters.
            let text = try #require(edited.first { $0.path == "api.nft" }).contents
            let lines = text.components(separatedBy: "\n")
            let number = try #require(lines.firstIndex { $0.contains("dpört") })
            let column = lines[number].distance(from: lines[number].startIndex, to: try #require(lines[number].range(of: "dpört")).lowerBound) + 1
            #expect(failure.description.contains("api.nft:\(number + 1):\(column):"), "\(failure)")
        }
    }

    /// An external accept ahead of a drop (as Palisade never writes it) takes what the rules
    /// ahead of it leave, and the drop only what remains.
    @Test func anExternalAcceptAheadOfADrop() throws {
        let (policy, files) = try files()
        let web = try #require(policy.workload(named: "web")).id
        func ingress(_ edit: (String) -> String) throws -> ExternalRules {
            let edited = files.map { OutputFile(path: $0.key, contents: $0.key == "web.nft" ? edit($0.value) : $0.value) }
            return try #require(try backend.read(edited, policy: policy).relation.ingress[web])
        }
        let original = try ingress { $0 }
        let edited = try ingress {
            $0.replacingOccurrences(
                of: "\t\tip saddr @net_blocked drop", with: "\t\tip saddr @net_corp tcp dport 80 accept\n\t\tip saddr @net_blocked drop")
        }
        let blocked = ExternalSet(addresses: AddressSet(v4: IntervalSet(lower: 0x0A09_0000, upper: 0x0A09_FFFF)))
        #expect(original.peers(.tcp, 80).intersection(blocked).isEmpty)
        #expect(edited.peers(.tcp, 80) == original.peers(.tcp, 80).union(blocked))
        #expect(edited.peers(.tcp, 8000) == original.peers(.tcp, 8000))
        #expect(edited.peers(.tcp, 22).isEmpty)
    }
}
