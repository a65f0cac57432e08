import IR

struct EgressToAny: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL402", name: "egress-to-any", category: .segmentation, severity: .warning,
        summary: "a flow lets workloads connect to every external address",
        rationale: "Unrestricted egress is how stolen data leaves and how malware calls home.",
        fix: "Name the destinations: networks of CIDRs or `dns:` names.",
        messages: ["egress": "{flow} lets {sources} reach every address on {ports}"],
        triggering: [twoWorkloads + "flows:\n  - ↓{from: web, to: any, ports: [tcp/443]}\n"],
        nonTriggering: [twoWorkloads + "networks: {stripe: [\"dns:api.stripe.com\"]}\nflows:\n  - {from: web, to: stripe, ports: [tcp/443]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.flows.filter { $0.action == .allow && isEveryAddress($0.destinations.external) && !$0.sources.workloads.isEmpty }.map { flow in
            let sources = flow.sources.workloads.map { policy.workloads[$0.index].name }.joined(separator: ", ")
            return Self.metadata.finding(
                "egress", ["flow": flow.label, "sources": sources, "ports": "\(flow.ports)"],
                at: flow.origin, subject: subject(of: flow))
        }
    }
}
