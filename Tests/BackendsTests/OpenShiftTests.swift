import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

@Suite struct OpenShiftTests {
    static let samples = backendSamples
    let backend = OpenShiftBackend()
    static let clusterNetworks = ["10.128.0.0/14", "172.30.0.0/16", "fd01::/48", "fd02::/112"]
        .map { CIDR.parse($0) }.reduce(AddressSet.empty) { set, result in
            guard case .valid(let cidr) = result else { return set }
            return set.union(cidr.addressSet)
        }

    /// The round trip, and exactly what OpenShift cannot do under each gap policy.
    func checkRoundTrip(_ policy: Policy, _ gaps: GapPolicy, exposure: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let extra: [String: OptionValue] = exposure.map { ["exposure": .string($0)] } ?? [:]
        let (emission, _) = try BackendsTests.checkRoundTrip(backend, policy, options(.openshift, gaps, extra), sourceLocation: sourceLocation)
        let outside = AddressSet.all.subtracting(Self.clusterNetworks)
        // Egress is narrowed only by the cluster networks (and, with gaps: narrow, by ICMP and
        // names); ingress only where no load balancer or route carries it.
        for rules in emission.narrowed.egress.values {
            for entry in rules.entries where gaps == .widen {
                #expect(
                    entry.peers.dns.isEmpty && entry.peers.addresses.intersection(outside).isEmpty, "egress narrowed to \(entry.peers.summary)",
                    sourceLocation: sourceLocation)
            }
        }
        for (id, rules) in emission.narrowed.ingress {
            for entry in rules.entries {
                let carried = entry.ports.subtracting(.whole(.icmp))
                let asked = policy.intent.ingress[id]?.entries.reduce(0) { $0 + $1.ports.ranges.reduce(0) { $0 + $1.upper - $1.lower + 1 } } ?? 0
                let tooMany = asked > OpenShiftPlan.servicePortLimit
                #expect(
                    carried.isEmpty || entry.peers.addresses.isSubset(of: Self.clusterNetworks) || tooMany,
                    "ingress narrowed for \(policy.workloads[id.index].name): \(entry.peers.summary) on \(entry.ports)", sourceLocation: sourceLocation)
            }
        }
        switch gaps {
        case .widen:
            #expect(emission.narrowed.betweenWorkloads.isEmpty, sourceLocation: sourceLocation)
            // Widened only where ICMP opens a rule, or a namespace's EgressFirewall is shared.
            for (pair, ports) in emission.widened.betweenWorkloads {
                #expect(
                    policy.intent.ports(from: pair.source, to: pair.destination).protocols.contains(.icmp), "\(pair) widened on \(ports) without ICMP",
                    sourceLocation: sourceLocation)
            }
            #expect(emission.widened.ingress.isEmpty, sourceLocation: sourceLocation)
        case .narrow:
            #expect(emission.widened.isEmpty, "with gaps: narrow nothing is widened", sourceLocation: sourceLocation)
            for (pair, ports) in emission.narrowed.betweenWorkloads {
                #expect(ports.protocols == [.icmp], "\(pair) narrowed on \(ports)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: samples)
    func samplesRoundTripUnderBothGapPolicies(sample: String) throws {
        let policy = try samplePolicy(sample)
        try checkRoundTrip(policy, .widen)
        try checkRoundTrip(policy, .narrow)
        try checkRoundTrip(policy, .widen, exposure: "route")
    }

    @Test func randomizedSpecsRoundTrip() throws {
        try forRandomSpecs(seed: 31, count: 40) { policy, gaps in
            try checkRoundTrip(policy, gaps)
        }
    }

    @Test(arguments: samples)
    func everyRuntimeKeyIsEnforcedOrReported(sample: String) throws {
        let policy = try samplePolicy(sample)
        let emission = try backend.emit(policy, options: options(.openshift, .widen))
        try checkRuntime(policy, emission, try backend.read(emission.files, policy: policy))
    }

    /// RoleBindings give each identity exactly the actions of its roles on its segments.
    @Test(arguments: samples)
    func roleBindingsReadBackAsTheGrants(sample: String) throws {
        let policy = try samplePolicy(sample)
        let emission = try backend.emit(policy, options: options(.openshift, .widen))
        let read = try backend.read(emission.files, policy: policy)
        var intended: [String: [SegmentID: Set<Action>]] = [:]
        for grant in policy.grants {
            let actions = policy.role(grant.role).effectiveActions
            for segment in grant.segments { intended[policy.identity(grant.identity).name, default: [:]][segment, default: []].formUnion(actions) }
        }
        #expect(read.grants == intended)
        #expect(!emission.gaps.contains { $0.capability == .rbac })
    }

    @Test func eachActionMapsToRulesThatHoldItAndNoOther() {
        for action in Action.allCases where action != .admin {
            let held = RBACRule.actions(allowedBy: RBACRule.rules(for: action))
            #expect(held == [action], "\(action) holds \(held)")
        }
        #expect(RBACRule.actions(allowedBy: RBACRule.rules(for: Set([.admin]))) == Set(Action.allCases))
        #expect(RBACRule.actions(allowedBy: RBACRule.rules(for: Set([.view, .logs]))) == [.view, .logs])
    }

    // MARK: Platform semantics, on hand-written objects

    func group(_ index: Int, _ namespace: String, _ name: String) -> PodGroup {
        PodGroup(workload: WorkloadID(index), namespace: namespace, labels: [OpenShiftPlan.workloadLabel: name])
    }

    func cidr(_ text: String) -> CIDR {
        guard case .valid(let cidr) = CIDR.parse(text) else { fatalError(text) }
        return cidr
    }

    @Test func aPodNoPolicySelectsAllowsEverythingAndPoliciesUnion() {
        let a = group(0, "n", "a")
        let b = group(1, "n", "b")
        var network = ClusterNetwork(
            namespaces: ["n": ["kubernetes.io/metadata.name": "n"]], pods: [a, b], policies: [], firewalls: [], loadBalancers: [], routes: [])
        #expect(network.relation.ports(from: a.workload, to: b.workload) == .all)
        let onlyB = LabelSelector(labels: [OpenShiftPlan.workloadLabel: "b"])
        let fromA = PolicyPeer.pods(namespaces: nil, pods: LabelSelector(labels: [OpenShiftPlan.workloadLabel: "a"]))
        network.policies = [
            NetworkPolicy(name: "p1", namespace: "n", podSelector: onlyB, ingress: [PolicyRule(peers: [fromA], ports: [PolicyPort(proto: .tcp, port: 80)])]),
            NetworkPolicy(
                name: "p2", namespace: "n", podSelector: onlyB, ingress: [PolicyRule(peers: [fromA], ports: [PolicyPort(proto: .udp, port: 53, endPort: 60)])]),
        ]
        // b is isolated for ingress (two policies, unioned); a's egress is not isolated.
        #expect(network.relation.ports(from: a.workload, to: b.workload) == PortSet([PortRange(.tcp, 80, 80), PortRange(.udp, 53, 60)]))
        #expect(network.relation.ports(from: b.workload, to: a.workload) == .all)
        // Egress isolation of a: a connection needs both sides.
        network.policies.append(NetworkPolicy(name: "deny", namespace: "n", podSelector: .everything, egress: []))
        #expect(network.relation.ports(from: a.workload, to: b.workload).isEmpty)
        #expect(network.relation.ingress[b.workload] == nil, "no load balancer: nothing from outside")
    }

    @Test func ipBlocksSubtractTheirExceptAndEgressFirewallsMatchInOrder() {
        let a = group(0, "n", "a")
        let block = PolicyPeer.block(cidr: cidr("0.0.0.0/0"), except: [cidr("10.0.0.0/8")])
        #expect(block.addresses == AddressSet.all.subtracting(cidr("10.0.0.0/8").addressSet).intersection(CIDR.v4(0, prefix: 0).addressSet))
        var network = ClusterNetwork(
            namespaces: [:], pods: [a],
            policies: [
                NetworkPolicy(
                    name: "e", namespace: "n", podSelector: .everything, egress: [PolicyRule(peers: [block], ports: [PolicyPort(proto: .tcp, port: 443)])])
            ], firewalls: [], loadBalancers: [], routes: [])
        let out = network.relation.egress[a.workload]
        #expect(out?.peers(.tcp, 443).addresses.isSuperset(cidr("10.1.2.3")) == false)
        #expect(out?.peers(.tcp, 443).addresses.isSuperset(cidr("8.8.8.8")) == true)
        #expect(out?.peers(.tcp, 443).dns.isAll == true, "a /0 block lets names through")
        #expect(out?.peers(.tcp, 80).isEmpty ?? true)
        // First match wins: a Deny before an Allow of the same name blocks it.
        network.firewalls = [
            EgressFirewall(
                namespace: "n",
                rules: [
                    EgressFirewallRule(allow: false, to: .dnsName("bad.example.com"), ports: nil),
                    EgressFirewallRule(allow: true, to: .dnsName("bad.example.com"), ports: nil),
                    EgressFirewallRule(allow: true, to: .dnsName("good.example.com"), ports: [PortRange(.tcp, 443, 443)]),
                    EgressFirewallRule(allow: true, to: .cidr(cidr("8.8.8.0/24")), ports: nil),
                    EgressFirewallRule(allow: false, to: .cidr(cidr("0.0.0.0/0")), ports: nil),
                ])
        ]
        let filtered = network.relation.egress[a.workload]?.peers(.tcp, 443)
        #expect(filtered?.dns.contains("good.example.com") == true)
        #expect(filtered?.dns.contains("bad.example.com") == false)
        #expect(filtered?.dns.contains("other.example.com") == false)
        #expect(filtered?.addresses.isSuperset(cidr("8.8.8.8")) == true)
        #expect(filtered?.addresses.isSuperset(cidr("9.9.9.9")) == false)
        // What no rule matches is allowed: IPv6 passes a firewall that only denies IPv4.
        #expect(filtered?.addresses.isSuperset(cidr("2001:db8::1")) == false, "the NetworkPolicy has no IPv6 block")
    }

    /// An EgressFirewall's rules, evaluated in runs from the last rule back, let out exactly
    /// what first-match-wins over the rules one at a time lets out (the same entries).
    @Test func egressFirewallRunsAgreeWithFirstMatchOneRuleAtATime() {
        var rng = SeededGenerator(seed: 41)
        let destinations: [EgressFirewallRule.Destination] = [
            .cidr(cidr("10.0.0.0/24")), .cidr(cidr("10.0.0.128/25")), .cidr(cidr("10.0.1.7/32")), .cidr(cidr("0.0.0.0/0")),
            .cidr(cidr("::/0")), .cidr(cidr("fd00::/64")), .dnsName("a.example.com"), .dnsName("b.example.com"),
        ]
        let ports: [[PortRange]?] = [
            nil, [PortRange(.tcp, 443, 443)], [PortRange(.tcp, 80, 80), PortRange(.udp, 53, 53)], [PortRange(.tcp, 443, 443), PortRange(.tcp, 444, 444)],
        ]
        for _ in 0..<300 {
            var rules: [EgressFirewallRule] = []
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                rules.append(
                    EgressFirewallRule(
                        allow: Int.random(in: 0...3, using: &rng) > 0, to: destinations.randomElement(using: &rng)!, ports: ports.randomElement(using: &rng)!))
            }
            var unmatched = ExternalRules(entries: [.init(ports: .all, peers: .any)])
            var expected = ExternalRules()
            for rule in rules {
                let match = rule.match
                if rule.allow { expected = expected.union(unmatched.subtracting(unmatched.subtracting(match))) }
                unmatched = unmatched.subtracting(match)
            }
            expected = expected.union(unmatched)
            #expect(EgressFirewall(namespace: "n", rules: rules).allowed == expected)
        }
    }

    @Test func aNamespacesEgressFirewallWidensEveryPodThatMayReachNames() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                networks: {api: ["dns:api.example.com"], partner: [198.51.100.0/24]}
                workloads:
                  a: {image: nginx:1.25}
                  b: {image: nginx:1.25}
                flows:
                  - {from: a, to: api, ports: [tcp/443]}
                  - {from: b, to: partner, ports: [tcp/443]}
                """
            ).policy)
        let (emission, read) = try BackendsTests.checkRoundTrip(backend, policy, options(.openshift, .widen))
        #expect(read.relation.egress[WorkloadID(0)]?.peers(.tcp, 443).dns.contains("api.example.com") == true)
        // a may reach the partner range too: the firewall lets it out for b.
        #expect(emission.widened.egress[WorkloadID(0)]?.peers(.tcp, 443).addresses.isSuperset(cidr("198.51.100.7")) == true)
        #expect(emission.widened.egress[WorkloadID(1)] == nil, "b's own NetworkPolicy stays exact")
        let text = emission.files[0].contents
        #expect(text.contains("kind: EgressFirewall") && text.contains("dnsName: api.example.com"))
        #expect(emission.gaps.contains { $0.kind == .widened && $0.reason.contains("EgressFirewall is shared") })
        // With gaps: narrow the name is not reachable, and nothing is widened.
        let (narrow, _) = try BackendsTests.checkRoundTrip(backend, policy, options(.openshift, .narrow))
        #expect(narrow.widened.isEmpty)
        #expect(narrow.narrowed.egress[WorkloadID(0)]?.peers(.tcp, 443).dns.contains("api.example.com") == true)
        #expect(!narrow.files[0].contents.contains("kind: EgressFirewall"))
    }

    @Test func everyNamespaceWithEgressReachesTheClusterDNS() throws {
        let policy = try samplePolicy("shop.yaml")
        let emission = try backend.emit(policy, options: options(.openshift, .widen))
        let plan = try OpenShiftPlan(policy: policy, options: OpenShiftOptions(clusterNetworks: Self.clusterNetworks))
        let index = ClusterNetwork.Index(plan.network)
        for (position, pod) in plan.network.pods.enumerated() {
            let hasEgress = plan.network.policies.contains { $0.namespace == pod.namespace && $0.name.hasSuffix("-egress") }
            let reaches = plan.network.allows(
                .egress, position, platform: PlatformPods.dnsNamespace, PlatformPods.dnsLabels, on: PlatformPods.dnsPorts, index: index)
            #expect(reaches == hasEgress, "\(policy.workloads[pod.workload.index].name)")
        }
        let namespacesWithDNS = Set(plan.network.policies.filter { $0.name == "allow-dns" }.map(\.namespace))
        #expect(emission.gaps.filter { $0.kind == .platformRequired && $0.capability == .dnsEgress }.count == namespacesWithDNS.count)
    }

    @Test func routesCarryTCPThroughTheRoutersWithTheirAllowlist() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                networks: {corp: [10.0.0.0/8, "2001:db8::/32"]}
                workloads:
                  web: {image: nginx:1.25, ports: [tcp/443, udp/443]}
                flows:
                  - {from: corp, to: web, ports: [tcp/443, udp/443]}
                """
            ).policy)
        let (emission, read) = try BackendsTests.checkRoundTrip(backend, policy, options(.openshift, .widen, ["exposure": .string("route")]))
        let text = emission.files[0].contents
        #expect(text.contains("kind: Route"))
        #expect(text.contains("haproxy.router.openshift.io/ip_whitelist: 10.0.0.0/8 2001:db8::/32"))
        #expect(text.contains("policy-group.network.openshift.io/ingress: \"\""))
        #expect(emission.gaps.contains { $0.kind == .platformRequired && $0.connection?.source == .platform("the ingress routers") })
        #expect(read.relation.ingress[WorkloadID(0)]?.peers(.tcp, 443).addresses == cidr("10.0.0.0/8").addressSet.union(cidr("2001:db8::/32").addressSet))
        #expect(read.relation.ingress[WorkloadID(0)]?.peers(.udp, 443).addresses.isSuperset(cidr("10.1.1.1")) == true, "UDP goes by load balancer")
        // On OpenShift 4.12 one bad entry voids the allowlist: the route is open to all.
        let broken = text.replacingOccurrences(of: "10.0.0.0/8 2001:db8::/32", with: "10.0.0.0/8 2001:db8::/32 nonsense")
        let reread = try backend.read([OutputFile(path: "manifests.yaml", contents: broken)], policy: policy)
        #expect(reread.relation.ingress[WorkloadID(0)]?.peers(.tcp, 443).addresses.isAll == true)
    }

    @Test func aDeploymentNoUsableSCCAdmitsIsCaught() throws {
        let policy = try samplePolicy("shop.yaml")
        let emission = try backend.emit(policy, options: options(.openshift, .widen))
        let text = emission.files[0].contents
        // The web container asks for privileges its SCC (and restricted-v2) refuse.
        let tampered = text.replacingOccurrences(
            of: "        securityContext:\n          privileged: false\n", with: "        securityContext:\n          privileged: true\n")
        #expect(tampered != text)
        #expect(throws: ReadFailure.self) { try backend.read([OutputFile(path: "manifests.yaml", contents: tampered)], policy: policy) }
    }

    @Test func sccAdmissionFillsInDefaultsAndRefusesWhatItDoesNotAllow() {
        let restricted = SecurityContextConstraints.restrictedV2
        let admitted = restricted.admit(PodSecurity())
        #expect(admitted?.drop == ["ALL"])
        #expect(admitted?.runAsNonRoot == true && admitted?.runAsUser == nil)
        #expect(admitted?.allowPrivilegeEscalation == false)
        #expect(admitted?.seccomp == .runtimeDefault)
        #expect(restricted.admit(PodSecurity(runAsUser: 10001)) == nil, "a fixed UID needs its own SCC")
        #expect(restricted.admit(PodSecurity(add: ["SYS_ADMIN"])) == nil)
        #expect(restricted.admit(PodSecurity(hostNetwork: true)) == nil)
        let own = SecurityContextConstraints(name: "x", profile: RuntimeProfile(user: 10001, readOnlyRoot: true), volumeTypes: [])
        #expect(own.admit(PodSecurity(runAsUser: 10001))?.readOnlyRootFilesystem == true)
        #expect(own.admit(PodSecurity(runAsUser: 10001, readOnlyRootFilesystem: false)) == nil)
        #expect(own.admit(PodSecurity(runAsUser: 10001, volumeTypes: ["hostPath"])) == nil)
        let chosen = SecurityContextConstraints.admission(of: PodSecurity(runAsUser: 10001), among: [restricted, own])
        #expect(chosen?.0.name == "x")
    }

    @Test func optionsAndNamespacesAreValidatedWithLocations() throws {
        let output = compileSpec(
            """
            version: 1
            name: t
            segments: {kube-system: {}, ok: {}}
            workloads:
              a: {image: nginx:1.25, segment: ok}
            targets:
              openshift: {namespace_prefx: x, exposure: ingress, cluster_networks: "10.0.0.0/8,nope"}
            """)
        let policy = try #require(output.policy)
        let problems = backend.validate(try #require(policy.options(for: .openshift)))
        #expect(problems.map(\.code) == [.invalidTargetOption, .invalidTargetOption, .invalidTargetOption])
        #expect(problems.first?.help == "did you mean 'namespace_prefix'?")
        #expect(problems.allSatisfy { $0.range?.start.line == 7 })
        let limits = backend.validate(policy)
        #expect(limits.map(\.code) == [.targetLimit])
        #expect(limits.first?.range?.start.line == 3)
        #expect(limits.first?.message.contains("reserves") == true)
    }

    @Test func aNamespaceNameBeyondSixtyThreeCharactersIsALocatedError() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                segments: {\(String(repeating: "s", count: 40)): {}}
                workloads: {}
                targets:
                  openshift: {namespace_prefix: \(String(repeating: "p", count: 30))-}
                """
            ).policy)
        let problems = backend.validate(policy)
        #expect(problems.map(\.code) == [.targetLimit])
        #expect(problems.first?.range?.start.line == 3)
    }

    @Test func clusterNetworksLeftOutOfIPBlocksAreTheOnlyGapOfAnyAndCanBeTurnedOff() throws {
        let spec = "version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, ports: [tcp/80]}\nflows:\n  - {from: any, to: a, ports: [tcp/80]}\n"
        let policy = try #require(compileSpec(spec).policy)
        let (defaults, _) = try BackendsTests.checkRoundTrip(backend, policy, options(.openshift, .widen))
        #expect(defaults.narrowed.ingress[WorkloadID(0)]?.entries.map(\.peers.addresses) == [Self.clusterNetworks])
        #expect(defaults.files[0].contents.contains("except:\n        - 10.128.0.0/14\n        - 172.30.0.0/16"))
        let (whole, _) = try BackendsTests.checkRoundTrip(backend, policy, options(.openshift, .widen, ["cluster_networks": .string("")]))
        #expect(whole.widened.isEmpty && whole.narrowed.isEmpty)
        #expect(!whole.files[0].contents.contains("except:"))
    }

    @Test func manifestsCarryTheHeaderAndLoadAsManyDocuments() throws {
        let policy = try samplePolicy("shop.yaml")
        let text = try backend.emit(policy, options: options(.openshift, .widen)).files[0].contents
        #expect(text.hasPrefix("# Generated by palisade from"))
        #expect(text.contains("content hash \(policy.contentHash)"))
        let loaded = YAMLLoader.loadStream(text: text, file: "m.yaml")
        #expect(loaded.diagnostics.isEmpty)
        let kinds = loaded.documents.compactMap { $0["kind"]?.scalar }
        #expect(kinds.first == "Namespace")
        #expect(kinds.filter { $0 == "Deployment" }.count == policy.workloads.count)
        // One SCC per distinct runtime profile: shop's six workloads have five.
        #expect(kinds.filter { $0 == "SecurityContextConstraints" }.count == 5)
        #expect(kinds.filter { $0 == "NetworkPolicy" && true }.count >= policy.segments.count)
    }
}

extension AddressSet {
    fileprivate func isSuperset(_ cidr: CIDR) -> Bool { cidr.addressSet.isSubset(of: self) }
}

/// Findings of the review of the first version, each pinned.
extension OpenShiftTests {
    @Test func aPodOnTheHostsNetworkIsAdmittedAndOutsideNetworkPolicy() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                workloads:
                  web: {image: nginx:1.25, ports: [tcp/80]}
                  agent: {image: nginx:1.25, ports: [tcp/9100], runtime: {host_network: true}}
                flows:
                  - {from: web, to: agent, ports: [tcp/9100]}
                """
            ).policy)
        let (emission, read) = try BackendsTests.checkRoundTrip(backend, policy, options(.openshift, .widen))
        let text = emission.files[0].contents
        #expect(text.contains("allowHostNetwork: true\nallowHostPID: false\nallowHostIPC: false\nallowHostPorts: true"))
        #expect(read.runtime[WorkloadID(0)] != nil, "the agent's pods are admitted")
        // No policy can select the agent as a peer: web's egress to it is blocked...
        #expect(emission.narrowed.ports(from: WorkloadID(1), to: WorkloadID(0)) == PortSet(PortRange(.tcp, 9100, 9100)))
        // ...and nothing isolates the agent itself.
        #expect(read.relation.egress[WorkloadID(0)]?.peers(.udp, 53).isAny == true)
        #expect(emission.gaps.contains { $0.kind == .narrowed && $0.reason.contains("host's network") })
    }

    @Test func objectsOfTwoWorkloadsWithTheSameNameAreALocatedError() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                workloads:
                  web: {image: nginx:1.25, ports: [tcp/80]}
                  web-external: {image: nginx:1.25, ports: [tcp/80]}
                flows:
                  - {from: any, to: web, ports: [tcp/80]}
                """
            ).policy)
        #expect(throws: BackendError.self) { try backend.emit(policy, options: options(.openshift, .widen)) }
        let shop = try samplePolicy("shop.yaml")
        let text = try backend.emit(shop, options: options(.openshift, .widen)).files[0].contents
        #expect(text.contains("name: palisade.shop.uid-10001.readonly.emptydir.secret") && text.contains("name: palisade.grant.oncall.sre"))
        let doubled = text + "---\n" + text.components(separatedBy: "---\n")[1]
        #expect(throws: ReadFailure.self) { try backend.read([OutputFile(path: "manifests.yaml", contents: doubled)], policy: shop) }
    }

    @Test func aSingleStackLoadBalancerCarriesIPv4OnlyAndEmptyListsMeanEveryone() throws {
        let spec = "version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, ports: [udp/53]}\nflows:\n  - {from: any, to: a, ports: [udp/53]}\n"
        let policy = try #require(compileSpec(spec).policy)
        let text = try backend.emit(policy, options: options(.openshift, .widen)).files[0].contents
        #expect(text.contains("ipFamilyPolicy: PreferDualStack\n  ipFamilies:\n  - IPv4\n  - IPv6"))
        let single = text.replacingOccurrences(of: "  ipFamilyPolicy: PreferDualStack\n  ipFamilies:\n  - IPv4\n  - IPv6\n", with: "")
        let read = try backend.read([OutputFile(path: "manifests.yaml", contents: single)], policy: policy)
        let peers = try #require(read.relation.ingress[WorkloadID(0)]?.peers(.udp, 53).addresses)
        #expect(peers.v6.isEmpty && !peers.v4.isEmpty)
        // `from: []` selects every source, as Kubernetes reads it.
        let open = single.replacingOccurrences(of: "  ingress:\n  - from:\n    - ipBlock:", with: "  ingress:\n  - from: []\n  - from:\n    - ipBlock:")
        #expect(open != single)
        let everyone = try backend.read([OutputFile(path: "manifests.yaml", contents: open)], policy: policy)
        #expect(everyone.relation.ingress[WorkloadID(0)]?.peers(.udp, 53).addresses.v4.isFull == true)
    }

    @Test func seccompPathsAndRouteHostsBeyondKubernetesRulesAreLocatedErrors() throws {
        let long = String(repeating: "w", count: 40)
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                segments: {\(String(repeating: "s", count: 30)): {}}
                workloads:
                  \(long): {image: nginx:1.25, segment: \(String(repeating: "s", count: 30)), ports: [tcp/8443], runtime: {seccomp: localhost//var/lib/x.json}}
                flows:
                  - {from: any, to: \(long), ports: [tcp/8443]}
                targets:
                  openshift: {exposure: route}
                """
            ).policy)
        let problems = backend.validate(policy)
        #expect(problems.map(\.code) == [.targetLimit, .targetLimit])
        #expect(problems.map { $0.range?.start.line } == [5, 5])
        #expect(problems[0].message.contains("relative"))
        #expect(problems[1].message.contains("route host label"))
    }
}
