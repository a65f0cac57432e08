import IR
import YAML

/// Gaps as JSON, from their fields: what `compare --format json` lists per target.
enum GapJSON {
    /// `{kind, control, target, subject, reason, message, location, outside_scope}`; `subject`
    /// holds one key naming what the gap is about (`connection`, `runtime`, `secrets`, `grant`,
    /// `image_policy`, `expectation`); `outside_scope`: the target does not cover the gap's
    /// control at all (`TargetGaps`).
    static func value(_ gap: Gap, outsideScope: Bool) -> StructuredValue {
        .object([
            .init("kind", .string(gap.kind.rawValue)),
            .init("control", .string(gap.capability.rawValue)),
            .init("target", .string(gap.target.rawValue)),
            .init("subject", subject(gap.subject)),
            .init("reason", .string(gap.reason)),
            .init("message", .string(gap.message)),
            .init("location", gap.origin.map { .string($0.description) } ?? .null),
            .init("outside_scope", .bool(outsideScope)),
        ])
    }

    static func subject(_ subject: Gap.Subject) -> StructuredValue {
        switch subject {
        case .connection(let connection):
            return .object([.init("connection", self.connection(connection))])
        case .runtime(let workload, let key):
            return .object([.init("runtime", .object([.init("workload", .string(workload)), .init("key", .string(key.name))]))])
        case .secrets(let workload):
            return .object([.init("secrets", .object([.init("workload", .string(workload))]))])
        case .grant(let identity, let role):
            return .object([.init("grant", .object([.init("identity", .string(identity)), .init("role", .string(role))]))])
        case .imagePolicy:
            return .object([.init("image_policy", .object([]))])
        case .expectation(let kind, let witness):
            return .object([.init("expectation", .object([.init("kind", .string(kind.rawValue)), .init("witness", connection(witness))]))])
        }
    }

    /// `{from, to, ports}` with typed endpoints and the port ranges.
    static func connection(_ connection: Connection) -> StructuredValue {
        .object([
            .init("from", endpoint(connection.source)),
            .init("to", endpoint(connection.destination)),
            .init("ports", .array(connection.ports.ranges.map { .string($0.description) })),
        ])
    }

    /// `{workload}`, `{segment}`, `{platform}`, or `{external: {addresses, dns, dns_all_except}}`:
    /// with `dns_all_except` the set holds every `dns:` name but those listed.
    static func endpoint(_ endpoint: Endpoint) -> StructuredValue {
        switch endpoint {
        case .workload(let name): .object([.init("workload", .string(name))])
        case .segment(let name): .object([.init("segment", .string(name))])
        case .platform(let words): .object([.init("platform", .string(words))])
        case .workloads(let names): .object([.init("workloads", .array(names.map { .string($0) }))])
        case .external(let set):
            .object([
                .init(
                    "external",
                    .object([
                        .init("addresses", .array(set.addresses.cidrs.map { .string($0.description) })),
                        .init("dns", .array(set.dns.sortedNames.map { .string($0) })),
                        .init("dns_all_except", .bool(set.dns.allExcept)),
                    ]))
            ])
        }
    }
}
