import IR
import YAML

extension SwarmEmitter {
    /// What `YAMLWriter.write(document(), header:)` writes, byte for byte, written straight
    /// to bytes through `YAMLWriter.Block` without the document built first (a large estate's
    /// stack is tens of megabytes); the document is built and written instead only when a
    /// string needs what only libyaml writes (escapes, non-ASCII, a quoted style such as for
    /// leading or trailing spaces, a key over 128 bytes).
    func composeText(header: [String]) throws -> ChunkedText {
        try YAMLWriter.writeText(header: header, writing: compose, otherwise: document)
    }

    /// `document()`'s entries, written directly; only a service's volumes, secrets and ports
    /// go through their values.
    func compose(into yaml: inout YAMLWriter.Block) {
        var networksByWorkload = [[String]](repeating: [], count: policy.workloads.count)
        for network in plan.networks {
            for member in network.members { networksByWorkload[member.index].append(network.name) }
        }
        yaml.string("version", Self.version)
        yaml.mapping("services") { yaml in
            for workload in policy.workloads {
                yaml.mapping(.init(workload.name)) { service(workload, networks: networksByWorkload[workload.id.index], into: &$0) }
            }
        }
        yaml.mapping("networks") { yaml in
            for network in plan.networks { yaml.mapping(.init(network.name)) { self.network(network, into: &$0) } }
        }
        let secrets = Set(policy.workloads.flatMap(\.secrets)).sorted()
        if !secrets.isEmpty {
            yaml.mapping("secrets") { yaml in
                for secret in secrets { yaml.mapping(.init(secret)) { $0.bool("external", true) } }
            }
        }
    }

    /// `service(workload, networks:)`'s entries, written into the service's mapping.
    func service(_ workload: Workload, networks: [String], into yaml: inout YAMLWriter.Block) {
        let runtime = workload.runtime
        if !isOverlay { yaml.string("image", escaped(workload.image.text)) }
        if let user = runtime.user { yaml.string("user", String(user)) }
        if let readOnly = runtime.readOnlyRoot { yaml.bool("read_only", readOnly) }
        if let capabilities = runtime.capabilities {
            if !capabilities.add.isEmpty { yaml.sequence("cap_add") { for capability in capabilities.add { $0.item(capability) } } }
            if !capabilities.drop.isEmpty { yaml.sequence("cap_drop") { for capability in capabilities.drop { $0.item(capability) } } }
        }
        if let paths = runtime.writablePaths, !paths.isEmpty { yaml.entry("volumes", volumes(paths)) }
        if !workload.secrets.isEmpty { yaml.entry("secrets", secrets(workload)) }
        yaml.sequence("networks") { for network in networks { $0.item(network) } }
        if let ports = plan.published[workload.id] {
            yaml.entry("ports", .array(portEntries(ports, remapped: plan.ingressPorts[workload.id] ?? [:])))
        }
        if !workload.labels.isEmpty {
            yaml.mapping("labels") { yaml in
                for label in workload.labels { yaml.string(.init(escaped(label.key)), escaped(label.value)) }
            }
        }
        yaml.mapping("deploy") { deploy(workload, into: &$0) }
    }

    /// `deploy(workload)`'s entries, written into the deploy mapping.
    func deploy(_ workload: Workload, into yaml: inout YAMLWriter.Block) {
        if !isOverlay { yaml.int("replicas", workload.replicas) }
        if let resources = workload.runtime.resources, resources.cpuMillis != nil || resources.memoryBytes != nil || resources.pids != nil {
            yaml.mapping("resources") { yaml in
                yaml.mapping("limits") { yaml in
                    if let cpu = resources.cpuMillis { yaml.string("cpus", decimalText(cpu, 1000)) }
                    if let memory = resources.memoryBytes { yaml.string("memory", Self.memory(memory)) }
                    if let pids = resources.pids { yaml.int("pids", pids) }
                }
            }
        }
        yaml.mapping("labels") { yaml in
            yaml.string("palisade.policy", policy.name)
            yaml.string("palisade.segment", policy.segments[workload.segment.index].name)
            yaml.string("palisade.identity", policy.identity(workload.identity).name)
            for label in workload.labels { yaml.string(.init(escaped(label.key)), escaped(label.value)) }
        }
    }

    /// `network(network)`'s entries, written into the network's mapping.
    func network(_ network: SwarmPlan.Network, into yaml: inout YAMLWriter.Block) {
        yaml.string("driver", "overlay")
        if network.isInternal { yaml.bool("internal", true) }
        if options.encryptNetworks { yaml.mapping("driver_opts") { $0.string("encrypted", "") } }
        yaml.mapping("labels") { yaml in
            yaml.string("palisade.purpose", Self.purpose(network))
            yaml.string("palisade.members", members(network))
        }
    }
}
