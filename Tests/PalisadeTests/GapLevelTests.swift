import Analysis
import Foundation
import IR
import Palisade
import Reports
import Spec
import TestSupport
import Testing

@testable import Backends

/// Gaps at the level a reviewer reads them: a control a target does not cover at all is one
/// line per target and control (counted in the summary, listed per key only on request), and
/// `compare`'s matrix never says `ok` for a control `palisade targets` says the target lacks.
@Suite struct GapLevelTests {
    static let samples = ["minimal.yaml", "shop.yaml", "payments.yaml", "platform.yaml", "no-segments.yaml"]

    static func policy(_ sample: String) throws -> Policy {
        try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/\(sample)").path).policy)
    }

    static func compile(_ request: CompileRequest) -> CommandOutput {
        Commands.compile(request, fileSystem: RepositoryFileSystem())
    }

    // MARK: What is outside a target's scope

    @Test func outsideTheScopeMeansUnenforcedOnAControlTheTargetLacks() throws {
        let shop = try Self.policy("shop.yaml")
        for target in TargetName.allCases {
            let emission = try #require(TargetEmitter.emit(shop, with: BackendRegistry.backend(for: target)!).emission)
            let capabilities = TargetMatrix.capabilities(of: target)
            let scoped = TargetGaps(target: target, gaps: emission.gaps)
            // A partition of the gaps, computed from the gaps and the capabilities alone.
            #expect(scoped.listed.count + scoped.outsideCount == emission.gaps.count)
            #expect(emission.gaps.allSatisfy { scoped.isOutside($0) == TargetGaps.isOutsideScope($0, capabilities: capabilities) })
            for control in scoped.outside {
                #expect(capabilities[control.capability] == Support.none, "\(target) \(control.capability)")
                #expect(control.gaps.allSatisfy { $0.kind == .unenforced && $0.capability == control.capability })
            }
            #expect(!scoped.listed.contains { $0.kind == .unenforced && capabilities[$0.capability] == Support.none })
        }
        // Runtime keys, secrets, grants and the image policy are outside a firewall's scope;
        // its widened and narrowed connections are listed.
        let aws = TargetGaps(target: .aws, gaps: try #require(TargetEmitter.emit(shop, with: BackendRegistry.backend(for: .aws)!).emission).gaps)
        #expect(aws.listed.allSatisfy { $0.kind == .widened || $0.kind == .narrowed })
        #expect(aws.summary == "1 widened, 88 outside its scope")
        let runAsUser = try #require(aws.outside.first { $0.capability == .runtimeUser })
        #expect(CompileReport.scopeLine(runAsUser) == "run as user (12 settings of 6 workloads): security groups filter traffic only")
        let grants = try #require(aws.outside.first { $0.capability == .rbac })
        #expect(CompileReport.scopeCount(grants) == "4 grants")
    }

    @Test func theReasonOfAControlIsSaidOnlyWhenEveryGapGivesIt() {
        func gap(_ workload: String, _ reason: String) -> Gap {
            .runtime(target: .openshift, workload: workload, key: .apparmor, reason: reason, origin: nil)
        }
        let same = TargetGaps(
            target: .openshift,
            gaps: [gap("a", "apparmor x is not enforced: nodes use SELinux"), gap("b", "apparmor y is not enforced: nodes use SELinux")])
        #expect(same.outside.map(\.reason) == ["nodes use SELinux"])
        #expect(same.outside.first?.workloads == ["a", "b"])
        let different = TargetGaps(target: .openshift, gaps: [gap("a", "apparmor: one"), gap("a", "apparmor: two")])
        #expect(different.outside.map(\.reason) == [nil])
        #expect(different.outside.first.map(CompileReport.scopeCount) == "2 settings of 1 workload")
    }

    // MARK: compile

    @Test func compileSaysAControlOutsideTheScopeInOneLine() throws {
        let request = CompileRequest(specs: ["samples/shop.yaml"], targets: TargetList([.aws, .openshift]), check: true, gaps: true)
        var quiet = request
        quiet.gaps = false
        let counts = Self.compile(quiet).stderr
        #expect(counts.contains("\naws/shop: 1 widened, 88 outside its scope\n"))
        #expect(counts.contains("\nopenshift/shop: 6 unenforced, 6 outside its scope, 6 platform-required\n"))
        #expect(!counts.contains("[gap]"), "without --gaps only the counts")

        let listed = Self.compile(request).stderr
        let aggregated = listed.split(separator: "\n").filter { $0.contains("warning[gap]: outside its scope: aws does not enforce ") }
        #expect(aggregated.count == 12, "one line per control outside aws's scope")
        #expect(
            aggregated.first.map(String.init)
                == ("samples/shop.yaml: warning[gap]: outside its scope: aws does not enforce run as user (12 settings of 6 workloads): security "
                    + "groups filter traffic only")
        )
        #expect(!listed.contains("is not enforced by aws"), "no runtime key of a firewall one by one")
        #expect(listed.contains("warning[gap]: widened: aws allows"), "the connections are still listed")
        #expect(listed.contains("warning[gap]: unenforced: cache: the pids limit is not enforced"), "a partly covered control is listed")
        #expect(listed.contains("outside its scope: openshift does not enforce apparmor (6 settings of 6 workloads): OpenShift nodes (RHCOS)"))
        #expect(listed.contains(CompileReport.outsideScopeNote))

        var all = request
        all.allGaps = true
        let every = Self.compile(all).stderr
        #expect(!every.contains("outside its scope: aws does not enforce"))
        let awsKeys = every.split(separator: "\n").filter {
            $0.contains("warning[gap]: unenforced: ") && $0.hasSuffix("aws: security groups filter traffic only")
        }
        #expect(awsKeys.count == 88, "--all-gaps lists every gap outside aws's scope")
        #expect(every.contains("samples/shop.yaml:150:7: warning[gap]: unenforced: cache: user is not enforced by aws: security groups filter traffic only"))
        #expect(every.split(separator: "\n").count > listed.split(separator: "\n").count + 70)
    }

