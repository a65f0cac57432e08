import IR
import Palisade
import TestSupport
import Testing

@testable import Analysis

/// Targets start costliest first, and their outcomes still come back in target order.
@Suite struct TargetStartOrderTests {
    @Test func everyTargetHasOnePlaceInTheStartOrder() {
        #expect(TargetEmitter.startOrder.count == TargetName.allCases.count)
        #expect(Set(TargetEmitter.startOrder) == Set(TargetName.allCases))
    }

    @Test func targetsStartInTheStartOrderWhicheverAreAsked() {
        let all = TargetName.allCases
        #expect(TargetEmitter.startSequence(all).map { all[$0] } == TargetEmitter.startOrder)
        let some: [TargetName] = [.swarm, .nftables, .aws, .openshift]
        let sequence = TargetEmitter.startSequence(some)
        #expect(sequence.sorted() == Array(some.indices))
        #expect(sequence.map { some[$0] } == TargetEmitter.startOrder.filter(some.contains))
        #expect(TargetEmitter.startSequence([]) == [])
    }

    @Test func outcomesComeBackInTargetOrder() throws {
        let result = Pipeline.compile(paths: ["samples/shop.yaml"], fileSystem: RepositoryFileSystem())
        let policy = try #require(result.specs.first?.policy)
        let targets: [TargetName] = [.mesos, .openshift, .gcp, .nftables]
        #expect(TargetEmitter.emitAll(policy, targets: targets).map(\.target) == targets)
    }
}
