// Whole-file reads with a size cap, and atomic writes (temporary file + rename), on POSIX.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum FileAccess {
    /// Reads a whole regular file into memory.
    ///
    /// Throws `.notFound`, `.notAFile` (directories, devices, FIFOs), `.unreadable`,
    /// `.empty`, or `.tooLarge` when the file has more than `limit` bytes (checked with
    /// `fstat` before anything is allocated). The file is opened with `O_NONBLOCK`, so a FIFO
    /// with no writer is refused at once instead of blocking the open.
    static func readAll(_ path: String, limit: Int) throws -> [UInt8] {
        func fail(_ kind: ImageIOError.Kind, _ reason: String) -> ImageIOError {
            ImageIOError(path: path, kind: kind, reason: reason)
        }
        guard !path.isEmpty else { throw fail(.notFound, "empty path") }
        // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT: throw fail(.notFound, "no such file")
            case ENOTDIR: throw fail(.notFound, "a parent of the file is not a directory")
            case EACCES, EPERM: throw fail(.unreadable, "permission denied")
            case ENXIO: throw fail(.notAFile, "not a regular file")
            default: throw fail(.unreadable, errorText(code))
            }
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fail(.unreadable, errorText(errno)) }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR { throw fail(.notAFile, "is a directory, not an image file") }
        if type != S_IFREG { throw fail(.notAFile, "\(describeSpecial(type)), not a regular file") }
        // Back to blocking reads for the regular file (O_NONBLOCK has no effect on them anyway).
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let size = Int(info.st_size)
        if size == 0 { throw fail(.empty, "file is empty (0 bytes)") }
        if size > limit {
            throw fail(.tooLarge, "file is \(megabytes(size)), over the \(megabytes(limit)) limit")
        }

        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        let readError: Int32? = bytes.withUnsafeMutableBytes { buffer in
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n > 0 { done += n; continue }
                if n == 0 { break }  // the file shrank while we read it
                if errno == EINTR { continue }
                return errno
            }
            return nil
        }
        if let code = readError { throw fail(.unreadable, "read error: \(errorText(code))") }
        if done == 0 { throw fail(.empty, "file is empty (0 bytes)") }
        if done < size { bytes.removeLast(size - done) }
        return bytes
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory
    /// (`.<name>.XXXXXX.tmp`, mode 0644 or the mode of the file being replaced) is written,
    /// flushed to disk and renamed over `path`. On any failure the temporary file is
    /// removed, `path` is untouched, and `.writeFailed` is thrown. A device or FIFO (`/dev/null`)
    /// is written in place.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        func fail(_ reason: String) -> ImageIOError {
            ImageIOError(path: path, kind: .writeFailed, reason: reason)
        }
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
                    let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
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

    /// "a FIFO", "a character device", … for a non-regular `st_mode & S_IFMT`.
    static func describeSpecial(_ type: mode_t) -> String {
        switch type {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(bytes) bytes"
    }
}
