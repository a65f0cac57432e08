import Diagnostics
import IR
import YAML

/// How one team app becomes a hardened app: the fields Palisade owns are set to what complete
/// mode writes (a different team value is an `Override`), every other field is kept as written
/// and in its place, and the kept fields that open more than the spec are gaps located in the
/// team's file. The ownership table is in `targets/mesos/README.md`.
extension MesosApplier {
    /// `docker run` flags Palisade owns: those it writes, and those that would undo what it
    /// decides elsewhere (`privileged`, host networking, published host ports).
    static let ownedParameters: Set<String> = [
        "user", "u", "read-only", "tmpfs", "cap-add", "cap-drop", "pids-limit", "pid", "ipc", "privileged", "net", "network", "publish", "p",
        "publish-all", "P",
    ]

    /// Whether Palisade owns a Docker parameter: the flags above, and the `security-opt`
    /// values it writes (`no-new-privileges`, `seccomp=`, `apparmor=`); other security options
    /// (`label=…`) are the team's.
    static func owns(_ key: String, _ value: String) -> Bool {
        if key == "security-opt" { return ["no-new-privileges", "seccomp", "apparmor"].contains { value.hasPrefix($0) } }
        return ownedParameters.contains(key)
    }

    func merge(_ app: YAMLNode, id: String, workload: Workload, into result: inout Result) -> StructuredValue {
        var merger = AppMerger(applier: self, workload: workload, subject: "app \(id)")
        let value = merger.app(app)
        result.overrides += merger.overrides
        result.gaps += merger.gaps
        if !merger.resources.isEmpty { result.resources[workload.name] = merger.resources }
        return value
    }
}

/// Merges one app; collects its overrides and gaps.
struct AppMerger {
    typealias Entry = StructuredValue.Entry

    let applier: MesosApplier
    let workload: Workload
    let subject: String
    var overrides: [Override] = []
    var gaps: [Gap] = []
    /// The team's `cpus` and `mem` kept where the spec sets no limit.
    var resources: [String: String] = [:]

    var docker: Bool { applier.options.containerizer == .docker }
    var networkNames: [String] { applier.networks[workload.id] ?? [] }

    static func value(_ node: YAMLNode) -> StructuredValue { MesosApplier.value(node) }

    mutating func overridden(_ field: String, _ node: YAMLNode, palisade: String, application: String? = nil) {
        overrides.append(
            Override(origin: node.range, subject: subject, field: field, application: application ?? MesosApplier.text(node), palisade: palisade))
    }

    mutating func widened(_ key: RuntimeKey, _ reason: String, at node: YAMLNode) {
        gaps.append(.runtime(.widened, target: .mesos, workload: workload.name, key: key, reason: reason, origin: node.range))
    }

    /// Empty lists and nulls: fields that say nothing.
    static func isEmpty(_ node: YAMLNode) -> Bool {
        if node.isNull { return true }
        if case .sequence(let items) = node.content { return items.isEmpty }
        return false
    }

    mutating func app(_ node: YAMLNode) -> StructuredValue {
        guard case .mapping(let pairs) = node.content else { return Self.value(node) }
        let limits = workload.runtime.resources
        let owned: [String: String] = [
            "cpus": limits?.cpuMillis.map { decimalText($0, 1000) }, "mem": limits?.memoryBytes.map { decimalText($0, 1 << 20) },
        ].compactMapValues { $0 }
        let user = applier.policy.identity(workload.identity).name
        let networks = applier.emitter.networksValue(networkNames)
        var entries: [Entry] = []
        var seen = Set<String>()
        for pair in pairs {
            let value = pair.value
            seen.insert(pair.name)
            switch pair.name {
            case "user":
                if Self.value(value) != .string(user) { overridden("user", value, palisade: JSONWriter.compact(.string(user))) }
                entries.append(.init("user", .string(user)))
            case "cpus" where owned["cpus"] != nil, "mem" where owned["mem"] != nil:
                let wanted = owned[pair.name] ?? ""
                if value.scalar.flatMap(Double.init) != Double(wanted) { overridden(pair.name, value, palisade: wanted) }
                entries.append(.init(pair.name, .number(wanted)))
            case "networks":
                if Self.value(value) != networks { overridden("networks", value, palisade: JSONWriter.compact(networks)) }
                entries.append(.init("networks", networks))
            case "labels":
                entries.append(.init("labels", labels(value)))
            case "portDefinitions", "ports", "ipAddress":
                // Host networking's ports and the old network field: Palisade's container
                // networks replace them (ports are `container.portMappings` there).
                if Self.isEmpty(value) {
                    entries.append(.init(pair.name, Self.value(value)))
                } else {
                    overridden(pair.name, value, palisade: "absent")
                }
            case "container":
                entries.append(.init("container", container(value)))
            default:
                if pair.name == "cpus" || pair.name == "mem", let text = value.scalar { resources[pair.name] = text }
                entries.append(.init(pair.name, Self.value(value)))
            }
        }
        // What the team's app lacks, appended in complete mode's order.
        if !seen.contains("user") { entries.append(.init("user", .string(user))) }
        for key in ["cpus", "mem"] where !seen.contains(key) {
            if let wanted = owned[key] { entries.append(.init(key, .number(wanted))) }
        }
        if !seen.contains("container") { entries.append(.init("container", container(nil))) }
        if !seen.contains("networks") { entries.append(.init("networks", networks)) }
        if !seen.contains("labels") { entries.append(.init("labels", .object(applier.emitter.labels(workload)))) }
        return .object(entries)
    }

