import IR

// Runtime rules: what a workload may do to the node it runs on.

/// A spec whose one workload has `runtime` holding `body` (YAML flow mapping content).
func runtimeExample(_ body: String, defaults: String? = nil) -> String {
    var text = "version: 1\nname: t\n"
    if let defaults { text += "defaults:\n  runtime: {\(defaults)}\n" }
    return text + "workloads:\n  app:\n    image: registry.example.com/app@sha256:\(String(repeating: "a", count: 64))\n    runtime: {\(body)}\n"
}


struct Privileged: LintRule {
    let description = RuleDescription(
        id: "PAL101", name: "privileged", severity: .error,
        summary: "a workload runs privileged",
        rationale: "A privileged container has every capability and every device of the node: escaping it is trivial.",
        fix: "Remove `privileged: true`; add only the capabilities the workload needs.",
        triggering: [runtimeExample("↓privileged: true"), runtimeExample("", defaults: "↓privileged: true")],
        nonTriggering: [runtimeExample("privileged: false"), runtimeExample("")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.runtime.privileged == true }.map {
            description.finding("runs privileged", workload: $0, key: "privileged")
        }
    }
}

struct RootUser: LintRule {
    let description = RuleDescription(
        id: "PAL102", name: "root-user", severity: .warning,
        summary: "a workload runs as root, or as whatever user its image says",
        rationale: "Root in a container is root on the node once anything else goes wrong; an unset user is the image's choice, often root.",
        fix: "Set `user` to a non-zero UID (and `run_as_non_root: true`).",
        triggering: [runtimeExample("↓user: 0"), "version: 1\nname: t\nworkloads:\n  ↓app: {image: nginx:1.25}\n"],
        nonTriggering: [runtimeExample("user: 10001"), runtimeExample("run_as_non_root: true")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.compactMap { workload in
            let runtime = workload.runtime
            if runtime.user == 0 { return description.finding("runs as root (user 0)", workload: workload, key: "user") }
            if runtime.user == nil, runtime.runAsNonRoot != true {
                return description.finding("no user is set, so the image decides (often root)", workload: workload, key: nil)
            }
            return nil
        }
    }
}

struct PrivilegeEscalation: LintRule {
    let description = RuleDescription(
        id: "PAL103", name: "privilege-escalation", severity: .warning,
        summary: "a workload may gain privileges (setuid binaries, file capabilities)",
        rationale: "Without no_new_privileges a process can become more privileged than it started, through setuid or file capabilities.",
        fix: "Set `no_new_privileges: true` (in `defaults.runtime` for every workload).",
        triggering: [runtimeExample("↓no_new_privileges: false"), "version: 1\nname: t\nworkloads:\n  ↓app: {image: nginx:1.25}\n"],
        nonTriggering: [runtimeExample("no_new_privileges: true")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.runtime.noNewPrivileges != true }.map { workload in
            description.finding("privilege escalation is allowed (no_new_privileges is not true)", workload: workload,
                                key: workload.runtime.noNewPrivileges == nil ? nil : "no_new_privileges")
        }
    }
}

/// Capabilities that amount to control of the node or its network.
let dangerousCapabilities: Set<String> = [
    "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "DAC_READ_SEARCH", "SYS_BOOT", "SYS_TIME",
    "MAC_ADMIN", "MAC_OVERRIDE", "BPF", "PERFMON", "NET_RAW", "SYSLOG",
]

struct DangerousCapabilities: LintRule {
    let description = RuleDescription(
        id: "PAL104", name: "dangerous-capabilities", severity: .error,
        summary: "a workload adds a capability that amounts to control of the node (SYS_ADMIN, NET_ADMIN, SYS_PTRACE…)",
        rationale: "SYS_ADMIN is nearly root; NET_ADMIN rewrites the node's network; SYS_PTRACE reads other processes' memory; NET_RAW forges packets.",
        fix: "Drop the capability; if the workload really needs it, isolate it on dedicated nodes and record why with lint.ignore.",
        triggering: [runtimeExample("↓capabilities: {drop: [ALL], add: [SYS_ADMIN]}")],
        nonTriggering: [runtimeExample("capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.compactMap { workload in
            let added = (workload.runtime.capabilities?.add ?? []).filter(dangerousCapabilities.contains)
            guard !added.isEmpty else { return nil }
            return description.finding("adds \(added.joined(separator: ", "))", workload: workload, key: "capabilities")
        }
    }
}

struct CapabilitiesNotDropped: LintRule {
    let description = RuleDescription(
        id: "PAL105", name: "capabilities-not-dropped", severity: .warning,
        summary: "a workload does not drop ALL capabilities",
        rationale: "Container runtimes grant a default set (CHOWN, SETUID, NET_RAW…) most workloads never use.",
        fix: "Set `capabilities: {drop: [ALL]}` and add back only what the workload needs.",
        triggering: [runtimeExample("↓capabilities: {drop: [NET_RAW]}"), "version: 1\nname: t\nworkloads:\n  ↓app: {image: nginx:1.25}\n"],
        nonTriggering: [runtimeExample("capabilities: {drop: [ALL], add: [CHOWN]}")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { !($0.runtime.capabilities?.drop.contains("ALL") ?? false) }.map { workload in
            description.finding("does not drop ALL capabilities", workload: workload, key: workload.runtime.capabilities == nil ? nil : "capabilities")
        }
    }
}

struct HostNamespaces: LintRule {
    let description = RuleDescription(
        id: "PAL106", name: "host-namespaces", severity: .error,
        summary: "a workload shares the host's network, PID or IPC namespace",
        rationale: "Host networking bypasses every network policy; the host PID namespace shows and signals every process; host IPC reads shared memory.",
        fix: "Remove `host_network`, `host_pid` and `host_ipc`.",
        triggering: [runtimeExample("↓host_network: true"), runtimeExample("host_network: false, ↓host_pid: true, ↓host_ipc: true")],
        nonTriggering: [runtimeExample("host_network: false, host_pid: false, host_ipc: false")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.flatMap { workload -> [Finding] in
            let runtime = workload.runtime
            return [("host_network", runtime.hostNetwork), ("host_pid", runtime.hostPID), ("host_ipc", runtime.hostIPC)]
                .filter { $0.1 == true }
                .map { description.finding("shares the host's namespace (\($0.0))", workload: workload, key: $0.0) }
        }
    }
}

struct SeccompUnset: LintRule {
    let description = RuleDescription(
        id: "PAL201", name: "seccomp-unset", severity: .warning,
        summary: "a workload sets no seccomp profile",
        rationale: "Kubernetes runs pods Unconfined unless told otherwise; only some platforms apply a default profile.",
        fix: "Set `seccomp: runtime-default` (in `defaults.runtime`).",
        triggering: ["version: 1\nname: t\nworkloads:\n  ↓app: {image: nginx:1.25}\n"],
        nonTriggering: [runtimeExample("seccomp: runtime-default"), runtimeExample("seccomp: localhost/profiles/app.json")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.runtime.seccomp == nil }.map {
            description.finding("no seccomp profile: the platform's default applies, Unconfined on Kubernetes", workload: $0, key: nil)
        }
    }
}

struct AppArmorUnset: LintRule {
    let description = RuleDescription(
        id: "PAL202", name: "apparmor-unset", severity: .note,
        summary: "a workload sets no AppArmor profile",
        rationale: "Where AppArmor is enabled, only an explicit profile makes every platform confine the workload the same way.",
        fix: "Set `apparmor: runtime-default` (in `defaults.runtime`).",
        triggering: ["version: 1\nname: t\nworkloads:\n  ↓app: {image: nginx:1.25}\n"],
        nonTriggering: [runtimeExample("apparmor: runtime-default")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.runtime.apparmor == nil }.map {
            description.finding("no AppArmor profile: the platform's default applies", workload: $0, key: nil)
        }
    }
}

struct WritableRoot: LintRule {
    let description = RuleDescription(
        id: "PAL203", name: "writable-root", severity: .warning,
        summary: "a workload's root filesystem is writable",
        rationale: "A writable root lets an intruder drop tools and persist changes; scratch space belongs in writable_paths.",
        fix: "Set `read_only_root: true` and list the directories it writes in `writable_paths`.",
        triggering: [runtimeExample("↓read_only_root: false"), "version: 1\nname: t\nworkloads:\n  ↓app: {image: nginx:1.25}\n"],
        nonTriggering: [runtimeExample("read_only_root: true, writable_paths: [/tmp]")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.runtime.readOnlyRoot != true }.map { workload in
            description.finding("the root filesystem is writable", workload: workload,
                                key: workload.runtime.readOnlyRoot == nil ? nil : "read_only_root")
        }
    }
}

struct MissingResourceLimits: LintRule {
    let description = RuleDescription(
        id: "PAL204", name: "missing-resource-limits", severity: .warning,
        summary: "a workload has no cpu, memory or pids limit",
        rationale: "Without limits one workload can starve its neighbours, or fork-bomb the node.",
        fix: "Set `resources: {cpu, memory, pids}` (in `defaults.runtime` for every workload).",
        triggering: [runtimeExample("↓resources: {cpu: 1}"), "version: 1\nname: t\nworkloads:\n  ↓app: {image: nginx:1.25}\n"],
        nonTriggering: [runtimeExample("resources: {cpu: 500m, memory: 256Mi, pids: 64}")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.compactMap { workload in
            let resources = workload.runtime.resources
            let missing = [("cpu", resources?.cpuMillis == nil), ("memory", resources?.memoryBytes == nil), ("pids", resources?.pids == nil)]
                .filter(\.1).map(\.0)
            guard !missing.isEmpty else { return nil }
            return description.finding("sets no limit for \(missing.joined(separator: ", "))", workload: workload, key: resources == nil ? nil : "resources")
        }
    }
}

struct Unconfined: LintRule {
    let description = RuleDescription(
        id: "PAL205", name: "unconfined", severity: .error,
        summary: "a workload runs with seccomp or AppArmor unconfined",
        rationale: "Unconfined turns off the kernel's last line of defence against container escapes.",
        fix: "Use `runtime-default`, or a `localhost/…` profile written for the workload.",
        triggering: [runtimeExample("↓seccomp: unconfined"), runtimeExample("seccomp: runtime-default, ↓apparmor: unconfined")],
        nonTriggering: [runtimeExample("seccomp: runtime-default, apparmor: localhost/app")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.flatMap { workload -> [Finding] in
            [("seccomp", workload.runtime.seccomp), ("apparmor", workload.runtime.apparmor)]
                .filter { $0.1 == .unconfined }
                .map { description.finding("\($0.0) is unconfined", workload: workload, key: $0.0) }
        }
    }
}
