import Backends
import Diagnostics
import IR
import YAML

/// `palisade compare`: per target, what it allows beyond the intent, what intended connections
/// it blocks, which controls and grants it does not enforce, which expectations fail there; and
/// a target × control matrix. Text for a terminal, JSON for tools, Markdown for a pull request.
public struct Comparison {
    public struct TargetResult {
        public var target: TargetName
        /// Every gap, expectation failures included; empty when the target refused the spec.
        public var gaps: [Gap]
        public var emission: Emission?
        /// Why the target cannot take the spec (a platform limit), when it cannot.
        public var error: Diagnostic?
    }

    public let policy: Policy
    public private(set) var targets: [TargetResult] = []

    public init(_ policy: Policy, targets: [TargetName]) {
        self.policy = policy
        for target in targets {
            guard let backend = BackendRegistry.backend(for: target) else { continue }
            let outcome = Pipeline.emit(policy, with: backend)
            guard let emission = outcome.emission else {
                self.targets.append(TargetResult(target: target, gaps: [], emission: nil, error: outcome.error))
                continue
            }
            do {
                // The read-back relation, from the files as written.
                let relation = try backend.read(emission.files, policy: policy).relation
                let gaps = emission.gaps + Fidelity.expectationGaps(policy, target: target, relation: relation)
                self.targets.append(TargetResult(target: target, gaps: gaps, emission: emission, error: nil))
            } catch {
                self.targets.append(TargetResult(target: target, gaps: [], emission: nil,
                                                 error: .error(.invalidTargetOption, "\(target.rawValue): its own files do not read back: \(error)", at: policy.origin)))
            }
        }
    }

    /// The sections of a target's report, in order, with their gap kinds.
    static let sections: [(Gap.Kind, String)] = [
        (.widened, "allowed beyond the intent"),
        (.narrowed, "intended but blocked"),
        (.unenforced, "not enforced"),
        (.expectationFailed, "expectations that fail"),
        (.platformRequired, "added for the platform"),
    ]

    /// Gaps of one kind grouped by their reason (connection gaps) or capability (others).
    static func groups(_ gaps: [Gap]) -> [(String, [Gap])] {
        var order: [String] = []
        var byKey: [String: [Gap]] = [:]
        for gap in gaps {
            let key: String
            if case let .connection(_, _, _, reason) = gap.detail { key = reason } else { key = gap.capability.rawValue }
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(gap)
        }
        return order.map { ($0, byKey[$0]!) }
    }

    /// One gap without its target prefix and reason: `web -> api on tcp/1-8999`.
    static func line(_ gap: Gap, target: TargetName) -> String {
        if case let .connection(from, to, ports, _) = gap.detail {
            return from == to ? "between replicas of \(from) on \(ports)" : "\(from) -> \(to) on \(ports)"
        }
        var text = gap.message
        for prefix in ["\(target.rawValue): ", "\(target.rawValue) "] where text.hasPrefix(prefix) {
            text = String(text.dropFirst(prefix.count))
            break
        }
        return text
    }

    static func location(_ gap: Gap) -> String { gap.origin.map { "\($0)" } ?? "" }

    /// A matrix cell: `ok`, or `+N` widened, `-N` narrowed, `xN` unenforced, `!N` failed
    /// expectations, for the gaps of one control.
    static func cell(_ gaps: [Gap]) -> String {
        let marks: [(Gap.Kind, String)] = [(.widened, "+"), (.narrowed, "-"), (.unenforced, "x"), (.expectationFailed, "!")]
        let parts = marks.compactMap { kind, mark -> String? in
            let count = gaps.filter { $0.kind == kind }.count
            return count == 0 ? nil : "\(mark)\(count)"
        }
        return parts.isEmpty ? "ok" : parts.joined(separator: " ")
    }

    func matrixRows() -> [(Capability, [String])] {
        Capability.allCases.map { capability in
            (capability, targets.map { result in
                result.error != nil ? "n/a" : Self.cell(result.gaps.filter { $0.capability == capability })
            })
        }
    }

    // MARK: Text

    public func text() -> String {
        var out = "palisade compare: policy \(policy.name) (\(policy.files.joined(separator: ", ")))\n"
        for result in targets {
            out += "\n\(result.target.rawValue): "
            if let error = result.error {
                out += "cannot compile: \(error.message)\n"
                continue
            }
            out += Fidelity.summary(result.gaps) + "\n"
            for (kind, title) in Self.sections {
                let gaps = result.gaps.filter { $0.kind == kind }
                guard !gaps.isEmpty else { continue }
                out += "  \(title) (\(gaps.count)):\n"
                for (reason, members) in Self.groups(gaps) {
                    out += "    \(reason):\n"
                    for gap in members { out += "      \(Self.line(gap, target: result.target))\(gap.origin.map { "  [\($0)]" } ?? "")\n" }
                }
            }
        }
        out += "\ncontrols (ok: as the spec says; +N allowed beyond it; -N blocked; xN not enforced; !N expectations failing):\n"
        let width = Capability.allCases.map(\.rawValue.count).max() ?? 0
        func pad(_ text: String, _ count: Int) -> String { text + String(repeating: " ", count: max(0, count - text.count)) }
        out += "  " + pad("control", width + 2) + targets.map { pad($0.target.rawValue, 11) }.joined() + "\n"
        for (capability, cells) in matrixRows() {
            out += "  " + pad(capability.rawValue, width + 2) + cells.map { pad($0, 11) }.joined() + "\n"
        }
        return out
    }

