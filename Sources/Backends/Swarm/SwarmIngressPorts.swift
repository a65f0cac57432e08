import Diagnostics
import IR
import YAML

/// A port as Swarm publishes it: a protocol and a number.
struct SwarmPort: Hashable, Comparable, CustomStringConvertible {
    var proto: TransportProtocol
    var port: Int

    static func < (lhs: SwarmPort, rhs: SwarmPort) -> Bool { (lhs.proto, lhs.port) < (rhs.proto, rhs.port) }

    var description: String { "\(proto)/\(port)" }
}

/// Published ports in ingress mode belong to the whole swarm: every node forwards the port to
/// the one service that publishes it, and swarmkit's manager refuses a service whose protocol
/// and published port another service already publishes (`checkPortConflicts` in
/// `manager/controlapi/service.go`). A port that one service alone publishes is published as
/// itself; a port that several services publish (the metrics port every workload serves to
/// the monitoring network) is published, for each of them, on a port of its own, while the
/// target stays the workload's port: the workload still receives the spec's connections on the
/// port the spec names, and only the address outside clients dial changes.
///
/// The rule, from names alone: each shared port of workload `W` starts at
/// `30000 + hash("W PROTO/PORT") mod 2768` (Swarm's own range for ports it picks,
/// `dynamicPortStart`–`dynamicPortEnd` in swarmkit's `portallocator.go`) and takes the first
/// port from there that nothing else in the stack publishes, counting up to 65535 and then
/// from 30000; the shared ports are placed in order of protocol, port and workload name.
///
/// Under `compile --apply-to`, the application's file publishes ports of its own too (in the
/// services the spec does not name): each of those counts as published by another service, so
/// a workload's port that the file publishes already is a shared port, and no port the rule
/// gives lands on one the file publishes.
enum SwarmIngressPorts {
    /// Swarm's range for the published ports it picks itself.
    static let dynamicRange = 30000...32767
    /// Where the published ports of shared ports come from.
    static let pool = 30000...65535

    /// For each workload, the published port of each of its ports another workload publishes
    /// too; empty when no port is published twice.
    /// `reserved` holds the ports other services of the stack publish (the application's own).
    static func assign(_ published: [WorkloadID: PortSet], policy: Policy, reserved: PortSet = PortSet()) throws -> [WorkloadID: [SwarmPort: Int]] {
        let ids = published.keys.sorted { $0.index < $1.index }
        var seen = reserved
        var shared = PortSet()
        for id in ids {
            let ports = published[id]!
            shared.formUnion(seen.intersection(ports))
            seen.formUnion(ports)
        }
        guard !shared.isEmpty else { return [:] }
        let name = { (id: WorkloadID) in policy.workloads[id.index].name }

        // What needs a port of its own, and what the stack publishes as itself.
        var wanted: [(port: SwarmPort, workload: WorkloadID)] = []
        var count: [TransportProtocol: Int] = [:]
        for id in ids {
            for range in published[id]!.intersection(shared).ranges { count[range.proto, default: 0] += range.upper - range.lower + 1 }
        }
        let own = seen.subtracting(shared).union(reserved)
        var free: [TransportProtocol: FreePorts] = [:]
        for (proto, needed) in count.sorted(by: { $0.key < $1.key }) {
            var ports = FreePorts(count: pool.count)
            for range in own.intersection(PortSet(PortRange(proto, pool.lowerBound, pool.upperBound))).ranges {
                for port in range.lower...range.upper { ports.take(port - pool.lowerBound) }
            }
            guard needed <= ports.available else {
                let claimants = ids.filter { published[$0]!.intersection(shared).protocols.contains(proto) }
                let first = shared.ranges.first { $0.proto == proto }!
                throw BackendError(
                    .error(
                        .targetLimit,
                        "swarm: \(needed) \(proto) ports are published by more than one service in ingress mode (\(first.proto)/\(first.lower) "
                            + "by \(claimants.prefix(4).map(name).joined(separator: ", "))\(claimants.count > 4 ? ", …" : "")); each needs a "
                            + "published port of its own, and only \(ports.available) of \(proto)/\(pool.lowerBound)-\(pool.upperBound) are free",
                        at: policy.workloads[claimants[0].index].origin,
                        help: "set 'publish_mode: host' (tasks publish on their own nodes, where services may share a port), or publish fewer ports"))
            }
            free[proto] = ports
        }
        for id in ids {
            for range in published[id]!.intersection(shared).ranges {
                for port in range.lower...range.upper { wanted.append((SwarmPort(proto: range.proto, port: port), id)) }
            }
        }
        wanted.sort { ($0.port, name($0.workload)) < ($1.port, name($1.workload)) }

        var result: [WorkloadID: [SwarmPort: Int]] = [:]
        for (port, id) in wanted {
            let start = Int(StableName.hash("\(name(id)) \(port)") % UInt64(dynamicRange.count))
            let slot = free[port.proto]!.takeFirst(from: start)
            result[id, default: [:]][port] = pool.lowerBound + slot
        }
        return result
    }

