import Analysis
import Backends
import IR
import YAML

/// `palisade compare` rendered: text for a terminal, JSON for tools, Markdown for a pull request.
public enum CompareReport {
    /// A gap's fingerprint for baselines: its target, kind and subject (`web -> api on
    /// tcp/8080`, `web: user`), never a line number. A list of workloads is written whole
    /// (`a, b, c, d -> api on tcp/8080`, where a report abbreviates it), so that a baseline
    /// holds every pair it accepted (`CompareBaseline`).
    public static func fingerprint(target: TargetName, gap: Gap) -> String {
        "\(target.rawValue):\(gap.kind.rawValue):\(fingerprintLine(gap))"
    }

    static func fingerprintLine(_ gap: Gap) -> String {
        guard Comparison.isConnection(gap), let connection = gap.connection else { return Comparison.line(gap) }
        if connection.source == connection.destination, case .workload(let name) = connection.source {
            return "between replicas of \(name) on \(connection.ports)"
        }
        return "\(fingerprintText(connection.source)) -> \(fingerprintText(connection.destination)) on \(connection.ports)"
    }

    /// An end of a connection in a fingerprint: every name of a list.
    static func fingerprintText(_ endpoint: Endpoint) -> String {
        if case .workloads(let names) = endpoint { return names.joined(separator: ", ") }
        return endpoint.description
    }

    /// Leaves out of `comparison` what `baseline` holds (`CompareBaseline`): whole gaps, and
    /// the pairs of a connection it holds in part.
    public static func apply(_ baseline: Baseline, to comparison: inout Comparison) {
        let held = CompareBaseline(baseline.fingerprints)
        comparison.narrowGaps { target, gap in held.remaining(gap, target: target) }
    }

    /// The line that says how many gaps a baseline held back, if any.
    static func baselineNote(_ comparison: Comparison) -> String? {
        let total = comparison.baselined.values.reduce(0, +)
        guard total > 0 else { return nil }
        let parts = comparison.targets.compactMap { result in comparison.baselined[result.target].map { "\(result.target.rawValue) \($0)" } }
        return "\(total) gap\(total == 1 ? "" : "s") in the baseline not shown (\(parts.joined(separator: ", ")))"
    }

    // MARK: Text

    public static func text(_ comparison: Comparison) -> String {
        let policy = comparison.policy
        var out = "palisade compare: policy \(policy.name) (\(policy.files.joined(separator: ", ")))\n"
        for result in comparison.targets {
            out += "\n\(result.target.rawValue): "
            if let error = result.error {
                out += "cannot compile: \(error.message)\n"
                continue
            }
            let sections = TargetSections(result)
            let scoped = sections.scoped
            out += scoped.summary + "\n"
            for (position, (kind, title)) in Comparison.sections.enumerated() {
                if sections.counts[position] > 0 {
                    out += "  \(title) (\(sections.counts[position])):\n"
                    for (reason, members) in sections.groups[position] {
                        out += "    \(reason):\n"
                        for gap in members {
                            out += "      \(Comparison.line(gap))\(gap.origin.map { "  [\($0)]" } ?? "")\n"
                        }
                    }
                }
                // The controls the target does not cover at all, after the unenforced gaps it
                // could have enforced: one line each.
                if kind == .unenforced, !sections.outsideLines.isEmpty {
                    out += "  \(Fidelity.outsideScope) (\(scoped.outsideCount)), controls \(result.target.rawValue) does not cover at all:\n"
                    for line in sections.outsideLines { out += "    \(line)\n" }
                }
            }
        }
        out += "\ncontrols (\(legend)):\n"
        let width = Capability.allCases.map(\.rawValue.count).max() ?? 0
        let table = TextTable(indent: "  ", widths: [width + 2] + comparison.targets.map { _ in 11 })
        out += table.row(["control"] + comparison.targets.map(\.target.rawValue))
        for (capability, cells) in comparison.matrixRows() {
            out += table.row([capability.rawValue] + cells)
        }
        if let note = baselineNote(comparison) { out += "\n\(note)\n" }
        return out
    }

    // MARK: JSON

