import ArgumentParser
import Foundation

@main
struct NeuralArtCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neural-art",
        abstract: "Stylize images with an optimizer that learned how to optimize.",
        subcommands: [StylizeCommand.self, CompareCommand.self, MetaTrainCommand.self, TuneCommand.self,
                      EvaluateCommand.self, CalibrateCommand.self, GeneralizationCommand.self, BenchCommand.self,
                      StylesCommand.self],
        defaultSubcommand: StylizeCommand.self)

    /// Parses and runs the command. An argument error prints one line, `Error: <message>`, and
    /// exits with status 64 (swift-argument-parser would add the usage and a pointer to
    /// --help); help, version and every other outcome are as swift-argument-parser does them.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                let message = self.message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
                FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
                Foundation.exit(code.rawValue)
            }
            exit(withError: error)
        }
    }
}