    /// The team's labels with Palisade's set: its own and the spec's, in the team's order, the
    /// missing ones appended.
    mutating func labels(_ node: YAMLNode) -> StructuredValue {
        let mine = applier.emitter.labels(workload)
        guard case .mapping(let pairs) = node.content else {
            overridden("labels", node, palisade: JSONWriter.compact(.object(mine)))
            return .object(mine)
        }
        var wanted: [String: StructuredValue] = [:]
        for entry in mine { wanted[entry.key] = entry.value }
        var entries: [Entry] = []
        var set = Set<String>()
        for pair in pairs {
            guard let value = wanted[pair.name] else {
                entries.append(.init(pair.name, Self.value(pair.value)))
                continue
            }
            if Self.value(pair.value) != value { overridden("labels.\(pair.name)", pair.value, palisade: JSONWriter.compact(value)) }
            entries.append(.init(pair.name, value))
            set.insert(pair.name)
        }
        return .object(entries + mine.filter { !set.contains($0.key) })
    }

    mutating func container(_ node: YAMLNode?) -> StructuredValue {
        let type = docker ? "DOCKER" : "MESOS"
        let mapped = applier.plan.mapped[workload.id] ?? PortSet()
        guard let node, case .mapping(let pairs) = node.content else {
            if let node, !node.isNull { overridden("container", node, palisade: "a \(type) container") }
            var entries: [Entry] = [.init("type", .string(type)), .init("docker", docker(nil))]
            if !mapped.isEmpty { entries.append(.init("portMappings", .array(applier.emitter.portMappings(mapped, networks: networkNames)))) }
            return .object(entries)
        }
        var entries: [Entry] = []
        var seen = Set<String>()
        for pair in pairs {
            seen.insert(pair.name)
            switch pair.name {
            case "type":
                if Self.value(pair.value) != .string(type) { overridden("container.type", pair.value, palisade: JSONWriter.compact(.string(type))) }
                entries.append(.init("type", .string(type)))
            case "docker":
                entries.append(.init("docker", docker(pair.value)))
            case "portMappings":
                entries.append(.init("portMappings", portMappings(pair.value)))
            case "volumes":
                volumes(pair.value)
                entries.append(.init(pair.name, Self.value(pair.value)))
            default:
                entries.append(.init(pair.name, Self.value(pair.value)))
            }
        }
        if !seen.contains("type") { entries.insert(.init("type", .string(type)), at: 0) }
        if !seen.contains("docker"), !seen.contains("appc") { entries.append(.init("docker", docker(nil))) }
        if !seen.contains("portMappings"), !mapped.isEmpty {
            entries.append(.init("portMappings", .array(applier.emitter.portMappings(mapped, networks: networkNames))))
        }
        return .object(entries)
    }

