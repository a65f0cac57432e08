import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// The option `admin_network_policy` of the `kubernetes` and `openshift` targets: deny flows as
/// AdminNetworkPolicies, and the AdminNetworkPolicy/BaselineAdminNetworkPolicy semantics the
/// shared network model and reader apply.
@Suite struct AdminNetworkPolicyTests {
    static let targets: [TargetName] = [.kubernetes, .openshift]
    static let on: [String: OptionValue] = ["admin_network_policy": .boolean(true)]

    func backend(_ target: TargetName) throws -> any Backend { try #require(BackendRegistry.backend(for: target)) }

    func policy(_ text: String) throws -> Policy { try #require(compileSpec(text).policy) }

    /// With the option the files read back exactly as the emitter evaluates them, allow no more
    /// than without it, and block nothing the intent allows that they did not block before.
    func checkAgainstDefault(_ target: TargetName, _ policy: Policy, _ gaps: GapPolicy, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let backend = try backend(target)
        let (plain, plainRead) = try checkRoundTrip(backend, policy, options(target, gaps), sourceLocation: sourceLocation)
        let (admin, adminRead) = try checkRoundTrip(backend, policy, options(target, gaps, Self.on), sourceLocation: sourceLocation)
        #expect(adminRead.relation.subtracting(plainRead.relation).isEmpty, "the option allows more", sourceLocation: sourceLocation)
        #expect(admin.narrowed == plain.narrowed, "a Deny rule took away what the intent allows", sourceLocation: sourceLocation)
        #expect(admin.widened.subtracting(plain.widened).isEmpty, sourceLocation: sourceLocation)
    }

    @Test(arguments: backendSamples)
    func samplesRoundTripWithTheOption(sample: String) throws {
        let policy = try samplePolicy(sample)
        for target in Self.targets {
            for gaps in [GapPolicy.widen, .narrow] { try checkAgainstDefault(target, policy, gaps) }
        }
    }

    @Test func randomizedSpecsRoundTripWithTheOption() throws {
        var written = 0
        for target in Self.targets {
            try forRandomSpecs(seed: 93, count: 25) { policy, gaps in
                try checkAgainstDefault(target, policy, gaps)
                let admin = try backend(target).emit(policy, options: options(target, gaps, Self.on))
                if admin.files[0].contents.contains("kind: AdminNetworkPolicy") { written += 1 }
            }
        }
        // The random specs exercise the option: AdminNetworkPolicies are written and read back (the
        // fixture and the ICMP spec above are where they take widening away).
        #expect(written > 0)
    }

    static let icmpSpec = """
        version: 1
        name: t
        segments:
          front: {}
          back: {}
        workloads:
          a: {segment: front, image: registry.example.com/a:1, ports: [tcp/8080]}
          b: {segment: back, image: registry.example.com/b:1, ports: [tcp/80, tcp/22, icmp]}
        flows:
          - {name: a-to-b, from: a, to: b, ports: [all]}
          - {name: no-ssh, action: deny, from: a, to: b, ports: [tcp/22]}
          - {name: no-egress, action: deny, from: b, to: any, ports: [all]}
        """

    /// NetworkPolicy cannot carry ICMP without opening every port, so the deny of tcp/22 is
    /// lost by subtraction under `gaps: widen`; the AdminNetworkPolicy keeps it.
    @Test(arguments: targets)
    func theDenyHoldsWhereSubtractionCannot(target: TargetName) throws {
        let policy = try policy(Self.icmpSpec)
        let a = try #require(policy.workload(named: "a")).id
        let b = try #require(policy.workload(named: "b")).id
        let plain = try backend(target).emit(policy, options: options(target, .widen))
        #expect(plain.widened.ports(from: a, to: b).contains(.tcp, 22), "subtraction loses the deny")
        let (admin, read) = try checkRoundTrip(try backend(target), policy, options(target, .widen, Self.on))
        #expect(!admin.widened.ports(from: a, to: b).contains(.tcp, 22))
        #expect(!read.relation.ports(from: a, to: b).contains(.tcp, 22))
        #expect(read.relation.ports(from: a, to: b).contains(.tcp, 80))
        let documents = try admin.files[0].documents().filter { $0["kind"]?.scalar == "AdminNetworkPolicy" }
        // Kubernetes knows no cluster networks by default: the deny to every outside address stays
        // subtraction alone, as a `networks` peer would hold the pods too.
        let names = target == .kubernetes ? ["palisade.t.deny.no-ssh"] : ["palisade.t.deny.no-egress", "palisade.t.deny.no-ssh"]
        #expect(documents.compactMap { $0["metadata"]?["name"]?.scalar } == names)
        #expect(documents.allSatisfy { $0["apiVersion"]?.scalar == "policy.networking.k8s.io/v1alpha1" })
        // One priority each, from the option's, in the order of the names.
        #expect(documents.compactMap { $0["spec"]?["priority"]?.scalar } == (target == .kubernetes ? ["40"] : ["40", "41"]))
        #expect(admin.files[0].contents.contains("portNumber"))
        if target == .kubernetes { #expect(admin.files[0].contents.contains("need the network-policy-api CRDs")) }
        #expect(!admin.files[0].contents.contains("BaselineAdminNetworkPolicy"), "palisade writes no baseline (README)")
    }

    @Test(arguments: targets)
    func explainNamesTheDenyRule(target: TargetName) throws {
        let policy = try policy(Self.icmpSpec)
        let a = try #require(policy.workload(named: "a")).id
        let b = try #require(policy.workload(named: "b")).id
        let emission = try backend(target).emit(policy, options: options(target, .widen, Self.on))
        let lines = try backend(target).rules(
            emission.files, policy: policy, from: Endpoints(workloads: [a]), to: Endpoints(workloads: [b]), ports: PortSet(PortRange(.tcp, 22, 22)))
        #expect(
            lines.contains(
                "AdminNetworkPolicy palisade.t.deny.no-ssh (priority \(target == .kubernetes ? 40 : 41)): egress rule 1 'deny-workloads': Deny a -> b on tcp/22"
            ))
    }

    /// The fixture the conformance scripts check with network-config-analyzer: the option
    /// takes the denied ports out of what ICMP widened, and only those.
    @Test func theConformanceFixtureNarrowsOnlyTheDeniedPorts() throws {
        let path = repositoryRoot.appendingPathComponent("scripts/fixtures/admin-network-policy.yaml").path
        let policy = try #require(SpecCompiler.compile(path: path).policy)
        let web = try #require(policy.workload(named: "web")).id
        let api = try #require(policy.workload(named: "api")).id
        for target in Self.targets {
            try checkAgainstDefault(target, policy, .widen)
            let plain = try backend(target).emit(policy, options: options(target, .widen))
            let admin = try backend(target).emit(policy, options: options(target, .widen, Self.on))
            let lost = plain.widened.ports(from: web, to: api).subtracting(admin.widened.ports(from: web, to: api))
            #expect(lost == PortSet(PortRange(.tcp, 22, 22)))
        }
    }

    @Test func withoutTheOptionNothingChanges() throws {
        let policy = try policy(Self.icmpSpec)
        for target in Self.targets {
            let emission = try backend(target).emit(policy, options: options(target, .widen))
            #expect(!emission.files[0].contents.contains("AdminNetworkPolicy"))
        }
    }

    @Test func namesComeFromFlowsNeverPositionsAndThePriorityIsAnOption() throws {
        let unnamed = Self.icmpSpec.replacingOccurrences(of: "name: no-ssh, ", with: "")
        func names(_ text: String, _ extra: [String: OptionValue] = Self.on.merging(["cluster_networks": .string("10.128.0.0/14")]) { $1 }) throws -> [String] {
            let emission = try KubernetesBackend().emit(try policy(text), options: options(.kubernetes, .widen, extra))
            return try emission.files[0].documents().filter { $0["kind"]?.scalar == "AdminNetworkPolicy" }.compactMap { $0["metadata"]?["name"]?.scalar }
        }
        let first = try names(unnamed)
        #expect(first.count == 2 && first[0].hasPrefix("palisade.t.deny.") && first[0] != "palisade.t.deny.no-ssh")
        // Moving the unnamed flow after the other keeps its name.
        var lines = unnamed.components(separatedBy: "\n")
        let position = try #require(lines.firstIndex { $0.contains("action: deny, from: a") })
        lines.append(lines.remove(at: position))
        #expect(Set(try names(lines.joined(separator: "\n"))) == Set(first))
        var extra = Self.on
        extra["admin_network_policy_priority"] = .integer(7)
        let emission = try KubernetesBackend().emit(try policy(Self.icmpSpec), options: options(.kubernetes, .widen, extra))
        #expect(emission.files[0].contents.contains("priority: 7"))
    }

    func adminDocuments(_ target: TargetName, _ text: String, _ extra: [String: OptionValue] = [:]) throws -> [YAMLNode] {
        let emission = try backend(target).emit(try policy(text), options: options(target, .widen, Self.on.merging(extra) { $1 }))
        return try emission.files[0].documents().filter { $0["kind"]?.scalar == "AdminNetworkPolicy" }
    }

    static let manyDenies = """
        version: 1
        name: t
        segments:
          front: {}
          back: {}
        workloads:
          a: {segment: front, image: registry.example.com/a:1, ports: [tcp/8080]}
          b: {segment: back, image: registry.example.com/b:1, ports: [tcp/80, tcp/22, tcp/23, tcp/24]}
        flows:
          - {name: a-to-b, from: a, to: b, ports: [all]}
          - {name: d2, action: deny, from: a, to: b, ports: [tcp/22]}
          - {name: d1, action: deny, from: a, to: b, ports: [tcp/23]}
          - {name: d3, action: deny, from: a, to: b, ports: [tcp/24]}
        """

    /// OVN-Kubernetes refuses a second AdminNetworkPolicy at a priority, and the API leaves
    /// their order undefined: each takes its own, by name; past the platform's last priority
    /// they are not written (their denies stay as subtraction).
    @Test(arguments: targets)
    func eachPolicyHasItsOwnPriorityByNameUpToThePlatformsLast(target: TargetName) throws {
        func priorities(_ extra: [String: OptionValue] = [:]) throws -> [String: String] {
            let documents = try adminDocuments(target, Self.manyDenies, extra)
            return Dictionary(uniqueKeysWithValues: documents.map { ($0["metadata"]?["name"]?.scalar ?? "", $0["spec"]?["priority"]?.scalar ?? "") })
        }
        #expect(try priorities() == ["palisade.t.deny.d1": "40", "palisade.t.deny.d2": "41", "palisade.t.deny.d3": "42"])
        let last = target == .openshift ? 99 : 1000
        #expect(
            try priorities(["admin_network_policy_priority": .integer(last - 1)]) == ["palisade.t.deny.d1": "\(last - 1)", "palisade.t.deny.d2": "\(last)"])
        let policy = try policy(Self.manyDenies)
        let settings = Self.on.merging(["admin_network_policy_priority": .integer(last - 1)]) { $1 }
        _ = try checkRoundTrip(try backend(target), policy, options(target, .widen, settings))
    }

    /// Flow names need not be unique: two deny flows with one name are two policies, named
    /// from the name and what each denies, the same when the flows move.
    @Test(arguments: targets)
    func denyFlowsThatShareANameAreEachWritten(target: TargetName) throws {
        let shared = Self.manyDenies.replacingOccurrences(of: "name: d3", with: "name: d1")
        let names = try adminDocuments(target, shared).compactMap { $0["metadata"]?["name"]?.scalar }
        #expect(names.count == 3 && names.contains("palisade.t.deny.d2"))
        #expect(names.filter { $0.hasPrefix("palisade.t.deny.d1-") }.count == 2)
        var lines = shared.components(separatedBy: "\n")
        let position = try #require(lines.firstIndex { $0.contains("name: d1, action: deny") })
        lines.append(lines.remove(at: position))
        #expect(Set(try adminDocuments(target, lines.joined(separator: "\n")).compactMap { $0["metadata"]?["name"]?.scalar }) == Set(names))
        let policy = try policy(shared)
        let a = try #require(policy.workload(named: "a")).id
        let b = try #require(policy.workload(named: "b")).id
        let (_, read) = try checkRoundTrip(try backend(target), policy, options(target, .widen, Self.on))
        #expect(read.relation.ports(from: a, to: b).intersection(PortSet(PortRange(.tcp, 22, 24))).isEmpty)
    }

    static let outsideDeny = """
        version: 1
        name: t
        networks:
          ten: [10.0.0.0/8]
        workloads:
          a: {image: registry.example.com/a:1, ports: [tcp/8080]}
          b: {image: registry.example.com/b:1, ports: [tcp/80]}
        flows:
          - {name: a-to-b, from: a, to: b, ports: [tcp/80]}
          - {name: a-out, from: a, to: any, ports: [tcp/443]}
          - {name: no-out, action: deny, from: a, to: ten, ports: [tcp/443]}
        """

    /// The platform matches pod addresses against `networks` too: without cluster networks
    /// (none by default on Kubernetes) no `networks` peer is written; with them, the peer
    /// leaves them out.
    @Test func networksPeersNeedTheClusterNetworks() throws {
        func adminText(_ target: TargetName, _ extra: [String: OptionValue]) throws -> String {
            let emission = try backend(target).emit(try policy(Self.outsideDeny), options: options(target, .widen, Self.on.merging(extra) { $1 }))
            return emission.files[0].contents.components(separatedBy: "\n---").filter { $0.contains("kind: AdminNetworkPolicy") }.joined()
        }
        #expect(try adminText(.kubernetes, [:]).isEmpty)
        let kubernetes = try adminText(.kubernetes, ["cluster_networks": .string("10.128.0.0/14")])
        #expect(kubernetes.contains("networks:") && kubernetes.contains("10.0.0.0/9") && !kubernetes.contains("10.128."))
        let openshift = try adminText(.openshift, [:])
        #expect(openshift.contains("networks:") && openshift.contains("10.0.0.0/9") && !openshift.contains("10.128."))
    }

    /// Cilium implements no AdminNetworkPolicy: the option with `cni: cilium` is a located error.
    @Test func ciliumAndTheOptionAreALocatedError() throws {
        let diagnostics = try backend(.kubernetes).validate(options(.kubernetes, .widen, Self.on.merging(["cni": .string("cilium")]) { $1 }))
        #expect(diagnostics.count == 1 && diagnostics[0].code == .invalidTargetOption && diagnostics[0].message.contains("cilium"))
        #expect(try backend(.kubernetes).validate(options(.kubernetes, .widen, ["cni": .string("cilium")])).isEmpty)
    }

    @Test func wrongOptionValuesAreLocatedErrors() throws {
        for target in Self.targets {
            for (key, value) in [("admin_network_policy", OptionValue.string("yes")), ("admin_network_policy_priority", .integer(1001))] {
                let diagnostics = try backend(target).validate(options(target, .widen, [key: value]))
                #expect(diagnostics.count == 1 && diagnostics[0].message.contains(key))
            }
        }
        // OVN-Kubernetes takes priorities 0 to 99, from OpenShift 4.16.
        #expect(try backend(.openshift).validate(options(.openshift, .widen, ["admin_network_policy_priority": .integer(100)])).count == 1)
        #expect(try backend(.kubernetes).validate(options(.kubernetes, .widen, ["admin_network_policy_priority": .integer(100)])).isEmpty)
        var old = Self.on
        old["version"] = .string("4.15")
        #expect(try backend(.openshift).validate(options(.openshift, .widen, old)).count == 1)
        old["admin_network_policy"] = .boolean(false)
        #expect(try backend(.openshift).validate(options(.openshift, .widen, old)).isEmpty)
    }

    // MARK: The semantics, on the network model

    func group(_ index: Int, _ namespace: String, _ name: String) -> PodGroup {
        PodGroup(workload: WorkloadID(index), namespace: namespace, labels: [OpenShiftPlan.workloadLabel: name])
    }

    func pods(_ names: String...) -> AdminNetworkPolicy.Peer {
        .pods(namespaces: .everything, pods: LabelSelector(labels: [:], valuesIn: [OpenShiftPlan.workloadLabel: Set(names)]))
    }

    func rule(_ action: AdminNetworkPolicy.Action, _ peers: [AdminNetworkPolicy.Peer], _ ports: [PolicyPort]? = nil) -> AdminNetworkPolicy.Rule {
        .init(name: action.rawValue.lowercased(), action: action, peers: peers, ports: ports)
    }

    let tcp80 = [PolicyPort(proto: .tcp, port: 80)]

    func network() -> (ClusterNetwork, PodGroup, PodGroup) {
        let a = group(0, "n", "a")
        let b = group(1, "m", "b")
        let network = ClusterNetwork(
            namespaces: ["n": ["kubernetes.io/metadata.name": "n"], "m": ["kubernetes.io/metadata.name": "m"]], pods: [a, b], policies: [], firewalls: [],
            loadBalancers: [], routes: [])
        return (network, a, b)
    }

    @Test func adminPoliciesApplyByAscendingPriorityAndFirstMatchingRule() {
        var (network, a, b) = network()
        // Lower priority first: its Allow of tcp/80 wins over the later Deny of everything.
        network.adminPolicies = [
            AdminNetworkPolicy(name: "z-deny", priority: 20, subject: pods("b"), ingress: [rule(.deny, [pods("a")])], egress: []),
            AdminNetworkPolicy(name: "a-allow", priority: 10, subject: pods("b"), ingress: [rule(.allow, [pods("a")], tcp80)], egress: []),
        ]
        #expect(network.relation.ports(from: a.workload, to: b.workload) == PortSet(PortRange(.tcp, 80, 80)))
        // Within one policy the first rule that matches decides.
        network.adminPolicies = [
            AdminNetworkPolicy(
                name: "one", priority: 10, subject: pods("b"), ingress: [rule(.deny, [pods("a")], tcp80), rule(.allow, [pods("a")])], egress: [])
        ]
        #expect(network.relation.ports(from: a.workload, to: b.workload) == PortSet.all.subtracting(PortSet(PortRange(.tcp, 80, 80))))
        #expect(network.relation.ports(from: b.workload, to: a.workload) == .all, "b's egress and a's ingress are not subjects")
    }

    @Test func allowOverridesNetworkPolicyAndPassHandsToIt() {
        var (network, a, b) = network()
        network.policies = [NetworkPolicy(name: "default-deny", namespace: "m", podSelector: .everything, ingress: [], egress: [])]
        #expect(network.relation.ports(from: a.workload, to: b.workload).isEmpty)
        network.adminPolicies = [AdminNetworkPolicy(name: "open", priority: 5, subject: pods("b"), ingress: [rule(.allow, [pods("a")], tcp80)], egress: [])]
        #expect(network.relation.ports(from: a.workload, to: b.workload) == PortSet(PortRange(.tcp, 80, 80)), "Allow is final: no NetworkPolicy can close it")
        network.adminPolicies = [
            AdminNetworkPolicy(name: "pass", priority: 5, subject: pods("b"), ingress: [rule(.pass, [pods("a")])], egress: []),
            AdminNetworkPolicy(name: "later", priority: 6, subject: pods("b"), ingress: [rule(.allow, [pods("a")])], egress: []),
        ]
        #expect(network.relation.ports(from: a.workload, to: b.workload).isEmpty, "Pass skips the later admin policies: NetworkPolicy decides")
    }

    @Test func theBaselineAppliesOnlyWhereNoNetworkPolicyIsolates() {
        var (network, a, b) = network()
        network.baseline = AdminNetworkPolicy(
            name: "default", priority: nil, subject: .namespaces(.everything), ingress: [rule(.allow, [pods("a")], tcp80), rule(.deny, [pods("a")])],
            egress: [rule(.deny, [.networks([CIDR.v4(0, prefix: 0)])])])
        #expect(network.relation.ports(from: a.workload, to: b.workload) == PortSet(PortRange(.tcp, 80, 80)))
        let out = network.relation.egress[a.workload]?.peers(.tcp, 443)
        #expect(out?.addresses.intersection(CIDR.v4(0, prefix: 0).addressSet).isEmpty == true, "the baseline denies every IPv4 address")
        #expect(out?.dns.isEmpty == true, "and every name")
        #expect(out?.addresses.isEmpty == false, "IPv6 is left")
        // A NetworkPolicy isolating b for ingress takes over from the baseline.
        let fromA = PolicyPeer.pods(namespaces: LabelSelector(labels: ["kubernetes.io/metadata.name": "n"]), pods: nil)
        network.policies = [NetworkPolicy(name: "in", namespace: "m", podSelector: .everything, ingress: [PolicyRule(peers: [fromA], ports: nil)])]
        #expect(network.relation.ports(from: a.workload, to: b.workload) == .all)
        // Admin policies still come first.
        network.adminPolicies = [AdminNetworkPolicy(name: "d", priority: 1, subject: pods("b"), ingress: [rule(.deny, [pods("a")], tcp80)], egress: [])]
        #expect(!network.relation.ports(from: a.workload, to: b.workload).contains(.tcp, 80))
    }

    @Test func egressNetworksAreFirstMatchToo() throws {
        var (network, a, _) = network()
        let ten = try #require({ if case .valid(let cidr) = CIDR.parse("10.0.0.0/8") { return cidr } else { return nil } }())
        network.adminPolicies = [
            AdminNetworkPolicy(
                name: "e", priority: 1, subject: pods("a"), ingress: [],
                egress: [rule(.allow, [.networks([ten])], tcp80), rule(.deny, [.networks([CIDR.v4(0, prefix: 0), CIDR.v6(0, prefix: 0)])])])
        ]
        let out = try #require(network.relation.egress[a.workload])
        #expect(out.peers(.tcp, 80).addresses == ten.addressSet)
        #expect(out.peers(.tcp, 443).isEmpty)
    }

    // MARK: The reader

    /// The file of the ICMP spec with documents added.
    func read(_ target: TargetName, adding extra: String) throws -> ReadBack {
        let policy = try policy(Self.icmpSpec)
        let emission = try backend(target).emit(policy, options: options(target, .widen))
        var file = emission.files[0]
        file.contents += "---\n" + extra
        return try backend(target).read([file], policy: policy)
    }

    static let baselineDeny = """
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: BaselineAdminNetworkPolicy
        metadata: {name: default}
        spec:
          subject: {namespaces: {}}
          ingress:
          - {name: nothing, action: Deny, from: [{namespaces: {}}]}

        """

    @Test(arguments: targets)
    func theReaderReadsABaselineThatPalisadesDefaultDenyMakesIdle(target: TargetName) throws {
        let policy = try policy(Self.icmpSpec)
        let plain = try backend(target).read(try backend(target).emit(policy, options: options(target, .widen)).files, policy: policy)
        // Every namespace of the policy has a default deny: the baseline changes nothing.
        #expect(try read(target, adding: Self.baselineDeny).relation == plain.relation)
        #expect(throws: ReadFailure.self) { try read(target, adding: Self.baselineDeny.replacingOccurrences(of: "name: default", with: "name: other")) }
    }

    @Test(arguments: targets)
    func theReaderReadsAdminPoliciesAndRefusesAmbiguousPriorities(target: TargetName) throws {
        let policy = try policy(Self.icmpSpec)
        let a = try #require(policy.workload(named: "a")).id
        let b = try #require(policy.workload(named: "b")).id
        let deny = """
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: {name: NAME}
            spec:
              priority: 3
              subject: {pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: back}}, podSelector: {}}}
              ingress:
              - name: r
                action: ACTION
                from: [{pods: {namespaceSelector: {}, podSelector: {matchExpressions: [{key: palisade.dev/workload, operator: In, values: [a]}]}}}]
                ports: [{portRange: {protocol: TCP, start: 1, end: 100}}]

            """
        let admitted = try read(target, adding: deny.replacingOccurrences(of: "NAME", with: "x").replacingOccurrences(of: "ACTION", with: "Deny"))
        #expect(!admitted.relation.ports(from: a, to: b).contains(.tcp, 80))
        let two =
            deny.replacingOccurrences(of: "NAME", with: "x").replacingOccurrences(of: "ACTION", with: "Deny") + "---\n"
            + deny.replacingOccurrences(of: "NAME", with: "y").replacingOccurrences(of: "ACTION", with: "Allow")
        #expect(throws: ReadFailure.self) { try read(target, adding: two) }
        #expect(throws: ReadFailure.self) { try read(target, adding: deny.replacingOccurrences(of: "ACTION", with: "Drop")) }
    }

    static func networksDeny(_ cidrs: String) -> String {
        """
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: wide}
        spec:
          priority: 3
          subject: {pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: front}}, podSelector: {}}}
          egress:
          - {name: r, action: Deny, to: [{networks: [\(cidrs)]}]}

        """
    }

    /// A `networks` peer holds the pods whose addresses it holds: all of them when it holds
    /// every cluster network, which the reader applies; part of them, or any when the reader
    /// knows no cluster networks (Kubernetes without `cluster_networks`), fails the read.
    @Test func theReaderMatchesPodsAgainstNetworksPeersByTheClusterNetworks() throws {
        let policy = try policy(Self.icmpSpec)
        let a = try #require(policy.workload(named: "a")).id
        let b = try #require(policy.workload(named: "b")).id
        let whole = try read(.openshift, adding: Self.networksDeny("0.0.0.0/0, '::/0'"))
        #expect(whole.relation.ports(from: a, to: b).isEmpty, "0.0.0.0/0 and ::/0 hold every pod")
        #expect(throws: ReadFailure.self) { try read(.openshift, adding: Self.networksDeny("10.128.0.0/16")) }
        let apart = try read(.openshift, adding: Self.networksDeny("192.0.2.0/24"))
        #expect(apart.relation.ports(from: a, to: b).contains(.tcp, 80))
        do {
            _ = try read(.kubernetes, adding: Self.networksDeny("192.0.2.0/24"))
            Issue.record("a networks peer read without cluster networks")
        } catch let failure as ReadFailure {
            #expect(failure.description.contains("cluster_networks") && failure.description.contains("wide"))
        }
        let known = try self.policy(Self.icmpSpec + "\ntargets:\n  kubernetes: {cluster_networks: \"10.128.0.0/14\"}\n")
        var file = try KubernetesBackend().emit(known, options: options(.kubernetes, .widen)).files[0]
        file.contents += "---\n" + Self.networksDeny("0.0.0.0/0")
        #expect(try KubernetesBackend().read([file], policy: known).relation.ports(from: a, to: b).isEmpty)
    }
}
