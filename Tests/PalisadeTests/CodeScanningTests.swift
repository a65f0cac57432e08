import Analysis
import Foundation
import IR
import Lint
import Palisade
import Reports
import Spec
import TestSupport
import Testing

/// What GitHub code scanning and CI jobs rely on: SARIF that uploads, baselines, and pull-request
/// comments that fit (issue: where users run it).
@Suite struct CodeScanningTests {
    let spec = """
        version: 1
        name: scan
        segments:
          app: {}
        workloads:
          web: {segment: app, image: "registry.example.com/web:1.0", ports: [tcp/80]}
          api: {segment: app, image: "registry.example.com/api:1.0", ports: [tcp/8080], runtime: {privileged: true}}
        flows:
          - {from: web, to: api, ports: [tcp/8080]}
        """

    func sarif(_ files: [String: String], category: String? = nil, base: String? = nil) throws -> [String: Any] {
        let output = Commands.lint(
            LintRequest(specs: files.keys.sorted(), format: .sarif, sarifCategory: category, helpBaseURI: base), fileSystem: InMemoryFileSystem(files))
        return try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
    }

    func run(_ report: [String: Any]) throws -> [String: Any] {
        try #require((report["runs"] as? [[String: Any]])?.first)
    }

    @Test func categoryBecomesAutomationDetails() throws {
        #expect(try run(sarif(["a.yaml": spec], category: "palisade/lint"))["automationDetails"] as? [String: String] == ["id": "palisade/lint/"])
        #expect(try run(sarif(["a.yaml": spec]))["automationDetails"] == nil)
    }

