/// The machine-readable reports' formats and their version: each JSON report names its format
/// and version, and its JSON Schema says what a consumer may rely on.
public enum ReportSchemas {
    /// Raised when a report's shape changes incompatibly (a field removed, renamed or retyped).
    public static let version = 1

    /// The JSON reports with a published schema.
    public enum Report: String, Sendable, CaseIterable {
        case compare, diff, explain

        /// The value of the report's `format` field.
        public var format: String { "palisade-\(rawValue)" }
    }
}
