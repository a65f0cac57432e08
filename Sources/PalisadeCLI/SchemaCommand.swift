import ArgumentParser
import Palisade

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the spec language, for editors.",
        discussion: "Example: palisade schema > palisade.schema.json")

    func run() throws {
        try finish(Commands.schema())
    }
}
