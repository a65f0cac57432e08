import Foundation
import Palisade
import TestSupport
import Testing

/// Issue 17, review17 defects 2 and 3 through the commands: `compare --with` and `explain
/// --with` read the component's own CiliumNetworkPolicies under `cni: cilium`, and Pod
/// Security Admission judges every container of the team's merged pod.
@Suite struct WithAdmissionAndCiliumTests {
    static let shop = repositoryRoot.appendingPathComponent("samples/shop.yaml").path
    static let base = repositoryRoot.appendingPathComponent("samples/apps/shop/openshift/base").path

    static func setting(_ argument: String) throws -> OptionSetting { try #require(OptionSetting(argument: argument)) }

    /// `compare --with` and `explain --with` with `cni: cilium`: the component's own
    /// CiliumNetworkPolicies read back (the reader under `--with` gets the option).
    @Test func compareAndExplainWithTheTeamsFilesUnderCilium() throws {
        let settings = [try Self.setting("kubernetes.namespace_prefix=shop-"), try Self.setting("kubernetes.cni=cilium")]
        var compare = CompareRequest(spec: Self.shop, targets: TargetList([.kubernetes]))
        compare.with = Self.base
        compare.settings = settings
        let compared = Commands.compare(compare)
        #expect(compared.exitStatus == .success, "\(compared.stderr)")
        #expect(!compared.stderr.contains("do not read back"), "\(compared.stderr)")
        var explain = ExplainRequest(spec: Self.shop, from: "checkout", to: "any", targets: "kubernetes")
        explain.with = Self.base
        explain.settings = settings
        let explained = Commands.explain(explain)
        #expect(!explained.stderr.contains("do not read back"), "\(explained.stderr)")
    }

    /// `--with`: a sidecar of the team's with no securityContext in shop-edge (enforce:
    /// restricted) lacks allowPrivilegeEscalation: false and capabilities drop ALL, so
    /// Pod Security Admission refuses the pods; compare reports it.
    @Test func podSecurityAdmissionJudgesTheTeamsSidecars() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-withfix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["config.yaml", "kustomization.yaml", "workloads.yaml"] {
            var text = try String(contentsOfFile: Self.base + "/" + name, encoding: .utf8)
            if name == "workloads.yaml" {
                text = text.replacingOccurrences(
                    of: "      containers:\n      - name: web\n",
                    with: "      containers:\n      - name: shipper\n        image: registry.example.com/shop/shipper@sha256:"
                        + String(repeating: "a", count: 64) + "\n      - name: web\n")
            }
            try text.write(toFile: directory.appendingPathComponent(name).path, atomically: true, encoding: .utf8)
        }
        var compare = CompareRequest(spec: Self.shop, targets: TargetList([.kubernetes]))
        compare.with = directory.path
        compare.settings = [try Self.setting("kubernetes.namespace_prefix=shop-")]
        let compared = Commands.compare(compare)
        #expect(compared.stdout.contains("Pod Security Admission refuses its pods"), "\(compared.stdout)")
        #expect(compared.stdout.contains("its container shipper asks for"), "\(compared.stdout)")
    }
}
