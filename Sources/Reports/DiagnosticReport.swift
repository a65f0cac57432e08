import Diagnostics

/// Diagnostics as every command prints them on standard error: each with its source line and
/// a caret (`DiagnosticRenderer`), then `2 errors, 1 warning generated`.
public enum DiagnosticReport {
    /// Empty when there are no diagnostics.
    public static func text(_ diagnostics: [Diagnostic], sources: SourceFiles) -> String {
        guard !diagnostics.isEmpty else { return "" }
        var out = DiagnosticRenderer(sources: sources).render(diagnostics)
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        var summary: [String] = []
        if errors > 0 { summary.append("\(errors) error\(errors == 1 ? "" : "s")") }
        if warnings > 0 { summary.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
        if !summary.isEmpty { out += summary.joined(separator: ", ") + " generated\n" }
        return out
    }

    /// A command's own error, on one line: `error: MESSAGE`.
    public static func error(_ message: String) -> String { "error: \(message)\n" }
}