    /// Free slots `0..<count`, each taken once: the first free slot at or after a start,
    /// wrapping around, through a path-compressed "next free" forest.
    struct FreePorts {
        private var next: [Int]
        private(set) var available: Int

        init(count: Int) {
            next = Array(0...count)
            available = count
        }

        private mutating func find(_ slot: Int) -> Int {
            var root = slot
            while next[root] != root { root = next[root] }
            var node = slot
            while next[node] != root {
                let following = next[node]
                next[node] = root
                node = following
            }
            return root
        }

        mutating func take(_ slot: Int) {
            guard find(slot) == slot else { return }
            next[slot] = slot + 1
            available -= 1
        }

        /// The first free slot at or after `start`, else from 0; the caller checks `available`.
        mutating func takeFirst(from start: Int) -> Int {
            var slot = find(start)
            if slot == next.count - 1 { slot = find(0) }
            take(slot)
            return slot
        }
    }
}

extension SwarmEmitter {
    /// A service's `ports`: what it alone publishes as `published(_:)` writes it, and each
    /// shared port in long syntax on the published port `SwarmIngressPorts` gave it, in port order.
    func portEntries(_ ports: PortSet, remapped: [SwarmPort: Int]) -> [StructuredValue] {
        guard !remapped.isEmpty else { return ports.ranges.flatMap(published) }
        let shared = PortSet(remapped.keys.map { PortRange($0.proto, $0.port, $0.port) })
        var entries: [(range: PortRange, values: [StructuredValue])] = ports.subtracting(shared).ranges.map { ($0, published($0)) }
        for (port, publishedAs) in remapped {
            let value: StructuredValue = .object([
                .init("target", .int(port.port)), .init("published", .int(publishedAs)),
                .init("protocol", .string(port.proto.description)), .init("mode", .string(SwarmOptions.PublishMode.ingress.rawValue)),
            ])
            entries.append((PortRange(port.proto, port.port, port.port), [value]))
        }
        return entries.sorted { $0.range < $1.range }.flatMap(\.values)
    }
}

extension SwarmReader {
    /// What swarmkit's manager refuses in a stack's published ports, from the file alone: a
    /// protocol and published port that one service publishes in ingress mode and another
    /// publishes in any mode (`checkPortConflicts`), or that one service lists twice
    /// (`validateEndpointSpec`). Host-mode ports may be shared between services: the
    /// scheduler places their tasks on different nodes. One line per conflict, sorted.
    static func portConflicts(_ files: [OutputFile]) throws -> [String] {
        let file = SwarmReader.file(in: files)
        return try portConflicts(root: try files.required(file).document(), file: file)
    }

    /// The same, for a stack already loaded (an application's file as `apply` writes it).
    static func portConflicts(root: YAMLNode, file: String) throws -> [String] {
        try portConflictSites(root: root, file: file).map(\.message).sorted()
    }

    /// One conflict of `portConflicts`: the line, and the `ports` entries that make it, in the
    /// order of the stack's services.
    struct PortConflict {
        var message: String
        var entries: [YAMLNode]
    }