    /// Every rule links an absolute URL whose anchor is a heading of the page it names.
    @Test func everyRuleHasAnAbsoluteHelpURIToItsHeading() throws {
        let bad = "version: 1\nname: bad\nworkloads:\n  web: {image: nginx:1.25, replica: 2}\n"
        let rules = try #require(
            ((try run(sarif(["a.yaml": spec, "b.yaml": bad]))["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
        #expect(rules.count == LintRegistry.descriptions.count + 1)
        var anchors: [String: Set<String>] = [:]
        for page in ["lint-rules.md", "error-codes.md"] {
            let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/\(page)"), encoding: .utf8)
            anchors[page] = Set(
                text.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { String($0.dropFirst(3)).lowercased().replacing(" ", with: "-") })
        }
        for rule in rules {
            let uri = try #require(rule["helpUri"] as? String)
            #expect(uri.hasPrefix(LintReports.defaultHelpBaseURI))
            let rest = uri.dropFirst(LintReports.defaultHelpBaseURI.count).split(separator: "#").map(String.init)
            #expect(rest.count == 2 && anchors[rest[0]]?.contains(rest[1]) == true, "\(uri)")
            let severity = try #require((rule["properties"] as? [String: Any])?["security-severity"] as? String)
            #expect(Double(severity) != nil)
        }
        let custom = try run(sarif(["a.yaml": spec], base: "https://git.example.com/palisade/docs"))
        let first = try #require((((custom["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])?.first)
        #expect((first["helpUri"] as? String)?.hasPrefix("https://git.example.com/palisade/docs/lint-rules.md#") == true)
    }

    @Test func aHelpBaseThatIsNotAnAbsoluteURLIsAUsageError() {
        let output = Commands.lint(LintRequest(specs: ["a.yaml"], format: .sarif, helpBaseURI: "docs/"), fileSystem: InMemoryFileSystem(["a.yaml": spec]))
        #expect(output.exitStatus == .usage)
        #expect(output.stderr.contains("absolute http(s) URL"))
    }

    /// Moving a workload (here: lines added above it) keeps every fingerprint.
    @Test func fingerprintsHoldNoLineNumbers() throws {
        func fingerprints(_ text: String) throws -> [String] {
            try #require(run(sarif(["a.yaml": text]))["results"] as? [[String: Any]]).map {
                ($0["partialFingerprints"] as? [String: String])?["palisadeSubject/v2"] ?? ""
            }
        }
        let before = try fingerprints(spec)
        let moved = try fingerprints(spec.replacing("segments:", with: "# a comment\n# another\nsegments:"))
        #expect(!before.isEmpty)
        #expect(before == moved)
        #expect(before.allSatisfy { $0.contains(":a.yaml:") })
    }

    @Test func nothingToReportIsAnEmptyResultsArray() throws {
        let results = try run(sarif(["clean.yaml": "version: 1\nname: clean\nworkloads: {}\n"]))["results"] as? [Any]
        #expect(results?.isEmpty == true)
        #expect(try (run(sarif(["a.yaml": spec]))["results"] as? [Any])?.isEmpty == false)
    }

    @Test func pathsAreRelativeToTheRepositoryRoot() {
        let paths = RepositoryPaths(workingDirectory: "/src/repo/specs", root: "/src/repo")
        #expect(paths.relative("shop.yaml") == "specs/shop.yaml")
        #expect(paths.relative("./../specs/./shop.yaml") == "specs/shop.yaml")
        #expect(paths.relative("/src/repo/a.yaml") == "a.yaml")
        #expect(paths.relative("/elsewhere/a.yaml") == "/elsewhere/a.yaml")
        #expect(RepositoryPaths(workingDirectory: "/tmp", root: nil).relative("a.yaml") == "a.yaml")
        #expect(RepositoryPaths.isAbsoluteWebURL("https://example.com/docs/"))
        #expect(!RepositoryPaths.isAbsoluteWebURL("file:///docs/"))
        #expect(!RepositoryPaths.isAbsoluteWebURL("docs/"))
    }
}

@Suite struct BaselineTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-baseline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var shop: String { repositoryRoot.appendingPathComponent("samples/shop.yaml").path }

    @Test func lintReportsOnlyFindingsOutsideTheBaseline() throws {
        let file = directory.appendingPathComponent("lint.json").path
        let first = Commands.lint(LintRequest(specs: [shop], failOn: .warning, writeBaseline: file))
        #expect(first.exitStatus == .failure)  // shop has a warning: the run itself still reports it
        let baseline = try Baseline.parse(String(contentsOfFile: file, encoding: .utf8), file: file, for: .lint)
        #expect(!baseline.fingerprints.isEmpty)
        let second = Commands.lint(LintRequest(specs: [shop], failOn: .warning, baseline: file))
        #expect(second.exitStatus == .success)
        #expect(second.stdout.contains("0 warnings"))
        #expect(second.stdout.contains("more in the baseline"))
        // A baseline that lacks one finding: that finding is reported again.
        var partial = baseline
        partial.fingerprints.remove(try #require(baseline.fingerprints.sorted().first))
        try partial.json.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(Commands.lint(LintRequest(specs: [shop], failOn: .warning, baseline: file)).exitStatus == .failure)
    }

    @Test func compareFailsOnlyOnGapsOutsideTheBaseline() throws {
        let file = directory.appendingPathComponent("compare.json").path
        let request = { (baseline: String?, write: String?) in
            CompareRequest(spec: shop, targets: TargetList(argument: "swarm"), failOn: GapGates(argument: "widened"), baseline: baseline, writeBaseline: write)
        }
        #expect(Commands.compare(request(nil, file)).exitStatus == .failure)
        let second = Commands.compare(request(file, nil))
        #expect(second.exitStatus == .success)
        #expect(second.stdout.contains("in the baseline not shown (swarm "))
        // The JSON form counts them per target.
        var json = request(file, nil)
        json.format = .json
        let report = try #require(try JSONSerialization.jsonObject(with: Data(Commands.compare(json).stdout.utf8)) as? [String: Any])
        let swarm = try #require((report["targets"] as? [[String: Any]])?.first)
        #expect((swarm["baselined"] as? Int ?? 0) > 0)
        #expect((swarm["gaps"] as? [Any])?.isEmpty == true)
    }

    @Test func aBaselineOfTheWrongKindOrShapeIsAUsageError() throws {
        let file = directory.appendingPathComponent("b.json").path
        try Baseline(command: .compare, fingerprints: ["x"]).json.write(toFile: file, atomically: true, encoding: .utf8)
        let wrong = Commands.lint(LintRequest(specs: [shop], baseline: file))
        #expect(wrong.exitStatus == .usage)
        #expect(wrong.stderr.contains("baseline of 'compare'"))
        for text in ["[]", "{\"palisade-baseline\": 9, \"command\": \"lint\", \"fingerprints\": []}", "{\"command\": \"lint\"}", "{"] {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            #expect(Commands.lint(LintRequest(specs: [shop], baseline: file)).exitStatus == .usage, "\(text)")
        }
        #expect(Commands.lint(LintRequest(specs: [shop], baseline: directory.appendingPathComponent("missing.json").path)).exitStatus == .usage)
    }

    @Test func baselineRoundTrips() throws {
        let baseline = Baseline(command: .lint, fingerprints: ["PAL101:a.yaml:workload:api", "PAL407:a.yaml:network:corp"])
        #expect(try Baseline.parse(baseline.json, file: "b.json", for: .lint) == baseline)
    }
}

@Suite struct CommentSizeTests {
    func policy(_ sample: String) throws -> Policy {
        try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/\(sample)").path).policy)
    }

    @Test func compareMarkdownShortensToItsLimitAndSaysSo() throws {
        let comparison = Comparison(try policy("shop.yaml"), targets: TargetName.allCases)
        let full = CompareReport.markdown(comparison, limit: 1_000_000)
        #expect(!full.contains("Shortened to fit"))
        for limit in [full.count - 1, 8_000, 4_000, 1_500] {
            let short = CompareReport.markdown(comparison, limit: limit)
            #expect(short.count <= limit, "limit \(limit): \(short.count)")
            #expect(short.contains("Shortened to fit a pull-request comment"))
            #expect(short.contains("## Palisade fidelity report"))
        }
    }

    @Test func diffMarkdownShortensToItsLimitAndSaysSo() throws {
        let old = try policy("minimal.yaml")
        let new = try policy("shop.yaml")
        let diff = SpecDiff(old: old, new: new)
        let full = DiffReport.markdown(diff, limit: 1_000_000)
        #expect(!full.contains("Shortened to fit"))
        let short = DiffReport.markdown(diff, limit: full.count / 2)
        #expect(short.count <= full.count / 2)
        #expect(short.contains("Shortened to fit a pull-request comment"))
    }
}
