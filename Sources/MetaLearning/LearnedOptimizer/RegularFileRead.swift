import Foundation

/// Reads a whole regular file for the model, checkpoint and baseline loaders, with reasons a user
/// can act on: "no such file", "is a directory", "is a FIFO (named pipe), not a regular file",
/// "permission denied". Throws `ModelFileError.unreadable` naming `path`.
///
/// The file is opened with `O_NONBLOCK` and checked with `fstat` before any read, so a FIFO or
/// a device (`/dev/zero`) is refused at once instead of blocking or filling memory; files over
/// `limit` bytes are refused before anything is allocated.
func readRegularFile(_ path: String, limit: Int = 1 << 30) throws -> Data {
    func fail(_ reason: String) -> ModelFileError { .unreadable(path: path, reason: reason) }
    guard !path.isEmpty else { throw fail("empty path") }
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    if fd < 0 {
        let code = errno
        switch code {
        case ENOENT: throw fail("no such file")
        case ENOTDIR: throw fail("a parent of the file is not a directory")
        case EACCES, EPERM: throw fail("permission denied")
        case ENXIO: throw fail("not a regular file")
        default: throw fail(String(cString: strerror(code)))
        }
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw fail(String(cString: strerror(errno))) }
    switch info.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR: throw fail("is a directory, not a file")
    case S_IFIFO: throw fail("is a FIFO (named pipe), not a regular file")
    case S_IFCHR, S_IFBLK: throw fail("is a device, not a regular file")
    default: throw fail("not a regular file")
    }
    let size = Int(info.st_size)
    guard size <= limit else { throw fail("file is \(size >> 20) MB, over the \(limit >> 20) MB limit") }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    var bytes = [UInt8](repeating: 0, count: size)
    var done = 0
    while done < size {
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
        if n > 0 { done += n; continue }
        if n == 0 { break }  // the file shrank while we read it
        if errno == EINTR { continue }
        throw fail("read error: \(String(cString: strerror(errno)))")
    }
    return Data(bytes[0..<done])
}