    /// `container.docker`: the team's image (the spec's where it names none), Palisade's
    /// `privileged` and parameters with the team's other parameters kept; Docker's own
    /// network fields removed. The Mesos containerizer takes no `privileged` or parameters.
    mutating func docker(_ node: YAMLNode?) -> StructuredValue {
        let runtime = workload.runtime
        let mine = applier.emitter.parameters(runtime).map { key, value in
            StructuredValue.object([.init("key", .string(key)), .init("value", .string(value))])
        }
        var entries: [Entry] = []
        var seen = Set<String>()
        if let node, case .mapping(let pairs) = node.content {
            for pair in pairs {
                seen.insert(pair.name)
                let value = pair.value
                switch pair.name {
                case "privileged":
                    if docker {
                        let wanted = runtime.privileged == true
                        if Self.value(value) != .bool(wanted) { overridden("container.docker.privileged", value, palisade: String(wanted)) }
                        entries.append(.init("privileged", .bool(wanted)))
                    } else if Self.value(value) != .bool(false) {
                        overridden("container.docker.privileged", value, palisade: "absent (the Mesos containerizer)")
                    }
                case "parameters":
                    if docker {
                        entries.append(.init("parameters", parameters(value, mine: mine)))
                    } else if !Self.isEmpty(value) {
                        overridden("container.docker.parameters", value, palisade: "absent (the Mesos containerizer takes no docker parameters)")
                    }
                case "network", "portMappings":
                    // Docker's network mode and its old port mappings: Palisade's container
                    // networks and `container.portMappings` replace them.
                    if Self.isEmpty(value) {
                        entries.append(.init(pair.name, Self.value(value)))
                    } else {
                        overridden("container.docker.\(pair.name)", value, palisade: "absent")
                    }
                default:
                    entries.append(.init(pair.name, Self.value(value)))
                }
            }
        } else if let node, !node.isNull {
            overridden("container.docker", node, palisade: "an object")
        }
        if !seen.contains("image") { entries.insert(.init("image", .string(workload.image.text)), at: 0) }
        if docker {
            if !seen.contains("privileged") { entries.append(.init("privileged", .bool(runtime.privileged == true))) }
            if !seen.contains("parameters") { entries.append(.init("parameters", .array(mine))) }
        }
        return .object(entries)
    }

    /// The team's parameters that Palisade does not own, in their order, then Palisade's. A
    /// flag the team set to other values than Palisade's is one override.
    mutating func parameters(_ node: YAMLNode, mine: [StructuredValue]) -> StructuredValue {
        guard case .sequence(let items) = node.content else {
            if !node.isNull { overridden("container.docker.parameters", node, palisade: JSONWriter.compact(.array(mine))) }
            return .array(mine)
        }
        var kept: [StructuredValue] = []
        var team: [(key: String, value: String, node: YAMLNode)] = []
        for item in items {
            guard let key = item["key"]?.scalar, let value = item["value"]?.scalar else {
                kept.append(Self.value(item))
                continue
            }
            if MesosApplier.owns(key, value) {
                team.append((key, value, item))
            } else {
                kept.append(Self.value(item))
                keptParameter(key, value, at: item)
            }
        }
        let palisade = mine.compactMap { item -> (String, String)? in
            guard case .string(let key)? = item["key"], case .string(let value)? = item["value"] else { return nil }
            return (key, value)
        }
        var keys: [String] = []
        for entry in team where !keys.contains(entry.key) { keys.append(entry.key) }
        for key in keys {
            let theirs = team.filter { $0.key == key }
            let ours = palisade.filter { $0.0 == key }.map { "\(key)=\($0.1)" }
            guard theirs.map({ "\(key)=\($0.value)" }).sorted() != ours.sorted(), let first = theirs.first else { continue }
            overridden(
                "container.docker.parameters \(key)", first.node, palisade: ours.isEmpty ? "none" : ours.joined(separator: ", "),
                application: theirs.map { "\(key)=\($0.value)" }.joined(separator: ", "))
        }
        return .array(kept + mine)
    }

    /// A kept Docker flag that gives the task more than the spec: a gap in the team's file.
    mutating func keptParameter(_ key: String, _ value: String, at node: YAMLNode) {
        let runtime = workload.runtime
        switch key {
        case "device" where runtime.privileged != true:
            widened(
                .privileged, "the application's docker parameter device=\(value) gives its tasks a host device (Palisade keeps the team's devices)", at: node)
        case "userns", "uts", "cgroupns":
            guard value == "host", runtime.privileged != true else { return }
            widened(.privileged, "the application's docker parameter \(key)=host shares the host's \(key) namespace with its tasks", at: node)
        case "volume", "v":
            let parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let path = parts.count >= 2 ? parts[1] : parts[0]
            let readOnly = parts.count >= 3 && parts[2].split(separator: ",").contains("ro")
            if !readOnly { writable(path, "docker parameter \(key)=\(value)", at: node) }
        default: break
        }
    }

