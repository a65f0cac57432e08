import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

@Suite struct SwarmTests {
    static let samples = backendSamples
    let backend = SwarmBackend()

    func policy(_ sample: String) throws -> Policy { try samplePolicy(sample) }

    /// The round trip, and what Swarm can and cannot do under each gap policy.
    func checkRoundTrip(_ policy: Policy, _ gaps: GapPolicy, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (emission, _) = try BackendsTests.checkRoundTrip(backend, policy, options(.swarm, gaps), sourceLocation: sourceLocation)
        switch gaps {
        case .widen:
            // Everything intended is allowed, except what Swarm cannot carry at all: ICMP
            // from outside through the routing mesh.
            #expect(emission.narrowed.betweenWorkloads.isEmpty && emission.narrowed.egress.isEmpty, sourceLocation: sourceLocation)
            for rules in emission.narrowed.ingress.values {
                for entry in rules.entries { #expect(entry.ports.protocols == [.icmp], sourceLocation: sourceLocation) }
            }
        case .narrow:
            // Nothing beyond the intent, but what no stack file can avoid: a service's own
            // replicas share its networks, and published ports imply egress.
            #expect(emission.widened.betweenWorkloads.keys.allSatisfy { $0.source == $0.destination }, sourceLocation: sourceLocation)
            #expect(emission.widened.ingress.isEmpty, sourceLocation: sourceLocation)
            for id in emission.widened.egress.keys {
                #expect(
                    policy.intent.ingress[id] != nil, "egress widened for \(policy.workloads[id.index].name) without published ports",
                    sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: samples)
    func samplesRoundTripUnderBothGapPolicies(sample: String) throws {
        let policy = try policy(sample)
        try checkRoundTrip(policy, .widen)
        try checkRoundTrip(policy, .narrow)
    }

    @Test func randomizedSpecsRoundTrip() throws {
        var rng = SeededGenerator(seed: 9)
        for round in 0..<40 {
            let text = RandomSpec.generate(&rng)
            let output = compileSpec(text)
            let policy = try #require(output.policy, "round \(round): \(output.diagnostics.map(\.message))\n\(text)")
            try checkRoundTrip(policy, .widen)
            try checkRoundTrip(policy, .narrow)
        }
    }

    /// The plan's differences from the intent, computed per network, are the differences
    /// of the relation pair by pair.
    @Test func differencesAreThoseOfThePlannedRelation() throws {
        var rng = SeededGenerator(seed: 19)
        var policies = try Self.samples.map { try policy($0) }
        for _ in 0..<40 { policies.append(try #require(compileSpec(RandomSpec.generate(&rng)).policy)) }
        for policy in policies {
            for gaps in [GapPolicy.widen, .narrow] {
                let plan = try backend.plan(policy, SwarmOptions.parse(options(.swarm, gaps)).options)
                let (widened, narrowed) = plan.differences()
                #expect(widened == plan.planned.subtracting(policy.intent), "\(policy.name)")
                #expect(narrowed == policy.intent.subtracting(plan.planned), "\(policy.name)")
            }
        }
    }

    @Test(arguments: samples)
    func everyRuntimeKeyIsEnforcedOrReported(sample: String) throws {
        let policy = try policy(sample)
        let emission = try backend.emit(policy, options: options(.swarm, .widen))
        try checkRuntime(policy, emission, try backend.read(emission.files, policy: policy))
    }

    @Test func noPairSharesANetworkWithoutAFlow() throws {
        let policy = try policy("shop.yaml")
        let emission = try backend.emit(policy, options: options(.swarm, .widen))
        let read = try backend.read(emission.files, policy: policy).relation
        for (pair, _) in read.betweenWorkloads where pair.source != pair.destination {
            let either = policy.intent.betweenWorkloads[pair] != nil || policy.intent.betweenWorkloads[WorkloadPair(pair.destination, pair.source)] != nil
            #expect(either, "\(policy.workloads[pair.source.index].name) and \(policy.workloads[pair.destination.index].name) share a network")
        }
    }

    @Test func dollarSignsAreEscapedForCompose() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                workloads:
                  a: {image: nginx:1.25, runtime: {writable_paths: ["/tmp/$cache", "/var/${HOME}"]}}
                """
            ).policy)
        let emission = try backend.emit(policy, options: options(.swarm, .widen))
        let text = emission.files[0].contents
        #expect(text.contains("/tmp/$$cache"))
        #expect(text.contains("/var/$${HOME}"))
        let read = try backend.read(emission.files, policy: policy)
        #expect(read.runtime[WorkloadID(0)]?.writablePaths == ["/tmp/$cache", "/var/${HOME}"])
    }

    @Test func isolatedServicesGetAnInternalNetworkOfTheirOwn() throws {
        let policy = try #require(compileSpec("version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25}\n  b: {image: nginx:1.25}\n").policy)
        let emission = try backend.emit(policy, options: options(.swarm, .widen))
        let text = emission.files[0].contents
        #expect(text.contains("own-a:") && text.contains("own-b:"))
        #expect(!text.contains("default"))
        let read = try backend.read(emission.files, policy: policy).relation
        #expect(read.ports(from: WorkloadID(0), to: WorkloadID(1)).isEmpty)
        #expect(read.egress.isEmpty)
    }

    @Test func optionsAreValidatedWithLocations() throws {
        let output = compileSpec(
            """
            version: 1
            name: t
            workloads: {}
            targets:
              swarm: {encrypt_network: true, publish_mode: mesh}
            """)
        let policy = try #require(output.policy)
        let problems = backend.validate(try #require(policy.options(for: .swarm)))
        #expect(problems.map(\.code) == [.invalidTargetOption, .invalidTargetOption])
        #expect(problems.first?.help == "did you mean 'encrypt_networks'?")
        #expect(problems.map { $0.range?.start.line } == [5, 5])
    }

    @Test func namesBeyondSwarmsLimitAreLocatedErrors() throws {
        let long = String(repeating: "a", count: 40)
        let policy = try #require(
            compileSpec("version: 1\nname: \(long)\nworkloads:\n  \(String(repeating: "b", count: 30)): {image: nginx:1.25}\n  ok: {image: nginx:1.25}\n")
                .policy)
        let problems = backend.validate(policy)
        #expect(problems.map(\.code) == [.targetLimit])
        #expect(problems.first?.range?.start.line == 4)
    }
}

extension SwarmTests {
    /// Published ranges stay ranges: in host mode a range of at most 100 ports is one long
    /// entry per port, a wider one goes through the routing mesh in the short syntax; the
    /// file stays small and reads back the same.
    @Test func wideRangesStayRangesInHostMode() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                workloads:
                  server: {image: nginx:1.25, ports: [tcp/1-65535, udp/1-65535, sctp/1-65535, icmp]}
                  edge: {image: nginx:1.25, ports: [tcp/8000-8099]}
                flows:
                  - {from: any, to: [server, edge], ports: [all]}
                """
            ).policy)
        let (emission, _) = try BackendsTests.checkRoundTrip(backend, policy, options(.swarm, .widen, ["publish_mode": .string("host")]))
        let stack = try #require(emission.files.first).contents
        #expect(stack.utf8.count < 20_000)
        #expect(stack.contains("1-65535:1-65535/udp"))
        #expect(stack.components(separatedBy: "mode: host").count - 1 == 100)
        // In ingress mode a port belongs to one service of the swarm: edge's ports, all of
        // which server publishes too, have no free port left to move to (a located error);
        // server alone publishes its ranges as ranges.
        let ingress = options(.swarm, .widen, ["publish_mode": .string("ingress")])
        #expect(throws: BackendError.self) { try backend.emit(policy, options: ingress) }
        let alone = try #require(
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
        let (single, _) = try BackendsTests.checkRoundTrip(backend, alone, ingress)
        let file = try #require(single.files.first).contents
        #expect(file.utf8.count < 20_000)
        #expect(file.contains("1-65535:1-65535/udp"))
        #expect(!file.contains("mode: host"))
    }

    /// The compose file written straight to bytes is what `YAMLWriter` writes for the
    /// document, for every sample and option that changes its shape, and for strings that
    /// are quoted, escaped against interpolation or long; a string only libyaml writes
    /// (non-ASCII, a key past 128 bytes) leaves it to the document, with the same text.
    @Test func composeBytesAreTheDocumentsText() throws {
        var policies = try Self.samples.map { try samplePolicy($0) }
        let odd = #"""
            version: 1
            name: t
            secrets: {db: {}, "yes": {}}
            workloads:
              a:
                image: "img:1"
                ports: [tcp/80-82, udp/53, tcp/9000-9300]
                labels: {app.x: "v-y", "on": "123", tier: "1.5"}
                secrets: [db, "yes"]
                runtime:
                  user: 1000
                  read_only_root: true
                  writable_paths: [/tmp, "/var/$run"]
                  capabilities: {drop: [ALL], add: [CHOWN]}
                  resources: {cpu: 0.5, memory: 256Mi, pids: 100}
              b: {image: "img:2", ports: [tcp/80]}
              c: {image: "img:3"}
            flows:
              - {from: a, to: b, ports: [tcp/80]}
              - {from: b, to: c, ports: [all]}
              - {from: any, to: a, ports: [tcp/80-82, udp/53, tcp/9000-9300]}
              - {from: c, to: any, ports: [all]}

            """#
        let compiled = compileSpec(odd)
        policies.append(try #require(compiled.policy, "\(compiled.diagnostics)"))
        policies.append(try #require(compileSpec("version: 1\nname: t\nworkloads: {}\n").policy))
        // Strings a spec cannot hold but a policy can: non-ASCII, which only libyaml writes,
        // and a key past 128 bytes, which libyaml writes as a complex key.
        var unicode = try #require(compileSpec("version: 1\nname: t\nworkloads:\n  a: {image: i}\n").policy)
        unicode.workloads[0].labels = [Label("k", "v\u{E9}")]
        policies.append(unicode)
        var long = unicode
        long.workloads[0].labels = [Label(String(repeating: "k", count: 130), "v")]
        policies.append(long)
        var fallbacks = 0
        for policy in policies {
            for gaps in [GapPolicy.widen, .narrow] {
                for extra: [String: OptionValue] in [
                    [:], ["publish_mode": .string("host")], ["output": .string("overlay")], ["encrypt_networks": .boolean(false)],
                ] {
                    let plan = try backend.plan(policy, SwarmOptions.parse(options(.swarm, gaps, extra)).options)
                    let emitter = SwarmEmitter(plan: plan)
                    let header = ["a header", "", "and more"]
                    let generic = try YAMLWriter.write(emitter.document(), header: header)
                    #expect(try emitter.composeText(header: header).string == generic, "\(policy.name) \(gaps) \(extra)")
                    if generic.utf8.contains(where: { $0 >= 0x80 }) || generic.contains("? ") { fallbacks += 1 }
                    #expect(try emitter.file().contents.hasSuffix(try YAMLWriter.write(emitter.document())))
                }
            }
        }
        // The non-ASCII label and the long key, under every option: the document's text.
        #expect(fallbacks == 2 * 4 * 2)
    }
}
