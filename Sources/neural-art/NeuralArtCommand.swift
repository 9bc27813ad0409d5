import ArgumentParser

@main
struct NeuralArtCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neural-art",
        abstract: "Stylize images with an optimizer that learned how to optimize.",
        subcommands: [StylizeCommand.self, CompareCommand.self, MetaTrainCommand.self, TuneCommand.self,
                      EvaluateCommand.self, CalibrateCommand.self, GeneralizationCommand.self, BenchCommand.self],
        defaultSubcommand: StylizeCommand.self)
}
