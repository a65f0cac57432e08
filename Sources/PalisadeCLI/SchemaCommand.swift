import ArgumentParser
import Palisade

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the spec language, for editors, or of a JSON report.",
        discussion: """
            Examples:
              palisade schema > palisade.schema.json
              palisade schema --report compare > compare.schema.json
            """)

    @Option(help: "Print the schema of this JSON report instead: compare, diff or explain.")
    var report: String?

    func run() throws {
        try finish(report.map { Commands.schema(report: $0) } ?? Commands.schema())
    }
}
