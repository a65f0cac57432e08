import Foundation
import Palisade
import TestSupport
import Testing

/// Review of issue 17 (review17, commit 05f840e): the reviewer's reproduction of duplicate deny
/// flow names under `admin_network_policy`, kept as a regression test.
@Suite struct Review17AdminNetworkPolicyTests {
    static func setting(_ argument: String) throws -> OptionSetting { try #require(OptionSetting(argument: argument)) }

    /// Flow names need not be unique (docs/language.md, flows): two deny flows with one name
    /// are two denies, and `admin_network_policy` must write both (today the second is dropped
    /// because the AdminNetworkPolicy name is taken, and probe -> api on tcp/80 stays open).
    @Test func twoDenyFlowsWithOneNameAreBothWritten() throws {
        let spec = """
            version: 1
            name: anp2
            segments:
              front: {}
              back: {}
            workloads:
              web: {segment: front, image: registry.example.com/web:1, ports: [tcp/8080]}
              probe: {segment: front, image: registry.example.com/probe:1, ports: [tcp/8080]}
              api: {segment: back, image: registry.example.com/api:1, ports: [tcp/80, tcp/22, icmp]}
            flows:
              - {name: web-to-api, from: [web, probe], to: api, ports: [all]}
              - {name: no-ssh, action: deny, from: web, to: api, ports: [tcp/22]}
              - {name: no-ssh, action: deny, from: probe, to: api, ports: [tcp/80]}
            """
        let files = InMemoryFileSystem(["spec.yaml": spec])
        var explain = ExplainRequest(spec: "spec.yaml", from: "probe", to: "api", port: "tcp/80", targets: "kubernetes")
        explain.settings = [try Self.setting("kubernetes.admin_network_policy=true")]
        let explained = Commands.explain(explain, fileSystem: files)
        #expect(explained.stdout.contains("on kubernetes: denied"), "\(explained.stdout)")
    }
}
