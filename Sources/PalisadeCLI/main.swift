import ArgumentParser
import Backends
import Diagnostics
import Foundation
import IR
import Lint
import Palisade
import Reports
import Spec

/// The `palisade` command: argument parsing and printing; the work is in `Palisade`.
struct PalisadeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "palisade",
        abstract: "Compile one cloud-neutral security spec into native configuration for every platform.",
        discussion: """
        Examples:
          palisade compile samples/shop.yaml --out out
          palisade compile samples/*.yaml --target openshift,aws --check --out targets
          palisade lint samples/*.yaml --format sarif > palisade.sarif
          palisade explain samples/shop.yaml --from web --to api --port tcp/9000
          palisade compare samples/shop.yaml --format markdown > fidelity.md
          palisade diff main/shop.yaml shop.yaml --format markdown
          palisade graph samples/shop.yaml --target swarm | dot -Tsvg > shop-swarm.svg
          palisade targets
          palisade schema > palisade.schema.json

        Exit codes: 0 success; 1 the spec has errors (or drift, with --check); 2 bad invocation or unreadable file.
        """,
        version: PalisadeVersion.current,
        subcommands: [Compile.self, Compare.self, Diff.self, Lint.self, Explain.self, Graph.self, Targets.self, Schema.self]
    )
}

enum PalisadeVersion {
    static let current = "0.1.0"
}

