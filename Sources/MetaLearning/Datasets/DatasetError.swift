/// A dataset file that could not be used, with the path, a category and a human reason.
///
/// `description` is one line for end users, e.g.
/// `dataset file '/data/train-images-idx3-ubyte.gz': truncated (header declares 60000 images
/// of 28×28 = 47040000 bytes, the file has 1000 after the header)`.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, coarsely (`reason` has the details): the file (or directory) does not
    /// exist (`notFound`) or cannot be read (`unreadable`); it is shorter than its header or
    /// record size requires (`truncated`); it does not start with the expected magic number
    /// (`wrongMagic`); its content contradicts itself — a bad header, labels out of range, extra
    /// bytes (`corrupt`); images and labels disagree in count, or the train and test sets in
    /// shape (`mismatch`).
    public enum Kind: String, Sendable, Equatable { case notFound, unreadable, truncated, wrongMagic, corrupt, mismatch }

    /// The file (or directory) concerned as given by the caller, the category of the failure,
    /// and a short human explanation.
    public let path: String, kind: Kind, reason: String

    public init(path: String, kind: Kind, reason: String) { (self.path, self.kind, self.reason) = (path, kind, reason) }

    /// One line: `dataset file '<path>': <reason>`.
    public var description: String {
        let line = { (s: String) in String(s.map { $0.isNewline ? " " : $0 }) }
        return "dataset file '\(line(path))': \(line(reason))"
    }
}
