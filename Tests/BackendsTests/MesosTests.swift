import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

@Suite struct MesosTests {
    static let samples = backendSamples
    let backend = MesosBackend()

    func policy(_ sample: String) throws -> Policy { try samplePolicy(sample) }

    func check(_ policy: Policy, _ gaps: GapPolicy, _ containerizer: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let targetOptions = options(.mesos, gaps, ["containerizer": .string(containerizer)])
        let (emission, read) = try checkRoundTrip(backend, policy, targetOptions, sourceLocation: sourceLocation)
        try checkRuntime(policy, emission, read, sourceLocation: sourceLocation)
        // Nothing intended between workloads is lost under widen; under narrow nothing is
        // added between different workloads.
        if gaps == .widen { #expect(emission.narrowed.betweenWorkloads.isEmpty, sourceLocation: sourceLocation) }
        if gaps == .narrow {
            #expect(emission.widened.betweenWorkloads.keys.allSatisfy { $0.source == $0.destination }, sourceLocation: sourceLocation)
            #expect(emission.widened.ingress.isEmpty, sourceLocation: sourceLocation)
        }
        if containerizer == "docker" {
            try checkNetworkGaps(policy, emission, targetOptions, sourceLocation: sourceLocation)
            // The Docker containerizer takes one container network per app.
            let marathon = emission.files.first { $0.path == "marathon.json" }!.contents
            let object = try JSONSerialization.jsonObject(with: Data(marathon.utf8)) as? [String: Any]
            let groups = object?["groups"] as? [[String: Any]] ?? []
            for app in groups.flatMap({ $0["apps"] as? [[String: Any]] ?? [] }) {
                #expect((app["networks"] as? [Any])?.count == 1, sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: samples)
    func samplesRoundTrip(sample: String) throws {
        let policy = try policy(sample)
        for gaps in [GapPolicy.widen, .narrow] {
            for containerizer in ["docker", "mesos"] { try check(policy, gaps, containerizer) }
        }
    }

    @Test func randomizedSpecsRoundTrip() throws {
        var rng = SeededGenerator(seed: 17)
        for _ in 0..<30 {
            let policy = try #require(compileSpec(RandomSpec.generate(&rng)).policy)
            for gaps in [GapPolicy.widen, .narrow] {
                for containerizer in ["docker", "mesos"] { try check(policy, gaps, containerizer) }
            }
        }
    }

    @Test func authorizerSemanticsAreFirstMatchThenPermissive() {
        let acls = MesosACLs(
            permissive: false,
            actions: [
                .init(
                    action: "view_tasks", objectField: "users",
                    rules: [
                        .init(principals: .some(["alice"]), object: .none),
                        .init(principals: .some(["alice", "bob"]), object: .some(["web"])),
                        .init(principals: .any, object: .some(["public"])),
                    ])
            ])
        #expect(!acls.authorizes("alice", "view_tasks", "web"), "the first rule matches alice and denies")
        #expect(acls.authorizes("bob", "view_tasks", "web"))
        #expect(!acls.authorizes("bob", "view_tasks", "db"), "no rule matches: permissive false")
        #expect(acls.authorizes("carol", "view_tasks", "public"))
        #expect(!acls.authorizes("carol", "run_tasks", "web"))
        var permissive = acls
        permissive.permissive = true
        #expect(permissive.authorizes("bob", "view_tasks", "db"))
        #expect(permissive.authorizes("carol", "run_tasks", "web"))
    }

    /// The ACLs give each identity exactly its granted actions (those Mesos has ACLs for) on
    /// the segments granted; anything more is a reported widened grant.
    @Test(arguments: samples)
    func aclsReadBackAsTheGrants(sample: String) throws {
        let policy = try policy(sample)
        let emission = try backend.emit(policy, options: options(.mesos, .widen))
        let read = try backend.read(emission.files, policy: policy)
        var intended: [String: [SegmentID: Set<Action>]] = [:]
        for grant in policy.grants {
            let actions = policy.role(grant.role).effectiveActions.filter { MesosACLs.neutral[$0] != nil }
            for segment in grant.segments where !policy.segments[segment.index].workloads.isEmpty {
                intended[policy.identity(grant.identity).name, default: [:]][segment, default: []].formUnion(actions)
            }
        }
        for (identity, segments) in intended {
            for (segment, actions) in segments {
                #expect(actions.isSubset(of: read.grants[identity]?[segment] ?? []), "\(identity) lost \(actions) on \(policy.segments[segment.index].name)")
            }
        }
        for (identity, segments) in read.grants {
            for (segment, actions) in segments {
                let extra = actions.subtracting(intended[identity]?[segment] ?? [])
                guard !extra.isEmpty else { continue }
                let reported = emission.gaps.contains { gap in
                    guard gap.kind == .widened, case .grant(identity, _) = gap.subject else { return false }
                    return true
                }
                #expect(reported, "\(identity) holds \(extra) on \(policy.segments[segment.index].name) without a reported gap")
            }
        }
        let acls = try #require(emission.files.first { $0.path == "acls.json" })
        #expect(acls.contents.contains("\"permissive\": false"))
    }

    @Test func sharedTaskUsersWidenGrantsAndSayWhere() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                segments: {a: {}, b: {}}
                identities: {shared: {}, ops: {kind: user}}
                roles: {viewer: [view]}
                grants: [{identity: ops, role: viewer, segments: [a]}]
                workloads:
                  x: {segment: a, image: nginx:1.25, identity: shared}
                  y: {segment: b, image: nginx:1.25, identity: shared}
                """
            ).policy)
        let emission = try backend.emit(policy, options: options(.mesos, .widen))
        let read = try backend.read(emission.files, policy: policy)
        #expect(read.grants["ops"]?[SegmentID(1)] == [.view])
        #expect(emission.gaps.contains { $0.kind == .widened && $0.reason.contains("also covers 'y' in segment 'b'") })
    }

    @Test func optionsAreValidatedWithLocations() throws {
        let output = compileSpec("version: 1\nname: t\nworkloads: {}\ntargets:\n  mesos: {group: Shop, containerizer: ucr, principle: m}\n")
        let policy = try #require(output.policy)
        let problems = backend.validate(try #require(policy.options(for: .mesos)))
        #expect(problems.map(\.code) == [.invalidTargetOption, .invalidTargetOption, .invalidTargetOption])
        #expect(problems.contains { $0.help == "did you mean 'principal'?" })
        #expect(pathProblem("/shop/app") == nil)
        #expect(pathProblem("/shop/tasks") != nil)
        #expect(pathProblem("shop") != nil)
    }

    /// The gap names the task's OS user, which is the service identity's name.
    @Test func theMesosContainerizerUserGapNamesTheIdentity() throws {
        let text = """
            version: 1
            name: t
            identities:
              portal-svc: {}
            workloads:
              a: {image: nginx:1.25, identity: portal-svc, runtime: {user: 1000}}
            targets:
              mesos: {containerizer: mesos}

            """
        let policy = try #require(compileSpec(text).policy)
        let emission = try backend.emit(policy, options: try #require(policy.options(for: .mesos)))
        let reasons = emission.gaps.filter { $0.reason.hasPrefix("user needs the Docker containerizer") }.map(\.reason)
        #expect(reasons == ["user needs the Docker containerizer; the Mesos containerizer runs the task as its OS user 'portal-svc'"])
    }

    @Test func defaultsForRequiredResourcesAreReported() throws {
        let policy = try #require(compileSpec("version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25}\n").policy)
        let emission = try backend.emit(policy, options: options(.mesos, .widen))
        #expect(emission.files[0].contents.contains("\"cpus\": 1,"))
        #expect(emission.files[0].contents.contains("\"mem\": 128,"))
        #expect(emission.gaps.filter { $0.capability == .resourceLimits }.count == 2)
    }
}

extension MesosTests {
    /// With the Docker containerizer, each shared network's widening is one gap whose ports and
    /// pair count are those of the enumerated `widened` pairs among its members; every other
    /// connection gap is one pair (replicas alone on a network) or one external rule.
    func checkNetworkGaps(_ policy: Policy, _ emission: Emission, _ targetOptions: TargetOptions, sourceLocation: SourceLocation) throws {
        let plan = MesosPlan(policy: policy, options: MesosOptions.parse(targetOptions).options)
        var networkOf: [WorkloadID: Int] = [:]
        for (index, network) in plan.networks.enumerated() { for member in network.members { networkOf[member] = index } }
        var pairs: [Int: Int] = [:]
        var ports: [Int: PortSet] = [:]
        var alone = 0
        for (pair, residual) in emission.widened.betweenWorkloads {
            let network = try #require(networkOf[pair.source], sourceLocation: sourceLocation)
            #expect(networkOf[pair.destination] == network, "widened between networks", sourceLocation: sourceLocation)
            if plan.networks[network].members.count == 1 {
                alone += 1
                continue
            }
            pairs[network, default: 0] += 1
            ports[network, default: PortSet()].formUnion(residual)
        }
        let widenings = plan.planned.widenings(beyond: policy.intent)
        #expect(widenings.count == pairs.count, sourceLocation: sourceLocation)
        for widening in widenings {
            #expect(pairs[widening.network] == widening.pairs, sourceLocation: sourceLocation)
            #expect(ports[widening.network] == widening.ports, sourceLocation: sourceLocation)
        }
        let networkGaps = emission.gaps.filter { $0.reason.contains("workload pairs beyond the intent") }
        #expect(networkGaps.count == widenings.count, sourceLocation: sourceLocation)
        let external = [emission.widened, emission.narrowed].reduce(0) { total, relation in
            total + relation.ingress.values.reduce(0) { $0 + $1.entries.count } + relation.egress.values.reduce(0) { $0 + $1.entries.count }
        }
        // The other connection gaps are products: together they stand for every pair of a
        // workload alone on its network, every narrowed pair and every external entry.
        let others = emission.gaps.filter {
            ($0.kind == .widened || $0.kind == .narrowed) && $0.capability != .rbac && !$0.reason.contains("workload pairs beyond the intent")
        }
        #expect(
            others.reduce(0) { $0 + ($1.connection?.pairCount ?? 0) } == alone + emission.narrowed.betweenWorkloads.count + external,
            sourceLocation: sourceLocation)
        #expect(others.count <= alone + emission.narrowed.betweenWorkloads.count + external, sourceLocation: sourceLocation)
    }

    /// A chain of `count` workloads, each calling the next: one connected group.
    func chain(_ count: Int, options: String = "{containerizer: docker}") throws -> (Policy, String) {
        var text = "version: 1\nname: t\nworkloads:\n"
        for index in 0..<count { text += "  w\(index): {image: nginx:1.25, ports: [tcp/80]}\n" }
        text += "flows:\n"
        for index in 1..<count { text += "  - {from: w\(index - 1), to: w\(index), ports: [tcp/80]}\n" }
        text += "targets:\n  mesos: \(options)\n"
        return (try #require(compileSpec(text).policy), text)
    }

    /// No stop of Palisade's own at a network's size: 300 workloads in one connected group
    /// share one Docker network, reported as one gap (the product of the group with itself on
    /// every port), located where the spec chooses the containerizer, so that `--strict`
    /// fails there.
    @Test func aLargeConnectedGroupSharesOneDockerNetworkReportedAsOneGap() throws {
        let (policy, text) = try chain(300)
        let emission = try backend.emit(policy, options: try #require(policy.options(for: .mesos)))
        let between = emission.gaps.filter { $0.kind == .widened && $0.capability == .portFiltering }
        #expect(between.count == 1)
        let gap = try #require(between.first)
        #expect(gap.connection?.ports == .all)
        #expect(gap.message.hasPrefix("mesos allows the 300 workloads of container network net-w0-w1-w10-w100-"))
        // 300 × 300 pairs, less none (the intent allows tcp/80 only).
        #expect(gap.reason.contains("(90000 workload pairs beyond the intent)"))
        #expect(gap.origin?.start.line == text.split(separator: "\n").count)
        #expect(emission.widened.betweenWorkloads.count == 300 * 300)
        // Kept as products of the group with itself, counted without listing their pairs: only
        // the chain's own 299 pairs (every port but tcp/80) are listed one by one.
        #expect(!emission.widenedProducts.blocks.isEmpty)
        #expect(emission.widenedProducts.pairs.betweenWorkloads.count == 299)
        #expect(emission.widenedProducts.pairCount == 300 * 300)
        #expect(emission.narrowed.isEmpty)
        let read = try backend.read(emission.files, policy: policy)
        #expect(read.relation.subtracting(policy.intent) == emission.widened)
        // Under narrow nobody shares: every flow of the chain is blocked, and reported.
        let narrow = try backend.emit(policy, options: options(.mesos, .narrow))
        #expect(narrow.narrowed.betweenWorkloads.count == 299)
        #expect(!narrow.gaps.contains { $0.reason.contains("workload pairs beyond the intent") })
    }

    /// The Docker containerizer's networks share no workload: what they widen, as products,
    /// is exactly the pairs enumerated, on random specs under both gap policies.
    @Test func dockerWideningAsProductsIsThePairs() throws {
        var rng = SeededGenerator(seed: 23)
        for round in 0..<40 {
            let policy = try #require(compileSpec(RandomSpec.generate(&rng)).policy)
            for gaps in [GapPolicy.widen, .narrow] {
                let plan = MesosPlan(policy: policy, options: MesosOptions.parse(options(.mesos, gaps, ["containerizer": .string("docker")])).options)
                let products = plan.planned.widenedProducts(beyond: policy.intent)
                #expect(products.expanded.betweenWorkloads == plan.planned.widenedPairs(beyond: policy.intent), "round \(round)")
                #expect(products.pairCount == plan.planned.widenedPairs(beyond: policy.intent).count, "round \(round)")
            }
        }
    }

    /// A workload every address may reach on every tcp and udp port: Marathon's
    /// `portMappings` take one port each, so Palisade maps the first 1,000 and reports the rest
    /// as narrowed, instead of writing 131,070 mappings.
    @Test func hostPortsAreCappedWithANarrowedGap() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                workloads:
                  server: {image: nginx:1.25, ports: [tcp/1-65535, udp/1-65535, sctp/1-65535, icmp]}
                flows:
                  - {from: any, to: server, ports: [all]}
                """
            ).policy)
        for containerizer in ["docker", "mesos"] {
            let (emission, _) = try checkRoundTrip(backend, policy, options(.mesos, .widen, ["containerizer": .string(containerizer)]))
            let marathon = try #require(emission.files.first { $0.path == "marathon.json" })
            #expect(marathon.contents.utf8.count < 200_000)
            #expect(marathon.contents.components(separatedBy: "\"hostPort\"").count - 1 == MesosPlan.hostPortLimit)
            let narrowed = try #require(emission.narrowed.ingress[WorkloadID(0)])
            #expect(
                narrowed.entries.map(\.ports) == [
                    PortSet([PortRange(.tcp, 1001, 65535), PortRange(.udp, 1, 65535), .init(.sctp, 1, 65535), .init(.icmp, 1, 65535)])
                ])
            #expect(emission.gaps.contains { $0.kind == .narrowed && $0.reason.contains("at most 1000 host ports per app") })
        }
        #expect(MesosPlan.capped(PortSet([PortRange(.tcp, 1, 10), PortRange(.udp, 5, 5)]), limit: 10).rest == PortSet(PortRange(.udp, 5, 5)))
    }

