import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// OpenShift at estate size: one SCC per distinct runtime profile, and the relation computed
/// through the label index, checked against a brute-force evaluation of every pair.
@Suite struct OpenShiftScaleTests {
    let backend = OpenShiftBackend()

    func plan(_ spec: String) throws -> (Policy, OpenShiftPlan) {
        let policy = try #require(compileSpec(spec).policy)
        return (policy, try OpenShiftPlan(policy: policy, options: backend.options(of: policy)))
    }

    /// The SCC that admits each workload's pod, read back from the file alone.
    func admissions(_ policy: Policy) throws -> [String: String] {
        let emission = try backend.emit(policy, with: backend.options(of: policy))
        let reader = OpenShiftReader(policy: policy, files: emission.files)
        var result: [String: String] = [:]
        for (workload, admission) in try reader.admissions(try reader.parse()) { result[policy.workloads[workload.index].name] = admission.scc }
        return result
    }

    static let profiles = """
        version: 1
        name: t
        segments: {front: {}, back: {}}
        identities: {a: {}, b: {}, c: {}, d: {}}
        workloads:
          a: {image: nginx:1.25, segment: front, identity: a, runtime: {user: 1000, read_only_root: true}}
          b: {image: nginx:1.25, segment: front, identity: b, runtime: {user: 1000, read_only_root: true}}
          c: {image: nginx:1.25, segment: back, identity: c, runtime: {user: 1000, read_only_root: true}}
          d: {image: nginx:1.25, segment: back, identity: d, runtime: {user: 2000, capabilities: {drop: [ALL], add: [NET_ADMIN]}}}
        """

