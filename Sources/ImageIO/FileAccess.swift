// Whole-file reads with a size cap, and atomic writes (`AtomicFile`), on POSIX.
import AtomicFile
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

    /// Writes `bytes` to `path` atomically (`AtomicFile.write`); throws `.writeFailed`.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicFile.write(bytes, to: path) } catch let e as AtomicFile.WriteError {
            throw ImageIOError(path: path, kind: .writeFailed, reason: e.reason)
        }
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

    static func errorText(_ code: Int32) -> String { AtomicFile.errorText(code) }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(bytes) bytes"
    }
}
