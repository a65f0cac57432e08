import Diagnostics

/// A control a platform may or may not enforce.
public enum Capability: String, Sendable, HashedByCase, CaseIterable, Comparable {
    case workloadSegmentation = "workload segmentation"
    case portFiltering = "port filtering between workloads"
    case externalIngress = "external ingress by address"
    case externalEgress = "external egress by address"
    case dnsEgress = "dns egress"
    case denyRules = "deny rules"
    case runtimeUser = "run as user"
    case privileged = "privileged"
    case readOnlyRoot = "read-only root"
    case noNewPrivileges = "no new privileges"
    case linuxCapabilities = "capabilities"
    case seccomp = "seccomp"
    case apparmor = "apparmor"
    case hostNamespaces = "host namespaces"
    case resourceLimits = "resource limits"
    case secrets = "secrets"
    case rbac = "identity grants"
    case imagePolicy = "image policy"

    /// Position in `allCases`, the order of reports.
    private var rank: Int { Self.allCases.firstIndex(of: self) ?? Self.allCases.count }

    public static func < (lhs: Capability, rhs: Capability) -> Bool { lhs.rank < rhs.rank }
}

/// How far a platform enforces a capability.
public enum Support: String, Sendable, HashedByCase {
    case full, partial, none
}

/// A key of a runtime profile. `name` is the spec's word for it, used in diagnostics and
/// reports; nothing else spells it.
public enum RuntimeKey: String, Sendable, HashedByCase, CaseIterable, Comparable {
    case user
    case runAsNonRoot = "run_as_non_root"
    case privileged
    case readOnlyRoot = "read_only_root"
    case writablePaths = "writable_paths"
    case noNewPrivileges = "no_new_privileges"
    case capabilities
    case seccomp
    case apparmor
    case hostNetwork = "host_network"
    case hostPID = "host_pid"
    case hostIPC = "host_ipc"
    case resources

    /// The key as a spec writes it.
    public var name: String { rawValue }

    /// The control the key belongs to.
    public var capability: Capability {
        switch self {
        case .user, .runAsNonRoot: .runtimeUser
        case .privileged: .privileged
        case .readOnlyRoot, .writablePaths: .readOnlyRoot
        case .noNewPrivileges: .noNewPrivileges
        case .capabilities: .linuxCapabilities
        case .seccomp: .seccomp
        case .apparmor: .apparmor
        case .hostNetwork, .hostPID, .hostIPC: .hostNamespaces
        case .resources: .resourceLimits
        }
    }

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? Self.allCases.count }

    public static func < (lhs: RuntimeKey, rhs: RuntimeKey) -> Bool { lhs.rank < rhs.rank }
}

/// One end of a connection a gap is about.
public enum Endpoint: Sendable, Hashable {
    /// A workload, by name.
    case workload(String)
    /// Every workload of a segment, by the segment's name on the platform (an OpenShift
    /// namespace, say).
    case segment(String)
    /// External peers: addresses and `dns:` names.
    case external(ExternalSet)
    /// Something of the platform's own that the spec does not name (the cluster DNS, the
    /// ingress routers), in words.
    case platform(String)
    /// Several workloads, by name (sorted): one end of a gap that stands for every workload
    /// of the list alike, so that 10,000 workloads reached from one network are one gap.
    case workloads([String])

    /// Several workloads as one endpoint; one workload stays `.workload`.
    public static func workloads(named names: [String]) -> Endpoint {
        names.count == 1 ? .workload(names[0]) : .workloads(names)
    }

    /// How many endpoints of the spec this one stands for: the workloads of a list, else 1.
    public var count: Int {
        if case .workloads(let names) = self { return names.count }
        return 1
    }

    /// The endpoint in words: a name, or the external set's summary.
    public var description: String {
        switch self {
        case .workloads(let names):
            names.count <= 3 ? names.joined(separator: ", ") : "\(names.count) workloads (\(names.prefix(3).joined(separator: ", ")), …)"
        case .workload(let name): name
        case .segment(let name): "segment \(name)"
        case .external(let set): set.summary
        case .platform(let words): words
        }
    }
}

/// Connections from a source to a destination on some ports: a product, never a list of
/// pairs.
public struct Connection: Sendable, Hashable {
    public var source: Endpoint
    public var destination: Endpoint
    public var ports: PortSet

    public init(_ source: Endpoint, _ destination: Endpoint, ports: PortSet) {
        self.source = source
        self.destination = destination
        self.ports = ports
    }

    /// How many (source, destination) pairs of endpoints the connection stands for: the
    /// product of its two ends' counts, computed without listing them.
    public var pairCount: Int { source.count * destination.count }

    /// `web -> api on tcp/9000`, or `between replicas of web on tcp/7000`.
    public var description: String {
        if source == destination, case .workload(let name) = source { return "between replicas of \(name) on \(ports)" }
        return "\(source.description) -> \(destination.description) on \(ports)"
    }

    /// The witness of an assertion as a connection, with workloads named.
    public init(_ witness: Witness, names: [String]) {
        func endpoint(_ peer: Witness.Peer?) -> Endpoint {
            switch peer {
            case .workload(let id)?: .workload(names.indices.contains(id.index) ? names[id.index] : "\(id)")
            case .external(let set)?: .external(set)
            case nil: .platform("?")
            }
        }
        self.init(endpoint(witness.source), endpoint(witness.destination), ports: witness.ports)
    }
}

