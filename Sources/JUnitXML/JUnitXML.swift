// JUnit XML through the system libxml2. This module imports no Foundation: libxml2's headers
// pull in the system ICU, which clashes with Foundation's own when one module sees both.
@preconcurrency internal import CLibXML2

/// A JUnit report: test suites of test cases, each passed or failed.
public struct JUnitReport: Sendable, Equatable {
    public struct TestCase: Sendable, Equatable {
        public var name: String
        public var className: String
        /// The failures of this case (JUnit allows one; several are joined into its text).
        public var failures: [Failure]

        public init(name: String, className: String, failures: [Failure]) {
            self.name = name
            self.className = className
            self.failures = failures
        }
    }

    public struct Failure: Sendable, Equatable {
        public var message: String
        public var type: String
        public var text: String

        public init(message: String, type: String, text: String) {
            self.message = message
            self.type = type
            self.text = text
        }
    }

    public struct Suite: Sendable, Equatable {
        public var name: String
        public var cases: [TestCase]

        public init(name: String, cases: [TestCase]) {
            self.name = name
            self.cases = cases
        }
    }

    public var name: String
    public var suites: [Suite]

    public init(name: String, suites: [Suite]) {
        self.name = name
        self.suites = suites
    }

    public struct XMLError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The report as a JUnit XML document (UTF-8, indented). It is well-formed whatever the
    /// strings hold: characters XML 1.0 forbids (`xmlText(_:)`) are written as visible escapes.
    public func xml() throws -> String {
        guard let document = xmlNewDoc("1.0") else { throw XMLError(description: "libxml2 could not create a document") }
        defer { xmlFreeDoc(document) }
        let root = xmlNewNode(nil, "testsuites")
        xmlDocSetRootElement(document, root)
        let allCases = suites.flatMap(\.cases)
        setAttribute(root, "name", name)
        setAttribute(root, "tests", String(allCases.count))
        setAttribute(root, "failures", String(allCases.filter { !$0.failures.isEmpty }.count))
        for suite in suites {
            let suiteNode = xmlNewChild(root, nil, "testsuite", nil)
            setAttribute(suiteNode, "name", suite.name)
            setAttribute(suiteNode, "tests", String(suite.cases.count))
            setAttribute(suiteNode, "failures", String(suite.cases.filter { !$0.failures.isEmpty }.count))
            setAttribute(suiteNode, "errors", "0")
            for testCase in suite.cases {
                let caseNode = xmlNewChild(suiteNode, nil, "testcase", nil)
                setAttribute(caseNode, "name", testCase.name)
                setAttribute(caseNode, "classname", testCase.className)
                guard let first = testCase.failures.first else { continue }
                let failureNode = xmlNewChild(caseNode, nil, "failure", nil)
                setAttribute(failureNode, "message", testCase.failures.count == 1 ? first.message : "\(testCase.failures.count) findings")
                setAttribute(failureNode, "type", first.type)
                let text = testCase.failures.map(\.text).joined(separator: "\n")
                xmlAddChild(failureNode, xmlNewText(Self.xmlText(text)))
            }
        }
        var buffer: UnsafeMutablePointer<xmlChar>?
        var size: Int32 = 0
        xmlDocDumpFormatMemoryEnc(document, &buffer, &size, "UTF-8", 1)
        guard let buffer else { throw XMLError(description: "libxml2 could not serialize the document") }
        defer { xmlFree(buffer) }
        return String(decoding: UnsafeBufferPointer(start: buffer, count: Int(size)), as: UTF8.self)
    }

    private func setAttribute(_ node: xmlNodePtr?, _ name: String, _ value: String) {
        xmlSetProp(node, name, Self.xmlText(value))
    }

    /// The string with every character XML 1.0 forbids in attributes and text replaced by a
    /// visible escape, `\u{1b}` for ESC, so that the document stays well-formed and the
    /// information survives. Forbidden: C0 controls other than tab, newline and carriage return
    /// (NUL too, which would otherwise cut the C string libxml2 is given), U+FFFE and U+FFFF;
    /// surrogates cannot occur in a Swift string. libxml2 escapes the rest (`<`, `&`, `"`, and
    /// tab, newline and carriage return in attributes).
    public static func xmlText(_ string: String) -> String {
        guard string.unicodeScalars.contains(where: isForbidden) else { return string }
        var out = String.UnicodeScalarView()
        for scalar in string.unicodeScalars {
            if isForbidden(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00..<0x20, 0xFFFE, 0xFFFF: true
        default: false
        }
    }

    /// Parses a JUnit XML document back (the elements and attributes `xml()` writes).
    public static func parse(_ text: String) throws -> JUnitReport {
        let bytes = Array(text.utf8)
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    xmlReadMemory(
                        $0, Int32(buffer.count), "report.xml", "UTF-8",
                        Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue))
                }
            } ?? nil
        }
        guard let document = parsed else { throw XMLError(description: "not well-formed XML") }
        defer { xmlFreeDoc(document) }
        guard let root = xmlDocGetRootElement(document), name(root) == "testsuites" else {
            throw XMLError(description: "the root element is not <testsuites>")
        }
        var report = JUnitReport(name: attribute(root, "name") ?? "", suites: [])
        for suiteNode in children(root, "testsuite") {
            var suite = Suite(name: attribute(suiteNode, "name") ?? "", cases: [])
            for caseNode in children(suiteNode, "testcase") {
                let failures = children(caseNode, "failure").map { node in
                    Failure(message: attribute(node, "message") ?? "", type: attribute(node, "type") ?? "", text: content(node))
                }
                suite.cases.append(TestCase(name: attribute(caseNode, "name") ?? "", className: attribute(caseNode, "classname") ?? "", failures: failures))
            }
            report.suites.append(suite)
        }
        return report
    }

    private static func name(_ node: xmlNodePtr) -> String {
        node.pointee.name.map { String(cString: $0) } ?? ""
    }

    private static func children(_ node: xmlNodePtr, _ element: String) -> [xmlNodePtr] {
        var result: [xmlNodePtr] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE, name(current) == element { result.append(current) }
            child = current.pointee.next
        }
        return result
    }

    private static func attribute(_ node: xmlNodePtr, _ name: String) -> String? {
        guard let value = xmlGetProp(node, name) else { return nil }
        defer { xmlFree(value) }
        return String(cString: value)
    }

    private static func content(_ node: xmlNodePtr) -> String {
        guard let value = xmlNodeGetContent(node) else { return "" }
        defer { xmlFree(value) }
        return String(cString: value)
    }
}
