import Diagnostics
import Foundation
import IR
import TestSupport
import Testing

@testable import Backends

/// Swarm's manager refuses a service whose protocol and published port another service
/// already publishes in ingress mode (swarmkit `checkPortConflicts`): no stack Palisade writes
/// may do that, and a port several workloads publish gets a published port of its own per
/// workload, read back as the workload's port (`targets/swarm/README.md`, "Published ports").
@Suite struct SwarmIngressTests {
    let backend = SwarmBackend()

    func files(_ policy: Policy, _ gaps: GapPolicy, _ extra: [String: OptionValue] = [:]) throws -> [OutputFile] {
        try backend.emit(policy, options: options(.swarm, gaps, extra)).files
    }

    func stack(_ text: String) -> [OutputFile] { [OutputFile(path: "stack.yaml", contents: text)] }

    /// The long-syntax `ports` of each service: (target, published, mode).
    func published(_ files: [OutputFile]) throws -> [String: [(target: Int, published: Int, mode: String)]] {
        let root = try files.required("stack.yaml").document()
        var result: [String: [(Int, Int, String)]] = [:]
        guard case .mapping(let services)? = root["services"]?.content else { return [:] }
        for service in services {
            guard case .sequence(let entries)? = service.value["ports"]?.content else { continue }
            for entry in entries {
                guard let target = entry["target"]?.scalar.flatMap({ Int($0) }), let port = entry["published"]?.scalar.flatMap({ Int($0) }) else { continue }
                result[service.name, default: []].append((target, port, entry["mode"]?.scalar ?? "ingress"))
            }
        }
        return result
    }

    @Test(arguments: backendSamples)
    func noSampleStackPublishesAPortTheManagerRefuses(sample: String) throws {
        let policy = try samplePolicy(sample)
        for gaps in [GapPolicy.widen, .narrow] {
            for mode in ["ingress", "host"] {
                let conflicts = try SwarmReader.portConflicts(try files(policy, gaps, ["publish_mode": .string(mode)]))
                #expect(conflicts.isEmpty, "\(sample), gaps: \(gaps), publish_mode: \(mode): \(conflicts)")
            }
        }
    }

