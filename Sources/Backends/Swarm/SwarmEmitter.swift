import Foundation
import IR
import YAML

/// Writes a `SwarmPlan` as a compose file, format 3.9 (the schema docker/cli embeds for
/// `docker stack deploy`). Every string from the spec is escaped against compose's `$`
/// interpolation.
struct SwarmEmitter {
    let policy: Policy
    let plan: SwarmPlan
    let settings: SwarmBackend.Settings

    static let version = "3.9"

    func document() -> StructuredValue {
        var networksByWorkload: [WorkloadID: [String]] = [:]
        for network in plan.networks {
            for member in network.members { networksByWorkload[member, default: []].append(network.name) }
        }
        var entries: [StructuredValue.Entry] = [
            .init("version", .string(Self.version)),
            .init("services", .object(policy.workloads.map { workload in
                .init(workload.name, service(workload, networks: networksByWorkload[workload.id] ?? []))
            })),
            .init("networks", .object(plan.networks.map { .init($0.name, network($0)) })),
        ]
        let secrets = Set(policy.workloads.flatMap(\.secrets)).sorted()
        if !secrets.isEmpty {
            entries.append(.init("secrets", .object(secrets.map { .init($0, .object([.init("external", true)])) })))
        }
        return .object(entries)
    }

    func service(_ workload: Workload, networks: [String]) -> StructuredValue {
        let runtime = workload.runtime
        var entries: [StructuredValue.Entry] = [.init("image", .string(escaped(workload.image.text)))]
        if let user = runtime.user { entries.append(.init("user", .string(String(user)))) }
        if let readOnly = runtime.readOnlyRoot { entries.append(.init("read_only", .bool(readOnly))) }
        if let capabilities = runtime.capabilities {
            if !capabilities.add.isEmpty { entries.append(.init("cap_add", .array(capabilities.add.map { .string($0) }))) }
            if !capabilities.drop.isEmpty { entries.append(.init("cap_drop", .array(capabilities.drop.map { .string($0) }))) }
        }
        // Writable scratch space: the long `volumes` form, the only one swarm mode converts
        // (docker/cli's converter never reads the short `tmpfs:` list).
        if let paths = runtime.writablePaths, !paths.isEmpty {
            entries.append(.init("volumes", .array(paths.map { path in
                .object([.init("type", "tmpfs"), .init("target", .string(escaped(path)))])
            })))
        }
        if !workload.secrets.isEmpty {
            entries.append(.init("secrets", .array(workload.secrets.map { secret in
                var fields: [StructuredValue.Entry] = [.init("source", .string(secret)), .init("target", .string(secret))]
                if let user = runtime.user {
                    fields.append(.init("uid", .string(String(user))))
                    fields.append(.init("gid", .string(String(user))))
                }
                fields.append(.init("mode", .int(0o400)))
                return .object(fields)
            })))
        }
        entries.append(.init("networks", .array(networks.map { .string($0) })))
        if let ports = plan.published[workload.id] {
            entries.append(.init("ports", .array(ports.ranges.flatMap(published))))
        }
        if !workload.labels.isEmpty {
            entries.append(.init("labels", .object(workload.labels.map { .init(escaped($0.key), .string(escaped($0.value))) })))
        }
        entries.append(.init("deploy", deploy(workload)))
        return .object(entries)
    }

    /// Long syntax for a single port; a range in short syntax (`8000-8100:8000-8100/tcp`,
    /// always the routing mesh) unless ports are published in host mode, where the long
    /// syntax is the only one and each port gets an entry.
    func published(_ range: PortRange) -> [StructuredValue] {
        if range.lower != range.upper, settings.publishMode == "ingress" {
            return [.string("\(range.lower)-\(range.upper):\(range.lower)-\(range.upper)/\(range.proto)")]
        }
        return (range.lower...range.upper).map { port in
            .object([
                .init("target", .int(port)), .init("published", .int(port)),
                .init("protocol", .string(range.proto.description)), .init("mode", .string(settings.publishMode)),
            ])
        }
    }

    func deploy(_ workload: Workload) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [.init("replicas", .int(workload.replicas))]
        if let resources = workload.runtime.resources {
            var limits: [StructuredValue.Entry] = []
            if let cpu = resources.cpuMillis { limits.append(.init("cpus", .string(decimalText(cpu, 1000)))) }
            if let memory = resources.memoryBytes { limits.append(.init("memory", .string(Self.memory(memory)))) }
            if let pids = resources.pids { limits.append(.init("pids", .int(pids))) }
            if !limits.isEmpty { entries.append(.init("resources", .object([.init("limits", .object(limits))]))) }
        }
        var labels: [StructuredValue.Entry] = [
            .init("palisade.policy", .string(policy.name)),
            .init("palisade.segment", .string(policy.segments[workload.segment.index].name)),
            .init("palisade.identity", .string(workload.identity)),
        ]
        labels += workload.labels.map { .init(escaped($0.key), .string(escaped($0.value))) }
        entries.append(.init("labels", .object(labels)))
        return .object(entries)
    }

    func network(_ network: SwarmPlan.Network) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [.init("driver", "overlay")]
        if network.isInternal { entries.append(.init("internal", true)) }
        if settings.encrypt { entries.append(.init("driver_opts", .object([.init("encrypted", "")]))) }
        let members = network.members.map { policy.workloads[$0.index].name }.joined(separator: ",")
        let purpose: String = switch network.purpose {
        case .link: "link"
        case .egress: "egress"
        case .own: "own"
        }
        entries.append(.init("labels", .object([
            .init("palisade.purpose", .string(purpose)), .init("palisade.members", .string(members)),
        ])))
        return .object(entries)
    }

    /// Bytes in docker's units (binary: `256M` is 256 MiB), exact.
    static func memory(_ bytes: Int) -> String {
        for (suffix, scale) in [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] where bytes % scale == 0 {
            return "\(bytes / scale)\(suffix)"
        }
        return String(bytes)
    }
}

/// Compose interpolates `$NAME` and `${NAME}` in values; `$$` is a literal `$`.
func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "$", with: "$$")
}

/// The inverse of `escaped`.
func unescaped(_ text: String) -> String {
    text.replacingOccurrences(of: "$$", with: "$")
}
