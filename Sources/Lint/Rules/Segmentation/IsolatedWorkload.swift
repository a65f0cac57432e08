import IR

struct IsolatedWorkload: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL406", name: "isolated-workload", category: .segmentation, severity: .note,
        summary: "a workload is reachable from nothing and reaches nothing",
        rationale: "A workload no flow touches is either dead or missing its flows: either way the spec is not what runs.",
        fix: "Add the flows it needs, or remove it.",
        messages: ["isolated": "{workload} is reachable from nothing and reaches nothing"],
        triggering: ["version: 1\nname: t\nworkloads:\n  ↓lonely: {image: nginx:1.25, ports: [tcp/80]}\n"],
        nonTriggering: [twoWorkloads + "flows:\n  - {from: web, to: db, ports: [tcp/5432]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        var touched = Set<WorkloadID>()
        for pair in policy.intent.betweenWorkloads.keys {
            touched.insert(pair.source)
            touched.insert(pair.destination)
        }
        touched.formUnion(policy.intent.ingress.keys)
        touched.formUnion(policy.intent.egress.keys)
        return policy.workloads.filter { !touched.contains($0.id) }.map { workload in
            Self.metadata.finding("isolated", ["workload": workload.name], at: workload.origin, subject: "workload:\(workload.name)")
        }
    }
}