    // MARK: JSON

    public func json() -> String {
        func gap(_ gap: Gap) -> StructuredValue {
            var entries: [StructuredValue.Entry] = [
                .init("kind", .string(gap.kind.rawValue)), .init("control", .string(gap.capability.rawValue)),
                .init("message", .string(gap.message)),
            ]
            if case let .connection(from, to, ports, reason) = gap.detail {
                entries.append(.init("connection", .object([
                    .init("from", .string(from)), .init("to", .string(to)),
                    .init("ports", .array(ports.ranges.map { .string($0.description) })), .init("reason", .string(reason)),
                ])))
            }
            entries.append(.init("location", gap.origin.map { .string($0.description) } ?? .null))
            return .object(entries)
        }
        return JSONWriter.write(.object([
            .init("policy", .string(policy.name)),
            .init("files", .array(policy.files.map { .string($0) })),
            .init("targets", .array(targets.map { result in
                var entries: [StructuredValue.Entry] = [.init("target", .string(result.target.rawValue))]
                if let error = result.error {
                    entries.append(.init("error", .object([
                        .init("code", .string(error.code.rawValue)), .init("message", .string(error.message)),
                        .init("location", error.range.map { .string($0.description) } ?? .null),
                    ])))
                    return .object(entries)
                }
                entries.append(.init("summary", .object(Self.sections.map { kind, _ in
                    .init(kind.rawValue, .int(result.gaps.filter { $0.kind == kind }.count))
                })))
                entries.append(.init("gaps", .array(result.gaps.map(gap))))
                return .object(entries)
            })),
            .init("controls", .object(matrixRows().map { capability, cells in
                .init(capability.rawValue, .object(zip(targets, cells).map { .init($0.target.rawValue, .string($1)) }))
            })),
        ]))
    }

    // MARK: Markdown

    /// For a pull request: a summary table, the control matrix, the intent as a Mermaid
    /// picture, and each target's details folded.
    public func markdown() -> String {
        func escaped(_ text: String) -> String { text.replacing("|", with: "\\|").replacing("<", with: "&lt;") }
        var out = "## Palisade fidelity report: `\(policy.name)`\n\n"
        out += "What each platform enforces of `\(policy.files.joined(separator: "`, `"))`, read back from the files Palisade generates.\n\n"
        out += "| target | allowed beyond the intent | intended but blocked | not enforced | expectations failing | added for the platform |\n"
        out += "|---|---:|---:|---:|---:|---:|\n"
        for result in targets {
            if let error = result.error {
                out += "| \(result.target.rawValue) | cannot compile: \(escaped(error.message)) | | | | |\n"
                continue
            }
            let counts = Self.sections.map { kind, _ in String(result.gaps.filter { $0.kind == kind }.count) }
            out += "| \(result.target.rawValue) | " + counts.joined(separator: " | ") + " |\n"
        }
        out += "\n### Controls\n\n`ok` as the spec says · `+N` allowed beyond it · `-N` blocked · `xN` not enforced · `!N` expectations failing\n\n"
        out += "| control | " + targets.map(\.target.rawValue).joined(separator: " | ") + " |\n"
        out += "|---|" + String(repeating: "---|", count: targets.count) + "\n"
        for (capability, cells) in matrixRows() {
            out += "| \(capability.rawValue) | " + cells.joined(separator: " | ") + " |\n"
        }
        out += "\n### Intent\n\n```mermaid\n" + IntentGraph(policy).mermaid() + "```\n"
        for result in targets where result.error == nil && !result.gaps.isEmpty {
            out += "\n<details><summary><b>\(result.target.rawValue)</b>: \(Fidelity.summary(result.gaps))</summary>\n\n"
            for (kind, title) in Self.sections {
                let gaps = result.gaps.filter { $0.kind == kind }
                guard !gaps.isEmpty else { continue }
                out += "**\(title)**\n\n"
                for (reason, members) in Self.groups(gaps) {
                    out += "- \(escaped(reason))\n"
                    for gap in members.prefix(50) {
                        out += "  - \(escaped(Self.line(gap, target: result.target)))\(gap.origin.map { " — `\($0)`" } ?? "")\n"
                    }
                    if members.count > 50 { out += "  - … and \(members.count - 50) more (`palisade compare --format json` lists all)\n" }
                }
                out += "\n"
            }
            if let emission = result.emission, !(emission.widened.isEmpty && emission.narrowed.isEmpty) {
                let graph = IntentGraph(policy, target: result.target, emission: emission)
                if graph.edges.count <= 150 {
                    out += "```mermaid\n" + graph.mermaid() + "```\n\n"
                }
            }
            out += "</details>\n"
        }
        return out
    }
}
