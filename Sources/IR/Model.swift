import Diagnostics

/// The normalized policy every backend reads: names resolved, defaults applied, the intent
/// computed. Every element keeps the `origin` of the spec node it came from.
public struct Policy: Sendable {
    public var name: String
    public var description: String?
    /// The top-level spec file and every file it includes, in load order.
    public var files: [String]
    /// A stable hash of the files' contents, for generated-file headers.
    public var contentHash: String
    public var segments: [Segment]
    public var networks: [Network]
    public var portSets: [NamedPortSet]
    public var identities: [Identity]
    public var roles: [Role]
    public var grants: [Grant]
    public var secrets: [Secret]
    public var workloads: [Workload]
    public var flows: [Flow]
    public var intent: Relation
    public var imagePolicy: ImagePolicy?
    public var expectations: [Expectation]
    public var targets: [TargetOptions]
    public var lint: LintConfig
    /// Where the policy's name is written: findings about the spec as a whole point here.
    public var origin: SourceRange = .wholeFile("")
    /// `fidelity: strict`: every gap of every target is an error, as with `compile --strict`.
    public var strictFidelity = false

    public init(
        name: String, description: String?, files: [String], contentHash: String, segments: [Segment],
        networks: [Network], portSets: [NamedPortSet], identities: [Identity], roles: [Role], grants: [Grant],
        secrets: [Secret], workloads: [Workload], flows: [Flow], intent: Relation, imagePolicy: ImagePolicy?,
        expectations: [Expectation], targets: [TargetOptions], lint: LintConfig
    ) {
        self.name = name
        self.description = description
        self.files = files
        self.contentHash = contentHash
        self.segments = segments
        self.networks = networks
        self.portSets = portSets
        self.identities = identities
        self.roles = roles
        self.grants = grants
        self.secrets = secrets
        self.workloads = workloads
        self.flows = flows
        self.intent = intent
        self.imagePolicy = imagePolicy
        self.expectations = expectations
        self.targets = targets
        self.lint = lint
    }

    /// The workload with this name (the first, were there several). The front end lists
    /// workloads sorted by name, so it is found by halving; a policy listed otherwise (made by
    /// hand) is searched in order when halving misses. A scan per lookup made every caller that
    /// looks up each workload (diff, the readers) quadratic in the workloads.
    public func workload(named name: String) -> Workload? {
        var low = 0
        var high = workloads.count
        while low < high {
            let middle = (low + high) / 2
            if workloads[middle].name < name { low = middle + 1 } else { high = middle }
        }
        if low < workloads.count, workloads[low].name == name { return workloads[low] }
        return workloads.first { $0.name == name }
    }

    /// The spec's files as generated files name them: relative to the top-level file's folder
    /// (`shop.yaml`, `common/base.yaml`), so that every spelling of the spec's path on the
    /// command line gives the same bytes.
    public var sourceNames: [String] {
        guard let top = files.first else { return [] }
        let folder = top.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let prefix = folder.isEmpty ? "" : folder + "/"
        return files.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
    }

    /// An identity of the policy.
    public func identity(_ id: IdentityID) -> Identity { identities[id.index] }

    /// A role of the policy.
    public func role(_ id: RoleID) -> Role { roles[id.index] }

    /// The names of a grant's identity and role.
    public func names(of grant: Grant) -> (identity: String, role: String) {
        (identity(grant.identity).name, role(grant.role).name)
    }

    /// The identity with this name.
    public func identityID(named name: String) -> IdentityID? { identities.firstIndex { $0.name == name }.map(IdentityID.init) }

    /// The options given for a target, when the spec has any.
    public func options(for target: TargetName) -> TargetOptions? { targets.first { $0.target == target } }
}

/// Index of a workload in `Policy.workloads`.
public struct WorkloadID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (lhs: WorkloadID, rhs: WorkloadID) -> Bool { lhs.index < rhs.index }
    public var description: String { "#\(index)" }

    /// The hash dictionaries and sets take (`QuickHash`): relations key millions of lookups by
    /// workload.
    public func _rawHashValue(seed: Int) -> Int { QuickHash.mix(UInt64(truncatingIfNeeded: index), seed: seed) }
}

