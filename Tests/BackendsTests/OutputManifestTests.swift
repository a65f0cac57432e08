import Backends
import Testing

/// `OUT/TARGET/.palisade-manifest`: what it writes, what it reads back, what it refuses.
@Suite struct OutputManifestTests {
    @Test func itsTextIsTheFormatLineCommentsAndTheSortedPaths() throws {
        let manifest = OutputManifest(paths: ["shop/security-groups.json", "chain/security-groups-2.json", "chain/security-groups.json"])
        let lines = manifest.text.split(separator: "\n").map(String.init)
        #expect(lines.first == OutputManifest.formatLine)
        #expect(lines.filter { !$0.hasPrefix("#") }.dropFirst() == ["chain/security-groups-2.json", "chain/security-groups.json", "shop/security-groups.json"])
        #expect(manifest.text.hasSuffix("\n"))
        #expect(try OutputManifest.parse(manifest.bytes) == manifest)
    }

    @Test func commentsBlankLinesAndWindowsLineEndingsAreRead() throws {
        let text = "palisade-manifest 1\r\n# ours\r\n\r\nshop/stack.yaml\r\nshop/extra/notes.yaml"
        #expect(try OutputManifest.parse(Array(text.utf8)).paths == ["shop/stack.yaml", "shop/extra/notes.yaml"])
        #expect(try OutputManifest.parse(Array("palisade-manifest 1\n".utf8)).paths == [])
    }

    @Test(arguments: [
        ("", "not a palisade manifest (its first line is not palisade-manifest 1)"),
        ("shop/stack.yaml\n", "not a palisade manifest (its first line is not palisade-manifest 1)"),
        ("palisade-manifest 2\n", "a manifest of another format (palisade-manifest 2); this palisade reads palisade-manifest 1"),
        ("palisade-manifest 1\n/etc/passwd\n", "line 2 is not a path POLICY/FILE inside the target folder: /etc/passwd"),
        ("palisade-manifest 1\nshop/../../x\n", "line 2 is not a path POLICY/FILE inside the target folder: shop/../../x"),
        ("palisade-manifest 1\n# fine\nshop//x\n", "line 3 is not a path POLICY/FILE inside the target folder: shop//x"),
        ("palisade-manifest 1\nstack.yaml\n", "line 2 is not a path POLICY/FILE inside the target folder: stack.yaml"),
        ("palisade-manifest 1\nshop/a\tb\n", "line 2 is not a path POLICY/FILE inside the target folder: shop/a\tb"),
    ])
    func whatIsNotAManifestIsRefusedWithItsReason(text: String, reason: String) {
        #expect(throws: OutputManifest.Failure(reason: reason)) { try OutputManifest.parse(Array(text.utf8)) }
    }
}
