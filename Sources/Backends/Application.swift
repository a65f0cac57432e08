import Diagnostics
import IR

/// How a target writes its decisions: whole platform files that carry nothing but what
/// Palisade decides (`complete`), or a layer the platform's own merge applies onto the
/// application team's files (`overlay`: a compose override file, a kustomize component).
public enum OutputMode: String, Sendable, CaseIterable {
    case complete
    case overlay

    /// The `output` option, for the targets that have both modes.
    public static let spec = OptionSpec.choice(
        "output",
        summary: "complete: whole platform files; overlay: only what Palisade decides, merged onto the application's own files by the platform's tool",
        default: OutputMode.complete)
}

/// One file of the application team's own deployment for a target (their compose file, their
/// Deployments, their Marathon group), as `--apply-to` or `--with` named it: `path` is the
/// path the user gave for a file, or the path relative to the folder they gave.
public typealias ApplicationFile = OutputFile

/// A field of the application's files that Palisade set to another value because the team's
/// value contradicted the spec (`privileged: true` where the spec says false).
public struct Override: Sendable, Hashable {
    /// Where the team's value stands in their file.
    public var origin: SourceRange?
    /// What the field belongs to, in the platform's words: `service web`, `Deployment shop-app/web`.
    public var subject: String
    /// The field's path in the file: `services.web.cap_add`, `spec.template.spec.hostNetwork`.
    public var field: String
    /// The team's value, and Palisade's, as written in the file's format.
    public var application: String
    public var palisade: String

    public init(origin: SourceRange?, subject: String, field: String, application: String, palisade: String) {
        self.origin = origin
        self.subject = subject
        self.field = field
        self.application = application
        self.palisade = palisade
    }

    /// `service web: privileged was true, now false`.
    public var message: String { "\(subject): \(field) was \(application), now \(palisade)" }
}

/// What `--apply-to` produces: the application's files with Palisade's fields set (every other
/// field kept, under their own paths), Palisade's own files that go with them (ACLs, policy
/// objects), the gaps as `emit` reports them, and the fields overridden.
public struct Application: Sendable {
    public var emission: Emission
    public var overrides: [Override]

    public init(emission: Emission, overrides: [Override] = []) {
        self.emission = emission
        self.overrides = overrides
    }
}

/// What the platform deploys from the application's files together with Palisade's, read
/// back: the relation and controls it enforces, and the gaps the application's own files open
/// (extra published ports, host networking, added capabilities), located in those files.
public struct Deployment: Sendable {
    public var readBack: ReadBack
    public var gaps: [Gap]

    public init(readBack: ReadBack, gaps: [Gap] = []) {
        self.readBack = readBack
        self.gaps = gaps
    }
}

/// A backend that applies its decisions onto the application team's own files.
public protocol ApplicationBackend: Backend {
    /// `compile --apply-to`: the application's files hardened. A workload of the spec that the
    /// files lack, or a file that is not the platform's format, is a `BackendError` located in
    /// the spec or in the file.
    func apply(_ policy: Policy, with options: Options, to application: [ApplicationFile]) throws -> Application
    /// `compare --with`, `explain --with`: what the platform deploys from `application` and
    /// `files` (this backend's emission for `policy` in the mode `options` choose), merged as
    /// the platform's own tool merges them.
    func deployment(_ files: [OutputFile], application: [ApplicationFile], policy: Policy, with options: Options) throws -> Deployment
}

extension ApplicationBackend {
    /// `apply` from the spec's raw options.
    public func apply(_ policy: Policy, options: TargetOptions, to application: [ApplicationFile]) throws -> Application {
        try apply(policy, with: Options.parse(options).options, to: application)
    }

    /// `deployment` from the spec's raw options.
    public func deployment(_ files: [OutputFile], application: [ApplicationFile], policy: Policy, options: TargetOptions) throws -> Deployment {
        try deployment(files, application: application, policy: policy, with: Options.parse(options).options)
    }
}
