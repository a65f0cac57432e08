import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing

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

    @Test func defaultsForRequiredResourcesAreReported() throws {
        let policy = try #require(compileSpec("version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25}\n").policy)
        let emission = try backend.emit(policy, options: options(.mesos, .widen))
        #expect(emission.files[0].contents.contains("\"cpus\": 1,"))
        #expect(emission.files[0].contents.contains("\"mem\": 128,"))
        #expect(emission.gaps.filter { $0.capability == .resourceLimits }.count == 2)
    }
}

extension MesosTests {
    @Test func aConnectedGroupTooLargeForOneDockerNetworkIsALocatedError() throws {
        let count = MesosPlan.largestNetwork + 1
        var text = "version: 1\nname: t\nworkloads:\n"
        for index in 0..<count { text += "  w\(index): {image: nginx:1.25, ports: [tcp/80]}\n" }
        text += "flows:\n"
        for index in 1..<count { text += "  - {from: w\(index - 1), to: w\(index), ports: [tcp/80]}\n" }
        text += "targets:\n  mesos: {containerizer: docker}\n"
        let policy = try #require(compileSpec(text).policy)
        let error = try #require(throws: BackendError.self) {
            try backend.emit(policy, options: try #require(policy.options(for: .mesos)))
        }
        #expect(error.diagnostic.code == .targetLimit)
        #expect(error.diagnostic.range?.start.line == text.split(separator: "\n").count)
        // The Mesos containerizer takes a network per linked pair instead: fine.
        let ucr = options(.mesos, .widen, ["containerizer": .string("mesos")])
        #expect(try backend.emit(policy, options: ucr).files.count == 2)
    }
}