    @Test func workloadsWithOneProfileShareOneSCCBoundToEachOfTheirAccounts() throws {
        let (policy, plan) = try plan(Self.profiles)
        #expect(plan.sccs.map(\.name) == ["palisade.t.uid-1000.readonly", "palisade.t.uid-2000.add-net-admin.drop-all"])
        let byName = Dictionary(uniqueKeysWithValues: plan.deployments.map { ($0.workload.name, $0.scc.name) })
        #expect(byName["a"] == "palisade.t.uid-1000.readonly" && byName["b"] == byName["a"] && byName["c"] == byName["a"])
        #expect(byName["d"] == "palisade.t.uid-2000.add-net-admin.drop-all")
        // One Role and RoleBinding per namespace and profile; the binding names both accounts.
        let bindings = plan.bindings.filter { $0.name.hasPrefix("palisade.scc.") }
        #expect(
            bindings.map { "\($0.namespace)/\($0.name)" } == [
                "front/palisade.scc.uid-1000.readonly", "back/palisade.scc.uid-1000.readonly", "back/palisade.scc.uid-2000.add-net-admin.drop-all",
            ])
        #expect(bindings[0].subjects.map(\.name) == ["a", "b"])
        #expect(bindings[1].subjects.map(\.name) == ["c"])
        let roles = plan.roles.filter { $0.name.hasPrefix("palisade.scc.") }
        #expect(
            roles.map { $0.rules.first?.resourceNames ?? [] } == [
                ["palisade.t.uid-1000.readonly"], ["palisade.t.uid-1000.readonly"], ["palisade.t.uid-2000.add-net-admin.drop-all"],
            ])
        // Read back from the file: each pod is admitted by the SCC of its profile.
        #expect(try admissions(policy) == byName)
        let text = try backend.emit(policy, with: backend.options(of: policy)).files[0].contents
        #expect(text.components(separatedBy: "kind: SecurityContextConstraints").count - 1 == 2)
    }

    @Test func sccNamesComeFromTheProfileAndStayWhenTheSpecGrows() throws {
        let (_, before) = try plan(Self.profiles)
        let (_, after) = try plan(
            Self.profiles + "\n  e: {image: nginx:1.25, segment: front, identity: a, runtime: {user: 3000, privileged: true, host_network: true}}\n")
        #expect(Set(before.sccs.map(\.name)).isSubset(of: Set(after.sccs.map(\.name))))
        #expect(after.sccs.count == 3)
        #expect(after.sccs.contains { $0.name == "palisade.t.uid-3000.privileged.hostnetwork" })
        // The restricted-v2-like profile, and a namespace prefix.
        let (_, plain) = try plan(
            """
            version: 1
            name: t
            workloads:
              a: {image: nginx:1.25}
            targets:
              openshift: {namespace_prefix: staging-}
            """)
        #expect(plain.sccs.map(\.name) == ["palisade.staging-t.restricted"])
    }

    /// One service account, two profiles: the account may use both SCCs, and priorities make
    /// each pod's own SCC the first that admits it (the looser SCC would admit the stricter pod).
    @Test func anAccountWithTwoProfilesGetsEachPodItsOwnSCC() throws {
        let (policy, plan) = try plan(
            """
            version: 1
            name: t
            identities: {svc: {}}
            workloads:
              plain: {image: nginx:1.25, identity: svc, runtime: {user: 1000, read_only_root: false, no_new_privileges: true}}
              admin:
                image: nginx:1.25
                identity: svc
                runtime: {user: 1000, read_only_root: false, no_new_privileges: true, capabilities: {drop: [ALL], add: [NET_ADMIN]}}
            """)
        #expect(plan.sccs.count == 2)
        let own = Dictionary(uniqueKeysWithValues: plan.deployments.map { ($0.workload.name, $0.scc) })
        let (plainSCC, adminSCC) = (try #require(own["plain"]), try #require(own["admin"]))
        #expect(adminSCC.admit(plan.deployments[0].security) != nil, "the looser SCC admits the plain pod too")
        #expect((plainSCC.priority ?? 0) > (adminSCC.priority ?? 0))
        #expect(try admissions(policy) == ["plain": plainSCC.name, "admin": adminSCC.name])
        let binding = try #require(plan.bindings.first { $0.name == "palisade.scc.\(plainSCC.name.dropFirst("palisade.t.".count))" })
        #expect(binding.subjects.map(\.name) == ["svc"])
    }

    @Test(arguments: backendSamples)
    func everySamplePodIsAdmittedByTheSCCOfItsProfile(sample: String) throws {
        let policy = try samplePolicy(sample)
        let plan = try OpenShiftPlan(policy: policy, options: backend.options(of: policy))
        let expected = Dictionary(uniqueKeysWithValues: plan.deployments.map { ($0.workload.name, $0.scc.name) })
        #expect(try admissions(policy) == expected)
        #expect(Set(plan.sccs.map { OpenShiftPlan.sccKey($0) }).count == plan.sccs.count)
    }

    // MARK: The indexed relation against brute force

    /// Every pair tested against every rule: the semantics of `ClusterNetwork.relation` with
    /// no index (each selector matched against each pod).
    static func bruteForce(_ network: ClusterNetwork) -> Relation {
        func selecting(_ pod: PodGroup, _ direction: ClusterNetwork.Direction) -> [(NetworkPolicy, PolicyRule)]? {
            var isolated = false
            var rules: [(NetworkPolicy, PolicyRule)] = []
            for policy in network.policies where policy.namespace == pod.namespace && policy.podSelector.labels.allSatisfy({ pod.labels[$0.key] == $0.value }) {
                guard let own = direction == .ingress ? policy.ingress : policy.egress else { continue }
                isolated = true
                rules += own.map { (policy, $0) }
            }
            return pod.hostNetwork || !isolated ? nil : rules
        }
        func matches(_ peer: PolicyPeer, _ policy: NetworkPolicy, _ other: PodGroup) -> Bool {
            guard case .pods(let namespaces, let pods) = peer, !other.hostNetwork else { return false }
            if let namespaces {
                let labels = network.labels(of: other.namespace)
                guard namespaces.labels.allSatisfy({ labels[$0.key] == $0.value }) else { return false }
            } else if other.namespace != policy.namespace {
                return false
            }
            return (pods?.labels ?? [:]).allSatisfy { other.labels[$0.key] == $0.value }
        }
        func ports(_ rules: [(NetworkPolicy, PolicyRule)]?, _ other: PodGroup) -> PortSet {
            guard let rules else { return .all }
            var result = PortSet()
            for (policy, rule) in rules where rule.peers?.contains(where: { matches($0, policy, other) }) ?? true { result.formUnion(rule.portSet) }
            return result
        }
        var relation = Relation()
        for destination in network.pods {
            let ingress = selecting(destination, .ingress)
            for source in network.pods {
                let allowed = ports(ingress, source).intersection(ports(selecting(source, .egress), destination))
                if !allowed.isEmpty { relation.betweenWorkloads[WorkloadPair(source.workload, destination.workload)] = allowed }
            }
        }
        return relation
    }

    /// A random small network: labels from a small vocabulary, selectors of zero to two labels,
    /// namespace selectors, host-network pods, rules for everyone or for peers.
    static func randomNetwork(_ rng: inout SeededGenerator) -> ClusterNetwork {
        let values = ["a", "b", "c"]
        func labels(_ count: Int) -> [String: String] {
            var result: [String: String] = [:]
            for _ in 0..<count { result[["app", "tier", "zone"].randomElement(using: &rng)!] = values.randomElement(using: &rng)! }
            return result
        }
        func selector() -> LabelSelector { LabelSelector(labels: labels(Int.random(in: 0...2, using: &rng))) }
        let namespaceNames = ["n1", "n2", "n3"]
        var network = ClusterNetwork(namespaces: [:], pods: [], policies: [], firewalls: [], loadBalancers: [], routes: [])
        for name in namespaceNames {
            var own = labels(Int.random(in: 0...2, using: &rng))
            own[OpenShiftPlan.namespaceNameLabel] = name
            network.namespaces[name] = own
        }
        for index in 0..<Int.random(in: 1...10, using: &rng) {
            var own = labels(Int.random(in: 0...3, using: &rng))
            own[OpenShiftPlan.workloadLabel] = "w\(index)"
            network.pods.append(
                PodGroup(
                    workload: WorkloadID(index), namespace: namespaceNames.randomElement(using: &rng)!, labels: own,
                    hostNetwork: Int.random(in: 0..<8, using: &rng) == 0))
        }
        let portChoices: [[PolicyPort]?] = [
            nil, [PolicyPort(proto: .tcp, port: 80)], [PolicyPort(proto: .tcp, port: 80, endPort: 90)], [PolicyPort(proto: .udp)],
            [PolicyPort(proto: .tcp, port: 85), PolicyPort(proto: .udp, port: 53)],
        ]
        func rules() -> [PolicyRule]? {
            guard Int.random(in: 0..<4, using: &rng) > 0 else { return nil }
            return (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                let peers: [PolicyPeer]? =
                    Int.random(in: 0..<5, using: &rng) == 0
                    ? nil
                    : (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                        switch Int.random(in: 0..<6, using: &rng) {
                        case 0:
                            return [
                                .block(cidr: .v4(0x0A00_0000, prefix: 8), except: []), .block(cidr: .v4(0, prefix: 0), except: [.v4(0x0A00_0000, prefix: 8)]),
                                .block(cidr: .v4(0x0A01_0000, prefix: 16), except: [.v4(0x0A01_0200, prefix: 24), .v4(0x0A01_0300, prefix: 24)]),
                            ].randomElement(using: &rng)!
                        case 1: return .pods(namespaces: selector(), pods: nil)
                        case 2: return .pods(namespaces: nil, pods: nil)
                        case 3: return .pods(namespaces: selector(), pods: selector())
                        default: return .pods(namespaces: nil, pods: selector())
                        }
                    }
                return PolicyRule(peers: peers, ports: portChoices.randomElement(using: &rng)!)
            }
        }
        for index in 0..<Int.random(in: 0...8, using: &rng) {
            network.policies.append(
                NetworkPolicy(
                    name: "p\(index)", namespace: namespaceNames.randomElement(using: &rng)!, podSelector: selector(), ingress: rules(), egress: rules()))
        }
        return network
    }

    /// The manifest written document by document is the stream of all the documents.
    @Test func theManifestIsWrittenDocumentByDocumentAsOneStream() throws {
        try forRandomSpecs(seed: 53, count: 10) { policy, _ in
            let emitter = OpenShiftEmitter(plan: try OpenShiftPlan(policy: policy, options: backend.options(of: policy)))
            #expect(try emitter.text(header: ["h"]).string == YAMLWriter.write(emitter.documents(), header: ["h"]))
        }
    }

    /// NetworkPolicies and Services written directly into the stream give the bytes of their
    /// trees: random rules, peers, ports and selectors (each peer's and each port list's text
    /// recorded once and replayed after), names that must be quoted (`yes`, `0755`, `a: b`) and names only
    /// libyaml writes (the tree is built for those alone).
    @Test func directlyWrittenDocumentsAreTheirTreesBytes() throws {
        let (policy, plan) = try plan(Self.profiles)
        let emitter = OpenShiftEmitter(plan: plan)
        var rng = SeededGenerator(seed: 61)
        let names = ["web", "yes", "0755", "on", "a: b", "ünï", "x-1", "1.5"]
        for _ in 0..<200 {
            var tree = YAMLWriter.Stream(header: ["h"])
            var direct = YAMLWriter.Stream(header: ["h"])
            for var item in Self.randomNetwork(&rng).policies {
                item.name = names.randomElement(using: &rng)!
                item.namespace = names.randomElement(using: &rng)!
                try tree.append(emitter.networkPolicy(item))
                var built = false
                try direct.append(
                    writing: { emitter.networkPolicy(item, into: &$0) },
                    otherwise: {
                        built = true
                        return emitter.networkPolicy(item)
                    })
                #expect(built == [item.name, item.namespace].contains { $0 == "ünï" })
            }
            for workload in policy.workloads {
                let protocols: [TransportProtocol] = [.tcp, .udp, .sctp]
                let ports = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                    // Often a common port, so that Services share their ports' text.
                    let port = Bool.random(using: &rng) ? [80, 443, 8080].randomElement(using: &rng)! : Int.random(in: 1...65535, using: &rng)
                    return PortRange(protocols.randomElement(using: &rng)!, port, port)
                }
                let service = OpenShiftPlan.Service(workload: workload, namespace: names.randomElement(using: &rng)!, ports: ports)
                try tree.append(emitter.service(service))
                try direct.append(writing: { emitter.service(service, into: &$0) }, otherwise: { emitter.service(service) })
            }
            #expect(try direct.text() == tree.text())
        }
    }

    /// Peers that are copies of a few peers (their selectors sharing label dictionaries and
    /// their ipBlocks `except` lists, as a plan's do), found by `PeerIdentity`, give the bytes of their trees while the peers
    /// change: each round some are replaced by new ones (new dictionaries, which may take the
    /// addresses of dropped ones), some by copies changed in place, some by equal labels in
    /// new storage; and the policies' peers sit at every depth the writer meets them.
    @Test func peersFoundByTheirLabelsStorageAreTheirTreesBytes() throws {
        let (_, plan) = try plan(Self.profiles)
        let emitter = OpenShiftEmitter(plan: plan)
        var rng = SeededGenerator(seed: 73)
        let values = ["a", "b", "yes", "web-1", "0755"]
        func selector() -> LabelSelector? {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: return nil
            case 1: return LabelSelector(labels: [:])
            default: return LabelSelector(labels: [["app", "tier"].randomElement(using: &rng)!: values.randomElement(using: &rng)!])
            }
        }
        let cidrs: [CIDR] = [.v4(0x0A00_0000, prefix: 8), .v4(0x0A01_0000, prefix: 16), .v4(0x0A01_0200, prefix: 24), .v6(0, prefix: 0)]
        func peer() -> PolicyPeer {
            guard Int.random(in: 0..<3, using: &rng) == 0 else { return .pods(namespaces: selector(), pods: selector()) }
            let except = (0..<Int.random(in: 0...2, using: &rng)).map { _ in cidrs.randomElement(using: &rng)! }
            return .block(cidr: cidrs.randomElement(using: &rng)!, except: except)
        }
        var pool = (0..<6).map { _ in peer() }
        for _ in 0..<300 {
            let index = Int.random(in: 0..<pool.count, using: &rng)
            switch (Int.random(in: 0..<3, using: &rng), pool[index]) {
            case (0, _): pool[index] = peer()
            // A copy changed: new storage, or the same storage changed in place where the pool's copy is its only one.
            case (1, .pods(let namespaces, var pods)):
                pods?.labels["app"] = values.randomElement(using: &rng)!
                pool[index] = .pods(namespaces: namespaces, pods: pods)
            case (1, .block(let cidr, var except)):
                except.append(cidrs.randomElement(using: &rng)!)
                pool[index] = .block(cidr: cidr, except: except)
            // Equal lists in new storage.
            case (_, .pods(let namespaces, let pods)):
                pool[index] = .pods(namespaces: namespaces.map { LabelSelector(labels: $0.labels.merging([:]) { a, _ in a }) }, pods: pods)
            case (_, .block(let cidr, let except)): pool[index] = .block(cidr: cidr, except: except.map { $0 })
            }
            let rules = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                PolicyRule(peers: (0..<Int.random(in: 1...4, using: &rng)).map { _ in pool.randomElement(using: &rng)! }, ports: nil)
            }
            let item = NetworkPolicy(name: "p", namespace: "n", podSelector: .everything, ingress: rules, egress: Bool.random(using: &rng) ? rules : nil)
            var tree = YAMLWriter.Stream()
            var direct = YAMLWriter.Stream()
            try tree.append(emitter.networkPolicy(item))
            try direct.append(writing: { emitter.networkPolicy(item, into: &$0) }, otherwise: { emitter.networkPolicy(item) })
            #expect(try direct.text() == tree.text())
            // The same peers at another depth: their texts are written again, not replayed.
            let peers = item.ingress![0].peers!
            var entry = YAMLWriter.Stream()
            try entry.append(
                writing: { out in out.mapping("x") { out in out.sequence("y") { out in for peer in peers { emitter.knownPeer(peer, into: &out) } } } },
                otherwise: { .object([]) })
            var entryTree = YAMLWriter.Stream()
            try entryTree.append(
                writing: { out in
                    out.mapping("x") { out in out.sequence("y") { out in for peer in peers { out.itemMapping { emitter.peer(peer, into: &$0) } } } }
                },
                otherwise: { .object([]) })
            #expect(try entry.text() == entryTree.text())
        }
    }

    /// Deployments of random specs (every runtime control, secrets, writable paths) written
    /// directly give the bytes of their trees, without building the tree.
    @Test func directlyWrittenDeploymentsAreTheirTreesBytes() throws {
        try forRandomSpecs(seed: 67, count: 20) { policy, _ in
            let emitter = OpenShiftEmitter(plan: try OpenShiftPlan(policy: policy, options: backend.options(of: policy)))
            for deployment in emitter.plan.deployments {
                var tree = YAMLWriter.Stream()
                var direct = YAMLWriter.Stream()
                try tree.append(emitter.deployment(deployment))
                var built = false
                try direct.append(
                    writing: { emitter.deployment(deployment, into: &$0) },
                    otherwise: {
                        built = true
                        return emitter.deployment(deployment)
                    })
                #expect(try direct.text() == tree.text())
                #expect(!built)
            }
        }
    }

    /// Pods of a namespace that let out the same addresses share one EgressFirewall
    /// intersection; each pod still gets what its own egress and the firewall allow.
    @Test func podsThatLetOutTheSameAddressesShareTheFirewallsIntersection() {
        var network = ClusterNetwork(namespaces: [:], pods: [], policies: [], firewalls: [], loadBalancers: [], routes: [])
        let wide = PolicyRule(peers: [.block(cidr: .v4(0x0A00_0000, prefix: 8), except: [])], ports: [PolicyPort(proto: .tcp, port: 443)])
        let narrow = PolicyRule(peers: [.block(cidr: .v4(0x0A01_0000, prefix: 16), except: [])], ports: [PolicyPort(proto: .tcp, port: 443)])
        for (index, (namespace, rule)) in [("n1", wide), ("n1", wide), ("n1", narrow), ("n2", wide)].enumerated() {
            network.pods.append(PodGroup(workload: WorkloadID(index), namespace: namespace, labels: ["app": "w\(index)"]))
            network.policies.append(
                NetworkPolicy(name: "w\(index)", namespace: namespace, podSelector: LabelSelector(labels: ["app": "w\(index)"]), egress: [rule]))
        }
        // n1's firewall lets out 10.1.0.0/16 only, n2's 10.0.0.0/16 only.
        network.firewalls = [
            EgressFirewall(
                namespace: "n1", rules: [.init(allow: true, to: .cidr(.v4(0x0A01_0000, prefix: 16))), .init(allow: false, to: .cidr(.v4(0, prefix: 0)))]),
            EgressFirewall(
                namespace: "n2", rules: [.init(allow: true, to: .cidr(.v4(0x0A00_0000, prefix: 16))), .init(allow: false, to: .cidr(.v4(0, prefix: 0)))]),
        ]
        let egress = network.relation.egress
        func addresses(_ index: Int) -> AddressSet { egress[WorkloadID(index)].map { AddressSet(unionOf: $0.entries.map(\.peers.addresses)) } ?? .empty }
        let inner = CIDR.v4(0x0A01_0000, prefix: 16).addressSet
        #expect(addresses(0) == inner && addresses(1) == inner && addresses(2) == inner)
        #expect(addresses(3) == CIDR.v4(0x0A00_0000, prefix: 16).addressSet)
        #expect(egress[WorkloadID(0)] == egress[WorkloadID(1)])
    }

    @Test func theIndexedRelationEqualsBruteForceOnRandomNetworks() {
        var rng = SeededGenerator(seed: 151)
        for round in 0..<300 {
            let network = Self.randomNetwork(&rng)
            let indexed = network.relation.betweenWorkloads
            let brute = Self.bruteForce(network).betweenWorkloads
            #expect(indexed == brute, "round \(round): \(network.pods.count) pods, \(network.policies.count) policies")
            if indexed != brute { return }
        }
    }

    @Test func theIndexedRelationEqualsBruteForceOnRandomSpecsAndTheirReadBack() throws {
        try forRandomSpecs(seed: 47, count: 25) { policy, _ in
            let plan = try OpenShiftPlan(policy: policy, options: backend.options(of: policy))
            #expect(plan.network.relation.betweenWorkloads == Self.bruteForce(plan.network).betweenWorkloads)
            let emission = try backend.emit(policy, with: backend.options(of: policy))
            let parsed = try OpenShiftReader(policy: policy, files: emission.files).parse().network
            #expect(parsed.relation.betweenWorkloads == Self.bruteForce(parsed).betweenWorkloads)
        }
    }
}

