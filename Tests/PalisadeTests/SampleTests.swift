import Backends
import Foundation
import IR
import Palisade
import Reports
import Spec
import TestSupport
import Testing

/// Every sample compiles cleanly; its IR is a golden file; `targets/` holds exactly what
/// `palisade compile samples/*.yaml --out targets` writes.
@Suite struct SampleTests {
    static let samples: [String] = {
        let folder = repositoryRoot.appendingPathComponent("samples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    static func path(_ sample: String) -> String { repositoryRoot.appendingPathComponent("samples/\(sample)").path }

    @Test func thereAreAtLeastFourSamples() {
        #expect(Self.samples.count >= 4)
    }

    @Test(arguments: samples)
    func compilesWithoutDiagnostics(sample: String) throws {
        let output = SpecCompiler.compile(path: Self.path(sample))
        #expect(output.diagnostics.isEmpty, "\(output.diagnostics.map { "\($0.range?.description ?? "") \($0.message)" })")
        let policy = try #require(output.policy)
        #expect(!policy.workloads.isEmpty)
    }

    @Test(arguments: samples)
    func intermediateRepresentationMatchesGoldenFile(sample: String) throws {
        let policy = try #require(SpecCompiler.compile(path: Self.path(sample)).policy)
        // Paths in origins are absolute here; make them repository-relative.
        let json = IRDump.json(policy).replacingOccurrences(of: repositoryRoot.path + "/", with: "")
        let golden = "Tests/PalisadeTests/Golden/\(sample.replacingOccurrences(of: ".yaml", with: ".ir.json"))"
        if let mismatch = goldenMismatch(json, at: golden) { Issue.record(Comment(rawValue: mismatch)) }
    }

    @Test func compilationIsDeterministicWhateverTheKeyOrder() throws {
        let original = try String(contentsOfFile: Self.path("shop.yaml"), encoding: .utf8)
        // Reverse the order of the workloads mapping's entries: the IR must not change.
        let reordered = reverseWorkloads(original)
        #expect(reordered != original)
        let a = try #require(compileSpec(original, path: "shop.yaml").policy)
        let b = try #require(compileSpec(reordered, path: "shop.yaml").policy)
        let strip: (String) -> String = { $0.split(separator: "\n").filter { !$0.contains("\"origin\"") }.joined(separator: "\n") }
        #expect(strip(IRDump.json(a)) == strip(IRDump.json(b)))
    }

    /// The workloads section with its top-level entries in reverse order.
    func reverseWorkloads(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "workloads:") else { return text }
        var end = start + 1
        while end < lines.count, lines[end].isEmpty || lines[end].hasPrefix(" ") || lines[end].hasPrefix("#") { end += 1 }
        var entries: [[String]] = []
        for line in lines[(start + 1)..<end] {
            if line.hasPrefix("  "), !line.hasPrefix("   "), !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                entries.append([line])
            } else if !entries.isEmpty {
                entries[entries.count - 1].append(line)
            }
        }
        lines.replaceSubrange((start + 1)..<end, with: entries.reversed().flatMap { $0 })
        return lines.joined(separator: "\n")
    }

    @Test func targetsFolderMatchesACompileOfEverySample() {
        let result = Pipeline.compile(paths: Self.samples.map { "samples/\($0)" }, fileSystem: RepositoryFileSystem())
        #expect(!result.hasErrors)
        let drift = result.tree.differences(from: repositoryRoot.appendingPathComponent("targets").path)
        if updatingGoldenFiles {
            try? result.tree.write(to: repositoryRoot.appendingPathComponent("targets").path)
        } else {
            #expect(drift == [], "run: swift run palisade compile samples/*.yaml --out targets")
        }
    }

    @Test func everyBackendFolderIsRegisteredAndEveryRegisteredBackendHasAFolder() {
        let folder = repositoryRoot.appendingPathComponent("Sources/Backends")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let folders = entries.filter { entry in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: folder.appendingPathComponent(entry).path, isDirectory: &isDirectory)
            return exists && isDirectory.boolValue && !["Common", "Firewall", "Kube"].contains(entry)
        }.map { $0.lowercased() }.sorted()
        #expect(folders == BackendRegistry.all.map(\.target.rawValue).sorted())
    }
}
