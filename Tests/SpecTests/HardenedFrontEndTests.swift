import Diagnostics
import Foundation
import TestSupport
import Testing
import YAML

@testable import Spec

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The front end never crashes and never hangs, whatever the files it is given: include depth
/// is bounded, only regular files are read and never past the size limit, paths are taken as
/// written, and every failure gives its real reason at the include that caused it.
@Suite struct HardenedFrontEndTests {
    /// A fresh directory under the temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-harden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let workloads = "workloads: {web: {image: \"registry.example.com/web:1.0\", ports: [tcp/443]}}\n"

    /// A top-level spec in `directory` that includes `include` (written as a YAML string).
    static func writeTop(_ directory: URL, include: String) throws -> String {
        let path = directory.appendingPathComponent("top.yaml").path
        try "version: 1\nname: t\ninclude: [\(include)]\n\(workloads)".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func errors(_ output: SpecCompiler.Output) -> [Diagnostic] { output.diagnostics.filter { $0.severity == .error } }

    // MARK: Include depth

    @Test func anIncludeChainOf4000FilesIsOneLocatedError() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = { (index: Int) in "c" + String(repeating: "0", count: 5 - String(index).count) + "\(index).yaml" }
        let count = 4_000
        for index in 0..<count {
            let next = index + 1 < count ? "include: [\(name(index + 1))]\n" : ""
            try "\(next)ports: {p\(index): [tcp/\(index + 1)]}\n".write(
                to: directory.appendingPathComponent(name(index)), atomically: false, encoding: .utf8)
        }
        let top = try Self.writeTop(directory, include: name(0))
        let output = SpecCompiler.compile(path: top)
        let found = errors(output)
        #expect(found.map(\.code) == [.includeTooDeep], "\(found.map(\.message))")
        let error = try #require(found.first)
        // At the include of the file 32 levels down, in the file that includes it.
        let deepest = IncludePass.maxIncludeDepth - 1
        #expect(error.range?.file == directory.appendingPathComponent(name(deepest)).path)
        #expect(error.range?.start.line == 1)
        #expect(error.message.contains("32 levels of include, the include depth limit"))
        // The chain from the top-level file, its middle left out.
        let chain = ["top.yaml", name(0), name(1), "… (28 more)", name(30), name(31), name(32)]
            .map { $0.hasPrefix("…") ? $0 : directory.appendingPathComponent($0).path }.joined(separator: " -> ")
        #expect(error.message == "including '\(name(32))' goes deeper than 32 levels of include, the include depth limit: \(chain)")
    }

    @Test func thirtyTwoLevelsOfIncludeAreFine() {
        var files: [String: String] = [:]
        for index in 0..<IncludePass.maxIncludeDepth {
            let next = index + 1 < IncludePass.maxIncludeDepth ? "include: [f\(index + 1).yaml]\n" : ""
            files["f\(index).yaml"] = "\(next)ports: {p\(index): [tcp/\(index + 1)]}\n"
        }
        let output = compileSpec("version: 1\nname: t\ninclude: [f0.yaml]\n\(Self.workloads)", files: files)
        #expect(errors(output).isEmpty, "\(output.diagnostics.map(\.message))")
        files["f\(IncludePass.maxIncludeDepth - 1).yaml"] = "include: [one-more.yaml]\n"
        files["one-more.yaml"] = "ports: {last: [tcp/1]}\n"
        let deeper = compileSpec("version: 1\nname: t\ninclude: [f0.yaml]\n\(Self.workloads)", files: files)
        #expect(errors(deeper).map(\.code) == [.includeTooDeep])
    }

    @Test func longCycleChainsAreAbbreviated() {
        #expect(abbreviatedChain(["a", "b", "a"]) == "a -> b -> a")
        #expect(abbreviatedChain((0..<10).map { "f\($0)" }) == "f0 -> f1 -> f2 -> … (4 more) -> f7 -> f8 -> f9")
    }

    // MARK: Only regular files, never blocking, never past the limit

