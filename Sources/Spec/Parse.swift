import Diagnostics
import IR
import YAML

/// The first pass: one file's YAML into its located syntax tree, every value typed and its
/// syntax checked. Problems are reported and the rest of the file is still read.
extension Decoder {
    mutating func specFile(_ root: YAMLNode, path: String, included: Bool) -> SpecFile {
        var file = SpecFile(path: path, range: root.range)
        guard let fields = fields(root, SpecSchema.root, in: included ? "an included file" : "the spec", checkRequired: !included) else { return file }
        file.sections = Dictionary(fields.pairs.map { ($0.name, $0.key.range) }) { first, _ in first }
        // Nil when the file has no flows; an empty list when `flows` is not a list (reported).
        var flowItems: [YAMLNode]?
        var flowsListed = true
        if let node = fields["flows"] {
            flowItems = list(node, in: "flows")
            flowsListed = flowItems != nil
            if flowItems == nil { flowItems = [] }
        }
        let chunks = FlowParts.ranges(flowItems?.count ?? 0, minimum: flowsPerPart)
        if let flowItems, chunks.count > 1, !recordsMappings {
            decodeConcurrently(fields, flows: flowItems, in: chunks, into: &file)
        } else {
            sections(fields, into: &file)
            if let flowItems { file.setFlows(flows(flowItems[...])) }
        }
        if !flowsListed { file.flowsIncomplete = true }
        file.invalidDefinitions = invalidDefinitions
        return file
    }

    /// The other sections on this thread and the flows in `chunks` on the cores, all at once,
    /// then put together as one pass in source order would have: each part decodes with a copy
    /// of this decoder, and their diagnostics join this one's (the report sorts them by place).
    private mutating func decodeConcurrently(_ fields: Fields, flows items: [YAMLNode], in chunks: [Range<Int>], into file: inout SpecFile) {
        nonisolated(unsafe) let start = self
        nonisolated(unsafe) let fields = fields
        nonisolated(unsafe) let base = file
        let parts = Concurrently.map(count: chunks.count + 1) { part -> Part in
            nonisolated(unsafe) var decoder = start
            decoder.diagnostics = []
            guard part > 0 else {
                var file = base
                decoder.sections(fields, into: &file)
                return Part(decoder: decoder, file: file, flows: nil)
            }
            let flows = decoder.flows(items[chunks[part - 1]])
            return Part(decoder: decoder, file: nil, flows: flows)
        }
        let earlier = diagnostics
        self = parts[0].decoder
        diagnostics = earlier + parts[0].decoder.diagnostics
        file = parts[0].file ?? base
        var flows = DecodedFlows()
        for part in parts.dropFirst() {
            diagnostics += part.decoder.diagnostics
            if let decoded = part.flows { flows.append(decoded) }
        }
        file.setFlows(flows)
    }

    /// What one part of `decodeConcurrently` gives back.
    private struct Part {
        var decoder: Decoder
        var file: SpecFile?
        var flows: DecodedFlows?
    }

    /// Flows decoded: their references and port entries in two arrays shared by all of them.
    struct DecodedFlows {
        var flows: [FlowSyntax] = []
        var references: [Located<ReferenceSyntax>] = []
        var ports: [Located<PortEntry>] = []
        /// Whether a flow had an error (it was dropped, or lost a reference or a port entry).
        var incomplete = false

        /// `other`'s flows after these, their ranges moved past these' references and ports.
        mutating func append(_ other: DecodedFlows) {
            let (referenceBase, portBase) = (references.count, ports.count)
            let first = flows.count
            flows += other.flows
            // Moved in place: a copy of each flow would retain its fields.
            for index in first..<flows.count {
                flows[index].from = (flows[index].from.lowerBound + referenceBase)..<(flows[index].from.upperBound + referenceBase)
                flows[index].to = (flows[index].to.lowerBound + referenceBase)..<(flows[index].to.upperBound + referenceBase)
                flows[index].ports = (flows[index].ports.lowerBound + portBase)..<(flows[index].ports.upperBound + portBase)
            }
            references += other.references
            ports += other.ports
            incomplete = incomplete || other.incomplete
        }
    }

    /// The flows of `items`, in order.
    mutating func flows(_ items: ArraySlice<YAMLNode>) -> DecodedFlows {
        let errorsBefore = diagnostics.count
        var result = DecodedFlows()
        result.flows.reserveCapacity(items.count)
        for item in items {
            if let flow = flow(item, references: &result.references, ports: &result.ports) { result.flows.append(flow) }
        }
        result.incomplete = result.flows.count < items.count || diagnostics.count > errorsBefore
        return result
    }