/// Index of a segment in `Policy.segments`.
public struct SegmentID: Sendable, Hashable, Comparable {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (lhs: SegmentID, rhs: SegmentID) -> Bool { lhs.index < rhs.index }
}

/// Index of an identity in `Policy.identities` (sorted by name).
public struct IdentityID: Sendable, Hashable, Comparable {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (lhs: IdentityID, rhs: IdentityID) -> Bool { lhs.index < rhs.index }
}

/// Index of a role in `Policy.roles` (sorted by name).
public struct RoleID: Sendable, Hashable, Comparable {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (lhs: RoleID, rhs: RoleID) -> Bool { lhs.index < rhs.index }
}

/// A key and value passed through to platforms that have labels.
public struct Label: Sendable, Hashable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// An isolation unit: an OpenShift project, a Marathon group, a set of Swarm networks.
public struct Segment: Sendable, Hashable {
    public var name: String
    public var description: String?
    public var labels: [Label]
    /// True for the segment a spec without `segments` gets, named after the policy.
    public var implied: Bool
    public var workloads: [WorkloadID]
    public var origin: SourceRange

    public init(name: String, description: String?, labels: [Label], implied: Bool, workloads: [WorkloadID], origin: SourceRange) {
        self.name = name
        self.description = description
        self.labels = labels
        self.implied = implied
        self.workloads = workloads
        self.origin = origin
    }
}

/// A named set of external addresses.
public struct Network: Sendable, Hashable {
    public var name: String
    public var members: ExternalSet
    public var origin: SourceRange

    public init(name: String, members: ExternalSet, origin: SourceRange) {
        self.name = name
        self.members = members
        self.origin = origin
    }
}

/// A named set of ports.
public struct NamedPortSet: Sendable, Hashable {
    public var name: String
    public var ports: PortSet
    public var origin: SourceRange

    public init(name: String, ports: PortSet, origin: SourceRange) {
        self.name = name
        self.ports = ports
        self.origin = origin
    }
}

public enum IdentityKind: String, Sendable, HashedByCase, CaseIterable {
    case service, user, group
}

/// A principal: a service identity workloads run as, or a user or group granted roles.
public struct Identity: Sendable, Hashable {
    public var name: String
    public var kind: IdentityKind
    public var description: String?
    /// True for the service identity a workload without `identity:` gets.
    public var implied: Bool
    public var origin: SourceRange

    public init(name: String, kind: IdentityKind, description: String?, implied: Bool, origin: SourceRange) {
        self.name = name
        self.kind = kind
        self.description = description
        self.implied = implied
        self.origin = origin
    }
}

/// The neutral actions a role bundles.
public enum Action: String, Sendable, HashedByCase, CaseIterable, Comparable {
    case view, logs, deploy, exec, secrets, admin

    /// `admin` stands for every other action.
    public var expanded: [Action] { self == .admin ? Action.allCases : [self] }

    public static func < (lhs: Action, rhs: Action) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

public struct Role: Sendable, Hashable {
    public var name: String
    /// The actions as written, sorted.
    public var actions: [Action]
    public var origin: SourceRange

    public init(name: String, actions: [Action], origin: SourceRange) {
        self.name = name
        self.actions = actions
        self.origin = origin
    }

    /// Every action the role allows, `admin` expanded.
    public var effectiveActions: Set<Action> { Set(actions.flatMap(\.expanded)) }
}

/// An identity holding a role in some segments.
public struct Grant: Sendable, Hashable {
    public var identity: IdentityID
    public var role: RoleID
    public var segments: [SegmentID]
    /// True when the spec said `segments: all`.
    public var allSegments: Bool
    public var allowService: Bool
    public var origin: SourceRange

