import CZlib

/// gzip (RFC 1952) and zlib (RFC 1950) streams through the system zlib.
///
/// Foundation on Linux has no gzip API; the datasets ship as `.gz` files (Debian's
/// `dataset-fashion-mnist`), so the readers inflate them in memory. Concatenated gzip members
/// (as written by `cat a.gz b.gz`) are decoded one after the other.
public enum Gzip {
    /// Whether `bytes` starts with the gzip magic `1f 8b`.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// The decompressed content of a gzip (or zlib) stream.
    ///
    /// - Throws: `DatasetError` of kind `.corrupt` naming `path` for damaged data, and of kind
    ///   `.truncated` when the stream ends before its end marker.
    /// - Complexity: O(compressed + decompressed size); memory for the output only.
    public static func decompress(_ compressed: [UInt8], path: String) throws -> [UInt8] {
        if compressed.isEmpty { throw DatasetError(path: path, kind: .truncated, reason: "empty gzip file") }
        // ISIZE (the last 4 bytes, size mod 2³²) is only a hint for the first allocation, and is
        // garbage in a truncated file: trust it only up to deflate's maximum ratio (1032:1).
        var capacity = compressed.count * 4
        if compressed.count >= 18 {
            let n = compressed.count
            let isize = Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8
                | Int(compressed[n - 2]) << 16 | Int(compressed[n - 1]) << 24
            if isize > 0 && isize <= compressed.count * 1032 { capacity = isize }
        }
        var output = [UInt8](repeating: 0, count: max(capacity, 1024))
        var produced = 0

        // zlib keeps a back pointer to the stream: it must live in memory we own.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        // 15 + 32: maximum window, detect gzip or zlib headers automatically.
        guard inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(path: path, kind: .corrupt, reason: "zlib could not be initialised")
        }
        defer { inflateEnd(stream) }

        try compressed.withUnsafeBufferPointer { input in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
            stream.pointee.avail_in = UInt32(input.count)
            while true {
                if produced == output.count {
                    output.append(contentsOf: repeatElement(0, count: output.count))
                }
                let status: Int32 = output.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress! + produced
                    let room = min(out.count - produced, Int(UInt32.max))
                    stream.pointee.avail_out = UInt32(room)
                    let s = inflate(stream, Z_NO_FLUSH)
                    produced += room - Int(stream.pointee.avail_out)
                    return s
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Another gzip member may follow; anything else after the end is ignored
                    // only if it is zero padding.
                    let rest = Int(stream.pointee.avail_in)
                    if rest >= 2, stream.pointee.next_in[0] == 0x1f, stream.pointee.next_in[1] == 0x8b {
                        inflateReset(stream)
                        continue
                    }
                    for i in 0..<rest where stream.pointee.next_in[i] != 0 {
                        throw DatasetError(path: path, kind: .corrupt, reason: "\(rest) bytes of garbage after the gzip stream")
                    }
                    return
                case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                    throw DatasetError(path: path, kind: .truncated,
                                       reason: "gzip stream ends early (after \(produced) decompressed bytes)")
                case Z_BUF_ERROR:
                    continue  // output full; grown at the top of the loop
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DatasetError(path: path, kind: .corrupt, reason: "corrupt gzip data (\(message))")
                }
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// A gzip stream of `data` (for tests and for writing small dataset copies).
    public static func compress(_ data: [UInt8], level: Int32 = 6) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        // 15 + 16: maximum window with a gzip header; memLevel 8 is zlib's default.
        let ok = deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(ok == Z_OK, "Gzip.compress: deflateInit2 failed (\(ok))")
        defer { deflateEnd(stream) }
        let bound = Int(deflateBound(stream, UInt(data.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        var input = data
        let produced: Int = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.pointee.next_in = inp.baseAddress
                stream.pointee.avail_in = UInt32(inp.count)
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = UInt32(out.count)
                let status = deflate(stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "Gzip.compress: deflate returned \(status)")
                return out.count - Int(stream.pointee.avail_out)
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}
