import IR
import TestSupport
import Testing

@testable import Backends

/// The cloud plans' shortcuts against the direct way: the same rules.
@Suite struct CloudPlanTests {
    /// AWS's rules towards external peers, made once per entry and family and given each
    /// address block, are the rules made for each block on its own.
    @Test func awsExternalRulesAreEachBlocksRules() throws {
        func check(_ policy: Policy, _ gaps: GapPolicy) throws {
            let plan = try AWSPlan(policy: policy, options: AWSOptions.parse(options(.aws, gaps)).options)
            for rules in Array(plan.firewall.ingress.values) + Array(plan.firewall.egress.values) {
                let reference = rules.entries.flatMap { entry in
                    entry.peers.addresses.cidrs.flatMap { cidr in
                        plan.rules(entry.ports, peer: cidr.isIPv4 ? .ipv4(cidr.description) : .ipv6(cidr.description))
                    }
                }
                #expect(plan.external(rules) == reference, "\(policy.name) \(gaps)")
            }
        }
        for sample in backendSamples {
            for gaps in [GapPolicy.widen, .narrow] { try check(try samplePolicy(sample), gaps) }
        }
        try forRandomSpecs(seed: 41, count: 40, check)
        // Both families in one entry, with ICMP (whose rule depends on the family) and SCTP.
        var parser = AddressRanges()
        let addresses = parser.addresses(["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "fd00::/8"])
        let portSets = [
            PortSet(PortRange(.tcp, 443, 443)).union(.whole(.icmp)), PortSet.all, PortSet(PortRange(.udp, 53, 53)).union(PortSet(PortRange(.sctp, 5, 9))),
        ]
        for gaps in [GapPolicy.widen, .narrow] {
            let plan = try AWSPlan(policy: try samplePolicy("shop.yaml"), options: AWSOptions.parse(options(.aws, gaps)).options)
            for ports in portSets {
                let rules = ExternalRules(entries: [.init(ports: ports, peers: ExternalSet(addresses: addresses))])
                let reference = addresses.cidrs.flatMap { cidr in
                    plan.rules(ports, peer: cidr.isIPv4 ? .ipv4(cidr.description) : .ipv6(cidr.description))
                }
                #expect(plan.external(rules) == reference)
                #expect(reference.contains { $0.proto == "icmp" } == ports.protocols.contains(.icmp))
            }
        }
    }
}
