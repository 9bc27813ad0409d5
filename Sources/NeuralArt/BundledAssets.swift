import Foundation

/// Finds the files that ship with the project (`images/`, `models/`).
///
/// Looked up, in order: `$NEURALART_HOME/<path>`, `./<path>`, and the source checkout this
/// binary was built from (so `swift run` works from any directory).
public enum BundledAssets {
    /// The default content photo and style shipped in `images/`.
    public static let defaultContent = "images/chelsea.png"
    public static let defaultStyle = "images/swirls.png"

    /// The absolute or relative path of a shipped file, or nil if none of the places has it.
    public static func locate(_ relativePath: String) -> String? {
        var roots: [String] = []
        if let home = ProcessInfo.processInfo.environment["NEURALART_HOME"] { roots.append(home) }
        roots.append(FileManager.default.currentDirectoryPath)
        // <root>/Sources/NeuralArt/BundledAssets.swift → <root>
        let source = URL(fileURLWithPath: #filePath)
        roots.append(source.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path)
        for root in roots {
            let p = (root as NSString).appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    /// The path of a shipped file, or `MissingFile` with a one-line description.
    public static func require(_ relativePath: String) throws -> String {
        guard let p = locate(relativePath) else { throw MissingFile(relativePath: relativePath) }
        return p
    }

    /// A shipped file that none of the looked-up places has.
    public struct MissingFile: Error, CustomStringConvertible, Equatable {
        public let relativePath: String
        public var description: String {
            "cannot find the bundled file '\(relativePath)'; run from the project folder or set NEURALART_HOME"
        }
    }
}
