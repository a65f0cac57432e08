import Diagnostics
import IR

/// Mesos with Marathon: `marathon.json`, one Marathon group with a sub-group per segment and
/// an app per workload (`POST /v2/groups`), and `acls.json`, the master's `--acls`. Mesos
/// filters no traffic: container networks only group tasks. See `targets/mesos/README.md`.
public struct MesosBackend: Backend {
    public init() {}

    public var target: TargetName { .mesos }

    /// Task users are OS user names on the agents: at most 32 characters.
    public func validate(_ policy: Policy) -> [Diagnostic] {
        policy.identities.filter { $0.kind == .service && $0.name.count > 32 }.map { identity in
            .error(
                .targetLimit, "service identity '\(identity.name)' is \(identity.name.count) characters; Mesos runs tasks as an OS user, at most 32",
                at: identity.origin, help: "use a shorter identity name")
        }
    }

    public func emit(_ policy: Policy, with options: MesosOptions) throws -> Emission {
        let plan = MesosPlan(policy: policy, options: options)
        let files = MesosEmitter(plan: plan).files()
        let planned = plan.planned
        let intent = policy.intent
        let docker = options.containerizer == .docker
        // The differences, computed per network from the intent's pairs. With the Docker
        // containerizer networks share no workload, and what they widen stays products;
        // the Mesos containerizer's networks are pairs, enumerated.
        let external = planned.external
        var widened = subtractingAlike(external, Relation(ingress: intent.ingress, egress: intent.egress))
        var products = ProductRelation()
        if docker {
            products = planned.widenedProducts(beyond: intent)
            products.pairs.ingress = widened.ingress
            products.pairs.egress = widened.egress
        } else {
            widened.betweenWorkloads = planned.widenedPairs(beyond: intent)
            products = ProductRelation(widened)
        }
        var narrowed = subtractingAlike(Relation(ingress: intent.ingress, egress: intent.egress), external)
        narrowed.betweenWorkloads = planned.narrowedPairs(of: intent)
        // With the Docker containerizer a network's widening is one gap (its members × its
        // members × the ports), never a gap per pair; replicas of a workload alone on its
        // network stay a gap of that workload.
        var listed = widened
        var groupGaps: [Gap] = []
        if docker {
            for network in plan.networks where network.members.count == 1 {
                let member = network.members[0]
                let ports = PortSet.all.subtracting(intent.ports(from: member, to: member))
                if !ports.isEmpty { listed.betweenWorkloads[WorkloadPair(member, member)] = ports }
            }
            groupGaps = planned.widenings(beyond: intent).map { widening in
                Self.networkGap(plan.networks[widening.network], widening, origin: options.containerizerOrigin)
            }
        }
        var gaps = connectionGaps(widened: listed, narrowed: narrowed, policy: policy, target: .mesos) { site in
            switch (site.kind, site.part) {
            case (.widened, .betweenWorkloads):
                return docker
                    ? "the tasks of an app share its container network and reach each other on every port"
                    : "tasks on one container network reach each other on every port, both ways"
            case (.widened, .ingress): return "host ports are open to every address; Mesos has no source filter"
            case (.widened, .egress): return "egress is the CNI network's policy, configured outside Marathon and Mesos"
            case (.narrowed, .betweenWorkloads): return "with gaps: narrow workloads share a network only where they may already talk on every port, both ways"
            case (.narrowed, .ingress):
                // The protocols of this connection Marathon maps no host port for (asked only
                // here: the reasons of every other connection need none of this).
                let unmapped = site.ports.protocols.filter { $0 == .sctp || $0 == .icmp }.map { $0.description.uppercased() }
                let tcpAndUDPOnly = unmapped.isEmpty ? nil : "Marathon maps tcp and udp host ports only (not \(unmapped.joined(separator: " or ")))"
                let beyondCap =
                    site.destination.flatMap { plan.unmapped[$0] }.map { $0.overlaps(site.ports) } == true
                    ? "Marathon's portMappings take one port each, and Palisade maps at most \(MesosPlan.hostPortLimit) host ports per app" : nil
                return joinedCauses(
                    [
                        options.gaps == .narrow && !site.peers.addresses.isAll
                            ? "with gaps: narrow a host port is mapped only where every address may reach it" : nil,
                        tcpAndUDPOnly,
                        beyondCap,
                    ],
                    otherwise: "Marathon maps host ports for less than the intent here")
            default: return ""
            }
        }
        gaps = groupGaps + gaps
        gaps += runtimeGaps(policy, plan: plan, settings: options)
        gaps += grantGaps(policy, settings: options)
        return Emission(files: files, gaps: gaps, widened: products, narrowed: narrowed)
    }

