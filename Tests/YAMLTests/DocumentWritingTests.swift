import Testing

@testable import YAML

@Suite struct DocumentWritingTests {
    /// One document written through `YAMLWriter.Block` is `write(document, header:)`'s text,
    /// with or without a header, on the direct path and on the tree's (a root that is no
    /// mapping, or strings only libyaml writes).
    @Test func oneDocumentWrittenDirectlyIsTheTreesText() throws {
        for (index, documents) in DirectWriterTests.randomStreams(seed: 23, count: 400).enumerated() {
            for document in documents {
                let header = index.isMultiple(of: 2) ? [] : ["h", "", "more"]
                let direct = try YAMLWriter.write(
                    header: header,
                    writing: { out in
                        if case .object(let entries) = document { DirectWriterTests.replay(entries, into: &out) }
                    },
                    otherwise: { document })
                #expect(try direct == YAMLWriter.write(document, header: header), "\(document)")
            }
        }
    }
}
