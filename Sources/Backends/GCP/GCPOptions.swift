import Diagnostics
import Foundation
import IR

/// The `gcp` target's options, typed.
public struct GCPOptions: BackendOptions {
    static let defaultNetwork = "global/networks/default"
    static let defaultPrefix = "pal-"
    static let defaultInternalRanges = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"

    public static let specs = [
        OptionSpec(name: "network", summary: "the VPC network the rules belong to", defaultValue: defaultNetwork),
        OptionSpec(name: "project", summary: "the project of the identities' service accounts", defaultValue: "POLICY"),
        OptionSpec(name: "service_account_prefix", summary: "service account ids are PREFIX + identity", defaultValue: defaultPrefix),
        OptionSpec(name: "internal_ranges", summary: "comma-separated VPC ranges egress between workloads goes to", defaultValue: defaultInternalRanges),
        OptionSpec.choice(
            "format", summary: "the files written: a JSON list of compute v1 Firewall resources, or Terraform/OpenTofu JSON configuration", default: Format.json
        ),
    ]

    /// The form the firewall rules are written in; both lower from the same `GCPPlan`.
    public enum Format: String, CaseIterable, Sendable {
        /// `firewall-rules.json`: compute v1 `Firewall` resources.
        case json
        /// `main.tf.json`: one `google_compute_firewall` per rule, for Terraform and OpenTofu.
        case terraform
    }

    /// The form of the files: the JSON rule list (the default) or Terraform JSON.
    public var format: Format

    public var gaps: GapPolicy
    /// Where the spec gives the target's options (or the policy, when it gives none).
    public var origin: SourceRange
    /// The VPC network the rules belong to: `global/networks/NAME` or a full URL.
    public var network: String
    /// The project of the identities' service accounts; nil: the policy's name.
    public var project: String?
    /// Service account ids are this prefix and the identity's name.
    public var serviceAccountPrefix: String
    /// The VPC's ranges: traffic between workloads leaves its source through them.
    public var internalRanges: [CIDR]

    /// Why a network is not one GCP names: `global/networks/NAME`, optionally behind
    /// `projects/PROJECT/` or the compute API's URL, NAME an RFC 1035 label of at most 63.
    static func networkProblem(_ text: String) -> String? {
        let usage = "a network is global/networks/NAME (or projects/PROJECT/global/networks/NAME, or its full URL)"
        var rest = Substring(text)
        for prefix in ["https://www.googleapis.com/compute/v1/", "https://compute.googleapis.com/compute/v1/"] where rest.hasPrefix(prefix) {
            rest = rest.dropFirst(prefix.count)
        }
        var parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        if parts.first == "projects" {
            guard parts.count >= 2, isDNSLabelLike(String(parts[1]), 6...30) else { return usage }
            parts.removeFirst(2)
        }
        guard parts.count == 3, parts[0] == "global", parts[1] == "networks" else { return usage }
        guard isDNSLabelLike(String(parts[2]), 1...63) else {
            return "the network name '\(parts[2])' is not 1-63 lower-case letters, digits and '-', starting with a letter"
        }
        return nil
    }

    public init(_ options: TargetOptions, reading reader: inout OptionReader) {
        gaps = options.gaps
        origin = options.origin
        network = reader.string("network", default: Self.defaultNetwork) { Self.networkProblem($0) } ?? Self.defaultNetwork
        project = reader.string("project", default: nil) { isDNSLabelLike($0, 6...30) ? nil : "a project id is 6-30 lower-case letters, digits and '-'" }
        serviceAccountPrefix =
            reader.string("service_account_prefix", default: Self.defaultPrefix) { prefix in
                guard prefix.count <= 10 else { return "at most 10 characters" }
                return prefix.isEmpty || isDNSLabelLike(prefix + "a", 1...63) ? nil : "a prefix is lower-case letters, digits and '-', starting with a letter"
            }
            ?? Self.defaultPrefix
        let text =
            reader.string("internal_ranges", default: Self.defaultInternalRanges) { text in
                text.split(separator: ",").allSatisfy(Self.isCIDR) ? nil : "a comma-separated list of CIDRs"
            } ?? Self.defaultInternalRanges
        format = reader.choice("format", default: Format.json)
        internalRanges = text.split(separator: ",").compactMap { part in
            if case .valid(let cidr) = CIDR.parse(part.trimmingCharacters(in: .whitespaces)) { cidr } else { nil }
        }
    }

    static func isCIDR(_ text: Substring) -> Bool {
        if case .valid = CIDR.parse(text.trimmingCharacters(in: .whitespaces)) { true } else { false }
    }

    /// The id of an identity's service account.
    func accountID(_ identity: String) -> String { serviceAccountPrefix + identity }

    /// The email of an identity's service account, in the policy's project unless one is set.
    func serviceAccount(_ identity: String, policy: Policy) -> String {
        "\(accountID(identity))@\(project ?? policy.name).iam.gserviceaccount.com"
    }
}
