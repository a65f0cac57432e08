import Diagnostics
import Foundation
import IR
import Spec
import Testing
import TestSupport
@testable import Lint

/// Every rule's examples are its tests: a triggering example yields findings exactly at its
/// `↓` markers, a non-triggering one yields none.
@Suite struct RuleExampleTests {
    static let rules: [String] = LintRegistry.rules.map(\.description.id)

    static func rule(_ id: String) -> any LintRule { LintRegistry.rules.first { $0.description.id == id }! }

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

    func findings(_ rule: any LintRule, _ text: String) throws -> [Finding] {
        let output = compileSpec(text)
        let policy = try #require(output.policy, "example does not compile: \(output.diagnostics.map(\.message))\n\(text)")
        return rule.check(policy)
    }

    @Test(arguments: rules)
    func examplesTriggerExactlyAtTheirMarkers(id: String) throws {
        let rule = Self.rule(id)
        #expect(!rule.description.triggering.isEmpty && !rule.description.nonTriggering.isEmpty, "\(id) needs examples of both kinds")
        for example in rule.description.triggering {
            let (text, expected) = Self.markers(example)
            #expect(!expected.isEmpty, "\(id): a triggering example without a marker")
            let found = try findings(rule, text).map { finding in
                finding.range.map { "\($0.start.line):\($0.start.column)" } ?? "-"
            }
            #expect(found.sorted() == expected.sorted(), "\(id) on:\n\(text)")
            for finding in try findings(rule, text) { #expect(finding.rule == id) }
        }
        for example in rule.description.nonTriggering {
            #expect(try findings(rule, example).isEmpty, "\(id) fires on:\n\(example)")
        }
    }

    @Test func idsAreUniqueSortedAndWellFormed() {
        let ids = LintRegistry.descriptions.map(\.id)
        #expect(Set(ids).count == ids.count)
        #expect(LintRegistry.rules.map(\.description.id) == LintRegistry.rules.map(\.description.id).sorted())
        #expect(ids.allSatisfy { $0.hasPrefix("PAL") && $0.count == 6 && Int($0.dropFirst(3)) != nil })
        #expect(LintRegistry.rules.count >= 25)
    }

    @Test func disableAndIgnoreAreHonouredAndStaleIgnoresReported() throws {
        let base = "version: 1\nname: t\nworkloads:\n  app: {image: nginx:1.25, runtime: {privileged: true}}\n"
        let all = Linter.lint(try #require(compileSpec(base).policy)).findings.map(\.rule)
        #expect(all.contains("PAL101"))
        let disabled = Linter.lint(try #require(compileSpec(base + "lint: {disable: [PAL101]}\n").policy)).findings.map(\.rule)
        #expect(!disabled.contains("PAL101"))
        let ignored = Linter.lint(try #require(compileSpec(base + "lint:\n  ignore:\n    - {rule: PAL101, subject: workload:app, reason: needs it}\n    - {rule: PAL101, subject: app, reason: twice}\n    - {rule: PAL104, subject: workload:app, reason: nothing}\n").policy))
        #expect(!ignored.findings.contains { $0.rule == "PAL101" })
        let stale = ignored.findings.filter { $0.rule == "PAL600" }
        #expect(stale.count == 2)
        #expect(stale.allSatisfy { $0.range?.start.line ?? 0 >= 7 })
    }
}