/// Prints diagnostics to stderr with their source lines.
func printDiagnostics(_ diagnostics: [Diagnostic], sources: SourceFiles) {
    guard !diagnostics.isEmpty else { return }
    let renderer = DiagnosticRenderer(sources: sources)
    FileHandle.standardError.write(Data(renderer.render(diagnostics).utf8))
    let errors = diagnostics.filter { $0.severity == .error }.count
    let warnings = diagnostics.filter { $0.severity == .warning }.count
    var summary: [String] = []
    if errors > 0 { summary.append("\(errors) error\(errors == 1 ? "" : "s")") }
    if warnings > 0 { summary.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
    if !summary.isEmpty { printError(summary.joined(separator: ", ") + " generated") }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A comma-separated list of target names.
struct TargetList: ExpressibleByArgument {
    var targets: [TargetName]

    init?(argument: String) {
        var result: [TargetName] = []
        for name in argument.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let target = TargetName(rawValue: name) else { return nil }
            if !result.contains(target) { result.append(target) }
        }
        guard !result.isEmpty else { return nil }
        targets = result
    }

    static var defaultCompletionKind: CompletionKind { .list(TargetName.allCases.map(\.rawValue)) }
}

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check specs and write each target's files to OUT/TARGET/POLICY/.",
        discussion: """
        Every spec is checked completely; all errors are reported, in source order. A spec with errors writes
        nothing. Files are written atomically. Targets without a backend yet are listed and skipped.

        Examples:
          palisade compile samples/shop.yaml --out out
          palisade compile samples/*.yaml --out targets --check
        """)

    @Argument(help: "Spec files.")
    var specs: [String]

    @Option(name: .customLong("target"), help: "Comma-separated targets: openshift, swarm, mesos, aws, gcp, azure (default: all).")
    var targets: TargetList?

    @Option(help: "Output directory.")
    var out: String = "out"

    @Flag(help: "Make any fidelity gap an error.")
    var strict = false

    @Flag(help: "Write nothing; exit 1 when the files in --out differ from what would be written.")
    var check = false

    @Flag(help: "Print every fidelity gap with the spec location that asked for it.")
    var gaps = false

    @Flag(name: .customLong("dump-ir"), help: .hidden)
    var dumpIR = false

    @Flag(name: .customLong("time-passes"), help: .hidden)
    var timePasses = false

    /// Prints, per policy and target, the relation the backend's reader computes from the
    /// files it wrote (for the conformance checks that compare it with the platforms' tools).
    @Flag(name: .customLong("dump-read"), help: .hidden)
    var dumpRead = false

    func run() throws {
        let result = Pipeline.compile(paths: specs, targets: targets?.targets ?? TargetName.allCases)
        printDiagnostics(result.allDiagnostics, sources: result.sources)
        guard result.allReadable else { throw ExitCode(2) }
        guard !result.hasErrors else { throw ExitCode(1) }
        if timePasses {
            for spec in result.specs {
                for (pass, duration) in spec.timings { printError("time: \(pass.rawValue): \(duration)") }
            }
            for (_, target, duration) in result.emitTimings { printError("time: \(target.rawValue): \(duration)") }
        }
        if dumpIR {
            for spec in result.specs { if let policy = spec.policy { print(IRDump.json(policy), terminator: "") } }
        }
        if dumpRead {
            var entries: [String] = []
            for spec in result.specs {
                guard let policy = spec.policy else { continue }
                for target in targets?.targets ?? TargetName.allCases {
                    guard let backend = BackendRegistry.backend(for: target) else { continue }
                    let files = result.tree.files(under: "\(target.rawValue)/\(policy.name)/")
                    guard !files.isEmpty else { continue }
                    let read = try backend.read(files, policy: policy)
                    entries.append("{\"policy\": \"\(policy.name)\", \"target\": \"\(target.rawValue)\", \"relation\": \(IRDump.json(read.relation, policy: policy))}")
                }
            }
            print("[\n" + entries.joined(separator: ",\n") + "\n]")
        }
        var failed = false
        for spec in result.specs {
            guard let policy = spec.policy else { continue }
            printError("\(policy.files[0]): policy '\(policy.name)': \(policy.workloads.count) workloads, \(policy.flows.count) flows, \(policy.expectations.count) expectations hold")
        }
        for (policy, target, targetGaps) in result.gaps {
            let strictHere = strict || result.strictPolicies.contains(policy)
            printError("\(target.rawValue)/\(policy): \(Fidelity.summary(targetGaps))")
            if strictHere, targetGaps.contains(where: Fidelity.failsStrict) { failed = true }
            guard strictHere || gaps else { continue }
            for gap in targetGaps {
                let place = gap.origin.map { "\($0): " } ?? ""
                printError("\(place)\(strictHere && Fidelity.failsStrict(gap) ? "error" : "warning")[gap]: \(gap.kind.rawValue): \(gap.message)")
            }
        }
        if !result.targetsWithoutBackend.isEmpty {
            printError("note: no backend yet for \(result.targetsWithoutBackend.map(\.rawValue).joined(separator: ", ")); nothing written for them")
        }
        // With --strict a gap is an error: like any error, it writes nothing.
        if failed { throw ExitCode(1) }
        if check {
            let drift = result.tree.differences(from: out)
            for path in drift { printError("drift: \(out)/\(path)") }
            if !drift.isEmpty { throw ExitCode(1) }
            printError("\(out): \(result.tree.paths.count) files up to date")
        } else if !result.tree.paths.isEmpty {
            do {
                try result.tree.write(to: out)
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            printError("wrote \(result.tree.paths.count) files under \(out)/")
        }
    }
}


struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check specs against the security lint rules (docs/lint-rules.md).",
        discussion: """
        Reports go to standard output; the spec's own errors go to standard error. Exit 1 when a finding is at or
        above --fail-on (default error), or a spec does not compile.

        Examples:
          palisade lint samples/shop.yaml
          palisade lint samples/*.yaml --format sarif > palisade.sarif
          palisade lint specs/*.yaml --format junit --fail-on warning > lint.xml
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, sarif, junit
    }

    enum Threshold: String, ExpressibleByArgument, CaseIterable {
        case error, warning
    }

    @Argument(help: "Spec files.")
    var specs: [String]

    @Option(help: "Report format: text, json, sarif or junit.")
    var format: Format = .text

    @Option(name: .customLong("fail-on"), help: "Exit 1 on findings at or above this severity: error or warning.")
    var failOn: Threshold = .error

    func run() throws {
        let result = LintPipeline.lint(paths: specs, toolVersion: PalisadeVersion.current)
        printDiagnostics(result.diagnostics, sources: result.run.sources)
        guard result.allReadable else { throw ExitCode(2) }
        let report: String
        switch format {
        case .text: report = LintReports.text(result.run)
        case .json: report = LintReports.json(result.run)
        case .sarif: report = LintReports.sarif(result.run)
        case .junit:
            do {
                report = try LintReports.junit(result.run)
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
        }
        print(report, terminator: "")
        if result.diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
        let failing = result.run.specs.flatMap(\.findings).contains { finding in
            finding.severity == .error || (failOn == .warning && finding.severity == .warning)
        }
        if failing { throw ExitCode(1) }
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say whether a connection is allowed by the intent, and by which flows.",
        discussion: """
        FROM and TO are references (web, segment:backend, corp, any) or addresses (203.0.113.9, 10.0.0.0/8,
        dns:api.example.com as a destination). PORT is a port entry (tcp/443, udp/53, tcp/8000-8100, icmp) or a
        port set name; without it every port is asked about.

        Examples:
          palisade lint samples/*.yaml --format sarif > palisade.sarif
          palisade explain samples/shop.yaml --from web --to api --port tcp/9000
          palisade explain samples/shop.yaml --from 203.0.113.9 --to db
        """)

    @Argument(help: "The spec file.")
    var spec: String

    @Option(help: "Source: a reference or an address.")
    var from: String

    @Option(help: "Destination: a reference or an address.")
    var to: String

    @Option(help: "A port entry; default: every port.")
    var port: String?

    @Option(name: .customLong("target"), help: "Comma-separated targets whose files to ask too (default: none; 'all' for every target).")
    var targets: String?

    func run() throws {
        let output = SpecCompiler.compile(path: spec)
        printDiagnostics(output.diagnostics, sources: output.sources)
        guard output.readable else { throw ExitCode(2) }
        guard let policy = output.policy else { throw ExitCode(1) }
        var asked: [TargetName] = []
        if let targets {
            guard let list = targets == "all" ? TargetList(argument: TargetName.allCases.map(\.rawValue).joined(separator: ",")) : TargetList(argument: targets) else {
                printError("error: '\(targets)' is not a list of targets (openshift, swarm, mesos, aws, gcp, azure, or all)")
                throw ExitCode(2)
            }
            asked = list.targets
        }
        do {
            let answer = try Palisade.Explain.explain(policy, from: from, to: to, port: port, targets: asked)
            print(Palisade.Explain.render(answer), terminator: "")
        } catch let error as Palisade.Explain.QueryError {
            printError("error: \(error.description)")
            throw ExitCode(2)
        }
    }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema of the spec language, for editors.",
        discussion: "Example: palisade schema > palisade.schema.json")

    func run() throws {
        print(Pipeline.schema(), terminator: "")
    }
}

// Usage errors exit 2, not swift-argument-parser's 64.
do {
    var command = try PalisadeCommand.parseAsRoot()
    try command.run()
} catch {
    let code = PalisadeCommand.exitCode(for: error)
    if code == .success {
        print(PalisadeCommand.fullMessage(for: error))
        Foundation.exit(0)
    }
    if let exit = error as? ExitCode {
        Foundation.exit(exit.rawValue)
    }
    printError(PalisadeCommand.fullMessage(for: error))
    Foundation.exit(2)
}

struct Targets: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what each target can enforce, and its options.",
        discussion: """
        The matrix comes from the backends' own declarations; README.md carries the same table.
        yes: enforced by the generated files; partial: enforced in part (the fidelity report of a spec says
        which part); no: reported as a gap whenever a spec asks for it.

        Examples:
          palisade targets
          palisade targets --format markdown
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, markdown, json }

    @Option(help: "Output format: text, markdown or json.")
    var format: Format = .text

    func run() throws {
        switch format {
        case .text: print(TargetMatrix.text(), terminator: "")
        case .markdown: print(TargetMatrix.markdown(), terminator: "")
        case .json: print(TargetMatrix.json(), terminator: "")
        }
    }
}

/// Compiles one spec for `compare`, `diff` and `graph`: diagnostics to stderr, exit 2 when
/// unreadable and 1 when it has errors.
func compiledPolicy(_ path: String) throws -> (policy: Policy, sources: SourceFiles) {
    let output = SpecCompiler.compile(path: path)
    printDiagnostics(output.diagnostics, sources: output.sources)
    guard output.readable else { throw ExitCode(2) }
    guard let policy = output.policy else { throw ExitCode(1) }
    return (policy, output.sources)
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what each target really enforces of a spec, against its intent.",
        discussion: """
        For each target: the connections its files allow beyond the intent, the intended ones they block (with the
        spec location of the flow or workload involved), the runtime controls and identity grants it does not
        enforce, the expectations that fail on it, the connections it adds for the platform, and a target x
        control matrix. Each target's files are read back by its reader; nothing is written.
        The markdown form is meant for a pull request comment.

        Examples:
          palisade compare samples/shop.yaml
          palisade compare samples/shop.yaml --target openshift,swarm --format markdown
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, markdown }

    @Argument(help: "The spec file.")
    var spec: String

    @Option(name: .customLong("target"), help: "Comma-separated targets (default: all).")
    var targets: TargetList?

    @Option(help: "Output format: text, json or markdown.")
    var format: Format = .text

    func run() throws {
        let comparison = Comparison(try compiledPolicy(spec).policy, targets: targets?.targets ?? TargetName.allCases)
        switch format {
        case .text: print(comparison.text(), terminator: "")
        case .json: print(comparison.json(), terminator: "")
        case .markdown: print(comparison.markdown(), terminator: "")
        }
    }
}

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the intent: workloads by segment, external peers, flows with their ports.",
        discussion: """
        With --target, the connections the target allows beyond the intent are drawn dashed red and the intended
        ones it blocks dotted grey.

        Examples:
          palisade graph samples/shop.yaml | dot -Tsvg > shop.svg
          palisade graph samples/shop.yaml --target swarm --format mermaid
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case dot, mermaid }

    @Argument(help: "The spec file.")
    var spec: String

    @Option(help: "A target whose widened and blocked connections to draw.")
    var target: TargetName?

    @Option(help: "Output format: dot (Graphviz) or mermaid.")
    var format: Format = .dot

    func run() throws {
        let (policy, sources) = try compiledPolicy(spec)
        var emission: Emission?
        if let target {
            guard let backend = BackendRegistry.backend(for: target) else { throw ExitCode(2) }
            let outcome = Pipeline.emit(policy, with: backend)
            printDiagnostics(outcome.diagnostics, sources: sources)
            guard outcome.error == nil else { throw ExitCode(1) }
            emission = outcome.emission
        }
        let graph = IntentGraph(policy, target: target, emission: emission)
        print(format == .dot ? graph.dot() : graph.mermaid(), terminator: "")
    }
}

extension TargetName: ExpressibleByArgument {}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a spec change opens, closes, relaxes or tightens.",
        discussion: """
        Compares the intents of two versions of a spec (workloads, segments and identities matched by name):
        connections opened and closed, runtime controls relaxed or tightened, and grants gained or lost, each with
        the spec location that says it. For review in CI; the markdown form suits a pull request.

        Examples:
          git show main:shop.yaml > /tmp/old.yaml && palisade diff /tmp/old.yaml shop.yaml
          palisade diff old.yaml new.yaml --format json
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, markdown }

    @Argument(help: "The spec before the change.")
    var old: String

    @Argument(help: "The spec after the change.")
    var new: String

    @Option(help: "Output format: text, json or markdown.")
    var format: Format = .text

    func run() throws {
        let diff = SpecDiff(old: try compiledPolicy(old).policy, new: try compiledPolicy(new).policy)
        switch format {
        case .text: print(diff.text(), terminator: "")
        case .json: print(diff.json(), terminator: "")
        case .markdown: print(diff.markdown(), terminator: "")
        }
    }
}
