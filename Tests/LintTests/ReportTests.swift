import Diagnostics
import Foundation
import JUnitXML
import Lint
import Palisade
import Reports
import Spec
import TestSupport
import Testing

/// `docs/lint-rules.md` is the rule page generated from the rules; the suite's name is what the
/// page's `swift test --filter LintRuleReference` selects.
@Suite struct LintRuleReferenceTests {
    @Test func rulePageIsCurrent() {
        if let mismatch = goldenMismatch(LintRuleReference.markdown(), at: "docs/lint-rules.md") {
            Issue.record(Comment(rawValue: mismatch))
        }
    }
}

@Suite struct ReportTests {
    static let samples = ["minimal.yaml", "shop.yaml", "payments.yaml", "platform.yaml", "no-segments.yaml"]

    func run(_ samples: [String]) -> LintRun {
        LintPipeline.lint(paths: samples.map { "samples/\($0)" }, fileSystem: RepositoryFileSystem(), toolVersion: "test").run
    }

    /// Each sample's findings are its documented story (`Tests/LintTests/Golden/*.lint.txt`).
    @Test(arguments: samples)
    func samplesLintAsTheirStoriesExpect(sample: String) {
        let text = LintReports.text(run([sample]))
        if let mismatch = goldenMismatch(text, at: "Tests/LintTests/Golden/\(sample.replacingOccurrences(of: ".yaml", with: ".lint.txt"))") {
            Issue.record(Comment(rawValue: mismatch))
        }
    }

    @Test func junitParsesBackWithLibxml2() throws {
        let lint = run(["minimal.yaml", "shop.yaml"])
        let xml = try LintReports.junit(lint)
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"))
        let report = try JUnitReport.parse(xml)
        #expect(report.suites.map(\.name) == ["samples/minimal.yaml", "samples/shop.yaml"])
        #expect(report.suites[0].cases.count == lint.rules.count)
        // One <failure> per failing rule; its text has a line per finding.
        let failures = report.suites.flatMap(\.cases).flatMap(\.failures)
        #expect(failures.reduce(0) { $0 + $1.text.split(separator: "\n").count } == lint.specs.flatMap(\.findings).count)
        #expect(failures.count == lint.specs.reduce(0) { $0 + Set($1.findings.map(\.rule)).count })
        let first = try #require(lint.specs[0].findings.first)
        let failedCase = try #require(report.suites[0].cases.first { $0.className == "palisade.lint.\(first.rule)" })
        #expect(failedCase.failures.first?.text.hasPrefix("samples/minimal.yaml:\(first.range!.start.line):\(first.range!.start.column): ") == true)
        #expect(throws: JUnitReport.XMLError.self) { try JUnitReport.parse("<testsuites><unclosed></testsuites>") }
    }

    @Test func junitEscapesWhatXMLMust() throws {
        let report = JUnitReport(
            name: "a <&> \"b\"",
            suites: [
                .init(
                    name: "s",
                    cases: [
                        .init(name: "c", className: "k", failures: [.init(message: "m < n & \"o\"", type: "warning", text: "x ]]> y & <z>")])
                    ])
            ])
        #expect(try JUnitReport.parse(try report.xml()) == report)
    }

    @Test func sarifHasRulesResultsAndRegions() throws {
        let lint = run(["shop.yaml"])
        let data = Data(LintReports.sarif(lint).utf8)
        let sarif = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(sarif["version"] as? String == "2.1.0")
        let runs = try #require(sarif["runs"] as? [[String: Any]])
        let driver = try #require((runs[0]["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.count == lint.rules.count)
        #expect(rules.allSatisfy { ($0["help"] as? [String: Any])?["text"] != nil })
        let results = try #require(runs[0]["results"] as? [[String: Any]])
        #expect(results.count == lint.specs[0].findings.count)
        for result in results {
            let index = try #require(result["ruleIndex"] as? Int)
            #expect(rules[index]["id"] as? String == result["ruleId"] as? String)
            let location = try #require((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            let region = try #require(location["region"] as? [String: Int])
            #expect(region["startLine"]! >= 1 && region["startColumn"]! >= 1)
            #expect(region["endLine"]! > region["startLine"]! || region["endColumn"]! > region["startColumn"]!)
        }
    }

    @Test func jsonFollowsItsDocumentedShape() throws {
        let lint = run(["minimal.yaml"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(LintReports.json(lint).utf8)) as? [String: Any])
        #expect(object["format"] as? Int == 1)
        let summary = try #require(object["summary"] as? [String: Int])
        let findings = try #require((object["specs"] as? [[String: Any]])?.first?["findings"] as? [[String: Any]])
        #expect(findings.count == summary["errors"]! + summary["warnings"]! + summary["notes"]!)
        let first = try #require(findings.first)
        #expect(Set(first.keys) == ["rule", "name", "severity", "message", "subject", "location"])
    }
}
