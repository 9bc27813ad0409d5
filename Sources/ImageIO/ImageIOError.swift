/// A file that could not be read or written, with the path, a category and a human reason.
///
/// `description` is a single line meant for end users, for example
/// `cannot read 'x.png': corrupt PNG data (IDAT: invalid distance too far back)`.
public struct ImageIOError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, coarsely; `reason` has the details.
    public enum Kind: String, Sendable, Equatable {
        /// The file (or a directory on its path) does not exist.
        case notFound
        /// The path names a directory or another non-regular file.
        case notAFile
        /// The file exists but cannot be opened or read (permissions, I/O error).
        case unreadable
        /// The file has zero bytes.
        case empty
        /// The content is neither PNG nor JPEG (decided by magic bytes, not the extension).
        case unsupportedFormat
        /// The content starts like a PNG/JPEG but is damaged or truncated.
        case corrupt
        /// The file or the picture it declares is over the limits of `ImageFile`.
        case tooLarge
        /// `ImageFile.write` was given a path whose extension is not .png, .jpg or .jpeg.
        case unsupportedExtension
        /// Encoding or writing the output failed; no partial output was left behind.
        case writeFailed
    }

    /// The path as given by the caller.
    public let path: String
    /// The category of the failure.
    public let kind: Kind
    /// A short human explanation, e.g. `corrupt JPEG data (Premature end of JPEG file)`.
    public let reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    /// Whether the failure happened while writing (selects "cannot write" in `description`).
    public var isWriteError: Bool { kind == .unsupportedExtension || kind == .writeFailed }

    /// One line: `cannot read '<path>': <reason>` (or `cannot write …`).
    public var description: String {
        let verb = isWriteError ? "write" : "read"
        return "cannot \(verb) '\(ImageIOError.oneLine(path))': \(ImageIOError.oneLine(reason))"
    }

    /// `s` with its line breaks turned into spaces (messages stay one line).
    static func oneLine(_ s: String) -> String {
        String(s.map { $0.isNewline ? " " : $0 })
    }
}

/// Damage a decoder recovered from: the picture was decoded, but may show artefacts.
///
/// `description` is one line, e.g. `'x.jpg': damaged JPEG data, decoded anyway (Corrupt JPEG
/// data: 3 extraneous bytes before marker 0xd9)`.
public struct ImageIOWarning: CustomStringConvertible, Equatable, Sendable {
    /// The path as given by the caller.
    public let path: String
    /// The decoder's message.
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String {
        "'\(ImageIOError.oneLine(path))': damaged JPEG data, decoded anyway (\(ImageIOError.oneLine(message)))"
    }
}