    /// Every section of a file but its flows, in source order of the schema.
    private mutating func sections(_ fields: Fields, into file: inout SpecFile) {
        if let node = fields["version"], let version = integer(node, in: "version") {
            if version.value != 1 {
                report(.error(.unsupportedVersion, "unsupported spec version \(version.value); this compiler reads version 1", at: node.range))
            }
            file.version = version
        }
        if let node = fields["name"] { file.name = name(node, in: "policy") }
        if let node = fields["description"] { file.description = string(node, in: "description")?.value }
        if let node = fields["include"] {
            file.includes = (list(node, in: "include") ?? []).compactMap { string($0, in: "an include path") }
        }
        if let node = fields["networks"] {
            file.networks = definitions(node, kind: "network") { decoder, value in
                (decoder.list(value, in: "a network") ?? []).compactMap { decoder.addressEntry($0) }
            }
        }
        if let node = fields["ports"] {
            file.ports = definitions(node, kind: "port set") { decoder, value in decoder.portEntries(value, in: "a port set") }
        }
        if let node = fields["segments"] {
            file.segments = definitions(node, kind: "segment") { decoder, value in decoder.segment(value) }
        }
        if let node = fields["identities"] {
            file.identities = definitions(node, kind: "identity") { decoder, value in decoder.identity(value) }
        }
        if let node = fields["roles"] {
            file.roles = definitions(node, kind: "role") { decoder, value in decoder.actions(value) }
        }
        if let node = fields["grants"] {
            file.grants = (list(node, in: "grants") ?? []).compactMap { grant($0) }
        }
        if let node = fields["secrets"] {
            file.secrets = definitions(node, kind: "secret") { decoder, value -> SecretSyntax? in
                guard let fields = decoder.fields(value, SpecSchema.secret, in: "a secret") else { return nil }
                return SecretSyntax(description: fields["description"].flatMap { decoder.string($0, in: "description")?.value })
            }
        }
        if let node = fields["defaults"], let defaults = self.fields(node, SpecSchema.defaults, in: "defaults") {
            file.defaults = defaults["runtime"].map { runtime($0) } ?? RuntimeProfile()
        }
        if let node = fields["workloads"] {
            file.workloads = definitions(node, kind: "workload") { decoder, value in decoder.workload(value) }
        }
        if let node = fields["image_policy"] { file.imagePolicy = imagePolicy(node) }
        if let node = fields["expect"] {
            file.expect = (list(node, in: "expect") ?? []).compactMap { expectation($0) }
        }
        if let node = fields["targets"] { file.targets = targets(node) }
        if let node = fields["lint"] { file.lint = lint(node) }
        if let node = fields["fidelity"] { file.fidelity = choice(node, ["report", "strict"], in: "fidelity") }
    }

    /// A mapping of names to definitions; names that are not DNS-1123 labels are reported.
    /// The name of each definition that does not decode joins `invalidDefinitions`.
    mutating func definitions<Body>(
        _ node: YAMLNode, kind: String, body: (inout Decoder, YAMLNode) -> Body?
    ) -> [Definition<Body>] {
        var result: [Definition<Body>] = []
        let entries = namedEntries(node, in: "\(kind) definitions")
        result.reserveCapacity(entries.count)
        for pair in entries {
            let name = Located(pair.name, at: pair.key.range)
            let valid = checkName(name, in: kind)
            guard let value = body(&self, pair.value), valid else {
                if !name.value.isEmpty { invalidDefinitions.insert(name.value) }
                continue
            }
            result.append(Definition(name: name, body: value, range: pair.key.range))
        }
        return result
    }

    // MARK: Addresses, ports, references

    mutating func addressEntry(_ node: YAMLNode) -> Located<AddressEntry>? {
        guard let text = string(node, in: "a network entry") else { return nil }
        let value = text.value
        if value.hasPrefix("dns:") {
            let name = String(value.dropFirst(4))
            guard !name.contains("*") else {
                report(.error(.invalidDNSName, "wildcard DNS names are not supported in version 1", at: node.range))
                return nil
            }
            guard isDNSName(name, requireDot: true) else {
                report(.error(.invalidDNSName, "'\(name)' is not a fully qualified DNS name", at: node.range))
                return nil
            }
            return Located(.dns(DNSNames.normalize(name)), at: node.range)
        }
        if value.first?.isNumber == true || value.contains(":") || value.contains("/") || value.contains(".") {
            switch CIDR.parse(value) {
            case .valid(let cidr):
                return Located(.cidr(cidr), at: node.range)
            case .hostBitsSet(let network, let host):
                report(
                    .error(
                        .hostBitsSet, "'\(value)' has host bits set", at: node.range,
                        help: "write '\(network)' for the network, or '\(host)' for the single address"))
            case .invalid(let reason):
                report(.error(.invalidAddress, "'\(value)' is not a valid address or CIDR: \(reason)", at: node.range))
            }
            return nil
        }
        if value == "any" { return Located(.name("any"), at: node.range) }
        return Located(.name(value), at: node.range)
    }

