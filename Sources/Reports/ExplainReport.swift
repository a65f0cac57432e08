import Analysis
import IR

/// `palisade explain` rendered.
public enum ExplainReport {
    /// The answer as text, one fact a line.
    public static func text(_ answer: Explain.Answer) -> String {
        var out = "\(answer.question): \(answer.verdict.rawValue)\n"
        for line in answer.allowedPart { out += "  allowed: \(line)\n" }
        for (flow, ports) in answer.flows {
            let verb = flow.action == .allow ? "allowed by" : "denied by"
            var line = "  \(verb) \(flow.label) at \(flow.origin) on \(ports)"
            if let description = flow.description { line += " (\(description))" }
            out += line + "\n"
        }
        for note in answer.notes { out += "  note: \(note)\n" }
        for target in answer.targets {
            guard let verdict = target.verdict else {
                out += "on \(target.target.rawValue): cannot compile: \(target.error ?? "")\n"
                continue
            }
            let differs = verdict != answer.verdict ? " (the intent: \(answer.verdict.rawValue))" : ""
            out += "on \(target.target.rawValue): \(verdict.rawValue)\(differs)\n"
            for rule in target.rules { out += "  by \(rule)\n" }
        }
        return out
    }
}
