import IR
import YAML

/// Writes the Marathon group (`marathon.json`) and the master ACLs (`acls.json`).
struct MesosEmitter {
    let plan: MesosPlan
    var policy: Policy { plan.policy }
    var options: MesosOptions { plan.options }

    /// The files of a policy: the Marathon group and the master's ACLs.
    static let marathonFile = "marathon.json"
    static let aclsFile = "acls.json"

    /// Marathon's documented defaults (`app.raml`), used when the spec sets no limit.
    static let defaultCPUs = "1"
    static let defaultMemoryMiB = "128"

    func files() -> [OutputFile] {
        [
            OutputFile(path: Self.marathonFile, text: marathonText()),
            OutputFile(path: Self.aclsFile, contents: JSONWriter.write(acls().json)),
        ]
    }

    /// The container networks each workload joins, in name order.
    func networksByWorkload() -> [WorkloadID: [String]] {
        var networkOf: [WorkloadID: [String]] = [:]
        for network in plan.networks {
            for member in network.members { networkOf[member, default: []].append(network.name) }
        }
        return networkOf
    }

    func marathon() -> StructuredValue {
        let networkOf = networksByWorkload()
        let root = plan.root
        return .object([
            .init("id", .string(root)),
            .init(
                "groups",
                .array(
                    policy.segments.map { segment in
                        let path = "\(root == "/" ? "" : root)/\(segment.name)"
                        return .object([
                            .init("id", .string(path)),
                            .init("apps", .array(segment.workloads.map { app(policy.workloads[$0.index], path: path, networks: networkOf[$0] ?? []) })),
                        ])
                    })),
        ])
    }

    func app(_ workload: Workload, path: String, networks: [String]) -> StructuredValue {
        let runtime = workload.runtime
        let resources = runtime.resources
        var entries: [StructuredValue.Entry] = [
            .init("id", .string("\(path)/\(workload.name)")),
            .init("instances", .int(workload.replicas)),
            .init("cpus", .number(resources?.cpuMillis.map { decimalText($0, 1000) } ?? Self.defaultCPUs)),
            .init("mem", .number(resources?.memoryBytes.map { decimalText($0, 1 << 20) } ?? Self.defaultMemoryMiB)),
            .init("disk", 0),
            .init("user", .string(policy.identity(workload.identity).name)),
        ]
        var docker: [StructuredValue.Entry] = [.init("image", .string(workload.image.text))]
        if options.containerizer == .docker {
            docker.append(.init("privileged", .bool(runtime.privileged == true)))
            docker.append(.init("parameters", parametersValue(runtime)))
        }
        var container: [StructuredValue.Entry] = [
            .init("type", .string(options.containerizer == .docker ? "DOCKER" : "MESOS")),
            .init("docker", .object(docker)),
        ]
        if let ports = plan.mapped[workload.id] {
            container.append(.init("portMappings", .array(portMappings(ports, networks: networks))))
        }
        entries.append(.init("container", .object(container)))
        entries.append(.init("networks", networksValue(networks)))
        entries.append(.init("labels", .object(labels(workload))))
        return .object(entries)
    }

    /// An app's `networks`: one named container network each.
    func networksValue(_ networks: [String]) -> StructuredValue {
        .array(networks.map { .object([.init("mode", "container"), .init("name", .string($0))]) })
    }

    /// An app's labels: Palisade's own (policy, segment, identity), then the workload's.
    func labels(_ workload: Workload) -> [StructuredValue.Entry] {
        [
            .init("palisade.policy", .string(policy.name)),
            .init("palisade.segment", .string(policy.segments[workload.segment.index].name)),
            .init("palisade.identity", .string(policy.identity(workload.identity).name)),
        ] + workload.labels.map { .init($0.key, .string($0.value)) }
    }

    /// The docker's `parameters`: one `{key, value}` object per `parameters(runtime)` flag.
    func parametersValue(_ runtime: RuntimeProfile) -> StructuredValue {
        .array(parameters(runtime).map { key, value in .object([.init("key", .string(key)), .init("value", .string(value))]) })
    }

