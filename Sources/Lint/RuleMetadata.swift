import Diagnostics

/// Everything about a rule that is data: it feeds the rule page (`docs/lint-rules.md`),
/// SARIF's `rules[]`, and the tests, which run every rule on its own examples and hold its
/// findings to its message templates.
public struct RuleMetadata: Sendable {
    /// `PAL` and three digits; never reused. The hundreds are the category's.
    public var id: String
    /// kebab-case, for humans and SARIF's `name`; the rule's type is this in UpperCamelCase.
    public var name: String
    public var category: RuleCategory
    public var severity: Diagnostic.Severity
    /// One line: what the rule finds.
    public var summary: String
    /// Why it matters.
    public var rationale: String
    /// What to do about it.
    public var fix: String
    /// Every message the rule's findings carry, by key, with `{placeholder}`s.
    public var messages: [MessageTemplate]
    /// Specs that trigger the rule, with `↓` where each finding is expected.
    public var triggering: [String]
    /// Specs that do not.
    public var nonTriggering: [String]

    public init(
        id: String, name: String, category: RuleCategory, severity: Diagnostic.Severity,
        summary: String, rationale: String, fix: String, messages: KeyValuePairs<String, String>,
        triggering: [String], nonTriggering: [String]
    ) {
        self.id = id
        self.name = name
        self.category = category
        self.severity = severity
        self.summary = summary
        self.rationale = rationale
        self.fix = fix
        self.messages = messages.map { MessageTemplate(key: $0.key, text: $0.value) }
        self.triggering = triggering
        self.nonTriggering = nonTriggering
    }

    /// The message `key` with its placeholders filled in from `values`; a key the rule does not
    /// have gives a message no template matches, which the rule tests report.
    public func message(_ key: String, _ values: [String: String] = [:]) -> String {
        guard let template = messages.first(where: { $0.key == key }) else { return "\(id) has no message '\(key)'" }
        return template.format(values)
    }
}

/// The name rules had before they became data; the rule page and the reports still use it.
public typealias RuleDescription = RuleMetadata

/// What part of a spec a rule looks at; rules live in `Sources/Lint/Rules/<Category>/`.
public enum RuleCategory: String, Sendable, CaseIterable {
    /// What a workload may do to the node it runs on (PAL1xx privileges, PAL2xx confinement).
    case runtime = "Runtime"
    /// Where code comes from (PAL3xx).
    case images = "Images"
    /// Who may talk to whom (PAL4xx).
    case segmentation = "Segmentation"
    /// Who may act, and on what (PAL5xx).
    case identity = "Identity"
    /// What keeps a spec reviewable, and the linter's own findings (PAL6xx).
    case hygiene = "Hygiene"

    /// The hundreds digits of the category's rule ids.
    public var idHundreds: Set<Int> {
        switch self {
        case .runtime: [1, 2]
        case .images: [3]
        case .segmentation: [4]
        case .identity: [5]
        case .hygiene: [6]
        }
    }
}

/// A finding's message with `{name}` placeholders: `{workload}: runs as root (user 0)`.
public struct MessageTemplate: Sendable, Hashable {
    /// How the rule's check names this message.
    public let key: String
    public let text: String
    /// The text split into literals and placeholders; an unclosed `{` is literal.
    public let pieces: [Piece]

    public init(key: String, text: String) {
        self.key = key
        self.text = text
        pieces = Self.split(text)
    }

    /// The placeholders' names, in order.
    public var placeholders: [String] {
        pieces.compactMap { piece in
            if case .placeholder(let name) = piece { name } else { nil }
        }
    }

    /// The text with each placeholder replaced by its value; a placeholder without a value stays as written.
    public func format(_ values: [String: String]) -> String {
        pieces.map { piece in
            switch piece {
            case .literal(let text): text
            case .placeholder(let name): values[name] ?? "{\(name)}"
            }
        }.joined()
    }

    public enum Piece: Sendable, Hashable {
        case literal(String)
        case placeholder(String)
    }

    static func split(_ text: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            if open > rest.startIndex { pieces.append(.literal(String(rest[..<open]))) }
            pieces.append(.placeholder(String(rest[rest.index(after: open)..<close])))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        return pieces
    }
}