    public static func json(_ comparison: Comparison) -> String {
        let targets = comparison.targets
        return JSONWriter.write(
            .object([
                .init("format", .string(ReportSchemas.Report.compare.format)),
                .init("version", .int(ReportSchemas.version)),
                .init("policy", .string(comparison.policy.name)),
                .init("files", .array(comparison.policy.files.map { .string($0) })),
                .init(
                    "targets",
                    .array(
                        targets.map { result in
                            var entries: [StructuredValue.Entry] = [.init("target", .string(result.target.rawValue))]
                            if let error = result.error {
                                entries.append(
                                    .init(
                                        "error",
                                        .object([
                                            .init("code", .string(error.code.rawValue)), .init("message", .string(error.message)),
                                            .init("location", error.range.map { .string($0.description) } ?? .null),
                                        ])))
                                return .object(entries)
                            }
                            let scoped = result.scoped
                            entries.append(
                                .init(
                                    "summary",
                                    .object(
                                        Comparison.sections.map { kind, _ in
                                            .init(kind.rawValue, .int(result.gaps.filter { $0.kind == kind }.count))
                                        })))
                            // Of the unenforced gaps, those of controls the target does not cover at all.
                            entries.append(.init("outside_scope", .int(scoped.outsideCount)))
                            entries.append(.init("baselined", .int(comparison.baselined[result.target] ?? 0)))
                            entries.append(
                                .init(
                                    "gaps",
                                    .array(
                                        result.gaps.map { gap in
                                            GapJSON.value(gap, outsideScope: TargetGaps.isOutsideScope(gap, capabilities: scoped.capabilities))
                                        })))
                            return .object(entries)
                        })),
                .init(
                    "controls",
                    .object(
                        comparison.matrixRows().map { capability, cells in
                            .init(capability.rawValue, .object(zip(targets, cells).map { .init($0.target.rawValue, .string($1)) }))
                        })),
            ]))
    }

    // MARK: Markdown

    /// Text safe inside a Markdown table cell or list item.
    static func escaped(_ text: String) -> String { text.replacing("|", with: "\\|").replacing("<", with: "&lt;") }

    /// For a pull request: a summary table, the control matrix, the intent as a Mermaid
    /// picture, and each target's details folded.
    public static func markdown(_ comparison: Comparison, limit: Int = CommentBudget.limit) -> String {
        let sections = comparison.targets.map { $0.error == nil ? TargetSections($0) : nil }
        return CommentBudget.fit(limit: limit) { detail in
            CommentBudget.shortened(CommentBudget.omitted(detail), fullCommand: "palisade compare \(comparison.policy.files.first ?? "SPEC") --format json")
        } render: { detail in
            markdown(comparison, detail: detail, sections: sections)
        }
    }

    /// One target's gaps as the text and Markdown reports list them: by kind (`Comparison.sections`),
    /// each kind's grouped by reason, and those outside the target's scope per control.
    /// Made once for every level of detail the report tries (`CommentBudget.fit`), not once
    /// per level and table: a large estate's target has over a hundred thousand gaps.
    struct TargetSections {
        var scoped: TargetGaps
        /// By position in `Comparison.sections`: the kind's gaps, grouped.
        var groups: [[(String, [Gap])]]
        /// By position in `Comparison.sections`: how many gaps of the kind.
        var counts: [Int]
        /// A line per control outside the target's scope (`CompileReport.scopeLine`).
        var outsideLines: [String]

        init(_ result: Comparison.TargetResult) {
            scoped = result.scoped
            let listed = scoped.listed
            var byKind = [[Gap]](repeating: [], count: Gap.Kind.allCases.count)
            for index in listed.indices { byKind[listed[index].kind.caseIndex].append(listed[index]) }
            groups = Comparison.sections.map { kind, _ in Comparison.groups(byKind[kind.caseIndex]) }
            counts = Comparison.sections.map { kind, _ in byKind[kind.caseIndex].count }
            outsideLines = scoped.outside.map(CompileReport.scopeLine)
        }
    }

