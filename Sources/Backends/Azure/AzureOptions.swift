import Diagnostics
import IR

/// The `azure` target's options, typed.
public struct AzureOptions: BackendOptions {
    static let defaultLocation = "[resourceGroup().location]"

    public static let specs = [OptionSpec(name: "location", summary: "default of the template's location parameter", defaultValue: defaultLocation)]

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
    }
}
