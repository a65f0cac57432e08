import Backends
import Foundation
import TestSupport
import Testing
import YAML

#if canImport(Glibc)
    import Glibc
#endif

/// A file the previous tree holds with the bytes the new one writes is linked into the new tree,
/// not written again: it keeps its inode and modification time. Anything else is written anew.
@Suite struct OutputReuseTests {
    /// `lstat` of a path: inode, links, permissions and modification time.
    struct Identity: Equatable {
        var inode: UInt64
        var links: Int
        var mode: UInt32
        var modified: [Int]

        init(_ path: String) throws {
            var info = stat()
            guard lstat(path, &info) == 0 else { throw OutputFileSystemError(call: "lstat", path: path, code: errno) }
            inode = UInt64(info.st_ino)
            links = Int(info.st_nlink)
            mode = UInt32(info.st_mode) & 0o7777
            modified = [Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
        }
    }

    /// A text of three pieces, over 64 KiB each (more than one read of the comparison), with
    /// `last` as its last byte.
    static func large(last: Character = "\n") -> ChunkedText {
        var text = ChunkedText()
        for piece in 0..<3 { text.append(String(repeating: "\(piece)", count: ChunkedText.chunkSize + 1000)) }
        text.append("tail" + String(last))
        return text
    }

    static func tree(_ files: [String: ChunkedText]) -> OutputTree {
        var tree = OutputTree()
        for (path, text) in files { tree.add(path, text) }
        return tree
    }

    static let first: [String: ChunkedText] = [
        "nftables/estate/a.nft": "table inet palisade { }\n",
        "nftables/estate/b.nft": "table inet palisade { b }\n",
        "nftables/estate/c.nft": "short\n",
        "openshift/estate/manifests.yaml": large(),
        "openshift/estate/big.yaml": large(),
    ]

    @Test func anUnchangedFileKeepsItsInodeAndTimeAndTheRestIsWrittenAnew() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            try OutputWriter().write(Self.tree(Self.first), to: out)
            var before: [String: Identity] = [:]
            for path in Self.first.keys { before[path] = try Identity(out + "/" + path) }
            // Later than the first write's times, whatever the clock's grain.
            usleep(20_000)
            var second = Self.first
            second["nftables/estate/b.nft"] = "table inet palisade { c }\n"  // the same size, another byte
            second["nftables/estate/c.nft"] = "longer now\n"
            second["openshift/estate/big.yaml"] = Self.large(last: "!")  // differs in its very last byte
            second["nftables/estate/d.nft"] = "new\n"
            try OutputWriter().write(Self.tree(second), to: out)
            for path in ["nftables/estate/a.nft", "openshift/estate/manifests.yaml"] {
                #expect(try Identity(out + "/" + path) == before[path], "\(path) is the same file")
            }
            for path in ["nftables/estate/b.nft", "nftables/estate/c.nft", "openshift/estate/big.yaml"] {
                #expect(try Identity(out + "/" + path).inode != before[path]?.inode, "\(path) is written anew")
            }
            #expect(try Identity(out + "/nftables/estate/a.nft").links == 1, "no link stays behind")
            let expected = second.mapValues(\.bytes)
            #expect(snapshot(out).filter { !$0.key.hasSuffix(OutputManifest.fileName) && !$0.key.hasSuffix("/") } == expected)
        }
    }

    @Test func aFileWithOtherPermissionsAnotherLinkOrALinkInItsPlaceIsWrittenAnew() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            let files: [String: ChunkedText] = [
                "aws/shop/narrowed.json": "{}\n",
                "aws/shop/linked.json": "{\"linked\": true}\n",
                "aws/shop/symbolic.json": "{\"symbolic\": true}\n",
                "aws/shop/fresh.json": "{\"fresh\": true}\n",
            ]
            try OutputWriter().write(Self.tree(files), to: out)
            let fresh = try Identity(out + "/aws/shop/fresh.json")
            chmod(out + "/aws/shop/narrowed.json", 0o600)
            let narrowed = try Identity(out + "/aws/shop/narrowed.json")
            link(out + "/aws/shop/linked.json", root + "/elsewhere.json")
            let linked = try Identity(out + "/aws/shop/linked.json")
            // A link to a file outside OUT with the same bytes: never followed, never shared.
            try Data("{\"symbolic\": true}\n".utf8).write(to: URL(fileURLWithPath: root + "/outside.json"))
            unlink(out + "/aws/shop/symbolic.json")
            symlink(root + "/outside.json", out + "/aws/shop/symbolic.json")

            try OutputWriter().write(Self.tree(files), to: out)
            #expect(try Identity(out + "/aws/shop/fresh.json") == fresh)
            let rewritten = try Identity(out + "/aws/shop/narrowed.json")
            #expect(rewritten.inode != narrowed.inode && rewritten.mode == fresh.mode)
            #expect(try Identity(out + "/aws/shop/linked.json").inode != linked.inode)
            #expect(try Identity(root + "/elsewhere.json").links == 1, "the other link keeps the old file alone")
            var info = stat()
            #expect(lstat(out + "/aws/shop/symbolic.json", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
            #expect(try Identity(root + "/outside.json").links == 1)
            #expect(snapshot(out).filter { $0.key.hasPrefix("aws/shop/") && !$0.key.hasSuffix("/") } == files.mapValues(\.bytes))
        }
    }

    @Test func onlyAFolderOUTHoldsAlreadyIsLookedIntoAndAnUnchangedTreeIsWrittenByNoFile() throws {
        try withTemporaryFolder { root in
            let out = root + "/out"
            var tree = OutputTree()
            for index in 0..<50 { tree.add("nftables/estate/host-\(index).nft", ChunkedText("table inet host\(index) {}\n")) }
            let first = OutputWriterTests.CallLog()
            try OutputWriter(fileSystem: first).write(tree, to: out)
            // The manifest alone is looked for: the hosts' folder is new.
            #expect(first.calls.filter { $0.call == "link" }.count == 1)
            #expect(first.calls.filter { $0.call == "write" }.count == 51)
            let again = OutputWriterTests.CallLog()
            try OutputWriter(fileSystem: again).write(tree, to: out)
            #expect(again.calls.filter { $0.call == "link" }.count == 51)
            #expect(again.calls.filter { $0.call == "write" }.count == 0)
            #expect(snapshot(out).filter { $0.key.hasSuffix(".nft") }.count == 50)
            #expect(try Identity(out + "/nftables/estate/host-7.nft").links == 1)
        }
    }
}
