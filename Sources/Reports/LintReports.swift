import Diagnostics
import JUnitXML
import Lint
import YAML

/// What one `palisade lint` run found: per spec, its findings; the rules that ran.
public struct LintRun: Sendable {
    public struct Spec: Sendable {
        public var path: String
        public var findings: [Finding]

        public init(path: String, findings: [Finding]) {
            self.path = path
            self.findings = findings
        }
    }

    public var specs: [Spec]
    public var rules: [RuleMetadata]
    public var sources: SourceFiles
    public var toolVersion: String

    public init(specs: [Spec], rules: [RuleMetadata], sources: SourceFiles, toolVersion: String) {
        self.specs = specs
        self.rules = rules
        self.sources = sources
        self.toolVersion = toolVersion
    }

    var allFindings: [Finding] { specs.flatMap(\.findings) }

    func count(_ severity: Diagnostic.Severity) -> Int { allFindings.filter { $0.severity == severity }.count }
}

/// The four report formats, each a pure function of a run.
public enum LintReports {
    /// Compiler style, grouped by file: every finding rendered as a diagnostic under its rule
    /// id, with its source line and a caret, then a summary.
    public static func text(_ run: LintRun) -> String {
        let renderer = DiagnosticRenderer(sources: run.sources)
        var groups: [(file: String, findings: [Finding])] = []
        var groupOfFile: [String: Int] = [:]
        for finding in run.allFindings {
            let file = finding.range?.file ?? "(spec)"
            if let group = groupOfFile[file] {
                groups[group].findings.append(finding)
            } else {
                groupOfFile[file] = groups.count
                groups.append((file, [finding]))
            }
        }
        var out = ""
        for group in groups {
            out += "\(group.file)\n"
            for finding in group.findings {
                out += renderer.render(finding.severity, code: finding.rule, finding.message, at: finding.range)
            }
            out += "\n"
        }
        let specs = run.specs.count
        out += "\(run.count(.error)) errors, \(run.count(.warning)) warnings, \(run.count(.note)) notes in \(specs) spec\(specs == 1 ? "" : "s")"
        out += " (\(run.rules.count) rules)\n"
        return out
    }

    /// The JSON report, schema documented in `docs/lint.md` (format version 1).
    public static func json(_ run: LintRun) -> String {
        let rulesByID = Dictionary(run.rules.map { ($0.id, $0) }) { first, _ in first }
        return JSONWriter.write(
            .object([
                .init("format", 1),
                .init("tool", .object([.init("name", "palisade"), .init("version", .string(run.toolVersion))])),
                .init(
                    "summary",
                    .object([
                        .init("errors", .int(run.count(.error))), .init("warnings", .int(run.count(.warning))),
                        .init("notes", .int(run.count(.note))), .init("specs", .int(run.specs.count)),
                    ])),
                .init(
                    "specs",
                    .array(
                        run.specs.map { spec in
                            .object([
                                .init("path", .string(spec.path)),
                                .init(
                                    "findings",
                                    .array(
                                        spec.findings.map { finding in
                                            var entries: [StructuredValue.Entry] = [
                                                .init("rule", .string(finding.rule)),
                                                .init("name", .string(rulesByID[finding.rule]?.name ?? "")),
                                                .init("severity", .string(finding.severity.rawValue)),
                                                .init("message", .string(finding.message)),
                                                .init("subject", .string(finding.subject)),
                                            ]
                                            if let range = finding.range {
                                                entries.append(
                                                    .init(
                                                        "location",
                                                        .object([
                                                            .init("file", .string(range.file)), .init("line", .int(range.start.line)),
                                                            .init("column", .int(range.start.column)),
                                                            .init("endLine", .int(range.end.line)), .init("endColumn", .int(range.end.column)),
                                                        ])))
                                            }
                                            return .object(entries)
                                        })),
                            ])
                        })),
            ]))
    }

