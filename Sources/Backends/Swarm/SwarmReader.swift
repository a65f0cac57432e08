import IR
import YAML

/// Reads a stack file back, from the file alone, into what Swarm enforces: services sharing
/// an overlay network (or `default`, for a service that names none) reach each other on every
/// port; published ports are open to every address; a service on a non-internal network or
/// with published ports reaches every external peer; the runtime keys swarm mode applies.
struct SwarmReader {
    let policy: Policy
    let files: [OutputFile]
    /// A stack already composed (the application's file merged with Palisade's, as
    /// `docker stack deploy -c APP -c security.yaml` merges them), read instead of `files`:
    /// its name for messages, and its root.
    var merged: (file: String, root: YAMLNode)? = nil

    /// The file it reads: `stack.yaml`, or `security.yaml` where only the overlay is given.
    var file: String { merged?.file ?? Self.file(in: files) }

    /// `stack.yaml`, or `security.yaml` where `files` hold only the overlay, or else the first
    /// YAML file: the application's compose file as `apply` writes it.
    static func file(in files: [OutputFile]) -> String {
        for name in [SwarmEmitter.file, SwarmEmitter.overlayFile] where files.contains(where: { $0.path == name }) { return name }
        return files.first { $0.path.hasSuffix(".yaml") || $0.path.hasSuffix(".yml") }?.path ?? SwarmEmitter.file
    }

    /// Whether the file is the application's (written by `apply`), whose services outside the
    /// spec are the application's own and not read.
    var isApplicationFile: Bool { merged == nil && file != SwarmEmitter.file && file != SwarmEmitter.overlayFile }

    /// The stack as Swarm sees it: which services join which networks, and what they publish.
    struct Stack {
        var isInternal: [String: Bool] = ["default": false]
        var members: [String: [WorkloadID]] = [:]
        var published: [WorkloadID: PortSet] = [:]
        /// Each service's body, for its runtime keys.
        var services: [(WorkloadID, YAMLNode)] = []
    }

    func parse() throws -> Stack {
        let root = try merged?.root ?? files.required(file).document()
        var stack = Stack()
        for pair in try root["networks"].map({ try mapping($0, "networks") }) ?? [] {
            stack.isInternal[pair.name] = pair.value["internal"]?.scalar == "true"
        }
        for service in try mapping(root["services"], "services") {
            guard let id = policy.workload(named: service.name)?.id else {
                if isApplicationFile { continue }
                throw ReadFailure(file, "service '\(service.name)' is not a workload of the spec")
            }
            let body = service.value
            // The list form (`[a, b]`), or the mapping form `docker stack config` prints (`{a: null}`).
            var networks: [String] = []
            if let node = body["networks"] {
                if case .scalar = node.content, !node.isNull { throw ReadFailure(file, "networks of \(service.name) is not a list") }
                networks = node.networkNames.map(\.name)
            }
            if networks.isEmpty { networks = ["default"] }
            for network in networks {
                guard stack.isInternal[network] != nil else {
                    throw ReadFailure(file, "service '\(service.name)' joins undefined network '\(network)'")
                }
                stack.members[network, default: []].append(id)
            }
            if let ports = body["ports"] {
                var set = PortSet()
                for entry in try list(ports, "ports of \(service.name)") { set.formUnion(try publishedPorts(entry)) }
                if !set.isEmpty { stack.published[id] = set }
            }
            stack.services.append((id, body))
        }
        return stack
    }

    func read() throws -> ReadBack {
        let stack = try parse()
        var runtime: [WorkloadID: RuntimeProfile] = [:]
        for (id, body) in stack.services { runtime[id] = try profile(body) }
        let networks = stack.members.sorted { $0.key < $1.key }.map { name, members in
            SwarmPlan.Network(name: name, members: members, purpose: stack.isInternal[name] == true ? .link : .egress)
        }
        return ReadBack(relation: Self.relation(networks: networks, published: stack.published), runtime: runtime)
    }

    /// What Swarm allows given networks and published ports: members of a network reach each
    /// other (and themselves) on every port; published ports are open to every address; a
    /// workload on a non-internal network, or with published ports (its tasks join `ingress`
    /// and `docker_gwbridge`), reaches every external peer.
    static func relation(networks: [SwarmPlan.Network], published: [WorkloadID: PortSet]) -> Relation {
        var relation = external(networks: networks, published: published)
        for network in networks {
            for a in network.members {
                for b in network.members { relation.betweenWorkloads[WorkloadPair(a, b)] = .all }
            }
        }
        return relation
    }

    /// The external part of `relation` alone (published ports and egress): linear in the
    /// networks' members.
    static func external(networks: [SwarmPlan.Network], published: [WorkloadID: PortSet]) -> Relation {
        var relation = Relation()
        for network in networks where !network.isInternal {
            for member in network.members { relation.egress[member] = SwarmPlan.everythingOut }
        }
        for (workload, ports) in published {
            relation.ingress[workload] = ExternalRules(entries: [.init(ports: ports, peers: ExternalSet(addresses: .all))])
            relation.egress[workload] = SwarmPlan.everythingOut
        }
        return relation
    }

