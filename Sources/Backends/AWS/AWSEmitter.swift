import Diagnostics
import IR
import YAML

/// Writes an `AWSPlan` as CloudFormation: `security-groups.json`, or numbered templates when
/// one would break CloudFormation's limits. A class: its methods are passed around as closures
/// (`map(groupResource)`), and each would otherwise copy the whole plan.
final class AWSEmitter {
    let plan: AWSPlan

    init(plan: AWSPlan) {
        self.plan = plan
    }
    var policy: Policy { plan.policy }
    var identities: [FirewallPlan.Identity] { plan.firewall.identities }
    var groups: [AWSPlan.Group] { plan.groups }

    /// The first (often the only) template of a policy; the others are `security-groups-N.json`.
    static let file = "security-groups.json"

    /// CloudFormation's limits on one template.
    static let resourcesPerTemplate = 500
    static let outputsPerTemplate = 200
    static let templateBytes = 1_000_000

    /// How one template names a security group: `Fn::GetAtt` in its own template, the export
    /// of the template that declares it otherwise.
    typealias GroupReference = (Int) -> StructuredValue

    /// `security-groups.json`, or when one template would break CloudFormation's limits
    /// (resources, outputs, body size), numbered templates to create in order: the security
    /// groups first (exporting their ids), in parts 1 to G (`security-groups.json`,
    /// `security-groups-2.json`, …), then the group-to-group rules (importing them), in parts
    /// G + 1 on. Which part holds a resource depends on its logical id alone (`stableParts`),
    /// so one more resource moves no other unless G or the rules' parts double; an empty part
    /// leaves its number unused. A located error when a template is still too large.
    func files() throws -> [OutputFile] {
        let files = templates()
        for file in files where file.text.byteCount > Self.templateBytes {
            throw BackendError(
                .error(
                    .targetLimit,
                    "aws: \(file.path) is \(file.text.byteCount) bytes; CloudFormation takes at most \(Self.templateBytes) (from S3)",
                    at: plan.options.origin, help: "split the spec into several policies"))
        }
        return files
    }

    /// A resource or output written once: its logical id, its value's bytes as `JSONWriter`
    /// writes them where a template's resources and outputs sit (indent 4), and the size by
    /// which `parts` places it (`jsonSize` of the value at indent 0).
    struct WrittenEntry {
        var key: String
        var value: [UInt8]
        var size: Int

        init(_ entry: StructuredValue.Entry) {
            var value: [UInt8] = []
            JSONWriter.append(entry.value, at: 4, to: &value)
            self.init(key: entry.key, value: value) { entry.value }
        }

        /// A value already written at indent 4; `tree` is its tree, built only when its bytes
        /// cannot tell its size.
        init(key: String, value: [UInt8], tree: () -> StructuredValue) {
            let (newlines, escaped) = value.withUnsafeBufferPointer(Self.scan)
            self.init(key: key, value: value, newlines: newlines, escaped: escaped, tree: tree)
        }

        /// The same, its newlines counted and whether a string in it was escaped or is beyond
        /// ASCII told by its writer (true when unsure).
        init(key: String, value: [UInt8], newlines: Int, escaped: Bool, tree: () -> StructuredValue) {
            self.key = key
            self.value = value
            // Each line but the first is indented 4 more than at indent 0. Without a backslash or a
            // byte beyond ASCII, every string was written as it is, which `jsonSize` counts exactly.
            size = escaped ? jsonSize(tree()) : value.count - 4 * newlines
        }

