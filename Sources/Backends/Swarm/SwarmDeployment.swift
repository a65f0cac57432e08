import Diagnostics
import IR
import YAML

/// `compare --with`, `explain --with`: the stack `docker stack deploy -c APP -c security.yaml`
/// deploys, merged by docker/cli's rules (`SwarmMerge`) and read back; the gaps are what the
/// application's own fields open beyond both the spec and Palisade's file, located in the
/// application's file.
extension SwarmBackend {
    public func deployment(_ files: [OutputFile], application: [ApplicationFile], policy: Policy, with options: SwarmOptions) throws -> Deployment {
        let compose = try SwarmCompose(application)
        let located = try compose.services(of: policy)
        let ownFile = SwarmReader.file(in: files)
        let own = try files.required(ownFile).document()
        var root = compose.files[0].root
        for file in compose.files.dropFirst() { root = SwarmMerge.file(root, file.root) }
        root = SwarmMerge.file(root, own)
        let name = (compose.files.map(\.path) + [ownFile]).joined(separator: " + ")
        try Self.checkPorts(root, name: name, application: Set(compose.files.map(\.path)))

        var gaps: [Gap] = []
        let services = root["services"]?.pairs ?? []
        let workloadNames = Set(policy.workloads.map(\.name))
        let networksOf = { (pair: YAMLPair) in Set(pair.value["networks"]?.networkNames.map(\.name) ?? ["default"]) }
        // Services the spec does not know are deployed too; where one shares a network with a
        // workload, it reaches it on every port.
        for other in services where !workloadNames.contains(other.name) {
            let shared = networksOf(other)
            for service in services where workloadNames.contains(service.name) {
                guard let network = networksOf(service).intersection(shared).sorted().first else { continue }
                gaps.append(
                    Gap(
                        kind: .widened, capability: .workloadSegmentation, target: .swarm,
                        subject: .connection(Connection(.platform("service \(other.name) (not in the spec)"), .workload(service.name), ports: .all)),
                        reason: "it shares network '\(network)' with \(service.name) through \(name); services on one network reach each other on every port",
                        origin: other.value["networks"]?.range ?? other.key.range))
            }
        }
        let spec = YAMLNode(
            .mapping(
                (root.pairs).map { pair in
                    guard pair.name == "services" else { return pair }
                    return YAMLPair(key: pair.key, value: YAMLNode(.mapping(services.filter { workloadNames.contains($0.name) }), range: pair.value.range))
                }), range: root.range)
        var read = try SwarmReader(policy: policy, files: files, merged: (name, spec)).read()
        let alone = try SwarmReader(policy: policy, files: files).read()

        // The host network (`external: true`, `name: host`): the task shares the node's network
        // stack, so every port it listens on is open to every address, and it reaches everything.
        let hostNetworks = Set(
            (root["networks"]?.pairs ?? []).filter { pair in
                pair.value["external"]?.scalar == "true" && (pair.value["name"]?.scalar ?? pair.name) == "host"
            }.map(\.name))
        var hostMembers: [WorkloadID] = []
        for workload in policy.workloads {
            guard let (index, service) = located[workload.id] else { continue }
            let file = compose.files[index].path
            if let host = service.value["networks"]?.networkNames.first(where: { hostNetworks.contains($0.name) }) {
                read.relation.ingress[workload.id] = ExternalRules(entries: [.init(ports: .all, peers: ExternalSet(addresses: .all))])
                read.relation.egress[workload.id] = SwarmPlan.everythingOut
                hostMembers.append(workload.id)
                if workload.runtime.hostNetwork != true {
                    gaps.append(
                        .runtime(
                            target: .swarm, workload: workload.name, key: .hostNetwork,
                            reason: "\(file) joins it to the host network ('\(host.name)'): every port it listens on is open on its node",
                            origin: host.node.range))
                }
            }
        }
        // Tasks on the host network reach each other through the node's own stack.
        for a in hostMembers {
            for b in hostMembers { read.relation.betweenWorkloads[WorkloadPair(a, b)] = .all }
        }

        let widened = read.relation.subtracting(alone.relation).subtracting(policy.intent)
        gaps += connectionGaps(widened, policy: policy, located: located, compose: compose, ownNetworks: own)
        gaps += runtimeGaps(policy, located: located, compose: compose, alone: alone)
        return Deployment(readBack: read, gaps: gaps)
    }

    /// swarmkit's manager refuses the merged stack where two services publish one port and one
    /// of them in ingress mode, or one service publishes a port twice (`portConflicts`): palisade
    /// chose its published ports without the application's file (`output: overlay`), so the
    /// clash is an error located at the application's entry (`compile --apply-to` avoids it).
    static func checkPorts(_ root: YAMLNode, name: String, application: Set<String>) throws {
        guard let conflict = try SwarmReader.portConflictSites(root: root, file: name).first else { return }
        let entry = conflict.entries.first { application.contains($0.range.file) } ?? conflict.entries[0]
        throw BackendError(
            .error(
                .targetLimit, "swarm: \(conflict.message) in \(name); the swarm manager refuses the stack", at: entry.range,
                notes: conflict.entries.filter { $0.range != entry.range }.map { Diagnostic.Note("also published here", at: $0.range) },
                help: "publish another port in the application's file, or compile with --apply-to it, which publishes palisade's ports around the file's own"))
    }

