import Foundation
import Palisade
import TestSupport
import Testing

/// The JSON reports of compare, diff and explain hold to their published schemas
/// (`palisade schema --report NAME`, copied under `docs/schemas/`), on every sample.
@Suite struct ReportSchemaTests {
    static let samples = ["minimal.yaml", "no-segments.yaml", "payments.yaml", "platform.yaml", "shop.yaml"]

    static func schema(_ report: String) throws -> [String: Any] {
        let output = Commands.schema(report: report)
        #expect(output.exitStatus == .success)
        return try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
    }

    static func validate(_ json: String, against report: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let schema = try schema(report)
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        let problems = SchemaCheck(root: schema).problems(value, schema, at: "$")
        #expect(problems.isEmpty, "\(report): \(problems.prefix(5))", sourceLocation: sourceLocation)
    }

    @Test(arguments: samples)
    func compareReportsHoldToTheirSchema(sample: String) throws {
        let output = Commands.compare(CompareRequest(spec: "samples/\(sample)", format: .json), fileSystem: RepositoryFileSystem())
        try Self.validate(output.stdout, against: "compare")
    }

    @Test func diffReportsHoldToTheirSchema() throws {
        let output = Commands.diff(DiffRequest(old: "samples/minimal.yaml", new: "samples/shop.yaml", format: .json), fileSystem: RepositoryFileSystem())
        try Self.validate(output.stdout, against: "diff")
    }

    @Test func explainReportsHoldToTheirSchema() throws {
        for (from, to) in [("web", "catalog"), ("any", "web"), ("checkout", "dns:api.stripe.com"), ("web", "db")] {
            let request = ExplainRequest(spec: "samples/shop.yaml", from: from, to: to, targets: "all", format: .json)
            let output = Commands.explain(request, fileSystem: RepositoryFileSystem())
            #expect(output.exitStatus == .success, "\(output.stderr)")
            try Self.validate(output.stdout, against: "explain")
        }
    }

    /// The check itself rejects what the schema forbids: a missing field, a wrong type, an
    /// unknown key, a kind outside the enumeration.
    @Test func theCheckRejectsBrokenReports() throws {
        let output = Commands.compare(CompareRequest(spec: "samples/shop.yaml", format: .json), fileSystem: RepositoryFileSystem())
        let schema = try Self.schema("compare")
        let check = SchemaCheck(root: schema)
        var report = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(check.problems(report, schema, at: "$").isEmpty)
        report["extra"] = 1
        #expect(!check.problems(report, schema, at: "$").isEmpty)
        report["extra"] = nil
        report["version"] = 2
        #expect(!check.problems(report, schema, at: "$").isEmpty)
        report["version"] = 1
        var targets = try #require(report["targets"] as? [[String: Any]])
        var gaps = try #require(targets[1]["gaps"] as? [[String: Any]])
        gaps[0]["kind"] = "loosened"
        targets[1]["gaps"] = gaps
        report["targets"] = targets
        #expect(!check.problems(report, schema, at: "$").isEmpty)
    }

    @Test(arguments: ["compare", "diff", "explain"])
    func publishedSchemaFilesAreCurrent(report: String) throws {
        let output = Commands.schema(report: report)
        if let mismatch = goldenMismatch(output.stdout, at: "docs/schemas/\(report).schema.json") {
            Issue.record(Comment(rawValue: mismatch))
        }
    }

    @Test func anUnknownReportIsAUsageError() {
        #expect(Commands.schema(report: "lint").exitStatus == .usage)
    }
}

/// The part of JSON Schema the report schemas use: type, const, enum, required, properties,
/// additionalProperties, propertyNames, items, oneOf, anyOf, minimum and local `$ref`s.
struct SchemaCheck {
    let root: [String: Any]

    func problems(_ value: Any, _ schema: [String: Any], at path: String) -> [String] {
        if let reference = schema["$ref"] as? String {
            let name = String(reference.dropFirst("#/$defs/".count))
            guard let definitions = root["$defs"] as? [String: Any], let target = definitions[name] as? [String: Any] else {
                return ["\(path): unresolved \(reference)"]
            }
            return problems(value, target, at: path)
        }
        var found: [String] = []
        if let type = schema["type"] {
            let types = (type as? [String]) ?? [type as? String ?? ""]
            if !types.contains(where: { Self.has(value, type: $0) }) { return ["\(path): not \(types.joined(separator: " or "))"] }
        }
        if let constant = schema["const"], !Self.equal(constant, value) { found.append("\(path): not \(constant)") }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal($0, value) }) {
            found.append("\(path): \(value) is not one of \(options)")
        }
        if let minimum = schema["minimum"] as? Int, let number = value as? Int, number < minimum { found.append("\(path): below \(minimum)") }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { found.append("\(path): missing \(key)") }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, item) in object {
                if let names = schema["propertyNames"] as? [String: Any] { found += problems(key, names, at: "\(path).\(key) (name)") }
                if let property = properties[key] as? [String: Any] {
                    found += problems(item, property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    found += problems(item, additional, at: "\(path).\(key)")
                } else if let allowed = schema["additionalProperties"] as? Bool, !allowed {
                    found.append("\(path): unexpected \(key)")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { found += problems(item, items, at: "\(path)[\(index)]") }
        }
        if let options = schema["oneOf"] as? [[String: Any]] {
            let matching = options.filter { problems(value, $0, at: path).isEmpty }.count
            if matching != 1 { found.append("\(path): matches \(matching) of oneOf") }
        }
        if let options = schema["anyOf"] as? [[String: Any]], !options.contains(where: { problems(value, $0, at: path).isEmpty }) {
            found.append("\(path): matches none of anyOf")
        }
        return found
    }

    static func has(_ value: Any, type: String) -> Bool {
        switch type {
        case "object": value is [String: Any]
        case "array": value is [Any]
        case "string": value is String
        case "boolean": (value as? NSNumber).map(isBoolean) ?? false
        case "integer": (value as? NSNumber).map { !isBoolean($0) && $0.doubleValue.rounded() == $0.doubleValue } ?? false
        case "null": value is NSNull
        default: false
        }
    }

    static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" || number is Bool && !(number is Int) }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let a = a as? String, let b = b as? String { return a == b }
        if let a = a as? NSNumber, let b = b as? NSNumber { return a == b }
        return false
    }
}
