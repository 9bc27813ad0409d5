import ArgumentParser
import NeuralArt

/// Options of the `style` task, shared by meta-train, tune and evaluate (ignored by other tasks).
struct StyleTaskOptions: ParsableArguments {
    @Option(name: .customLong("image-size"), help: "Style task: side of the square content crops, in pixels.")
    var imageSize: Int = 64

    @Option(name: .customLong("style-image"), help: "Style task: the style image (default: the bundled swirls.png).")
    var styleImage: String?

    @Option(name: .customLong("content-dir"), help: "Style task: folder of content photos (default: the bundled split; the last 2 by name are held out).")
    var contentDirectory: String?

    @Flag(name: .customLong("augment-style"), help: "Style task: each training problem uses a random view of the style image (crop of 50–100 %, flip, RGB order); validation and test use the image itself.")
    var augmentStyle = false

    func validate() throws {
        guard imageSize >= 16 && imageSize <= 1024 else { throw ValidationError("--image-size must be between 16 and 1024") }
    }

    /// The style task these options describe.
    func makeTask() throws -> StyleTask {
        try StyleTask.load(size: imageSize, style: styleImage, contentDirectory: contentDirectory,
                           augmentStyle: augmentStyle)
    }
}