    mutating func portEntries(_ node: YAMLNode, in context: String, allowEmpty: Bool = false) -> [Located<PortEntry>] {
        var result: [Located<PortEntry>] = []
        appendPortEntries(node, in: context, allowEmpty: allowEmpty, to: &result)
        return result
    }

    /// The port entries of a list that decode, appended to `result` (a flow's go to its file's
    /// one array of them).
    mutating func appendPortEntries(_ node: YAMLNode, in context: String, allowEmpty: Bool = false, to result: inout [Located<PortEntry>]) {
        guard let items = list(node, in: context) else { return }
        if items.isEmpty, !allowEmpty {
            report(.error(.emptyList, "\(context) has no ports", at: node.range))
        }
        appendDecodedItems(items, to: &result) { $0.portEntry($1) }
    }

    mutating func portEntry(_ node: YAMLNode) -> Located<PortEntry>? {
        // Entries start with a letter (`tcp/5432`, `all`): the first byte rules out a bare number.
        if case .scalar(let text, .plain) = node.content, let first = text.utf8.first, isDigit(first), text.utf8.allSatisfy(isDigit) {
            report(.error(.invalidPort, "'\(text)' has no protocol", at: node.range, help: "write 'tcp/\(text)' or 'udp/\(text)'"))
            return nil
        }
        guard let text = string(node, in: "a port entry") else { return nil }
        // Specs repeat a few entries (`tcp/5432`, `tcp`, `all`): each text is parsed once.
        if let known = portEntries[text.value] { return Located(known, at: node.range) }
        guard let entry = parsePortEntry(text.value, at: node.range) else { return nil }
        portEntries[text.value] = entry
        return Located(entry, at: node.range)
    }

    /// A port entry's text (not a bare number, which `portEntry` refuses) as an entry, or nil
    /// with its error reported.
    mutating func parsePortEntry(_ value: String, at range: SourceRange) -> PortEntry? {
        if value == "all" { return .all }
        if let proto = TransportProtocol(name: value) {
            return proto == .icmp ? .range(PortRange(.icmp, 0, 0)) : .wholeProtocol(proto)
        }
        let bytes = value.utf8
        if let slash = bytes.firstIndex(of: UInt8(ascii: "/")) {
            let protoName = String(decoding: bytes[..<slash], as: UTF8.self)
            guard let proto = TransportProtocol(name: protoName) else {
                report(
                    .error(
                        .invalidPort, "unknown protocol '\(protoName)' in '\(value)'", at: range,
                        help: didYouMean(protoName, in: ["tcp", "udp", "sctp"]) ?? "protocols are tcp, udp and sctp"))
                return nil
            }
            guard proto.hasPorts else {
                report(.error(.invalidPort, "icmp has no ports; write 'icmp'", at: range))
                return nil
            }
            let rest = bytes[bytes.index(after: slash)...]
            let bounds = rest.split(separator: UInt8(ascii: "-"), maxSplits: 1, omittingEmptySubsequences: false)
            let numbers = bounds.map { bound -> Int? in
                guard !bound.isEmpty, bound.count <= 5, bound.allSatisfy(isDigit) else { return nil }
                return bound.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            }
            let given = numbers.compactMap { $0 }
            guard given.count == numbers.count, let low = given.first, let high = given.last else {
                report(.error(.invalidPort, "'\(value)' is not PROTO/PORT or PROTO/LOW-HIGH", at: range))
                return nil
            }
            guard (1...65535).contains(low), (1...65535).contains(high) else {
                report(.error(.portOutOfRange, "ports are 1-65535; '\(value)' is outside", at: range))
                return nil
            }
            guard low <= high else {
                report(
                    .error(
                        .portOutOfRange, "range '\(value)' has LOW above HIGH", at: range,
                        help: "write '\(proto)/\(high)-\(low)'"))
                return nil
            }
            return .range(PortRange(proto, low, high))
        }
        if bytes.contains(UInt8(ascii: ":")) || bytes.contains(UInt8(ascii: " ")) {
            report(
                .error(
                    .invalidPort, "'\(value)' is not a port entry", at: range,
                    help: "port entries are PROTO/PORT, PROTO/LOW-HIGH, tcp, udp, sctp, icmp, all, or a port set name"))
            return nil
        }
        return .name(value)
    }

