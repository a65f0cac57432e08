import IR
import YAML

/// Reads `marathon.json` and `acls.json` back, from the files alone: apps on one container
/// network reach each other on every port; mapped host ports are open to every address;
/// every task reaches every external peer; the runtime controls the Docker parameters carry;
/// the neutral actions each principal holds per segment under the ACLs.
struct MesosReader {
    let policy: Policy
    let files: [OutputFile]

    /// The files it reads.
    static let marathonFile = MesosEmitter.marathonFile
    static let aclsFile = MesosEmitter.aclsFile

    /// The Marathon files: `marathon.json` in complete mode; the team's files (every file but
    /// the ACLs) when Palisade applied its fields onto them (`compile --apply-to`).
    func marathonDocuments() throws -> [YAMLNode] {
        let marathon = files.filter { $0.path != Self.aclsFile }
        guard !marathon.isEmpty else { throw ReadFailure(Self.marathonFile, "missing from the files read") }
        return try marathon.map { try $0.document() }
    }

    func read() throws -> ReadBack {
        let roots = try marathonDocuments()
        var workloadIDs: [String: WorkloadID] = [:]
        for workload in policy.workloads { workloadIDs[workload.name] = workload.id }

        var members: [String: [WorkloadID]] = [:]
        var mapped: [WorkloadID: PortSet] = [:]
        var runtime: [WorkloadID: RuntimeProfile] = [:]
        var users: [WorkloadID: String] = [:]
        for app in roots.flatMap(apps) {
            guard let id = app["id"]?.scalar, let name = id.split(separator: "/").last.map(String.init), let workload = workloadIDs[name] else {
                throw ReadFailure(Self.marathonFile, "an app that is not a workload of the spec")
            }
            let networks = items(app["networks"]).compactMap { $0["name"]?.scalar }
            if networks.isEmpty { throw ReadFailure(Self.marathonFile, "app \(id) has no container network (it would share the host's)") }
            for network in networks { members[network, default: []].append(workload) }
            let ports = try hostPorts(app)
            if !ports.isEmpty { mapped[workload] = ports }
            runtime[workload] = profile(app)
            users[workload] = app["user"]?.scalar
        }
        let networks = members.sorted { $0.key < $1.key }.map { MesosPlan.Network(name: $0.key, members: $0.value) }
        let relation = Self.relation(networks: networks, mapped: mapped, workloads: policy.workloads.map(\.id))

        let rules = try MesosACLs(json: try files.required(Self.aclsFile).document())
        return ReadBack(relation: relation, runtime: runtime, grants: grants(rules, users: users))
    }

    /// Members of a container network reach each other (and themselves) on every port;
    /// host ports are open to every address; every task reaches every external peer
    /// (egress is the CNI network's business, configured outside Marathon and Mesos).
    static func relation(networks: [MesosPlan.Network], mapped: [WorkloadID: PortSet], workloads: [WorkloadID]) -> Relation {
        MesosRelation(networks: networks, mapped: mapped, workloads: workloads).relation
    }

    /// The apps' container networks and host ports, for `explain`.
    func networkRules() throws -> SharedNetworkRules {
        var members: [String: Set<WorkloadID>] = [:]
        var rules = SharedNetworkRules(networks: [], published: [:], egress: [:])
        for app in try marathonDocuments().flatMap(apps) {
            guard let name = app["id"]?.scalar?.split(separator: "/").last.map(String.init), let workload = policy.workload(named: name)?.id else { continue }
            for network in items(app["networks"]).compactMap({ $0["name"]?.scalar }) { members[network, default: []].insert(workload) }
            let ports = try hostPorts(app)
            if !ports.isEmpty { rules.published[workload] = ports }
            rules.egress[workload] = "egress is the container network's policy, outside Marathon and Mesos"
        }
        rules.networks = members.sorted { $0.key < $1.key }.map { ($0.key, $0.value, "container network") }
        return rules
    }

