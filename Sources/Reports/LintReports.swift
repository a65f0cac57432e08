import Diagnostics
import JUnitXML
import Lint
import YAML

/// What one `palisade lint` run found: per spec, its findings; the rules that ran.
public struct LintRun: Sendable {
    public struct Spec: Sendable {
        public var path: String
        public var findings: [Finding]
        /// The errors that kept the spec from compiling, and so from being linted; empty when
        /// it compiled. Every format reports them, so a spec that does not compile never gives
        /// a report that looks clean.
        public var errors: [Diagnostic]

        public init(path: String, findings: [Finding], errors: [Diagnostic] = []) {
            self.path = path
            self.findings = findings
            self.errors = errors
        }

        /// The spec's errors as findings under their codes (`E101`), for the reports.
        var errorFindings: [Finding] {
            errors.map { Finding(rule: $0.code.rawValue, severity: $0.severity, message: $0.message, range: $0.range, subject: "spec:\(path)") }
        }
    }

    public var specs: [Spec]
    public var rules: [RuleMetadata]
    public var sources: SourceFiles
    public var toolVersion: String
    /// Findings left out because a baseline holds them (`lint --baseline`).
    public var baselined = 0

    public init(specs: [Spec], rules: [RuleMetadata], sources: SourceFiles, toolVersion: String) {
        self.specs = specs
        self.rules = rules
        self.sources = sources
        self.toolVersion = toolVersion
    }

    var allFindings: [Finding] { specs.flatMap(\.findings) }

    /// The specs that did not compile.
    var failedSpecs: [Spec] { specs.filter { !$0.errors.isEmpty } }

    /// The codes of the specs' errors, each once, in code order.
    var errorCodes: [DiagnosticCode] { Set(specs.flatMap { $0.errors.map(\.code) }).sorted { $0.rawValue < $1.rawValue } }

    func count(_ severity: Diagnostic.Severity) -> Int { allFindings.filter { $0.severity == severity }.count }
}

