import Backends
import IR
import YAML

/// `palisade targets`: what each backend can enforce, from the backends' own declarations.
public enum TargetMatrix {
    static var backends: [any Backend] { TargetName.allCases.compactMap(BackendRegistry.backend(for:)) }

    static func mark(_ support: Support?) -> String {
        switch support {
        case .full?: "yes"
        case .partial?: "partial"
        case .none?, nil: "no"
        }
    }

    /// A Markdown table, controls by targets; the README carries the same table.
    public static func markdown() -> String {
        let backends = backends
        var lines = ["| control | " + backends.map(\.target.rawValue).joined(separator: " | ") + " |"]
        lines.append("|---|" + String(repeating: "---|", count: backends.count))
        for capability in Capability.allCases {
            lines.append("| \(capability.rawValue) | " + backends.map { mark($0.capabilities[capability]) }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Aligned columns, then each target's options.
    public static func text() -> String {
        let backends = backends
        let width = Capability.allCases.map(\.rawValue.count).max() ?? 0
        func pad(_ text: String, _ count: Int) -> String { text + String(repeating: " ", count: max(0, count - text.count)) }
        let columns = backends.map { max($0.target.rawValue.count, 7) + 2 }
        var output = pad("control", width + 2) + zip(backends, columns).map { pad($0.target.rawValue, $1) }.joined() + "\n"
        for capability in Capability.allCases {
            output += pad(capability.rawValue, width + 2) + zip(backends, columns).map { pad(mark($0.capabilities[capability]), $1) }.joined() + "\n"
        }
        for backend in backends {
            output += "\n\(backend.target.rawValue) options (and gaps: widen | narrow):\n"
            for option in backend.options {
                output += "  \(option.name)\(option.defaultValue.map { " (default \($0.isEmpty ? "\"\"" : $0))" } ?? ""): \(option.summary)\n"
            }
        }
        return output
    }

    public static func json() -> String {
        JSONWriter.write(.array(backends.map { backend in
            .object([
                .init("target", .string(backend.target.rawValue)),
                .init("capabilities", .object(Capability.allCases.map { .init($0.rawValue, .string((backend.capabilities[$0] ?? .none).rawValue)) })),
                .init("options", .array(backend.options.map { option in
                    .object([.init("name", .string(option.name)), .init("summary", .string(option.summary)), .init("default", option.defaultValue.map { .string($0) } ?? .null)])
                })),
            ])
        }))
    }

    static let begin = "<!-- palisade targets: begin -->"
    static let end = "<!-- palisade targets: end -->"

    /// `readme` with the table between its markers replaced by the current one; nil when the
    /// markers are missing.
    public static func updatingReadme(_ readme: String) -> String? {
        guard let start = readme.range(of: begin), let stop = readme.range(of: end), start.upperBound <= stop.lowerBound else { return nil }
        return String(readme[..<start.upperBound]) + "\n" + markdown() + String(readme[stop.lowerBound...])
    }
}
