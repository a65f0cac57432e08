import Diagnostics
import Foundation
import IR
import Spec
import Testing
import TestSupport
@testable import Backends

@Suite struct GCPTests {
    static let samples = backendSamples
    let backend = GCPBackend()

    func policy(_ sample: String) throws -> Policy { try samplePolicy(sample) }

    func check(_ policy: Policy, _ gaps: GapPolicy, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (emission, _) = try checkRoundTrip(backend, policy, options(.gcp, gaps), sourceLocation: sourceLocation)
        if gaps == .widen { #expect(emission.narrowed.isEmpty, sourceLocation: sourceLocation) }
        // Between workloads GCP is exact but for shared identities.
        #expect(emission.widened.betweenWorkloads.keys.allSatisfy { pair in
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
