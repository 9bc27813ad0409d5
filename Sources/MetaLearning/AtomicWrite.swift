import Foundation

/// Writes `data` to `path` so that a reader never sees a half-written file: a temporary file in
/// the same directory, renamed over `path` (Foundation's atomic write).
///
/// A path that exists and is not a regular file or a directory — `/dev/null`, `/dev/stdout`, a
/// FIFO — is written in place instead: renaming over it would replace the device node itself
/// (as root, `--csv /dev/null` would delete /dev/null). Throws `ModelFileError.unwritable`.
public func writeAtomically(_ data: Data, to path: String) throws {
    do {
        var info = stat()
        let kind = stat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
        if kind != 0 && kind != S_IFREG && kind != S_IFDIR {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw ModelFileError.unwritable(path: path, reason: "cannot open it for writing")
            }
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
        } else {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    } catch let error as ModelFileError {
        throw error
    } catch {
        throw ModelFileError.unwritable(path: path, reason: (error as NSError).localizedDescription)
    }
}
