import ArgumentParser
import Foundation
import ImageIO
import NeuralArt

/// Reads an input image for `stylize` and `compare`: with `strict`, damage the decoder
/// recovered from (libjpeg warnings such as corrupt scan data) is an error; otherwise it is
/// one `warning:` line on standard error (shown even with --quiet) and the picture is used.
func readImage(_ path: String, strict: Bool) throws -> Image {
    try ImageFile.read(path, strict: strict) { warning in
        FileHandle.standardError.write(Data("warning: \(warning); --strict refuses such files\n".utf8))
    }
}

/// Whether two paths name the same file: the same device and inode when both exist, else the
/// same standardized absolute path.
func sameFile(_ a: String, _ b: String) -> Bool {
    var sa = stat(), sb = stat()
    if stat(a, &sa) == 0, stat(b, &sb) == 0 { return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino }
    let absolute = { (p: String) in URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
    return absolute(a) == absolute(b)
}

/// Fails early (before long work) if an output path names an existing directory.
func checkNotADirectory(_ path: String) throws {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
        throw CLIError("cannot write '\(path)': it is a directory")
    }
}

/// Runs a stylization, turning a divergence of the learned optimizer (named "lstm") into an
/// error without the "try a smaller learning rate" hint: it has no learning rate.
func divergenceReported<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch StylizeError.diverged(let step, let optimizer) where optimizer == "lstm" {
        throw CLIError("the loss became NaN or infinite at step \(step) with the learned optimizer")
    }
}
