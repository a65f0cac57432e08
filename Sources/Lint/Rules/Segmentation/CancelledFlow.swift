import IR

struct CancelledFlow: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL404", name: "cancelled-flow", category: .segmentation, severity: .warning,
        summary: "an allow flow is cancelled entirely by deny flows",
        rationale: "An allow that denies take back completely allows nothing: one of the two is wrong.",
        fix: "Remove the allow, or narrow the deny.",
        messages: ["cancelled": "{flow} allows nothing: deny flows take back all of it"],
        triggering: [twoWorkloads + "flows:\n  - ↓{from: web, to: db, ports: [tcp/5432]}\n  - {action: deny, from: web, to: db, ports: [all]}\n"],
        nonTriggering: [twoWorkloads + "flows:\n  - {from: [web, db], to: db, ports: [tcp/5432]}\n  - {action: deny, from: web, to: db, ports: [all]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        guard policy.flows.contains(where: { $0.action == .deny }) else { return [] }
        return policy.flows.filter { $0.action == .allow }.compactMap { flow in
            let reachesSomething =
                !flow.destinations.external.isEmpty
                || flow.destinations.workloads.contains { !flow.ports.intersection(policy.workloads[$0.index].listens).isEmpty }
            guard reachesSomething, policy.intent.overlaps(from: flow.sources, to: flow.destinations, ports: flow.ports) == nil else { return nil }
            return Self.metadata.finding("cancelled", ["flow": flow.label], at: flow.origin, subject: subject(of: flow))
        }
    }
}
