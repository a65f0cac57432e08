import Foundation
import IR
import Palisade
import TestSupport
import Testing

/// `--set kubernetes.cni=cilium` through compile (with `--dump-read`), compare and explain: the
/// files are written, read back and explained with the option, and `dns:` egress is exact.
@Suite struct KubernetesCiliumCommandTests {
    static let spec = """
        version: 1
        name: t
        segments:
          s: {}
        workloads:
          a: {segment: s, image: registry.example.com/a:1, ports: [tcp/8080]}
        networks:
          api: ["dns:api.example.com"]
        flows:
          - {from: a, to: api, ports: [tcp/443]}
        """
    static let files = InMemoryFileSystem(["spec.yaml": spec])

    func cilium() throws -> [OptionSetting] { [try #require(OptionSetting(argument: "kubernetes.cni=cilium"))] }

    @Test func compileReadsItsFilesBackWithTheSettings() throws {
        var request = CompileRequest(specs: ["spec.yaml"], targets: TargetList([.kubernetes]), check: true, dumpRead: true)
        request.settings = try cilium()
        let output = Commands.compile(request, fileSystem: Self.files)
        #expect(output.exitStatus != .usage, "\(output.stderr)")
        #expect(!output.stderr.contains("do not read back"), "\(output.stderr)")
        #expect(output.stdout.contains("dns:api.example.com") || output.stdout.contains("api.example.com"), "\(output.stdout)")
    }

    @Test func compareAndExplainUseTheSetting() throws {
        var compare = CompareRequest(spec: "spec.yaml", targets: TargetList([.kubernetes]))
        let plain = Commands.compare(compare, fileSystem: Self.files)
        #expect(plain.stdout.contains("NetworkPolicy cannot match dns: names"))
        compare.settings = try cilium()
        let exact = Commands.compare(compare, fileSystem: Self.files)
        #expect(exact.exitStatus == .success, "\(exact.stderr)")
        #expect(!exact.stdout.contains("allowed beyond the intent") && exact.stdout.contains("CiliumNetworkPolicy s/a-fqdn"), "\(exact.stdout)")
        var explain = ExplainRequest(spec: "spec.yaml", from: "a", to: "api", targets: "kubernetes")
        explain.settings = try cilium()
        let answer = Commands.explain(explain, fileSystem: Self.files)
        #expect(answer.stdout.contains("CiliumNetworkPolicy s/a-fqdn: egress rule 1 allows a -> dns:api.example.com on tcp/443"), "\(answer.stdout)")
    }
}
