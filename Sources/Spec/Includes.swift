import Diagnostics
import IR
import YAML

/// Where spec files come from; tests give an in-memory one.
public protocol SpecFileSystem: Sendable {
    /// The bytes of a file.
    func read(_ path: String) throws -> [UInt8]
    /// The bytes of a file, of which at most `maxBytes + 1` are read (so that the loader can
    /// tell a file over the limit without reading all of it). Throws a `FileSystemError`
    /// saying why a file cannot be read; never blocks.
    func read(_ path: String, maxBytes: Int) throws -> [UInt8]
    /// The path with symbolic links resolved, to tell whether a file stays inside a tree.
    func realPath(_ path: String) -> String
}

extension SpecFileSystem {
    /// For file systems that hold their files already: all of it.
    public func read(_ path: String, maxBytes: Int) throws -> [UInt8] { try read(path) }
}

/// The include pass: loads the top-level file and every file it includes (depth first, each
/// file once however often it is reached), checking the include rules of docs/language.md ("include").
struct IncludePass {
    let fileSystem: any SpecFileSystem
    let limits: YAMLLimits
    var sources = SourceFiles()
    var diagnostics: [Diagnostic] = []
    /// Files in load order: the top-level file first.
    var files: [SpecFile] = []
    /// Raw bytes of every file read, in load order, for the content hash.
    var contents: [[UInt8]] = []
    /// The decoder's `flowsPerPart`, when not its own.
    var flowsPerPart: Int?
    /// Time spent in libyaml and composing nodes, as opposed to decoding them.
    var yamlTime: Duration = .zero
    private var loaded: Set<String> = []
    /// The chain of files being loaded, the top-level file first.
    private var visiting: [String] = []
    private var topDirectory: [String] = []

    /// The longest chain of includes below the top-level file. Real specs use two or three
    /// levels; the bound keeps a hostile chain of thousands of files from exhausting the stack.
    static let maxIncludeDepth = 32

    init(fileSystem: any SpecFileSystem, limits: YAMLLimits) {
        self.fileSystem = fileSystem
        self.limits = limits
    }

    /// Loads `path` and its includes. Returns false when the top-level file cannot be read.
    mutating func run(topLevel path: String) -> Bool {
        // A C path ends at a NUL, and `spec.yaml/` would be read as `spec.yaml` once split
        // into components: both are refused as written.
        if let problem = path.isEmpty ? "is empty" : pathProblem(path) {
            diagnostics.append(.error(.unreadableFile, "cannot read \(SafeText.quoted(path)): the path \(problem)", at: nil))
            return false
        }
        topDirectory = Array(pathComponents(path).dropLast())
        let display = normalizedDisplay(pathComponents(path))
        return load(displayPath: display.isEmpty ? "." : display, includedFrom: nil)
    }

    private mutating func load(displayPath: String, includedFrom: Located<String>?) -> Bool {
        if let cycleStart = visiting.firstIndex(of: displayPath), let includedFrom {
            let chain = abbreviatedChain(Array(visiting[cycleStart...]) + [displayPath])
            diagnostics.append(.error(.includeCycle, "include cycle: \(chain)", at: includedFrom.range))
            return true
        }
        if let includedFrom, visiting.count > Self.maxIncludeDepth {
            diagnostics.append(
                .error(
                    .includeTooDeep,
                    "including '\(includedFrom.value)' goes deeper than \(Self.maxIncludeDepth) levels of include, the include depth limit: "
                        + abbreviatedChain(visiting + [displayPath]),
                    at: includedFrom.range, help: "include the shared files from fewer levels, or from the top-level spec"))
            return true
        }
        guard loaded.insert(displayPath).inserted else { return true }
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.read(displayPath, maxBytes: limits.maxBytes)
        } catch {
            if let includedFrom {
                diagnostics.append(.error(.includeNotFound, "cannot read included file '\(includedFrom.value)': \(describe(error))", at: includedFrom.range))
                return true
            }
            diagnostics.append(.error(.unreadableFile, "cannot read '\(displayPath)': \(describe(error))", at: nil))
            return false
        }
        sources.add(SourceFile(path: displayPath, text: String(decoding: bytes, as: UTF8.self)))
        contents.append(bytes)
        let clock = ContinuousClock()
        let started = clock.now
        var result = YAMLLoader.load(bytes: bytes, file: displayPath, limits: limits)
        yamlTime += clock.now - started
        diagnostics += result.diagnostics
        guard let root = result.root else { return true }
        result.root = nil
        var decoder = Decoder()
        if let flowsPerPart { decoder.flowsPerPart = flowsPerPart }
        let file = decoder.specFile(root, path: displayPath, included: includedFrom != nil)
        YAMLNode.release(consume root)
        diagnostics += decoder.diagnostics
        if includedFrom != nil { checkIncludable(file) }
        files.append(file)

