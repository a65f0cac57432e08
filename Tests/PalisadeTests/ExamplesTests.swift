import Foundation
import TestSupport
import Testing

/// Every example a user is shown runs as shown, against the samples: the `Examples:` of
/// `palisade --help` and `palisade help COMMAND` (exit 0), the `palisade` lines of the `sh`
/// blocks in the README, `docs/` and the targets' READMEs (exit 0), and the `console` blocks
/// (their output, exactly). The built `palisade` binary runs them, in a scratch folder that
/// sees the repository's `samples/`, `docs/` and `targets/`.
@Suite(.serialized) struct ExamplesTests {
    static let commands = ["compile", "compare", "diff", "lint", "explain", "graph", "targets", "schema"]

    /// The `palisade` built beside this test bundle.
    static var binary: URL? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("palisade")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let debug = repositoryRoot.appendingPathComponent(".build/debug/palisade")
        return FileManager.default.isExecutableFile(atPath: debug.path) ? debug : nil
    }

    struct Run {
        var status: Int32
        var output: String
    }

    /// Runs a shell command line whose `palisade` is the built binary, in a scratch folder.
    static func run(_ line: String, binary: URL) throws -> Run {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-examples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for folder in ["samples", "docs", "targets"] {
            try FileManager.default.createSymbolicLink(
                at: scratch.appendingPathComponent(folder), withDestinationURL: repositoryRoot.appendingPathComponent(folder))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", commandLine(line) + " 2>&1"]
        process.currentDirectoryURL = scratch
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = binary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// The line as the shell should run it: `swift run palisade` is the built binary, a
    /// trailing comment goes, and a pipe into another program (`| dot -Tsvg …`) is cut, so
    /// the example's own exit status is palisade's.
    static func commandLine(_ line: String) -> String {
        var text = line
        if text.hasPrefix("swift run palisade ") { text = String(text.dropFirst("swift run ".count)) }
        if let comment = text.range(of: "   #") ?? text.range(of: "  #") { text = String(text[..<comment.lowerBound]) }
        if let pipe = text.range(of: " | ") { text = String(text[..<pipe.lowerBound]) }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// The example lines of one help text: the indented `palisade …` lines under `Examples:`.
    static func helpExamples(_ help: String) -> [String] {
        var examples: [String] = []
        var inExamples = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Examples:") {
                inExamples = true
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if inExamples, trimmed.hasPrefix("palisade ") || trimmed == "palisade" {
                examples.append(trimmed)
            } else if inExamples, !line.hasPrefix(" ") {
                inExamples = false
            }
        }
        return examples
    }

    /// The fenced blocks of a Markdown file: (language, lines).
    static func blocks(_ markdown: String) -> [(language: String, lines: [String])] {
        var result: [(String, [String])] = []
        var current: (String, [String])?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") {
                if let block = current {
                    result.append(block)
                    current = nil
                } else {
                    current = (String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces), [])
                }
            } else if current != nil {
                current?.1.append(line)
            }
        }
        return result
    }

    static var documents: [String] {
        var paths = ["README.md"]
        for folder in ["docs", "targets"] {
            let root = repositoryRoot.appendingPathComponent(folder)
            let found = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
            paths += found.filter { $0.hasSuffix(".md") }.sorted().map { "\(folder)/\($0)" }
        }
        return paths
    }

    @Test func helpExamplesRun() throws {
        let binary = try #require(Self.binary, "the palisade executable is not built")
        var examples: [String] = []
        for command in [""] + Self.commands {
            let help = try Self.run("palisade help \(command)", binary: binary)
            #expect(help.status == 0, "palisade help \(command)")
            examples += Self.helpExamples(help.output)
        }
        #expect(examples.count >= 20, "\(examples)")
        for example in Set(examples).sorted() {
            let run = try Self.run(example, binary: binary)
            #expect(run.status == 0, "\(example) exited \(run.status):\n\(run.output.prefix(2000))")
        }
    }

    @Test func documentedCommandsRun() throws {
        let binary = try #require(Self.binary, "the palisade executable is not built")
        var count = 0
        for path in Self.documents {
            let text = try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
            for block in Self.blocks(text) where block.language == "sh" {
                for line in block.lines where line.hasPrefix("palisade ") || line.hasPrefix("swift run palisade ") {
                    count += 1
                    let run = try Self.run(line, binary: binary)
                    #expect(run.status == 0, "\(path): \(line) exited \(run.status):\n\(run.output.prefix(2000))")
                }
            }
        }
        #expect(count >= 4)
    }

    @Test func consoleBlocksShowWhatTheCommandPrints() throws {
        let binary = try #require(Self.binary, "the palisade executable is not built")
        var count = 0
        for path in Self.documents {
            let text = try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
            for block in Self.blocks(text) where block.language == "console" {
                var command: String?
                var shown: [String] = []
                func check() throws {
                    guard let command else { return }
                    count += 1
                    let run = try Self.run(command, binary: binary)
                    let expected = shown.joined(separator: "\n") + "\n"
                    #expect(run.output == expected, "\(path): \(command) prints:\n\(run.output)")
                }
                for line in block.lines {
                    if line.hasPrefix("$ ") {
                        try check()
                        command = String(line.dropFirst(2))
                        shown = []
                    } else {
                        shown.append(line)
                    }
                }
                try check()
            }
        }
        #expect(count >= 3)
    }

    @Test func examplesAreFoundWhereTheyAre() {
        let help = "OVERVIEW: x\n\nExamples:\n  palisade targets\n  palisade lint a.yaml\n\nUSAGE: palisade"
        #expect(Self.helpExamples(help) == ["palisade targets", "palisade lint a.yaml"])
        #expect(Self.commandLine("swift run palisade graph s.yaml | dot -Tsvg > x.svg") == "palisade graph s.yaml")
        #expect(Self.commandLine("palisade compare s.yaml --format markdown > f.md   # then post it") == "palisade compare s.yaml --format markdown > f.md")
        #expect(Self.blocks("a\n```sh\npalisade x\n```\n```console\n$ y\nz\n```\n").map(\.language) == ["sh", "console"])
    }
}
