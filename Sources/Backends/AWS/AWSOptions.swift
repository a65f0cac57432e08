import Diagnostics
import IR

/// The `aws` target's options, typed.
public struct AWSOptions: BackendOptions {
    public static let specs = [
        OptionSpec(name: "vpc_id", summary: "default of the template's VpcId parameter", defaultValue: nil),
        OptionSpec(
            name: "groups_per_eni", summary: "security groups one network interface takes (the VPC quota, 5 by default, adjustable to 16)",
            defaultValue: "\(defaultGroupsPerENI)", kind: .integer(groupsPerENIRange)),
        OptionSpec.choice(
            "format", summary: "the files written: a CloudFormation template, or Terraform/OpenTofu JSON configuration", default: Format.cloudformation),
    ]

    /// The form the security groups are written in; both lower from the same `AWSPlan`.
    public enum Format: String, CaseIterable, Sendable {
        /// `security-groups.json` (and its numbered parts): a CloudFormation template.
        case cloudformation
        /// `main.tf.json`: Terraform's JSON configuration syntax, for Terraform and OpenTofu.
        case terraform
    }

    /// The VPC quota of security groups per network interface: 5 by default, adjustable up
    /// to 16 (its product with the rules per group may not exceed 1,000).
    public static let defaultGroupsPerENI = 5
    public static let groupsPerENIRange = 1...16

    public var gaps: GapPolicy
    /// Where the spec gives the target's options (or the policy, when it gives none): what
    /// a template too large for CloudFormation is reported at.
    public var origin: SourceRange
    /// The default of the template's `VpcId` parameter; nil: the template has none, and
    /// whoever deploys it names the VPC.
    public var vpcID: String?
    /// How many security groups a workload's network interface may take: an identity whose
    /// rules exceed one group's quota spreads them over up to this many groups.
    public var groupsPerENI: Int
    /// The form of the files: CloudFormation (the default) or Terraform JSON.
    public var format: Format

    public init(_ options: TargetOptions, reading reader: inout OptionReader) {
        gaps = options.gaps
        origin = options.origin
        vpcID = reader.string("vpc_id", default: nil) { text in
            text.hasPrefix("vpc-") && text.dropFirst(4).allSatisfy(\.isHexDigit) && text.count > 4 ? nil : "a VPC id is vpc- followed by hex digits"
        }
        groupsPerENI = reader.integer("groups_per_eni", in: Self.groupsPerENIRange, default: Self.defaultGroupsPerENI)
        format = reader.choice("format", default: Format.cloudformation)
    }
}