    /// `marathon.json` written straight to bytes is `JSONWriter`'s text of the document, for
    /// every sample, both containerizers and both gap policies, and for strings that need
    /// escaping, a root group, several networks per app and no workloads at all.
    @Test func marathonBytesAreTheDocumentsText() throws {
        var policies = try Self.samples.map { try samplePolicy($0) }
        let odd = #"""
            version: 1
            name: t
            segments: {s1: {}, empty: {}}
            workloads:
              a: {segment: s1, image: "img:1", ports: [tcp/80-82, udp/53], labels: {k: v}, runtime: {privileged: true}}
              b: {segment: s1, image: "img:2", ports: [tcp/80]}
              c: {segment: s1, image: "img:3"}
            flows:
              - {from: a, to: b, ports: [tcp/80]}
              - {from: b, to: c, ports: [all]}
              - {from: [a, c], to: a, ports: [tcp/80-82]}
              - {from: any, to: a, ports: [tcp/80-82, udp/53]}

            """#
        let compiled = compileSpec(odd)
        var escaped = try #require(compiled.policy, "\(compiled.diagnostics)")
        policies.append(escaped)
        // Strings a spec cannot hold but a policy can: quotes, backslashes, control and
        // non-ASCII characters.
        escaped.workloads[0].labels = [Label("k\"q", "v\tab \u{FC}\\ \u{1}")]
        policies.append(escaped)
        policies.append(try #require(compileSpec("version: 1\nname: t\nworkloads: {}\n").policy))
        for policy in policies {
            for containerizer in ["docker", "mesos"] {
                for gaps in [GapPolicy.widen, .narrow] {
                    for group in [[:], ["group": OptionValue.string("/")]] {
                        let extra = group.merging(["containerizer": .string(containerizer)]) { $1 }
                        let plan = MesosPlan(policy: policy, options: MesosOptions.parse(options(.mesos, gaps, extra)).options)
                        let emitter = MesosEmitter(plan: plan)
                        #expect(emitter.marathonText().string == JSONWriter.write(emitter.marathon()), "\(policy.name) \(containerizer) \(gaps) \(group)")
                    }
                }
            }
        }
    }
}
