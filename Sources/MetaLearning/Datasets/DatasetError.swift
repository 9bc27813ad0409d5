/// A dataset file that could not be used, with the path, a category and a human reason.
///
/// `description` is one line for end users, e.g.
/// `dataset file '/data/train-images-idx3-ubyte.gz': truncated (header declares 60000 images
/// of 28×28 = 47040000 bytes, the file has 1000 after the header)`.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, coarsely; `reason` has the details.
    public enum Kind: String, Sendable, Equatable {
        /// The file (or directory) does not exist.
        case notFound
        /// The file exists but cannot be read.
        case unreadable
        /// The file is shorter than its header (or record size) requires.
        case truncated
        /// The file does not start with the expected magic number.
        case wrongMagic
        /// The content contradicts itself: bad header, labels out of range, extra bytes.
        case corrupt
        /// Images and labels disagree in count (or the train and test sets in shape).
        case mismatch
    }

    /// The file (or directory) concerned, as given by the caller.
    public let path: String
    /// The category of the failure.
    public let kind: Kind
    /// A short human explanation.
    public let reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    /// One line: `dataset file '<path>': <reason>`.
    public var description: String {
        let line = { (s: String) in String(s.map { $0.isNewline ? " " : $0 }) }
        return "dataset file '\(line(path))': \(line(reason))"
    }
}