    /// One gap for everything a shared Docker network allows beyond the intent: its members
    /// reach each other (and themselves) on every port, both ways.
    static func networkGap(_ network: MesosPlan.Network, _ widening: MesosRelation.Widening, origin: SourceRange) -> Gap {
        let count = network.members.count
        return Gap(
            kind: .widened, capability: .portFiltering, target: .mesos,
            subject: .connection(
                Connection(.platform("the \(count) workloads of container network \(network.name)"), .platform("each other"), ports: widening.ports)),
            reason: "the Docker containerizer gives each app one container network, so a connected group of workloads shares one, and tasks on "
                + "one network reach each other on every port, both ways (\(widening.pairs) workload pairs beyond the intent)",
            origin: origin)
    }

    /// How the gaps for a spec without cpu or memory limits begin; `apply` says there which
    /// value the team's app gives instead of Marathon's default.
    static let noCPULimit = "no cpu limit in the spec"
    static let noMemoryLimit = "no memory limit in the spec"

    func runtimeGaps(_ policy: Policy, plan: MesosPlan, settings: MesosOptions) -> [Gap] {
        var gaps: [Gap] = []
        let docker = settings.containerizer == .docker
        for workload in policy.workloads {
            let runtime = workload.runtime
            func gap(_ key: RuntimeKey, _ reason: String) {
                gaps.append(unenforced(workload, key, target: .mesos, reason))
            }
            if runtime.resources?.cpuMillis == nil {
                gap(.resources, "\(Self.noCPULimit): Marathon requires one, \(MesosEmitter.defaultCPUs) cpu (its default) is used")
            }
            if runtime.resources?.memoryBytes == nil {
                gap(.resources, "\(Self.noMemoryLimit): Marathon requires one, \(MesosEmitter.defaultMemoryMiB) MiB (its default) is used")
            }
            if !workload.secrets.isEmpty {
                gaps.append(
                    Gap(
                        kind: .unenforced, capability: .secrets, target: .mesos, subject: .secrets(workload: workload.name),
                        reason: "secrets \(workload.secrets.joined(separator: ", ")) are not mounted at /run/secrets: file secrets need the Mesos "
                            + "containerizer and a secrets plugin (DC/OS Enterprise); OSS Marathon passes none",
                        origin: workload.origin))
            }
            if runtime.hostNetwork == true { gap(.hostNetwork, "host_network is not expressed: every app keeps a container network") }
            if runtime.runAsNonRoot == true, (runtime.user ?? 0) == 0 {
                gap(.runAsNonRoot, "run_as_non_root cannot be checked by Mesos; set a non-zero user to enforce it")
            }
            guard !docker else { continue }
            // The Mesos containerizer takes no docker parameters, and Marathon 1.8's app
            // schema has no linuxInfo: only the image and the task user remain.
            if runtime.user != nil {
                gap(
                    .user,
                    "user needs the Docker containerizer; the Mesos containerizer runs the task as its OS user '\(policy.identity(workload.identity).name)'")
            }
            if runtime.readOnlyRoot == true { gap(.readOnlyRoot, "read_only_root needs the Docker containerizer") }
            if runtime.writablePaths?.isEmpty == false { gap(.writablePaths, "writable_paths need the Docker containerizer") }
            if runtime.capabilities != nil { gap(.capabilities, "capabilities need the Docker containerizer") }
            if runtime.noNewPrivileges == true { gap(.noNewPrivileges, "no_new_privileges needs the Docker containerizer") }
            // What the task gets then depends on the agents' isolators, not on the app.
            if let seccomp = runtime.seccomp {
                gap(.seccomp, "seccomp \(seccomp) depends on the agents' linux/seccomp isolator (linuxInfo is not in Marathon 1.8's app schema)")
            }
            if let apparmor = runtime.apparmor { gap(.apparmor, "apparmor \(apparmor) cannot be set for the Mesos containerizer") }
            if runtime.privileged == true { gap(.privileged, "privileged needs the Docker containerizer") }
            if runtime.resources?.pids != nil { gap(.resources, "a pids limit needs the Docker containerizer") }
            if let flag = runtime.hostPID { gap(.hostPID, "host_pid: \(flag) depends on the agents' namespaces/pid isolator") }
            if let flag = runtime.hostIPC { gap(.hostIPC, "host_ipc: \(flag) depends on the agents' namespaces/ipc isolator") }
        }
        if let imagePolicy = policy.imagePolicy {
            gaps.append(
                Gap(
                    kind: .unenforced, capability: .imagePolicy, target: .mesos, subject: .imagePolicy,
                    reason: "image_policy is checked at compile time only: Marathon and Mesos have no registry allowlist or digest requirement",
                    origin: imagePolicy.origin))
        }
        return gaps
    }