    mutating func references(_ node: YAMLNode, in context: String) -> [Located<ReferenceSyntax>] {
        var result: [Located<ReferenceSyntax>] = []
        appendReferences(node, in: context, to: &result)
        return result
    }

    /// The references of one side that decode, appended to `result` (a flow's go to its
    /// file's one array of them).
    mutating func appendReferences(_ node: YAMLNode, in context: String, to result: inout [Located<ReferenceSyntax>]) {
        // One name stands for a list of it.
        if case .scalar = node.content, !node.isNull {
            if let reference = reference(node, in: context) { result.append(reference) }
            return
        }
        guard let items = list(node, in: context, allowScalar: true) else { return }
        if items.isEmpty { report(.error(.emptyList, "\(context) names nothing", at: node.range)) }
        appendDecodedItems(items, to: &result) { $0.reference($1, in: context) }
    }

    /// The items of a list that decode, in order, appended to `result`; an empty result is
    /// allocated once at the list's length (`compactMap` grows its result from empty, and
    /// workloads decode one short list of ports or names after another), a longer one (a
    /// file's flows' entries) grows as appending grows it: reserving the exact count each time
    /// would copy it all for every flow.
    mutating func appendDecodedItems<Item>(_ items: [YAMLNode], to result: inout [Item], _ decode: (inout Decoder, YAMLNode) -> Item?) {
        if result.isEmpty { result.reserveCapacity(items.count) }
        for item in items {
            if let decoded = decode(&self, item) { result.append(decoded) }
        }
    }

    mutating func reference(_ node: YAMLNode, in context: String) -> Located<ReferenceSyntax>? {
        guard let text = string(node, in: context) else { return nil }
        let value = text.value
        if value == "any" { return Located(.any, at: node.range) }
        guard let colon = firstColon(in: value) else { return Located(.bare(value), at: node.range) }
        let prefix = String(value[..<colon])
        let name = String(value[value.utf8.index(after: colon)...])
        switch prefix {
        case "workload": return Located(.workload(name), at: node.range)
        case "segment": return Located(.segment(name), at: node.range)
        case "network": return Located(.network(name), at: node.range)
        case "dns":
            report(
                .error(
                    .unknownReference, "a flow cannot name '\(value)' directly", at: node.range,
                    help: "define a network holding '\(value)' and name the network"))
        default:
            report(
                .error(
                    .unknownReference, "unknown reference kind '\(prefix):' in '\(value)'", at: node.range,
                    help: didYouMean(prefix, in: ["workload", "segment", "network"]).map { "\($0)" }
                        ?? "references are NAME, any, workload:NAME, segment:NAME or network:NAME"))
        }
        return nil
    }

    // MARK: Sections

    mutating func segment(_ node: YAMLNode) -> SegmentSyntax? {
        guard let fields = fields(node, SpecSchema.segment, in: "a segment") else { return nil }
        return SegmentSyntax(
            description: fields["description"].flatMap { string($0, in: "description")?.value },
            labels: fields["labels"].map { labels($0, in: "labels") } ?? [])
    }

    mutating func identity(_ node: YAMLNode) -> IdentitySyntax? {
        guard let fields = fields(node, SpecSchema.identity, in: "an identity") else { return nil }
        var kind = IdentityKind.service
        if let node = fields["kind"], let value = choice(node, IdentityKindNames.all, in: "identity kind") {
            kind = IdentityKind(rawValue: value.value) ?? .service
        }
        return IdentitySyntax(kind: kind, description: fields["description"].flatMap { string($0, in: "description")?.value })
    }

    mutating func actions(_ node: YAMLNode) -> [Action]? {
        guard let items = list(node, in: "a role") else { return nil }
        if items.isEmpty { report(.error(.emptyList, "a role must allow at least one action", at: node.range)) }
        var actions: [Action] = []
        for item in items {
            guard let word = choice(item, ActionNames.all, in: "action"), let action = Action(rawValue: word.value) else { continue }
            if actions.contains(action) {
                report(.error(.duplicateEntry, "action '\(action.rawValue)' is listed twice", at: item.range))
            }
            actions.append(action)
        }
        return Array(Set(actions)).sorted()
    }

