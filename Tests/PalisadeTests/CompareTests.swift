import Analysis
import Backends
import Diagnostics
import Foundation
import IR
import Palisade
import Reports
import Spec
import TestSupport
import Testing
import YAML

@Suite struct CompareTests {
    func policy(_ sample: String) throws -> Policy {
        try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/\(sample)").path).policy)
    }

    @Test func everyTargetIsReportedWithItsGapsReadBack() throws {
        let policy = try policy("shop.yaml")
        let comparison = Comparison(policy, targets: TargetName.allCases)
        #expect(comparison.targets.map(\.target) == TargetName.allCases)
        let swarm = try #require(comparison.targets.first { $0.target == .swarm })
        // Swarm shares networks: widened connections; the expectations they would break name
        // the targets they speak for, and Swarm is not among them.
        #expect(swarm.gaps.contains { $0.kind == .widened })
        #expect(!swarm.gaps.contains { $0.kind == .expectationFailed })
        let text = CompareReport.text(comparison)
        for target in TargetName.allCases { #expect(text.contains("\n\(target.rawValue): ")) }
        #expect(text.contains("allowed beyond the intent ("))
        #expect(text.contains("controls (ok:"))
    }

    @Test func jsonCountsEveryGapAndLocatesIt() throws {
        let policy = try policy("payments.yaml")
        let comparison = Comparison(policy, targets: [.openshift, .swarm])
        let json = CompareReport.json(comparison)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let targets = try #require(root["targets"] as? [[String: Any]])
        #expect(targets.count == 2)
        for (node, result) in zip(targets, comparison.targets) {
            let gaps = try #require(node["gaps"] as? [[String: Any]])
            #expect(gaps.count == result.gaps.count)
            #expect(gaps.allSatisfy { ($0["location"] as? String)?.contains("payments.yaml:") == true || $0["location"] is NSNull })
            let summary = try #require(node["summary"] as? [String: Int])
            #expect(summary["widened"] == result.gaps.filter { $0.kind == Gap.Kind.widened }.count)
        }
        let controls = try #require(root["controls"] as? [String: [String: String]])
        #expect(controls["port filtering between workloads"]?["openshift"] == "ok")
    }

    @Test func markdownHasTheSummaryTheMatrixAndTheIntentPicture() throws {
        let policy = try policy("minimal.yaml")
        let markdown = CompareReport.markdown(Comparison(policy, targets: TargetName.allCases))
        #expect(markdown.hasPrefix("## Palisade fidelity report: `minimal`"))
        #expect(markdown.contains("| target | allowed beyond the intent | intended but blocked |"))
        #expect(markdown.contains("| port filtering between workloads | ok | +3 | +1 | ok | ok | ok |"))
        #expect(markdown.contains("### Intent\n\n```mermaid\nflowchart LR"))
        #expect(markdown.contains("<details><summary><b>swarm</b>: 4 widened (5 connections)</summary>"))
        #expect(!markdown.contains("<b>aws</b>"), "a target without gaps has nothing to unfold")
    }

    @Test func aTargetThatRefusesTheSpecSaysWhy() throws {
        let policy = try #require(compileSpec("version: 1\nname: t\nsegments: {kube-a: {}}\nworkloads:\n  a: {image: nginx:1.25, segment: kube-a}\n").policy)
        let comparison = Comparison(policy, targets: [.openshift, .swarm])
        #expect(comparison.targets[0].error?.code == .targetLimit)
        #expect(CompareReport.text(comparison).contains("openshift: cannot compile: openshift namespace 'kube-a' collides"))
        #expect(comparison.targets[1].error == nil)
    }
}

@Suite struct GraphTests {
    let policy: Policy

    init() throws {
        policy = try #require(
            compileSpec(
                """
                version: 1
                name: g
                segments: {front: {}, back: {}}
                networks: {corp: [10.0.0.0/8], partner: ["dns:api.partner.example"]}
                workloads:
                  web: {image: nginx:1.25, segment: front, ports: [tcp/443]}
                  api: {image: nginx:1.25, segment: back, ports: [tcp/8080]}
                flows:
                  - {from: corp, to: web, ports: [tcp/443]}
                  - {from: web, to: api, ports: [tcp/8080]}
                  - {from: api, to: partner, ports: [tcp/443]}
                """
            ).policy)
    }

