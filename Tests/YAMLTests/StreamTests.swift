import Testing

@testable import YAML

/// `YAMLWriter.Stream` writes a multi-document stream one document at a time, giving the same
/// text as `YAMLWriter.write(_:header:)` on all of them.
@Suite struct StreamTests {
    static let documents: [StructuredValue] = [
        .object(["apiVersion": "v1", "kind": "Namespace", "metadata": .object(["name": "shop"])]),
        // Not ASCII: this one goes through libyaml.
        .object(["kind": "ConfigMap", "data": .object(["greeting": "ünïcødé", "empty": .array([]), "flag": "yes"])]),
        .object(["items": .array([.object(["port": 443, "protocol": "TCP"]), "plain", .null, true])]),
        // An empty root mapping: also through libyaml.
        .object([]),
    ]

    @Test(arguments: [[], ["one line"], ["first", "", "third"]])
    func aStreamWritesWhatWriteWrites(header: [String]) throws {
        var stream = YAMLWriter.Stream(header: header)
        for document in Self.documents { try stream.append(document) }
        #expect(try stream.text() == YAMLWriter.write(Self.documents, header: header))
    }

    @Test func anEmptyStreamWritesWhatWriteWritesForNoDocuments() throws {
        #expect(try YAMLWriter.Stream(header: ["nothing"]).text() == YAMLWriter.write([], header: ["nothing"]))
    }
}
