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
}
