import Backends
import Diagnostics
import Foundation
import IR
import Palisade
import Spec
import TestSupport
import Testing

/// Random specs aimed at what a spec holds beyond its bytes: include graphs (several files
/// including each other, with diamonds, cycles, missing files and paths that leave the tree),
/// the options of every target, and the lint configuration. Whatever the spec, the compiler
/// gives a policy or errors, every error points into a file it read, and a second run gives
/// the same result. The byte-level mutations of the samples are `RobustnessTests`; the fuzz
/// targets under `Fuzz/` (docs/fuzzing.md) go further in the same directions.
@Suite struct MutationTests {
    // MARK: - Include graphs

    /// Files a graph is made of, in folders of different depths so that includes go down,
    /// up and sideways.
    static let graphPaths = ["spec.yaml", "common/base.yaml", "common/net.yaml", "lib/ports.yaml", "lib/deep/people.yaml", "extra.yaml"]

    /// One random include graph and what compiling it must give.
    struct IncludeGraph {
        enum Entry: Equatable {
            /// Another file of the graph, written as a relative path in one of several spellings.
            case file(Int, spelling: Int)
            /// A file that exists nowhere.
            case missing(String)
            /// A path that leaves the top-level spec's folder.
            case escape(String)
        }

        var count: Int
        var includes: [[Entry]]
        /// Files the graph names but the file system lacks.
        var absent: Set<Int>

        init<G: RandomNumberGenerator>(_ rng: inout G) {
            count = Int.random(in: 2...MutationTests.graphPaths.count, using: &rng)
            includes = Array(repeating: [], count: count)
            absent = []
            for from in 0..<count {
                for to in (from + 1)..<count where Int.random(in: 0..<100, using: &rng) < 45 {
                    includes[from].append(.file(to, spelling: Int.random(in: 0..<3, using: &rng)))
                }
            }
            if Int.random(in: 0..<100, using: &rng) < 35 {
                // An edge back up the graph (or to the file itself), which makes a cycle when
                // the target reaches the source.
                let from = Int.random(in: 0..<count, using: &rng)
                includes[from].append(.file(Int.random(in: 0...from, using: &rng), spelling: Int.random(in: 0..<3, using: &rng)))
            }
            if Int.random(in: 0..<100, using: &rng) < 20 {
                includes[Int.random(in: 0..<count, using: &rng)].append(.missing("missing-\(Int.random(in: 0..<9, using: &rng)).yaml"))
            }
            if Int.random(in: 0..<100, using: &rng) < 15 {
                let from = Int.random(in: 0..<count, using: &rng)
                let depth = MutationTests.graphPaths[from].split(separator: "/").count - 1
                includes[from].append(.escape(String(repeating: "../", count: depth + 1) + "outside.yaml"))
            }
            if Int.random(in: 0..<100, using: &rng) < 15 {
                absent.insert(Int.random(in: 1..<count, using: &rng))
            }
            for index in includes.indices { includes[index].shuffle(using: &rng) }
        }

        /// The files loaded: reachable from the top-level spec through files that exist.
        var reachable: [Int] {
            var seen: Set<Int> = [0]
            var stack = [0]
            while let file = stack.popLast() {
                for case .file(let to, _) in includes[file] where !absent.contains(to) && seen.insert(to).inserted {
                    stack.append(to)
                }
            }
            return seen.sorted()
        }

        /// Whether the loaded files include each other in a circle.
        var hasCycle: Bool {
            let loaded = Set(reachable)
            var state: [Int: Int] = [:]  // 1: on the path, 2: done
            func visit(_ file: Int) -> Bool {
                state[file] = 1
                for case .file(let to, _) in includes[file] where loaded.contains(to) && !absent.contains(to) {
                    if state[to] == 1 { return true }
                    if state[to] == nil, visit(to) { return true }
                }
                state[file] = 2
                return false
            }
            return visit(0)
        }

        /// Files that loaded files include but that cannot be read: missing ones and absent
        /// graph files, each reported once however many files include it.
        var unreadableIncludes: Int {
            var paths: Set<String> = []
            for file in reachable {
                let folder = MutationTests.graphPaths[file].split(separator: "/").dropLast().map { $0 + "/" }.joined()
                for entry in includes[file] {
                    switch entry {
                    case .missing(let name): paths.insert(folder + name)
                    case .file(let to, _) where absent.contains(to): paths.insert(MutationTests.graphPaths[to])
                    default: break
                    }
                }
            }
            return paths.count
        }

