import IR

/// What a pod asks for in its security contexts and volumes, with the container's settings
/// over the pod's (the manifests set each field at one level only).
struct PodSecurity: Hashable {
    var runAsUser: Int?
    var runAsNonRoot: Bool?
    var privileged: Bool?
    var allowPrivilegeEscalation: Bool?
    var readOnlyRootFilesystem: Bool?
    var add: [String] = []
    var drop: [String] = []
    var seccomp: SecurityProfile?
    /// The container's `appArmorProfile` (Kubernetes 1.30); OpenShift's manifests never set it.
    var apparmor: SecurityProfile?
    var hostNetwork = false
    var hostPID = false
    var hostIPC = false
    /// Whether a container port becomes a host port (with the host's network, Kubernetes sets
    /// `hostPort` to each `containerPort`).
    var hostPorts = false
    /// The volume types the pod uses (`emptyDir`, `secret`, …), as SCC `volumes` names them.
    var volumeTypes: Set<String> = []

    /// The runtime controls the pod runs with, as far as the pod spec says.
    func profile(writablePaths: [String], resources: Resources?, apparmor: SecurityProfile? = nil) -> RuntimeProfile {
        RuntimeProfile(
            user: runAsUser, runAsNonRoot: runAsNonRoot, privileged: privileged ?? false,
            readOnlyRoot: readOnlyRootFilesystem ?? false, writablePaths: writablePaths,
            noNewPrivileges: allowPrivilegeEscalation.map { !$0 },
            capabilities: add.isEmpty && drop.isEmpty ? nil : Capabilities(add: add, drop: drop),
            seccomp: seccomp, apparmor: apparmor, hostNetwork: hostNetwork, hostPID: hostPID, hostIPC: hostIPC,
            resources: resources)
    }
}

/// A SecurityContextConstraints object (security.openshift.io/v1): what the admission plugin
/// lets a pod ask for, and what it fills in. It is cluster-scoped and used by the service
/// accounts RBAC grants `use` on it.
struct SecurityContextConstraints: Hashable {
    enum RunAsUser: Hashable {
        case mustRunAs(Int)
        case mustRunAsNonRoot
        /// A UID from the namespace's `openshift.io/sa.scc.uid-range` annotation.
        case mustRunAsRange
        case runAsAny
    }

    var name: String
    var priority: Int?
    var allowPrivilegedContainer = false
    var allowPrivilegeEscalation = false
    var readOnlyRootFilesystem = false
    var requiredDropCapabilities: [String] = ["ALL"]
    var allowedCapabilities: [String] = ["NET_BIND_SERVICE"]
    var allowHostNetwork = false
    var allowHostPID = false
    var allowHostIPC = false
    var allowHostPorts = false
    var runAsUser = RunAsUser.mustRunAsRange
    var seccompProfiles: [String] = ["runtime/default"]
    /// restricted-v2's volumes as of 4.12 (later releases add `csi` and `image`).
    var volumes: [String] = ["configMap", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]

    /// OpenShift's default SCC since 4.11, which every authenticated user and service account
    /// may use (cluster role `system:openshift:scc:restricted-v2`, bound to `system:authenticated`).
    static let restrictedV2 = SecurityContextConstraints(name: "restricted-v2")

    /// The SCC that admits exactly `profile`; a key the spec leaves to the platform's default
    /// keeps restricted-v2's setting.
    init(name: String, profile: RuntimeProfile, volumeTypes: Set<String>) {
        self.name = name
        priority = 10
        allowPrivilegedContainer = profile.privileged ?? false
        allowPrivilegeEscalation = profile.privileged == true || profile.noNewPrivileges == false
        readOnlyRootFilesystem = profile.readOnlyRoot ?? false
        if let capabilities = profile.capabilities {
            requiredDropCapabilities = capabilities.drop
            allowedCapabilities = capabilities.add
        }
        allowHostNetwork = profile.hostNetwork ?? false
        allowHostPID = profile.hostPID ?? false
        allowHostIPC = profile.hostIPC ?? false
        // With the host's network every container port is a host port.
        allowHostPorts = allowHostNetwork
        if let user = profile.user {
            runAsUser = .mustRunAs(user)
        } else if let nonRoot = profile.runAsNonRoot {
            runAsUser = nonRoot ? .mustRunAsNonRoot : .runAsAny
        }
        seccompProfiles = [Self.seccompName(profile.seccomp ?? .runtimeDefault)]
        volumes = volumeTypes.isEmpty ? ["none"] : volumeTypes.sorted()
    }

