import Foundation
import IR
import TestSupport
import Testing
import YAML

@testable import Spec

/// `palisade schema` and the decoder both come from `SpecSchema`; these tests make sure the
/// decoder reads every key the schema declares, and that the samples exercise all of them.
@Suite struct SchemaSyncTests {
    static let sampleFiles: [String] = {
        let folder = repositoryRoot.appendingPathComponent("samples")
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        var files: [String] = []
        while let entry = enumerator?.nextObject() as? String {
            // samples/apps/ holds the application teams' own files (compose, Kubernetes, Marathon), not specs.
            if entry.hasSuffix(".yaml"), !entry.hasPrefix("apps/") { files.append("samples/" + entry) }
        }
        return files.sorted() + ["Tests/SpecTests/Fixtures/every-key.yaml"]
    }()

    func decode(_ path: String) -> Decoder {
        let data = FileManager.default.contents(atPath: repositoryRoot.appendingPathComponent(path).path) ?? Data()
        let root = YAMLLoader.load(bytes: [UInt8](data), file: path).root
        var decoder = Decoder()
        decoder.recordsMappings = true
        if let root { _ = decoder.specFile(root, path: path, included: path.contains("/common/")) }
        return decoder
    }

    @Test(arguments: sampleFiles)
    func decoderReadsEveryKeyItAccepts(path: String) {
        let decoder = decode(path)
        #expect(decoder.diagnostics.isEmpty, "\(decoder.diagnostics.map(\.message))")
        #expect(decoder.unreadKeys.isEmpty, "declared in the schema but ignored by the decoder: \(decoder.unreadKeys)")
    }

    @Test func samplesAndFixturesUseEveryDeclaredKey() {
        var used = Set<String>()
        for path in Self.sampleFiles {
            for fields in decode(path).decodedMappings {
                for key in fields.keys { used.insert("\(fields.shape.name).\(key)") }
            }
        }
        let declared = Set(SpecSchema.shapes.flatMap { shape in shape.keys.map { "\(shape.name).\($0)" } })
        #expect(declared.subtracting(used).sorted() == [])
    }

    @Test func targetNamesAreTheSameEverywhere() {
        #expect(SpecSchema.targets.keys == IR.TargetName.allCases.map(\.rawValue))
    }

    @Test func jsonSchemaDeclaresEveryShape() {
        let schema = JSONWriter.write(SpecSchema.jsonSchema())
        for shape in SpecSchema.shapes {
            for key in shape.keys { #expect(schema.contains("\"\(key)\": {"), "\(shape.name).\(key) missing from the JSON Schema") }
        }
        #expect(schema.contains("\"additionalProperties\": false"))
    }
}
