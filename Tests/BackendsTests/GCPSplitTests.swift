import Foundation
import IR
import TestSupport
import Testing

@testable import Backends

/// GCP's per-rule limits are met by splitting rules, never by refusing: every split reads
/// back exactly, and the parts are named after what they hold.
@Suite struct GCPSplitTests {
    let backend = GCPBackend()

    func policy(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Policy {
        let output = compileSpec(text)
        return try #require(output.policy, "\(output.diagnostics)", sourceLocation: sourceLocation)
    }

    func rules(_ policy: Policy, _ extra: [String: OptionValue] = [:]) throws -> [GCPPlan.Rule] {
        try GCPPlan(policy: policy, options: GCPOptions.parse(options(.gcp, .widen, extra)).options).rules
    }

    /// Compiles, checks every rule against the limits, and reads the file back: exactly the
    /// intent, but for the one documented widening (egress between workloads opens the source's
    /// ports towards the internal ranges, `inside` here).
    @discardableResult
    func checkExact(
        _ policy: Policy, _ extra: [String: OptionValue] = [:], inside: AddressSet = GCPReader.addresses(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [GCPPlan.Rule] {
        let (emission, read) = try checkRoundTrip(backend, policy, options(.gcp, .widen, extra), sourceLocation: sourceLocation)
        #expect(policy.intent.subtracting(read.relation).isEmpty, sourceLocation: sourceLocation)
        let widened = read.relation.subtracting(policy.intent)
        #expect(widened.betweenWorkloads.isEmpty && widened.ingress.isEmpty, sourceLocation: sourceLocation)
        #expect(
            widened.egress.values.allSatisfy { $0.entries.allSatisfy { $0.peers.addresses.isSubset(of: inside) && $0.peers.dns.isEmpty } },
            sourceLocation: sourceLocation)
        #expect(emission.narrowed.isEmpty, sourceLocation: sourceLocation)
        let rules = try rules(policy, extra)
        for rule in rules { #expect(GCPRuleLimits.problems(rule) == [], "\(rule.name)", sourceLocation: sourceLocation) }
        #expect(Set(rules.map(\.name)).count == rules.count, sourceLocation: sourceLocation)
        return rules
    }

    /// `count` disjoint /24s inside 10.0.0.0/8, every other one (so none merge).
    static func cidrs(_ count: Int, from start: Int = 0) -> [String] {
        (start..<start + count).map { "10.\($0 * 2 / 256).\($0 * 2 % 256).0/24" }
    }

    static func spec(networks: String, flows: String, apiPorts: String = "[tcp/443]", targets: String = "") -> String {
        """
        version: 1
        name: t
        networks:
        \(networks)
        workloads:
          api: {image: nginx:1.25, ports: \(apiPorts)}
          web: {image: nginx:1.25, ports: [tcp/8080]}
          db: {image: nginx:1.25, ports: [tcp/5432]}
        flows:
        \(flows)
        \(targets)
        """
    }

    @Test func aWorkloadReachableFromThreeHundredNetworksHasARulePerNetwork() throws {
        let networks = Self.cidrs(300).enumerated().map { "  n\(String(format: "%03d", $0.offset)): [\($0.element)]" }.joined(separator: "\n")
        let flows = (0..<300).map { "  - {from: n\(String(format: "%03d", $0)), to: api, ports: [tcp/443]}" }.joined(separator: "\n")
        let rules = try checkExact(try policy(Self.spec(networks: networks, flows: flows)))
        #expect(rules.filter { $0.name.hasPrefix("t-api-in-from-n") }.count == 300)
        #expect(rules.contains { $0.name == "t-api-in-from-n042-v4" && $0.sourceRanges == [Self.cidrs(300)[42]] })
    }

    @Test func aNetworkOfThreeHundredRangesSplitsByAddressBlock() throws {
        let spec = Self.spec(
            networks: "  many: [\(Self.cidrs(300).joined(separator: ", "))]", flows: "  - {from: many, to: api, ports: [tcp/443]}")
        let rules = try checkExact(try policy(spec)).filter { $0.name.hasPrefix("t-api-in-from-many-v4") }
        // 10.0.0.0/8 halved until each part holds at most 256: the /24s below 10.2.0.0 and the rest.
        #expect(rules.map(\.name) == ["t-api-in-from-many-v4-10-0-0-0-15", "t-api-in-from-many-v4-10-2-0-0-15"])
        #expect(rules.map(\.sourceRanges.count) == [256, 44])
        #expect(rules.allSatisfy { $0.priority == GCPPlan.allowPriority && $0.matches == [GCPPlan.Rule.Match(proto: .tcp, ports: ["443"])] })
    }

    @Test func everythingButThreeHundredNetworksSplitsByAddressBlock() throws {
        let networks = Self.cidrs(300).enumerated().map { "  n\(String(format: "%03d", $0.offset)): [\($0.element)]" }.joined(separator: "\n")
        let denies = (0..<300).map { "  - {from: n\(String(format: "%03d", $0)), to: api, ports: [all], action: deny}" }.joined(separator: "\n")
        let spec = Self.spec(networks: networks, flows: "  - {from: any, to: api, ports: [tcp/443]}\n" + denies)
        let rules = try checkExact(try policy(spec)).filter { $0.targetServiceAccounts.first?.hasPrefix("pal-api@") == true && !$0.sourceRanges.isEmpty }
        #expect(rules.count > 2)
        #expect(rules.allSatisfy { $0.sourceRanges.count <= GCPRuleLimits.ranges })
    }

    @Test func aWorkloadReachableFromMoreThanTenServiceAccounts() throws {
        let clients = (1...12).map { "  client\($0): {image: nginx:1.25}" }.joined(separator: "\n")
        let spec = """
            version: 1
            name: t
            workloads:
              api: {image: nginx:1.25, ports: [tcp/443]}
            \(clients)
            flows:
              - {from: [\((1...12).map { "client\($0)" }.joined(separator: ", "))], to: api, ports: [tcp/443]}
            """
        let rules = try checkExact(try policy(spec))
        #expect(rules.filter { $0.name.hasPrefix("t-api-in-from-client") }.count == 12)
    }

    @Test func moreThan256PortsSplitByProtocolAndPortBlock() throws {
        // 300 single ports 1000, 1002, …, 1598 and one udp port: 301 port strings.
        let ports = "[" + (0..<300).map { "tcp/\(1000 + 2 * $0)" }.joined(separator: ", ") + ", udp/53]"
        let spec = Self.spec(networks: "  corp: [192.0.2.0/24]", flows: "  - {from: [corp, web], to: api, ports: [all]}", apiPorts: ports)
        let rules = try checkExact(try policy(spec))
        let between = rules.filter { $0.name.hasPrefix("t-api-in-from-web") }
        #expect(
            between.map(\.name) == [
                "t-api-in-from-web-tcp-0-1023", "t-api-in-from-web-tcp-1024-1535", "t-api-in-from-web-tcp-1536-2047", "t-api-in-from-web-udp",
            ])
        #expect(between.map { GCPRuleLimits.portStrings($0.matches) } == [12, 256, 32, 1])
        #expect(rules.filter { $0.name.hasPrefix("t-api-in-from-corp-v4-") }.count == 4)
        #expect(rules.filter { $0.name.hasPrefix("t-web-out-to-vpc-") }.count == 4)
    }

    /// A port range across a block's edge is cut there; the parts' union is the range.
    @Test func aRangeAcrossABlockEdgeIsCut() {
        let ports = (0..<300).map { "\(1000 + 4 * $0)" } + ["2000-40000"]
        let parts = GCPRuleLimits.portParts([GCPPlan.Rule.Match(proto: .tcp, ports: ports)])
        #expect(parts.allSatisfy { GCPRuleLimits.portStrings($0.matches) <= GCPRuleLimits.ports })
        #expect(GCPReader.portSet(parts.flatMap(\.matches)) == GCPReader.portSet([GCPPlan.Rule.Match(proto: .tcp, ports: ports)]))
        #expect(parts.contains { $0.matches[0].ports.contains("32768-40000") })
    }

    /// Deny rules split like allows, keeping their action and priority.
    @Test func denyRulesSplitKeepingTheirPriority() {
        let ranges = Self.cidrs(600)
        let deny = GCPPlan.Rule(
            name: "t-api-deny", description: "d", network: "global/networks/default", direction: .egress, priority: 900, action: .deny,
            matches: [GCPPlan.Rule.Match(proto: .tcp, ports: (1...300).map { "\($0 * 3)" })], destinationRanges: ranges,
            targetServiceAccounts: ["pal-api@t.iam.gserviceaccount.com"])
        let parts = GCPRuleLimits.split(deny)
        #expect(parts.count > 4)
        #expect(parts.allSatisfy { $0.rule.action == .deny && $0.rule.priority == 900 && GCPRuleLimits.problems($0.rule).count <= 1 })
        #expect(Set(parts.map(\.suffix)).count == parts.count)
        #expect(GCPReader.addresses(parts.flatMap(\.rule.destinationRanges)) == GCPReader.addresses(ranges))
        // Every address part carries every port part.
        let byRanges = Dictionary(grouping: parts, by: { $0.rule.destinationRanges })
        for group in byRanges.values {
            #expect(GCPReader.portSet(group.flatMap(\.rule.matches)) == GCPReader.portSet(deny.matches))
        }
    }

    /// Internal ranges beyond one rule's limit: the egress towards them splits, and the reader
    /// still finds every internal range allowed on the ports.
    @Test func internalRangesBeyondTheLimitSplitAndReadBack() throws {
        let text = Self.cidrs(300).joined(separator: ",")
        let spec = Self.spec(
            networks: "  corp: [192.0.2.0/24]", flows: "  - {from: web, to: api, ports: [tcp/443]}", targets: "targets:\n  gcp: {internal_ranges: \"\(text)\"}")
        let rules = try checkExact(try policy(spec), ["internal_ranges": .string(text)], inside: GCPReader.addresses(Self.cidrs(300)))
        #expect(rules.filter { $0.name.hasPrefix("t-web-out-to-vpc-") }.map(\.name) == ["t-web-out-to-vpc-10-0-0-0-15", "t-web-out-to-vpc-10-2-0-0-15"])
    }

    /// Several egress allows that together cover the internal ranges on some ports.
    @Test func coveredPortsJoinsAllowsThatTileTheRanges() {
        let inside = GCPReader.addresses(["10.0.0.0/8"])
        let low = GCPReader.addresses(["10.0.0.0/9"])
        let high = GCPReader.addresses(["10.128.0.0/9"])
        let entries: [(ports: PortSet, addresses: AddressSet)] = [
            (PortSet(PortRange(.tcp, 1, 100)), low), (PortSet(PortRange(.tcp, 50, 200)), high), (PortSet(PortRange(.udp, 53, 53)), low),
        ]
        #expect(GCPReader.coveredPorts(entries, inside: inside) == PortSet(PortRange(.tcp, 50, 100)))
        #expect(GCPReader.coveredPorts([entries[0], (PortSet(PortRange(.tcp, 1, 100)), high)], inside: inside) == PortSet(PortRange(.tcp, 1, 100)))
    }

    /// Names stay when the spec grows: a new flow adds its rules and leaves every other rule,
    /// split ones included, as it was.
    @Test func namesAreStableWhenTheSpecGrowsByOneFlow() throws {
        let ports = "[" + (0..<300).map { "tcp/\(1000 + 2 * $0)" }.joined(separator: ", ") + "]"
        let networks = "  many: [\(Self.cidrs(300).joined(separator: ", "))]"
        let flows = "  - {from: many, to: api, ports: [tcp/1000]}\n  - {from: web, to: api, ports: [all]}"
        let before = try rules(try policy(Self.spec(networks: networks, flows: flows, apiPorts: ports)))
        let after = try rules(try policy(Self.spec(networks: networks, flows: flows + "\n  - {from: db, to: web, ports: [tcp/8080]}", apiPorts: ports)))
        #expect(Set(after.map(\.name)).isSuperset(of: before.map(\.name)))
        for rule in before { #expect(after.first { $0.name == rule.name } == rule, "\(rule.name)") }
        #expect(Set(after.map(\.name)).subtracting(before.map(\.name)) == ["t-web-in-from-db", "t-db-out-to-vpc"])
        // A range joining one address block changes that block's rule only.
        let grown = "  many: [\((Self.cidrs(300) + ["10.3.0.0/24"]).joined(separator: ", "))]"
        let wider = try rules(try policy(Self.spec(networks: grown, flows: flows, apiPorts: ports)))
        #expect(Set(before.map(\.name)) == Set(wider.map(\.name)))
        #expect(before.filter { rule in wider.first { $0.name == rule.name } != rule }.map(\.name) == ["t-api-in-from-many-v4-10-2-0-0-15"])
    }
}
