import Diagnostics
import IR

/// The `aws` target's options, typed.
public struct AWSOptions: BackendOptions {
    public static let specs = [OptionSpec(name: "vpc_id", summary: "default of the template's VpcId parameter", defaultValue: nil)]

    public var gaps: GapPolicy
    /// Where the spec gives the target's options (or the policy, when it gives none): what
    /// a template too large for CloudFormation is reported at.
    public var origin: SourceRange
    /// The default of the template's `VpcId` parameter; nil: the template has none, and
    /// whoever deploys it names the VPC.
    public var vpcID: String?

    public init(_ options: TargetOptions, reading reader: inout OptionReader) {
        gaps = options.gaps
        origin = options.origin
        vpcID = reader.string("vpc_id", default: nil) { text in
            text.hasPrefix("vpc-") && text.dropFirst(4).allSatisfy(\.isHexDigit) && text.count > 4 ? nil : "a VPC id is vpc- followed by hex digits"
        }
    }
}
