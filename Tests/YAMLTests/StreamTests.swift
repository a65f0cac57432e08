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
        var stream = YAMLWriter.Stream(header: ["nothing"])
        #expect(try stream.text() == YAMLWriter.write([], header: ["nothing"]))
    }

    /// The buffer moved into the text between documents, after every document (a threshold of
    /// one byte) or after a few, with direct documents and trees (libyaml's) mixed: the same
    /// text, asking for it twice gives it twice, and documents written after it join it.
    @Test(arguments: [1, 40, 200, 1 << 20])
    func aStreamFlushingItsBufferWritesTheSameText(flushAt: Int) throws {
        let documents = Array(repeating: Self.documents, count: 5).flatMap { $0 }
        var stream = YAMLWriter.Stream(header: ["h"], flushingAt: flushAt)
        for (index, document) in documents.enumerated() {
            if index % 2 == 0 {
                try stream.append(document)
            } else {
                // Through the direct path where it takes the document, the tree where it does not.
                try stream.append(writing: { block in block.string("kind", "Document\(index)") }, otherwise: { document })
            }
        }
        var expected: [StructuredValue] = []
        for (index, document) in documents.enumerated() { expected.append(index % 2 == 0 ? document : .object(["kind": .string("Document\(index)")])) }
        let text = try stream.text()
        let written = try YAMLWriter.write(expected, header: ["h"])
        #expect(text == written)
        #expect(try stream.text() == text)
        // Documents appended after the text was given join it.
        try stream.append(Self.documents[1])
        try stream.append(writing: { block in block.string("kind", "Last") }, otherwise: { .object([]) })
        #expect(try stream.text() == YAMLWriter.write(expected + [Self.documents[1], .object(["kind": "Last"])], header: ["h"]))
    }
}
