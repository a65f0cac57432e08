import IR
import TestSupport
import Testing
import YAML

@testable import Backends

/// The cloud writers' rules assembled from pieces rendered once (AWS's `RuleWriter`, Azure's
/// `appendRule`) against the trees they replaced, written whole: the same bytes for random
/// rules, their texts plain, escaped, beyond ASCII and around Azure's 140-byte description.
@Suite struct CloudRulePiecesTests {
    static let texts = [
        "", "a", "10.0.0.0/8", "2001:db8::/32", "sa-0001", "a \"quoted\" word", "back\\slash", "line\nbreak", "é", "日本", "\u{2028}",
        String(repeating: "x", count: 129), String(repeating: "y", count: 130), String(repeating: "z", count: 131), String(repeating: "é", count: 70),
    ]

    static func text(_ rng: inout SeededGenerator) -> String {
        (0..<Int.random(in: 1...2, using: &rng)).map { _ in texts.randomElement(using: &rng) ?? "" }.joined()
    }

    static func texts(_ range: ClosedRange<Int>, _ rng: inout SeededGenerator) -> [String] {
        (0..<Int.random(in: range, using: &rng)).map { _ in text(&rng) }
    }

    @Test func awsRulesAreTheTreesBytes() throws {
        let emitter = AWSEmitter(plan: try AWSPlan(policy: try AWSTests.chain(12), options: AWSOptions.parse(options(.aws, .widen)).options))
        var rng = SeededGenerator(seed: 59)
        for reference in [emitter.localReference, emitter.importedReference] {
            var writer = AWSEmitter.RuleWriter(emitter, reference: reference)
            for _ in 0..<2000 {
                let proto = ["tcp", "udp", "icmp", "icmpv6", "132", "-1", Self.text(&rng)].randomElement(using: &rng) ?? "tcp"
                let peer: SecurityGroupRule.Peer
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: peer = .ipv4(Self.text(&rng))
                case 1: peer = .ipv6(Self.text(&rng))
                default: peer = .group(Int.random(in: emitter.groups.indices, using: &rng))
                }
                let rule =
                    Bool.random(using: &rng)
                    ? SecurityGroupRule.sentinel
                    : SecurityGroupRule(
                        proto: proto, fromPort: Int.random(in: -1...65535, using: &rng), toPort: Int.random(in: -1...65535, using: &rng), peer: peer)
                let ingress = Bool.random(using: &rng)
                var inline: [UInt8] = []
                writer.append(rule, ingress: ingress, owner: nil, to: &inline)
                var expected: [UInt8] = []
                JSONWriter.append(emitter.rule(rule, ingress: ingress, standalone: nil, reference: reference), at: 10, to: &expected)
                #expect(inline == expected, "\(rule)")
                let owner = Int.random(in: emitter.groups.indices, using: &rng)
                var standalone: [UInt8] = []
                let (newlines, plain) = writer.append(rule, ingress: ingress, owner: owner, to: &standalone)
                // What it says of its bytes is what `WrittenEntry.scan` finds in them.
                let scanned = standalone.withUnsafeBufferPointer(AWSEmitter.WrittenEntry.scan)
                #expect(newlines == scanned.newlines, "\(rule)")
                #expect(plain == !scanned.escaped, "\(rule)")
                let tree: StructuredValue = .object([
                    .init("Type", .string(ingress ? "AWS::EC2::SecurityGroupIngress" : "AWS::EC2::SecurityGroupEgress")),
                    .init("Properties", emitter.rule(rule, ingress: ingress, standalone: owner, reference: reference)),
                ])
                expected = []
                JSONWriter.append(tree, at: 4, to: &expected)
                #expect(standalone == expected, "\(rule)")
            }
        }
    }

    /// Each group written in place is its tree's bytes, measured alike.
    @Test func awsGroupsAreTheTreesBytes() throws {
        for policy in [try AWSTests.chain(12), try samplePolicy("platform.yaml")] {
            let emitter = AWSEmitter(plan: try AWSPlan(policy: policy, options: AWSOptions.parse(options(.aws, .widen)).options))
            var writer = AWSEmitter.RuleWriter(emitter, reference: emitter.localReference)
            for index in emitter.groups.indices {
                let written = emitter.writtenGroupResource(index, rules: &writer)
                let tree = AWSEmitter.WrittenEntry(emitter.groupResource(index))
                #expect(written.key == tree.key)
                #expect(written.value == tree.value)
                #expect(written.size == tree.size)
            }
        }
    }

    @Test func azureRulesAreTheTreesBytes() throws {
        let tree = AzureTreeEmitter(plan: try AzureSplitTests.plan(try samplePolicy("platform.yaml"), .widen))
        var rng = SeededGenerator(seed: 61)
        for _ in 0..<3000 {
            let groups = Bool.random(using: &rng) ? Self.texts(1...3, &rng) : []
            var rule = AzurePlan.Rule(
                name: Self.text(&rng), direction: Bool.random(using: &rng) ? .inbound : .outbound, access: Bool.random(using: &rng) ? .allow : .deny,
                priority: Int.random(in: 100...4096, using: &rng), proto: [.tcp, .udp, .icmp, .any].randomElement(using: &rng) ?? .tcp,
                ports: Self.texts(1...3, &rng), description: Self.text(&rng))
            if Bool.random(using: &rng) { rule.sourceGroups = groups } else { rule.sourcePrefixes = Self.texts(0...3, &rng) }
            if Bool.random(using: &rng) { rule.destinationGroups = Self.texts(1...3, &rng) } else { rule.destinationPrefixes = Self.texts(0...3, &rng) }
            var written: [UInt8] = []
            AzureEmitter.appendRule(rule, to: &written)
            var expected: [UInt8] = []
            JSONWriter.append(tree.securityRule(rule), at: 10, to: &expected)
            #expect(written == expected, "\(rule)")
        }
    }

    /// An NSG's named groups, consecutive rules with the same lists taken once, are the union of
    /// every rule's groups.
    @Test func anNSGsNamedGroupsAreTheUnion() {
        var rng = SeededGenerator(seed: 71)
        let lists: [[String]] = [[], ["asg-a"], ["asg-b"], ["asg-a", "asg-c"], ["asg-" + "a"]]
        for _ in 0..<500 {
            let rules = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                var rule = AzurePlan.Rule(name: "r", direction: .inbound, access: .allow, priority: 100, proto: .tcp, ports: ["*"], description: "")
                rule.sourceGroups = lists.randomElement(using: &rng) ?? []
                rule.destinationGroups = lists.randomElement(using: &rng) ?? []
                return rule
            }
            let nsg = AzurePlan.NSG(name: "n", segment: "s", part: nil, rules: rules)
            #expect(nsg.namedGroups == Set(rules.flatMap { $0.sourceGroups + $0.destinationGroups }))
        }
    }
}