    /// The host ports an app maps, which outside clients reach.
    func hostPorts(_ app: YAMLNode) throws -> PortSet {
        var ports = PortSet()
        for mapping in items(app["container"]?["portMappings"]) {
            guard let host = mapping["hostPort"]?.scalar.flatMap({ Int($0) }), host > 0 else { continue }
            for proto in (mapping["protocol"]?.scalar ?? "tcp").split(separator: ",") {
                ports.formUnion(PortSet(try checkedRange(TransportProtocol(name: String(proto)) ?? .tcp, host, host, in: "marathon.json")))
            }
        }
        return ports
    }

    /// The neutral actions each identity holds in each segment: an action is held in a
    /// segment when the ACLs authorize every one of its Mesos actions on the task user of
    /// every workload there.
    func grants(_ rules: MesosACLs, users: [WorkloadID: String]) -> [String: [SegmentID: Set<Action>]] {
        var result: [String: [SegmentID: Set<Action>]] = [:]
        let granted = Set(policy.grants.map(\.identity))
        for (index, identity) in policy.identities.enumerated() where identity.kind != .service || granted.contains(IdentityID(index)) {
            for (index, segment) in policy.segments.enumerated() where !segment.workloads.isEmpty {
                var held = Set<Action>()
                for (action, mesosActions) in MesosACLs.neutral {
                    let all = segment.workloads.allSatisfy { workload in
                        guard let user = users[workload] else { return false }
                        return mesosActions.allSatisfy { rules.authorizes(identity.name, $0, user) }
                    }
                    if all { held.insert(action) }
                }
                if !held.isEmpty { result[identity.name, default: [:]][SegmentID(index)] = held }
            }
        }
        return result
    }

    func profile(_ app: YAMLNode) -> RuntimeProfile {
        let docker = app["container"]?["docker"]
        let isDocker = app["container"]?["type"]?.scalar == "DOCKER"
        var profile = RuntimeProfile(privileged: isDocker ? docker?["privileged"]?.scalar == "true" : false)
        guard isDocker else { return profile }
        var add: [String] = []
        var drop: [String] = []
        var paths: [String] = []
        profile.seccomp = .runtimeDefault
        profile.apparmor = .runtimeDefault
        profile.hostPID = false
        profile.hostIPC = false
        for parameter in items(docker?["parameters"]) {
            guard let key = parameter["key"]?.scalar, let value = parameter["value"]?.scalar else { continue }
            switch key {
            case "user": profile.user = Int(value.split(separator: ":").first ?? "")
            case "read-only": profile.readOnlyRoot = value == "true"
            case "tmpfs": paths.append(String(value.split(separator: ":").first ?? ""))
            case "cap-add": add.append(value)
            case "cap-drop": drop.append(value)
            case "pids-limit": profile.resources = Resources(pids: Int(value))
            case "pid": profile.hostPID = value == "host"
            case "ipc": profile.hostIPC = value == "host"
            case "security-opt":
                if value == "no-new-privileges" || value == "no-new-privileges:true" { profile.noNewPrivileges = true }
                if value.hasPrefix("seccomp=") {
                    let name = String(value.dropFirst("seccomp=".count))
                    profile.seccomp = name == "unconfined" ? .unconfined : .localhost(name)
                }
                if value.hasPrefix("apparmor=") {
                    let name = String(value.dropFirst("apparmor=".count))
                    profile.apparmor = name == "unconfined" ? .unconfined : .localhost(name)
                }
            default: break
            }
        }
        if !add.isEmpty || !drop.isEmpty { profile.capabilities = Capabilities(add: add, drop: drop) }
        if !paths.isEmpty { profile.writablePaths = paths }
        return profile
    }

    /// The apps of a group and its groups; a file holding one app is that app.
    func apps(_ group: YAMLNode) -> [YAMLNode] {
        if group["apps"] == nil, group["groups"] == nil, group["id"] != nil { return [group] }
        return items(group["apps"]) + items(group["groups"]).flatMap(apps)
    }

    func items(_ node: YAMLNode?) -> [YAMLNode] {
        guard let node, case .sequence(let items) = node.content else { return [] }
        return items
    }
}
