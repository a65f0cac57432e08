import Testing

@testable import Diagnostics

/// A source range holds its file as an interned `FileName`: equal names are one value, told
/// apart and ordered by name, and a range behaves as if it held the name itself.
@Suite struct FileNameTests {
    @Test func equalNamesAreOneFileName() {
        let name = "specs/" + String(repeating: "long-folder-name/", count: 3) + "shop.yaml"
        let a = FileName(name)
        let b = FileName(String(name.reversed().reversed()))
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.name == name)
        #expect(FileName("a.yaml") != FileName("b.yaml"))
        #expect(Set([a, b, FileName("other.yaml")]).count == 2)
    }

    @Test func fileNamesOrderByName() {
        #expect(FileName("a.yaml") < FileName("b.yaml"))
        #expect(!(FileName("b.yaml") < FileName("a.yaml")))
        #expect(!(FileName("a.yaml") < FileName("a.yaml")))
        // Not by when they were first interned.
        let late = FileName("zz-interned-first-\(#line).yaml")
        let early = FileName("aa-interned-second-\(#line).yaml")
        #expect(early < late)
    }

    @Test func rangesCompareAsTheirNamesAndPositions() {
        func at(_ file: String, _ line: Int) -> SourceRange {
            SourceRange(file: file, start: SourcePosition(line: line, column: 1, offset: 0), end: SourcePosition(line: line, column: 5, offset: 4))
        }
        #expect(at("a.yaml", 9) < at("b.yaml", 1))
        #expect(at("b.yaml", 1) < at("b.yaml", 2))
        #expect(!(at("b.yaml", 2) < at("b.yaml", 2)))
        #expect(at("x.yaml", 3) == at("x.yaml", 3))
        #expect(at("x.yaml", 3) != at("y.yaml", 3))
        var moved = at("x.yaml", 3)
        moved.file = "y.yaml"
        #expect(moved == at("y.yaml", 3))
        #expect(moved.file == "y.yaml")
        #expect(moved.description == "y.yaml:3:1")
    }
}
