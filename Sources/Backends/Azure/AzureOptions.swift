import Diagnostics
import IR

/// The `azure` target's options, typed.
public struct AzureOptions: BackendOptions {
    static let defaultLocation = "[resourceGroup().location]"

    public static let specs = [
        OptionSpec(name: "location", summary: "default of the template's location parameter", defaultValue: defaultLocation),
        OptionSpec.choice("format", summary: "the files written: an ARM template, or Terraform/OpenTofu JSON configuration", default: Format.arm),
    ]

    /// The form the security groups are written in; both lower from the same `AzurePlan`.
    public enum Format: String, CaseIterable, Sendable {
        /// `nsg.json` (and its numbered parts): an ARM template.
        case arm
        /// `main.tf.json`: `azurerm_*` resources, for Terraform and OpenTofu.
        case terraform
    }

    /// The form of the files: ARM (the default) or Terraform JSON.
    public var format: Format

    public var gaps: GapPolicy
    /// Where the spec gives the target's options (or the policy, when it gives none): what
    /// a template too large for ARM is reported at.
    public var origin: SourceRange
    /// The default of the template's `location` parameter: an Azure region (`westeurope`),
    /// or by default the resource group's.
    public var location: String

    public init(_ options: TargetOptions, reading reader: inout OptionReader) {
        gaps = options.gaps
        origin = options.origin
        location =
            reader.string("location", default: nil) { text in
                let valid = text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) } && !text.isEmpty
                return valid ? nil : "an Azure location is lower-case letters and digits, like westeurope"
            } ?? Self.defaultLocation
        format = reader.choice("format", default: Format.arm)
    }
}
