import Analysis
import Backends
import Diagnostics
import IR
import Spec
import TestSupport
import Testing

/// Every reason of a connection gap names only what that connection shows: ICMP or SCTP only
/// when its ports (or the intent's on it) carry them, `dns:` names only when its peers (or the
/// intent's) have some, the host's network only for a workload on it, a shared service
/// identity only when a workload of it shares one.
@Suite struct GapReasonTests {
    /// What the intent asks on the connection of a gap, and the workloads it joins.
    struct Site {
        var workloads: [Workload]
        var intendedPorts = PortSet()
        var intendedPeers = ExternalSet.empty
    }

    static func site(of gap: Gap, in policy: Policy) -> Site? {
        guard let connection = gap.connection else { return nil }
        func workload(_ endpoint: Endpoint) -> Workload? {
            guard case .workload(let name) = endpoint else { return nil }
            return policy.workloads.first { $0.name == name }
        }
        let source = workload(connection.source)
        let destination = workload(connection.destination)
        var site = Site(workloads: [source, destination].compactMap { $0 })
        switch (source, destination) {
        case (let source?, let destination?):
            site.intendedPorts = policy.intent.ports(from: source.id, to: destination.id)
        case (nil, let destination?):
            for entry in policy.intent.ingress[destination.id]?.entries ?? [] {
                site.intendedPorts.formUnion(entry.ports)
                site.intendedPeers = site.intendedPeers.union(entry.peers)
            }
        case (let source?, nil):
            for entry in policy.intent.egress[source.id]?.entries ?? [] {
                site.intendedPorts.formUnion(entry.ports)
                site.intendedPeers = site.intendedPeers.union(entry.peers)
            }
        case (nil, nil):
            return nil
        }
        return site
    }

    /// The problems of one gap's reason: each cause it names that its connection does not show.
    static func problems(_ gap: Gap, in policy: Policy) -> [String] {
        guard gap.kind == .widened || gap.kind == .narrowed, case .connection(let connection) = gap.subject,
            let site = site(of: gap, in: policy)
        else { return [] }
        var problems: [String] = []
        let context = "\(gap.target.rawValue): \(gap.statement)"
        if gap.reason.isEmpty { problems.append("empty reason: \(context)") }
        for (word, proto) in [("ICMP", TransportProtocol.icmp), ("SCTP", .sctp)] where gap.reason.contains(word) {
            if !connection.ports.protocols.contains(proto) && !site.intendedPorts.protocols.contains(proto) {
                problems.append("\(word) named without \(word) on the connection: \(context)")
            }
        }
        if gap.reason.contains("dns:") {
            let peers = [connection.source, connection.destination].compactMap { endpoint -> ExternalSet? in
                if case .external(let set) = endpoint { return set } else { return nil }
            }
            if peers.allSatisfy({ $0.dns.isEmpty }) && site.intendedPeers.dns.isEmpty {
                problems.append("dns: names named without a name on the connection: \(context)")
            }
        }
        if gap.reason.contains("host's network"), !site.workloads.contains(where: { $0.runtime.hostNetwork == true }) {
            problems.append("the host's network named for workloads not on it: \(context)")
        }
        if gap.reason.contains("sharing a service identity") {
            let shares = site.workloads.contains { workload in policy.workloads.contains { $0.id != workload.id && $0.identity == workload.identity } }
            if !shares { problems.append("a shared identity named for workloads that share none: \(context)") }
        }
        return problems
    }

    @Test(arguments: ["minimal.yaml", "shop.yaml", "payments.yaml", "platform.yaml", "no-segments.yaml"])
    func everySampleReasonNamesWhatItsConnectionCarries(sample: String) throws {
        let policy = try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/\(sample)").path).policy)
        for backend in BackendRegistry.all {
            let emission = try #require(TargetEmitter.emit(policy, with: backend).emission)
            for gap in emission.gaps {
                for problem in Self.problems(gap, in: policy) { Issue.record(Comment(rawValue: "\(sample): \(problem)")) }
            }
        }
    }

    @Test func everyRandomSpecReasonNamesWhatItsConnectionCarries() throws {
        var rng = SeededGenerator(seed: 53)
        for _ in 0..<12 {
            let policy = try #require(compileSpec(RandomSpec.generate(&rng)).policy)
            for backend in BackendRegistry.all {
                for gaps in [GapPolicy.widen, .narrow] {
                    let options = TargetOptions(target: backend.target, gaps: gaps, options: [], origin: .wholeFile("spec.yaml"))
                    guard let emission = try? backend.emit(policy, options: options) else { continue }
                    for gap in emission.gaps {
                        for problem in Self.problems(gap, in: policy) { Issue.record(Comment(rawValue: "\(gaps): \(problem)")) }
                    }
                }
            }
        }
    }

    /// The user's report: OpenShift's blocked ingress from the cluster networks of
    /// minimal.yaml named ICMP, which the spec does not use; payments.yaml's ICMP ingress
    /// still says why ICMP is blocked.
    @Test func openShiftNamesICMPOnlyForICMP() throws {
        let minimal = try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/minimal.yaml").path).policy)
        let blocked = try #require(TargetEmitter.emit(minimal, with: BackendRegistry.backend(for: .openshift)!).emission?.gaps.first { $0.kind == .narrowed })
        #expect(!blocked.reason.contains("ICMP"), "\(blocked.reason)")
        #expect(blocked.reason.contains("cluster networks"), "\(blocked.reason)")

        let payments = try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/payments.yaml").path).policy)
        let icmp = try #require(TargetEmitter.emit(payments, with: BackendRegistry.backend(for: .openshift)!).emission?.gaps.first { $0.kind == .narrowed })
        #expect(icmp.connection?.ports == .whole(.icmp))
        #expect(icmp.reason == "clients reach pods only through a load balancer or route, which carry no ICMP")
    }

    /// GCP's widened egress of shop.yaml goes to the internal ranges on database ports: its
    /// reason is the internal ranges, not the `dns:` destination the workload also has.
    @Test func gcpNamesTheCauseOfEachWidenedEgress() throws {
        let shop = try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/shop.yaml").path).policy)
        let gaps = try #require(TargetEmitter.emit(shop, with: BackendRegistry.backend(for: .gcp)!).emission?.gaps)
        let egress = gaps.filter { $0.kind == .widened && $0.capability == .externalEgress }
        #expect(!egress.isEmpty)
        for gap in egress {
            #expect(gap.reason.contains("internal_ranges") && !gap.reason.contains("dns:"), "\(gap.message)")
        }
    }
}
