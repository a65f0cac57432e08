import ArgumentParser
import Palisade

/// The flags of the commands that judge a deployment (`compare`, `explain`): the application's
/// own files, and target options over the spec's.
struct DeploymentOptions: ParsableArguments {
    @Option(
        name: .customLong("with"),
        help: ArgumentHelp(
            "The application's own files for the one --target (a file, or a folder): judge what the platform deploys of them and Palisade's files together.",
            valueName: "file-or-folder"))
    var with: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("A target option, over the spec's (repeatable).", valueName: OptionSetting.help))
    var settings: [OptionSetting] = []
}
