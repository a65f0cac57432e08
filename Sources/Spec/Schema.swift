import IR
import YAML

/// The spec language's structure as data. The decoder takes every object's keys from
/// here (so an unknown key is always one this table lacks), and `palisade schema` prints it
/// as a JSON Schema; a test keeps the two in step.
public enum SpecSchema {
    /// A value's type, as far as a JSON Schema can say it.
    public indirect enum ValueType: Sendable {
        case string(pattern: String? = nil, description: String? = nil)
        case enumeration([String])
        case integer(minimum: Int? = nil, maximum: Int? = nil)
        /// Any JSON number (`cpu: 0.5`).
        case number(minimum: Int? = nil)
        case boolean
        case list(ValueType, minItems: Int? = nil)
        /// A map from DNS-1123 names (none of `reserved`) to values.
        case map(ValueType, reserved: [String] = [])
        /// A map from free-form keys (labels) to strings.
        case stringMap
        case object(Shape)
        /// One of several types.
        case anyOf([ValueType])
        /// A reference to a shared definition.
        case definition(String)
    }

    public struct Field: Sendable {
        public var key: String
        public var type: ValueType
        public var summary: String
        public var required: Bool

        public init(_ key: String, _ type: ValueType, _ summary: String, required: Bool = false) {
            self.key = key
            self.type = type
            self.summary = summary
            self.required = required
        }
    }

    /// A closed object: these keys and no others.
    public struct Shape: Sendable {
        public var name: String
        public var fields: [Field]

        public var keys: [String] { fields.map(\.key) }
        public var required: [String] { fields.filter(\.required).map(\.key) }

        public func field(_ key: String) -> Field? { fields.first { $0.key == key } }
    }

    static let namePattern = "^[a-z]([-a-z0-9]*[a-z0-9])?$"
    /// A name of at most 40 characters (the policy's; map keys have `maxLength`).
    static let shortNamePattern = "^(?=.{1,40}$)[a-z]([-a-z0-9]*[a-z0-9])?$"
    /// Names the language keeps for itself (`any`, `all`), and for port sets the protocols.
    static let reservedNames = ["any", "all"]
    static let protocolNames = ["tcp", "udp", "sctp", "icmp"]
    /// A port number, 1-65535.
    static let portNumber = "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
    /// An IPv4 address: dotted quad, no leading zeros.
    static let ipv4 = "((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
    /// A network entry: an IPv4 or IPv6 address or CIDR, a network name, `any`, or `dns:NAME`
    /// (fully qualified, no wildcard). Host bits and IPv6 text in detail are the compiler's to
    /// check (E302, E301).
    static let networkEntry = ValueType.string(
        pattern: "^(\(ipv4)(/(3[0-2]|[12]?[0-9]))?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?|[a-z]([-a-z0-9]*[a-z0-9])?"
            + "|dns:(?=.{1,254}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)+\\.?)$",
        description: "an IPv4 or IPv6 address or CIDR, a network name, any, or dns:NAME")
    /// An OCI image reference as Docker's grammar reads it: `[host[:port]/]path[:tag][@sha256:HEX]`,
    /// path components lower case.
    static let image = ValueType.string(
        pattern: "^([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*(:[0-9]+)?/)?"
            + "[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$",
        description: "[host[:port]/]path[:tag][@sha256:DIGEST]")
    /// A label key (`[prefix/]name`, Kubernetes' rules) and value.
    static let labelKeyPattern =
        "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
    static let labelValuePattern = "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"
    /// A segment's name, bare or as a `segment:` reference.
    static let segmentReferencePattern = "^(segment:)?[a-z]([-a-z0-9]*[a-z0-9])?$"
    static let portEntry = ValueType.string(
        pattern: "^((tcp|udp|sctp)(/\(portNumber)(-\(portNumber))?)?|icmp|all|[a-z]([-a-z0-9]*[a-z0-9])?)$",
        description: "PROTO/PORT, PROTO/LOW-HIGH, tcp, udp, sctp, icmp, all, or a port set name")
    static let portList = ValueType.list(portEntry, minItems: 1)
    /// What a workload listens on: ports, ranges, icmp or a port set; never a whole protocol.
    static let listenedPort = ValueType.string(
        pattern: "^((tcp|udp|sctp)/\(portNumber)(-\(portNumber))?|icmp|(?!(tcp|udp|sctp|all)$)[a-z]([-a-z0-9]*[a-z0-9])?)$",
        description: "PROTO/PORT, PROTO/LOW-HIGH, icmp, or a port set name")
    static let reference = ValueType.string(
        pattern: "^(any|((workload|segment|network):)?[a-z]([-a-z0-9]*[a-z0-9])?)$",
        description: "a workload, segment or network name, any, or workload:/segment:/network: NAME")
    static let references = ValueType.anyOf([reference, .list(reference, minItems: 1)])
    static let profile = ValueType.string(
        pattern: "^(runtime-default|unconfined|localhost/.+)$", description: "runtime-default, unconfined or localhost/NAME")

