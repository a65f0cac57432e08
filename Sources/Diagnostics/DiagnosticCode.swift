/// The stable codes of every diagnostic Palisade reports. A code never changes meaning; what it
/// means is in `table`, from which `docs/error-codes.md` is generated and drift-checked.
public enum DiagnosticCode: String, Sendable, Hashable, CaseIterable {
    // Files and YAML
    case unreadableFile = "E001"
    case inputTooLarge = "E002"
    case invalidUTF8 = "E003"
    case yamlSyntax = "E004"
    case nestingTooDeep = "E005"
    case aliasExpansionTooLarge = "E006"
    case duplicateKey = "E007"
    case emptyDocument = "E008"
    case multipleDocuments = "E009"
    case unsupportedYAML = "E010"
    case unknownAnchor = "E011"

    // Structure and types
    case unknownKey = "E101"
    case missingKey = "E102"
    case wrongType = "E103"
    case invalidBoolean = "E104"
    case invalidInteger = "E105"
    case unsupportedVersion = "E106"
    case invalidValue = "E107"
    case emptyList = "E108"
    case duplicateEntry = "E109"

    // Names and references
    case invalidName = "E201"
    case reservedName = "E202"
    case nameCollision = "E203"
    case duplicateDefinition = "E204"
    case unknownReference = "E205"
    case wrongReferenceKind = "E206"
    case referenceCycle = "E207"
    case missingSegment = "E208"

    // Addresses and ports
    case invalidAddress = "E301"
    case hostBitsSet = "E302"
    case invalidPort = "E303"
    case portOutOfRange = "E304"
    case invalidDNSName = "E305"
    case portNotListened = "E306"
    case invalidListenPort = "E307"

    // Flows
    case externalOnBothSides = "E401"
    case dnsSource = "E402"

    // Includes
    case includeNotFound = "E501"
    case includeOutsideTree = "E502"
    case includeCycle = "E503"
    case sectionNotAllowedInInclude = "E504"
    case includeTooDeep = "E505"
    case invalidIncludePath = "E506"

    // Workloads, identities and expectations
    case invalidImage = "E601"
    case imageRegistryNotAllowed = "E602"
    case imageDigestRequired = "E603"
    case grantToService = "E604"
    case invalidCapability = "E605"
    case invalidRuntimeValue = "E606"
    case expectationFailed = "E607"
    case invalidLabel = "E608"

    // Targets and lint
    case unknownTarget = "E701"
    case invalidTargetOption = "E702"
    case targetLimit = "E703"
    case invalidLintRule = "E710"

    /// One line: what the code means.
    public var summary: String { metadata.summary }

    /// What triggers it and how to fix it, for the error code reference.
    public var explanation: String { metadata.explanation }

    /// The code's entry in `table`.
    public var metadata: Metadata {
        // The fallback is unreachable: a test requires every code in the table exactly once.
        Self.index[self] ?? Metadata(self, summary: rawValue, explanation: "")
    }
}

extension DiagnosticCode {
    /// Everything a code says about itself.
    public struct Metadata: Sendable, Hashable {
        public var code: DiagnosticCode
        /// One line: what the code means.
        public var summary: String
        /// What triggers it and how to fix it.
        public var explanation: String

        public init(_ code: DiagnosticCode, summary: String, explanation: String) {
            self.code = code
            self.summary = summary
            self.explanation = explanation
        }
    }