/// `ClusterNetwork.Index.posted`, which the relation reads in place for a one-label pod
/// selector (in its policy's namespace, or in those a namespace selector picks), gives the pods
/// `Index.pods` gives for the peer once their namespace is checked.
@Suite struct PostedPeerTests {
    @Test func postedPodsAreThePeersPods() {
        var checked = (own: 0, selected: 0)
        Self.forEachRandomNetwork(seed: 97, count: 300) { network, index in
            Self.forEachPodPeer(of: network) { policy, namespaces, selector in
                guard let posted = index.posted(selector) else {
                    #expect(selector.labels.count != 1)
                    return
                }
                let matched = posted.filter { position in
                    let pod = network.pods[position]
                    return namespaces.map { $0.matches(network.labels(of: pod.namespace)) } ?? (pod.namespace == policy.namespace)
                }
                #expect(matched == index.pods(namespaces, selector, policyNamespace: policy.namespace, network))
                if namespaces == nil { checked.own += 1 } else { checked.selected += 1 }
            }
        }
        #expect(checked.own > 100)
        #expect(checked.selected > 100)
    }

    /// `posted(_:known:)`, which finds a selector's posting list by its labels' storage, gives
    /// what `posted(_:)` gives: for copies of one selector (one storage), for equal selectors
    /// in storage of their own (freed after their lookup: the table keeps them, so no later
    /// dictionary takes their address), and for selectors it does not take.
    @Test func knownPostingsAreThePostings() {
        var lookups = (total: 0, distinct: 0)
        Self.forEachRandomNetwork(seed: 131, count: 200) { network, index in
            var known: [ClusterNetwork.PostedLabels: (labels: [String: String], posted: [Int]?)] = [:]
            Self.forEachPodPeer(of: network) { _, _, selector in
                // The selector, a copy of it, and an equal one in new storage.
                let rebuilt = LabelSelector(
                    labels: Dictionary(uniqueKeysWithValues: selector.labels.map { ($0.key, $0.value) }), valuesIn: selector.valuesIn)
                for candidate in [selector, selector, rebuilt] {
                    #expect(index.posted(candidate, known: &known) == index.posted(candidate))
                    lookups.total += 1
                }
            }
            lookups.distinct += known.count
        }
        #expect(lookups.total > 300)
        #expect(lookups.distinct < lookups.total)
    }

