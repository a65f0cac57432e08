import Foundation
import Palisade
import TestSupport
import Testing
import YAML

/// `palisade schema` is a valid JSON Schema document: no key twice in an object, every target's
/// options typed, and the documented forms of the language accepted.
@Suite struct SpecSchemaTests {
    static func duplicateKeys(_ value: StructuredValue, at path: String = "$") -> [String] {
        switch value {
        case .object(let entries):
            var seen: Set<String> = []
            var found: [String] = []
            for entry in entries {
                if !seen.insert(entry.key).inserted { found.append("\(path).\(entry.key)") }
                found += duplicateKeys(entry.value, at: "\(path).\(entry.key)")
            }
            return found
        case .array(let items): return items.enumerated().flatMap { duplicateKeys($1, at: "\(path)[\($0)]") }
        default: return []
        }
    }

    @Test func noObjectHasAKeyTwice() {
        #expect(Self.duplicateKeys(Pipeline.schemaValue()).isEmpty)
        #expect(Self.duplicateKeys(.object([.init("type", "a"), .init("type", "b")])) == ["$.type"])
    }

    @Test func everyTargetsOptionsAreTyped() throws {
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(Pipeline.schema().utf8)) as? [String: Any])
        let definitions = try #require(schema["$defs"] as? [String: Any])
        for target in TargetList.names {
            let options = try #require(definitions["\(target)_options"] as? [String: Any], "\(target)")
            #expect(options["additionalProperties"] as? Bool == false, "\(target): unknown options are refused")
            let properties = try #require(options["properties"] as? [String: Any])
            #expect(properties["gaps"] != nil)
            #expect(properties.count > 1, "\(target) declares its own options")
        }
        let openshift = try #require((definitions["openshift_options"] as? [String: Any])?["properties"] as? [String: Any])
        #expect((openshift["exposure"] as? [String: Any])?["enum"] as? [String] == ["loadbalancer", "route"])
        let swarm = try #require((definitions["swarm_options"] as? [String: Any])?["properties"] as? [String: Any])
        #expect((swarm["encrypt_networks"] as? [String: Any])?["type"] as? String == "boolean")
    }

    @Test func grantsTakeEveryDocumentedSegmentForm() throws {
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(Pipeline.schema().utf8)) as? [String: Any])
        let grants = try #require(((schema["properties"] as? [String: Any])?["grants"] as? [String: Any])?["items"] as? [String: Any])
        let segments = try #require((grants["properties"] as? [String: Any])?["segments"] as? [String: Any])
        let forms = try #require(segments["anyOf"] as? [[String: Any]])
        let pattern = try #require(forms.first { $0["type"] as? String == "string" }?["pattern"] as? String)
        let regex = try Regex(pattern)
        #expect("segment:a".wholeMatch(of: regex) != nil && "a".wholeMatch(of: regex) != nil && "A".wholeMatch(of: regex) == nil)
        #expect(forms.contains { $0["type"] as? String == "array" })
    }
}