    /// A gap per workload pair and external rule the application's fields open, located at the
    /// field: the network it adds, the port it publishes.
    private func connectionGaps(
        _ widened: Relation, policy: Policy, located: [WorkloadID: (file: Int, pair: YAMLPair)], compose: SwarmCompose, ownNetworks own: YAMLNode
    ) -> [Gap] {
        var gaps: [Gap] = []
        let palisadeNetworks = { (name: String) in Set(own["services"]?[name]?["networks"]?.networkNames.map(\.name) ?? []) }
        /// The networks the application's file adds to a workload, with their nodes.
        func added(_ id: WorkloadID) -> [(name: String, node: YAMLNode)] {
            let name = policy.workloads[id.index].name
            let ours = palisadeNetworks(name)
            return located[id]?.pair.value["networks"]?.networkNames.filter { !ours.contains($0.name) } ?? []
        }
        func fileName(_ id: WorkloadID) -> String { located[id].map { compose.files[$0.file].path } ?? "the application's file" }
        func service(_ id: WorkloadID) -> YAMLPair? { located[id]?.pair }
        let name = { (id: WorkloadID) in policy.workloads[id.index].name }
        for (pair, ports) in widened.sortedPairs {
            let cause = (added(pair.destination) + added(pair.source)).first
            gaps.append(
                Gap(
                    kind: .widened, capability: .portFiltering, target: .swarm,
                    subject: .connection(Connection(.workload(name(pair.source)), .workload(name(pair.destination)), ports: ports)),
                    reason: cause.map { "\(fileName(pair.destination)) adds network '\($0.name)', and services on one network reach each other on every port" }
                        ?? "\(fileName(pair.destination)) joins them to a shared network",
                    origin: cause?.node.range ?? service(pair.destination)?.key.range))
        }
        for (id, rules) in widened.ingress.sorted(by: { $0.key < $1.key }) {
            let port = service(id)?.value["ports"]?.items.first { entry in
                let targets = (try? SwarmReader.publishedPorts(entry, file: fileName(id))) ?? PortSet()
                return !targets.isSubset(of: policy.intent.ingress[id]?.entries.reduce(PortSet()) { $0.union($1.ports) } ?? PortSet())
            }
            for entry in rules.entries {
                gaps.append(
                    Gap(
                        kind: .widened, capability: .externalIngress, target: .swarm,
                        subject: .connection(Connection(.external(entry.peers), .workload(name(id)), ports: entry.ports)),
                        reason: port.map { "\(fileName(id)) publishes \($0.text); a published port is open to every address" }
                            ?? "\(fileName(id)) joins it to the host network",
                        origin: port?.range ?? added(id).first?.node.range ?? service(id)?.key.range))
            }
        }
        for (id, rules) in widened.egress.sorted(by: { $0.key < $1.key }) {
            let cause = added(id).first?.node ?? service(id)?.value["ports"]
            for entry in rules.entries {
                gaps.append(
                    Gap(
                        kind: .widened, capability: entry.peers.addresses.isEmpty ? .dnsEgress : .externalEgress, target: .swarm,
                        subject: .connection(Connection(.workload(name(id)), .external(entry.peers), ports: entry.ports)),
                        reason: "\(fileName(id)) joins it to a network that is not internal, or publishes a port: it reaches every external address",
                        origin: cause?.range ?? service(id)?.key.range))
            }
        }
        return gaps
    }

    /// Capabilities the application's file adds (compose appends `cap_add` lists), writable
    /// volumes beyond the spec's `writable_paths` on a read-only root, and secrets the spec does
    /// not give.
    private func runtimeGaps(
        _ policy: Policy, located: [WorkloadID: (file: Int, pair: YAMLPair)], compose: SwarmCompose, alone: ReadBack
    ) -> [Gap] {
        var gaps: [Gap] = []
        for workload in policy.workloads {
            guard let (index, service) = located[workload.id] else { continue }
            let file = compose.files[index].path
            let body = service.value
            let ours = Set(alone.runtime[workload.id]?.capabilities?.add ?? workload.runtime.capabilities?.add ?? [])
            let extra = body["cap_add"]?.items.filter { !ours.contains($0.scalar ?? "") } ?? []
            if !extra.isEmpty {
                gaps.append(
                    .runtime(
                        target: .swarm, workload: workload.name, key: .capabilities,
                        reason: "\(file) adds \(extra.map(\.text).joined(separator: ", ")) (cap_add); docker stack deploy appends it to palisade's cap_add",
                        origin: extra[0].range))
            }
            if workload.runtime.readOnlyRoot == true {
                let writable = Set(workload.runtime.writablePaths ?? [])
                for volume in body["volumes"]?.items ?? [] where volume.volumeIsWritable {
                    guard let target = volume.volumeTarget, !writable.contains(target) else { continue }
                    gaps.append(
                        .runtime(
                            target: .swarm, workload: workload.name, key: .writablePaths,
                            reason: "\(file) mounts a writable volume at \(target), which writable_paths does not list", origin: volume.range))
                }
            }
            for secret in body["secrets"]?.items ?? [] {
                guard let source = secret.secretSource, !workload.secrets.contains(source) else { continue }
                gaps.append(
                    Gap(
                        kind: .widened, capability: .secrets, target: .swarm, subject: .secrets(workload: workload.name),
                        reason: "\(file) gives it secret '\(source)', which the spec does not", origin: secret.range))
            }
        }
        return gaps
    }
}