    /// Every code once, with its metadata, in the order of `allCases`.
    public static let table: [Metadata] = [
        // Files and YAML
        Metadata(
            .unreadableFile, summary: "a file cannot be read",
            explanation: """
                The spec file named on the command line cannot be read; the message gives the reason (no such file, permission denied, a name that is \
                not valid UTF-8, …). Only regular files are read: a directory, named pipe, device or socket is refused as such. Exit code 2.
                """),
        Metadata(
            .inputTooLarge, summary: "a file is larger than the loader accepts",
            explanation: """
                Spec files are limited to 64 MiB; a larger file is refused before it is parsed, and no more than the limit is ever read. This limit is \
                what bounds the size of a document.
                """),
        Metadata(
            .invalidUTF8, summary: "a file is not valid UTF-8",
            explanation: "Specs are UTF-8. The position of the first invalid byte is reported."),
        Metadata(
            .yamlSyntax, summary: "the YAML is malformed",
            explanation: "libyaml could not parse the file; the message is libyaml's, at the place it stopped."),
        Metadata(
            .nestingTooDeep, summary: "the YAML nests deeper than the loader accepts",
            explanation: "Collections may nest at most 64 levels deep. Real specs nest fewer than 10."),
        Metadata(
            .aliasExpansionTooLarge, summary: "aliases expand to more nodes than the loader accepts",
            explanation: """
                Anchors and aliases are allowed, but the nodes reached through aliases, each alias counted at the size of what it repeats, are limited to \
                1,000,000, so that an alias bomb is refused at once instead of exhausting memory. Nodes written out in the file do not count.
                """),
        Metadata(
            .duplicateKey, summary: "a mapping has the same key twice",
            explanation: "YAML loaders disagree on which of two equal keys wins, so Palisade refuses both. The note points at the first one."),
        Metadata(
            .emptyDocument, summary: "a file holds no YAML document",
            explanation: "The file is empty or holds only comments."),
        Metadata(
            .multipleDocuments, summary: "a file holds more than one YAML document",
            explanation: "A spec is one YAML document; split several policies into several files."),
        Metadata(
            .unsupportedYAML, summary: "a YAML feature the spec language does not use",
            explanation: "Complex (non-scalar) mapping keys and custom tags have no meaning in a spec."),
        Metadata(
            .unknownAnchor, summary: "an alias names an anchor that is not defined before it",
            explanation: "An alias `*name` must follow the anchor `&name` it refers to."),

        // Structure and types
        Metadata(
            .unknownKey, summary: "a key that the spec language does not have",
            explanation: "Unknown keys are errors everywhere, so that a typo never silently drops a control. The closest valid key is suggested."),
        Metadata(
            .missingKey, summary: "a required key is absent",
            explanation: "A required key (`version`, `name`, `workloads`, a workload's `image`, a flow's `from`/`to`/`ports`, …) is absent."),
        Metadata(
            .wrongType, summary: "a value of the wrong type",
            explanation: "For example a list where a mapping is expected, or a quoted string where an integer is expected."),
        Metadata(
            .invalidBoolean, summary: "a boolean other than true or false",
            explanation: "Booleans are `true` or `false`; YAML 1.1's `yes`, `no`, `on`, `off` are refused because readers disagree on them."),
        Metadata(
            .invalidInteger, summary: "an integer that is malformed or out of range",
            explanation: "An integer field holds something else, or a value out of its range (for example a negative `replicas`)."),
        Metadata(
            .unsupportedVersion, summary: "a spec version this compiler does not know",
            explanation: "`version` must be `1`."),
        Metadata(
            .invalidValue, summary: "a value outside the allowed set",
            explanation: "An enumerated field (`kind`, `action`, `gaps`, role actions, …) holds a value outside its set; the closest one is suggested."),
        Metadata(
            .emptyList, summary: "a list that must not be empty is empty",
            explanation: "For example `ports: []` on a flow, which would allow nothing and is almost certainly a mistake."),
        Metadata(
            .duplicateEntry, summary: "a list names the same thing twice",
            explanation: "The same secret, segment or action appears twice in one list."),

        // Names and references
        Metadata(
            .invalidName, summary: "a name that is not a DNS-1123 label of at most 40 characters",
            explanation: """
                Names are DNS-1123 labels, `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 40 characters, because they become Kubernetes names, Marathon ids and cloud \
                resource names.
                """),
        Metadata(
            .reservedName, summary: "a reserved word used as a name",
            explanation: "`any` and `all` cannot name anything; `tcp`, `udp`, `sctp` and `icmp` cannot name port sets."),
        Metadata(
            .nameCollision, summary: "a workload, segment and network share a name",
            explanation: "Workloads, segments and networks share one namespace so that a bare reference resolves to exactly one thing."),
        Metadata(
            .duplicateDefinition, summary: "the same name is defined in two files",
            explanation: "Two files of one spec (through `include`) define the same name in the same section; the note points at the other definition."),
        Metadata(
            .unknownReference, summary: "a reference to something that is not defined",
            explanation: "A workload, segment, network, port set, identity, role or secret that is not defined. The closest defined name is suggested."),
        Metadata(
            .wrongReferenceKind, summary: "a reference to something of the wrong kind",
            explanation: "For example `segment:web` where `web` is a workload, or a workload whose `identity` is a user."),
        Metadata(
            .referenceCycle, summary: "networks or port sets that refer to each other in a cycle",
            explanation: "A network or port set that contains itself through other names."),
        Metadata(
            .missingSegment, summary: "a workload without a segment in a spec that has segments",
            explanation: "When `segments` is present every workload names its segment."),

        // Addresses and ports
        Metadata(
            .invalidAddress, summary: "an address or CIDR that does not parse",
            explanation: "Addresses are IPv4 or IPv6 addresses or CIDRs, network names, or `dns:` names."),
        Metadata(
            .hostBitsSet, summary: "a CIDR with host bits set",
            explanation: "`10.1.2.3/8` is refused; the help gives the network address (`10.0.0.0/8`) or the host (`10.1.2.3/32`)."),
        Metadata(
            .invalidPort, summary: "a port entry that does not parse",
            explanation: "Port entries are `PROTO/PORT`, `PROTO/LOW-HIGH`, `tcp`, `udp`, `sctp`, `icmp`, `all`, or a port set name."),
        Metadata(
            .portOutOfRange, summary: "a port outside 1-65535 or a range with LOW > HIGH",
            explanation: "Ports are 1-65535 and a range's LOW is at most its HIGH."),
        Metadata(
            .invalidDNSName, summary: "a dns: entry that is not a valid DNS name",
            explanation: "A `dns:` entry must be a fully qualified DNS name without wildcards (version 1)."),
        Metadata(
            .portNotListened, summary: "an allow names a workload on an explicit port it does not listen on",
            explanation: """
                An allow flow or allow expectation that names a workload directly with an explicit port must use ports the workload lists; `all` and bare \
                protocols are clipped instead.
                """),
        Metadata(
            .invalidListenPort, summary: "a workload's listen port is not a single port, a range or icmp",
            explanation: "A workload listens on single ports or ranges of tcp, udp or sctp, or on `icmp`."),

        // Flows
        Metadata(
            .externalOnBothSides, summary: "a flow with external addresses on both sides",
            explanation: "Palisade secures workloads; traffic between two external networks is outside its reach."),
        Metadata(
            .dnsSource, summary: "a network with dns: names used as a source",
            explanation: "`dns:` names are resolved by the platform for outgoing connections only."),

        // Includes
        Metadata(
            .includeNotFound, summary: "an included file cannot be read",
            explanation: """
                The file named in `include` does not exist or cannot be read; the message gives the reason (no such file, permission denied, too many \
                levels of symbolic links, …). Only regular files are read: a directory, named pipe, device or socket is \
                refused as such.
                """),
        Metadata(
            .includeOutsideTree, summary: "an include path leaves the top-level spec's directory tree",
            explanation: "Include paths may not leave the directory of the top-level spec, so a spec cannot pull in arbitrary files."),
        Metadata(
            .includeCycle, summary: "files that include each other in a cycle",
            explanation: "A file includes itself through other files."),
        Metadata(
            .sectionNotAllowedInInclude, summary: "an included file holds a section only a top-level spec may have",
            explanation: """
                Included files hold only definitions (`networks`, `ports`, `segments`, `identities`, `roles`, `secrets`, `workloads`, `flows`, `grants`) and \
                optionally `version`.
                """),
        Metadata(
            .includeTooDeep, summary: "includes nest deeper than 32 levels",
            explanation: """
                A chain of includes may go 32 files deep below the top-level spec. The error is at the include that goes deeper, with the chain that \
                leads there; real specs use two or three levels.
                """),
        Metadata(
            .invalidIncludePath, summary: "an include path that cannot name a file",
            explanation: """
                An include path holds a NUL character, ends in `/`, or ends in `.` or `..`: it names a directory or would be cut short, so it is refused \
                as written instead of reading some other file.
                """),

        // Workloads, identities and expectations
        Metadata(
            .invalidImage, summary: "an image that is not an OCI reference as Docker parses it",
            explanation: "Images are `[registry/]path[:tag][@sha256:<64 hex>]` with a lower-case path, as Docker parses them."),
        Metadata(
            .imageRegistryNotAllowed, summary: "an image from a registry outside image_policy.allowed_registries",
            explanation: "`image_policy.allowed_registries` lists `host[:port][/path-prefix]`; the image's registry and path must match one of them."),
        Metadata(
            .imageDigestRequired, summary: "an image without a digest where image_policy.require_digest is true",
            explanation: "With `image_policy.require_digest: true` every image is pinned by `@sha256:` digest."),
        Metadata(
            .grantToService, summary: "a role granted to a service identity without allow_service",
            explanation: "Roles are for people (`user`, `group`); set `allow_service: true` on the grant to give one to a service identity on purpose."),
        Metadata(
            .invalidCapability, summary: "an unknown Linux capability, or ALL in add",
            explanation: "Capabilities are Linux capability names in upper case without `CAP_`; `ALL` is allowed only in `drop`."),
        Metadata(
            .invalidRuntimeValue, summary: "a runtime profile value that is malformed",
            explanation: """
                For example a relative writable path, a seccomp profile other than `runtime-default`, `unconfined` or `localhost/PATH`, or a malformed cpu \
                or memory quantity.
                """),
        Metadata(
            .expectationFailed, summary: "an expect assertion that does not hold on the intent",
            explanation: "The intent does not satisfy an `expect` assertion; the message gives a witness connection."),
        Metadata(
            .invalidLabel, summary: "a label key or value that platforms would reject",
            explanation: """
                Label keys are `[prefix/]name` as Kubernetes defines them and values at most 63 characters of `[A-Za-z0-9._-]`, beginning and ending \
                alphanumeric.
                """),

        // Targets and lint
        Metadata(
            .unknownTarget, summary: "a target name that is not one of the targets",
            explanation: "Targets are `openshift`, `swarm`, `mesos`, `aws`, `gcp`, `azure`, `kubernetes` and `nftables`."),
        Metadata(
            .invalidTargetOption, summary: "a target option that is unknown or has a wrong value",
            explanation: """
                An option every target shares (`gaps: widen | narrow`) has a wrong value, or a backend does not know an option or refuses its value; the \
                closest known option is suggested.
                """),
        Metadata(
            .targetLimit, summary: "the spec exceeds a limit of a target platform",
            explanation: """
                A name, count or size is beyond what the platform accepts (for example a Swarm service name longer than 63 characters once the stack \
                prefixes it); the message names the limit and the value.
                """),
        Metadata(
            .invalidLintRule, summary: "a lint rule id that is not of the form PAL###",
            explanation: "Lint rule ids are `PAL` followed by three digits."),
    ]

    static let index: [DiagnosticCode: Metadata] = Dictionary(table.map { ($0.code, $0) }) { first, _ in first }
}
