import Diagnostics
import IR

/// The `mesos` target's options, typed.
public struct MesosOptions: BackendOptions {
    /// Which containerizer runs the tasks.
    public enum Containerizer: String, Sendable, CaseIterable {
        /// The Docker containerizer: runtime controls as `docker run` flags, one network per app.
        case docker
        /// The Mesos containerizer (UCR): several networks per app, fewer runtime controls.
        case mesos
    }

    public static let specs = [
        OptionSpec(name: "group", summary: "the root Marathon group", defaultValue: "/POLICY"),
        OptionSpec(
            name: "containerizer",
            summary: "docker (runtime controls as docker run flags, one network per app) or mesos (UCR: several networks, fewer controls)",
            defaultValue: "docker", kind: .choice(Containerizer.allCases.map(\.rawValue))),
        OptionSpec(name: "principal", summary: "Marathon's framework principal in the ACLs", defaultValue: "marathon"),
        OptionSpec(name: "role", summary: "the Mesos role Marathon registers with", defaultValue: "*"),
    ]

    public var gaps: GapPolicy
    /// The root Marathon group; nil: `/` and the policy's name.
    public var group: String?
    public var containerizer: Containerizer
    /// Where the spec chooses the containerizer, or else its options for the target: what
    /// a network too large for the Docker containerizer is reported at.
    public var containerizerOrigin: SourceRange
    /// Marathon's framework principal in the ACLs.
    public var principal: String
    /// The Mesos role Marathon registers with.
    public var role: String

    /// Why a principal cannot be a Mesos credential's principal: empty, too long, or holding
    /// characters outside letters, digits and `.-_@`.
    static func principalProblem(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.count <= 255 else { return "a principal is 1-255 characters" }
        let allowed = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-@".contains($0)) }
        return allowed ? nil : "a principal is letters, digits and '.', '_', '-', '@'"
    }

    /// Why a role name is not one Mesos accepts: `*`, or path components that are not `.` or
    /// `..`, do not start with `-`, and hold no white space or control character.
    static func roleProblem(_ text: String) -> String? {
        if text == "*" { return nil }
        guard !text.isEmpty else { return "a role cannot be empty" }
        for component in text.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." || component == ".." { return "'\(text)' has an empty, '.' or '..' part" }
            if component.first == "-" { return "a role part cannot start with '-'" }
            if component.contains("*") { return "'*' stands alone as the default role" }
            if component.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || !$0.isASCII }) {
                return "a role has no spaces, control or non-ASCII characters"
            }
        }
        return nil
    }

    public init(_ options: TargetOptions, reading reader: inout OptionReader) {
        gaps = options.gaps
        group = reader.string("group", default: nil) { pathProblem($0) }
        containerizer = reader.choice("containerizer", default: Containerizer.docker)
        containerizerOrigin = options.option("containerizer")?.value.range ?? options.origin
        principal = reader.string("principal", default: "marathon") { Self.principalProblem($0) } ?? "marathon"
        role = reader.string("role", default: "*") { Self.roleProblem($0) } ?? "*"
    }
}

/// Why a Marathon group path is malformed (`PathId.scala`), or nil.
func pathProblem(_ path: String) -> String? {
    guard path.hasPrefix("/") else { return "a group path is absolute, like /shop" }
    if path == "/" { return nil }
    for segment in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
        let labels = segment.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            !segment.isEmpty
            && labels.allSatisfy { label in
                !label.isEmpty && label.first != "-" && label.last != "-"
                    && label.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
            }
        guard valid else { return "'\(segment)' is not lower-case letters, digits, '-' and '.' (Marathon path ids)" }
        if ["restart", "tasks", "versions"].contains(String(segment)) { return "'\(segment)' is reserved by Marathon" }
    }
    return nil
}
