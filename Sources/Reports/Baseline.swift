import Diagnostics
import YAML

/// Findings or gaps a team has accepted, by fingerprint: with `--baseline FILE`, `lint` and
/// `compare` report (and fail on) only what is not in it, so a CI job can fail on what a
/// change adds without first fixing everything it inherited. A fingerprint never holds a line
/// number (`LintReports.fingerprint`, `CompareReport.fingerprint`): moving a flow or a workload
/// keeps it.
///
/// The file is JSON: `{"palisade-baseline": 1, "command": "lint", "fingerprints": [...]}`,
/// sorted, one fingerprint a line, so that a review shows what was accepted.
public struct Baseline: Sendable, Equatable {
    public enum Command: String, Sendable { case lint, compare }

    public var command: Command
    public var fingerprints: Set<String>

    public init(command: Command, fingerprints: Set<String>) {
        self.command = command
        self.fingerprints = fingerprints
    }

    public static let formatVersion = 1

    /// The file's text.
    public var json: String {
        JSONWriter.write(
            .object([
                .init("palisade-baseline", .int(Self.formatVersion)),
                .init("command", .string(command.rawValue)),
                .init("fingerprints", .array(fingerprints.sorted().map { .string($0) })),
            ]))
    }

    /// Why a file is not a baseline for a command.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    /// Reads a baseline written by `--write-baseline` for `command`.
    public static func parse(_ text: String, file: String, for command: Command) throws(Problem) -> Baseline {
        let loaded = YAMLLoader.load(text: text, file: file)
        guard let root = loaded.root, case .mapping(let pairs) = root.content else {
            throw Problem(description: "\(file) is not a Palisade baseline (a JSON object written by --write-baseline)")
        }
        func value(_ key: String) -> YAMLNode? { pairs.first { $0.name == key }?.value }
        guard let version = value("palisade-baseline")?.scalar else {
            throw Problem(description: "\(file) is not a Palisade baseline: it has no \"palisade-baseline\" key")
        }
        guard Int(version) == formatVersion else {
            throw Problem(description: "\(file) is a baseline of format \(version); this palisade reads format \(formatVersion)")
        }
        guard let written = value("command")?.scalar, written == command.rawValue else {
            let found = value("command")?.scalar ?? "no command"
            throw Problem(description: "\(file) is a baseline of '\(found)'; use one written by 'palisade \(command.rawValue) --write-baseline'")
        }
        guard let list = value("fingerprints"), case .sequence(let items) = list.content else {
            throw Problem(description: "\(file): \"fingerprints\" must be a list of strings")
        }
        var fingerprints: Set<String> = []
        for item in items {
            guard let text = item.scalar else { throw Problem(description: "\(file): \"fingerprints\" must be a list of strings") }
            fingerprints.insert(text)
        }
        return Baseline(command: command, fingerprints: fingerprints)
    }
}