    /// `container.volumes` the team mounts read-write where the spec's root is read-only.
    mutating func volumes(_ node: YAMLNode) {
        guard case .sequence(let items) = node.content else { return }
        for item in items {
            guard let path = item["containerPath"]?.scalar, (item["mode"]?.scalar ?? "RW") == "RW" else { continue }
            writable(path, "volume at \(path) (mode RW)", at: item)
        }
    }

    /// A writable path outside the spec's `writable_paths` when its root is read-only
    /// (relative paths are in the task's sandbox, which Mesos keeps writable anyway).
    mutating func writable(_ path: String, _ what: String, at node: YAMLNode) {
        guard workload.runtime.readOnlyRoot == true, path.hasPrefix("/") else { return }
        let allowed = workload.runtime.writablePaths ?? []
        if allowed.contains(where: { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) { return }
        let spec = allowed.isEmpty ? "no writable_paths" : "writable_paths \(allowed.joined(separator: ", "))"
        widened(
            .writablePaths, "the application's \(what) is writable; the spec's root is read-only with \(spec) (Palisade keeps the team's volumes)", at: node)
    }

    /// The team's port mappings in their order (health checks name them by index): a
    /// mapping gets `hostPort` = `containerPort` where the spec maps that port (and
    /// `networkNames` where the app has several networks), and loses any other host port;
    /// the ports the spec maps that no mapping names are appended as complete mode writes them.
    mutating func portMappings(_ node: YAMLNode) -> StructuredValue {
        let mapped = applier.plan.mapped[workload.id] ?? PortSet()
        let networks = networkNames
        guard case .sequence(let items) = node.content else {
            let mine = StructuredValue.array(applier.emitter.portMappings(mapped, networks: networks))
            if !node.isNull { overridden("container.portMappings", node, palisade: JSONWriter.compact(mine)) }
            return mine
        }
        var covered = PortSet()
        var result: [StructuredValue] = []
        for (index, item) in items.enumerated() {
            guard case .mapping(let pairs) = item.content else {
                result.append(Self.value(item))
                continue
            }
            let field = "container.portMappings[\(index)]"
            let port = item["containerPort"]?.scalar.flatMap { Int($0) }.flatMap { (1...65535).contains($0) ? $0 : nil }
            let protocols = (item["protocol"]?.scalar ?? "tcp").split(separator: ",").compactMap { TransportProtocol(name: String($0)) }
            let wanted = port.map { port in PortSet(protocols.map { PortRange($0, port, port) }) } ?? PortSet()
            let host = port != nil && !wanted.isEmpty && wanted.isSubset(of: mapped)
            if host { covered.formUnion(wanted) }
            var entries: [Entry] = []
            var sawHost = false
            var sawNames = false
            let names = StructuredValue.array(networks.prefix(1).map { .string($0) })
            for pair in pairs {
                switch pair.name {
                case "hostPort":
                    sawHost = true
                    if host, let port {
                        if pair.value.scalar.flatMap({ Int($0) }) != port { overridden("\(field).hostPort", pair.value, palisade: String(port)) }
                        entries.append(.init("hostPort", .int(port)))
                    } else {
                        overridden("\(field).hostPort", pair.value, palisade: "absent")
                    }
                case "networkNames":
                    sawNames = true
                    if host, networks.count > 1 {
                        if Self.value(pair.value) != names { overridden("\(field).networkNames", pair.value, palisade: JSONWriter.compact(names)) }
                        entries.append(.init("networkNames", names))
                    } else if !Self.isEmpty(pair.value) {
                        overridden("\(field).networkNames", pair.value, palisade: "absent")
                    }
                default:
                    entries.append(.init(pair.name, Self.value(pair.value)))
                }
            }
            if host, let port, !sawHost {
                let at = (entries.firstIndex { $0.key == "containerPort" }).map { $0 + 1 } ?? entries.endIndex
                entries.insert(.init("hostPort", .int(port)), at: at)
            }
            if host, networks.count > 1, !sawNames { entries.append(.init("networkNames", names)) }
            result.append(.object(entries))
        }
        result += applier.emitter.portMappings(mapped.subtracting(covered), networks: networks)
        return .array(result)
    }
}