        visiting.append(displayPath)
        let directory = Array(pathComponents(displayPath).dropLast())
        for include in file.includes {
            guard let target = resolve(include, from: directory) else { continue }
            _ = load(displayPath: target, includedFrom: include)
        }
        visiting.removeLast()
        return true
    }

    /// Sections only a top-level spec may hold are errors in an included file.
    private mutating func checkIncludable(_ file: SpecFile) {
        for (section, range) in file.sections.sorted(by: { $0.value < $1.value })
        where !SpecSchema.includableSections.contains(section) {
            diagnostics.append(
                .error(
                    .sectionNotAllowedInInclude, "'\(section)' is not allowed in an included file", at: range,
                    help: "included files hold only networks, ports, segments, identities, roles, secrets, workloads, flows and grants"))
        }
    }

    /// The display path of an include, or nil (reported) when it cannot name a file or
    /// leaves the top-level tree.
    private mutating func resolve(_ include: Located<String>, from directory: [String]) -> String? {
        if let problem = pathProblem(include.value) {
            diagnostics.append(.error(.invalidIncludePath, "include path '\(include.value)' \(problem)", at: include.range))
            return nil
        }
        let outside = Diagnostic.error(
            .includeOutsideTree, "include '\(include.value)' leaves the directory of the top-level spec", at: include.range)
        guard !include.value.hasPrefix("/"), !include.value.isEmpty else {
            diagnostics.append(outside)
            return nil
        }
        var components = directory
        for part in include.value.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                guard components.count > topDirectory.count else {
                    diagnostics.append(outside)
                    return nil
                }
                components.removeLast()
                continue
            }
            components.append(String(part))
        }
        guard components.starts(with: topDirectory) else {
            diagnostics.append(outside)
            return nil
        }
        let display = normalizedDisplay(components)
        // A symbolic link may still point outside.
        let root = fileSystem.realPath(topDirectory.isEmpty ? "." : normalizedDisplay(topDirectory))
        let real = fileSystem.realPath(display)
        if real != display, !(real == root || real.hasPrefix(root.hasSuffix("/") ? root : root + "/")) {
            diagnostics.append(outside)
            return nil
        }
        return display
    }

    private func describe(_ error: any Error) -> String {
        if let error = error as? FileSystemError { return error.description }
        return "\(error)"
    }

    /// Why a path as written cannot name a file, or nil.
    private func pathProblem(_ path: String) -> String? {
        if path.utf8.contains(0) { return "contains a NUL character, which no file name can hold" }
        let last = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        if path.hasSuffix("/"), path != "/" { return "ends in '/', so it names a directory, not a file" }
        if last == "." || last == ".." { return "names a directory, not a file" }
        return nil
    }
}

/// A chain of files as `a -> b -> c`, with the middle left out when it is long.
func abbreviatedChain(_ files: [String], keep: Int = 3) -> String {
    guard files.count > 2 * keep + 1 else { return files.joined(separator: " -> ") }
    let left = files.count - 2 * keep
    return (files.prefix(keep) + ["… (\(left) more)"] + files.suffix(keep)).joined(separator: " -> ")
}

/// Path components with `.` removed and `..` applied where possible.
func pathComponents(_ path: String) -> [String] {
    var result: [String] = []
    if path.hasPrefix("/") { result.append("") }
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
        if part == "." { continue }
        if part == "..", let last = result.last, last != "..", last != "" {
            result.removeLast()
            continue
        }
        result.append(String(part))
    }
    return result
}

func normalizedDisplay(_ components: [String]) -> String {
    if components == [""] { return "/" }
    return components.joined(separator: "/")
}

/// A file that could not be read, with the operating system's reason.
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
