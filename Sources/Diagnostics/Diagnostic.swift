/// One problem found in a spec or on the command line, with a stable code and the place
/// in the source that caused it.
public struct Diagnostic: Sendable, Hashable, Error {
    public enum Severity: String, Sendable, Hashable, Comparable {
        case error, warning, note

        private var rank: Int {
            switch self {
            case .error: 2
            case .warning: 1
            case .note: 0
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// A secondary place that explains the primary one ("first defined here").
    public struct Note: Sendable, Hashable {
        public var message: String
        public var range: SourceRange?

        public init(_ message: String, at range: SourceRange? = nil) {
            self.message = SafeText.message(message)
            self.range = range
        }
    }

    public var severity: Severity
    public var code: DiagnosticCode
    /// One line, safe to print: input quoted in it has its control characters escaped and
    /// long values abbreviated (`SafeText.message`), whoever built it.
    public var message: String
    public var range: SourceRange?
    public var notes: [Note]
    /// A suggestion the user can act on, rendered as `help: …`.
    public var help: String?

    public init(
        _ severity: Severity = .error, _ code: DiagnosticCode, _ message: String,
        at range: SourceRange?, notes: [Note] = [], help: String? = nil
    ) {
        self.severity = severity
        self.code = code
        self.message = SafeText.message(message)
        self.range = range
        self.notes = notes
        self.help = help.map(SafeText.message)
    }

    public static func error(
        _ code: DiagnosticCode, _ message: String, at range: SourceRange?,
        notes: [Note] = [], help: String? = nil
    ) -> Diagnostic {
        Diagnostic(.error, code, message, at: range, notes: notes, help: help)
    }

    public static func warning(
        _ code: DiagnosticCode, _ message: String, at range: SourceRange?,
        notes: [Note] = [], help: String? = nil
    ) -> Diagnostic {
        Diagnostic(.warning, code, message, at: range, notes: notes, help: help)
    }
}

/// Collects diagnostics from the passes of one run; passes keep going after an error.
public struct DiagnosticBag: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public mutating func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    public mutating func report(contentsOf other: [Diagnostic]) { diagnostics.append(contentsOf: other) }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// The diagnostics in source order (file, line, column), errors without a place first;
    /// the same diagnostic reported twice appears once.
    public var sorted: [Diagnostic] {
        var seen = Set<Diagnostic>()
        let unique = diagnostics.filter { seen.insert($0).inserted }
        return unique.enumerated().sorted { a, b in
            switch (a.element.range, b.element.range) {
            case (let x?, let y?) where x != y: return x < y
            case (nil, _?): return true
            case (_?, nil): return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
    }
}
