import Diagnostics
import Foundation
import JUnitXML
import Lint
import Palisade
import Reports
import Spec
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Reports stay well-formed whatever the input holds: file names with control characters,
/// URI delimiters and percent signs, messages with newlines, escape sequences and long values.
@Suite struct HostileInputTests {
    /// A spec with findings (PAL101 and others), written under hostile names.
    static let spec = "version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, runtime: {privileged: true}}\n"

    /// A fresh directory holding `spec` under each name; removed by the caller.
    func folder(with names: [String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-hostile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for name in names {
            #expect(FileManager.default.createFile(atPath: root + "/" + name, contents: Data(Self.spec.utf8)), "cannot create \(name)")
        }
        return root
    }

    /// Parses with Foundation's `XMLParser` (a parser apart from `JUnitReport.parse`); nil
    /// when the document is not well-formed.
    func parsedWithXMLParser(_ xml: String) -> [String: [String]]? {
        final class Collector: NSObject, XMLParserDelegate {
            var attributes: [String: [String]] = [:]
            func parser(
                _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]
            ) {
                for (name, value) in attributes { self.attributes["\(element).\(name)", default: []].append(value) }
            }
        }
        let parser = XMLParser(data: Data(xml.utf8))
        let collector = Collector()
        parser.delegate = collector
        return parser.parse() ? collector.attributes : nil
    }

    // MARK: JUnit