    /// `count` random networks from `seed`, each with its index.
    static func forEachRandomNetwork(seed: UInt64, count: Int, _ body: (ClusterNetwork, ClusterNetwork.Index) -> Void) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<count {
            let network = OpenShiftScaleTests.randomNetwork(&rng)
            body(network, ClusterNetwork.Index(network))
        }
    }

    /// Each pod peer with a pod selector of every rule of `network`'s policies, with its policy
    /// and namespace selector.
    static func forEachPodPeer(of network: ClusterNetwork, _ body: (NetworkPolicy, LabelSelector?, LabelSelector) -> Void) {
        for policy in network.policies {
            for rule in (policy.ingress ?? []) + (policy.egress ?? []) {
                for case .pods(let namespaces, let selector?) in rule.peers ?? [] { body(policy, namespaces, selector) }
            }
        }
    }

    /// A posting key hashes its value alone: equal keys still hash equally, and keys of one
    /// value but different keys stay apart.
    @Test func labelsWithTheSameValueStayApart() {
        typealias Label = ClusterNetwork.Index.Label
        let table: [Label: Int] = [Label(key: "a", value: "x"): 1, Label(key: "b", value: "x"): 2, Label(key: "a", value: "y"): 3]
        #expect(table[Label(key: "a", value: "x")] == 1)
        #expect(table[Label(key: "b", value: "x")] == 2)
        #expect(table[Label(key: "a", value: "y")] == 3)
        #expect(table[Label(key: "b", value: "y")] == nil)
    }
}