    public static let capabilities = Shape(
        name: "capabilities",
        fields: [
            Field("add", .list(.enumeration(linuxCapabilities)), "capabilities to add, upper case without CAP_"),
            Field("drop", .list(.enumeration(["ALL"] + linuxCapabilities)), "capabilities to drop; ALL drops every one"),
        ])

    public static let resources = Shape(
        name: "resources",
        fields: [
            Field("cpu", .anyOf([.string(pattern: "^[0-9]+(\\.[0-9]+)?m?$"), .number(minimum: 0)]), "CPU limit: 500m or a number of cores"),
            Field(
                "memory", .anyOf([.string(pattern: "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"), .integer(minimum: 0)]),
                "memory limit: 256Mi, 1Gi or bytes"),
            Field("pids", .integer(minimum: 1), "largest number of processes"),
        ])

    public static let runtime = Shape(
        name: "runtime",
        fields: [
            Field(RuntimeKey.user.name, .integer(minimum: 0, maximum: 2_147_483_647), "UID to run as; 0 is root"),
            Field(RuntimeKey.runAsNonRoot.name, .boolean, "refuse to start as UID 0"),
            Field(RuntimeKey.privileged.name, .boolean, "full host privileges"),
            Field(RuntimeKey.readOnlyRoot.name, .boolean, "root filesystem read-only"),
            Field(RuntimeKey.writablePaths.name, .list(.string(pattern: "^/")), "absolute paths given writable scratch space"),
            Field(RuntimeKey.noNewPrivileges.name, .boolean, "no privilege escalation"),
            Field(RuntimeKey.capabilities.name, .object(capabilities), "Linux capabilities to add and drop"),
            Field(RuntimeKey.seccomp.name, profile, "seccomp profile"),
            Field(RuntimeKey.apparmor.name, profile, "AppArmor profile"),
            Field(RuntimeKey.hostNetwork.name, .boolean, "share the host's network namespace"),
            Field(RuntimeKey.hostPID.name, .boolean, "share the host's PID namespace"),
            Field(RuntimeKey.hostIPC.name, .boolean, "share the host's IPC namespace"),
            Field(RuntimeKey.resources.name, .object(resources), "resource limits"),
        ])

    public static let segment = Shape(
        name: "segment",
        fields: [
            Field("description", .string(), "free text"),
            Field("labels", .stringMap, "labels for the platform objects of the segment"),
        ])

    public static let identity = Shape(
        name: "identity",
        fields: [
            Field("kind", .enumeration(IdentityKindNames.all), "service (default), user or group"),
            Field("description", .string(), "free text"),
        ])

    public static let secret = Shape(
        name: "secret",
        fields: [
            Field("description", .string(), "free text")
        ])

    public static let grant = Shape(
        name: "grant",
        fields: [
            Field("identity", .string(pattern: namePattern), "a user or group identity", required: true),
            Field("role", .string(pattern: namePattern), "a role", required: true),
            Field(
                "segments",
                .anyOf([.enumeration(["all"]), .string(pattern: segmentReferencePattern), .list(.string(pattern: segmentReferencePattern), minItems: 1)]),
                "segment names (or segment:NAME), one or a list, or all", required: true),
            Field("allow_service", .boolean, "allow granting to a service identity"),
        ])

    public static let defaults = Shape(
        name: "defaults",
        fields: [
            Field("runtime", .object(runtime), "runtime profile merged under every workload's own")
        ])

    public static let workload = Shape(
        name: "workload",
        fields: [
            Field("segment", .string(pattern: segmentReferencePattern), "the segment (NAME or segment:NAME); required when segments are defined"),
            Field("image", image, "OCI image reference", required: true),
            Field("identity", .string(pattern: namePattern), "service identity; default: one named after the workload"),
            Field("replicas", .integer(minimum: 0), "instances; default 1"),
            Field("ports", .list(listenedPort), "what it listens on"),
            Field("secrets", .list(.string(pattern: namePattern)), "secrets mounted read-only at /run/secrets/NAME"),
            Field("runtime", .object(runtime), "runtime profile, merged over defaults.runtime"),
            Field("labels", .stringMap, "labels passed to platforms that have them"),
            Field("description", .string(), "free text"),
        ])

    public static let flow = Shape(
        name: "flow",
        fields: [
            Field("name", .string(pattern: namePattern), "a name for reports"),
            Field("description", .string(), "free text"),
            Field("action", .enumeration(["allow", "deny"]), "allow (default) or deny"),
            Field("from", references, "sources", required: true),
            Field("to", references, "destinations", required: true),
            Field("ports", portList, "destination ports", required: true),
        ])