    func grantGaps(_ policy: Policy, settings: MesosOptions) -> [Gap] {
        var gaps: [Gap] = []
        func grantGap(_ kind: Gap.Kind, _ grant: Grant, _ reason: String) -> Gap {
            .grant(kind, target: .mesos, grant, in: policy, reason: reason)
        }
        for grant in policy.grants {
            let identity = policy.identity(grant.identity)
            let actions = policy.role(grant.role).effectiveActions
            if actions.contains(.deploy) {
                gaps.append(
                    grantGap(
                        .unenforced, grant,
                        "grant of 'deploy' to '\(identity.name)': deploying is Marathon's to authorize, and OSS Marathon lets every authenticated "
                            + "user deploy (an authorization plugin is needed)"
                    ))
            }
            if actions.contains(.secrets) {
                gaps.append(grantGap(.unenforced, grant, "grant of 'secrets' to '\(identity.name)': Mesos has no ACL for secret values"))
            }
            if actions.contains(.exec), settings.containerizer == .docker {
                gaps.append(
                    grantGap(
                        .narrowed, grant,
                        "grant of 'exec' to '\(identity.name)': the ACLs allow it, but the Docker containerizer has no nested container sessions"))
            }
            if identity.kind == .group {
                gaps.append(
                    grantGap(
                        .unenforced, grant,
                        "'\(identity.name)' is a group: Mesos principals are single credentials, so the group must authenticate as one principal "
                            + "named '\(identity.name)'"
                    ))
            }
            // A task user shared with workloads of other segments widens the grant to them:
            // the granted segments and their users marked by index, each workload read in place
            // (no set hashed, no workload copied, per workload per grant).
            let neutral = actions.filter { MesosACLs.neutral[$0] != nil }.sorted().map(\.rawValue)
            guard !neutral.isEmpty else { continue }
            var granted = [Bool](repeating: false, count: policy.segments.count)
            var users = [Bool](repeating: false, count: policy.identities.count)
            for segment in grant.segments {
                granted[segment.index] = true
                for member in policy.segments[segment.index].workloads { users[policy.workloads[member.index].identity.index] = true }
            }
            for index in policy.workloads.indices
            where !granted[policy.workloads[index].segment.index] && users[policy.workloads[index].identity.index] {
                let workload = policy.workloads[index]
                gaps.append(
                    grantGap(
                        .widened, grant,
                        "grant of \(neutral.joined(separator: ", ")) to '\(identity.name)' also covers '\(workload.name)' in segment "
                            + "'\(policy.segments[workload.segment.index].name)': Mesos ACLs name task users, "
                            + "and '\(policy.identity(workload.identity).name)' runs there too"
                    ))
            }
        }
        return gaps
    }

    public func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        try MesosReader(policy: policy, files: files).networkRules().explain(from: from, to: to, ports: ports) { policy.workloads[$0.index].name }
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        try MesosReader(policy: policy, files: files).read()
    }
}
