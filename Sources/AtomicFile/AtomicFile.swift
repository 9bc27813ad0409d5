// Atomic file writes (temporary file + fsync + rename) on POSIX: the one writer of the package,
// used by ImageIO (images) and MetaLearning (model files, checkpoints, CSV and JSON).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum AtomicFile {
    /// Why a write failed: the path and one line of reason (e.g. "directory 'out/' does not exist").
    public struct WriteError: Error, Equatable, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory
    /// (`.<name>.XXXXXX.tmp`, mode 0644 or the mode of the file being replaced) is written,
    /// flushed to disk and renamed over `path`. On any failure the temporary file is
    /// removed, `path` is untouched, and a `WriteError` is thrown. A device or FIFO (`/dev/null`,
    /// `/dev/stdout`) is written in place: renaming over it would replace the device node itself
    /// (as root, `--csv /dev/null` would delete /dev/null).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        func fail(_ reason: String) -> WriteError { WriteError(path: path, reason: reason) }
        guard !path.isEmpty else { throw fail("empty path") }
        if path.hasSuffix("/") { throw fail("path names a directory") }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""  // keeps the trailing "/"
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let shownDirectory = directory.isEmpty ? "." : directory

        func writeAll(_ fd: Int32) -> Int32? {
            bytes.withUnsafeBytes { buffer in
                var done = 0
                while done < buffer.count {
                    let n = posixWrite(fd, buffer.baseAddress! + done, buffer.count - done)
                    if n > 0 { done += n; continue }
                    if n < 0 && errno == EINTR { continue }
                    return n < 0 ? errno : EIO
                }
                return nil
            }
        }
        // A device or FIFO (/dev/null, /dev/stdout) is written in place: renaming over it would
        // replace the device node itself.
        var target = stat()
        let kind: mode_t? = stat(path, &target) == 0 ? target.st_mode & S_IFMT : nil
        if let kind, kind != S_IFREG, kind != S_IFDIR {
            let fd = open(path, O_WRONLY)
            if fd < 0 { throw fail(errorText(errno)) }
            defer { close(fd) }
            if let code = writeAll(fd) { throw fail("write error: \(errorText(code))") }
            return
        }

        var template = Array("\(directory).\(name.prefix(200)).XXXXXX.tmp".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT: throw fail("directory '\(shownDirectory)' does not exist")
            case ENOTDIR: throw fail("'\(shownDirectory)' is not a directory")
            case EACCES, EPERM, EROFS: throw fail("cannot create files in '\(shownDirectory)': \(errorText(code))")
            default: throw fail(errorText(code))
            }
        }
        let temporary = String(cString: template.map { $0 })
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
        }

        let mode: mode_t = kind == S_IFREG ? target.st_mode & 0o7777 : 0o644
        _ = fchmod(fd, mode)

        if let code = writeAll(fd) { throw fail("write error: \(errorText(code))") }
        if fsync(fd) != 0 { throw fail("write error: \(errorText(errno))") }
        closed = true
        if close(fd) != 0 { throw fail("write error: \(errorText(errno))") }
        if rename(temporary, path) != 0 {
            let code = errno
            if code == EISDIR { throw fail("a directory of that name is in the way") }
            throw fail(errorText(code))
        }
        renamed = true
    }

    /// The text of an `errno` value.
    public static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// POSIX `write(2)` (inside `AtomicFile`, `write` names the static method).
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