/// The four report formats, each a pure function of a run.
///
/// Whatever the input holds, a report is well-formed and every message is one line: a message
/// has its control characters escaped and is abbreviated when long (`InputText.message`), a file
/// name shown to people has its control characters escaped, and SARIF names files by URI.
public enum LintReports {
    /// Compiler style, grouped by file: every finding rendered as a diagnostic under its rule
    /// id, with its source line and a caret, then a summary.
    public static func text(_ run: LintRun) -> String {
        let renderer = DiagnosticRenderer(sources: run.sources)
        var groups: [(file: String, findings: [Finding])] = []
        var groupOfFile: [String: Int] = [:]
        for finding in run.allFindings {
            let file = finding.range.map { InputText.escaped($0.file) } ?? "(spec)"
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
                // The place is written here rather than by the renderer so that the file name
                // is escaped; the renderer still quotes the line from the file as it is named.
                out += place(finding.range)
                out += renderer.render(finding.severity, code: finding.rule, InputText.message(finding.message), at: nil)
                if let range = finding.range { out += renderer.snippet(range) }
            }
            out += "\n"
        }
        for spec in run.failedSpecs {
            let count = spec.errors.filter { $0.severity == .error }.count
            out += "\(InputText.escaped(spec.path)): not linted: the spec does not compile (\(count) error\(count == 1 ? "" : "s"), on standard error)\n\n"
        }
        let specs = run.specs.count
        out += "\(run.count(.error)) errors, \(run.count(.warning)) warnings, \(run.count(.note)) notes in \(specs) spec\(specs == 1 ? "" : "s")"
        out += " (\(run.rules.count) rules)"
        if run.baselined > 0 { out += "; \(run.baselined) more in the baseline" }
        return out + "\n"
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
                        .init("specs_not_compiled", .int(run.failedSpecs.count)),
                    ])),
                .init(
                    "specs",
                    .array(
                        run.specs.map { spec in
                            .object([
                                .init("path", .string(spec.path)),
                                .init("compiled", .bool(spec.errors.isEmpty)),
                                .init("errors", .array(spec.errors.map(diagnosticJSON))),
                                .init(
                                    "findings",
                                    .array(
                                        spec.findings.map { finding in
                                            var entries: [StructuredValue.Entry] = [
                                                .init("rule", .string(finding.rule)),
                                                .init("name", .string(rulesByID[finding.rule]?.name ?? "")),
                                                .init("severity", .string(finding.severity.rawValue)),
                                                .init("message", .string(InputText.message(finding.message))),
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

    /// A spec's own error in the JSON report: its code, severity, message, place and help.
    static func diagnosticJSON(_ diagnostic: Diagnostic) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [
            .init("code", .string(diagnostic.code.rawValue)), .init("severity", .string(diagnostic.severity.rawValue)),
            .init("message", .string(InputText.message(diagnostic.message))),
        ]
        if let range = diagnostic.range {
            entries.append(
                .init(
                    "location",
                    .object([
                        .init("file", .string(range.file)), .init("line", .int(range.start.line)), .init("column", .int(range.start.column)),
                    ])))
        }
        if let help = diagnostic.help { entries.append(.init("help", .string(InputText.message(help)))) }
        return .object(entries)
    }

    /// What `sourceRootBaseID` stands for, as the SARIF file says it.
    static let sourceRootDescription =
        "The root of the repository palisade lint ran in (outside a repository, the directory it ran in): relative spec paths are relative to it."

    /// The URI base id of relative spec paths in SARIF: the root of the repository `palisade
    /// lint` ran in.
    public static let sourceRootBaseID = "%SRCROOT%"

    /// Where SARIF rules link their help by default: the rule pages of the repository's docs.
    public static let defaultHelpBaseURI = "https://github.com/palisade-dev/palisade/blob/main/docs/"

    /// What a SARIF report says beyond the findings (docs/ci/README.md, "Code scanning").
    public struct SARIFOptions: Sendable {
        /// The analysis category (`runs[0].automationDetails.id` is `CATEGORY/`): GitHub keeps
        /// one set of alerts per category, so each lint job of a repository needs its own.
        public var category: String?
        /// An absolute http(s) URL ending in `/` under which `lint-rules.md` and
        /// `error-codes.md` are found; every rule's `helpUri` is its heading there.
        public var helpBaseURI: String

        /// A spec path as the report names it: relative to the repository's root where the
        /// command knows it (GitHub resolves SARIF locations against the root), else as given.
        public var reportPath: @Sendable (String) -> String

        public init(
            category: String? = nil, helpBaseURI: String = LintReports.defaultHelpBaseURI, reportPath: @escaping @Sendable (String) -> String = { $0 }
        ) {
            self.category = category
            self.reportPath = reportPath
            self.helpBaseURI = helpBaseURI.hasSuffix("/") ? helpBaseURI : helpBaseURI + "/"
        }
    }

    /// A lint rule's or an error code's numeric `security-severity` (GitHub reads 9.0 and more
    /// as critical, 7.0 as high, 4.0 as medium, below as low): a spec that does not compile and
    /// an error-level rule are high, a warning medium, a note low.
    static func securitySeverity(_ severity: Diagnostic.Severity) -> String {
        switch severity {
        case .error: "8.0"
        case .warning: "5.0"
        case .note: "2.0"
        }
    }

    /// The fingerprint of a finding that survives edits which move it: its rule, its file and
    /// the logical subject the rule speaks of (a workload, a flow, a grant), never a line.
    public static func fingerprint(_ finding: Finding, reportPath: (String) -> String = { $0 }) -> String {
        "\(finding.rule):\(finding.range.map { reportPath($0.file) } ?? ""):\(finding.subject)"
    }

    /// SARIF 2.1.0, as GitHub code scanning reads it: one run, every rule with its help and an
    /// absolute `helpUri`, every result with a region and a `partialFingerprints` entry that no
    /// line number enters. A location's `artifactLocation` is a percent-encoded URI reference
    /// (`sarifArtifactLocation(_:)`).
    public static func sarif(_ run: LintRun, options: SARIFOptions = SARIFOptions()) -> String {
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
                .init("helpUri", .string(options.helpBaseURI + "lint-rules.md#" + "\(rule.id) \(rule.name)".lowercased().replacingSpaces())),
                .init("defaultConfiguration", .object([.init("level", level(rule.severity))])),
                .init(
                    "properties",
                    .object([
                        .init("security-severity", .string(securitySeverity(rule.severity))),
                        .init("tags", .array(["security", .string(rule.category.rawValue.lowercased())])),
                    ])),
            ])
        }
        let codeRules: [StructuredValue] = run.errorCodes.map { code in
            .object([
                .init("id", .string(code.rawValue)),
                .init("name", .string("spec-error-\(code.rawValue.lowercased())")),
                .init("shortDescription", .object([.init("text", .string(code.summary))])),
                .init("fullDescription", .object([.init("text", .string(code.explanation))])),
                .init("help", .object([.init("text", .string("The spec does not compile: fix this error (docs/error-codes.md), then lint again."))])),
                .init("helpUri", .string(options.helpBaseURI + "error-codes.md#" + code.rawValue.lowercased())),
                .init("defaultConfiguration", .object([.init("level", "error")])),
                .init("properties", .object([.init("security-severity", .string(securitySeverity(.error))), .init("tags", .array(["security"]))])),
            ])
        }
        let codeIndex = Dictionary(uniqueKeysWithValues: run.errorCodes.enumerated().map { ($0.element.rawValue, rules.count + $0.offset) })
        let findings = run.allFindings + run.specs.flatMap(\.errorFindings)
        let results: [StructuredValue] = findings.map { finding in
            var entries: [StructuredValue.Entry] = [.init("ruleId", .string(finding.rule))]
            if let position = index[finding.rule] ?? codeIndex[finding.rule] { entries.append(.init("ruleIndex", .int(position))) }
            entries.append(.init("level", level(finding.severity)))
            entries.append(.init("message", .object([.init("text", .string(InputText.message(finding.message)))])))
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
                                        .init("artifactLocation", sarifArtifactLocation(options.reportPath(range.file))),
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
            entries.append(.init("partialFingerprints", .object([.init("palisadeSubject/v2", .string(fingerprint(finding, reportPath: options.reportPath)))])))
            return .object(entries)
        }
        return JSONWriter.write(
            .object([
                .init("$schema", "https://json.schemastore.org/sarif-2.1.0.json"),
                .init("version", "2.1.0"),
                .init(
                    "runs",
                    .array([
                        .object(
                            [
                                .init(
                                    "tool",
                                    .object([
                                        .init(
                                            "driver",
                                            .object([
                                                .init("name", "palisade"), .init("version", .string(run.toolVersion)),
                                                .init("informationUri", .string(options.helpBaseURI + "lint-rules.md")),
                                                .init("rules", .array(rules + codeRules)),
                                            ]))
                                    ])),
                                .init(
                                    "originalUriBaseIds",
                                    .object([
                                        .init(
                                            sourceRootBaseID,
                                            .object([
                                                .init(
                                                    "description",
                                                    .object([
                                                        .init(
                                                            "text",
                                                            .string(sourceRootDescription)
                                                        )
                                                    ]))
                                            ]))
                                    ])),
                                .init(
                                    "invocations",
                                    .array([
                                        .object([
                                            .init("executionSuccessful", .bool(run.failedSpecs.isEmpty)),
                                            .init(
                                                "toolExecutionNotifications",
                                                .array(
                                                    run.failedSpecs.map { spec in
                                                        .object([
                                                            .init("level", "error"),
                                                            .init(
                                                                "message",
                                                                .object([
                                                                    .init(
                                                                        "text", .string("\(InputText.escaped(spec.path)) does not compile; it was not linted"))
                                                                ])),
                                                        ])
                                                    })),
                                        ])
                                    ])),
                                .init("results", .array(results)),
                            ] + (options.category.map { [.init("automationDetails", .object([.init("id", .string($0 + "/"))]))] } ?? []))
                    ])),
            ]))
    }

    /// GitLab's code-quality report (a JSON array of issues, the subset of the Code Climate
    /// format GitLab reads): one issue per finding and per error of a spec that does not
    /// compile, with a fingerprint that holds no line number (the SARIF one, hashed as GitLab
    /// expects an opaque string), severities `critical` (error), `major` (warning) and `info`
    /// (note), and repository-relative paths.
    public static func codeQuality(_ run: LintRun, reportPath: (String) -> String = { $0 }) -> String {
        let findings = run.allFindings + run.specs.flatMap(\.errorFindings)
        let issues: [StructuredValue] = findings.map { finding in
            let severity =
                switch finding.severity {
                case .error: "critical"
                case .warning: "major"
                case .note: "info"
                }
            let path = finding.range.map { reportPath($0.file) } ?? run.specs.first.map { reportPath($0.path) } ?? ""
            return .object([
                .init("description", .string("\(finding.rule): \(InputText.message(finding.message))")),
                .init("check_name", .string(finding.rule)),
                .init("fingerprint", .string(fnv1a(fingerprint(finding, reportPath: reportPath)))),
                .init("severity", .string(severity)),
                .init("location", .object([.init("path", .string(path)), .init("lines", .object([.init("begin", .int(finding.range?.start.line ?? 1))]))])),
            ])
        }
        return JSONWriter.write(.array(issues))
    }

    /// A 64-bit FNV-1a hash in hex: stable across runs and platforms (Swift's `Hasher` is seeded).
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A spec path as a SARIF `artifactLocation`: a relative path is a relative reference under
    /// `sourceRootBaseID`, an absolute one a `file://` URI. Either way the path is percent-encoded
    /// (RFC 3986: every byte of its UTF-8 but the unreserved characters and `/`), so that `#`,
    /// `?`, `%`, spaces and control characters mean nothing to a URI parser and percent-decoding
    /// gives the path back.
    public static func sarifArtifactLocation(_ path: String) -> StructuredValue {
        let encoded = percentEncoded(path)
        if path.hasPrefix("/") { return .object([.init("uri", .string("file://" + encoded))]) }
        return .object([.init("uri", .string(encoded)), .init("uriBaseId", .string(sourceRootBaseID))])
    }

    static func percentEncoded(_ path: String) -> String {
        let hex = Array("0123456789ABCDEF".unicodeScalars)
        var out = String.UnicodeScalarView()
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.append(Unicode.Scalar(byte))
            default:
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(out)
    }

    /// JUnit XML: a test suite per spec, a test case per rule that ran; a case fails with one
    /// failure per finding (file:line:column and message, on one line).
    public static func junit(_ run: LintRun) throws -> String {
        let report = JUnitReport(
            name: "palisade lint",
            suites: run.specs.map { spec in
                guard spec.errors.isEmpty else {
                    // A spec that does not compile is one failing case, with one failure per error.
                    let failures = spec.errorFindings.map { error in
                        let message = InputText.message("\(error.rule): \(error.message)")
                        return JUnitReport.Failure(message: message, type: error.severity.rawValue, text: "\(place(error.range))\(message)")
                    }
                    return JUnitReport.Suite(
                        name: InputText.escaped(spec.path),
                        cases: [JUnitReport.TestCase(name: "spec compiles", className: "palisade.spec", failures: failures)])
                }
                return JUnitReport.Suite(
                    name: InputText.escaped(spec.path),
                    cases: run.rules.map { rule in
                        JUnitReport.TestCase(
                            name: "\(rule.id) \(rule.name)", className: "palisade.lint.\(rule.id)",
                            failures: spec.findings.filter { $0.rule == rule.id }.map { finding in
                                let message = InputText.message(finding.message)
                                return JUnitReport.Failure(message: message, type: finding.severity.rawValue, text: "\(place(finding.range))\(message)")
                            })
                    })
            })
        return try report.xml()
    }

    /// `FILE:LINE:COL: `, the file name escaped; empty without a range.
    private static func place(_ range: SourceRange?) -> String {
        range.map { "\(InputText.escaped($0.file)):\($0.start.line):\($0.start.column): " } ?? ""
    }
}

/// Text from the input as a report shows it to people: on one line, with nothing a terminal or
/// a viewer would act on, and not unboundedly long.
enum InputText {
    /// The longest message, in Unicode scalars, shown whole. Rule messages are short; only a
    /// long value from the input (a name, an image, a list of sources) makes one longer.
    static let messageLimit = 500
    /// What an abbreviated message keeps of its start and of its end, in Unicode scalars.
    static let keptStart = 360
    static let keptEnd = 120

    /// A message escaped (`escaped(_:)`) and, past `messageLimit`, abbreviated: its start and
    /// its end around `…(N characters omitted)…`. Counted in Unicode scalars rather than
    /// characters, so that a cluster of a million combining marks counts for what it is.
    static func message(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > messageLimit else { return escaped(text) }
        let start = String(String.UnicodeScalarView(scalars.prefix(keptStart)))
        let end = String(String.UnicodeScalarView(scalars.suffix(keptEnd)))
        return escaped(start) + "…(\(scalars.count - keptStart - keptEnd) characters omitted)…" + escaped(end)
    }

    /// The text with newline, carriage return and tab written `\n`, `\r`, `\t`, and every other
    /// control character (C0, DEL, C1), line and paragraph separator, bidirectional formatting
    /// character and non-character written `\u{…}` (hexadecimal), so that it stays on one line
    /// and shows what it holds.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case _ where needsEscape(scalar): out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F...0x9F: true  // C0, DEL, C1
        case 0x2028, 0x2029: true  // line and paragraph separators
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidirectional formatting
        case 0xFDD0...0xFDEF: true  // non-characters
        default: scalar.value & 0xFFFE == 0xFFFE  // the non-characters U+FFFE, U+FFFF, U+1FFFE, …
        }
    }
}

extension String {
    /// A heading's GitHub anchor from its lowercased text: spaces become hyphens.
    fileprivate func replacingSpaces() -> String { String(map { $0 == " " ? "-" : $0 }) }
}
