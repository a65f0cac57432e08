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
                #expect(plan.externalCount(rules) == reference.count)
                #expect(reference.contains { $0.proto == "icmp" } == ports.protocols.contains(.icmp))
            }
        }
    }

    /// AWS's count of the rules towards external peers, made without spelling the address
    /// blocks, is the number of rules `external` makes.
    @Test func awsExternalCountIsTheRulesCount() throws {
        func check(_ policy: Policy, _ gaps: GapPolicy) throws {
            let plan = try AWSPlan(policy: policy, options: AWSOptions.parse(options(.aws, gaps)).options)
            for rules in Array(plan.firewall.ingress.values) + Array(plan.firewall.egress.values) {
                #expect(plan.externalCount(rules) == plan.external(rules).count, "\(policy.name) \(gaps)")
            }
        }
        for sample in backendSamples {
            for gaps in [GapPolicy.widen, .narrow] { try check(try samplePolicy(sample), gaps) }
        }
        try forRandomSpecs(seed: 47, count: 40, check)
    }

    /// GCP's rule names, appended piece by piece, are the pieces joined by dashes, with or
    /// without a peer.
    @Test func gcpNamesAreThePiecesJoined() throws {
        let plan = try GCPPlan(policy: try samplePolicy("shop.yaml"), options: GCPOptions.parse(options(.gcp, .widen)).options)
        for identity in ["", "db", "web-frontend"] {
            for what in ["", "in-from", "deny-out-v6"] {
                for peer in [nil, "", "any-v4", "catalog"] as [String?] {
                    let reference = [plan.policy.name, identity, what, peer].compactMap { $0 }.joined(separator: "-")
                    #expect(plan.name(identity, what, peer) == reference)
                }
            }
        }
    }

    /// AWS's rules for a port set, built in order, are the same rules sorted by protocol text
    /// and ports (the order they were once sorted into), for every peer family and gap policy,
    /// on the samples' port sets and on random ones.
    @Test func awsRulesComeInProtocolAndPortOrder() throws {
        func check(_ plan: AWSPlan, _ ports: PortSet) {
            for peer in [SecurityGroupRule.Peer.ipv4("10.0.0.0/8"), .ipv6("fd00::/8"), .group(0)] {
                let rules = plan.rules(ports, peer: peer)
                let reference = rules.sorted { ($0.proto, $0.fromPort, $0.toPort) < ($1.proto, $1.fromPort, $1.toPort) }
                #expect(rules == reference, "\(ports) \(peer)")
                // Every range of the set is there: TCP and UDP exactly, SCTP and ICMP by protocol.
                let tcpUDP = ports.ranges.filter { $0.proto == .tcp || $0.proto == .udp }
                #expect(rules.filter { $0.proto == "tcp" || $0.proto == "udp" }.count == tcpUDP.count)
                #expect(rules.contains { $0.proto.hasPrefix("icmp") } == ports.protocols.contains(.icmp))
            }
        }
        var random = SeededGenerator(seed: 43)
        for gaps in [GapPolicy.widen, .narrow] {
            let plan = try AWSPlan(policy: try samplePolicy("shop.yaml"), options: AWSOptions.parse(options(.aws, gaps)).options)
            for sample in backendSamples {
                let firewall = try AWSPlan(policy: try samplePolicy(sample), options: AWSOptions.parse(options(.aws, gaps)).options).firewall
                for ports in firewall.between.values { check(plan, ports) }
                for rules in Array(firewall.ingress.values) + Array(firewall.egress.values) {
                    for entry in rules.entries { check(plan, entry.ports) }
                }
            }
            for _ in 0..<300 {
                var ranges: [PortRange] = []
                for _ in 0..<Int.random(in: 0...8, using: &random) {
                    let proto = TransportProtocol.allCases.randomElement(using: &random)!
                    let low = Int.random(in: 1...65535, using: &random)
                    let high = Bool.random(using: &random) ? low : Int.random(in: low...65535, using: &random)
                    ranges.append(PortRange(proto, low, high))
                }
                check(plan, PortSet(ranges))
            }
        }
    }
}
