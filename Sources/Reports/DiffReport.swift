import Analysis
import YAML

/// `palisade diff` rendered: text, JSON, and Markdown for a pull request.
public enum DiffReport {
    static let titles: [SpecDiff.Kind: String] = [
        .opens: "opens", .closes: "closes", .relaxes: "relaxes", .tightens: "tightens", .changes: "other changes",
    ]

    static let icons: [SpecDiff.Kind: String] = [.opens: "🔓", .closes: "🔒", .relaxes: "⚠️", .tightens: "🛡️", .changes: "✏️"]

    static func title(_ kind: SpecDiff.Kind) -> String { titles[kind] ?? kind.rawValue }

    /// `2 opens, 1 closes`, or `no security-relevant change`.
    public static func summary(_ diff: SpecDiff) -> String {
        let counts = SpecDiff.Kind.allCases.compactMap { kind -> String? in
            let count = diff.changes.filter { $0.kind == kind }.count
            return count == 0 ? nil : "\(count) \(title(kind))"
        }
        return counts.isEmpty ? "no security-relevant change" : counts.joined(separator: ", ")
    }

    public static func text(_ diff: SpecDiff) -> String {
        var out = "palisade diff: \(diff.old.files[0]) -> \(diff.new.files[0]): \(summary(diff))\n"
        for kind in SpecDiff.Kind.allCases {
            let items = diff.changes.filter { $0.kind == kind }
            guard !items.isEmpty else { continue }
            out += "\n\(title(kind)) (\(items.count)):\n"
            for item in items { out += "  \(item.text)\(item.origin.map { "  [\($0)]" } ?? "")\n" }
        }
        return out
    }

    public static func json(_ diff: SpecDiff) -> String {
        JSONWriter.write(
            .object([
                .init("format", .string(ReportSchemas.Report.diff.format)), .init("version", .int(ReportSchemas.version)),
                .init("old", .string(diff.old.files.first ?? "")), .init("new", .string(diff.new.files.first ?? "")),
                .init("summary", .object(SpecDiff.Kind.allCases.map { kind in .init(kind.rawValue, .int(diff.changes.filter { $0.kind == kind }.count)) })),
                .init(
                    "changes",
                    .array(
                        diff.changes.map { change in
                            .object([
                                .init("kind", .string(change.kind.rawValue)), .init("subject", .string(change.subject)),
                                .init("text", .string(change.text)), .init("location", change.origin.map { .string($0.description) } ?? .null),
                            ])
                        })),
            ]))
    }

    /// For a pull request, within `CommentBudget.limit` characters: every change when they fit;
    /// else the first changes of each kind and a note of what was cut.
    public static func markdown(_ diff: SpecDiff, limit: Int = CommentBudget.limit) -> String {
        CommentBudget.fit(limit: limit) { detail in
            let listed = changesPerKind(detail).map { $0 == 0 ? "none of its" : "at most \($0)" } ?? "all"
            return CommentBudget.shortened("each kind of change lists \(listed) changes", fullCommand: "palisade diff OLD NEW --format json")
        } render: { detail in
            markdown(diff, detail: detail)
        }
    }

    /// How many changes of each kind a diff lists at `detail` (nil: all). A diff has no
    /// pictures: its levels list every change, then 50, 20, 5 and none per kind.
    static func changesPerKind(_ detail: CommentBudget.Detail) -> Int? {
        switch detail {
        case .full: nil
        case .trimmed: 50
        case .brief: 20
        case .counts: 5
        case .summary: 0
        }
    }

    static func markdown(_ diff: SpecDiff, detail: CommentBudget.Detail) -> String {
        var out = "## Palisade: what this change does to `\(diff.new.name)`\n\n**\(summary(diff))**\n"
        guard detail < .summary else { return out }
        let limit = changesPerKind(detail) ?? Int.max
        for kind in SpecDiff.Kind.allCases {
            let items = diff.changes.filter { $0.kind == kind }
            guard !items.isEmpty else { continue }
            let title = title(kind)
            out += "\n### \(icons[kind] ?? "") \(title.prefix(1).uppercased() + title.dropFirst()) (\(items.count))\n\n"
            for item in items.prefix(limit) {
                out += "- \(item.text.replacing("|", with: "\\|"))\(item.origin.map { " — `\($0)`" } ?? "")\n"
            }
            if items.count > limit { out += "- … and \(items.count - limit) more (`palisade diff --format json` lists all)\n" }
        }
        return out
    }

    /// Why `diff` fails: the changes of the kinds `--fail-on` names, located.
    public static func gateFailure(_ changes: [SpecDiff.Change]) -> String {
        let kinds = SpecDiff.Kind.allCases.filter { kind in changes.contains { $0.kind == kind } }.map(\.rawValue)
        var out = "error: \(changes.count) change\(changes.count == 1 ? "" : "s") of the kinds --fail-on names (\(kinds.joined(separator: ", ")))\n"
        for change in changes { out += "  \(change.origin.map { "\($0): " } ?? "")\(change.kind.rawValue): \(change.text)\n" }
        return out
    }
}
