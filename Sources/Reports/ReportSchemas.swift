import IR
import YAML

/// The machine-readable reports' formats and their version: each JSON report names its format
/// and version, and its JSON Schema (`palisade schema --report NAME`, copied under
/// `docs/schemas/`) says what a consumer may rely on.
public enum ReportSchemas {
    /// Raised when a report's shape changes incompatibly (a field removed, renamed or retyped);
    /// fields may be added within a version.
    public static let version = 1

    /// The JSON reports with a published schema.
    public enum Report: String, Sendable, CaseIterable {
        case compare, diff, explain

        /// The value of the report's `format` field.
        public var format: String { "palisade-\(rawValue)" }
    }

    /// The JSON Schema (draft 2020-12) of a report.
    public static func schema(_ report: Report) -> String {
        let (title, required, properties, definitions): (String, [String], [StructuredValue.Entry], [StructuredValue.Entry]) =
            switch report {
            case .compare: compare
            case .diff: diff
            case .explain: explain
            }
        let header: [StructuredValue.Entry] = [
            .init("format", .object([.init("const", .string(report.format))])),
            .init("version", .object([.init("const", .int(version))])),
        ]
        return JSONWriter.write(
            .object([
                .init("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
                .init("$id", .string("urn:palisade:report:\(report.rawValue):\(version)")),
                .init("title", .string(title)),
                .init("type", .string("object")),
                .init("required", strings(["format", "version"] + required)),
                .init("additionalProperties", .bool(false)),
                .init("properties", .object(header + properties)),
                .init("$defs", .object(definitions + common)),
            ]))
    }

    // MARK: The reports

    static var compare: (String, [String], [StructuredValue.Entry], [StructuredValue.Entry]) {
        let summary = object(
            Gap.Kind.allCases.map(\.rawValue), Gap.Kind.allCases.map { .init($0.rawValue, integer) })
        let target = StructuredValue.object([
            .init("type", .string("object")),
            .init("required", strings(["target"])),
            .init("additionalProperties", .bool(false)),
            .init(
                "properties",
                .object([
                    .init("target", enumeration(TargetName.allCases.map(\.rawValue))),
                    .init("error", reference("error")),
                    .init("summary", summary),
                    // Of the unenforced gaps, how many are of controls the target does not
                    // cover at all (the gaps marked `outside_scope`).
                    .init("outside_scope", integer),
                    // Gaps left out because the baseline of `compare --baseline` holds them.
                    .init("baselined", integer),
                    .init("gaps", array(reference("gap"))),
                ])),
            .init(
                "oneOf",
                .array([
                    .object([.init("required", strings(["error"]))]),
                    .object([.init("required", strings(["summary", "outside_scope", "baselined", "gaps"]))]),
                ])),
        ])
        let controls = StructuredValue.object([
            .init("type", .string("object")),
            .init("propertyNames", enumeration(Capability.allCases.map(\.rawValue))),
            .init("additionalProperties", .object([.init("type", .string("object")), .init("additionalProperties", string)])),
        ])
        let gap = object(
            ["kind", "control", "target", "subject", "reason", "message", "location", "outside_scope"],
            [
                .init("kind", enumeration(Gap.Kind.allCases.map(\.rawValue))),
                .init("control", enumeration(Capability.allCases.map(\.rawValue))),
                .init("target", enumeration(TargetName.allCases.map(\.rawValue))),
                .init("subject", reference("subject")),
                .init("reason", string),
                .init("message", string),
                .init("location", reference("location")),
                .init("outside_scope", boolean),
            ])
        let subject = StructuredValue.object([
            .init(
                "oneOf",
                .array([
                    single("connection", reference("connection")),
                    single(
                        "runtime",
                        object(
                            ["workload", "key"],
                            [.init("workload", string), .init("key", enumeration(RuntimeKey.allCases.map(\.name)))])),
                    single("secrets", object(["workload"], [.init("workload", string)])),
                    single("grant", object(["identity", "role"], [.init("identity", string), .init("role", string)])),
                    single("image_policy", object([], [])),
                    single(
                        "expectation",
                        object(
                            ["kind", "witness"],
                            [.init("kind", enumeration(["allow", "deny"])), .init("witness", reference("connection"))])),
                ]))
        ])
        let connection = object(
            ["from", "to", "ports"],
            [.init("from", reference("endpoint")), .init("to", reference("endpoint")), .init("ports", array(string))])
        let endpoint = StructuredValue.object([
            .init(
                "oneOf",
                .array([
                    single("workload", string), single("workloads", array(string)), single("segment", string), single("platform", string),
                    single(
                        "external",
                        object(
                            ["addresses", "dns", "dns_all_except"],
                            [.init("addresses", array(string)), .init("dns", array(string)), .init("dns_all_except", boolean)])),
                ]))
        ])
        return (
            "palisade compare --format json",
            ["policy", "files", "targets", "controls"],
            [
                .init("policy", string), .init("files", array(string)), .init("targets", array(target)),
                .init("controls", controls),
            ],
            [
                .init("gap", gap), .init("subject", subject), .init("connection", connection), .init("endpoint", endpoint),
                .init(
                    "error",
                    object(
                        ["code", "message", "location"],
                        [.init("code", string), .init("message", string), .init("location", reference("location"))])),
            ]
        )
    }

    static var diff: (String, [String], [StructuredValue.Entry], [StructuredValue.Entry]) {
        let kinds = ["opens", "closes", "relaxes", "tightens", "changes"]
        let change = object(
            ["kind", "subject", "text", "location"],
            [
                .init("kind", enumeration(kinds)), .init("subject", string), .init("text", string),
                .init("location", reference("location")),
            ])
        return (
            "palisade diff --format json",
            ["old", "new", "summary", "changes"],
            [
                .init("old", string), .init("new", string),
                .init("summary", object(kinds, kinds.map { .init($0, integer) })),
                .init("changes", array(reference("change"))),
            ],
            [.init("change", change)]
        )
    }

    static var explain: (String, [String], [StructuredValue.Entry], [StructuredValue.Entry]) {
        let verdict = enumeration(["allowed", "denied", "partly allowed"])
        let flow = object(
            ["name", "action", "ports", "location"],
            [
                .init("name", string), .init("action", enumeration(["allow", "deny"])), .init("ports", array(string)),
                .init("description", .object([.init("type", strings(["string", "null"]))])),
                .init("location", reference("location")),
            ])
        let target = object(
            ["target", "verdict", "rules"],
            [
                .init("target", enumeration(TargetName.allCases.map(\.rawValue))),
                .init("verdict", .object([.init("anyOf", .array([verdict, .object([.init("type", .string("null"))])]))])),
                .init("rules", array(string)),
                .init("error", string),
            ])
        return (
            "palisade explain --format json",
            ["question", "verdict", "allowed", "flows", "notes", "targets"],
            [
                .init("question", string), .init("verdict", verdict), .init("allowed", array(string)),
                .init("flows", array(reference("flow"))), .init("notes", array(string)),
                .init("targets", array(reference("target"))),
            ],
            [.init("flow", flow), .init("target", target)]
        )
    }

    // MARK: Building blocks

    static let common: [StructuredValue.Entry] = [
        .init(
            "location",
            .object([
                .init("description", .string("FILE:LINE:COL of the spec node, or null")),
                .init("type", strings(["string", "null"])),
            ]))
    ]

    static let string = StructuredValue.object([.init("type", .string("string"))])
    static let integer = StructuredValue.object([.init("type", .string("integer")), .init("minimum", .int(0))])
    static let boolean = StructuredValue.object([.init("type", .string("boolean"))])

    static func strings(_ values: [String]) -> StructuredValue { .array(values.map { .string($0) }) }
    static func enumeration(_ values: [String]) -> StructuredValue { .object([.init("enum", strings(values))]) }
    static func array(_ items: StructuredValue) -> StructuredValue {
        .object([.init("type", .string("array")), .init("items", items)])
    }
    static func reference(_ name: String) -> StructuredValue { .object([.init("$ref", .string("#/$defs/\(name)"))]) }

    /// A closed object with these required properties.
    static func object(_ required: [String], _ properties: [StructuredValue.Entry]) -> StructuredValue {
        .object([
            .init("type", .string("object")), .init("required", strings(required)),
            .init("additionalProperties", .bool(false)), .init("properties", .object(properties)),
        ])
    }

    /// An object with exactly one property, `key`.
    static func single(_ key: String, _ value: StructuredValue) -> StructuredValue {
        object([key], [.init(key, value)])
    }
}
