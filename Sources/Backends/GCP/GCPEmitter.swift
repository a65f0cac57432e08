import IR
import YAML

/// Writes a `GCPPlan` as a JSON array of compute v1 `Firewall` resources.
struct GCPEmitter {
    let plan: GCPPlan

    /// The one file of a policy.
    static let file = "firewall-rules.json"

    func file() -> OutputFile {
        OutputFile(path: Self.file, contents: JSONWriter.write(.array(plan.rules.map(Self.json))))
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
