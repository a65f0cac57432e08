import IR

struct ExposedAdminPorts: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL401", name: "exposed-admin-ports", category: .segmentation, severity: .error,
        summary: "every address may reach an administration or database port (22, 3389, 5432, 3306, 6379, 27017, 9200…)",
        rationale: "SSH, RDP and data stores facing the internet are the first thing scanners try.",
        fix: "Allow those ports from named networks (a bastion, the office) only.",
        messages: ["exposed": "{flow} lets every address reach {exposures}"],
        triggering: [twoWorkloads + "flows:\n  - ↓{from: any, to: [web, db], ports: [tcp]}\n"],
        nonTriggering: [
            twoWorkloads + "networks: {office: [203.0.113.0/24]}\nflows:\n  - {from: any, to: web, ports: [tcp/80]}\n"
                + "  - {from: office, to: web, ports: [tcp/22]}\n"
        ])

    /// Ports of administration and data stores that should never face every address.
    static let sensitivePorts = PortSet(
        [22, 23, 445, 1433, 1521, 2379, 3306, 3389, 5432, 5900, 5984, 6379, 9200, 9300, 11211, 27017].map {
            PortRange(.tcp, $0, $0)
        })

    func check(_ policy: Policy) -> [Finding] {
        var findings: [Finding] = []
        for flow in policy.flows where flow.action == .allow && isEveryAddress(flow.sources.external) {
            var exposures: [String] = []
            for id in flow.destinations.workloads {
                let workload = policy.workloads[id.index]
                let exposed = flow.ports.intersection(workload.listens).intersection(Self.sensitivePorts).ranges.filter { range in
                    isEveryAddress(policy.intent.ingress[id]?.peers(range.proto, range.lower) ?? .empty)
                }
                if !exposed.isEmpty { exposures.append("\(workload.name) on \(PortSet(exposed))") }
            }
            guard !exposures.isEmpty else { continue }
            findings.append(
                Self.metadata.finding(
                    "exposed", ["flow": flow.label, "exposures": exposures.joined(separator: "; ")],
                    at: flow.origin, subject: subject(of: flow)))
        }
        return findings
    }
}