    mutating func grant(_ node: YAMLNode) -> GrantSyntax? {
        guard let fields = fields(node, SpecSchema.grant, in: "a grant") else { return nil }
        let identity = fields["identity"].flatMap { string($0, in: "grant identity") }
        let role = fields["role"].flatMap { string($0, in: "grant role") }
        var segments: [Located<String>]? = []
        if let node = fields["segments"] {
            if case .scalar("all", _) = node.content {
                segments = nil
            } else if let items = list(node, in: "grant segments", allowScalar: true) {
                if items.isEmpty { report(.error(.emptyList, "a grant must name at least one segment, or all", at: node.range)) }
                segments = items.compactMap { string($0, in: "a segment name") }
            }
        }
        let allowService = fields["allow_service"].flatMap { boolean($0, in: "allow_service")?.value } ?? false
        guard let identity, let role else { return nil }
        return GrantSyntax(identity: identity, role: role, segments: segments, allowService: allowService, range: node.range)
    }

    mutating func workload(_ node: YAMLNode) -> WorkloadSyntax? {
        let keys: WorkloadKeys
        if readsDirectly, !recordsMappings, let direct = WorkloadKeys(direct: node) {
            keys = direct
        } else {
            guard let fields = fields(node, SpecSchema.workload, in: "a workload") else { return nil }
            keys = WorkloadKeys(fields)
        }
        var secrets: [Located<String>] = []
        if let node = keys.secrets {
            for item in list(node, in: "workload secrets") ?? [] {
                guard let name = string(item, in: "a secret name") else { continue }
                if secrets.contains(where: { $0.value == name.value }) {
                    report(.error(.duplicateEntry, "secret '\(name.value)' is listed twice", at: item.range))
                    continue
                }
                secrets.append(name)
            }
        }
        let errorsBefore = diagnostics.count
        let ports = keys.ports.map { portEntries($0, in: "workload ports", allowEmpty: true) } ?? []
        let portsComplete = diagnostics.count == errorsBefore
        // A misspelled `segment:` is reported as an unknown key with a suggestion; the missing
        // segment it leaves is not reported again.
        // Only a key the shape lacks can be one: no key of the shape is a near miss of
        // `segment` (a test checks), so a workload without unknown keys asks nothing.
        var segmentMisspelled = false
        if keys.hasUnknownKeys, case .mapping(let pairs) = node.content {
            for pair in pairs where isNearMissOfSegment(pair.name) {
                segmentMisspelled = true
                break
            }
        }
        var syntax = WorkloadSyntax(
            segment: keys.segment.flatMap { string($0, in: "segment") },
            image: keys.image.flatMap { imageReference($0) },
            identity: keys.identity.flatMap { string($0, in: "identity") },
            replicas: keys.replicas.flatMap { integer($0, in: "replicas", minimum: 0, maximum: 100_000)?.value } ?? 1,
            ports: ports,
            portsComplete: portsComplete,
            secrets: secrets,
            runtime: keys.runtime.map { runtime($0) } ?? RuntimeProfile(),
            labels: keys.labels.map { labels($0, in: "labels") } ?? [],
            description: keys.description.flatMap { string($0, in: "description")?.value })
        syntax.segmentMisspelled = segmentMisspelled
        return syntax
    }

    /// A flow; its references and port entries are appended to `references` and `ports` (its
    /// file's arrays of them), where it holds their ranges.
    mutating func flow(_ node: YAMLNode, references: inout [Located<ReferenceSyntax>], ports portEntries: inout [Located<PortEntry>]) -> FlowSyntax? {
        let keys: FlowKeys
        if readsDirectly, !recordsMappings, let direct = FlowKeys(direct: node) {
            keys = direct
        } else {
            guard let fields = fields(node, SpecSchema.flow, in: "a flow") else { return nil }
            keys = FlowKeys(fields)
        }
        var action = FlowAction.allow
        if let node = keys.action, let word = choice(node, ["allow", "deny"], in: "flow action") {
            action = FlowAction(rawValue: word.value) ?? .allow
        }
        let name = keys.name.flatMap { self.name($0, in: "flow") }
        guard let from = keys.from, let to = keys.to, let ports = keys.ports else { return nil }
        let description = keys.description.flatMap { string($0, in: "description")?.value }
        let fromStart = references.count
        appendReferences(from, in: "flow sources", to: &references)
        let toStart = references.count
        appendReferences(to, in: "flow destinations", to: &references)
        let portsStart = portEntries.count
        appendPortEntries(ports, in: "flow ports", to: &portEntries)
        return FlowSyntax(
            name: name?.value, description: description, action: action, from: fromStart..<toStart, to: toStart..<references.count,
            ports: portsStart..<portEntries.count, range: node.range)
    }