/// Something a target does not enforce exactly, as data: what kind of difference, the control,
/// the target, what it is about, the platform's reason, and the spec node that asked. Words are
/// made from it when it is rendered (`message`).
public struct Gap: Sendable, Hashable {
    public enum Kind: String, Sendable, HashedByCase, CaseIterable {
        /// The platform allows more than the intent.
        case widened
        /// The platform allows less than the intent.
        case narrowed
        /// A runtime or identity control that is not enforced.
        case unenforced
        /// A connection the compiler adds because the platform needs it.
        case platformRequired = "platform-required"
        /// An `expect` assertion that holds on the intent but not on the target's files.
        case expectationFailed = "expectation failed"
    }

    /// What the gap is about. The cases that carry a connection or two names are held boxed
    /// (`indirect`): a gap is then 104 bytes, not 160, and a copy of one counts one reference
    /// where a connection's endpoints, ports and names each counted theirs. A cloud target's
    /// gaps on a 10,000-workload spec are over 130,000, copied as the list grows.
    public enum Subject: Sendable, Hashable {
        /// Connections (widened, narrowed, or added for the platform).
        indirect case connection(Connection)
        /// A runtime key of a workload.
        case runtime(workload: String, key: RuntimeKey)
        /// The secrets a workload is given.
        case secrets(workload: String)
        /// A grant of a role to an identity.
        indirect case grant(identity: String, role: String)
        /// The spec's `image_policy`.
        case imagePolicy
        /// An `expect` assertion of this kind, with a connection that shows it failing.
        indirect case expectation(Expectation.Kind, witness: Connection)
    }

    public var kind: Kind
    public var capability: Capability
    public var target: TargetName
    public var subject: Subject
    /// Why, in the platform's terms: for connections and expectations the reason alone; for
    /// runtime keys and secrets the sentence after the workload's name; for grants and the
    /// image policy the whole sentence.
    public var reason: String
    public var origin: SourceRange?

    public init(kind: Kind, capability: Capability, target: TargetName, subject: Subject, reason: String, origin: SourceRange?) {
        self.kind = kind
        self.capability = capability
        self.target = target
        self.subject = subject
        self.reason = reason
        self.origin = origin
    }

    /// A runtime key a target does not enforce, under the key's own control.
    public static func runtime(
        _ kind: Kind = .unenforced, target: TargetName, workload: String, key: RuntimeKey, reason: String, origin: SourceRange?
    ) -> Gap {
        Gap(kind: kind, capability: key.capability, target: target, subject: .runtime(workload: workload, key: key), reason: reason, origin: origin)
    }

    /// A gap about a grant of the policy, its identity and role named.
    public static func grant(
        _ kind: Kind, target: TargetName, _ grant: Grant, in policy: Policy, reason: String
    ) -> Gap {
        let (identity, role) = policy.names(of: grant)
        return Gap(kind: kind, capability: .rbac, target: target, subject: .grant(identity: identity, role: role), reason: reason, origin: grant.origin)
    }

    /// The connection, when the gap is about one.
    public var connection: Connection? {
        switch subject {
        case .connection(let connection), .expectation(_, let connection): connection
        default: nil
        }
    }

    /// How many pairs of endpoints its connection stands for (`Connection.pairCount`), 1 for
    /// a gap without one.
    public var pairCount: Int {
        switch subject {
        case .connection(let connection), .expectation(_, let connection): connection.pairCount
        default: 1
        }
    }

    /// The gap in words: `swarm allows web -> api on tcp/1-8999: why`, `web: seccomp …`.
    public var message: String {
        switch subject {
        case .connection where kind != .platformRequired: "\(target.rawValue) \(statement)"
        case .connection, .expectation: "\(target.rawValue): \(statement)"
        case .runtime, .secrets, .grant, .imagePolicy: statement
        }
    }

    /// The gap in words without the target's name: `allows web -> api on tcp/1-8999: why`.
    public var statement: String {
        switch subject {
        case .connection(let connection):
            if kind == .platformRequired { return reason }
            return "\(kind == .narrowed ? "blocks" : "allows") \(connection.description): \(reason)"
        case .runtime(let workload, _), .secrets(let workload):
            return "\(workload): \(reason)"
        case .grant, .imagePolicy:
            return reason
        case .expectation(let expected, let witness):
            let verdict = expected == .allow ? "is blocked" : "is allowed"
            return "expect \(expected.rawValue) fails: \(Self.abbreviated(witness)) \(verdict) on \(target.rawValue)"
        }
    }

    /// A witness with long address lists cut to 80 characters.
    static func abbreviated(_ connection: Connection) -> String {
        func side(_ endpoint: Endpoint) -> String {
            let text = endpoint.description
            guard case .external = endpoint, text.count > 80 else { return text }
            return String(text.prefix(77)) + "..."
        }
        return "\(side(connection.source)) -> \(side(connection.destination)) on \(connection.ports)"
    }
}