    @Test func aGateOnUnenforcedFailsWithOneErrorPerControl() {
        let output = Self.compile(CompileRequest(specs: ["samples/shop.yaml"], targets: TargetList([.aws]), strict: true, check: true))
        #expect(output.exitStatus == .failure)
        let errors = output.stderr.split(separator: "\n").filter { $0.contains("error[gap]: outside its scope: aws does not enforce ") }
        #expect(errors.count == 12)
        #expect(output.stderr.contains("error[gap]: widened: aws allows"))
    }

    // MARK: compare

    @Test(arguments: samples)
    func compareSaysEachControlOutsideTheScopeOnceAndJSONKeepsEveryGap(sample: String) throws {
        let comparison = Comparison(try Self.policy(sample), targets: TargetName.allCases)
        let text = CompareReport.text(comparison)
        let markdown = CompareReport.markdown(comparison)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(CompareReport.json(comparison).utf8)) as? [String: Any])
        let nodes = try #require(json["targets"] as? [[String: Any]])
        for (result, node) in zip(comparison.targets, nodes) where result.error == nil {
            let scoped = result.scoped
            for control in scoped.outside {
                let line = CompileReport.scopeLine(control)
                #expect(text.components(separatedBy: "\n    \(line)\n").count == 2, "\(result.target): \(line)")
                #expect(markdown.contains("\n- \(line)\n"), "\(result.target): \(line)")
                for gap in control.gaps { #expect(!text.contains(gap.statement), "listed one by one: \(gap.statement)") }
            }
            if !scoped.outside.isEmpty {
                #expect(text.contains("\n\(result.target.rawValue): \(scoped.summary)\n"))
                #expect(text.contains("  outside its scope (\(scoped.outsideCount)), controls \(result.target.rawValue) does not cover at all:\n"))
            }
            // JSON keeps every gap, each saying whether it is outside the target's scope.
            let gaps = try #require(node["gaps"] as? [[String: Any]])
            #expect(gaps.count == result.gaps.count)
            #expect(gaps.filter { $0["outside_scope"] as? Bool == true }.count == scoped.outsideCount)
            #expect(node["outside_scope"] as? Int == scoped.outsideCount)
            #expect((node["summary"] as? [String: Int])?.values.reduce(0, +) == result.gaps.count, "the kinds still count every gap")
        }
    }

    @Test func theCompareTextOfShopIsShort() throws {
        let text = CompareReport.text(Comparison(try Self.policy("shop.yaml"), targets: TargetName.allCases))
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count < 250, "was 506 lines, most of them runtime keys of firewalls")
        #expect(text.contains("\naws: 1 widened, 88 outside its scope\n"))
    }

    // MARK: The matrix and palisade targets

    /// One source of truth: `compare`'s cell for a control a target does not cover at all is
    /// never `ok` (it is `no`, or the marks of the gaps the spec's use of it made); `no` only
    /// where `palisade targets` says `no`; a covered control without gaps is `ok`.
    @Test(arguments: samples)
    func compareMatrixAgreesWithPalisadeTargets(sample: String) throws {
        let comparison = Comparison(try Self.policy(sample), targets: TargetName.allCases)
        let matrix = TargetMatrix()
        let targetsTable = TargetMatrixReport.markdown(matrix)
        for (capability, cells) in comparison.matrixRows() {
            for (result, cell) in zip(comparison.targets, cells) {
                let column = try #require(matrix.columns.first { $0.target == result.target })
                let support = column.capabilities[capability]
                let said =
                    "\(sample): \(result.target) \(capability.rawValue): compare says \(cell), palisade targets says \(support.map(\.rawValue) ?? "nothing")"
                guard result.error == nil else {
                    #expect(cell == "n/a", "\(said)")
                    continue
                }
                let gaps = result.gaps.filter { $0.capability == capability }
                if support == Support.none {
                    #expect(cell != "ok", "\(said)")
                    #expect(targetsTable.contains("| \(capability.rawValue) |"))
                } else {
                    #expect(cell != "no", "\(said)")
                }
                if gaps.allSatisfy({ $0.kind == .platformRequired }) {
                    #expect(cell == (support == Support.none ? "no" : "ok"), "\(said)")
                }
            }
        }
    }

    /// The user's report: Mesos's image policy and the DNS egress of AWS, Swarm and Mesos read
    /// `ok` on shop.yaml although `palisade targets` says `no`. Mesos now reports shop's image
    /// policy as not enforced, so its cell counts that gap.
    @Test func shopsMatrixSaysNoWhereTheTargetCannot() throws {
        let comparison = Comparison(try Self.policy("shop.yaml"), targets: TargetName.allCases)
        let rows = Dictionary(uniqueKeysWithValues: comparison.matrixRows().map { ($0.0, $0.1) })
        let column = { (target: TargetName) in try #require(comparison.targets.firstIndex { $0.target == target }) }
        #expect(rows[.imagePolicy]?[try column(.mesos)] == "x1")
        for target in [TargetName.aws, .swarm, .mesos] { #expect(rows[.dnsEgress]?[try column(target)] == "no") }
        #expect(rows[.dnsEgress]?[try column(.openshift)] == "ok")
        let text = CompareReport.text(comparison)
        #expect(text.contains("no: not a control of the target (palisade targets)"))
    }
}

/// Gaps stay products: workloads that differ from the intent alike are one gap whose ends
/// list them, never one gap per pair.
@Suite struct CompactGapTests {
    static func spec(_ count: Int) -> String {
        var text = "version: 1\nname: compact\nnetworks:\n  corp: [10.9.0.0/16]\nsegments:\n  app: {}\n  edge: {}\nworkloads:\n"
        text += "  client: {segment: edge, image: \"registry.example.com/client:1.0.0\"}\n"
        for index in 0..<count { text += "  w\(index): {segment: app, image: \"registry.example.com/w:1.0.0\", ports: [tcp/443]}\n" }
        text += "flows:\n  - {from: corp, to: segment:app, ports: [tcp/443]}\n  - {from: client, to: segment:app, ports: [tcp/443]}\n"
        return text
    }

    /// The (source, destination, ports) tuples a list of connection gaps stands for, by name.
    static func tuples(_ gaps: [Gap]) -> Set<String> {
        var result = Set<String>()
        func names(_ endpoint: Endpoint) -> [String] {
            switch endpoint {
            case .workloads(let names): names
            default: [endpoint.description]
            }
        }
        for gap in gaps {
            guard let connection = gap.connection else { continue }
            for source in names(connection.source) {
                for destination in names(connection.destination) { result.insert("\(gap.kind) \(source) -> \(destination) \(connection.ports)") }
            }
        }
        return result
    }

    @Test func workloadsSharingANetworkAreOneGap() throws {
        let count = 300
        let policy = try #require(compileSpec(Self.spec(count)).policy)
        // A target that blocks everything the intent allows, and one that allows it all again.
        for (widened, narrowed) in [(Relation(), policy.intent), (policy.intent, Relation())] {
            let grouped = groupedConnectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .swarm) { _ in "not enforced" }
            let listed = pairwiseConnectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .swarm) { _ in "not enforced" }
            #expect(listed.count == 2 * count)
            #expect(grouped.count == 2)
            let ingress = try #require(grouped.first { $0.capability == .externalIngress }?.connection)
            #expect(ingress.destination.count == count)
            #expect(ingress.pairCount == count)
            #expect(ingress.source == .external(ExternalSet(addresses: CIDR.v4(0x0A09_0000, prefix: 16).addressSet)))
            let between = try #require(grouped.first { $0.capability != .externalIngress }?.connection)
            #expect(between.source == .workload("client"))
            #expect(between.pairCount == count)
            #expect(between.description.hasPrefix("client -> \(count) workloads (w0, w1, w10, …) on tcp/443"))
            // The same connections, only grouped.
            #expect(Self.tuples(grouped) == Self.tuples(listed))
            #expect(grouped.reduce(0) { $0 + ($1.connection?.pairCount ?? 0) } == listed.count)
        }
    }

    /// Pairs with different reasons or ports stay apart; on the samples, grouping keeps every
    /// connection of the per-pair gaps.
    @Test func groupingKeepsReasonsAndConnections() throws {
        let policy = try #require(compileSpec(Self.spec(6)).policy)
        let grouped = groupedConnectionGaps(widened: policy.intent, narrowed: Relation(), policy: policy, target: .gcp) { site in
            site.destination.map { "reason \($0.index % 2)" } ?? "external"
        }
        #expect(grouped.filter { $0.capability == .portFiltering }.count == 2)
        for sample in GapLevelTests.samples {
            let policy = try GapLevelTests.policy(sample)
            let widened = policy.intent
            let listed = pairwiseConnectionGaps(widened: widened, narrowed: Relation(), policy: policy, target: .aws) { _ in "x" }
            let grouped = groupedConnectionGaps(widened: widened, narrowed: Relation(), policy: policy, target: .aws) { _ in "x" }
            #expect(Self.tuples(grouped) == Self.tuples(listed), "\(sample)")
            #expect(grouped.count <= listed.count)
        }
    }

    /// A firewall shares one group among the workloads of an identity: a client allowed to
    /// one of 300 workloads of the identity reaches all of them. The 299 widened pairs are one
    /// product gap on every firewall target, and it stands for exactly the pairs the per-pair
    /// gaps list.
    @Test func identityWideningIsOneProductGap() throws {
        let count = 300
        var text = "version: 1\nname: shared\nsegments:\n  app: {}\n  edge: {}\nidentities:\n  sa: {}\nworkloads:\n"
        text += "  client: {segment: edge, image: \"registry.example.com/client:1.0.0\"}\n"
        for index in 0..<count {
            text += "  w\(index): {segment: app, image: \"registry.example.com/w:1.0.0\", identity: sa, ports: [tcp/443]}\n"
        }
        text += "flows:\n  - {from: client, to: w0, ports: [tcp/443]}\n"
        let policy = try #require(compileSpec(text).policy)
        for target in [TargetName.aws, .gcp, .azure] {
            let emission = try #require(TargetEmitter.emit(policy, with: BackendRegistry.backend(for: target)!).emission)
            let widened = emission.gaps.filter { $0.kind == .widened && $0.capability == .portFiltering }
            #expect(widened.count == 1, "\(target)")
            let connection = try #require(widened.first?.connection)
            #expect(connection.source == .workload("client"), "\(target)")
            #expect(connection.pairCount == count - 1, "\(target)")
            #expect(emission.widenedProducts.pairCount == count - 1, "\(target)")
            // The summary counts the connections the product stands for.
            #expect(Fidelity.summary(widened) == "1 widened (\(count - 1) connections)", "\(target)")
            let listed = pairwiseConnectionGaps(widened: emission.widened, narrowed: emission.narrowed, policy: policy, target: target) { _ in "" }
            #expect(listed.filter { $0.kind == .widened && $0.capability == .portFiltering }.count == count - 1, "\(target)")
            let connections = emission.gaps.filter { $0.kind == .widened || $0.kind == .narrowed }
            #expect(Self.tuples(connections) == Self.tuples(listed.filter { $0.kind == .widened || $0.kind == .narrowed }), "\(target)")
        }
    }
}