/// `ClusterNetwork.WorkloadPorts`, the table `allowed` gathers a pod's ports in, gives by
/// ascending workload what forming each union in a dictionary gives (empty sets included), and
/// is empty again after `take`; `Allowed.named` finds what the dictionary holds; a rule's port
/// set with one entry is the one its entries' ranges make.
@Suite struct WorkloadPortsTests {
    static let sets = [
        PortSet(), PortSet(PortRange(.tcp, 80, 80)), PortSet(PortRange(.udp, 1, 65535)), PortSet([PortRange(.tcp, 85, 90), PortRange(.udp, 53, 53)]),
    ]

    @Test func gatheredPortsAreTheDictionarysAndTakeEmptiesTheTable() {
        var rng = SeededGenerator(seed: 211)
        var gathered = ClusterNetwork.WorkloadPorts(workloads: 12)
        for round in 0..<300 {
            var reference: [WorkloadID: PortSet] = [:]
            for _ in 0..<Int.random(in: 0...20, using: &rng) {
                let workload = WorkloadID(Int.random(in: 0..<12, using: &rng))
                let ports = Self.sets.randomElement(using: &rng)!
                reference[workload, default: PortSet()].formUnion(ports)
                gathered.add(ports, to: workload)
            }
            var allowed = ClusterNetwork.Allowed()
            allowed.workloads = gathered.take()
            let same =
                allowed.workloads.map(\.workload) == reference.keys.sorted() && allowed.workloads.allSatisfy { reference[$0.workload] == $0.ports }
                && (0..<13).allSatisfy { allowed.named(WorkloadID($0)) == reference[WorkloadID($0)] }
            #expect(same, "round \(round)")
            if !same { return }
        }
    }

    @Test func aRulesPortSetIsItsEntriesRanges() {
        let entries = [
            PolicyPort(proto: .tcp), PolicyPort(proto: .tcp, port: 80), PolicyPort(proto: .udp, port: 53, endPort: 60),
            PolicyPort(proto: .sctp, port: 1, endPort: 65535),
        ]
        for first in entries {
            #expect(PolicyRule(peers: nil, ports: [first]).portSet == PortSet([first.range]))
            for second in entries { #expect(PolicyRule(peers: nil, ports: [first, second]).portSet == PortSet([first.range, second.range])) }
        }
        #expect(PolicyRule(peers: nil, ports: []).portSet == PortSet())
        #expect(PolicyRule(peers: nil, ports: nil).portSet == .all)
    }
}

/// The emitter's protocol names, made once, are the protocols' descriptions in capitals.
@Suite struct ProtocolNameTests {
    @Test func protocolNamesAreCapitalizedDescriptions() {
        for proto in TransportProtocol.allCases { #expect(OpenShiftEmitter.protocolName(proto) == proto.description.uppercased()) }
    }
}