/// How `docker stack deploy -c A -c B` merges B onto A (docker/cli `cli/compose/loader/merge.go`):
/// services by name, each field by mergo with override and appended lists; `ports` by whole
/// entry, `secrets` and `configs` by source, `volumes` by mount path, `networks` by name;
/// `command`, `entrypoint` and `healthcheck.test` replaced; a scalar replaced unless B's is
/// Go's zero value (`false`, `0`, empty), except `replicas`; top-level `networks`, `volumes`,
/// `secrets` and `configs` by name, B's definition replacing A's.
enum SwarmMerge {
    static func file(_ base: YAMLNode, _ override: YAMLNode) -> YAMLNode {
        keyed(base, override) { key, a, b in
            switch key {
            case "services": keyed(a, b) { _, x, y in mapping(x, y, path: []) }
            case "networks", "volumes", "secrets", "configs": keyed(a, b) { _, _, y in y }
            default: b
            }
        }
    }

    /// Pairs of both mappings by key, A's order first; `both` decides a key they share.
    static func keyed(_ base: YAMLNode, _ override: YAMLNode, both: (String, YAMLNode, YAMLNode) -> YAMLNode) -> YAMLNode {
        guard case .mapping(let a) = base.content, case .mapping(let b) = override.content else { return override.isNull ? base : override }
        var pairs = a
        for pair in b {
            if let index = pairs.firstIndex(where: { $0.name == pair.name }) {
                pairs[index].value = both(pair.name, pairs[index].value, pair.value)
            } else {
                pairs.append(pair)
            }
        }
        return YAMLNode(.mapping(pairs), range: base.range)
    }

    static func mapping(_ base: YAMLNode, _ override: YAMLNode, path: [String]) -> YAMLNode {
        keyed(base, override) { key, a, b in value(a, b, path: path + [key]) }
    }

    static func value(_ base: YAMLNode, _ override: YAMLNode, path: [String]) -> YAMLNode {
        let key = path.last ?? ""
        let field = path.joined(separator: ".")
        if override.isNull { return base }
        switch field {
        case "ports": return unique(base, override) { SwarmHardening.canonicalPort(StructuredValue($0)) }
        case "secrets", "configs": return unique(base, override) { $0.secretSource ?? $0.text }
        case "volumes": return unique(base, override) { $0.volumeTarget ?? $0.text }
        case "networks":
            var names = base.networkNames.map(\.node)
            let known = Set(base.networkNames.map(\.name))
            names += override.networkNames.filter { !known.contains($0.name) }.map(\.node)
            // As a list of names, each node where its file names it.
            return YAMLNode(.sequence(names.map { YAMLNode(.scalar($0.scalar ?? "", .plain), range: $0.range) }), range: override.range)
        case "command", "entrypoint", "healthcheck.test":
            return isEmpty(override) ? base : override
        default: break
        }
        switch (base.content, override.content) {
        case (.mapping, .mapping): return mapping(base, override, path: path)
        case (.sequence(let a), .sequence(let b)): return YAMLNode(.sequence(a + b), range: override.range)
        case (_, .scalar(let text, _)):
            // mergo's override leaves a zero value alone; `replicas` is a pointer, set when given.
            if key != "replicas", text.isEmpty || text == "false" || text == "0" { return base }
            return override
        default: return override
        }
    }

    /// Entries of both lists by `key`, B's replacing A's, in A's order then B's.
    static func unique(_ base: YAMLNode, _ override: YAMLNode, key: (YAMLNode) -> String) -> YAMLNode {
        var entries = base.items
        for entry in override.items {
            if let index = entries.firstIndex(where: { key($0) == key(entry) }) { entries[index] = entry } else { entries.append(entry) }
        }
        return YAMLNode(.sequence(entries), range: override.range)
    }

    static func isEmpty(_ node: YAMLNode) -> Bool {
        switch node.content {
        case .scalar(let text, _): text.isEmpty
        case .sequence(let items): items.isEmpty
        case .mapping(let pairs): pairs.isEmpty
        }
    }
}