    public static let connection = Shape(
        name: "connection",
        fields: [
            Field("from", references, "sources", required: true),
            Field("to", references, "destinations", required: true),
            Field("ports", portList, "destination ports", required: true),
        ])

    public static let expectation = Shape(
        name: "expectation",
        fields: [
            Field("allow", .object(connection), "every connection named is allowed"),
            Field("deny", .object(connection), "no connection named is allowed"),
            Field("targets", .list(.enumeration(TargetNames.all), minItems: 1), "the targets the assertion speaks for (default: every target)"),
        ])

    public static let imagePolicy = Shape(
        name: "image_policy",
        fields: [
            Field("require_digest", .boolean, "every image pinned by digest"),
            Field("allowed_registries", .list(.string()), "host[:port][/path-prefix] entries images must come from"),
        ])

    public static let lintIgnore = Shape(
        name: "lint_ignore",
        fields: [
            Field("rule", .string(pattern: "^PAL[0-9]{3}$"), "the rule id", required: true),
            Field("subject", .string(), "what the finding is about, as a reference (workload:db)", required: true),
            Field("reason", .string(), "why the finding is accepted", required: true),
        ])

    public static let minimumPrefix = Shape(
        name: "min_prefix",
        fields: [
            Field("ipv4", .integer(minimum: 0, maximum: 32), "shortest IPv4 prefix that is not overly broad (default 16)"),
            Field("ipv6", .integer(minimum: 0, maximum: 128), "shortest IPv6 prefix that is not overly broad (default 32)"),
        ])

    public static let lint = Shape(
        name: "lint",
        fields: [
            Field("disable", .list(.string(pattern: "^PAL[0-9]{3}$")), "rules that never run"),
            Field("ignore", .list(.object(lintIgnore)), "accepted findings"),
            Field("min_prefix", .object(minimumPrefix), "extension: the overly-broad-CIDR rule's thresholds"),
        ])

    public static let root = Shape(
        name: "spec",
        fields: [
            Field("version", .integer(minimum: 1, maximum: 1), "the language version: 1", required: true),
            Field("name", .string(pattern: shortNamePattern), "policy name, at most 40 characters", required: true),
            Field("description", .string(), "free text"),
            Field("include", .list(.string()), "spec files whose definitions are merged in"),
            Field("networks", .map(.list(networkEntry), reserved: reservedNames), "named sets of external addresses"),
            Field("ports", .map(portList, reserved: reservedNames + protocolNames), "named port sets"),
            Field("segments", .map(.object(segment), reserved: reservedNames), "isolation units"),
            Field("identities", .map(.object(identity), reserved: reservedNames), "principals"),
            Field("roles", .map(.list(.enumeration(ActionNames.all), minItems: 1), reserved: reservedNames), "permission bundles"),
            Field("grants", .list(.object(grant)), "identity x role x segments"),
            Field("secrets", .map(.object(secret), reserved: reservedNames), "secret names"),
            Field("defaults", .object(defaults), "defaults for every workload"),
            Field("workloads", .map(.object(workload), reserved: reservedNames), "what runs", required: true),
            Field("flows", .list(.object(flow)), "allowed and denied connections"),
            Field("image_policy", .object(imagePolicy), "image provenance rules"),
            Field("expect", .list(.object(expectation)), "reachability assertions"),
            Field("targets", .object(targets), "per-target options"),
            Field("lint", .object(lint), "lint configuration"),
            Field(
                "fidelity", .enumeration(["report", "strict"]),
                "strict: any target's fidelity gap is an error (as compile --strict); report (default): gaps are warnings"),
        ])

    /// Target option bags: each target's own options are its backend's to define.
    public static let targets = Shape(
        name: "targets",
        fields: TargetNames.all.map {
            Field($0, .definition("\($0)_options"), "options of the \($0) target")
        })

    /// Sections an included file may hold.
    public static let includableSections: Set<String> = [
        "version", "include", "networks", "ports", "segments", "identities", "roles", "secrets", "workloads", "flows", "grants",
    ]

    /// Every closed object the decoder reads through `Decoder.fields`. (`targets` is read
    /// by target name, against `TargetName`, so that an unknown target has its own code.)
    public static let shapes: [Shape] = [
        root, capabilities, resources, runtime, segment, identity, secret, grant, defaults, workload, flow,
        connection, expectation, imagePolicy, lintIgnore, minimumPrefix, lint,
    ]
}

enum IdentityKindNames {
    static let all = ["service", "user", "group"]
}

enum ActionNames {
    static let all = ["view", "logs", "deploy", "exec", "secrets", "admin"]
}

enum TargetNames {
    static let all = ["openshift", "swarm", "mesos", "aws", "gcp", "azure", "kubernetes", "nftables"]
}

