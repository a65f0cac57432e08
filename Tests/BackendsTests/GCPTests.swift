import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing

@testable import Backends

@Suite struct GCPTests {
    static let samples = backendSamples
    let backend = GCPBackend()

    func policy(_ sample: String) throws -> Policy { try samplePolicy(sample) }

    func check(_ policy: Policy, _ gaps: GapPolicy, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (emission, _) = try checkRoundTrip(backend, policy, options(.gcp, gaps), sourceLocation: sourceLocation)
        if gaps == .widen { #expect(emission.narrowed.isEmpty, sourceLocation: sourceLocation) }
        // Between workloads GCP is exact but for shared identities.
        #expect(
            emission.widened.betweenWorkloads.keys.allSatisfy { pair in
                policy.workloads[pair.source.index].identity == policy.workloads[pair.destination.index].identity
                    || policy.workloads.filter { $0.identity == policy.workloads[pair.source.index].identity }.count > 1
                    || policy.workloads.filter { $0.identity == policy.workloads[pair.destination.index].identity }.count > 1
            }, sourceLocation: sourceLocation)
    }

    @Test(arguments: samples)
    func samplesRoundTrip(sample: String) throws {
        let policy = try policy(sample)
        try check(policy, .widen)
        try check(policy, .narrow)
    }

    @Test func randomizedSpecsRoundTrip() throws {
        try forRandomSpecs(seed: 31, count: 40) { policy, gaps in try check(policy, gaps) }
    }

    @Test func everyIdentityDeniesTheRestOfItsEgress() throws {
        let policy = try policy("minimal.yaml")
        let text = try backend.emit(policy, options: options(.gcp, .widen)).files[0].contents
        let rules = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        let denies = rules.filter { $0["denied"] != nil }
        #expect(denies.count == 2 * Set(policy.workloads.map(\.identity)).count)
        #expect(Set(denies.compactMap { ($0["destinationRanges"] as? [String])?.first }) == ["0.0.0.0/0", "::/0"])
        #expect(rules.allSatisfy { ($0["name"] as? String).map { isDNSLabelLike($0, 1...63) } ?? false })
    }

    @Test func serviceAccountIdsMustFit() throws {
        let policy = try #require(compileSpec("version: 1\nname: t\nworkloads:\n  \(String(repeating: "a", count: 30)): {image: nginx:1.25}\n").policy)
        let error = try #require(throws: BackendError.self) { try backend.emit(policy, options: options(.gcp, .widen)) }
        #expect(error.diagnostic.code == .targetLimit)
        #expect(error.diagnostic.range?.start.line == 4)
    }
}

/// The rules are typed values compared whole.
extension GCPTests {
    @Test func rulesAreEqualOnlyWhenEveryFieldIs() throws {
        let rule = GCPPlan.Rule(
            name: "t-in-1", description: "palisade t: a to b", network: "global/networks/default", direction: .ingress, priority: 1000,
            action: .allow, matches: [GCPPlan.Rule.Match(proto: .tcp, ports: ["443"])], sourceRanges: ["10.0.0.0/8"])
        #expect(rule == rule)
        var other = rule
        other.priority = 900
        #expect(other != rule, "same name, another priority")
        other = rule
        other.matches[0].ports = ["80"]
        #expect(other != rule, "same name, other ports")
        other = rule
        other.action = .deny
        #expect(other != rule, "same name, a deny")
    }

    /// Reading the file back gives exactly the rules the plan made, field by field.
    @Test(arguments: samples)
    func theFileReadsBackAsThePlansRules(sample: String) throws {
        let policy = try policy(sample)
        let options = GCPOptions.parse(BackendsTests.options(.gcp, .widen)).options
        let plan = try GCPPlan(policy: policy, options: options)
        let files = [GCPEmitter(plan: plan).file()]
        #expect(try GCPReader(policy: policy, files: files, options: options).parse() == plan.rules)
        #expect(plan.rules.contains { $0.matches.contains { $0.proto == .icmpv6 } } == plan.rules.contains { $0.matches.contains { $0.proto == .icmp } })
    }

    @Test func aRuleWithAnUnknownDirectionIsRefused() throws {
        let policy = try policy("minimal.yaml")
        let text = try backend.emit(policy, options: options(.gcp, .widen)).files[0].contents
        let sideways = text.replacingOccurrences(of: "\"direction\": \"EGRESS\"", with: "\"direction\": \"SIDEWAYS\"")
        #expect(sideways != text)
        let error = try #require(throws: ReadFailure.self) { try backend.read([OutputFile(path: "firewall-rules.json", contents: sideways)], policy: policy) }
        #expect(error.file == "firewall-rules.json" && error.reason.contains("direction 'SIDEWAYS'"))
    }
}