        var escapes: Int {
            reachable.reduce(0) { total, file in total + includes[file].filter { if case .escape = $0 { true } else { false } }.count }
        }

        /// `to` as written in `from`: the plain relative path, the same with `./`, or a detour
        /// through the parent folder when `from` is not at the top.
        static func spelling(from: String, to: String, _ variant: Int) -> String {
            let fromFolder = Array(from.split(separator: "/").dropLast())
            let target = to.split(separator: "/")
            var common = 0
            while common < fromFolder.count, common < target.count - 1, fromFolder[common] == target[common] { common += 1 }
            let plain = (Array(repeating: "..", count: fromFolder.count - common) + target[common...].map(String.init)).joined(separator: "/")
            switch variant {
            case 1: return "./" + plain
            case 2 where !fromFolder.isEmpty: return "../\(fromFolder.last!)/" + plain
            default: return plain
            }
        }

        /// The files: each defines a network and a flow from it to the top-level workload,
        /// which listens on one port per file.
        var files: [String: String] {
            var files: [String: String] = [:]
            for index in 0..<count where !absent.contains(index) {
                let path = MutationTests.graphPaths[index]
                var text = index == 0 ? "version: 1\nname: graph\n" : "# \(path)\n"
                let entries = includes[index].map { entry -> String in
                    switch entry {
                    case .file(let to, let variant): Self.spelling(from: path, to: MutationTests.graphPaths[to], variant)
                    case .missing(let name), .escape(let name): name
                    }
                }
                if !entries.isEmpty { text += "include: [\(entries.joined(separator: ", "))]\n" }
                text += "networks:\n  net-\(index): [10.\(index).0.0/16]\n"
                if index == 0 {
                    let ports = (0..<count).map { "tcp/\(1000 + $0)" }.joined(separator: ", ")
                    text += "workloads:\n  app: {image: registry.example.com/app:1.0, ports: [\(ports)]}\n"
                }
                text += "flows:\n  - {from: net-\(index), to: app, ports: [tcp/\(1000 + index)]}\n"
                files[path] = text
            }
            return files
        }
    }

    @Test func includeGraphsCompileOrFailWhereTheyShould() {
        var rng = SeededGenerator(seed: 0x1ac1)
        var outcomes: [String: Int] = [:]
        for round in 0..<300 {
            let graph = IncludeGraph(&rng)
            let files = graph.files
            let output = SpecCompiler.compile(path: "spec.yaml", fileSystem: InMemoryFileSystem(files))
            let context = "graph \(round): \(graph.includes) absent \(graph.absent)"
            Self.checkProperties(output, context: context)
            Self.checkDeterminism(output, SpecCompiler.compile(path: "spec.yaml", fileSystem: InMemoryFileSystem(files)), context: context)

            let codes = output.diagnostics.filter { $0.severity == .error }.map(\.code)
            #expect((codes.filter { $0 == .includeCycle }.count > 0) == graph.hasCycle, "\(context): \(codes)")
            #expect(codes.filter { $0 == .includeNotFound }.count == graph.unreadableIncludes, "\(context): \(codes)")
            #expect(codes.filter { $0 == .includeOutsideTree }.count == graph.escapes, "\(context): \(codes)")
            let clean = !graph.hasCycle && graph.unreadableIncludes == 0 && graph.escapes == 0
            if clean {
                // Diamonds load their shared file once: no duplicate definitions, every file's flow.
                #expect(codes.isEmpty, "\(context): \(output.diagnostics.map(\.message))")
                let policy = output.policy
                #expect(Set(policy?.files ?? []) == Set(graph.reachable.map { Self.graphPaths[$0] }), "\(context)")
                #expect(policy?.flows.count == graph.reachable.count, "\(context)")
            }
            outcomes[clean ? "clean" : graph.hasCycle ? "cycle" : "other", default: 0] += 1
        }
        // The generator reaches every kind of graph.
        #expect(outcomes["clean", default: 0] > 50 && outcomes["cycle", default: 0] > 20 && outcomes["other", default: 0] > 20, "\(outcomes)")
    }