    mutating func expectation(_ node: YAMLNode) -> ExpectSyntax? {
        guard let fields = fields(node, SpecSchema.expectation, in: "an expectation") else { return nil }
        let allow = fields["allow"]
        let deny = fields["deny"]
        guard (allow == nil) != (deny == nil) else {
            report(.error(.invalidValue, "an expectation holds exactly one of allow or deny", at: node.range))
            return nil
        }
        let kind: Expectation.Kind = allow != nil ? .allow : .deny
        guard let body = allow ?? deny, let connection = self.fields(body, SpecSchema.connection, in: "an expectation"),
            let from = connection["from"], let to = connection["to"], let ports = connection["ports"]
        else { return nil }
        var targets: [TargetName]?
        if let node = fields["targets"] {
            targets = []
            for item in list(node, in: "expectation targets") ?? [] {
                guard let name = string(item, in: "a target") else { continue }
                guard let target = TargetName(rawValue: name.value) else {
                    report(
                        .error(
                            .unknownTarget, "unknown target '\(name.value)'", at: item.range,
                            help: didYouMean(name.value, in: TargetNames.all) ?? "targets are \(TargetNames.all.joined(separator: ", "))"))
                    continue
                }
                if targets?.contains(target) == true {
                    report(.error(.duplicateEntry, "target '\(name.value)' is listed twice", at: item.range))
                    continue
                }
                targets?.append(target)
            }
            if targets?.isEmpty == true, list(node, in: "expectation targets")?.isEmpty == true {
                report(
                    .error(
                        .invalidValue, "an empty targets list speaks for no target", at: node.range,
                        help: "leave targets out to speak for every target"))
            }
        }
        return ExpectSyntax(
            kind: kind, targets: targets,
            from: references(from, in: "expectation sources"),
            to: references(to, in: "expectation destinations"),
            ports: portEntries(ports, in: "expectation ports"),
            range: node.range)
    }

    mutating func imagePolicy(_ node: YAMLNode) -> ImagePolicy? {
        guard let fields = fields(node, SpecSchema.imagePolicy, in: "image_policy") else { return nil }
        var registries: [String] = []
        if let node = fields["allowed_registries"] {
            for item in list(node, in: "allowed_registries") ?? [] {
                guard let entry = string(item, in: "a registry") else { continue }
                if let problem = registryPatternProblem(entry.value) {
                    report(
                        .error(
                            .invalidValue, "'\(entry.value)' is not a registry pattern: \(problem)", at: item.range,
                            help: "entries are host[:port][/path-prefix], like registry.example.com/team"))
                    continue
                }
                registries.append(entry.value)
            }
        }
        return ImagePolicy(
            requireDigest: fields["require_digest"].flatMap { boolean($0, in: "require_digest")?.value } ?? false,
            allowedRegistries: registries, origin: node.range)
    }

    mutating func targets(_ node: YAMLNode) -> [TargetOptions] {
        var result: [TargetOptions] = []
        for pair in namedEntries(node, in: "targets") {
            guard let target = TargetName(rawValue: pair.name) else {
                report(
                    .error(
                        .unknownTarget, "unknown target '\(pair.name)'", at: pair.key.range,
                        help: didYouMean(pair.name, in: TargetNames.all) ?? "targets are \(TargetNames.all.joined(separator: ", "))"))
                continue
            }
            guard case .mapping(let options) = pair.value.content else {
                if !pair.value.isNull { wrongType(pair.value, expected: "a mapping of options", in: "target '\(pair.name)'") }
                result.append(TargetOptions(target: target, gaps: .widen, options: [], origin: pair.key.range))
                continue
            }
            var gaps = GapPolicy.widen
            var entries: [OptionEntry] = []
            for option in options {
                if option.name == "gaps" {
                    let allowed = GapPolicy.allCases.map(\.rawValue)
                    if let word = option.value.scalar, let policy = GapPolicy(rawValue: word), !option.value.isNull {
                        gaps = policy
                    } else {
                        report(
                            .error(
                                .invalidTargetOption,
                                "gaps of target '\(pair.name)' must be widen or narrow, not "
                                    + "\(option.value.scalar.map { "'\($0)'" } ?? option.value.kindDescription)",
                                at: option.value.range, help: option.value.scalar.flatMap { didYouMean($0, in: allowed) }))
                    }
                    continue
                }
                entries.append(OptionEntry(key: Located(option.name, at: option.key.range), value: optionValue(option.value)))
            }
            result.append(TargetOptions(target: target, gaps: gaps, options: entries, origin: pair.key.range))
        }
        return result
    }

    /// A target option as the backend will see it: YAML's shape, scalars kept as written
    /// (plain `true`/`false` and integers typed, everything else a string).
    func optionValue(_ node: YAMLNode) -> Located<OptionValue> {
        switch node.content {
        case .scalar(let text, let style):
            if style == .plain, text == "true" || text == "false" { return Located(.boolean(text == "true"), at: node.range) }
            if style == .plain, let number = Int(text) { return Located(.integer(number), at: node.range) }
            return Located(.string(text), at: node.range)
        case .sequence(let items):
            return Located(.list(items.map(optionValue)), at: node.range)
        case .mapping(let pairs):
            return Located(.map(pairs.map { OptionEntry(key: Located($0.name, at: $0.key.range), value: optionValue($0.value)) }), at: node.range)
        }
    }