    /// `sections`: each target's (`TargetSections`), nil for a target that refused the spec.
    static func markdown(_ comparison: Comparison, detail: CommentBudget.Detail, sections: [TargetSections?]) -> String {
        let policy = comparison.policy
        let targets = comparison.targets
        var out = "## Palisade fidelity report: `\(policy.name)`\n\n"
        out += "What each platform enforces of `\(policy.files.joined(separator: "`, `"))`, read back from the files Palisade generates.\n\n"
        out +=
            "| target | allowed beyond the intent | intended but blocked | not enforced | \(Fidelity.outsideScope) | expectations failing | added for "
            + "the platform |\n"
        out += "|---|---:|---:|---:|---:|---:|---:|\n"
        for (result, sections) in zip(targets, sections) {
            if let error = result.error {
                out += "| \(result.target.rawValue) | cannot compile: \(escaped(error.message)) | | | | | |\n"
                continue
            }
            guard let sections else { continue }
            var counts = sections.counts.map(String.init)
            counts.insert(String(sections.scoped.outsideCount), at: 3)
            out += MarkdownTable.row([result.target.rawValue] + counts)
        }
        out +=
            "\n### Controls\n\n`ok` as the spec says · `no` not a control of the target (`palisade targets`) · `+N` allowed beyond it · `-N` blocked · "
            + "`xN` not enforced · `!N` expectations failing\n\n"
        out += MarkdownTable.row(["control"] + targets.map(\.target.rawValue))
        out += MarkdownTable.separator(columns: targets.count + 1)
        for (capability, cells) in comparison.matrixRows() {
            out += MarkdownTable.row([capability.rawValue] + cells)
        }
        if let note = baselineNote(comparison) { out += "\n\(note)\n" }
        if detail == .full { out += "\n### Intent\n\n```mermaid\n" + GraphReport.mermaid(comparison.intentGraph) + "```\n" }
        for (result, sections) in zip(targets, sections) where result.error == nil && !result.gaps.isEmpty && detail < .summary {
            guard let sections else { continue }
            out += "\n<details><summary><b>\(result.target.rawValue)</b>: \(sections.scoped.summary)</summary>\n\n"
            for (position, (kind, title)) in Comparison.sections.enumerated() {
                if sections.counts[position] > 0 {
                    out += "**\(title)**\n\n"
                    let limit = detail.itemsPerGroup
                    for (reason, members) in sections.groups[position] {
                        out += "- \(escaped(reason))\(limit == 0 ? " (\(members.count))" : "")\n"
                        for gap in members.prefix(limit) {
                            out += "  - \(escaped(Comparison.line(gap)))\(gap.origin.map { " — `\($0)`" } ?? "")\n"
                        }
                        if limit > 0, members.count > limit {
                            out += "  - … and \(members.count - limit) more (`palisade compare --format json` lists all)\n"
                        }
                    }
                    out += "\n"
                }
                if kind == .unenforced, !sections.outsideLines.isEmpty {
                    out +=
                        "**\(Fidelity.outsideScope)**: controls \(result.target.rawValue) does not cover at all (`palisade compare --format json` "
                        + "lists each gap)\n\n"
                    for line in sections.outsideLines { out += "- \(escaped(line))\n" }
                    out += "\n"
                }
            }
            if detail == .full, let graph = comparison.graph(of: result, maxEdges: 150), graph.edges.count <= 150 {
                out += "```mermaid\n" + GraphReport.mermaid(graph) + "```\n\n"
            }
            out += "</details>\n"
        }
        return out
    }

    /// Why `compare` fails: `error: swarm: 1 expectation failed (--fail-on)`, then each gap,
    /// those outside the target's scope one line per control.
    public static func gateFailure(target: TargetName, gaps: [Gap]) -> String {
        let scoped = TargetGaps(target: target, gaps: gaps)
        var out = "error: \(target.rawValue): \(scoped.summary) (--fail-on)\n"
        for gap in scoped.listed { out += "  \(gap.origin.map { "\($0): " } ?? "")\(gap.message)\n" }
        for control in scoped.outside { out += "  \(Fidelity.outsideScope): \(target.rawValue) does not enforce \(CompileReport.scopeLine(control))\n" }
        return out
    }

    /// What the control matrix's cells say.
    static let legend =
        "ok: as the spec says; no: not a control of the target (palisade targets); +N allowed beyond it; -N blocked; "
        + "xN not enforced; !N expectations failing"
}
