import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// `cni: cilium`: `dns:` egress as CiliumNetworkPolicy `toFQDNs` rules, read back and evaluated
/// with the NetworkPolicies.
@Suite struct KubernetesCiliumTests {
    let backend = KubernetesBackend()
    static let cilium: [String: OptionValue] = ["cni": .string("cilium")]

    func policy(_ text: String) throws -> Policy { try #require(compileSpec(text).policy) }

    /// `policy` with `cni: cilium` and `gaps` among its own options (the reader reads the
    /// policy's options, as `--set` leaves them), and those options.
    func cilium(_ policy: Policy, _ gaps: GapPolicy) -> (Policy, TargetOptions) {
        var policy = policy
        let options = options(.kubernetes, gaps, Self.cilium)
        policy.targets.removeAll { $0.target == .kubernetes }
        policy.targets.append(options)
        return (policy, options)
    }

    /// `checkRoundTrip` with `cni: cilium`.
    func roundTrip(_ policy: Policy, _ gaps: GapPolicy, sourceLocation: SourceLocation = #_sourceLocation) throws -> (Emission, ReadBack) {
        let (policy, options) = cilium(policy, gaps)
        return try checkRoundTrip(backend, policy, options, sourceLocation: sourceLocation)
    }

    /// One workload `a` in segment `s`, with `extra` appended (networks and flows).
    func spec(_ extra: String, ports: String = "[tcp/8080]") -> String {
        "version: 1\nname: t\nsegments:\n  s: {}\nworkloads:\n  a: {segment: s, image: registry.example.com/a:1, ports: \(ports)}\n"
            + "  b: {segment: s, image: registry.example.com/b:1, ports: [tcp/8080]}\n" + extra
    }

    static let api = "networks:\n  api: [\"dns:api.example.com\", \"dns:mirror.example.net\", 192.0.2.0/24]\n"

    func documents(_ emission: Emission, kind: String = CiliumPolicy.kind) throws -> [YAMLNode] {
        try emission.files[0].documents().filter { $0["kind"]?.scalar == kind }
    }

    @Test(arguments: backendSamples)
    func samplesRoundTripWithCilium(sample: String) throws {
        let policy = try samplePolicy(sample)
        for gaps in [GapPolicy.widen, .narrow] {
            let (emission, read) = try roundTrip(policy, gaps)
            try checkRuntime(policy, emission, read)
            try Self.checkNamesExact(policy, [emission.widened, emission.narrowed])
        }
    }

    /// The default (`cni: any`) writes no CiliumNetworkPolicy, so its files stay as they were.
    @Test(arguments: backendSamples)
    func theDefaultWritesNoCiliumPolicy(sample: String) throws {
        let policy = try samplePolicy(sample)
        let any = try backend.emit(policy, options: options(.kubernetes, .widen))
        let explicit = try backend.emit(policy, options: options(.kubernetes, .widen, ["cni": .string("any")]))
        #expect(any.files == explicit.files)
        #expect(!any.files[0].contents.contains(CiliumPolicy.kind))
    }

    @Test func namesAreExactWithTheirPortsAndTheDNSProxyRule() throws {
        let policy = try policy(spec(Self.api + "flows:\n  - {from: a, to: api, ports: [tcp/443, udp/8000-8010]}\n"))
        for gaps in [GapPolicy.widen, .narrow] {
            let emission = try backend.emit(policy, options: options(.kubernetes, gaps, Self.cilium))
            #expect(emission.widened.isEmpty && emission.narrowed.isEmpty)
            let objects = try documents(emission)
            #expect(objects.count == 1)
            let object = try #require(objects.first)
            #expect(object["metadata"]?["name"]?.scalar == "a-fqdn" && object["metadata"]?["namespace"]?.scalar == "s")
            #expect(object["spec"]?["endpointSelector"]?["matchLabels"]?[OpenShiftPlan.workloadLabel]?.scalar == "a")
            let text = emission.files[0].contents
            #expect(text.contains("- matchName: api.example.com\n    - matchName: mirror.example.net\n"))
            #expect(text.contains("port: \"8000\"\n        endPort: 8010\n        protocol: UDP"))
            #expect(text.contains("k8s:io.kubernetes.pod.namespace: kube-system\n        k8s:k8s-app: kube-dns"))
            #expect(text.contains("rules:\n        dns:\n        - matchPattern: '*'"))
            // The addresses stay in the NetworkPolicy, as ipBlocks of their own.
            #expect(text.contains("cidr: 192.0.2.0/24"))
            #expect(!text.contains("cidr: 0.0.0.0/0"))
            // The proxy rule is reported as the platform requires it, beside the namespace's.
            let required = emission.gaps.filter { $0.kind == .platformRequired && $0.capability == .dnsEgress }
            #expect(required.contains { $0.reason.contains("CiliumNetworkPolicy s/a-fqdn") && $0.reason.contains("DNS proxy") })
            #expect(required.contains { $0.reason.contains("every pod of namespace s") })
        }
    }

    /// ICMP cannot be named in `toPorts`: under widen the names' rule lists no ports (every
    /// protocol), under narrow ICMP is left out; both reported, and read back the same.
    @Test func icmpToANameIsAGapEitherWay() throws {
        let policy = try policy(spec(Self.api + "flows:\n  - {from: a, to: api, ports: [tcp/443, icmp]}\n"))
        let widen = try roundTrip(policy, .widen).0
        #expect(!widen.widened.egress.isEmpty && widen.narrowed.isEmpty)
        #expect(widen.gaps.contains { $0.kind == .widened && $0.reason.contains("NetworkPolicy has no ICMP protocol") })
        let narrow = try roundTrip(policy, .narrow).0
        #expect(narrow.widened.isEmpty && !narrow.narrowed.egress.isEmpty)
    }

    /// Every name but some (`any` less a deny) has no `toFQDNs` form: a gap in Cilium's words.
    @Test func everyNameExceptSomeStaysAGap() throws {
        let text = spec(
            "networks:\n  bad: [\"dns:bad.example.com\"]\nflows:\n  - {from: a, to: any, ports: [tcp/443]}\n"
                + "  - {action: deny, from: a, to: bad, ports: [tcp/443]}\n")
        let policy = try policy(text)
        let widen = try roundTrip(policy, .widen).0
        #expect(try documents(widen).isEmpty)
        #expect(widen.gaps.contains { $0.kind == .widened && $0.reason.contains("toFQDNs cannot match every dns: name except some") })
        let narrow = try roundTrip(policy, .narrow).0
        #expect(narrow.gaps.contains { $0.kind == .narrowed && $0.reason.contains("every dns: name except some") })
    }

    /// Without `cni: cilium` the cluster serves no CiliumNetworkPolicy: the read fails, naming
    /// the object and its line.
    @Test func theReaderRefusesCiliumPoliciesWithoutTheOption() throws {
        let policy = try policy(spec(Self.api + "flows:\n  - {from: a, to: api, ports: [tcp/443]}\n"))
        let emission = try backend.emit(policy, options: options(.kubernetes, .widen, Self.cilium))
        let plain = try self.policy(spec(Self.api + "flows:\n  - {from: a, to: api, ports: [tcp/443]}\n"))
        do {
            _ = try backend.read(emission.files, policy: plain)
            Issue.record("read a CiliumNetworkPolicy without cni: cilium")
        } catch let failure as ReadFailure {
            #expect(failure.reason.hasPrefix("CiliumNetworkPolicy s/a-fqdn (line "))
            #expect(failure.reason.contains("without Cilium (cni: cilium)"))
        }
    }

    /// A spec that sets the option through `targets:` reads its own files back.
    func ciliumPolicy(_ flows: String) throws -> Policy {
        try policy(spec(Self.api + "targets:\n  kubernetes: {cni: cilium}\nflows:\n" + flows))
    }

    func edited(_ policy: Policy, _ change: (String) -> String) throws -> ReadBack {
        let file = try #require(try backend.emit(policy, options: options(.kubernetes, .widen, Self.cilium)).files.first)
        return try backend.read([OutputFile(path: file.path, contents: change(file.contents))], policy: policy)
    }

    func egress(_ read: ReadBack, _ policy: Policy) -> ExternalRules {
        read.relation.egress[policy.workload(named: "a")!.id] ?? ExternalRules()
    }

    /// The reader evaluates what the file says, not what the emitter meant: a name taken out
    /// is blocked, `matchPattern: '*'` opens every name, a port changed moves the connection.
    @Test func theReaderEvaluatesEditedPolicies() throws {
        let policy = try ciliumPolicy("  - {from: a, to: api, ports: [tcp/443]}\n")
        let exact = egress(try edited(policy) { $0 }, policy)
        #expect(exact.allows(ExternalSet(dns: DNSNames(["api.example.com"])), on: PortSet(PortRange(.tcp, 443, 443))))
        let fewer = egress(try edited(policy) { $0.replacingOccurrences(of: "    - matchName: mirror.example.net\n", with: "") }, policy)
        #expect(!fewer.allows(ExternalSet(dns: DNSNames(["mirror.example.net"])), on: PortSet(PortRange(.tcp, 443, 443))))
        #expect(fewer.allows(ExternalSet(dns: DNSNames(["api.example.com"])), on: PortSet(PortRange(.tcp, 443, 443))))
        let every = egress(try edited(policy) { $0.replacingOccurrences(of: "- matchName: mirror.example.net", with: "- matchPattern: '*'") }, policy)
        #expect(every.allows(ExternalSet(dns: DNSNames(["other.example.org"])), on: PortSet(PortRange(.tcp, 443, 443))))
        let moved = egress(try edited(policy) { $0.replacingOccurrences(of: "port: \"443\"", with: "port: \"8443\"") }, policy)
        #expect(!moved.allows(ExternalSet(dns: DNSNames(["api.example.com"])), on: PortSet(PortRange(.tcp, 443, 443))))
        #expect(moved.allows(ExternalSet(dns: DNSNames(["api.example.com"])), on: PortSet(PortRange(.tcp, 8443, 8443))))
        // Without the policy the names are blocked: the pod stays isolated by the others.
        let file = try #require(try backend.emit(policy, options: options(.kubernetes, .widen, Self.cilium)).files.first)
        let kept = try file.documents().filter { $0["kind"]?.scalar != CiliumPolicy.kind }
        #expect(kept.count + 1 == (try file.documents()).count)
    }

    /// A CiliumNetworkPolicy alone isolates the pods it selects, and its toEndpoints rules
    /// reach pods like a NetworkPolicy's.
    @Test func aCiliumPolicyAloneIsolatesAndReachesPods() throws {
        let policy = try ciliumPolicy("  - {from: a, to: api, ports: [tcp/443]}\n")
        let file = try #require(try backend.emit(policy, options: options(.kubernetes, .widen, Self.cilium)).files.first)
        // Drop every NetworkPolicy: the CiliumNetworkPolicy of a still isolates its egress.
        let text = file.contents.components(separatedBy: "\n---\n").filter { !$0.contains("kind: NetworkPolicy\n") }.joined(separator: "\n---\n")
        let read = try backend.read([OutputFile(path: file.path, contents: text)], policy: policy)
        let a = policy.workload(named: "a")!.id
        let b = policy.workload(named: "b")!.id
        #expect(read.relation.betweenWorkloads[WorkloadPair(a, b)] == nil)
        // b, which nothing selects any more, is open.
        #expect(read.relation.betweenWorkloads[WorkloadPair(b, a)] != nil)
        #expect(!egress(read, policy).allows(ExternalSet(addresses: CIDR.v4(0xC000_0201, prefix: 32).addressSet), on: PortSet(PortRange(.tcp, 443, 443))))
        // A rule to b's pods opens a -> b.
        let toB = text.replacingOccurrences(
            of: "  - toEndpoints:\n    - matchLabels:\n        k8s:io.kubernetes.pod.namespace: kube-system",
            with: "  - toEndpoints:\n    - matchLabels:\n        k8s:palisade.dev/workload: b\n    toPorts:\n    - ports:\n      - port: \"8080\"\n"
                + "        protocol: TCP\n  - toEndpoints:\n    - matchLabels:\n        k8s:io.kubernetes.pod.namespace: kube-system")
        let reached = try backend.read([OutputFile(path: file.path, contents: toB)], policy: policy)
        #expect(reached.relation.betweenWorkloads[WorkloadPair(a, b)] == PortSet(PortRange(.tcp, 8080, 8080)))
    }

    @Test(arguments: [
        ("  - toFQDNs:\n", "  - toCIDR: [10.0.0.0/8]\n    toFQDNs:\n", "'toCIDR' is not read"),
        ("- matchName: api.example.com", "- matchPattern: '*.example.com'", "matchPattern '*.example.com'"),
        ("        protocol: TCP\n  - toEndpoints", "        protocol: ICMP\n  - toEndpoints", "protocol ICMP"),
        ("port: \"443\"", "port: https", "port 'https'"),
        ("        - matchPattern: '*'", "        - matchName: api.example.com", "an L7 rule"),
        ("spec:\n  endpointSelector:", "spec:\n  ingress: []\n  endpointSelector:", "'ingress' is not read"),
        ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy", "apiVersion: cilium.io/v3\nkind: CiliumNetworkPolicy", "apiVersion"),
    ])
    func theReaderRefusesWhatItCannotEvaluate(change: (String, String, String)) throws {
        let policy = try ciliumPolicy("  - {from: a, to: api, ports: [tcp/443]}\n")
        do {
            _ = try edited(policy) { text in
                #expect(text.contains(change.0), "\(change.0)")
                return text.replacingOccurrences(of: change.0, with: change.1)
            }
            Issue.record("read \(change.1)")
        } catch let failure as ReadFailure {
            #expect(failure.reason.contains("CiliumNetworkPolicy s/a-fqdn (line "))
            #expect(failure.reason.contains(change.2), "\(failure.reason)")
        }
    }

    @Test func explainNamesTheCiliumRule() throws {
        let policy = try ciliumPolicy("  - {from: a, to: api, ports: [tcp/443]}\n")
        let files = try backend.emit(policy, options: options(.kubernetes, .widen, Self.cilium)).files
        let a = policy.workload(named: "a")!.id
        let lines = try backend.rules(
            files, policy: policy, from: Endpoints(workloads: [a]), to: Endpoints(external: ExternalSet(dns: DNSNames(["api.example.com"]))),
            ports: PortSet(PortRange(.tcp, 443, 443)))
        #expect(lines.contains("CiliumNetworkPolicy s/a-fqdn: egress rule 1 allows a -> dns:api.example.com on tcp/443"))
    }

    /// The property test's contract (see `PropertyTests`) with `cni: cilium`: the read-back
    /// differs from the intent by exactly the reported gaps, narrow allows nothing widen does
    /// not, and only what Kubernetes cannot carry either way differs.
    @Test func randomizedSpecsKeepThePropertyTestsContract() throws {
        var rng = SeededGenerator(seed: 77)
        for round in 0..<30 {
            let text = RandomSpec.generate(&rng)
            let policy = try #require(compileSpec(text).policy, "round \(round)")
            let (widen, readWiden) = try roundTrip(policy, .widen)
            let (narrow, readNarrow) = try roundTrip(policy, .narrow)
            #expect(readNarrow.relation.subtracting(readWiden.relation).isEmpty, "round \(round)")
            #expect(PropertyTests.kinds(widen.narrowed).isSubset(of: PropertyTests.widenMayBlock[.kubernetes]!), "round \(round)\n\(text)")
            #expect(PropertyTests.kinds(narrow.widened).isSubset(of: PropertyTests.narrowMayAllow[.kubernetes]!), "round \(round)\n\(text)")
            try Self.checkNamesExact(policy, [widen.widened, widen.narrowed, narrow.widened, narrow.narrowed], "round \(round)\n\(text)")
        }
    }

    /// Finite sets of names are a gap only where the workload sends ICMP to names (toPorts
    /// cannot name ICMP: the rule lists no ports under widen, leaves ICMP out under narrow).
    static func checkNamesExact(_ policy: Policy, _ relations: [Relation], _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws {
        for relation in relations {
            for (workload, rules) in relation.egress {
                let icmp =
                    policy.intent.egress[workload]?.entries.contains { !$0.peers.dns.isEmpty && !$0.ports.intersection(.whole(.icmp)).isEmpty } ?? false
                for entry in rules.entries where !entry.peers.dns.isEmpty && !entry.peers.dns.allExcept {
                    #expect(icmp, "names \(entry.peers.dns.sortedNames) on \(entry.ports) \(context)", sourceLocation: sourceLocation)
                }
            }
        }
    }

    @Test func anUnknownCNIIsAnOptionError() throws {
        let policy = try policy(spec("targets:\n  kubernetes: {cni: calico}\n"))
        let problems = backend.validate(try #require(policy.options(for: .kubernetes)))
        #expect(problems.contains { $0.message == "option 'cni' of target kubernetes cannot be 'calico'" && $0.help == "expected one of: any, cilium" })
    }
}

extension ExternalRules {
    /// Whether these rules let out to every peer of `peers` on every port of `ports`.
    fileprivate func allows(_ peers: ExternalSet, on ports: PortSet) -> Bool {
        ExternalRules(entries: [.init(ports: ports, peers: peers)]).subtracting(self).isEmpty
    }
}
