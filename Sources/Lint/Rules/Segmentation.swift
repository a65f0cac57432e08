import IR

// Segmentation rules: who may talk to whom.

/// Ports of administration and data stores that should never face every address.
let sensitivePorts = PortSet([22, 23, 445, 1433, 1521, 2379, 3306, 3389, 5432, 5900, 5984, 6379, 9200, 9300, 11211, 27017].map {
    PortRange(.tcp, $0, $0)
})

/// The label a finding about a flow uses as its subject: `flow:NAME`, or `flow:#N`.
func subject(of flow: Flow) -> String { "flow:\(flow.name ?? "#\(flow.index + 1)")" }

func isEveryAddress(_ set: ExternalSet) -> Bool { set.addresses.v4.isFull || set.addresses.v6.isFull }

let twoWorkloads = "version: 1\nname: t\nworkloads:\n  web: {image: nginx:1.25, ports: [tcp/80, tcp/22]}\n  db: {image: postgres:16, ports: [tcp/5432]}\n"

struct ExposedAdminPorts: LintRule {
    let description = RuleDescription(
        id: "PAL401", name: "exposed-admin-ports", severity: .error,
        summary: "every address may reach an administration or database port (22, 3389, 5432, 3306, 6379, 27017, 9200…)",
        rationale: "SSH, RDP and data stores facing the internet are the first thing scanners try.",
        fix: "Allow those ports from named networks (a bastion, the office) only.",
        triggering: [twoWorkloads + "flows:\n  - ↓{from: any, to: [web, db], ports: [tcp]}\n"],
        nonTriggering: [twoWorkloads + "networks: {office: [203.0.113.0/24]}\nflows:\n  - {from: any, to: web, ports: [tcp/80]}\n  - {from: office, to: web, ports: [tcp/22]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        var findings: [Finding] = []
        for flow in policy.flows where flow.action == .allow && isEveryAddress(flow.sources.external) {
            var exposures: [String] = []
            for id in flow.destinations.workloads {
                let workload = policy.workloads[id.index]
                let exposed = flow.ports.intersection(workload.listens).intersection(sensitivePorts).ranges.filter { range in
                    isEveryAddress(policy.intent.ingress[id]?.peers(range.proto, range.lower) ?? .empty)
                }
                if !exposed.isEmpty { exposures.append("\(workload.name) on \(PortSet(exposed))") }
            }
            guard !exposures.isEmpty else { continue }
            findings.append(description.finding(
                "\(flow.label) lets every address reach \(exposures.joined(separator: "; "))", at: flow.origin, subject: subject(of: flow)))
        }
        return findings
    }
}

struct EgressToAny: LintRule {
    let description = RuleDescription(
        id: "PAL402", name: "egress-to-any", severity: .warning,
        summary: "a flow lets workloads connect to every external address",
        rationale: "Unrestricted egress is how stolen data leaves and how malware calls home.",
        fix: "Name the destinations: networks of CIDRs or `dns:` names.",
        triggering: [twoWorkloads + "flows:\n  - ↓{from: web, to: any, ports: [tcp/443]}\n"],
        nonTriggering: [twoWorkloads + "networks: {stripe: [\"dns:api.stripe.com\"]}\nflows:\n  - {from: web, to: stripe, ports: [tcp/443]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.flows.filter { $0.action == .allow && isEveryAddress($0.destinations.external) && !$0.sources.workloads.isEmpty }.map { flow in
            description.finding("\(flow.label) lets \(flow.sources.workloads.map { policy.workloads[$0.index].name }.joined(separator: ", ")) reach every address on \(flow.ports)",
                                at: flow.origin, subject: subject(of: flow))
        }
    }
}

/// Allow flows indexed by a workload they name, so that comparing flows stays near-linear.
func flowsByWorkload(_ flows: [Flow]) -> [WorkloadID: [Int]] {
    var index: [WorkloadID: [Int]] = [:]
    for (position, flow) in flows.enumerated() where flow.action == .allow {
        for id in Set(flow.destinations.workloads + flow.sources.workloads) { index[id, default: []].append(position) }
    }
    return index
}

func contains(_ outer: Endpoints, _ inner: Endpoints) -> Bool {
    Set(inner.workloads).isSubset(of: outer.workloads) && inner.external.isSubset(of: outer.external)
}

struct ShadowedFlow: LintRule {
    let description = RuleDescription(
        id: "PAL403", name: "shadowed-flow", severity: .warning,
        summary: "an allow flow is covered entirely by a broader one",
        rationale: "A redundant rule misleads reviewers: removing it changes nothing, tightening it changes nothing either.",
        fix: "Remove the narrower flow, or narrow the broader one.",
        triggering: [twoWorkloads + "flows:\n  - {from: web, to: db, ports: [tcp]}\n  - ↓{from: web, to: db, ports: [tcp/5432]}\n"],
        nonTriggering: [twoWorkloads + "flows:\n  - {from: web, to: db, ports: [tcp/5432]}\n  - {from: db, to: web, ports: [tcp/80]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        let index = flowsByWorkload(policy.flows)
        var findings: [Finding] = []
        for (position, flow) in policy.flows.enumerated() where flow.action == .allow {
            guard let anchor = flow.destinations.workloads.first ?? flow.sources.workloads.first else { continue }
            let broader = (index[anchor] ?? []).first { other in
                guard other != position else { return false }
                let candidate = policy.flows[other]
                let covers = contains(candidate.sources, flow.sources) && contains(candidate.destinations, flow.destinations) && flow.ports.isSubset(of: candidate.ports)
                guard covers else { return false }
                // Two identical flows: report the later one only.
                let identical = candidate.sources == flow.sources && candidate.destinations == flow.destinations && candidate.ports == flow.ports
                return !identical || other < position
            }
            if let broader {
                findings.append(description.finding("\(flow.label) is covered entirely by \(policy.flows[broader].label) at \(policy.flows[broader].origin)",
                                                    at: flow.origin, subject: subject(of: flow)))
            }
        }
        return findings
    }
}

struct CancelledFlow: LintRule {
    let description = RuleDescription(
        id: "PAL404", name: "cancelled-flow", severity: .warning,
        summary: "an allow flow is cancelled entirely by deny flows",
        rationale: "An allow that denies take back completely allows nothing: one of the two is wrong.",
        fix: "Remove the allow, or narrow the deny.",
        triggering: [twoWorkloads + "flows:\n  - ↓{from: web, to: db, ports: [tcp/5432]}\n  - {action: deny, from: web, to: db, ports: [all]}\n"],
        nonTriggering: [twoWorkloads + "flows:\n  - {from: [web, db], to: db, ports: [tcp/5432]}\n  - {action: deny, from: web, to: db, ports: [all]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        guard policy.flows.contains(where: { $0.action == .deny }) else { return [] }
        return policy.flows.filter { $0.action == .allow }.compactMap { flow in
            let reachesSomething = !flow.destinations.external.isEmpty
                || flow.destinations.workloads.contains { !flow.ports.intersection(policy.workloads[$0.index].listens).isEmpty }
            guard reachesSomething, policy.intent.overlaps(from: flow.sources, to: flow.destinations, ports: flow.ports) == nil else { return nil }
            return description.finding("\(flow.label) allows nothing: deny flows take back all of it", at: flow.origin, subject: subject(of: flow))
        }
    }
}

struct UnreachedWorkload: LintRule {
    let description = RuleDescription(
        id: "PAL405", name: "flow-reaches-no-port", severity: .warning,
        summary: "a flow reaches a workload on no port it listens on",
        rationale: "A flow to a segment or with a bare protocol is clipped to what each workload listens on; when nothing is left, the flow is probably aimed at the wrong place.",
        fix: "Name the workloads and ports meant, or add the port to the workload.",
        triggering: ["version: 1\nname: t\nsegments: {s: {}}\nworkloads:\n  web: {segment: s, image: nginx:1.25, ports: [tcp/80]}\n  dns: {segment: s, image: coredns:1.11, ports: [udp/53]}\nflows:\n  - ↓{from: any, to: segment:s, ports: [tcp/80]}\n"],
        nonTriggering: [twoWorkloads + "flows:\n  - {from: any, to: web, ports: [tcp/80]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.flows.filter { $0.action == .allow }.flatMap { flow in
            flow.destinations.workloads.filter { flow.ports.intersection(policy.workloads[$0.index].listens).isEmpty }.map { id in
                let workload = policy.workloads[id.index]
                return description.finding("\(flow.label) reaches \(workload.name) on no port (it listens on \(workload.listens))",
                                           at: flow.origin, subject: "workload:\(workload.name)")
            }
        }
    }
}

struct IsolatedWorkload: LintRule {
    let description = RuleDescription(
        id: "PAL406", name: "isolated-workload", severity: .note,
        summary: "a workload is reachable from nothing and reaches nothing",
        rationale: "A workload no flow touches is either dead or missing its flows: either way the spec is not what runs.",
        fix: "Add the flows it needs, or remove it.",
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
            description.finding("\(workload.name) is reachable from nothing and reaches nothing", at: workload.origin, subject: "workload:\(workload.name)")
        }
    }
}

struct BroadCIDR: LintRule {
    let description = RuleDescription(
        id: "PAL407", name: "broad-cidr", severity: .warning,
        summary: "a network holds a range broader than lint.min_prefix (default /16 for IPv4, /32 for IPv6)",
        rationale: "A /8 is sixteen million addresses: usually a shortcut for a few that were not looked up.",
        fix: "List the ranges really meant, or raise lint.min_prefix deliberately.",
        triggering: ["version: 1\nname: t\nnetworks:\n  ↓corp: [10.0.0.0/8]\nworkloads: {}\n"],
        nonTriggering: ["version: 1\nname: t\nnetworks:\n  corp: [10.20.0.0/16, \"2001:db8::/48\"]\nworkloads: {}\n",
                        "version: 1\nname: t\nnetworks:\n  corp: [10.0.0.0/8]\nworkloads: {}\nlint: {min_prefix: {ipv4: 8}}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.networks.compactMap { network in
            let broad = network.members.addresses.cidrs.filter { cidr in
                switch cidr {
                case let .v4(_, prefix): prefix < policy.lint.minimumIPv4Prefix
                case let .v6(_, prefix): prefix < policy.lint.minimumIPv6Prefix
                }
            }
            guard !broad.isEmpty else { return nil }
            return description.finding("network \(network.name) holds \(broad.map(\.description).joined(separator: ", "))",
                                       at: network.origin, subject: "network:\(network.name)")
        }
    }
}
