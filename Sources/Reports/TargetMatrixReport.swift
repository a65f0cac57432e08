import Analysis
import Backends
import IR
import YAML

/// `palisade targets` rendered: aligned text, a Markdown table (the README carries the same
/// one), or JSON.
public enum TargetMatrixReport {
    static func mark(_ support: Support?) -> String {
        switch support {
        case .full?: "yes"
        case .partial?: "partial"
        case .none?, nil: "no"
        }
    }

    /// A Markdown table, controls by targets; the README carries the same table.
    public static func markdown(_ matrix: TargetMatrix) -> String {
        var out = MarkdownTable.row(["control"] + matrix.columns.map(\.target.rawValue))
        out += MarkdownTable.separator(columns: matrix.columns.count + 1)
        for capability in matrix.capabilities {
            out += MarkdownTable.row([capability.rawValue] + matrix.columns.map { mark($0.capabilities[capability]) })
        }
        return out
    }

    /// Aligned columns, then each target's options.
    public static func text(_ matrix: TargetMatrix) -> String {
        let width = matrix.capabilities.map(\.rawValue.count).max() ?? 0
        let table = TextTable(widths: [width + 2] + matrix.columns.map { max($0.target.rawValue.count, 7) + 2 })
        var output = table.row(["control"] + matrix.columns.map(\.target.rawValue))
        for capability in matrix.capabilities {
            output += table.row([capability.rawValue] + matrix.columns.map { mark($0.capabilities[capability]) })
        }
        for column in matrix.columns {
            output += "\n\(column.target.rawValue) options (and gaps: widen | narrow):\n"
            for option in column.options {
                // A choice shows its words (`format: cloudformation | terraform`).
                let words = choices(option).map { ": \($0.joined(separator: " | "))" } ?? ""
                output += "  \(option.name)\(words)\(option.defaultValue.map { " (default \($0.isEmpty ? "\"\"" : $0))" } ?? ""): \(option.summary)\n"
            }
        }
        return output
    }

    public static func json(_ matrix: TargetMatrix) -> String {
        JSONWriter.write(
            .array(
                matrix.columns.map { column in
                    .object([
                        .init("target", .string(column.target.rawValue)),
                        .init("capabilities", .object(matrix.capabilities.map { .init($0.rawValue, .string((column.capabilities[$0] ?? .none).rawValue)) })),
                        .init(
                            "options",
                            .array(
                                column.options.map { option in
                                    var entries: [StructuredValue.Entry] = [
                                        .init("name", .string(option.name)), .init("summary", .string(option.summary)),
                                        .init("default", option.defaultValue.map { .string($0) } ?? .null),
                                    ]
                                    if let words = choices(option) { entries.append(.init("values", .array(words.map { .string($0) }))) }
                                    return .object(entries)
                                })),
                    ])
                }))
    }

    /// The words an option takes, when it is a choice among words.
    static func choices(_ option: OptionSpec) -> [String]? {
        if case .choice(let words) = option.kind { return words }
        return nil
    }

    static let begin = "<!-- palisade targets: begin -->"
    static let end = "<!-- palisade targets: end -->"

    /// `readme` with the table between its markers replaced by the current one; nil when the
    /// markers are missing.
    public static func updatingReadme(_ readme: String, matrix: TargetMatrix = TargetMatrix()) -> String? {
        guard let start = readme.range(of: begin), let stop = readme.range(of: end), start.upperBound <= stop.lowerBound else { return nil }
        return String(readme[..<start.upperBound]) + "\n" + markdown(matrix) + String(readme[stop.lowerBound...])
    }
}