extension SpecSchema {
    /// The language as a JSON Schema (draft 2020-12), for editors. `targetOptions` are each
    /// target's own options (the backends declare them); every target also takes `gaps`.
    public static func jsonSchema(targetOptions: [String: [Field]] = [:]) -> StructuredValue {
        let definitions: [StructuredValue.Entry] = TargetNames.all.map { target in
            let gaps = Field("gaps", .enumeration(["widen", "narrow"]), "widen or narrow what the platform cannot express exactly")
            let options = Shape(name: "\(target) options", fields: [gaps] + (targetOptions[target] ?? []))
            return .init("\(target)_options", objectSchema(options))
        }
        return .object(
            [
                .init("$schema", "https://json-schema.org/draft/2020-12/schema"),
                .init("$id", "https://palisade.dev/schema/spec-v1.json"),
                .init("title", "Palisade security spec, version 1"),
                .init("$defs", .object(definitions)),
            ] + objectSchema(root).objectEntries)
    }

    static func objectSchema(_ shape: Shape) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [
            .init("type", "object"),
            .init("additionalProperties", false),
            .init(
                "properties",
                .object(
                    shape.fields.map { field in
                        .init(field.key, schema(field.type, summary: field.summary))
                    })),
        ]
        if !shape.required.isEmpty {
            entries.append(.init("required", .array(shape.required.map { .string($0) })))
        }
        if shape.name == "spec" {
            // Once segments are defined, every workload names its segment (E208).
            entries.append(
                .init(
                    "if",
                    .object([
                        .init("required", .array([.string("segments")])),
                        .init("properties", .object([.init("segments", .object([.init("minProperties", .int(1))]))])),
                    ])))
            entries.append(
                .init(
                    "then",
                    .object([
                        .init(
                            "properties",
                            .object([.init("workloads", .object([.init("additionalProperties", .object([.init("required", .array([.string("segment")]))]))]))]))
                    ])))
        }
        if shape.name == "expectation" {
            // Exactly one of allow and deny, with or without targets.
            entries.append(
                .init(
                    "oneOf",
                    .array([
                        .object([.init("required", .array([.string("allow")])), .init("not", .object([.init("required", .array([.string("deny")]))]))]),
                        .object([.init("required", .array([.string("deny")])), .init("not", .object([.init("required", .array([.string("allow")]))]))]),
                    ])))
        }
        return .object(entries)
    }

    static func schema(_ type: ValueType, summary: String? = nil) -> StructuredValue {
        var entries: [StructuredValue.Entry] = []
        if let summary { entries.append(.init("description", .string(summary))) }
        switch type {
        case .string(let pattern, let description):
            entries.append(.init("type", "string"))
            if let pattern { entries.append(.init("pattern", .string(pattern))) }
            if let description, summary == nil { entries.append(.init("description", .string(description))) }
        case .enumeration(let values):
            entries.append(.init("enum", .array(values.map { .string($0) })))
        case .integer(let minimum, let maximum):
            entries.append(.init("type", "integer"))
            if let minimum { entries.append(.init("minimum", .int(minimum))) }
            if let maximum { entries.append(.init("maximum", .int(maximum))) }
        case .number(let minimum):
            entries.append(.init("type", "number"))
            if let minimum { entries.append(.init("exclusiveMinimum", .int(minimum))) }
        case .boolean:
            entries.append(.init("type", "boolean"))
        case .list(let element, let minItems):
            entries.append(.init("type", "array"))
            entries.append(.init("items", schema(element)))
            if let minItems { entries.append(.init("minItems", .int(minItems))) }
        case .map(let value, let reserved):
            entries.append(.init("type", "object"))
            let pattern = reserved.isEmpty ? namePattern : "^(?!(\(reserved.joined(separator: "|")))$)" + namePattern.dropFirst()
            entries.append(.init("propertyNames", .object([.init("pattern", .string(pattern)), .init("maxLength", 40)])))
            entries.append(.init("additionalProperties", schema(value)))
        case .stringMap:
            entries.append(.init("type", "object"))
            entries.append(.init("propertyNames", .object([.init("pattern", .string(labelKeyPattern)), .init("maxLength", 317)])))
            entries.append(.init("additionalProperties", .object([.init("type", "string"), .init("pattern", .string(labelValuePattern))])))
        case .object(let shape):
            entries += objectSchema(shape).objectEntries
        case .anyOf(let types):
            entries.append(.init("anyOf", .array(types.map { schema($0) })))
        case .definition(let name):
            entries.append(.init("$ref", .string("#/$defs/\(name)")))
        }
        return .object(entries)
    }
}

extension StructuredValue {
    var objectEntries: [Entry] {
        if case .object(let entries) = self { return entries }
        return []
    }
}