        /// The newlines among `bytes`, and whether one is a backslash or beyond ASCII: eight
        /// bytes a step (the bytes are most of the templates), then the last ones one by one.
        /// `zeros` marks exactly the zero bytes of a word (no borrow crosses from one byte to the
        /// next), so their count is its population count.
        static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (newlines: Int, escaped: Bool) {
            guard let base = bytes.baseAddress else { return (0, false) }
            let ones: UInt64 = 0x0101_0101_0101_0101
            let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            /// The high bit of each byte of `word` that is zero, and no other bit.
            func zeros(_ word: UInt64) -> UInt64 { ~(((word & lows) &+ lows) | word | lows) }
            var newlines = 0
            var flags: UInt64 = 0
            var index = 0
            while index + 8 <= bytes.count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                newlines &+= zeros(word ^ (0x0A &* ones)).nonzeroBitCount
                flags |= zeros(word ^ (0x5C &* ones)) | word & ~lows
                index += 8
            }
            while index < bytes.count {
                let byte = bytes[index]
                newlines &+= byte == UInt8(ascii: "\n") ? 1 : 0
                flags |= byte == UInt8(ascii: "\\") || byte >= 0x80 ? 1 : 0
                index += 1
            }
            return (newlines, flags != 0)
        }
    }

    /// The templates, each resource and output written once (a template's bytes are theirs
    /// joined, not a tree of the whole template written again): the same bytes as
    /// `treeTemplates`, which builds and writes each template's tree.
    func templates() -> [OutputFile] {
        let rules = plan.standalone.count
        var inline = RuleWriter(self, reference: localReference)
        let groups = self.groups.indices.map { writtenGroupResource($0, rules: &inline) }
        if self.groups.count + rules <= Self.resourcesPerTemplate, self.groups.count <= Self.outputsPerTemplate {
            let single = write(
                "Security groups", vpc: true, resources: groups + writtenRuleResources(reference: localReference),
                outputs: self.groups.indices.map { WrittenEntry(output($0, exported: false)) })
            if single.byteCount <= Self.templateBytes { return [OutputFile(path: Self.file, text: single)] }
        }
        var files: [OutputFile] = []
        let groupParts = parts(groups.map(\.size), keys: groups.map(\.key), limit: Self.outputsPerTemplate)
        // The first template keeps its name even in the unlikely case that no group hashes to part 1.
        let first = groupParts.firstIndex { !$0.isEmpty } ?? 0
        for (index, part) in groupParts.enumerated() where !part.isEmpty {
            let contents = write(
                "Security groups (part \(index + 1))", vpc: true, resources: part.map { groups[$0] },
                outputs: part.map { WrittenEntry(output($0, exported: true)) })
            files.append(OutputFile(path: index == first ? Self.file : "security-groups-\(index + 1).json", text: contents))
        }
        let ruleEntries = writtenRuleResources(reference: importedReference)
        for (index, part) in parts(ruleEntries.map(\.size), keys: ruleEntries.map(\.key), limit: Self.resourcesPerTemplate).enumerated()
        where !part.isEmpty {
            let number = groupParts.count + index + 1
            let contents = write("Security group rules (part \(number))", vpc: false, resources: part.map { ruleEntries[$0] }, outputs: [])
            files.append(OutputFile(path: "security-groups-\(number).json", text: contents))
        }
        return files
    }

    /// One template's bytes: `template`'s tree, its resources and outputs joined from their
    /// written bytes, each appended once, in place.
    func write(_ what: String, vpc: Bool, resources: [WrittenEntry], outputs: [WrittenEntry]) -> ChunkedText {
        guard case .object(let head) = template(what, vpc: vpc, resources: [], outputs: []) else { return ChunkedText() }
        var out: [UInt8] = []
        out.reserveCapacity((resources + outputs).reduce(4096) { $0 + $1.key.utf8.count + $1.value.count + 16 })
        JSONWriter.ObjectWriter.write(at: 0, onto: &out) { template in
            for entry in head {
                guard entry.key == "Resources" else {
                    template.value(named: entry.key, entry.value)
                    continue
                }
                for (key, entries) in [("Resources", resources), ("Outputs", outputs)] where key == "Resources" || !entries.isEmpty {
                    template.object(named: key) { object in
                        for entry in entries { object.written(named: entry.key, entry.value) }
                    }
                }
            }
        }
        out.append(UInt8(ascii: "\n"))
        return ChunkedText(bytes: out)
    }

    /// The templates as trees, each written whole: the reference `templates` is tested against.
    func treeTemplates() -> [OutputFile] {
        let rules = plan.standalone.count
        if groups.count + rules <= Self.resourcesPerTemplate, groups.count <= Self.outputsPerTemplate {
            let single = JSONWriter.write(document())
            if single.utf8.count <= Self.templateBytes { return [OutputFile(path: Self.file, contents: single)] }
        }
        var files: [OutputFile] = []
        let groups = self.groups.indices.map(groupResource)
        let groupParts = parts(groups, limit: Self.outputsPerTemplate)
        let first = groupParts.firstIndex { !$0.isEmpty } ?? 0
        for (index, part) in groupParts.enumerated() where !part.isEmpty {
            let document = template(
                "Security groups (part \(index + 1))", vpc: true, resources: part.map { groups[$0] },
                outputs: part.map { output($0, exported: true) })
            files.append(OutputFile(path: index == first ? Self.file : "security-groups-\(index + 1).json", contents: JSONWriter.write(document)))
        }
        let ruleEntries = ruleResources(reference: importedReference)
        for (index, part) in parts(ruleEntries, limit: Self.resourcesPerTemplate).enumerated() where !part.isEmpty {
            let number = groupParts.count + index + 1
            let document = template("Security group rules (part \(number))", vpc: false, resources: part.map { ruleEntries[$0] }, outputs: [])
            files.append(OutputFile(path: "security-groups-\(number).json", contents: JSONWriter.write(document)))
        }
        return files
    }

    /// The whole policy in one template.
    func document() -> StructuredValue {
        let indices = Array(groups.indices)
        return template(
            "Security groups", vpc: true, resources: indices.map(groupResource) + ruleResources(reference: localReference),
            outputs: indices.map { output($0, exported: false) })
    }

    /// Resources split among templates by logical id, at most `limit` in one and short of
    /// CloudFormation's body size (an export or import per resource included); each part's
    /// resources in logical id order.
    func parts(_ resources: [StructuredValue.Entry], limit: Int) -> [[Int]] {
        // Measured, not written: the same bytes as `JSONWriter.write` (and its final newline).
        parts(resources.map { jsonSize($0.value) }, keys: resources.map(\.key), limit: limit)
    }

    /// The same, from each resource's size (`jsonSize` of its value) and logical id.
    func parts(_ sizes: [Int], keys: [String], limit: Int) -> [[Int]] {
        let sizes = zip(sizes, keys).map { $0 + 1 + $1.utf8.count + 400 }
        let budget = Self.templateBytes - 20_000
        return stableParts(keys: keys) { part in
            part.count <= limit && part.reduce(0) { $0 + sizes[$1] } <= budget
        }.map { part in part.sorted { keys[$0] < keys[$1] } }
    }

    func template(_ what: String, vpc: Bool, resources: [StructuredValue.Entry], outputs: [StructuredValue.Entry]) -> StructuredValue {
        let generator = "generated by palisade from \(policy.sourceNames.joined(separator: ", ")) (content hash \(policy.contentHash)); do not edit"
        var entries: [StructuredValue.Entry] = [
            .init("AWSTemplateFormatVersion", "2010-09-09"),
            .init("Description", .string(awsText("\(what) of policy \(policy.name), \(generator)"))),
        ]
        if vpc {
            var parameter: [StructuredValue.Entry] = [
                .init("Type", "AWS::EC2::VPC::Id"), .init("Description", "the VPC the security groups belong to"),
            ]
            if let vpcID = plan.options.vpcID { parameter.append(.init("Default", .string(vpcID))) }
            entries.append(.init("Parameters", .object([.init("VpcId", .object(parameter))])))
        }
        entries.append(.init("Resources", .object(resources)))
        if !outputs.isEmpty { entries.append(.init("Outputs", .object(outputs))) }
        return .object(entries)
    }

    // MARK: Groups

    func localReference(_ index: Int) -> StructuredValue {
        .object([.init("Fn::GetAtt", [.string(plan.logicalIDs[index]), "GroupId"])])
    }

    func importedReference(_ index: Int) -> StructuredValue {
        .object([.init("Fn::ImportValue", .string(exportName(index)))])
    }

    /// Export names are unique per account and region: the policy's name keeps them apart.
    func exportName(_ index: Int) -> String { "palisade-\(policy.name)-\(plan.logicalIDs[index])" }

    /// One group: its identity's address rules inline (the group-to-group ones are standalone
    /// resources), the sentinel when it has no outbound address rule, and the tags that name its
    /// identity. The first group of an identity whose rules fill several says in its metadata
    /// which groups the identity's workloads take (`palisade:groups`).
    func groupResource(_ index: Int) -> StructuredValue.Entry {
        let group = groups[index]
        guard let owner = group.identity else { return segmentGroupResource(index) }
        let siblings = plan.groupsOf[owner]
        let texts = identityGroupTexts(index)
        var properties: [StructuredValue.Entry] = [
            .init("GroupDescription", .string(texts.description)),
            .init("VpcId", .object([.init("Ref", "VpcId")])),
        ]
        let inlineIn = group.ingress.filter { !$0.isGroupReference }
        if !inlineIn.isEmpty {
            properties.append(.init("SecurityGroupIngress", .array(inlineIn.map { rule($0, ingress: true, standalone: nil, reference: localReference) })))
        }
        // Without an inline egress rule AWS keeps its default allow-all egress, even when
        // standalone egress rules are added: the sentinel takes its place.
        var inlineOut = group.egress.filter { !$0.isGroupReference }
        if inlineOut.isEmpty { inlineOut = [SecurityGroupRule.sentinel] }
        properties.append(.init("SecurityGroupEgress", .array(inlineOut.map { rule($0, ingress: false, standalone: nil, reference: localReference) })))
        properties.append(.init("Tags", .array(texts.tags.map { tag($0.key, $0.value) })))
        var resource: [StructuredValue.Entry] = [.init("Type", "AWS::EC2::SecurityGroup"), .init("Properties", .object(properties))]
        if siblings.count > 1, group.part == 1 {
            resource.append(.init("Metadata", .object([.init("palisade:groups", .array(siblings.map { .string(plan.logicalIDs[$0]) }))])))
        }
        return .init(plan.logicalIDs[index], .object(resource))
    }

    /// What an identity's group says of itself: its description, and its tags (its name, the
    /// policy, the identity and the identity's workloads).
    func identityGroupTexts(_ index: Int) -> (description: String, tags: [(key: String, value: String)]) {
        let group = groups[index]
        let owner = group.identity ?? 0
        let identity = identities[owner]
        let segments = identity.segments.joined(separator: ", ")
        let siblings = plan.groupsOf[owner]
        let part = siblings.count > 1 ? ", group \(siblings.firstIndex(of: index).map { $0 + 1 } ?? group.part) of \(siblings.count)" : ""
        let name = group.part == 1 ? "\(policy.name)-\(identity.name)" : "\(policy.name)-\(identity.name)-\(group.part)"
        return (
            awsText("palisade \(policy.name): identity \(identity.name)\(part) (segments \(segments))"),
            [
                ("Name", name), ("palisade:policy", policy.name), ("palisade:identity", identity.name),
                ("palisade:workloads", identity.workloads.map { policy.workloads[$0.index].name }.joined(separator: " ")),
            ]
        )
    }

    /// `groupResource`'s bytes, written without its tree: an identity's group written in place,
    /// its inline rules by `rules`; a segment's group (rare) from its tree.
    func writtenGroupResource(_ index: Int, rules: inout RuleWriter) -> WrittenEntry {
        let group = groups[index]
        guard let owner = group.identity else { return WrittenEntry(segmentGroupResource(index)) }
        let siblings = plan.groupsOf[owner]
        let texts = identityGroupTexts(index)
        let inlineIn = group.ingress.filter { !$0.isGroupReference }
        var inlineOut = group.egress.filter { !$0.isGroupReference }
        if inlineOut.isEmpty { inlineOut = [SecurityGroupRule.sentinel] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024 + 400 * (inlineIn.count + inlineOut.count))
        JSONWriter.ObjectWriter.write(at: 4, onto: &bytes) { resource in
            resource.string("Type", "AWS::EC2::SecurityGroup")
            resource.object("Properties") { properties in
                properties.string("GroupDescription", texts.description)
                properties.object("VpcId") { $0.string("Ref", "VpcId") }
                if !inlineIn.isEmpty {
                    properties.array("SecurityGroupIngress", count: inlineIn.count) { index, out in
                        rules.append(inlineIn[index], ingress: true, owner: nil, to: &out)
                    }
                }
                properties.array("SecurityGroupEgress", count: inlineOut.count) { index, out in
                    rules.append(inlineOut[index], ingress: false, owner: nil, to: &out)
                }
                properties.array("Tags", count: texts.tags.count) { index, out in
                    JSONWriter.ObjectWriter.write(at: 10, onto: &out) { tag in
                        tag.string("Key", texts.tags[index].key)
                        tag.string("Value", String(texts.tags[index].value.prefix(256)))
                    }
                }
            }
            if siblings.count > 1, group.part == 1 {
                resource.object("Metadata") { $0.strings("palisade:groups", siblings.map { plan.logicalIDs[$0] }) }
            }
        }
        return WrittenEntry(key: plan.logicalIDs[index], value: bytes) { groupResource(index).value }
    }

    /// A segment's group: no rules of its own (the sentinel keeps AWS's allow-all egress
    /// away), a peer that other groups' rules name; its metadata lists the identities whose
    /// workloads take it (`palisade:members`).
    func segmentGroupResource(_ index: Int) -> StructuredValue.Entry {
        let segment = groups[index].segment ?? ""
        let members = plan.members[index].map { identities[$0].name }
        let properties: [StructuredValue.Entry] = [
            .init(
                "GroupDescription",
                .string(awsText("palisade \(policy.name): segment \(segment), taken by every workload of its \(members.count) identities"))),
            .init("VpcId", .object([.init("Ref", "VpcId")])),
            .init("SecurityGroupEgress", .array([rule(SecurityGroupRule.sentinel, ingress: false, standalone: nil, reference: localReference)])),
            .init(
                "Tags",
                .array([tag("Name", "\(policy.name)-segment-\(segment)"), tag("palisade:policy", policy.name), tag("palisade:segment", segment)])),
        ]
        return .init(
            plan.logicalIDs[index],
            .object([
                .init("Type", "AWS::EC2::SecurityGroup"), .init("Properties", .object(properties)),
                .init("Metadata", .object([.init("palisade:members", .array(members.map { .string($0) }))])),
            ]))
    }

    /// The group's id; for the groups of an identity that takes several, which groups its
    /// workloads take.
    func output(_ index: Int, exported: Bool) -> StructuredValue.Entry {
        let group = groups[index]
        var description: String
        if let owner = group.identity {
            let siblings = plan.groupsOf[owner]
            description = "security group of identity \(identities[owner].name)"
            if siblings.count > 1 {
                description +=
                    " (\(siblings.firstIndex(of: index).map { $0 + 1 } ?? group.part) of \(siblings.count)); its workloads take "
                    + siblings.map { plan.logicalIDs[$0] }.joined(separator: ", ")
            }
        } else {
            description = "security group of segment \(group.segment ?? ""), taken by every workload of its identities"
        }
        var entries: [StructuredValue.Entry] = [
            .init("Description", .string(awsText(description))),
            .init("Value", localReference(index)),
        ]
        if exported { entries.append(.init("Export", .object([.init("Name", .string(exportName(index)))]))) }
        return .init(plan.logicalIDs[index], .object(entries))
    }

    // MARK: Rules

    /// The standalone group-to-group rules, in logical id order.
    func ruleResources(reference: GroupReference) -> [StructuredValue.Entry] {
        plan.standalone.map { item in
            .init(
                item.logicalID,
                .object([
                    .init("Type", .string(item.ingress ? "AWS::EC2::SecurityGroupIngress" : "AWS::EC2::SecurityGroupEgress")),
                    .init("Properties", rule(item.rule, ingress: item.ingress, standalone: item.owner, reference: reference)),
                ]))
        }
    }

    /// The standalone group-to-group rules, in logical id order, written without their trees:
    /// the same bytes as `ruleResources`, by one `RuleWriter`.
    func writtenRuleResources(reference: @escaping GroupReference) -> [WrittenEntry] {
        var writer = RuleWriter(self, reference: reference)
        return plan.standalone.map { item in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(512)
            let (newlines, plain) = writer.append(item.rule, ingress: item.ingress, owner: item.owner, to: &bytes)
            return WrittenEntry(key: item.logicalID, value: bytes, newlines: newlines, escaped: !plain) {
                .object([
                    .init("Type", .string(item.ingress ? "AWS::EC2::SecurityGroupIngress" : "AWS::EC2::SecurityGroupEgress")),
                    .init("Properties", rule(item.rule, ingress: item.ingress, standalone: item.owner, reference: reference)),
                ])
            }
        }
    }

    /// Writes rules as `rule` builds them, straight to bytes: the fixed parts from `Pieces`,
    /// each group's reference and each group-to-group rule's description (which depends on
    /// its direction and peer group alone) written once.
    struct RuleWriter {
        let emitter: AWSEmitter
        let reference: GroupReference
        /// Each group's reference, written at indent 8, by group index: its bytes, their
        /// newlines, and whether it has no backslash nor byte beyond ASCII.
        var references: [(bytes: [UInt8], newlines: Int, plain: Bool)?]
        /// The description of a rule to (even slots) or from (odd) each group, quoted, and
        /// whether it was written as it is.
        var descriptions: [[UInt8]?]
        var descriptionPlain: [Bool]

        init(_ emitter: AWSEmitter, reference: @escaping GroupReference) {
            self.emitter = emitter
            self.reference = reference
            references = Array(repeating: nil, count: emitter.groups.count)
            descriptions = Array(repeating: nil, count: 2 * emitter.groups.count)
            descriptionPlain = Array(repeating: false, count: 2 * emitter.groups.count)
        }

        /// Appends a rule: with an `owner`, as a standalone resource (indent 4, its properties
        /// naming the owner's group first); without, as an item of a group's inline rules
        /// (indent 10). Returns the newlines it wrote, and whether every string was written as
        /// it is (what `WrittenEntry` otherwise scans the bytes for).
        @discardableResult
        mutating func append(_ rule: SecurityGroupRule, ingress: Bool, owner: Int?, to out: inout [UInt8]) -> (newlines: Int, plain: Bool) {
            let pieces = owner == nil ? Pieces.inline : ingress ? Pieces.standaloneIngress : Pieces.standaloneEgress
            var newlines = pieces.newlines
            var plain = true
            out.append(contentsOf: pieces.start)
            if let owner {
                appendReference(owner, at: 8, newlines: &newlines, plain: &plain, to: &out)
                out.append(contentsOf: pieces.proto)
            }
            plain = JSONWriter.appendQuotedPlain(rule.proto, to: &out) && plain
            if AWSEmitter.hasPorts(rule) {
                out.append(contentsOf: pieces.fromPort)
                JSONWriter.appendInt(rule.fromPort, to: &out)
                out.append(contentsOf: pieces.toPort)
                JSONWriter.appendInt(rule.toPort, to: &out)
                newlines += 2
            }
            switch rule.peer {
            case .ipv4(let cidr), .ipv6(let cidr):
                if case .ipv4 = rule.peer { out.append(contentsOf: pieces.cidr) } else { out.append(contentsOf: pieces.cidrV6) }
                plain = JSONWriter.appendQuotedPlain(cidr, to: &out) && plain
                out.append(contentsOf: pieces.description)
                plain = JSONWriter.appendQuotedPlain(emitter.description(rule, ingress: ingress), to: &out) && plain
            case .group(let group):
                out.append(contentsOf: ingress ? pieces.source : pieces.destination)
                appendReference(group, at: pieces.valueIndent, newlines: &newlines, plain: &plain, to: &out)
                out.append(contentsOf: pieces.description)
                let slot = 2 * group + (ingress ? 1 : 0)
                if descriptions[slot] == nil {
                    var quoted: [UInt8] = []
                    descriptionPlain[slot] = JSONWriter.appendQuotedPlain(emitter.description(rule, ingress: ingress), to: &quoted)
                    descriptions[slot] = quoted
                }
                out.append(contentsOf: descriptions[slot] ?? [])
                plain = descriptionPlain[slot] && plain
            }
            out.append(contentsOf: pieces.end)
            return (newlines, plain)
        }

        /// A group's reference as a value at `indent`; its newlines and plainness (its bytes
        /// scanned once) added to the rule's. Where standalone rules place it (indent 8) it is
        /// written once and kept; elsewhere (an inline rule, which the templates never give a
        /// group peer) written each time at its own indent.
        private mutating func appendReference(_ group: Int, at indent: Int, newlines: inout Int, plain: inout Bool, to out: inout [UInt8]) {
            func written() -> (bytes: [UInt8], newlines: Int, plain: Bool) {
                var bytes: [UInt8] = []
                JSONWriter.append(self.reference(group), at: indent, to: &bytes)
                let scanned = bytes.withUnsafeBufferPointer(WrittenEntry.scan)
                return (bytes, scanned.newlines, !scanned.escaped)
            }
            let found: (bytes: [UInt8], newlines: Int, plain: Bool)
            if indent != 8 {
                found = written()
            } else if let known = references[group] {
                found = known
            } else {
                found = written()
                references[group] = found
            }
            out.append(contentsOf: found.bytes)
            newlines += found.newlines
            plain = plain && found.plain
        }

        /// The fixed parts of a rule in one of its three places: what comes before its
        /// protocol (for a standalone rule, before its owner's reference, then `proto` up to its
        /// protocol), the keys before its other values, and what closes it.
        /// A class: a rule takes its pieces with one retain, not one per piece.
        final class Pieces: Sendable {
            let start: [UInt8]
            let proto: [UInt8]
            let fromPort: [UInt8]
            let toPort: [UInt8]
            let cidr: [UInt8]
            let cidrV6: [UInt8]
            let source: [UInt8]
            let destination: [UInt8]
            let description: [UInt8]
            let end: [UInt8]
            /// The newlines of every rule written from these pieces, but for its ports' two and
            /// its references'.
            let newlines: Int

            /// The indent of the properties' values.
            let valueIndent: Int

            /// The keys of a rule's properties in an object at `indent`.
            init(in indent: Int, start: [UInt8], proto: [UInt8], end: [UInt8]) {
                typealias Piece = JSONWriter.Piece
                valueIndent = indent + 2
                self.start = start
                self.proto = proto
                fromPort = Piece.key("FromPort", in: indent)
                toPort = Piece.key("ToPort", in: indent)
                cidr = Piece.key("CidrIp", in: indent)
                cidrV6 = Piece.key("CidrIpv6", in: indent)
                source = Piece.key("SourceSecurityGroupId", in: indent)
                destination = Piece.key("DestinationSecurityGroupId", in: indent)
                description = Piece.key("Description", in: indent)
                self.end = end
                // One newline before each key (`cidr`, `source` and the others alike).
                newlines = [start, proto, cidr, description, end].reduce(0) { $0 + $1.filter { $0 == UInt8(ascii: "\n") }.count }
            }

            /// An item of a group's inline rules (an object at indent 10).
            static let inline = Pieces(
                in: 10, start: JSONWriter.Piece.key("IpProtocol", first: true, in: 10), proto: [], end: JSONWriter.Piece.close("}", at: 10))

            /// A standalone rule resource (an object at indent 4, its properties at 6).
            static func standalone(_ type: String) -> Pieces {
                typealias Piece = JSONWriter.Piece
                return Pieces(
                    in: 6,
                    start: Piece.key("Type", first: true, in: 4) + Piece.string(type) + Piece.key("Properties", in: 4)
                        + Piece.key("GroupId", first: true, in: 6),
                    proto: Piece.key("IpProtocol", in: 6), end: Piece.close("}", at: 6) + Piece.close("}", at: 4))
            }

            static let standaloneIngress = standalone("AWS::EC2::SecurityGroupIngress")
            static let standaloneEgress = standalone("AWS::EC2::SecurityGroupEgress")
        }
    }

    /// Ports (for icmp: type and code) mean something for tcp, udp and icmp only.
    static func hasPorts(_ rule: SecurityGroupRule) -> Bool { rule.proto == "tcp" || rule.proto == "udp" || rule.proto == "icmp" }

    /// A rule's description: its direction and peer.
    func description(_ rule: SecurityGroupRule, ingress: Bool) -> String {
        let peer: String
        switch rule.peer {
        case .ipv4(let cidr): peer = rule.isSentinel ? "no egress" : cidr
        case .ipv6(let cidr): peer = cidr
        case .group(let group): peer = groups[group].identity.map { "identity \(identities[$0].name)" } ?? "segment \(groups[group].segment ?? "")"
        }
        return awsText("palisade: \(ingress ? "from" : "to") \(peer)")
    }

    func rule(_ rule: SecurityGroupRule, ingress: Bool, standalone owner: Int?, reference: GroupReference) -> StructuredValue {
        var entries: [StructuredValue.Entry] = []
        if let owner { entries.append(.init("GroupId", reference(owner))) }
        entries.append(.init("IpProtocol", .string(rule.proto)))
        if Self.hasPorts(rule) {
            entries.append(.init("FromPort", .int(rule.fromPort)))
            entries.append(.init("ToPort", .int(rule.toPort)))
        }
        switch rule.peer {
        case .ipv4(let cidr): entries.append(.init("CidrIp", .string(cidr)))
        case .ipv6(let cidr): entries.append(.init("CidrIpv6", .string(cidr)))
        case .group(let group): entries.append(.init(ingress ? "SourceSecurityGroupId" : "DestinationSecurityGroupId", reference(group)))
        }
        entries.append(.init("Description", .string(description(rule, ingress: ingress))))
        return .object(entries)
    }

    func tag(_ key: String, _ value: String) -> StructuredValue {
        .object([.init("Key", .string(key)), .init("Value", .string(String(value.prefix(256))))])
    }
}

