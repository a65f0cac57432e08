import Diagnostics
import Testing

@testable import YAML

/// Each loader limit bounds what it says it bounds, and its message names it: the node limit
/// counts nodes reached through aliases only, and the document's own size is bounded by bytes.
@Suite struct LimitTests {
    func codes(_ result: YAMLLoader.Result) -> [DiagnosticCode] { result.diagnostics.map(\.code) }

    /// A flat list of `count` scalars, written out without aliases.
    func flatList(_ count: Int) -> String {
        "items: [" + Array(repeating: "a", count: count).joined(separator: ",") + "]\n"
    }

    @Test func nodesWrittenOutAreNotCountedAgainstTheAliasLimit() {
        var limits = YAMLLimits()
        limits.maxAliasNodes = 100
        let result = YAMLLoader.load(text: flatList(5_000), file: "t.yaml", limits: limits)
        #expect(result.diagnostics.isEmpty)
        guard case .mapping(let pairs)? = result.root?.content, case .sequence(let items) = pairs.first?.value.content else {
            Issue.record("not a mapping of a list")
            return
        }
        #expect(items.count == 5_000)
    }

    @Test func aDocumentOfMoreThanAMillionOwnNodesLoadsWithTheDefaultLimits() {
        let result = YAMLLoader.load(text: flatList(1_000_100), file: "t.yaml")
        #expect(result.diagnostics.isEmpty)
        #expect((result.root?.weight ?? 0) > 1_000_100)
    }

    @Test func nodesReachedThroughAliasesAreCountedAtTheirExpandedSize() {
        var limits = YAMLLimits()
        limits.maxAliasNodes = 100
        // 9 aliases of a 11-node list: 99 nodes through aliases, within the limit.
        let anchor = "base: &b [a, a, a, a, a, a, a, a, a, a]\n"
        let within = anchor + "uses: [" + Array(repeating: "*b", count: 9).joined(separator: ", ") + "]\n"
        #expect(YAMLLoader.load(text: within, file: "t.yaml", limits: limits).diagnostics.isEmpty)
        let beyond = anchor + "uses: [" + Array(repeating: "*b", count: 10).joined(separator: ", ") + "]\n"
        let result = YAMLLoader.load(text: beyond, file: "t.yaml", limits: limits)
        #expect(codes(result) == [.aliasExpansionTooLarge])
        let message = result.diagnostics.first?.message ?? ""
        #expect(message.contains("through aliases") && message.contains("100"), "\(message)")
        // Located at the alias that went over.
        #expect(result.diagnostics.first?.range?.start.column == 44)
    }

    @Test func eachLimitsMessageNamesTheLimit() {
        var limits = YAMLLimits()
        limits.maxBytes = 2 << 20
        let large = YAMLLoader.load(bytes: Array(repeating: UInt8(ascii: "#"), count: (2 << 20) + 1), file: "t.yaml", limits: limits)
        #expect(codes(large) == [.inputTooLarge])
        #expect(large.diagnostics.first?.message.contains("2 MiB, the size limit") == true, "\(large.diagnostics.map(\.message))")
        let deep = YAMLLoader.load(text: String(repeating: "[", count: 100) + String(repeating: "]", count: 100), file: "t.yaml")
        #expect(deep.diagnostics.first?.message.contains("64 levels, the nesting limit") == true, "\(deep.diagnostics.map(\.message))")
    }

    @Test func sizesAndCountsAreWrittenForPeople() {
        #expect(describeSize(64 << 20) == "64 MiB")
        #expect(describeSize(1 << 30) == "1,024 MiB")
        #expect(describeSize(10) == "10 bytes")
    }
}