    @Test func theIntentIsDrawnBySegmentWithPortsOnEveryFlow() {
        let graph = IntentGraph(policy)
        #expect(graph.nodes.map(\.label) == ["api", "web", "corp", "partner"])
        #expect(graph.edges.map(\.label) == ["tcp/8080", "tcp/443", "tcp/443"])
        let dot = GraphReport.dot(graph)
        #expect(dot.hasPrefix("digraph palisade {"))
        #expect(dot.contains("subgraph cluster_0 {\n    label=\"segment back\";\n    w0 [label=\"api\"];"))
        #expect(dot.contains("x0 [label=\"corp\", shape=ellipse, style=dashed];"))
        #expect(dot.contains("w1 -> w0 [label=\"tcp/8080\"];"))
        let mermaid = GraphReport.mermaid(graph)
        #expect(mermaid.contains("subgraph s1[\"segment front\"]"))
        #expect(mermaid.contains("w1 -->|\"tcp/8080\"| w0"))
        #expect(!mermaid.contains("linkStyle"))
    }

    @Test func aTargetsWidenedAndBlockedConnectionsAreDrawnApart() throws {
        let emission = try SwarmBackend().emit(policy, options: TargetOptions(target: .swarm, gaps: .widen, options: [], origin: policy.origin))
        let graph = IntentGraph(policy, target: .swarm, emission: emission)
        let widened = graph.edges.filter { $0.style == .widened }
        #expect(
            widened.count == emission.widened.betweenWorkloads.count
                + emission.widened.ingress.values.reduce(0) { $0 + $1.entries.count } + emission.widened.egress.values.reduce(0) { $0 + $1.entries.count })
        #expect(widened.allSatisfy { $0.label.hasPrefix("+ ") })
        #expect(GraphReport.dot(graph).contains("style=dashed, color=red"))
        #expect(GraphReport.mermaid(graph).components(separatedBy: "linkStyle").count - 1 == widened.count + graph.edges.filter { $0.style == .blocked }.count)
    }

    @Test func labelsEscapeQuotes() {
        #expect(IntentGraph.label(ExternalSet.any, policy: policy) == "any")
        let corp = policy.networks.first { $0.name == "corp" }!.members
        #expect(IntentGraph.label(ExternalSet.any.subtracting(corp), policy: policy) == "any except corp")
    }
}

@Suite struct ExplainOnTargetsTests {
    @Test func eachTargetAnswersFromItsOwnFilesAndNamesTheRules() throws {
        let policy = try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/shop.yaml").path).policy)
        let answer = try Explain.explain(policy, from: "web", to: "catalog", port: "tcp/8080", targets: TargetName.allCases)
        #expect(answer.verdict == .allowed)
        #expect(answer.targets.map(\.target) == TargetName.allCases)
        for target in answer.targets {
            #expect(target.verdict == .allowed, "\(target.target)")
            #expect(!target.rules.isEmpty, "\(target.target) names no rule")
        }
        let openshift = answer.targets[0].rules
        #expect(openshift.contains { $0.hasPrefix("NetworkPolicy shop-edge/web-egress: egress rule") })
        #expect(openshift.contains { $0.hasPrefix("NetworkPolicy shop-app/catalog-ingress: ingress rule") })
        let azure = try #require(answer.targets.first { $0.target == .azure }).rules
        #expect(azure.count == 2, "only the rule that decides, per NSG and direction: \(azure)")
        let text = ExplainReport.text(answer)
        #expect(text.contains("on swarm: allowed\n  by internal overlay network"))
    }

    @Test func aTargetThatBlocksWhatTheIntentAllowsSaysSo() throws {
        let policy = try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/shop.yaml").path).policy)
        // shop.yaml asks gcp for gaps: narrow, which drops dns: destinations.
        let answer = try Explain.explain(policy, from: "checkout", to: "stripe", port: "tcp/443", targets: [.gcp, .openshift])
        #expect(answer.targets[0].verdict == .denied && answer.targets[0].rules.isEmpty)
        #expect(ExplainReport.text(answer).contains("on gcp: denied (the intent: allowed)"))
        #expect(answer.targets[1].rules.contains { $0.contains("EgressFirewall shop-app/default: rule 1 Allow dnsName api.stripe.com") })
    }
}