    @Test func mutatedIncludeGraphsNeverCrash() {
        var rng = SeededGenerator(seed: 0x91a9)
        for round in 0..<200 {
            let graph = IncludeGraph(&rng)
            var files = graph.files.mapValues { Array($0.utf8) }
            // Break one file's bytes, or point two files at each other under other names.
            let victim = files.keys.sorted().randomElement(using: &rng)!
            files[victim] = Self.mutate(files[victim]!, &rng)
            if Bool.random(using: &rng) {
                files["loop/a.yaml"] = Array("include: [b.yaml, ../loop/a.yaml, ./././b.yaml]\n".utf8)
                files["loop/b.yaml"] = Array("include: [a.yaml, '', '/abs.yaml', ../../x.yaml]\n".utf8)
                files["spec.yaml", default: []] += Array("\ninclude: [loop/a.yaml]\n".utf8)
            }
            let output = SpecCompiler.compile(path: "spec.yaml", fileSystem: InMemoryFileSystem(bytes: files))
            let context = "mutated graph \(round) (\(victim))"
            Self.checkProperties(output, context: context)
            Self.checkDeterminism(output, SpecCompiler.compile(path: "spec.yaml", fileSystem: InMemoryFileSystem(bytes: files)), context: context)
        }
    }

    // MARK: - Target options

    /// Values of every kind YAML can write: strings the options take and strings they do not,
    /// integers, booleans, lists, maps and null.
    static let optionValues: [String] = [
        "\"\"", "\" \"", "x", "\"*\"", "shop-", "Shop_", "-bad", "a\u{301}", "\"\\u0000\"", "\"\\t\"", String(repeating: "a", count: 300),
        "route", "loadbalancer", "ingress", "host", "docker", "mesos", "widen", "narrow", "WIDEN",
        "/shop", "/", "//", "/shop/", "/a/b.c/d-e", "/restart", "/UPPER", "relative/path", "/a//b",
        "vpc-0abc1234", "vpc-", "vpc-XYZ", "sg-1", "westeurope", "West Europe", "eu1",
        "global/networks/default", "global/networks/", "https://www.googleapis.com/compute/v1/projects/p/global/networks/n",
        "pal-", "toolongprefix-", "shop-prod", "ab", String(repeating: "p", count: 31),
        "\"10.128.0.0/14,fd01::/48\"", "\"10.0.0.0/33\"", "\",\"", "\"10.0.0.0/8,,\"", "\"::/0, 0.0.0.0/0\"", "\"999.1.1.1/8\"",
        "0", "-1", "1", "65535", "65536", "99999999999999999999", "0x10", "1e3", "3.5", ".inf",
        "true", "false", "yes", "null", "~", "[]", "[a, b]", "[1, [2]]", "{}", "{a: b}", "{gaps: narrow}",
    ]