    init(name: String) { self.name = name }

    /// How SCC `seccompProfiles` names a profile.
    static func seccompName(_ profile: SecurityProfile) -> String {
        switch profile {
        case .runtimeDefault: "runtime/default"
        case .unconfined: "unconfined"
        case .localhost(let path): "localhost/\(path)"
        }
    }

    static func seccompProfile(named name: String) -> SecurityProfile? {
        switch name {
        case "runtime/default", "docker/default": .runtimeDefault
        case "unconfined": .unconfined
        default: name.hasPrefix("localhost/") ? .localhost(String(name.dropFirst("localhost/".count))) : nil
        }
    }

    /// The pod as the admission plugin lets it run under this SCC (defaults filled in), or
    /// nil when the SCC refuses it.
    func admit(_ pod: PodSecurity) -> PodSecurity? {
        var pod = pod
        if pod.privileged == true, !allowPrivilegedContainer { return nil }
        if pod.hostNetwork && !allowHostNetwork || pod.hostPID && !allowHostPID || pod.hostIPC && !allowHostIPC { return nil }
        if pod.hostPorts && !allowHostPorts { return nil }
        if !allowedCapabilities.contains("*") {
            guard pod.add.allSatisfy(allowedCapabilities.contains) else { return nil }
        }
        for capability in requiredDropCapabilities {
            guard !pod.add.contains(capability) || capability == "ALL" else { return nil }
            if !pod.drop.contains(capability) { pod.drop.append(capability) }
        }
        switch runAsUser {
        case .mustRunAs(let uid):
            if let user = pod.runAsUser, user != uid { return nil }
            pod.runAsUser = uid
        case .mustRunAsNonRoot:
            if pod.runAsUser == 0 || pod.runAsNonRoot == false { return nil }
            if pod.runAsUser == nil { pod.runAsNonRoot = true }
        case .mustRunAsRange:
            // The namespace's range is only known on the cluster: a fixed UID cannot be
            // promised to fall in it, and an unset one is taken from it (never root).
            if pod.runAsUser != nil { return nil }
            pod.runAsNonRoot = pod.runAsNonRoot ?? true
        case .runAsAny:
            break
        }
        if readOnlyRootFilesystem {
            if pod.readOnlyRootFilesystem == false { return nil }
            pod.readOnlyRootFilesystem = true
        }
        if !allowPrivilegeEscalation {
            if pod.allowPrivilegeEscalation == true { return nil }
            pod.allowPrivilegeEscalation = false
        }
        if !seccompProfiles.contains("*") {
            if let seccomp = pod.seccomp {
                guard seccompProfiles.contains(where: { Self.seccompProfile(named: $0) == seccomp }) else { return nil }
            } else {
                pod.seccomp = seccompProfiles.first.flatMap(Self.seccompProfile(named:))
            }
        }
        if !volumes.contains("*") {
            guard pod.volumeTypes.isSubset(of: Set(volumes)) else { return nil }
        }
        return pod
    }

    /// The SCC the admission plugin picks among `candidates`: by priority (highest first),
    /// then the most restrictive, the first that admits the pod.
    static func admission(of pod: PodSecurity, among candidates: [SecurityContextConstraints]) -> (SecurityContextConstraints, PodSecurity)? {
        let ordered = candidates.sorted { ($0.priority ?? 0, -$0.looseness, $1.name) > ($1.priority ?? 0, -$1.looseness, $0.name) }
        for scc in ordered {
            if let admitted = scc.admit(pod) { return (scc, admitted) }
        }
        return nil
    }

    /// A rough order of how much an SCC allows, for ties in priority (OpenShift's own points
    /// favour the SCC with fewer privileges).
    var looseness: Int {
        var points = 0
        if allowPrivilegedContainer { points += 200_000 }
        if allowHostNetwork || allowHostPID || allowHostIPC { points += 100_000 }
        switch runAsUser {
        case .runAsAny: points += 40_000
        case .mustRunAsNonRoot: points += 30_000
        case .mustRunAsRange: points += 20_000
        case .mustRunAs: points += 10_000
        }
        if allowPrivilegeEscalation { points += 1_000 }
        points += allowedCapabilities.count * 100
        return points
    }
}
