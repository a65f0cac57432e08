import IR

/// The Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards,
/// as of v1.30) on the pod security Palisade writes and reads: the strictest level a pod
/// satisfies, and why it misses the stricter ones. Pod Security Admission enforces a level per
/// namespace from the label `pod-security.kubernetes.io/enforce`.
enum PodSecurityLevel: String, Sendable, Hashable, CaseIterable, Comparable {
    // In order of strictness: a level admits every pod a stricter one admits.
    case privileged, baseline, restricted

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// The namespace labels of Pod Security Admission in enforce mode, and the version of the
    /// standards the level is pinned to.
    static let enforceLabel = "pod-security.kubernetes.io/enforce"
    static let enforceVersionLabel = "pod-security.kubernetes.io/enforce-version"
    static let version = "v1.30"

    /// Capabilities the baseline level lets a container add.
    static let baselineCapabilities: Set<String> = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
        "SYS_CHROOT",
    ]

    /// Volume types the restricted level allows.
    static let restrictedVolumes: Set<String> = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]

    /// Where a control is set: on the pod (host namespaces, volumes) or on a container (the
    /// rest, with the pod's security context as its defaults).
    enum Scope: Sendable {
        case pod, container
    }

    /// What keeps a pod below baseline: the controls it breaks, in words (empty: none).
    static func baselineViolations(_ pod: PodSecurity) -> [String] { baselineControls(pod).map(\.words) }

    /// What keeps a pod below restricted besides the baseline controls.
    static func restrictedViolations(_ pod: PodSecurity) -> [String] { restrictedControls(pod).map(\.words) }

    private static func baselineControls(_ pod: PodSecurity) -> [(words: String, scope: Scope)] {
        var found: [(words: String, scope: Scope)] = []
        if pod.hostNetwork { found.append(("hostNetwork", .pod)) }
        if pod.hostPID { found.append(("hostPID", .pod)) }
        if pod.hostIPC { found.append(("hostIPC", .pod)) }
        if pod.privileged == true { found.append(("privileged", .container)) }
        let extra = pod.add.filter { !baselineCapabilities.contains($0) }
        if !extra.isEmpty { found.append(("adds capabilities \(extra.joined(separator: ", "))", .container)) }
        if pod.volumeTypes.contains("hostPath") { found.append(("hostPath volumes", .pod)) }
        if pod.hostPorts { found.append(("host ports", .container)) }
        if pod.seccomp == .unconfined { found.append(("seccomp Unconfined", .container)) }
        if pod.apparmor == .unconfined { found.append(("AppArmor Unconfined", .container)) }
        return found
    }

    private static func restrictedControls(_ pod: PodSecurity) -> [(words: String, scope: Scope)] {
        var found: [(words: String, scope: Scope)] = []
        let volumes = pod.volumeTypes.subtracting(restrictedVolumes)
        if !volumes.isEmpty { found.append(("volume types \(volumes.sorted().joined(separator: ", "))", .pod)) }
        if pod.allowPrivilegeEscalation != false { found.append(("allowPrivilegeEscalation is not false", .container)) }
        if pod.runAsNonRoot != true { found.append(("runAsNonRoot is not true", .container)) }
        if pod.runAsUser == 0 { found.append(("runAsUser is 0", .container)) }
        switch pod.seccomp {
        case .runtimeDefault?, .localhost?: break
        default: found.append(("no RuntimeDefault or Localhost seccomp profile", .container))
        }
        if !pod.drop.contains("ALL") { found.append(("capabilities do not drop ALL", .container)) }
        let extra = pod.add.filter { $0 != "NET_BIND_SERVICE" }
        if !extra.isEmpty { found.append(("adds capabilities \(extra.joined(separator: ", "))", .container)) }
        return found
    }

    /// The strictest level that admits the pod.
    static func of(_ pod: PodSecurity) -> PodSecurityLevel {
        if !baselineViolations(pod).isEmpty { return .privileged }
        return restrictedViolations(pod).isEmpty ? .restricted : .baseline
    }

    /// What keeps the pod from `level`: empty when the level admits it.
    static func violations(_ pod: PodSecurity, of level: PodSecurityLevel) -> [String] {
        switch level {
        case .privileged: []
        case .baseline: baselineViolations(pod)
        case .restricted: baselineViolations(pod) + restrictedViolations(pod)
        }
    }

    /// What keeps the pod from `level` that is set at `scope` only: the pod's own fields, or
    /// one container's (whose `PodSecurity` holds that container and the pod's defaults).
    static func violations(_ pod: PodSecurity, of level: PodSecurityLevel, scope: Scope) -> [String] {
        let controls: [(words: String, scope: Scope)] =
            switch level {
            case .privileged: []
            case .baseline: baselineControls(pod)
            case .restricted: baselineControls(pod) + restrictedControls(pod)
            }
        return controls.filter { $0.scope == scope }.map(\.words)
    }
}
