import Diagnostics
import IR

/// The `swarm` target's options, typed.
public struct SwarmOptions: BackendOptions {
    /// How a service's ports are published.
    public enum PublishMode: String, Sendable, CaseIterable {
        /// Through the routing mesh: every node forwards the port to some task.
        case ingress
        /// On the nodes that run a task, to that task.
        case host
    }

    public static let specs = [
        OptionSpec(name: "encrypt_networks", summary: "encrypt overlay traffic (IPsec) on every network", defaultValue: "true", kind: .boolean),
        OptionSpec(
            name: "publish_mode", summary: "how ports are published: ingress (routing mesh) or host", defaultValue: "ingress",
            kind: .choice(PublishMode.allCases.map(\.rawValue))),
        OutputMode.spec,
    ]

    public var gaps: GapPolicy
    /// Whether every overlay network encrypts its traffic (IPsec).
    public var encryptNetworks: Bool
    public var publishMode: PublishMode
    /// `complete`: `stack.yaml`, the whole stack; `overlay`: `security.yaml`, a compose
    /// override file holding only what Palisade decides, deployed after the application's own
    /// file (`docker stack deploy -c app.yaml -c security.yaml`).
    public var output: OutputMode

    public init(_ options: TargetOptions, reading reader: inout OptionReader) {
        gaps = options.gaps
        encryptNetworks = reader.boolean("encrypt_networks", default: true)
        publishMode = reader.choice("publish_mode", default: PublishMode.ingress)
        output = reader.choice("output", default: OutputMode.complete)
    }
}
