import IR
import TestSupport
import Testing

@testable import Backends

/// The cloud readers' and planners' shortcuts against the definitions they replace: the same
/// values on samples and random inputs.
@Suite struct CloudReaderPathsTests {
    /// Ranges parsed once each give the union of every range that parses, as parsing each list
    /// whole did, for lists with repeats, IPv6, host addresses and texts that are no range.
    @Test func rangesParsedOnceAreTheListsUnion() {
        var rng = SeededGenerator(seed: 43)
        let texts = [
            "10.0.0.0/8", "10.1.0.0/16", "192.168.1.7", "0.0.0.0/0", "2001:db8::/32", "2001:db8::1", "172.16.0.0/12", "*", "Internet", "10.0.0.0/33", "",
            "VirtualNetwork",
        ]
        var parser = AddressRanges()
        for _ in 0..<400 {
            let list = (0..<Int.random(in: 0..<6, using: &rng)).map { _ in texts.randomElement(using: &rng) ?? "" }
            let whole = list.reduce(AddressSet()) { set, text in
                if case .valid(let cidr) = CIDR.parse(text) { return set.union(cidr.addressSet) }
                return set
            }
            #expect(parser.addresses(list) == whole, "\(list)")
            #expect(AzureReader.addresses(list) == whole && GCPReader.addresses(list) == whole)
        }
    }

    /// A security group rule's ranges make the port set the rule opens, and the ranges of many
    /// rules made into one port set are the union of their port sets.
    @Test func ruleRangesMakeTheRulesPortSets() {
        func ports(_ rule: SecurityGroupRule) -> PortSet {
            switch rule.proto {
            case "tcp": PortSet(PortRange(.tcp, rule.fromPort, rule.toPort))
            case "udp": PortSet(PortRange(.udp, rule.fromPort, rule.toPort))
            case "132": .whole(.sctp)
            case "icmp", "icmpv6": .whole(.icmp)
            case "-1": .all
            default: PortSet()
            }
        }
        var rng = SeededGenerator(seed: 47)
        for _ in 0..<300 {
            let rules = (0..<Int.random(in: 0..<8, using: &rng)).map { _ in
                let low = Int.random(in: 1...65535, using: &rng)
                return SecurityGroupRule(
                    proto: ["tcp", "udp", "132", "icmp", "icmpv6", "-1", "50"].randomElement(using: &rng) ?? "tcp", fromPort: low,
                    toPort: min(65535, low + Int.random(in: 0...3, using: &rng) * Int.random(in: 0...2000, using: &rng)), peer: .group(0))
            }
            var ranges: [PortRange] = []
            for rule in rules {
                #expect(rule.ports == ports(rule))
                rule.appendRanges(to: &ranges)
            }
            #expect(PortSet(ranges) == PortSet(unionOf: rules.map(ports)))
        }
    }

    /// The bound on a rule's JSON summed list by list is the bound summed over the joined lists.
    @Test func ruleBytesAreTheJoinedListsBound() throws {
        for sample in backendSamples {
            for gaps in [GapPolicy.widen, .narrow] {
                let plan = try AzureSplitTests.plan(try samplePolicy(sample), gaps)
                for rule in plan.groups.flatMap(\.rules) {
                    let entries = rule.ports + rule.sourcePrefixes + rule.destinationPrefixes
                    let texts =
                        entries.reduce(0) { $0 + 6 * $1.utf8.count + 40 }
                        + (rule.sourceGroups + rule.destinationGroups).reduce(0) { $0 + 6 * $1.utf8.count + 200 }
                    #expect(AzurePlan.bytes(rule) == 1000 + 6 * (rule.name.utf8.count + min(rule.description.utf8.count, 160)) + texts)
                }
            }
        }
    }

    /// The unenforced controls appended to gaps already made are those gaps and then the list
    /// `unenforcedControls` makes.
    @Test func unenforcedControlsAppendAfterTheGapsThere() throws {
        for sample in backendSamples {
            let policy = try samplePolicy(sample)
            let made = unenforcedControls(policy, target: .azure, why: "why")
            var gaps = Array(made.prefix(1))
            appendUnenforcedControls(policy, target: .azure, why: "why", to: &gaps)
            #expect(gaps == Array(made.prefix(1)) + made)
        }
    }
}