    /// The stack's networks, published ports and egress, for `explain`.
    func networkRules() throws -> SharedNetworkRules {
        let stack = try parse()
        var rules = SharedNetworkRules(networks: [], published: stack.published, egress: [:])
        for (name, members) in stack.members.sorted(by: { $0.key < $1.key }) {
            let isInternal = stack.isInternal[name] == true
            rules.networks.append((name, Set(members), isInternal ? "internal overlay network" : "overlay network"))
            for id in members where !isInternal && rules.egress[id] == nil { rules.egress[id] = "network \(name) is not internal" }
        }
        for id in stack.published.keys where rules.egress[id] == nil { rules.egress[id] = "it publishes ports, which joins the ingress network" }
        return rules
    }

    /// A published port in long syntax (`{target, published, protocol}`) or short syntax
    /// (`"8000-8100:8000-8100/tcp"`, `"31000:9090"`); what counts is the target side, the
    /// workload's port that outside connections reach, whichever port publishes it.
    func publishedPorts(_ node: YAMLNode) throws -> PortSet { try Self.publishedPorts(node, file: file) }

    /// The same, for a port entry of `file`.
    static func publishedPorts(_ node: YAMLNode, file: String) throws -> PortSet {
        if case .mapping = node.content {
            guard let port = node["target"]?.scalar.flatMap(Int.init) else {
                throw ReadFailure(file, "a published port without a port number")
            }
            let proto = TransportProtocol(name: node["protocol"]?.scalar ?? "tcp") ?? .tcp
            try checkPublished(node["published"]?.scalar, file: file)
            return PortSet(try checkedRange(proto, port, port, in: file))
        }
        guard var text = node.scalar else { throw ReadFailure(file, "a port entry that is neither a mapping nor a string") }
        var proto = TransportProtocol.tcp
        if let slash = text.firstIndex(of: "/") {
            proto = TransportProtocol(name: String(text[text.index(after: slash)...])) ?? .tcp
            text = String(text[..<slash])
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count > 1 { try checkPublished(String(parts[parts.count - 2]), file: file) }
        let target = parts.last.map(String.init) ?? text
        let bounds = target.split(separator: "-").compactMap { Int($0) }
        guard let low = bounds.first, let high = bounds.last else { throw ReadFailure(file, "cannot read port '\(text)'") }
        return PortSet(try checkedRange(proto, low, high, in: file))
    }

    /// The runtime controls a service's keys give, with the platform's defaults for what
    /// swarm mode always applies (Docker's default seccomp and AppArmor profiles, no
    /// privileged containers, no host namespaces through a stack file).
    func profile(_ body: YAMLNode) throws -> RuntimeProfile {
        var profile = RuntimeProfile(
            privileged: false, seccomp: .runtimeDefault, apparmor: .runtimeDefault,
            hostNetwork: false, hostPID: false, hostIPC: false)
        profile.user = body["user"]?.scalar.flatMap { Int($0.split(separator: ":").first ?? "") }
        profile.readOnlyRoot = body["read_only"]?.scalar.map { $0 == "true" }
        let add = try body["cap_add"].map { try list($0, "cap_add").compactMap(\.scalar) }
        let drop = try body["cap_drop"].map { try list($0, "cap_drop").compactMap(\.scalar) }
        if add != nil || drop != nil { profile.capabilities = Capabilities(add: add ?? [], drop: drop ?? []) }
        if let volumes = body["volumes"] {
            profile.writablePaths = try list(volumes, "volumes").filter { $0["type"]?.scalar == "tmpfs" }
                .compactMap { $0["target"]?.scalar }.map(unescaped)
        }
        if let limits = body["deploy"]?["resources"]?["limits"] {
            var resources = Resources()
            resources.cpuMillis = limits["cpus"]?.scalar.flatMap(Quantity.millicores)
            resources.memoryBytes = limits["memory"]?.scalar.flatMap(Self.bytes)
            resources.pids = limits["pids"]?.scalar.flatMap { Int($0) }
            profile.resources = resources
        }
        return profile
    }

    static func bytes(_ text: String) -> Int? {
        let scales: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = text.last, let scale = scales[last] { return Int(text.dropLast()).map { $0 * scale } }
        return Int(text)
    }

    func mapping(_ node: YAMLNode?, _ what: String) throws -> [YAMLPair] {
        guard let node, case .mapping(let pairs) = node.content else { throw ReadFailure(file, "\(what) is not a mapping") }
        return pairs
    }

    func list(_ node: YAMLNode, _ what: String) throws -> [YAMLNode] {
        guard case .sequence(let items) = node.content else { throw ReadFailure(file, "\(what) is not a list") }
        return items
    }
}