    /// `portConflicts` with the entries of each conflict, in port order.
    static func portConflictSites(root: YAMLNode, file: String) throws -> [PortConflict] {
        guard case .mapping(let services)? = root["services"]?.content else { throw ReadFailure(file, "services is not a mapping") }
        var users: [SwarmPort: [(service: String, ingress: Bool, entry: YAMLNode)]] = [:]
        var conflicts: [PortConflict] = []
        for service in services {
            guard let ports = service.value["ports"] else { continue }
            guard case .sequence(let entries) = ports.content else { throw ReadFailure(file, "ports of \(service.name) is not a list") }
            var own: [SwarmPort: YAMLNode] = [:]
            for entry in entries {
                let (published, ingress) = try publishedSide(entry, file: file)
                for port in published {
                    if let first = own[port] {
                        conflicts.append(PortConflict(message: "\(port) is published twice by service '\(service.name)'", entries: [first, entry]))
                    } else {
                        own[port] = entry
                    }
                    users[port, default: []].append((service.name, ingress, entry))
                }
            }
        }
        for (port, claims) in users.sorted(by: { $0.key < $1.key }) {
            let names = Set(claims.map(\.service))
            guard names.count > 1, claims.contains(where: \.ingress) else { continue }
            conflicts.append(
                PortConflict(
                    message: "\(port) is published by services \(names.sorted().joined(separator: ", ")), in ingress mode by at least one",
                    entries: claims.map(\.entry)))
        }
        return conflicts
    }

    /// The ports the services of `root` not in `excluded` publish, in any mode (an ingress
    /// port conflicts with a port another service publishes in either mode); entries that do
    /// not read are left to the reader, which reports them.
    static func publishedPorts(root: YAMLNode, excluding excluded: Set<String>) -> PortSet {
        var ports: [PortRange] = []
        for service in root["services"]?.pairs ?? [] where !excluded.contains(service.name) {
            for entry in service.value["ports"]?.items ?? [] {
                guard let side = try? publishedSide(entry, file: "") else { continue }
                ports += side.ports.map { PortRange($0.proto, $0.port, $0.port) }
            }
        }
        return PortSet(ports)
    }

    /// A published side that is a port or a range of ports (`0` or nothing: Swarm picks one);
    /// a `ReadFailure` otherwise.
    static func checkPublished(_ text: String?, file: String = SwarmEmitter.file) throws {
        guard let text, !text.isEmpty else { return }
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard bounds.count <= 2, let low = bounds.first ?? nil, let high = bounds.last ?? nil, low <= high, (0...65535).contains(low), high <= 65535
        else { throw ReadFailure(file, "published port '\(text)' is not a port number or range") }
    }

    /// The published side of one `ports` entry (none where Swarm picks the port) and whether
    /// it is in ingress mode (short syntax always is).
    static func publishedSide(_ node: YAMLNode, file: String) throws -> (ports: [SwarmPort], ingress: Bool) {
        if case .mapping = node.content {
            let proto = TransportProtocol(name: node["protocol"]?.scalar ?? "tcp") ?? .tcp
            let ingress = (node["mode"]?.scalar ?? "ingress") == "ingress"
            guard let text = node["published"]?.scalar else { return ([], ingress) }
            try checkPublished(text, file: file)
            guard let port = Int(text) else { throw ReadFailure(file, "cannot read published port '\(text)'") }
            return (port == 0 ? [] : [SwarmPort(proto: proto, port: port)], ingress)
        }
        guard var text = node.scalar else { throw ReadFailure(file, "a port entry that is neither a mapping nor a string") }
        var proto = TransportProtocol.tcp
        if let slash = text.firstIndex(of: "/") {
            proto = TransportProtocol(name: String(text[text.index(after: slash)...])) ?? .tcp
            text = String(text[..<slash])
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[parts.count - 2].isEmpty else { return ([], true) }
        try checkPublished(String(parts[parts.count - 2]), file: file)
        let bounds = parts[parts.count - 2].split(separator: "-").compactMap { Int($0) }
        guard let low = bounds.first, let high = bounds.last, low <= high else { throw ReadFailure(file, "cannot read port '\(text)'") }
        return ((low...high).map { SwarmPort(proto: proto, port: $0) }, true)
    }
}