    /// `palisade lint $'ctl\x01\x1b.yaml' --format junit` wrote `&#x1;` and `&#x1b;`, which XML 1.0
    /// forbids: no parser read the report.
    @Test func junitOfControlCharacterFileNamesIsWellFormed() throws {
        let names = ["ctl\u{01}\u{1b}.yaml", "tab\tnl\ncr\r.yaml", "del\u{7f}c1\u{85}.yaml"]
        let root = try folder(with: names)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = LintPipeline.lint(paths: names.map { root + "/" + $0 }, fileSystem: LocalFileSystem(), toolVersion: "test")
        #expect(result.diagnostics.isEmpty)
        let xml = try LintReports.junit(result.run)
        let attributes = try #require(parsedWithXMLParser(xml), "Foundation's XMLParser cannot parse the JUnit report")
        #expect(
            attributes["testsuite.name"] == [
                root + "/ctl\\u{1}\\u{1b}.yaml", root + "/tab\\tnl\\ncr\\r.yaml", root + "/del\\u{7f}c1\\u{85}.yaml",
            ])
        let report = try JUnitReport.parse(xml)
        let failures = report.suites.flatMap(\.cases).flatMap(\.failures)
        #expect(!failures.isEmpty)
        // A line per finding, the file named on it escaped.
        #expect(failures.reduce(0) { $0 + $1.text.split(separator: "\n").count } == result.run.specs.flatMap(\.findings).count)
        #expect(failures.allSatisfy { failure in failure.text.split(separator: "\n").allSatisfy { $0.hasPrefix(root + "/") } })
    }

    /// Every string the writer is given, in attributes and in text: what XML 1.0 forbids becomes
    /// a visible escape (NUL cut the string short before), what it allows survives as it is.
    @Test func junitWriterReplacesWhatXMLForbids() throws {
        let hostile = "nul\u{0} esc\u{1b}[31m bell\u{07} fffe\u{FFFE} ffff\u{FFFF} tab\t nl\n cr\r end"
        let escaped = "nul\\u{0} esc\\u{1b}[31m bell\\u{7} fffe\\u{fffe} ffff\\u{ffff} tab\t nl\n cr\r end"
        #expect(JUnitReport.xmlText(hostile) == escaped)
        #expect(JUnitReport.xmlText("plain <&> \"text\" é 🚀 \u{FFFD} \u{10FFFF}") == "plain <&> \"text\" é 🚀 \u{FFFD} \u{10FFFF}")
        let report = JUnitReport(
            name: hostile,
            suites: [
                .init(name: hostile, cases: [.init(name: hostile, className: hostile, failures: [.init(message: hostile, type: hostile, text: hostile)])])
            ])
        let xml = try report.xml()
        #expect(parsedWithXMLParser(xml) != nil, "Foundation's XMLParser cannot parse \(xml)")
        let parsed = try JUnitReport.parse(xml)
        #expect(parsed.name == escaped)
        #expect(parsed.suites.first?.name == escaped)
        let failure = try #require(parsed.suites.first?.cases.first?.failures.first)
        #expect(failure.message == escaped)
        #expect(failure.type == escaped)
        #expect(failure.text == escaped)
    }

    // MARK: SARIF

    func sarifURIs(_ run: LintRun) throws -> (uris: [(uri: String, base: String?)], bases: [String: Any]) {
        let object = try JSONSerialization.jsonObject(with: Data(LintReports.sarif(run).utf8))
        let runObject = try #require(((object as? [String: Any])?["runs"] as? [[String: Any]])?.first)
        let results = try #require(runObject["results"] as? [[String: Any]])
        let uris = try results.map { result in
            let location = try #require((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            let artifact = try #require(location["artifactLocation"] as? [String: Any])
            return (uri: try #require(artifact["uri"] as? String), base: artifact["uriBaseId"] as? String)
        }
        return (uris, runObject["originalUriBaseIds"] as? [String: Any] ?? [:])
    }

    static let unreservedSlashOrPercent = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/%".unicodeScalars)

    static let uriHostileNames = ["a b#c?.yaml", "100%25.yaml", "ctl\u{01}\u{1b}.yaml", "é [x]:y;z=w&v+u@t!s$r'q(p)*o,n.yaml"]

    /// Relative spec paths: the SARIF `uri` was the raw path, where `#` starts a fragment, `?` a
    /// query and `%25` decodes to `%`. Now a percent-encoded reference under `%SRCROOT%`.
    @Test func sarifRelativeURIsArePercentEncodedUnderSourceRoot() throws {
        let root = try folder(with: Self.uriHostileNames)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = LintPipeline.lint(paths: Self.uriHostileNames, fileSystem: DirectoryFileSystem(root: root), toolVersion: "test")
        #expect(result.diagnostics.isEmpty)
        #expect(result.run.specs.count == Self.uriHostileNames.count)
        let (uris, bases) = try sarifURIs(result.run)
        #expect(bases.keys.sorted() == ["%SRCROOT%"])
        #expect(Set(uris.map(\.uri)).count == Self.uriHostileNames.count)
        #expect(uris.contains { $0.uri == "a%20b%23c%3F.yaml" })
        #expect(uris.contains { $0.uri == "100%2525.yaml" })
        #expect(uris.contains { $0.uri == "ctl%01%1B.yaml" })
        for (uri, base) in uris {
            #expect(base == "%SRCROOT%")
            #expect(uri.unicodeScalars.allSatisfy(Self.unreservedSlashOrPercent.contains), "\(uri) has a character it should encode")
            let decoded = try #require(uri.removingPercentEncoding)
            #expect(Self.uriHostileNames.contains(decoded), "\(uri) decodes to \(decoded)")
            // As a URI reference resolved against a base: the whole name is the last path segment.
            let resolved = try #require(URL(string: uri, relativeTo: URL(string: "file:///src/")))
            #expect(resolved.absoluteURL.path == "/src/" + decoded)
            #expect(resolved.fragment == nil && resolved.query == nil)
        }
    }

    /// Absolute spec paths: absolute `file://` URIs, percent-encoded, with no base id.
    @Test func sarifAbsoluteURIsAreFileURIs() throws {
        let root = try folder(with: Self.uriHostileNames)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let paths = Self.uriHostileNames.map { root + "/" + $0 }
        let result = LintPipeline.lint(paths: paths, fileSystem: LocalFileSystem(), toolVersion: "test")
        #expect(result.run.specs.count == paths.count)
        for (uri, base) in try sarifURIs(result.run).uris {
            #expect(base == nil)
            #expect(uri.hasPrefix("file:///"))
            let url = try #require(URL(string: uri))
            #expect(url.isFileURL && url.fragment == nil && url.query == nil)
            #expect(paths.contains(url.path), "\(uri) is the file \(url.path)")
            #expect(uri.dropFirst("file://".count).removingPercentEncoding.map { paths.contains($0) } == true)
        }
    }

    /// Paths that need no encoding keep their form: `samples/shop.yaml` stays `samples/shop.yaml`.
    @Test func sarifPlainPathsAreUnchanged() {
        #expect(LintReports.sarifArtifactLocation("samples/shop.yaml") == .object([.init("uri", "samples/shop.yaml"), .init("uriBaseId", "%SRCROOT%")]))
        #expect(LintReports.sarifArtifactLocation("/srv/specs/a-b_c~d.yaml") == .object([.init("uri", "file:///srv/specs/a-b_c~d.yaml")]))
    }

    // MARK: Messages

    /// A run whose one finding's message holds what the front end lets no spec hold today: the
    /// reports must not count on that.
    static func hostileRun(message: String) -> LintRun {
        let range = SourceRange(file: "nl\nfile\u{1b}.yaml", start: .init(line: 1, column: 1, offset: 0), end: .init(line: 1, column: 2, offset: 1))
        let finding = Finding(rule: "PAL101", severity: .warning, message: message, range: range, subject: "workload:a")
        return LintRun(
            specs: [.init(path: "nl\nfile\u{1b}.yaml", findings: [finding])], rules: LintRegistry.descriptions, sources: SourceFiles(), toolVersion: "test")
    }

    static let hostileMessage = "a: runs \u{1b}[2J\u{1b}[31mprivileged\nPAL000 fake: line\r\u{0}\u{85}\u{2028}\u{202e}x\u{FFFF}"
    static let escapedMessage = "a: runs \\u{1b}[2J\\u{1b}[31mprivileged\\nPAL000 fake: line\\r\\u{0}\\u{85}\\u{2028}\\u{202e}x\\u{ffff}"

    /// True when the text has a control character (other than the newline a format puts between
    /// lines, when `newlines`), a line or paragraph separator, or a bidirectional override.
    func hasRawControl(_ text: String, newlines: Bool = false) -> Bool {
        text.unicodeScalars.contains { scalar in
            if newlines && scalar == "\n" { return false }
            return scalar.properties.generalCategory == .control || [0x2028, 0x2029, 0x202E].contains(scalar.value)
        }
    }

    func sarifMessages(_ run: LintRun) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(LintReports.sarif(run).utf8))
        let results = try #require(((object as? [String: Any])?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
        return try results.map { try #require(($0["message"] as? [String: Any])?["text"] as? String) }
    }

    func jsonMessages(_ run: LintRun) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(LintReports.json(run).utf8))
        let specs = try #require((object as? [String: Any])?["specs"] as? [[String: Any]])
        return try specs.flatMap { try #require($0["findings"] as? [[String: Any]]) }.map { try #require($0["message"] as? String) }
    }

    /// A message with newlines and escape sequences came out raw in every format: a terminal ran
    /// them, the JUnit text gained lines, SARIF and JSON consumers got multi-line messages.
    @Test func messagesHaveTheirControlCharactersEscapedInEveryFormat() throws {
        let run = Self.hostileRun(message: Self.hostileMessage)
        #expect(try sarifMessages(run) == [Self.escapedMessage])
        #expect(try jsonMessages(run) == [Self.escapedMessage])
        let junit = try JUnitReport.parse(try LintReports.junit(run))
        let failure = try #require(junit.suites.first?.cases.first { $0.className == "palisade.lint.PAL101" }?.failures.first)
        #expect(failure.message == Self.escapedMessage)
        #expect(failure.text == "nl\\nfile\\u{1b}.yaml:1:1: " + Self.escapedMessage)
        #expect(junit.suites.first?.name == "nl\\nfile\\u{1b}.yaml")
        let text = LintReports.text(run)
        #expect(!hasRawControl(text, newlines: true))
        #expect(text.hasPrefix("nl\\nfile\\u{1b}.yaml\nnl\\nfile\\u{1b}.yaml:1:1: warning[PAL101]: \(Self.escapedMessage)\n\n"))
    }

    /// A long value makes a long message; every format shows its start and end, and how much
    /// was left out.
    @Test func longMessagesAreAbbreviatedInEveryFormat() throws {
        let value = "registry.example.com/" + String(repeating: "x", count: 100_000) + "\n:end"
        let long = "a: image '\(value)' is not pinned by digest"
        let run = Self.hostileRun(message: long)
        let messages =
            try sarifMessages(run) + jsonMessages(run) + [
                try #require(try JUnitReport.parse(try LintReports.junit(run)).suites.first?.cases.first?.failures.first?.message)
            ]
        for message in messages {
            #expect(message.count <= 600)
            #expect(message.hasPrefix("a: image 'registry.example.com/xxx"))
            #expect(message.hasSuffix("x\\n:end' is not pinned by digest"))
            // 360 scalars from the start and 120 from the end are kept.
            #expect(message.contains("…(\(long.unicodeScalars.count - 480) characters omitted)…"))
            #expect(!hasRawControl(message))
        }
        #expect(LintReports.text(run).split(separator: "\n").allSatisfy { $0.count <= 700 })
        // Short messages, the samples' included, are left whole.
        #expect(try sarifMessages(Self.hostileRun(message: String(repeating: "y", count: 500))) == [String(repeating: "y", count: 500)])
    }
}

/// A directory's files by paths relative to it, as `palisade lint` run inside it reads them.
struct DirectoryFileSystem: SpecFileSystem {
    let root: String

    func read(_ path: String) throws -> [UInt8] {
        try LocalFileSystem().read(path.hasPrefix("/") ? path : root + "/" + path)
    }

    func realPath(_ path: String) -> String {
        let real = LocalFileSystem().realPath(path.hasPrefix("/") ? path : root + "/" + path)
        let base = LocalFileSystem().realPath(root) + "/"
        return real.hasPrefix(base) ? String(real.dropFirst(base.count)) : real
    }
}
