import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing

@testable import Lint

/// Every rule's examples are its tests: a triggering example yields findings exactly at its
/// `↓` markers, a non-triggering one yields none; the findings' messages are the rule's own
/// message templates, and the examples use every template.
@Suite struct RuleExampleTests {
    static let rules: [String] = LintRegistry.rules.map(\.metadata.id)

    static func rule(_ id: String) throws -> any LintRule {
        try #require(LintRegistry.rules.first { $0.metadata.id == id })
    }

    /// The spec without markers, and where they were (line:column, 1-based, in characters).
    static func markers(_ text: String) -> (String, [String]) {
        var clean = ""
        var positions: [String] = []
        var line = 1
        var column = 1
        for character in text {
            if character == "↓" {
                positions.append("\(line):\(column)")
                continue
            }
            clean.append(character)
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (clean, positions)
    }

    /// Whether `message` is `pieces` with each placeholder standing for one or more characters.
    static func matches(_ message: Substring, _ pieces: ArraySlice<MessageTemplate.Piece>) -> Bool {
        guard let first = pieces.first else { return message.isEmpty }
        switch first {
        case .literal(let text):
            return message.hasPrefix(text) && matches(message.dropFirst(text.count), pieces.dropFirst())
        case .placeholder:
            var end = message.startIndex
            while end < message.endIndex {
                end = message.index(after: end)
                if matches(message[end...], pieces.dropFirst()) { return true }
            }
            return false
        }
    }

    /// The key of the template `message` is an instance of, with its placeholders filled in.
    static func template(of message: String, in metadata: RuleMetadata) -> String? {
        metadata.messages.first { template in
            matches(Substring(message), ArraySlice(template.pieces)) && !template.placeholders.contains { message.contains("{\($0)}") }
        }?.key
    }

    func findings(_ rule: any LintRule, _ text: String) throws -> [Finding] {
        let output = compileSpec(text)
        let policy = try #require(output.policy, "example does not compile: \(output.diagnostics.map(\.message))\n\(text)")
        return rule.check(policy)
    }

    @Test(arguments: rules)
    func examplesTriggerExactlyAtTheirMarkers(id: String) throws {
        let rule = try Self.rule(id)
        #expect(!rule.metadata.triggering.isEmpty && !rule.metadata.nonTriggering.isEmpty, "\(id) needs examples of both kinds")
        for example in rule.metadata.triggering {
            let (text, expected) = Self.markers(example)
            #expect(!expected.isEmpty, "\(id): a triggering example without a marker")
            let found = try findings(rule, text).map { finding in
                finding.range.map { "\($0.start.line):\($0.start.column)" } ?? "-"
            }
            #expect(found.sorted() == expected.sorted(), "\(id) on:\n\(text)")
            for finding in try findings(rule, text) {
                #expect(finding.rule == id)
                #expect(finding.severity == rule.metadata.severity)
            }
        }
        for example in rule.metadata.nonTriggering {
            #expect(try findings(rule, example).isEmpty, "\(id) fires on:\n\(example)")
        }
    }

    @Test(arguments: rules)
    func findingsSayWhatTheirTemplatesSay(id: String) throws {
        let rule = try Self.rule(id)
        var used = Set<String>()
        for example in rule.metadata.triggering {
            for finding in try findings(rule, Self.markers(example).0) {
                let key = Self.template(of: finding.message, in: rule.metadata)
                #expect(key != nil, "\(id): '\(finding.message)' is none of the rule's messages")
                if let key { used.insert(key) }
            }
        }
        #expect(used == Set(rule.metadata.messages.map(\.key)), "\(id): its examples should show every message")
    }

    @Test func templatesFillTheirPlaceholders() {
        let template = MessageTemplate(key: "k", text: "{flow} reaches {workload} on no port ({ports}) {unclosed")
        #expect(template.placeholders == ["flow", "workload", "ports"])
        #expect(template.format(["flow": "f", "workload": "{w}", "ports": "tcp/80"]) == "f reaches {w} on no port (tcp/80) {unclosed")
        #expect(template.format([:]) == template.text)
        #expect(
            Self.template(
                of: "f reaches w on no port (tcp/80) {unclosed",
                in: RuleMetadata(
                    id: "PAL999", name: "x", category: .hygiene, severity: .note, summary: "", rationale: "", fix: "",
                    messages: ["k": template.text], triggering: [], nonTriggering: [])) == "k")
        #expect(Privileged.metadata.message("no-such-key") == "PAL101 has no message 'no-such-key'")
        #expect(!Self.matches("runs privileged", ArraySlice(MessageTemplate(key: "k", text: "{workload}: runs privileged").pieces)))
    }

    @Test func disableAndIgnoreAreHonouredAndStaleIgnoresReported() throws {
        let base = "version: 1\nname: t\nworkloads:\n  app: {image: nginx:1.25, runtime: {privileged: true}}\n"
        let all = Linter.lint(try #require(compileSpec(base).policy)).findings.map(\.rule)
        #expect(all.contains("PAL101"))
        let disabled = Linter.lint(try #require(compileSpec(base + "lint: {disable: [PAL101]}\n").policy)).findings.map(\.rule)
        #expect(!disabled.contains("PAL101"))
        let ignores = """
            lint:
              disable: [PAL102]
              ignore:
                - {rule: PAL101, subject: workload:app, reason: needs it}
                - {rule: PAL101, subject: app, reason: twice}
                - {rule: PAL104, subject: workload:app, reason: nothing}
                - {rule: PAL102, subject: app, reason: disabled}
                - {rule: PAL999, subject: app, reason: no such rule}

            """
        let ignored = Linter.lint(try #require(compileSpec(base + ignores).policy))
        #expect(!ignored.findings.contains { $0.rule == "PAL101" })
        let stale = ignored.findings.filter { $0.rule == UnmatchedIgnore.metadata.id }
        #expect(
            stale.map(\.message) == [
                "lint ignore matches nothing: PAL101 finds nothing about 'app'",
                "lint ignore matches nothing: PAL104 finds nothing about 'workload:app'",
                "lint ignore matches nothing: PAL102 is disabled",
                "lint ignore matches nothing: no rule PAL999 exists",
            ])
        #expect(stale.allSatisfy { $0.range?.start.line ?? 0 >= 8 && $0.severity == .warning })
        #expect(Set(stale.compactMap { Self.template(of: $0.message, in: UnmatchedIgnore.metadata) }) == Set(UnmatchedIgnore.metadata.messages.map(\.key)))
    }
}
