import ArgumentParser

/// The output and input-strictness flags of the commands that paint pictures (stylize, compare).
struct PictureRunOptions: ParsableArguments {
    @Flag(name: [.short, .long], help: "No progress bar or messages (warnings are still shown).")
    var quiet = false

    @Flag(name: .long, help: "Refuse input images with recoverable damage (libjpeg warnings such as corrupt scan data) instead of warning.")
    var strict = false
}
