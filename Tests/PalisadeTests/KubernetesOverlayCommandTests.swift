import Foundation
import Palisade
import TestSupport
import Testing

/// `compare` and `explain` on the kubernetes target with `output: overlay` and `--with`, through
/// the commands: the component is judged as the manifests are, and the team's files are taken.
@Suite struct KubernetesOverlayCommandTests {
    static let shop = repositoryRoot.appendingPathComponent("samples/shop.yaml").path
    static let base = repositoryRoot.appendingPathComponent("samples/apps/shop/openshift/base").path

    static func setting(_ argument: String) throws -> OptionSetting { try #require(OptionSetting(argument: argument)) }

    @Test func compareJudgesTheComponentAsTheManifests() throws {
        var layered = CompareRequest(spec: Self.shop, targets: TargetList([.kubernetes]), format: .json)
        layered.settings = [try Self.setting("kubernetes.output=overlay")]
        let whole = CompareRequest(spec: Self.shop, targets: TargetList([.kubernetes]), format: .json)
        let overlay = Commands.compare(layered)
        #expect(overlay.exitStatus == .success, "\(overlay.stderr)")
        #expect(overlay.stdout == Commands.compare(whole).stdout)
    }

    @Test func compareAndExplainTakeTheTeamsFilesOnKubernetes() throws {
        let prefix = try Self.setting("kubernetes.namespace_prefix=shop-")
        var compare = CompareRequest(spec: Self.shop, targets: TargetList([.kubernetes]))
        compare.with = Self.base
        compare.settings = [prefix]
        let compared = Commands.compare(compare)
        #expect(compared.exitStatus == .success, "\(compared.stderr)")
        var explain = ExplainRequest(spec: Self.shop, from: "web", to: "catalog", targets: "kubernetes")
        explain.with = Self.base
        explain.settings = [prefix]
        let explained = Commands.explain(explain)
        #expect(explained.exitStatus == .success, "\(explained.stderr)")
        #expect(explained.stdout.contains("on kubernetes: partly allowed"), "\(explained.stdout)")
        // Without the prefix the team's workloads are in no segment's namespace: a located error.
        compare.settings = []
        let misplaced = Commands.compare(compare)
        #expect(misplaced.exitStatus == .failure)
        #expect(misplaced.stderr.contains("kubernetes: the application's Deployment"), "\(misplaced.stderr)")
    }
}
