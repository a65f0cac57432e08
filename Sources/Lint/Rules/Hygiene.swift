import IR

// Hygiene rules: what keeps a spec reviewable.

/// More flows than this and unnamed, undescribed flows become hard to review.
let largeSpecFlows = 20

struct UnnamedFlows: LintRule {
    let description = RuleDescription(
        id: "PAL601", name: "unnamed-flow", severity: .note,
        summary: "a flow without a name or description, in a spec of more than 20 flows",
        rationale: "In a large spec reviewers and reports refer to flows by name; `flow #37` explains nothing.",
        fix: "Give the flow a `name` (and a `description` saying why it exists).",
        triggering: ["version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, ports: [tcp/80]}\nflows:\n" + (1...20).map { "  - {name: f\($0), from: a, to: a, ports: [tcp/80]}\n" }.joined() + "  - ↓{from: a, to: a, ports: [tcp/80]}\n"],
        nonTriggering: ["version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, ports: [tcp/80]}\nflows:\n  - {from: a, to: a, ports: [tcp/80]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        guard policy.flows.count > largeSpecFlows else { return [] }
        return policy.flows.filter { $0.name == nil && $0.description == nil }.map { flow in
            description.finding("\(flow.label) has no name or description", at: flow.origin, subject: subject(of: flow))
        }
    }
}

struct PublicWorkloadWithoutExpectation: LintRule {
    let description = RuleDescription(
        id: "PAL602", name: "public-without-expectation", severity: .warning,
        summary: "a workload every address may reach is named by no expectation",
        rationale: "What faces the internet deserves an assertion (expect) that fails the build if its exposure changes.",
        fix: "Add an `expect` entry naming the workload: allow what should be open, deny what must stay closed.",
        triggering: ["version: 1\nname: t\nworkloads:\n  ↓web: {image: nginx:1.25, ports: [tcp/443]}\nflows:\n  - {from: any, to: web, ports: [tcp/443]}\n"],
        nonTriggering: ["version: 1\nname: t\nworkloads:\n  web: {image: nginx:1.25, ports: [tcp/443]}\nflows:\n  - {from: any, to: web, ports: [tcp/443]}\nexpect:\n  - {allow: {from: any, to: web, ports: [tcp/443]}}\n"])

    func check(_ policy: Policy) -> [Finding] {
        let mentioned = Set(policy.expectations.flatMap { $0.destinations.workloads + $0.sources.workloads })
        return policy.workloads.filter { workload in
            !mentioned.contains(workload.id) && (policy.intent.ingress[workload.id]?.entries.contains { isEveryAddress($0.peers) } ?? false)
        }.map { workload in
            description.finding("\(workload.name) is reachable from every address, and no expectation names it", at: workload.origin, subject: "workload:\(workload.name)")
        }
    }
}