    mutating func lint(_ node: YAMLNode) -> LintConfig? {
        guard let fields = fields(node, SpecSchema.lint, in: "lint") else { return nil }
        var config = LintConfig()
        if let node = fields["disable"] {
            config.disable = (list(node, in: "lint.disable") ?? []).compactMap { lintRule($0) }
        }
        if let node = fields["min_prefix"], let prefixes = self.fields(node, SpecSchema.minimumPrefix, in: "lint.min_prefix") {
            if let value = prefixes["ipv4"].flatMap({ integer($0, in: "min_prefix.ipv4", minimum: 0, maximum: 32) }) { config.minimumIPv4Prefix = value.value }
            if let value = prefixes["ipv6"].flatMap({ integer($0, in: "min_prefix.ipv6", minimum: 0, maximum: 128) }) { config.minimumIPv6Prefix = value.value }
        }
        if let node = fields["ignore"] {
            for item in list(node, in: "lint.ignore") ?? [] {
                guard let ignore = self.fields(item, SpecSchema.lintIgnore, in: "a lint ignore") else { continue }
                let rule = ignore["rule"].flatMap { lintRule($0) }
                let subject = ignore["subject"].flatMap { string($0, in: "subject") }
                let reason = ignore["reason"].flatMap { string($0, in: "reason") }
                if let reason, reason.value.allSatisfy(\.isWhitespace) {
                    report(.error(.invalidValue, "a lint ignore needs a reason", at: reason.range))
                }
                guard let rule, let subject, let reason else { continue }
                config.ignore.append(LintIgnore(rule: rule.value, subject: subject.value, reason: reason.value, origin: item.range))
            }
        }
        return config
    }

    mutating func lintRule(_ node: YAMLNode) -> Located<String>? {
        guard let rule = string(node, in: "a lint rule") else { return nil }
        let digits = rule.value.dropFirst(3)
        guard rule.value.hasPrefix("PAL"), digits.count == 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            report(
                .error(
                    .invalidLintRule, "'\(rule.value)' is not a lint rule id", at: node.range,
                    help: "rule ids are PAL followed by three digits, like PAL203"))
            return nil
        }
        return rule
    }
}

private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

/// Where the first ':' of `text` is, found in its contiguous UTF-8 bytes: the generic
/// `utf8.firstIndex(of:)` steps through the view an index at a time, costlier than the
/// short name it searches (each side of every flow asks).
func firstColon(in text: String) -> String.Index? {
    let utf8 = text.utf8
    guard let found = utf8.withContiguousStorageIfAvailable({ $0.firstIndex(of: UInt8(ascii: ":")) }) else {
        return utf8.firstIndex(of: UInt8(ascii: ":"))
    }
    return found.map { utf8.index(utf8.startIndex, offsetBy: $0) }
}

/// Why a registry pattern (`host[:port][/path-prefix]`) is malformed, or nil.
func registryPatternProblem(_ pattern: String) -> String? {
    let parts = pattern.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    let hostPort = parts[0].split(separator: ":", omittingEmptySubsequences: false)
    guard hostPort.count <= 2, isDNSName(String(hostPort[0]), requireDot: false) || parseIPv4(String(hostPort[0])) != nil else {
        return "the host is not a DNS name"
    }
    if hostPort.count == 2, !(hostPort[1].allSatisfy { $0.isASCII && $0.isNumber } && !hostPort[1].isEmpty) {
        return "the port is not a number"
    }
    if parts.count == 2 {
        let path = parts[1]
        guard !path.isEmpty, !path.hasSuffix("/"), path.split(separator: "/").allSatisfy({ isPathComponent(String($0)) }) else {
            return "the path prefix is not a repository path"
        }
    }
    return nil
}

/// The values of a flow's keys. A spec holds tens of thousands of flows and workloads, nearly
/// all written with known keys only and their required keys present: such a mapping is read in
/// one pass over its pairs (`init(direct:)`, here and in `WorkloadKeys`), without the `Fields`
/// that `Decoder.fields` builds and searches once per key. Any other mapping goes through
/// `Decoder.fields`, which reports what is wrong with it; the direct reading reports nothing,
/// as `fields` reports nothing for such a mapping.
struct FlowKeys {
    /// The pairs the keys were found among, and where each key is there (-1: absent): a value
    /// is read in place when asked for, not copied out with every other one into the keys.
    private let pairs: [YAMLPair]
    private var at = (name: -1, description: -1, action: -1, from: -1, to: -1, ports: -1)

