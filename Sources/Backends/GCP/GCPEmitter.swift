import IR
import YAML

/// Writes a `GCPPlan` as a JSON array of compute v1 `Firewall` resources.
struct GCPEmitter {
    let plan: GCPPlan

    /// The one file of a policy.
    static let file = "firewall-rules.json"

    /// The rules written one by one without their trees, each in place in the file's one
    /// buffer: the same bytes as `treeFile`.
    func file() -> OutputFile {
        let rules = plan.rules
        var out: [UInt8] = []
        JSONWriter.appendArray(count: rules.count, at: 0, to: &out) { index, out in Self.append(rules[index], to: &out) }
        out.append(UInt8(ascii: "\n"))
        return OutputFile(path: Self.file, text: ChunkedText(bytes: out))
    }

    /// The file from the rules' trees (`json`): the reference `file` is tested against.
    func treeFile() -> OutputFile {
        OutputFile(path: Self.file, contents: JSONWriter.write(.array(plan.rules.map(Self.json))))
    }

    /// Appends a rule's bytes as `JSONWriter` writes `json(rule)` as an item of the file's array.
    static func append(_ rule: GCPPlan.Rule, to out: inout [UInt8]) {
        JSONWriter.ObjectWriter.write(at: 2, onto: &out) { entries in
            entries.string("name", rule.name)
            entries.string("description", rule.description)
            entries.string("network", rule.network)
            entries.string("direction", rule.direction.rawValue)
            entries.int("priority", rule.priority)
            if !rule.sourceRanges.isEmpty { entries.strings("sourceRanges", rule.sourceRanges) }
            if !rule.destinationRanges.isEmpty { entries.strings("destinationRanges", rule.destinationRanges) }
            if !rule.sourceServiceAccounts.isEmpty { entries.strings("sourceServiceAccounts", rule.sourceServiceAccounts) }
            if !rule.targetServiceAccounts.isEmpty { entries.strings("targetServiceAccounts", rule.targetServiceAccounts) }
            entries.array(rule.action == .allow ? "allowed" : "denied", count: rule.matches.count) { index, out in
                JSONWriter.ObjectWriter.write(at: 6, onto: &out) { fields in
                    fields.string("IPProtocol", rule.matches[index].proto.name)
                    if !rule.matches[index].ports.isEmpty { fields.strings("ports", rule.matches[index].ports) }
                }
            }
        }
    }

    static func json(_ rule: GCPPlan.Rule) -> StructuredValue {
        func strings(_ values: [String]) -> StructuredValue { .array(values.map { .string($0) }) }
        var entries: [StructuredValue.Entry] = [
            .init("name", .string(rule.name)), .init("description", .string(rule.description)), .init("network", .string(rule.network)),
            .init("direction", .string(rule.direction.rawValue)), .init("priority", .int(rule.priority)),
        ]
        if !rule.sourceRanges.isEmpty { entries.append(.init("sourceRanges", strings(rule.sourceRanges))) }
        if !rule.destinationRanges.isEmpty { entries.append(.init("destinationRanges", strings(rule.destinationRanges))) }
        if !rule.sourceServiceAccounts.isEmpty { entries.append(.init("sourceServiceAccounts", strings(rule.sourceServiceAccounts))) }
        if !rule.targetServiceAccounts.isEmpty { entries.append(.init("targetServiceAccounts", strings(rule.targetServiceAccounts))) }
        entries.append(
            .init(
                rule.action == .allow ? "allowed" : "denied",
                .array(
                    rule.matches.map { match in
                        var fields: [StructuredValue.Entry] = [.init("IPProtocol", .string(match.proto.name))]
                        if !match.ports.isEmpty { fields.append(.init("ports", strings(match.ports))) }
                        return .object(fields)
                    })))
        return .object(entries)
    }
}
