/// Markdown meant for a pull-request comment must fit GitHub's limit on a comment's body
/// (65,536 characters). A report is rendered at decreasing levels of detail until it fits
/// `limit`, which leaves room for what a CI step adds around it; what was left out is said in a
/// note that names the full report.
public enum CommentBudget {
    /// GitHub's limit on a comment's body, in characters.
    public static let gitHubLimit = 65_536
    /// What a report aims at: the limit less room for a header or footer a workflow adds.
    public static let limit = 60_000

    /// The levels of detail, most detailed first.
    public enum Detail: Int, CaseIterable, Sendable, Comparable {
        /// Everything the report has.
        case full
        /// No pictures; up to 20 items per group.
        case trimmed
        /// Up to 5 items per group.
        case brief
        /// Counts per group, no items.
        case counts
        /// Summary tables only.
        case summary

        public static func < (lhs: Detail, rhs: Detail) -> Bool { lhs.rawValue < rhs.rawValue }

        /// How many items of a group are listed.
        public var itemsPerGroup: Int {
            switch self {
            case .full: 50
            case .trimmed: 20
            case .brief: 5
            case .counts, .summary: 0
            }
        }
    }

    /// The first rendering, from most to least detail, that fits `limit` characters; a note of
    /// what was cut is appended to a shortened one. If even the summary does not fit, it is cut
    /// at a line boundary.
    public static func fit(limit: Int = limit, note: (Detail) -> String, render: (Detail) -> String) -> String {
        for detail in Detail.allCases {
            var text = render(detail)
            if detail != .full { text += note(detail) }
            if text.count <= limit { return text }
        }
        let last = note(.summary)
        var text = render(.summary)
        let room = max(0, limit - last.count - 40)
        if text.count > room {
            let cut = text.prefix(room)
            text = String(cut[..<(cut.lastIndex(of: "\n") ?? cut.endIndex)]) + "\n\n… (cut here)\n"
        }
        return text + last
    }

    /// What a shortened compare report leaves out at `detail`.
    public static func omitted(_ detail: Detail) -> String {
        switch detail {
        case .full: "nothing"
        case .trimmed: "pictures are left out and each group lists at most 20 items"
        case .brief: "pictures are left out and each group lists at most 5 items"
        case .counts: "pictures and the items of each group are left out; groups show counts"
        case .summary: "only the summary is shown"
        }
    }

    /// The note under a shortened report: what it leaves out and how to get all of it.
    public static func shortened(_ omitted: String, fullCommand: String) -> String {
        "\n> [!NOTE]\n> Shortened to fit a pull-request comment (\(gitHubLimit) characters): \(omitted). "
            + "Every item: `\(fullCommand)` (the GitHub Action keeps it as an artifact).\n"
    }
}
