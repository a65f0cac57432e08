import Analysis
import IR
import YAML

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

    /// The answer as JSON (schema: `palisade schema --report explain`).
    public static func json(_ answer: Explain.Answer) -> String {
        func ports(_ set: PortSet) -> StructuredValue { .array(set.ranges.map { .string($0.description) }) }
        let flows: [StructuredValue] = answer.flows.map { flow, covered in
            .object([
                .init("name", .string(flow.label)), .init("action", .string(flow.action.rawValue)), .init("ports", ports(covered)),
                .init("description", flow.description.map { .string($0) } ?? .null),
                .init("location", .string(flow.origin.description)),
            ])
        }
        let targets: [StructuredValue] = answer.targets.map { target in
            var entries: [StructuredValue.Entry] = [
                .init("target", .string(target.target.rawValue)),
                .init("verdict", target.verdict.map { .string($0.rawValue) } ?? .null),
                .init("rules", .array(target.rules.map { .string($0) })),
            ]
            if let error = target.error { entries.append(.init("error", .string(error))) }
            return .object(entries)
        }
        return JSONWriter.write(
            .object([
                .init("format", .string(ReportSchemas.Report.explain.format)),
                .init("version", .int(ReportSchemas.version)),
                .init("question", .string(answer.question)),
                .init("verdict", .string(answer.verdict.rawValue)),
                .init("allowed", .array(answer.allowedPart.map { .string($0) })),
                .init("flows", .array(flows)),
                .init("notes", .array(answer.notes.map { .string($0) })),
                .init("targets", .array(targets)),
            ]))
    }
}
