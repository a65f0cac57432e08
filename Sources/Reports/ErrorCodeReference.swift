import Diagnostics

/// `docs/error-codes.md`, generated from `DiagnosticCode` so the two never drift.
public enum ErrorCodeReference {
    public static func markdown() -> String {
        var out = """
            # Error codes

            Generated from `Sources/Diagnostics/DiagnosticCode.swift` (a test fails when this page is stale;
            regenerate with `PALISADE_UPDATE_GOLDEN=1 swift test --filter ErrorCodeReference`).
            Every diagnostic prints as `FILE:LINE:COL: error[CODE]: message`, then the source line and a caret.
            A spec with errors writes no file and `palisade` exits 1; an unreadable spec file or a bad command
            line exits 2.

            | code | meaning |
            |---|---|

            """
        for code in DiagnosticCode.allCases {
            out += "| [\(code.rawValue)](#\(code.rawValue.lowercased())) | \(code.summary) |\n"
        }
        for code in DiagnosticCode.allCases {
            out += "\n## \(code.rawValue)\n\n**\(code.summary.prefix(1).uppercased() + code.summary.dropFirst()).** \(code.explanation)\n"
        }
        return out
    }
}
