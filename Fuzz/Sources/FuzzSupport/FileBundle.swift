import Spec

/// Several files in one fuzz input, so that one input can hold a spec and the files it includes,
/// or a Marathon group and its ACLs. A line `#file: PATH` starts the file PATH; the bytes before
/// the first such line belong to the file named `main`. An input without such lines is that one
/// file. The marker lines are YAML comments, so a bundle of spec files still reads as YAML.
///
/// ```
/// version: 1
/// include: [common/base.yaml]
/// #file: common/base.yaml
/// networks: {corp: [10.0.0.0/8]}
/// ```
public struct FileBundle: SpecFileSystem {
    public static let marker: [UInt8] = Array("#file: ".utf8)

    /// The files in input order, the first one first; a path given twice keeps its first file.
    public private(set) var files: [(path: String, contents: [UInt8])] = []

    public init(_ bytes: [UInt8], main: String) {
        // Where each marker line starts: at the start of the input or right after a newline.
        var markers: [Int] = []
        for index in bytes.indices where (index == 0 || bytes[index - 1] == UInt8(ascii: "\n")) && bytes[index...].starts(with: Self.marker) {
            markers.append(index)
        }
        var seen: Set<String> = []
        func add(_ path: String, _ range: Range<Int>) {
            if seen.insert(path).inserted { files.append((path, Array(bytes[range]))) }
        }
        if markers.first != 0 { add(main, 0..<(markers.first ?? bytes.count)) }
        for (number, marker) in markers.enumerated() {
            let end = number + 1 < markers.count ? markers[number + 1] : bytes.count
            let nameStart = marker + Self.marker.count
            let nameEnd = bytes[nameStart..<end].firstIndex(of: UInt8(ascii: "\n")) ?? end
            let path = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self).trimmingWhitespace
            add(path, min(end, nameEnd + 1)..<end)
        }
    }

    /// The first file's path: the top-level spec.
    public var top: String { files.first?.path ?? "" }

    public subscript(path: String) -> [UInt8]? { files.first { $0.path == path }?.contents }

    public func read(_ path: String) throws -> [UInt8] {
        guard let contents = self[path] else { throw FileSystemError("no such file in the fuzz input") }
        return contents
    }

    public func realPath(_ path: String) -> String { path }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
