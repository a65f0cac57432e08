import IR

struct UnnamedFlow: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL601", name: "unnamed-flow", category: .hygiene, severity: .note,
        summary: "a flow without a name or description, in a spec of more than 20 flows",
        rationale: "In a large spec reviewers and reports refer to flows by name; `flow #37` explains nothing.",
        fix: "Give the flow a `name` (and a `description` saying why it exists).",
        messages: ["unnamed": "{flow} has no name or description"],
        triggering: [
            "version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, ports: [tcp/80]}\nflows:\n"
                + (1...20).map { "  - {name: f\($0), from: a, to: a, ports: [tcp/80]}\n" }.joined() + "  - ↓{from: a, to: a, ports: [tcp/80]}\n"
        ],
        nonTriggering: ["version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, ports: [tcp/80]}\nflows:\n  - {from: a, to: a, ports: [tcp/80]}\n"])

    /// More flows than this and unnamed, undescribed flows become hard to review.
    static let largeSpecFlows = 20

    func check(_ policy: Policy) -> [Finding] {
        guard policy.flows.count > Self.largeSpecFlows else { return [] }
        return policy.flows.filter { $0.name == nil && $0.description == nil }.map { flow in
            Self.metadata.finding("unnamed", ["flow": flow.label], at: flow.origin, subject: subject(of: flow))
        }
    }
}