/// Text within EC2's description character set (`a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`), at most
/// 255 characters.
func awsText(_ text: String) -> String {
    let allowed = awsTextBytes
    if text.utf8.count <= 255, text.utf8.allSatisfy({ allowed[Int($0)] }) { return text }
    return String(String(text.map { awsTextCharacters.contains($0) ? $0 : " " }).prefix(255))
}

private let awsTextCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789. _-:/()#,@[]+=&;{}!$*")
/// Whether each byte is one of them (a table: one look-up a byte, no hashing).
private let awsTextBytes: [Bool] = {
    let bytes = Set(awsTextCharacters.flatMap(\.utf8))
    return (0..<256).map { bytes.contains(UInt8($0)) }
}()

/// The bytes `JSONWriter.write` gives `value` (without the final newline) when written at
/// `indent`: exact for strings that need no escape, an upper bound otherwise (an escape takes at
/// most six bytes per byte). Measures a resource without writing it.
func jsonSize(_ value: StructuredValue, indent: Int = 0) -> Int {
    switch value {
    case .array(let items) where !items.isEmpty:
        // "[\n", each item on its own line (indent + 2, the item, ",\n" or "\n"), then indent and "]".
        return 2 + items.reduce(0) { $0 + indent + 2 + jsonSize($1, indent: indent + 2) + 2 } - 1 + indent + 1
    case .object(let entries) where !entries.isEmpty:
        return 2 + entries.reduce(0) { $0 + indent + 2 + jsonStringSize($1.key) + 2 + jsonSize($1.value, indent: indent + 2) + 2 } - 1 + indent + 1
    case .array, .object: return 2
    case .string(let text): return jsonStringSize(text)
    case .int(let number):
        var digits = number < 0 ? 2 : 1
        var rest = number.magnitude
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    case .number(let text): return text.utf8.count
    case .bool(let flag): return flag ? 4 : 5
    case .null: return 4
    }
}

private func jsonStringSize(_ text: String) -> Int {
    func size(_ bytes: some Sequence<UInt8>) -> Int {
        var size = 2
        for byte in bytes {
            size += byte >= 0x20 && byte < 0x7F && byte != 0x22 && byte != 0x5C ? 1 : 6
        }
        return size
    }
    return text.utf8.withContiguousStorageIfAvailable(size) ?? size(text.utf8)
}