    public init(identity: IdentityID, role: RoleID, segments: [SegmentID], allSegments: Bool, allowService: Bool, origin: SourceRange) {
        self.identity = identity
        self.role = role
        self.segments = segments
        self.allSegments = allSegments
        self.allowService = allowService
        self.origin = origin
    }
}

public struct Secret: Sendable, Hashable {
    public var name: String
    public var description: String?
    public var origin: SourceRange

    public init(name: String, description: String?, origin: SourceRange) {
        self.name = name
        self.description = description
        self.origin = origin
    }
}

/// An OCI image reference as Docker parses it.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// The text as written.
    public var text: String
    /// The registry host (and port), `docker.io` when the reference names none.
    public var registry: String
    /// The repository path within the registry (`library/nginx` for `nginx`).
    public var path: String
    public var tag: String?
    /// `sha256:<64 hex>`.
    public var digest: String?

    public init(text: String, registry: String, path: String, tag: String?, digest: String?) {
        self.text = text
        self.registry = registry
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    public var description: String { text }
}

/// What runs: an image in a segment, as a service identity, listening on ports.
public struct Workload: Sendable, Hashable {
    public var id: WorkloadID
    public var name: String
    public var segment: SegmentID
    public var image: ImageReference
    /// The service identity it runs as.
    public var identity: IdentityID
    public var replicas: Int
    /// What it listens on; it receives connections on nothing else.
    public var listens: PortSet
    public var secrets: [String]
    /// The runtime profile merged over `defaults.runtime`.
    public var runtime: RuntimeProfile
    public var labels: [Label]
    public var description: String?
    public var origin: SourceRange
    /// Where the image reference is written.
    public var imageOrigin: SourceRange

    public init(
        id: WorkloadID, name: String, segment: SegmentID, image: ImageReference, identity: IdentityID, replicas: Int,
        listens: PortSet, secrets: [String], runtime: RuntimeProfile, labels: [Label], description: String?, origin: SourceRange,
        imageOrigin: SourceRange? = nil
    ) {
        self.id = id
        self.name = name
        self.segment = segment
        self.image = image
        self.identity = identity
        self.replicas = replicas
        self.listens = listens
        self.secrets = secrets
        self.runtime = runtime
        self.labels = labels
        self.description = description
        self.origin = origin
        self.imageOrigin = imageOrigin ?? origin
    }
}

/// A seccomp or AppArmor profile.
public enum SecurityProfile: Sendable, Hashable, CustomStringConvertible {
    case runtimeDefault
    case unconfined
    /// A profile installed on the node: a path (seccomp) or a profile name (AppArmor).
    case localhost(String)

    public var description: String {
        switch self {
        case .runtimeDefault: "runtime-default"
        case .unconfined: "unconfined"
        case .localhost(let name): "localhost/\(name)"
        }
    }
}

/// Linux capabilities to add and drop, upper case without `CAP_`.
public struct Capabilities: Sendable, Hashable {
    public var add: [String]
    public var drop: [String]
    public init(add: [String], drop: [String]) {
        self.add = add
        self.drop = drop
    }
}

/// Resource limits.
public struct Resources: Sendable, Hashable {
    /// CPU in thousandths of a core (`500m` is 500, `2` is 2000).
    public var cpuMillis: Int?
    /// Memory in bytes.
    public var memoryBytes: Int?
    /// The memory quantity as written (`256Mi`), for platforms that take the same notation.
    public var memoryText: String?
    public var pids: Int?

    public init(cpuMillis: Int? = nil, memoryBytes: Int? = nil, memoryText: String? = nil, pids: Int? = nil) {
        self.cpuMillis = cpuMillis
        self.memoryBytes = memoryBytes
        self.memoryText = memoryText
        self.pids = pids
    }
}

/// The runtime constraints of a workload. A nil field means "the platform's default".
public struct RuntimeProfile: Sendable, Hashable {
    public var user: Int?
    public var runAsNonRoot: Bool?
    public var privileged: Bool?
    public var readOnlyRoot: Bool?
    public var writablePaths: [String]?
    public var noNewPrivileges: Bool?
    public var capabilities: Capabilities?
    public var seccomp: SecurityProfile?
    public var apparmor: SecurityProfile?
    public var hostNetwork: Bool?
    public var hostPID: Bool?
    public var hostIPC: Bool?
    public var resources: Resources?
    /// Where each key was set (in the workload, or in `defaults.runtime`).
    public var origins: [RuntimeKey: SourceRange]

