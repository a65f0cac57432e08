import Diagnostics
import Testing
import YAML

@testable import Spec

/// `Fields` answers a key from a bit of presence and a search of the mapping's pairs (no
/// table per mapping): every key must come back as the mapping holds it, before and after
/// unknown keys, and absent keys as nil.
@Suite struct FieldsLookupTests {
    func fields(_ text: String, _ shape: SpecSchema.Shape) -> (Fields?, [Diagnostic]) {
        guard let root = YAMLLoader.load(text: text, file: "t.yaml").root else { return (nil, []) }
        var decoder = Decoder()
        let fields = decoder.fields(root, shape, in: "a flow")
        return (fields, decoder.diagnostics)
    }

    @Test func everyKeyIsFoundWhereverUnknownKeysAre() {
        let keys = SpecSchema.flow.keys
        // Each declared key with a value of its own, an unknown key at every position.
        for unknownAt in 0...keys.count {
            var lines = keys.enumerated().map { "\($0.element): value-\($0.offset)" }
            lines.insert("bogus: 1", at: unknownAt)
            let (result, diagnostics) = fields(lines.joined(separator: "\n") + "\n", SpecSchema.flow)
            guard let result else {
                Issue.record("no fields")
                continue
            }
            #expect(diagnostics.map(\.code) == [.unknownKey])
            #expect(result.keys == keys)
            for (index, key) in keys.enumerated() {
                #expect(result[key]?.scalar == "value-\(index)")
                #expect(result.keyRange(key)?.start.line == (index < unknownAt ? index + 1 : index + 2))
            }
        }
    }

    @Test func absentKeysAreNilAndRequiredOnesReported() {
        let (result, diagnostics) = fields("from: a\nports: [tcp/80]\n", SpecSchema.flow)
        #expect(result?["to"] == nil)
        #expect(result?.keyRange("to") == nil)
        #expect(result?["from"]?.scalar == "a")
        #expect(result?.read == ["to", "from"])
        #expect(diagnostics.map(\.message) == ["missing key 'to' in a flow"])
    }

    @Test func aMisspelledRequiredKeyIsNotAlsoMissing() {
        let (result, diagnostics) = fields("from: a\ntoo: b\nports: [tcp/80]\n", SpecSchema.flow)
        #expect(result?["to"] == nil)
        #expect(diagnostics.map(\.code) == [.unknownKey])
    }
}
