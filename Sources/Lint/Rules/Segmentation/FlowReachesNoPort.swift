import IR

struct FlowReachesNoPort: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL405", name: "flow-reaches-no-port", category: .segmentation, severity: .warning,
        summary: "a flow reaches a workload on no port it listens on",
        rationale: """
            A flow to a segment or with a bare protocol is clipped to what each workload listens on; when nothing is left, \
            the flow is probably aimed at the wrong place.
            """,
        fix: "Name the workloads and ports meant, or add the port to the workload.",
        messages: ["no-port": "{flow} reaches {workload} on no port (it listens on {ports})"],
        triggering: [
            "version: 1\nname: t\nsegments: {s: {}}\nworkloads:\n  web: {segment: s, image: nginx:1.25, ports: [tcp/80]}\n"
                + "  dns: {segment: s, image: coredns:1.11, ports: [udp/53]}\nflows:\n  - ↓{from: any, to: segment:s, ports: [tcp/80]}\n"
        ],
        nonTriggering: [twoWorkloads + "flows:\n  - {from: any, to: web, ports: [tcp/80]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.flows.filter { $0.action == .allow }.flatMap { flow in
            flow.destinations.workloads.filter { flow.ports.intersection(policy.workloads[$0.index].listens).isEmpty }.map { id in
                let workload = policy.workloads[id.index]
                return Self.metadata.finding(
                    "no-port", ["flow": flow.label, "workload": workload.name, "ports": "\(workload.listens)"],
                    at: flow.origin, subject: "workload:\(workload.name)")
            }
        }
    }
}