    /// SARIF 2.1.0, as GitHub code scanning reads it: one run, every rule with its help, every
    /// result with a region.
    public static func sarif(_ run: LintRun) -> String {
        let index = Dictionary(run.rules.enumerated().map { ($0.element.id, $0.offset) }) { first, _ in first }
        func level(_ severity: Diagnostic.Severity) -> StructuredValue {
            switch severity {
            case .error: "error"
            case .warning: "warning"
            case .note: "note"
            }
        }
        let rules: [StructuredValue] = run.rules.map { rule in
            .object([
                .init("id", .string(rule.id)),
                .init("name", .string(rule.name)),
                .init("shortDescription", .object([.init("text", .string(rule.summary))])),
                .init("fullDescription", .object([.init("text", .string(rule.rationale))])),
                .init(
                    "help",
                    .object([
                        .init("text", .string(rule.fix)),
                        .init("markdown", .string("**\(rule.id) \(rule.name)**: \(rule.summary)\n\n\(rule.rationale)\n\n**Fix:** \(rule.fix)")),
                    ])),
                .init("defaultConfiguration", .object([.init("level", level(rule.severity))])),
            ])
        }
        let results: [StructuredValue] = run.allFindings.map { finding in
            var entries: [StructuredValue.Entry] = [.init("ruleId", .string(finding.rule))]
            if let position = index[finding.rule] { entries.append(.init("ruleIndex", .int(position))) }
            entries.append(.init("level", level(finding.severity)))
            entries.append(.init("message", .object([.init("text", .string(finding.message))])))
            if let range = finding.range {
                let endLine = max(range.end.line, range.start.line)
                let endColumn = endLine == range.start.line ? max(range.end.column, range.start.column + 1) : range.end.column
                entries.append(
                    .init(
                        "locations",
                        .array([
                            .object([
                                .init(
                                    "physicalLocation",
                                    .object([
                                        .init("artifactLocation", .object([.init("uri", .string(range.file))])),
                                        .init(
                                            "region",
                                            .object([
                                                .init("startLine", .int(range.start.line)), .init("startColumn", .int(range.start.column)),
                                                .init("endLine", .int(endLine)), .init("endColumn", .int(endColumn)),
                                            ])),
                                    ]))
                            ])
                        ])))
            }
            entries.append(.init("partialFingerprints", .object([.init("palisadeSubject/v1", .string("\(finding.rule):\(finding.subject)"))])))
            return .object(entries)
        }
        return JSONWriter.write(
            .object([
                .init("$schema", "https://json.schemastore.org/sarif-2.1.0.json"),
                .init("version", "2.1.0"),
                .init(
                    "runs",
                    .array([
                        .object([
                            .init(
                                "tool",
                                .object([
                                    .init(
                                        "driver",
                                        .object([
                                            .init("name", "palisade"), .init("version", .string(run.toolVersion)),
                                            .init("informationUri", "https://palisade.dev/docs/lint-rules"),
                                            .init("rules", .array(rules)),
                                        ]))
                                ])),
                            .init("results", .array(results)),
                        ])
                    ])),
            ]))
    }

    /// JUnit XML: a test suite per spec, a test case per rule that ran; a case fails with one
    /// failure per finding (file:line:column and message).
    public static func junit(_ run: LintRun) throws -> String {
        let report = JUnitReport(
            name: "palisade lint",
            suites: run.specs.map { spec in
                JUnitReport.Suite(
                    name: spec.path,
                    cases: run.rules.map { rule in
                        JUnitReport.TestCase(
                            name: "\(rule.id) \(rule.name)", className: "palisade.lint.\(rule.id)",
                            failures: spec.findings.filter { $0.rule == rule.id }.map { finding in
                                let place = finding.range.map { "\($0): " } ?? ""
                                return JUnitReport.Failure(message: finding.message, type: finding.severity.rawValue, text: "\(place)\(finding.message)")
                            })
                    })
            })
        return try report.xml()
    }
}
