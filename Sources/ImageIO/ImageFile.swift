// Reading and writing image files: format detection, limits, atomic output.

/// Reads PNG and JPEG files into `Image`s and writes `Image`s back, failing with
/// `ImageIOError` (never a crash, never a partial output file).
public enum ImageFile {
    /// Largest picture accepted on read, in pixels (width × height): 40 megapixels.
    public static let maxPixels = 40_000_000
    /// Longest side accepted on read, in pixels.
    public static let maxSide = 30_000
    /// Largest file accepted on read, in bytes (512 MiB); checked before reading.
    public static let maxFileBytes = 512 << 20

    /// The file formats `ImageFile` reads and writes.
    public enum Format: String, Sendable, Equatable {
        case png, jpeg

        /// The format for an output path, from its extension (`.png`, `.jpg`, `.jpeg`,
        /// case-insensitive), or `nil` for any other extension.
        public init?(pathExtensionOf path: String) {
            let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
            switch name[name.index(after: dot)...].lowercased() {
            case "png": self = .png
            case "jpg", "jpeg": self = .jpeg
            default: return nil
            }
        }

        /// The format of file content, from its magic bytes, or `nil` if neither PNG nor JPEG.
        public init?<Bytes: Collection>(magic bytes: Bytes) where Bytes.Element == UInt8 {
            if bytes.starts(with: PNG.signature) {
                self = .png
            } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
                self = .jpeg
            } else {
                return nil
            }
        }
    }

    /// Reads a PNG or JPEG file.
    ///
    /// The format is chosen by the file's content (magic bytes), not its name. The file is
    /// read whole (at most `maxFileBytes`); pictures over `maxPixels` or `maxSide` are refused
    /// from their header, before pixel memory is allocated. See `Image` for the layout;
    /// greyscale is replicated to RGB, alpha is composited over white, JPEG EXIF orientation
    /// is applied.
    ///
    /// - Throws: `ImageIOError` with kind `.notFound`, `.notAFile`, `.unreadable`, `.empty`,
    ///   `.unsupportedFormat`, `.corrupt` (including truncated files) or `.tooLarge`.
    public static func read(_ path: String) throws -> Image {
        try read(path, strict: false) { _ in }
    }

    /// Reads a PNG or JPEG file like `read(_:)`, reporting damage the decoder recovered from
    /// (today: libjpeg's warnings, such as corrupt JPEG scan data).
    ///
    /// - Parameters:
    ///   - strict: refuse such a file (`.corrupt`) instead of decoding it.
    ///   - warning: called with a one-line `ImageIOWarning` when `strict` is false.
    public static func read(_ path: String, strict: Bool, warning: (ImageIOWarning) -> Void) throws -> Image {
        let bytes = try FileAccess.readAll(path, limit: maxFileBytes)
        return try decode(bytes, path: path) { message in
            if strict {
                throw ImageIOError(path: path, kind: .corrupt, reason: "damaged JPEG data (\(message)); refused in strict mode")
            }
            warning(ImageIOWarning(path: path, message: message))
        }
    }

    /// Writes an image as PNG or JPEG, chosen by the path's extension (`.png`, `.jpg`,
    /// `.jpeg`, case-insensitive).
    ///
    /// Values are clamped to [0, 1] (NaN → 0) and rounded to 8 bits. PNG output is 8-bit RGB
    /// and lossless at that precision; JPEG uses `quality` (1…100, clamped; 4:4:4 chroma from
    /// 90 up). The file is encoded in memory, written to a temporary file in the same
    /// directory and renamed over `path`, so a failure never leaves a partial file.
    ///
    /// - Throws: `ImageIOError` with kind `.unsupportedExtension` or `.writeFailed`.
    public static func write(_ image: Image, to path: String, quality: Int = 92) throws {
        guard let format = Format(pathExtensionOf: path) else {
            let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
            let what = name.isEmpty ? "a directory path"
                : name.dropFirst().lastIndex(of: ".").map { "extension '\(name[$0...])'" } ?? "no extension"
            throw ImageIOError(path: path, kind: .unsupportedExtension,
                               reason: "\(what) is not a supported output; use .png, .jpg or .jpeg")
        }
        let bytes = try encode(image, as: format, quality: quality, path: path)
        try FileAccess.writeAtomically(bytes, to: path)
    }

    /// Decodes file content already in memory; `path` is only used in errors.
    static func decode(_ bytes: [UInt8], path: String,
                       warning: (String) throws -> Void = { _ in }) throws -> Image {
        guard !bytes.isEmpty else {
            throw ImageIOError(path: path, kind: .empty, reason: "file is empty (0 bytes)")
        }
        guard let format = Format(magic: bytes) else {
            if bytes.count < PNG.signature.count, PNG.signature.starts(with: bytes) {
                throw ImageIOError(path: path, kind: .corrupt, reason: "truncated PNG data (file ends early)")
            }
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "\(describeUnknown(bytes)); only PNG and JPEG can be read")
        }
        return try bytes.withUnsafeBytes { raw in
            switch format {
            case .png: return try PNG.decode(raw, path: path)
            case .jpeg: return try JPEG.decode(raw, path: path, warning: warning)
            }
        }
    }

    /// Encodes an image in memory.
    static func encode(_ image: Image, as format: Format, quality: Int = 92,
                       path: String = "<memory>") throws -> [UInt8] {
        switch format {
        case .png: return try PNG.encode(image, path: path)
        case .jpeg: return try JPEG.encode(image, quality: quality, path: path)
        }
    }

    /// Throws `.tooLarge` when a header declares more than `maxPixels` or a side over
    /// `maxSide`.
    static func checkSize(width: Int, height: Int, format: String, path: String) throws {
        guard width > maxSide || height > maxSide || width * height > maxPixels else { return }
        let megapixels = Double(width) * Double(height) / 1e6
        let shown = megapixels >= 10 ? "\(Int(megapixels.rounded()))" : "\((megapixels * 10).rounded() / 10)"
        throw ImageIOError(
            path: path, kind: .tooLarge,
            reason: "\(format) image is \(width)x\(height) pixels (\(shown) megapixels); the limit is "
                + "\(maxPixels / 1_000_000) megapixels and \(maxSide) pixels per side")
    }

    /// Names common non-PNG/JPEG formats so the error says what the file is.
    private static func describeUnknown(_ bytes: [UInt8]) -> String {
        func starts(_ s: String) -> Bool { bytes.starts(with: Array(s.utf8)) }
        if starts("GIF87a") || starts("GIF89a") { return "file is a GIF image" }
        if starts("BM") { return "file looks like a BMP image" }
        if bytes.count >= 12, starts("RIFF"), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            return "file is a WebP image"
        }
        if starts("II*\0") || starts("MM\0*") { return "file is a TIFF image" }
        if bytes.count >= 12, Array(bytes[4..<8]) == Array("ftyp".utf8) {
            return "file is an HEIF/AVIF or MP4 container"
        }
        if starts("\u{FF}\u{D8}") { return "file starts like a JPEG but has no valid marker" }
        return "not a PNG or JPEG file"
    }
}
