import IR

struct ShadowedFlow: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL403", name: "shadowed-flow", category: .segmentation, severity: .warning,
        summary: "an allow flow is covered entirely by a broader one",
        rationale: "A redundant rule misleads reviewers: removing it changes nothing, tightening it changes nothing either.",
        fix: "Remove the narrower flow, or narrow the broader one.",
        messages: ["covered": "{flow} is covered entirely by {broader} at {origin}"],
        triggering: [twoWorkloads + "flows:\n  - {from: web, to: db, ports: [tcp]}\n  - ↓{from: web, to: db, ports: [tcp/5432]}\n"],
        nonTriggering: [twoWorkloads + "flows:\n  - {from: web, to: db, ports: [tcp/5432]}\n  - {from: db, to: web, ports: [tcp/80]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        let index = Self.flowsByWorkload(policy.flows)
        var findings: [Finding] = []
        for (position, flow) in policy.flows.enumerated() where flow.action == .allow {
            guard let anchor = flow.destinations.workloads.first ?? flow.sources.workloads.first else { continue }
            let broader = (index[anchor] ?? []).first { other in
                guard other != position else { return false }
                // The candidate's fields are read in place: a copy of the whole flow retains all of them.
                let covers =
                    Self.contains(policy.flows[other].sources, flow.sources) && Self.contains(policy.flows[other].destinations, flow.destinations)
                    && flow.ports.isSubset(of: policy.flows[other].ports)
                guard covers else { return false }
                // Two identical flows: report the later one only.
                let identical =
                    policy.flows[other].sources == flow.sources && policy.flows[other].destinations == flow.destinations
                    && policy.flows[other].ports == flow.ports
                return !identical || other < position
            }
            if let broader {
                let values = ["flow": flow.label, "broader": policy.flows[broader].label, "origin": "\(policy.flows[broader].origin)"]
                findings.append(Self.metadata.finding("covered", values, at: flow.origin, subject: subject(of: flow)))
            }
        }
        return findings
    }

    /// Allow flows indexed by a workload they name, so that comparing flows stays near-linear.
    static func flowsByWorkload(_ flows: [Flow]) -> [WorkloadID: [Int]] {
        var index: [WorkloadID: [Int]] = [:]
        for (position, flow) in flows.enumerated() where flow.action == .allow {
            for id in Set(flow.destinations.workloads + flow.sources.workloads) { index[id, default: []].append(position) }
        }
        return index
    }

    static func contains(_ outer: Endpoints, _ inner: Endpoints) -> Bool {
        // Most sides name a workload or two: looked for one by one, without building a set.
        let workloads =
            inner.workloads.count <= 8
            ? inner.workloads.allSatisfy { outer.workloads.contains($0) } : Set(inner.workloads).isSubset(of: outer.workloads)
        return workloads && inner.external.isSubset(of: outer.external)
    }
}