    /// `docker run` flags for the runtime profile (Docker containerizer only).
    func parameters(_ runtime: RuntimeProfile) -> [(String, String)] {
        var result: [(String, String)] = []
        if let user = runtime.user { result.append(("user", String(user))) }
        if runtime.readOnlyRoot == true { result.append(("read-only", "true")) }
        for path in runtime.writablePaths ?? [] { result.append(("tmpfs", "\(path):rw")) }
        for capability in runtime.capabilities?.drop ?? [] { result.append(("cap-drop", capability)) }
        for capability in runtime.capabilities?.add ?? [] { result.append(("cap-add", capability)) }
        if runtime.noNewPrivileges == true { result.append(("security-opt", "no-new-privileges")) }
        switch runtime.seccomp {
        case .unconfined?: result.append(("security-opt", "seccomp=unconfined"))
        case .localhost(let path)?: result.append(("security-opt", "seccomp=\(path)"))
        default: break
        }
        switch runtime.apparmor {
        case .unconfined?: result.append(("security-opt", "apparmor=unconfined"))
        case .localhost(let name)?: result.append(("security-opt", "apparmor=\(name)"))
        default: break
        }
        if let pids = runtime.resources?.pids { result.append(("pids-limit", String(pids))) }
        if runtime.hostPID == true { result.append(("pid", "host")) }
        if runtime.hostIPC == true { result.append(("ipc", "host")) }
        return result
    }

    /// One mapping per port, host port = container port; `networkNames` names the first
    /// network when there are several (Marathon requires one with a host port).
    func portMappings(_ ports: PortSet, networks: [String]) -> [StructuredValue] {
        ports.ranges.flatMap { range in
            (range.lower...range.upper).map { port in
                var entries: [StructuredValue.Entry] = [
                    .init("containerPort", .int(port)), .init("hostPort", .int(port)),
                    .init("protocol", .string(range.proto.description)),
                ]
                if networks.count > 1 { entries.append(.init("networkNames", .array([.string(networks[0])]))) }
                return .object(entries)
            }
        }
    }

    /// `register_frameworks` and `run_tasks` for Marathon's principal, the neutral actions
    /// for every granted user or group, and a deny-everyone rule closing each action.
    func acls() -> MesosACLs {
        var byAction: [String: [MesosACLs.Rule]] = [:]
        byAction["register_frameworks"] = [MesosACLs.Rule(principals: .some([options.principal]), object: .some([options.role]))]
        let taskUsers = Set(policy.workloads.map { policy.identity($0.identity).name }).sorted()
        if !taskUsers.isEmpty {
            byAction["run_tasks"] = [MesosACLs.Rule(principals: .some([options.principal]), object: .some(taskUsers))]
        }
        for (identity, actions) in grantedUsers() {
            for (action, users) in actions {
                for mesosAction in MesosACLs.neutral[action] ?? [] {
                    byAction[mesosAction, default: []].append(MesosACLs.Rule(principals: .some([identity]), object: .some(users)))
                }
            }
        }
        return MesosACLs(
            permissive: false,
            actions: MesosACLs.written.map { action, field in
                MesosACLs.ActionRules(action: action, objectField: field, rules: (byAction[action] ?? []) + [MesosACLs.Rule(principals: .any, object: .none)])
            })
    }

    /// For each granted identity (sorted), each neutral action with a Mesos ACL, the task
    /// users of the workloads in the segments where it holds it.
    func grantedUsers() -> [(String, [(Action, [String])])] {
        var users: [String: [Action: Set<String>]] = [:]
        for grant in policy.grants {
            let role = policy.role(grant.role)
            let taskUsers = grant.segments.flatMap { policy.segments[$0.index].workloads.map { policy.identity(policy.workloads[$0.index].identity).name } }
            for action in role.effectiveActions where MesosACLs.neutral[action] != nil {
                users[policy.identity(grant.identity).name, default: [:]][action, default: []].formUnion(taskUsers)
            }
        }
        return users.sorted { $0.key < $1.key }.map { identity, actions in
            (
                identity,
                actions.sorted { $0.key < $1.key }.compactMap { action, names in
                    names.isEmpty ? nil : (action, names.sorted())
                }
            )
        }
    }
}
