import Foundation
import JUnitXML
import Palisade
import Reports
import TestSupport
import Testing

/// A spec that does not compile never gives a report that looks clean: every format carries
/// its errors, located.
@Suite struct SpecErrorReportTests {
    static let files = InMemoryFileSystem([
        "bad.yaml": "version: 1\nname: bad\nworkloads:\n  web: {image: nginx:1.25, replica: 2}\n",
        "good.yaml": "version: 1\nname: good\nworkloads:\n  web: {image: nginx:1.25}\n",
    ])

    static func lint(_ format: LintRequest.Format) -> CommandOutput {
        Commands.lint(LintRequest(specs: ["bad.yaml", "good.yaml"], format: format), fileSystem: files)
    }

    @Test func sarifHasTheErrorAsAResultAndAFailedInvocation() throws {
        let output = Self.lint(.sarif)
        #expect(output.exitStatus == .failure)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let run = try #require((document["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        let error = try #require(results.first { $0["ruleId"] as? String == "E101" })
        #expect(error["level"] as? String == "error")
        let region = ((error["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"] as? [String: Any]
        #expect(region?["startLine"] as? Int == 4)
        let rules = try #require(((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
        #expect(rules.firstIndex { $0["id"] as? String == "E101" } == error["ruleIndex"] as? Int)
        let invocation = try #require((run["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["executionSuccessful"] as? Bool == false)
    }

    @Test func junitHasAFailingCase() throws {
        let output = Self.lint(.junit)
        #expect(output.exitStatus == .failure)
        let report = try JUnitReport.parse(output.stdout)
        let suite = try #require(report.suites.first { $0.name == "bad.yaml" })
        #expect(suite.cases.map(\.name) == ["spec compiles"])
        #expect(suite.cases.first?.failures.first?.text.hasPrefix("bad.yaml:4:28: E101: unknown key 'replica'") == true)
    }

    @Test func jsonHasTheSpecWithItsErrors() throws {
        let output = Self.lint(.json)
        #expect(output.exitStatus == .failure)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let specs = try #require(document["specs"] as? [[String: Any]])
        #expect(specs.map { $0["path"] as? String } == ["bad.yaml", "good.yaml"])
        #expect(specs[0]["compiled"] as? Bool == false && specs[1]["compiled"] as? Bool == true)
        let error = try #require((specs[0]["errors"] as? [[String: Any]])?.first)
        #expect(error["code"] as? String == "E101")
        #expect((error["location"] as? [String: Any])?["line"] as? Int == 4)
        #expect((document["summary"] as? [String: Any])?["specs_not_compiled"] as? Int == 1)
    }

    @Test func textSaysTheSpecWasNotLinted() {
        let output = Self.lint(.text)
        #expect(output.exitStatus == .failure)
        #expect(output.stdout.contains("bad.yaml: not linted: the spec does not compile (1 error, on standard error)"))
        #expect(output.stderr.contains("bad.yaml:4:28: error[E101]"))
    }
}