    @Test func aNamedPipeIsRefusedWithoutBlocking() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo.yaml").path
        try #require(mkfifo(fifo, 0o600) == 0)
        // Were the compiler to block reading the pipe, this releases it (an empty file), so the
        // test fails instead of hanging.
        let releaser = Thread {
            for _ in 0..<50 {
                Thread.sleep(forTimeInterval: 0.1)
                let writer = open(fifo, O_WRONLY | O_NONBLOCK)
                if writer >= 0 {
                    close(writer)
                    return
                }
            }
        }
        releaser.start()
        let top = try Self.writeTop(directory, include: "fifo.yaml")
        let included = SpecCompiler.compile(path: top)
        #expect(errors(included).map(\.code) == [.includeNotFound])
        #expect(errors(included).first?.message == "cannot read included file 'fifo.yaml': it is a named pipe, not a regular file")
        #expect(errors(included).first?.range?.start.line == 3)
        #expect(errors(included).first?.range?.start.column == 11)
        let direct = SpecCompiler.compile(path: fifo)
        #expect(!direct.readable)
        #expect(errors(direct).map(\.message) == ["cannot read '\(fifo)': it is a named pipe, not a regular file"])
    }

    @Test(arguments: ["/dev/zero", "/dev/urandom", "/dev/null"])
    func aDeviceIsRefusedWithoutReadingIt(path: String) throws {
        try #require(FileManager.default.fileExists(atPath: path))
        let output = SpecCompiler.compile(path: path)
        #expect(!output.readable)
        #expect(errors(output).map(\.code) == [.unreadableFile])
        #expect(errors(output).first?.message == "cannot read '\(path)': it is a character device, not a regular file")
    }

    @Test func readingStopsOneBytePastTheLimit() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("big.yaml").path
        try String(repeating: "# padding\n", count: 1_000).write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try LocalFileSystem().read(path, maxBytes: 100).count == 101)
        #expect(try LocalFileSystem().read(path, maxBytes: 20_000).count == 10_000)
        var limits = YAMLLimits()
        limits.maxBytes = 100
        let output = SpecCompiler.compile(path: path, limits: limits)
        #expect(errors(output).map(\.code) == [.inputTooLarge])
        // An endless source read through the same loop stops at the limit too.
        let zero = open("/dev/zero", O_RDONLY)
        try #require(zero >= 0)
        defer { close(zero) }
        #expect(try LocalFileSystem.readBounded(zero, limit: 300_001, sizeHint: 0).count == 300_001)
    }

    // MARK: Real reasons

    @Test func aSymbolicLinkLoopSaysSo() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("a.yaml").path, withDestinationPath: "b.yaml")
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("b.yaml").path, withDestinationPath: "a.yaml")
        let output = SpecCompiler.compile(path: try Self.writeTop(directory, include: "a.yaml"))
        #expect(errors(output).map(\.message) == ["cannot read included file 'a.yaml': too many levels of symbolic links"])
        #expect(errors(output).first?.range?.start.line == 3)
    }

    @Test func aDirectoryIsNotAFile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("common"), withIntermediateDirectories: true)
        let output = SpecCompiler.compile(path: try Self.writeTop(directory, include: "common"))
        #expect(errors(output).map(\.message) == ["cannot read included file 'common': it is a directory, not a regular file"])
        let top = SpecCompiler.compile(path: directory.path)
        #expect(!top.readable)
        #expect(errors(top).map(\.message) == ["cannot read '\(directory.path)': it is a directory, not a regular file"])
    }

    @Test func permissionDeniedSaysSo() throws {
        // The superuser reads every file.
        guard geteuid() != 0 else { return }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = directory.appendingPathComponent("secret.yaml").path
        try "ports: {p: [tcp/1]}\n".write(toFile: secret, atomically: false, encoding: .utf8)
        try #require(chmod(secret, 0) == 0)
        let output = SpecCompiler.compile(path: try Self.writeTop(directory, include: "secret.yaml"))
        #expect(errors(output).map(\.message) == ["cannot read included file 'secret.yaml': permission denied"])
    }

    @Test func aFileNameThatIsNotUTF8IsReportedAsSuch() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // `bad\xFF.yaml`, created by its bytes; some file systems refuse such names.
        let raw: [UInt8] = Array(directory.path.utf8) + Array("/bad".utf8) + [0xFF] + Array(".yaml".utf8) + [0]
        let descriptor = raw.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o600) }
        }
        guard descriptor >= 0 else { return }
        close(descriptor)
        // As a command line argument arrives: the bad byte replaced with U+FFFD.
        let path = directory.path + "/bad\u{FFFD}.yaml"
        let output = SpecCompiler.compile(path: path)
        #expect(!output.readable)
        #expect(
            errors(output).first?.message.hasSuffix(": the file name is not valid UTF-8 (\(directory.path)/bad\\xFF.yaml)") == true,
            "\(output.diagnostics.map(\.message))")
        #expect(escapedBytes([0x61, 0xC3, 0xA9, 0xFF, 0xE2, 0x82]) == "aé\\xFF\\xE2\\x82")
    }

    // MARK: Include paths taken as written

    @Test(arguments: [
        ("\"common/base.yaml\\0x\"", "include path 'common/base.yaml\\0x' contains a NUL character, which no file name can hold"),
        ("\"common/base.yaml/\"", "include path 'common/base.yaml/' ends in '/', so it names a directory, not a file"),
        ("\".\"", "include path '.' names a directory, not a file"),
        ("\"common/.\"", "include path 'common/.' names a directory, not a file"),
        ("\"common/..\"", "include path 'common/..' names a directory, not a file"),
    ])
    func includePathsThatCannotNameAFileAreLocatedErrors(include: String, message: String) {
        let output = compileSpec(
            "version: 1\nname: t\ninclude: [\(include)]\n\(Self.workloads)", files: ["common/base.yaml": "ports: {https: [tcp/443]}\n"])
        #expect(errors(output).map(\.code) == [.invalidIncludePath])
        #expect(errors(output).map(\.message) == [message])
        #expect(errors(output).first?.range?.start.line == 3)
        #expect(errors(output).first?.range?.start.column == 11)
    }

    @Test func aTopLevelPathIsTakenAsWritten() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("spec.yaml").path
        try "version: 1\nname: t\n\(Self.workloads)".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(SpecCompiler.compile(path: path).policy != nil)
        for written in [path + "/", path + "\u{0}x", "", directory.path + "/."] {
            let output = SpecCompiler.compile(path: written)
            #expect(!output.readable)
            #expect(errors(output).map(\.code) == [.unreadableFile])
        }
        #expect(errors(SpecCompiler.compile(path: path + "/")).first?.message.hasSuffix("the path ends in '/', so it names a directory, not a file") == true)
    }

    // MARK: Diagnostics safe to print

    @Test func aNewlineInAnImageStaysOnTheDiagnosticsLine() {
        let output = compileSpec("version: 1\nname: t\nworkloads:\n  web: {image: \"ngi\\nnx:1.25\\e[31m\"}\n")
        let error = errors(output).first
        #expect(error?.code == .invalidImage)
        #expect(error?.message.hasPrefix("'ngi\\nnx:1.25\\u{1b}[31m' is not a valid image reference") == true, "\(error?.message ?? "")")
        let text = DiagnosticRenderer(sources: output.sources).render(output.diagnostics)
        #expect(text.split(separator: "\n").first?.hasPrefix("spec.yaml:4:16: error[E601]: 'ngi\\nnx") == true, "\(text)")
        #expect(!text.unicodeScalars.contains { $0 != "\n" && SafeText.needsEscape($0) })
    }

    @Test func aOneMegabyteNameDoesNotFloodTheOutput() {
        let name = String(repeating: "a", count: 1_000_000)
        let output = compileSpec("version: 1\nname: \(name)\n\(Self.workloads)flows:\n  - {from: \(name), to: web, ports: [tcp/443]}\n")
        #expect(output.hasErrors)
        let text = DiagnosticRenderer(sources: output.sources).render(output.diagnostics)
        #expect(text.utf8.count < 4_000, "\(text.utf8.count) bytes for \(output.diagnostics.count) diagnostics")
        #expect(text.contains("(1,000,000 characters)"))
    }

    // MARK: No follow-on first

    @Test func aMisspelledTopLevelKeyIsReportedAloneWithItsSuggestion() {
        let output = compileSpec("version: 1\nname: t\nworkload:\n  web: {image: \"registry.example.com/web:1.0\"}\n")
        #expect(errors(output).map(\.code) == [.unknownKey])
        #expect(errors(output).first?.help == "did you mean 'workloads'?")
        // A key that is simply absent is still missing.
        let absent = compileSpec("version: 1\nname: t\nflows: []\n")
        #expect(errors(absent).map(\.code) == [.missingKey])
        // And so is one that no unknown key comes close to.
        let unrelated = compileSpec("version: 1\nname: t\nzzzzzzzz: 1\n")
        #expect(errors(unrelated).map(\.code) == [.missingKey, .unknownKey])
    }

    @Test func aMisspelledRequiredKeyInAWorkloadIsNotAlsoMissing() {
        let output = compileSpec("version: 1\nname: t\nworkloads:\n  web: {imag: \"registry.example.com/web:1.0\"}\n")
        #expect(errors(output).first?.code == .unknownKey)
        #expect(!errors(output).contains { $0.code == .missingKey })
    }

    // MARK: Specs as large as real ones get

    @Test func aSpecOf100000FlowsCompiles() {
        let workloads = 400
        var text = "version: 1\nname: big\nworkloads:\n"
        for index in 0..<workloads { text += "  w\(index): {image: registry.example.com/w:1.0, ports: [tcp/8080]}\n" }
        text += "flows:\n"
        var flows = 0
        outer: for from in 0..<workloads {
            for to in 0..<workloads where to != from {
                text += "  - {from: w\(from), to: w\(to), ports: [tcp/8080]}\n"
                flows += 1
                if flows == 100_000 { break outer }
            }
        }
        let output: SpecCompiler.Output? = compileSpec(text)
        #expect(output?.diagnostics.isEmpty == true, "\(output?.diagnostics.prefix(3).map(\.message) ?? [])")
        #expect(output?.policy?.flows.count == 100_000)
        // Linear passes take seconds even in a debug build; a quadratic one would take hours
        // (the cost itself is measured by scripts/bench.sh, not by a timed test).
    }
}
