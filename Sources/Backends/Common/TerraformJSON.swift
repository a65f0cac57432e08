import IR
import YAML

/// Terraform's JSON configuration syntax (`*.tf.json`), which Terraform and OpenTofu both read:
/// the document the three cloud targets write when `format: terraform`, and what their readers
/// need to read one back (resources by type and key, `${TYPE.KEY.ATTRIBUTE}` references).
struct TerraformDocument {
    /// One resource: its type (`aws_security_group`), its key (the address's last part,
    /// derived from spec names), and its arguments.
    struct Resource {
        var type: String
        var key: String
        var arguments: [StructuredValue.Entry]
    }

    /// One input variable the deployer supplies.
    struct Variable {
        var name: String
        var description: String
        var defaultValue: String?
    }

    /// What the header comment says.
    var comment: String
    /// Provider name (`aws`) → registry source (`hashicorp/aws`) and version constraint.
    var providers: [(name: String, source: String, version: String)]
    var variables: [Variable]
    /// Resources in the order written: grouped by type (types in first-appearance order), each
    /// type's resources in the order given.
    var resources: [Resource]
    var outputs: [(name: String, description: String, value: StructuredValue)]

    var value: StructuredValue {
        var root: [StructuredValue.Entry] = [.init("//", .string(comment))]
        root.append(
            .init(
                "terraform",
                // No `required_version`: checkov's Terraform JSON parser cannot read one (the
                // providers' constraints are what the resources need).
                .object([
                    .init(
                        "required_providers",
                        .object(providers.map { .init($0.name, .object([.init("source", .string($0.source)), .init("version", .string($0.version))])) }))
                ])))
        if !variables.isEmpty {
            root.append(
                .init(
                    "variable",
                    .object(
                        variables.map { variable in
                            var entries: [StructuredValue.Entry] = [
                                .init("type", "string"), .init("description", .string(variable.description)),
                            ]
                            if let value = variable.defaultValue { entries.append(.init("default", .string(value))) }
                            return .init(variable.name, .object(entries))
                        })))
        }
        var types: [String] = []
        var byType: [String: [StructuredValue.Entry]] = [:]
        for resource in resources {
            if byType[resource.type] == nil { types.append(resource.type) }
            byType[resource.type, default: []].append(.init(resource.key, .object(resource.arguments)))
        }
        if !types.isEmpty { root.append(.init("resource", .object(types.map { .init($0, .object(byType[$0] ?? [])) }))) }
        if !outputs.isEmpty {
            root.append(
                .init(
                    "output",
                    .object(outputs.map { .init($0.name, .object([.init("description", .string($0.description)), .init("value", $0.value)])) })))
        }
        return .object(root)
    }

    var text: String { JSONWriter.write(value) }

    /// `${TYPE.KEY.ATTRIBUTE}`: a reference to another resource's attribute.
    static func reference(_ type: String, _ key: String, _ attribute: String = "id") -> StructuredValue {
        .string("${\(type).\(key).\(attribute)}")
    }

    /// `${var.NAME}`.
    static func variable(_ name: String) -> StructuredValue { .string("${var.\(name)}") }

    /// The resource a whole-string reference names (`${aws_security_group.sg_db.id}` →
    /// `aws_security_group`, `sg_db`, `id`); nil for anything else.
    static func referenced(_ text: String) -> (type: String, key: String, attribute: String)? {
        guard text.hasPrefix("${"), text.hasSuffix("}") else { return nil }
        let parts = text.dropFirst(2).dropLast().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isKeyCharacter) }) else { return nil }
        return (String(parts[0]), String(parts[1]), String(parts[2]))
    }

    /// A resource key from a `CamelCase` logical id: `SgOrderWorkerInFromDbTcp5432` →
    /// `sg_order_worker_in_from_db_tcp5432`. Distinct ids of letters and digits give distinct keys.
    static func key(camel name: String) -> String {
        var key = ""
        for character in name {
            if character.isUppercase, !key.isEmpty { key.append("_") }
            key += character.lowercased()
        }
        return key.first.map { $0.isLetter || $0 == "_" } ?? false ? key : "_" + key
    }

    /// Text as a part of a key: letters and digits kept (lower case), anything else `_`.
    static func keyPart(_ text: String) -> String {
        String(text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    static func isKeyCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }
}

/// A `.tf.json` file read back: resources by type, each with its key and arguments.
struct TerraformFile {
    let path: String
    /// Type → resources of that type, in file order.
    var resources: [String: [YAMLPair]] = [:]
    /// Output name → its value node.
    var outputs: [String: YAMLNode] = [:]

    init(_ file: OutputFile) throws {
        path = file.path
        let root = try file.document()
        guard case .mapping = root.content else { throw ReadFailure(file.path, "a Terraform JSON file is one object") }
        if let node = root["resource"] {
            guard case .mapping(let types) = node.content else { throw ReadFailure(file.path, "resource is not an object of resource types") }
            for type in types {
                guard case .mapping(let entries) = type.value.content else { throw ReadFailure(file.path, "resource type \(type.name) is not an object") }
                resources[type.name, default: []] += entries
            }
        }
        if case .mapping(let entries)? = root["output"]?.content {
            for entry in entries { outputs[entry.name] = entry.value["value"] }
        }
    }

    func of(_ type: String) -> [YAMLPair] { resources[type] ?? [] }
}
