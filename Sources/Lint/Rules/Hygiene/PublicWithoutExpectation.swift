import IR

struct PublicWithoutExpectation: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL602", name: "public-without-expectation", category: .hygiene, severity: .warning,
        summary: "a workload every address may reach is named by no expectation",
        rationale: "What faces the internet deserves an assertion (expect) that fails the build if its exposure changes.",
        fix: "Add an `expect` entry naming the workload: allow what should be open, deny what must stay closed.",
        messages: ["unasserted": "{workload} is reachable from every address, and no expectation names it"],
        triggering: ["version: 1\nname: t\nworkloads:\n  ↓web: {image: nginx:1.25, ports: [tcp/443]}\nflows:\n  - {from: any, to: web, ports: [tcp/443]}\n"],
        nonTriggering: [
            "version: 1\nname: t\nworkloads:\n  web: {image: nginx:1.25, ports: [tcp/443]}\nflows:\n  - {from: any, to: web, ports: [tcp/443]}\n"
                + "expect:\n  - {allow: {from: any, to: web, ports: [tcp/443]}}\n"
        ])

    func check(_ policy: Policy) -> [Finding] {
        let mentioned = Set(policy.expectations.flatMap { $0.destinations.workloads + $0.sources.workloads })
        return policy.workloads.filter { workload in
            !mentioned.contains(workload.id) && (policy.intent.ingress[workload.id]?.entries.contains { isEveryAddress($0.peers) } ?? false)
        }.map { workload in
            Self.metadata.finding("unasserted", ["workload": workload.name], at: workload.origin, subject: "workload:\(workload.name)")
        }
    }
}