    public init(
        user: Int? = nil, runAsNonRoot: Bool? = nil, privileged: Bool? = nil, readOnlyRoot: Bool? = nil,
        writablePaths: [String]? = nil, noNewPrivileges: Bool? = nil, capabilities: Capabilities? = nil,
        seccomp: SecurityProfile? = nil, apparmor: SecurityProfile? = nil, hostNetwork: Bool? = nil,
        hostPID: Bool? = nil, hostIPC: Bool? = nil, resources: Resources? = nil, origins: [RuntimeKey: SourceRange] = [:]
    ) {
        self.user = user
        self.runAsNonRoot = runAsNonRoot
        self.privileged = privileged
        self.readOnlyRoot = readOnlyRoot
        self.writablePaths = writablePaths
        self.noNewPrivileges = noNewPrivileges
        self.capabilities = capabilities
        self.seccomp = seccomp
        self.apparmor = apparmor
        self.hostNetwork = hostNetwork
        self.hostPID = hostPID
        self.hostIPC = hostIPC
        self.resources = resources
        self.origins = origins
    }

    /// This profile's keys over `base`'s: a key set here replaces the same key of `base`
    /// whole (docs/language.md, "Runtime profiles and defaults": merged over defaults.runtime key by key).
    public func merged(over base: RuntimeProfile) -> RuntimeProfile {
        RuntimeProfile(
            user: user ?? base.user, runAsNonRoot: runAsNonRoot ?? base.runAsNonRoot,
            privileged: privileged ?? base.privileged, readOnlyRoot: readOnlyRoot ?? base.readOnlyRoot,
            writablePaths: writablePaths ?? base.writablePaths, noNewPrivileges: noNewPrivileges ?? base.noNewPrivileges,
            capabilities: capabilities ?? base.capabilities, seccomp: seccomp ?? base.seccomp,
            apparmor: apparmor ?? base.apparmor, hostNetwork: hostNetwork ?? base.hostNetwork,
            hostPID: hostPID ?? base.hostPID, hostIPC: hostIPC ?? base.hostIPC,
            resources: resources ?? base.resources,
            origins: base.origins.merging(origins) { _, own in own })
    }
}

/// One side of a flow or expectation: workloads, and external peers.
public struct Endpoints: Sendable, Hashable {
    /// Sorted, without repeats.
    public var workloads: [WorkloadID]
    public var external: ExternalSet

    public init(workloads: [WorkloadID] = [], external: ExternalSet = .empty) {
        self.workloads = workloads.count <= 1 ? workloads : Array(Set(workloads)).sorted()
        self.external = external
    }

    public var isEmpty: Bool { workloads.isEmpty && external.isEmpty }
}

public enum FlowAction: String, Sendable, HashedByCase {
    case allow, deny
}

/// An allow or deny rule of the spec, resolved.
public struct Flow: Sendable, Hashable {
    public var index: Int
    public var name: String?
    public var description: String?
    public var action: FlowAction
    public var sources: Endpoints
    public var destinations: Endpoints
    /// Destination ports, as written (before clipping to what workloads listen on).
    public var ports: PortSet
    public var origin: SourceRange

    public init(
        index: Int, name: String?, description: String?, action: FlowAction, sources: Endpoints,
        destinations: Endpoints, ports: PortSet, origin: SourceRange
    ) {
        self.index = index
        self.name = name
        self.description = description
        self.action = action
        self.sources = sources
        self.destinations = destinations
        self.ports = ports
        self.origin = origin
    }

