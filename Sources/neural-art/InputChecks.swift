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

/// Fails early (before long work) if an output path's folder does not exist or the path itself
/// names a directory.
func checkOutputPath(_ path: String) throws {
    let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
        throw CLIError("cannot write '\(path)': the folder '\(dir)' does not exist")
    }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
        throw CLIError("cannot write '\(path)': it is a directory")
    }
}