    /// A spec with a random `targets:` section: for a few targets, some of their options
    /// (and some they do not have) with random values.
    static func targetsSection<G: RandomNumberGenerator>(_ rng: inout G) -> String {
        var text = "targets:\n"
        for backend in BackendRegistry.all.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng)) {
            let known = backend.options.map(\.name) + ["gaps"]
            var keys = Array(known.shuffled(using: &rng).prefix(Int.random(in: 1...known.count, using: &rng)))
            if Int.random(in: 0..<4, using: &rng) == 0 { keys.append(["gap", "namespace", "Gaps", "unknown_option"].randomElement(using: &rng)!) }
            if Int.random(in: 0..<10, using: &rng) == 0 {
                text += "  \(backend.target.rawValue): \(optionValues.randomElement(using: &rng)!)\n"
                continue
            }
            text += "  \(backend.target.rawValue):\n"
            for key in keys { text += "    \(key): \(optionValues.randomElement(using: &rng)!)\n" }
        }
        if Int.random(in: 0..<8, using: &rng) == 0 { text += "  openshfit: {gaps: narrow}\n" }
        return text
    }

    static let optionsBase = """
        version: 1
        name: options
        segments: {web: {}, data: {}}
        networks: {corp: [10.0.0.0/8, "fd00::/16"], partner: ["dns:api.example.com"]}
        workloads:
          site: {segment: web, image: registry.example.com/site:1.0, ports: [tcp/8080, udp/53]}
          db: {segment: data, image: registry.example.com/db:16, ports: [tcp/5432]}
        flows:
          - {from: corp, to: site, ports: [tcp/8080]}
          - {from: site, to: db, ports: [tcp/5432]}
          - {from: site, to: partner, ports: [tcp/443]}

        """

    @Test func randomTargetOptionsGiveLocatedErrorsOrFiles() {
        var rng = SeededGenerator(seed: 0x0971)
        var rejected = 0
        for round in 0..<120 {
            // Random values are rarely all valid (about one round in a hundred): every tenth round
            // takes valid choices, so that the compiling path is always exercised.
            let valid = "targets:\n  swarm: {output: overlay, publish_mode: host, gaps: narrow}\n  openshift: {exposure: route}\n"
            let text = Self.optionsBase + (round % 10 == 9 ? valid : Self.targetsSection(&rng))
            let fileSystem = InMemoryFileSystem(["spec.yaml": text])
            let result = Pipeline.compile(paths: ["spec.yaml"], fileSystem: fileSystem)
            let context = "options \(round):\n\(text)"
            #expect(result.allReadable, "\(context)")
            Self.checkLocated(result.allDiagnostics, sources: result.sources, context: context)
            if result.hasErrors {
                rejected += 1
            } else {
                #expect(result.tree.paths.count >= BackendRegistry.all.count, "\(context)")
            }
            let again = Pipeline.compile(paths: ["spec.yaml"], fileSystem: fileSystem)
            #expect(again.allDiagnostics == result.allDiagnostics, "\(context)")
            #expect(again.tree.files == result.tree.files, "\(context)")
        }
        #expect(rejected > 30 && rejected < 120, "\(rejected) of 120 rejected")
    }

    @Test func everyUnknownOptionIsAnErrorAtItsKey() {
        for backend in BackendRegistry.all {
            let text = Self.optionsBase + "targets:\n  \(backend.target.rawValue):\n    not_an_option: 1\n"
            let result = Pipeline.compile(paths: ["spec.yaml"], fileSystem: InMemoryFileSystem(["spec.yaml": text]))
            let errors = result.allDiagnostics.filter { $0.severity == .error }
            #expect(errors.map(\.code) == [.invalidTargetOption], "\(backend.target): \(errors.map(\.message))")
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            #expect(errors.first?.range?.start.line == lines - 1, "\(backend.target): \(errors.map { "\($0.range?.description ?? "-")" })")
        }
    }

    // MARK: - Lint configuration

    static let ruleIDs = ["PAL407", "PAL203", "PAL600", "PAL999", "PAL1", "pal407", "PAL4070", "E710", "\"\"", "407", "[PAL407]", "{a: b}", "null"]
    static let subjects = [
        "workload:site", "site", "segment:web", "network:corp", "corp", "flow:public", "flow:#1", "workload:nobody", "identity:x",
        "ports:web", "\"\"", "\":\"", "workload:", "[a]", "1",
    ]

    static func lintSection<G: RandomNumberGenerator>(_ rng: inout G) -> String {
        var text = "lint:\n"
        if Bool.random(using: &rng) {
            let ids = (0..<Int.random(in: 0...3, using: &rng)).map { _ in ruleIDs.randomElement(using: &rng)! }
            text += Int.random(in: 0..<8, using: &rng) == 0 ? "  disable: PAL407\n" : "  disable: [\(ids.joined(separator: ", "))]\n"
        }
        if Bool.random(using: &rng) {
            text += "  ignore:\n"
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                var fields: [String] = []
                if Int.random(in: 0..<6, using: &rng) > 0 { fields.append("rule: \(ruleIDs.randomElement(using: &rng)!)") }
                if Int.random(in: 0..<6, using: &rng) > 0 { fields.append("subject: \(subjects.randomElement(using: &rng)!)") }
                if Int.random(in: 0..<6, using: &rng) > 0 { fields.append("reason: \(["reviewed", "\" \"", "\"\"", "1", "[x]"].randomElement(using: &rng)!)") }
                if Int.random(in: 0..<8, using: &rng) == 0 { fields.append("why: extra") }
                text += "    - {\(fields.joined(separator: ", "))}\n"
            }
        }
        if Bool.random(using: &rng) {
            let values = ["0", "8", "16", "32", "33", "64", "128", "129", "-1", "x", "\"16\"", "[16]", "1.5"]
            var fields: [String] = []
            if Bool.random(using: &rng) { fields.append("ipv4: \(values.randomElement(using: &rng)!)") }
            if Bool.random(using: &rng) { fields.append("ipv6: \(values.randomElement(using: &rng)!)") }
            if Int.random(in: 0..<6, using: &rng) == 0 { fields.append("ipv5: 8") }
            text += "  min_prefix: {\(fields.joined(separator: ", "))}\n"
        }
        if Int.random(in: 0..<8, using: &rng) == 0 { text += "  enable: [PAL407]\n" }
        if text == "lint:\n" { text += "  disable: []\n" }
        return text
    }

    @Test func randomLintConfigurationsGiveLocatedErrorsOrFindings() {
        var rng = SeededGenerator(seed: 0x1147)
        var rejected = 0
        for round in 0..<150 {
            let text = Self.optionsBase.replacingOccurrences(of: "- {from: corp", with: "- {name: public, from: corp") + Self.lintSection(&rng)
            let fileSystem = InMemoryFileSystem(["spec.yaml": text])
            let result = LintPipeline.lint(paths: ["spec.yaml"], fileSystem: fileSystem, toolVersion: "test")
            let context = "lint \(round):\n\(text)"
            #expect(result.allReadable, "\(context)")
            Self.checkLocated(result.diagnostics, sources: result.run.sources, context: context)
            let hasErrors = result.diagnostics.contains { $0.severity == .error }
            if hasErrors { rejected += 1 }
            if round % 5 == 0 {
                // Every report format takes the spec, and fails the run when it does not compile.
                for format in LintRequest.Format.allCases {
                    let output = Commands.lint(LintRequest(specs: ["spec.yaml"], format: format), fileSystem: fileSystem)
                    #expect(!hasErrors || output.exitStatus != .success, "\(context) as \(format)")
                }
            }
            let again = LintPipeline.lint(paths: ["spec.yaml"], fileSystem: fileSystem, toolVersion: "test")
            #expect(again.diagnostics == result.diagnostics, "\(context)")
            #expect(again.run.specs.map(\.findings) == result.run.specs.map(\.findings), "\(context)")
        }
        #expect(rejected > 30 && rejected < 150, "\(rejected) of 150 rejected")
    }

    // MARK: - Properties

    static let fragments: [[UInt8]] =
        [
            "{", "}", "[", "]", ":", "- ", "&a ", "*a", "'", "\"", "\n", "\t", "#", "include: [", "../", "./", "spec.yaml", "common/",
            "\n  ", "\n    - ", "~", "\u{0}",
        ].map { Array($0.utf8) } + [[0xFF], [0xC3]]

    /// One to three insertions, deletions or copies.
    static func mutate<G: RandomNumberGenerator>(_ original: [UInt8], _ rng: inout G) -> [UInt8] {
        var bytes = original
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let position = Int.random(in: 0...bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes.insert(contentsOf: fragments.randomElement(using: &rng)!, at: position)
            case 1: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...20, using: &rng)))
            default:
                let start = Int.random(in: 0..<max(1, bytes.count), using: &rng)
                bytes.insert(contentsOf: bytes[start..<min(bytes.count, start + 30)], at: position)
            }
        }
        return bytes
    }

    /// A policy or errors, never both; every error located in a file that was read.
    static func checkProperties(_ output: SpecCompiler.Output, context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.readable, "\(context)", sourceLocation: sourceLocation)
        #expect((output.policy == nil) == output.hasErrors, "\(context)", sourceLocation: sourceLocation)
        checkLocated(output.diagnostics, sources: output.sources, context: context, sourceLocation: sourceLocation)
    }

    /// Every error points at a line of a file that was read.
    static func checkLocated(_ diagnostics: [Diagnostic], sources: SourceFiles, context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for diagnostic in diagnostics where diagnostic.severity == .error {
            let what = "\(diagnostic.code.rawValue) \(diagnostic.message)"
            guard let range = diagnostic.range else {
                Issue.record("\(context)\n\(what) has no location", sourceLocation: sourceLocation)
                continue
            }
            guard let file = sources[range.file] else {
                Issue.record("\(context)\n\(what) points into '\(range.file)', which was not read", sourceLocation: sourceLocation)
                continue
            }
            let lines = file.text.split(separator: "\n", omittingEmptySubsequences: false).count
            // One line of slack at the end of a file without a final newline, where the YAML
            // loader reports a cut-off document for now
            // (FuzzRegressionTests.syntaxErrorAtTheEndOfAFileWithoutANewlineIsOnItsLastLine).
            let slack = file.text.hasSuffix("\n") ? 0 : 1
            #expect(
                range.start.line >= 1 && range.start.line <= lines + slack && range.start <= range.end,
                "\(context)\n\(what) at \(range) outside the file's \(lines) lines: \(file.text.debugDescription)", sourceLocation: sourceLocation)
        }
    }

    /// The same diagnostics, files and intent on a second run.
    static func checkDeterminism(
        _ first: SpecCompiler.Output, _ second: SpecCompiler.Output, context: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(first.diagnostics == second.diagnostics, "\(context)", sourceLocation: sourceLocation)
        #expect(first.policy?.files == second.policy?.files, "\(context)", sourceLocation: sourceLocation)
        #expect(first.policy?.contentHash == second.policy?.contentHash, "\(context)", sourceLocation: sourceLocation)
        #expect(first.policy?.intent == second.policy?.intent, "\(context)", sourceLocation: sourceLocation)
    }
}