    /// The stacks under `targets/swarm`, as committed.
    @Test func noCommittedStackPublishesAPortTheManagerRefuses() throws {
        let folder = repositoryRoot.appendingPathComponent("targets/swarm")
        let policies = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("\($0)/stack.yaml").path)
        }
        #expect(policies.count >= 5)
        for policy in policies {
            let text = try String(contentsOf: folder.appendingPathComponent("\(policy)/stack.yaml"), encoding: .utf8)
            #expect(try SwarmReader.portConflicts(stack(text)).isEmpty, "targets/swarm/\(policy)/stack.yaml")
        }
    }

    @Test func randomSpecsPublishNoPortTheManagerRefusesAndReadBackExactly() throws {
        try forRandomSpecs(seed: 16, count: 40) { policy, gaps in
            for mode in ["ingress", "host"] {
                let extra: [String: OptionValue] = ["publish_mode": .string(mode)]
                let (emission, _) = try checkRoundTrip(backend, policy, options(.swarm, gaps, extra))
                #expect(try SwarmReader.portConflicts(emission.files).isEmpty)
            }
        }
    }

    /// The check itself: what the manager refuses, and what it accepts.
    @Test func theCheckFindsWhatTheManagerRefuses() throws {
        func conflicts(_ services: String) throws -> [String] { try SwarmReader.portConflicts(stack("version: \"3.9\"\nservices:\n" + services)) }
        // The shop stack as it was: four services on tcp/9090 through the routing mesh.
        #expect(
            try conflicts(
                """
                  catalog: {image: x, ports: [{target: 9090, published: 9090, protocol: tcp, mode: ingress}]}
                  web: {image: x, ports: ["80:80/tcp", {target: 9090, published: 9090, protocol: tcp, mode: ingress}]}
                """) == ["tcp/9090 is published by services catalog, web, in ingress mode by at least one"])
        // Host mode may share a port (the scheduler keeps the tasks apart); not with ingress.
        #expect(
            try conflicts(
                "  a: {image: x, ports: [{target: 80, published: 80, mode: host}]}\n  b: {image: x, ports: [{target: 80, published: 80, mode: host}]}\n"
            ).isEmpty)
        #expect(try conflicts("  a: {image: x, ports: [{target: 80, published: 80, mode: host}]}\n  b: {image: x, ports: [\"80:8080\"]}\n").count == 1)
        // Protocols apart, ports Swarm picks, and ranges in short syntax.
        #expect(
            try conflicts(
                "  a: {image: x, ports: [\"53:53/udp\"]}\n  b: {image: x, ports: [\"53:53/tcp\", \"8080\", {target: 80}]}\n  c: {image: x, ports: [\"8080\"]}\n"
            ).isEmpty)
        #expect(
            try conflicts("  a: {image: x, ports: [\"8000-8010:8000-8010/tcp\"]}\n  b: {image: x, ports: [\"8005:80\"]}\n") == [
                "tcp/8005 is published by services a, b, in ingress mode by at least one"
            ])
        // A published side that is no port is a read failure, not a huge range.
        #expect(throws: ReadFailure.self) { try conflicts("  a: {image: x, ports: [\"1-99999999999:80\"]}\n") }
        #expect(throws: ReadFailure.self) { try conflicts("  a: {image: x, ports: [{target: 80, published: 70000}]}\n") }
        // One service listing a port twice.
        #expect(try conflicts("  a: {image: x, ports: [\"80:80\", {target: 81, published: 80}]}\n") == ["tcp/80 is published twice by service 'a'"])
    }

    @Test func shopPublishesItsSharedMetricsPortOnAPortOfEachWorkloadsOwn() throws {
        let policy = try samplePolicy("shop.yaml")
        let ports = try published(try files(policy, .widen))
        let metrics = ["catalog", "checkout", "order-worker", "web"].map { name in
            ports[name]?.first { $0.target == 9090 }
        }
        let numbers = metrics.compactMap { $0?.published }
        #expect(numbers.count == 4 && Set(numbers).count == 4 && numbers.allSatisfy(SwarmIngressPorts.dynamicRange.contains), "\(numbers)")
        #expect(metrics.allSatisfy { $0?.mode == "ingress" })
        // The storefront alone publishes 80 and 443: as themselves.
        #expect(ports["web"]?.filter { $0.target != 9090 }.map { [$0.target, $0.published] } == [[80, 80], [443, 443]])
        // Read back as the workloads' own port, from every address, as the intent says.
        let read = try backend.read(try files(policy, .widen), policy: policy).relation
        for name in ["catalog", "checkout", "order-worker", "web"] {
            let id = try #require(policy.workload(named: name)?.id)
            #expect(read.ingress[id]?.entries.contains { $0.ports.contains(.tcp, 9090) && $0.peers.addresses.isAll } == true, "\(name)")
            #expect(read.ingress[id]?.entries.contains { $0.ports.overlaps(PortSet(PortRange(.tcp, 30000, 65535))) } == false, "\(name)")
        }
    }

    @Test func hostModePublishesSharedPortsAsThemselves() throws {
        let ports = try published(try files(try samplePolicy("shop.yaml"), .widen, ["publish_mode": .string("host")]))
        for name in ["catalog", "checkout", "order-worker", "web"] {
            #expect(ports[name]?.contains { $0.target == 9090 && $0.published == 9090 && $0.mode == "host" } == true, "\(name)")
        }
    }

    func metricsSpec(_ workloads: [String]) -> String {
        var text = "version: 1\nname: m\nnetworks: {monitoring: [10.20.0.0/16]}\nworkloads:\n"
        for name in workloads { text += "  \(name): {image: nginx:1.25, ports: [tcp/9090, tcp/8080]}\n" }
        text += "flows:\n  - {from: monitoring, to: [\(workloads.joined(separator: ", "))], ports: [tcp/9090]}\n"
        text += "  - {from: any, to: \(workloads[0]), ports: [tcp/8080]}\n"
        return text
    }

    /// Published ports derive from names: a new workload on the shared port moves no other's.
    @Test func aNewWorkloadOnASharedPortMovesNoOther() throws {
        let two = try #require(compileSpec(metricsSpec(["alpha", "beta"])).policy)
        let three = try #require(compileSpec(metricsSpec(["alpha", "beta", "gamma"])).policy)
        let before = try published(try files(two, .widen))
        let after = try published(try files(three, .widen))
        for name in ["alpha", "beta"] {
            let port = before[name]?.first { $0.target == 9090 }?.published
            #expect(port != nil && port != 9090 && after[name]?.first { $0.target == 9090 }?.published == port, "\(name)")
        }
        // The port one workload alone publishes stays itself.
        #expect(after["alpha"]?.contains { $0.target == 8080 && $0.published == 8080 } == true)
    }

    /// A port published as itself keeps its number, and no shared port lands on it.
    @Test func sharedPortsAvoidPortsPublishedAsThemselves() throws {
        let policy = try #require(compileSpec(metricsSpec(["alpha", "beta"])).policy)
        let (alpha, beta) = (try #require(policy.workload(named: "alpha")?.id), try #require(policy.workload(named: "beta")?.id))
        let free = try SwarmIngressPorts.assign([alpha: PortSet(PortRange(.tcp, 9090, 9090)), beta: PortSet(PortRange(.tcp, 9090, 9090))], policy: policy)
        let taken = Set(free.values.flatMap(\.values))
        // Publish every one of those ports as itself too (alpha alone): the shared ones move.
        var alphaPorts = PortSet(PortRange(.tcp, 9090, 9090))
        for port in taken { alphaPorts.formUnion(PortSet(PortRange(.tcp, port, port))) }
        let moved = try SwarmIngressPorts.assign([alpha: alphaPorts, beta: PortSet(PortRange(.tcp, 9090, 9090))], policy: policy)
        let assigned = moved.values.flatMap(\.values)
        #expect(assigned.count == 2 && Set(assigned).isDisjoint(with: taken), "\(moved)")
    }

    /// Past the free ports of 30000-65535 for a protocol, a located error naming the workloads.
    @Test func moreSharedPortsThanThePoolIsALocatedError() throws {
        let policy = try #require(compileSpec(metricsSpec(["alpha", "beta"])).policy)
        let (alpha, beta) = (try #require(policy.workload(named: "alpha")?.id), try #require(policy.workload(named: "beta")?.id))
        let pool = SwarmIngressPorts.pool.count
        // Exactly the pool: every shared port gets one, all distinct, all in the pool.
        let half = PortSet(PortRange(.tcp, 1000, 1000 + pool / 2 - 1))
        let full = try SwarmIngressPorts.assign([alpha: half, beta: half], policy: policy)
        let all = full.values.flatMap(\.values)
        #expect(all.count == pool && Set(all).count == pool && all.allSatisfy(SwarmIngressPorts.pool.contains))
        // One more: the error.
        let over = PortSet(PortRange(.tcp, 1000, 1000 + pool / 2))
        do {
            _ = try SwarmIngressPorts.assign([alpha: over, beta: over], policy: policy)
            Issue.record("no error past the pool")
        } catch let error as BackendError {
            #expect(error.diagnostic.code == .targetLimit)
            #expect(
                error.diagnostic.message.contains("alpha, beta") && error.diagnostic.message.contains("\(pool + 2) tcp ports"), "\(error.diagnostic.message)")
            #expect(error.diagnostic.range == policy.workloads[alpha.index].origin)
        }
    }

    /// The reader counts the target side, and still rejects a published side that is no port.
    @Test func theReaderRejectsPublishedPortsOutOfRange() throws {
        let policy = try samplePolicy("minimal.yaml")
        let files = try files(policy, .widen)
        let text = try #require(files.first?.contents)
        #expect(text.contains("published: 8080"))
        for replacement in ["published: 70000", "published: -1", "published: 8080-80"] {
            let broken = [OutputFile(path: "stack.yaml", contents: text.replacingOccurrences(of: "published: 8080", with: replacement))]
            #expect(throws: ReadFailure.self, "\(replacement)") { try backend.read(broken, policy: policy) }
        }
        let remapped = [OutputFile(path: "stack.yaml", contents: text.replacingOccurrences(of: "published: 8080", with: "published: 31000"))]
        #expect(try backend.read(remapped, policy: policy).relation == backend.read(files, policy: policy).relation)
    }

    @Test func freePortsTakeTheFirstFreeSlotAndWrap() {
        var free = SwarmIngressPorts.FreePorts(count: 5)
        free.take(2)
        #expect(free.takeFirst(from: 2) == 3)
        #expect(free.takeFirst(from: 2) == 4)
        #expect(free.takeFirst(from: 3) == 0)
        #expect(free.takeFirst(from: 0) == 1)
        #expect(free.available == 0)
    }
}
