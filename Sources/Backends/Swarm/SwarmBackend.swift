import Diagnostics
import IR

/// Docker Swarm: one compose file (format 3.9) per policy, deployed with
/// `docker stack deploy -c stack.yaml POLICY`. Segmentation is by overlay networks, which
/// cannot filter ports: see `targets/swarm/README.md` for every mapping and gap.
public struct SwarmBackend: Backend {
    public init() {}

    public var target: TargetName { .swarm }

    /// Swarm's limit on `STACK_SERVICE` and `STACK_NETWORK` names.
    static let nameLimit = 63

    public func validate(_ policy: Policy) -> [Diagnostic] {
        policy.workloads.compactMap { workload in
            let full = "\(policy.name)_\(workload.name)"
            guard full.count > Self.nameLimit else { return nil }
            return .error(
                .targetLimit, "swarm service name '\(full)' is \(full.count) characters; Swarm allows \(Self.nameLimit)",
                at: workload.origin, help: "shorten the policy or workload name")
        }
    }

    /// The stack decided for `policy`: networks, published ports and their published numbers.
    /// `reserved`: the ports the application's own services publish (`apply`).
    func plan(_ policy: Policy, _ options: SwarmOptions, reserved: PortSet = PortSet()) throws -> SwarmPlan {
        var plan = SwarmPlan(policy: policy, options: options)
        if options.publishMode == .ingress { plan.ingressPorts = try SwarmIngressPorts.assign(plan.published, policy: policy, reserved: reserved) }
        return plan
    }

    public func emit(_ policy: Policy, with options: SwarmOptions) throws -> Emission {
        let plan = try plan(policy, options)
        let file = try SwarmEmitter(plan: plan).file()
        let (widened, narrowed) = plan.differences()
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .swarm) { site in
            switch (site.kind, site.part) {
            case (.widened, .betweenWorkloads): "services sharing an overlay network reach each other on every port, both ways"
            case (.widened, .ingress): "published ports are open to every address; Swarm has no source filter"
            case (.widened, .egress): "a service on a non-internal network, or with published ports, reaches every external address"
            case (.narrowed, .betweenWorkloads): "with gaps: narrow no network is shared unless the intent allows every port both ways"
            case (.narrowed, .ingress):
                // The routing mesh publishes tcp, udp and sctp ports, never ICMP; under
                // `narrow` only ports every address may reach.
                joinedCauses(
                    [
                        options.gaps == .narrow && !site.peers.addresses.isAll
                            ? "with gaps: narrow a port is published only where every address may reach it" : nil,
                        site.carries(.icmp) ? "the routing mesh carries no ICMP" : nil,
                    ],
                    otherwise: "the routing mesh publishes less than the intent here")
            case (.narrowed, .egress): "with gaps: narrow only egress to every address on every port is given"
            default: ""
            }
        }
        gaps += runtimeGaps(policy)
        return Emission(files: [file], gaps: gaps, widened: widened, narrowed: narrowed)
    }

    /// Controls swarm mode ignores or cannot express (docker/cli's unsupported list, and
    /// the keys the stack converter never sets).
    func runtimeGaps(_ policy: Policy) -> [Gap] {
        var gaps: [Gap] = []
        for workload in policy.workloads {
            let runtime = workload.runtime
            func gap(_ key: RuntimeKey, _ reason: String) {
                gaps.append(unenforced(workload, key, target: .swarm, reason))
            }
            if runtime.privileged == true { gap(.privileged, "privileged is ignored by docker stack deploy; the service runs unprivileged") }
            if runtime.noNewPrivileges == true { gap(.noNewPrivileges, "no_new_privileges needs security_opt, which docker stack deploy ignores") }
            if let seccomp = runtime.seccomp, seccomp != .runtimeDefault {
                gap(.seccomp, "seccomp \(seccomp) needs security_opt, which docker stack deploy ignores; Docker's default profile applies")
            }
            if let apparmor = runtime.apparmor, apparmor != .runtimeDefault {
                gap(.apparmor, "apparmor \(apparmor) needs security_opt, which docker stack deploy ignores; docker-default applies where AppArmor is enabled")
            }
            if runtime.hostNetwork == true { gap(.hostNetwork, "host_network is not expressed (network_mode is ignored by docker stack deploy)") }
            if runtime.hostPID == true { gap(.hostPID, "host_pid is ignored by docker stack deploy (pid)") }
            if runtime.hostIPC == true { gap(.hostIPC, "host_ipc is ignored by docker stack deploy (ipc)") }
            if runtime.runAsNonRoot == true, (runtime.user ?? 0) == 0 {
                gap(.runAsNonRoot, "run_as_non_root cannot be checked by Swarm; set a non-zero user to enforce it")
            }
        }
        for grant in policy.grants {
            let (identity, role) = policy.names(of: grant)
            gaps.append(
                .grant(
                    .unenforced, target: .swarm, grant, in: policy, reason: "grant of role '\(role)' to '\(identity)': Swarm has no access control for stacks"))
        }
        if let imagePolicy = policy.imagePolicy {
            gaps.append(
                Gap(
                    kind: .unenforced, capability: .imagePolicy, target: .swarm, subject: .imagePolicy,
                    reason: "image_policy is checked at compile time only: Swarm has no registry allowlist",
                    origin: imagePolicy.origin))
        }
        return gaps
    }

    public func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        try SwarmReader(policy: policy, files: files).networkRules().explain(from: from, to: to, ports: ports) { policy.workloads[$0.index].name }
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        try SwarmReader(policy: policy, files: files).read()
    }
}