    /// `name` when it has one, else `flow #N` (1-based, in spec order).
    public var label: String { name ?? "flow #\(index + 1)" }
}

public struct ImagePolicy: Sendable, Hashable {
    public var requireDigest: Bool
    /// `host[:port][/path-prefix]` entries.
    public var allowedRegistries: [String]
    public var origin: SourceRange

    public init(requireDigest: Bool, allowedRegistries: [String], origin: SourceRange) {
        self.requireDigest = requireDigest
        self.allowedRegistries = allowedRegistries
        self.origin = origin
    }
}

/// A reachability assertion.
public struct Expectation: Sendable, Hashable {
    public enum Kind: String, Sendable, HashedByCase { case allow, deny }

    public var kind: Kind
    public var sources: Endpoints
    public var destinations: Endpoints
    public var ports: PortSet
    /// The targets the assertion speaks for; nil for every target. It always holds on the
    /// intent.
    public var targets: [TargetName]?
    public var origin: SourceRange

    public init(kind: Kind, sources: Endpoints, destinations: Endpoints, ports: PortSet, origin: SourceRange) {
        self.kind = kind
        self.sources = sources
        self.destinations = destinations
        self.ports = ports
        self.origin = origin
    }
}

/// The targets Palisade compiles to.
public enum TargetName: String, Sendable, HashedByCase, CaseIterable, Comparable {
    case openshift, swarm, mesos, aws, gcp, azure
    case kubernetes
    case nftables

    public static func < (lhs: TargetName, rhs: TargetName) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What a backend does with a connection it cannot express exactly.
public enum GapPolicy: String, Sendable, HashedByCase, CaseIterable {
    /// The nearest wider rule, reported as an over-approximation.
    case widen
    /// Nothing, reported as an under-approximation.
    case narrow
}

/// A target option value, typed the way YAML wrote it, with its place in the spec.
public indirect enum OptionValue: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case list([Located<OptionValue>])
    case map([OptionEntry])
}

/// A value and the range of the spec node it came from.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    public var value: Value
    public var range: SourceRange

    public init(_ value: Value, at range: SourceRange) {
        self.value = value
        self.range = range
    }
}

public struct OptionEntry: Sendable, Hashable {
    public var key: Located<String>
    public var value: Located<OptionValue>

    public init(key: Located<String>, value: Located<OptionValue>) {
        self.key = key
        self.value = value
    }
}

/// The options a spec gives one target; backends validate `options` themselves.
public struct TargetOptions: Sendable, Hashable {
    public var target: TargetName
    public var gaps: GapPolicy
    /// Every option but `gaps`, in spec order.
    public var options: [OptionEntry]
    public var origin: SourceRange

    public init(target: TargetName, gaps: GapPolicy, options: [OptionEntry], origin: SourceRange) {
        self.target = target
        self.gaps = gaps
        self.options = options
        self.origin = origin
    }

    public func option(_ key: String) -> OptionEntry? { options.first { $0.key.value == key } }
}

public struct LintIgnore: Sendable, Hashable {
    public var rule: String
    /// A reference such as `workload:db`, as written.
    public var subject: String
    public var reason: String
    public var origin: SourceRange

    public init(rule: String, subject: String, reason: String, origin: SourceRange) {
        self.rule = rule
        self.subject = subject
        self.reason = reason
        self.origin = origin
    }
}

public struct LintConfig: Sendable, Hashable {
    public var disable: [Located<String>]
    public var ignore: [LintIgnore]
    /// CIDRs with a shorter prefix than this are "overly broad" (lint rule PAL407).
    public var minimumIPv4Prefix: Int
    public var minimumIPv6Prefix: Int

    public init(disable: [Located<String>] = [], ignore: [LintIgnore] = [], minimumIPv4Prefix: Int = 16, minimumIPv6Prefix: Int = 32) {
        self.disable = disable
        self.ignore = ignore
        self.minimumIPv4Prefix = minimumIPv4Prefix
        self.minimumIPv6Prefix = minimumIPv6Prefix
    }
}