    var name: YAMLNode? { pairs.value(at: at.name) }
    var description: YAMLNode? { pairs.value(at: at.description) }
    var action: YAMLNode? { pairs.value(at: at.action) }
    var from: YAMLNode? { pairs.value(at: at.from) }
    var to: YAMLNode? { pairs.value(at: at.to) }
    var ports: YAMLNode? { pairs.value(at: at.ports) }

    /// The keys of a mapping of flow keys only, with `from`, `to` and `ports`; nil for any other node.
    init?(direct node: YAMLNode) {
        guard case .mapping(let pairs) = node.content else { return nil }
        self.pairs = pairs
        for position in pairs.indices {
            guard case .scalar(let key, _) = pairs[position].key.content else { return nil }
            switch key {
            case "from": at.from = position
            case "to": at.to = position
            case "ports": at.ports = position
            case "action": at.action = position
            case "name": at.name = position
            case "description": at.description = position
            default: return nil
            }
        }
        guard at.from >= 0, at.to >= 0, at.ports >= 0 else { return nil }
    }

    /// The keys as `Decoder.fields` found them (each marked as asked for).
    init(_ fields: Fields) {
        pairs = fields.pairs
        at.name = fields.position(of: "name") ?? -1
        at.description = fields.position(of: "description") ?? -1
        at.action = fields.position(of: "action") ?? -1
        at.from = fields.position(of: "from") ?? -1
        at.to = fields.position(of: "to") ?? -1
        at.ports = fields.position(of: "ports") ?? -1
    }
}

/// The values of a workload's keys, read as `FlowKeys` reads a flow's: directly when the
/// workload has known keys only and its `image`.
struct WorkloadKeys {
    /// The pairs the keys were found among, and where each key is there (-1: absent), as in
    /// `FlowKeys`.
    private let pairs: [YAMLPair]
    private var at = (segment: -1, image: -1, identity: -1, replicas: -1, ports: -1, secrets: -1, runtime: -1, labels: -1, description: -1)
    /// Whether the mapping has keys the shape lacks (only through `Decoder.fields`).
    var hasUnknownKeys = false

    var segment: YAMLNode? { pairs.value(at: at.segment) }
    var image: YAMLNode? { pairs.value(at: at.image) }
    var identity: YAMLNode? { pairs.value(at: at.identity) }
    var replicas: YAMLNode? { pairs.value(at: at.replicas) }
    var ports: YAMLNode? { pairs.value(at: at.ports) }
    var secrets: YAMLNode? { pairs.value(at: at.secrets) }
    var runtime: YAMLNode? { pairs.value(at: at.runtime) }
    var labels: YAMLNode? { pairs.value(at: at.labels) }
    var description: YAMLNode? { pairs.value(at: at.description) }

    /// The keys of a mapping of workload keys only, with `image`; nil for any other node.
    init?(direct node: YAMLNode) {
        guard case .mapping(let pairs) = node.content else { return nil }
        self.pairs = pairs
        for position in pairs.indices {
            guard case .scalar(let key, _) = pairs[position].key.content else { return nil }
            switch key {
            case "segment": at.segment = position
            case "image": at.image = position
            case "identity": at.identity = position
            case "replicas": at.replicas = position
            case "ports": at.ports = position
            case "secrets": at.secrets = position
            case "runtime": at.runtime = position
            case "labels": at.labels = position
            case "description": at.description = position
            default: return nil
            }
        }
        guard at.image >= 0 else { return nil }
    }

    /// The keys as `Decoder.fields` found them (each marked as asked for).
    init(_ fields: Fields) {
        pairs = fields.pairs
        at.segment = fields.position(of: "segment") ?? -1
        at.image = fields.position(of: "image") ?? -1
        at.identity = fields.position(of: "identity") ?? -1
        at.replicas = fields.position(of: "replicas") ?? -1
        at.ports = fields.position(of: "ports") ?? -1
        at.secrets = fields.position(of: "secrets") ?? -1
        at.runtime = fields.position(of: "runtime") ?? -1
        at.labels = fields.position(of: "labels") ?? -1
        at.description = fields.position(of: "description") ?? -1
        if case .mapping(let pairs) = fields.node.content { hasUnknownKeys = fields.pairs.count < pairs.count }
    }
}

extension [YAMLPair] {
    /// The value of the pair at `position`, or nil for -1 (a key not there).
    fileprivate func value(at position: Int) -> YAMLNode? { position < 0 ? nil : self[position].value }
}
