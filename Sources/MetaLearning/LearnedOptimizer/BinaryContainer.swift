import AtomicFile
import Foundation

/// Errors reading model and checkpoint files; `description` is one line naming the path.
public enum ModelFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case wrongKind(path: String, expected: String)
    case truncated(path: String, expected: Int, actual: Int, atLeast: Bool = false)
    case damaged(path: String, detail: String)
    case unsupportedVersion(path: String, found: Int, supported: Int)
    case mismatched(path: String, detail: String)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "cannot read \(p): \(r)"
        case .unwritable(let p, let r): return "cannot write \(p): \(r)"
        case .wrongKind(let p, let e): return "\(p) is not \(e)"
        case .truncated(let p, let e, let a, let atLeast):
            return "\(p) is truncated: \(a) bytes, expected \(atLeast ? "at least " : "")\(e) (re-save or re-train the file)"
        case .damaged(let p, let d): return "\(p) is damaged: \(d)"
        case .unsupportedVersion(let p, let f, let s):
            return "\(p) has format version \(f); this build reads version \(s)"
        case .mismatched(let p, let d): return "\(p) does not match: \(d)"
        }
    }
}

/// CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }

    static func checksum(_ data: Data) -> UInt32 { data.withUnsafeBytes { checksum($0) } }
}

/// The file layout shared by model files and checkpoints:
///
///     magic (8 bytes) · version (UInt32 LE) · header length n (UInt32 LE) · header (n bytes of
///     JSON, UTF-8) · arrays (Float32 LE, in the order and sizes the header lists) ·
///     CRC-32 of all preceding bytes (UInt32 LE)
///
/// Self-describing (the JSON header names everything), versioned, and checked end to end.
struct BinaryContainer {
    var magic: [UInt8]
    var version: Int
    var header: Data
    var arrays: [[Float]]

    static let prefixSize = 16

    func encoded() -> Data {
        var d = Data(magic)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        u32(UInt32(version))
        u32(UInt32(header.count))
        d.append(header)
        for a in arrays {
            var le = [UInt32](repeating: 0, count: a.count)
            for i in a.indices { le[i] = a[i].bitPattern.littleEndian }
            le.withUnsafeBytes { d.append(contentsOf: $0) }
        }
        u32(CRC32.checksum(d))
        return d
    }

    /// Writes atomically (a temporary file renamed over `path`).
    func write(to path: String) throws {
        try writeAtomically(encoded(), to: path)
    }

    /// Reads and validates a container: magic, sizes (from `arrayCounts`, decoded from the
    /// header), checksum and version. `kind` names the expected file kind in errors.
    static func read(
        path: String, magic: [UInt8], kind: String, supportedVersion: Int,
        arrayCounts: (Data) throws -> [Int]
    ) throws -> BinaryContainer {
        let data: Data
        data = try readRegularFile(path)
        return try decode(data, path: path, magic: magic, kind: kind, supportedVersion: supportedVersion,
                          arrayCounts: arrayCounts)
    }

    static func decode(
        _ data: Data, path: String, magic: [UInt8], kind: String, supportedVersion: Int,
        arrayCounts: (Data) throws -> [Int]
    ) throws -> BinaryContainer {
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw ModelFileError.wrongKind(path: path, expected: kind)
        }
        guard bytes.count >= prefixSize + 4 else {
            throw ModelFileError.truncated(path: path, expected: prefixSize + 4, actual: bytes.count, atLeast: true)
        }
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        let version = Int(u32(8)), headerCount = Int(u32(12))
        let storedCRC = u32(bytes.count - 4)
        let crcOK = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) } == storedCRC
        // Sizes first (a truncated file gets the clearer message), then the checksum.
        var counts: [Int]?
        var header = Data()
        if prefixSize + headerCount <= bytes.count - 4 {
            header = Data(bytes[prefixSize..<(prefixSize + headerCount)])
            counts = try? arrayCounts(header)
        }
        if let counts {
            let expected = prefixSize + headerCount + 4 * counts.reduce(0, +) + 4
            if bytes.count < expected {
                throw ModelFileError.truncated(path: path, expected: expected, actual: bytes.count)
            }
            if bytes.count > expected {
                throw ModelFileError.damaged(
                    path: path, detail: "\(bytes.count - expected) extra byte(s) after its end (\(bytes.count) bytes, the header describes \(expected))")
            }
        } else if prefixSize + headerCount > bytes.count - 4 && headerCount < 1 << 24 {
            throw ModelFileError.truncated(path: path, expected: prefixSize + headerCount + 4, actual: bytes.count, atLeast: true)
        }
        guard crcOK else { throw ModelFileError.damaged(path: path, detail: "checksum mismatch") }
        guard version == supportedVersion else {
            throw ModelFileError.unsupportedVersion(path: path, found: version, supported: supportedVersion)
        }
        guard let counts else {
            // Checksum fine but the header does not decode: re-run to surface the decoding error.
            do { _ = try arrayCounts(header) } catch {
                throw ModelFileError.damaged(path: path, detail: "unreadable header (\(Self.describe(error)))")
            }
            throw ModelFileError.damaged(path: path, detail: "unreadable header")
        }
        var arrays: [[Float]] = []
        var at = prefixSize + headerCount
        for n in counts {
            var a = [Float](repeating: 0, count: n)
            for i in 0..<n { a[i] = Float(bitPattern: u32(at + 4 * i)) }
            arrays.append(a)
            at += 4 * n
        }
        return BinaryContainer(magic: magic, version: version, header: header, arrays: arrays)
    }

    /// A one-line description of a decoding error.
    static func describe(_ error: Error) -> String {
        if let e = error as? DecodingError {
            switch e {
            case .keyNotFound(let k, _): return "missing field '\(k.stringValue)'"
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
                let path = c.codingPath.map(\.stringValue).joined(separator: ".")
                return path.isEmpty ? "invalid JSON" : "invalid field '\(path)'"
            @unknown default: return "invalid JSON"
            }
        }
        return "\(error)"
    }

    static func jsonEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static func jsonDecoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}

/// Writes `data` to `path` so that a reader never sees a half-written file (`AtomicFile.write`:
/// a temporary file in the same directory, flushed and renamed over `path`; a device or FIFO
/// such as `/dev/null` is written in place). Throws `ModelFileError.unwritable`.
public func writeAtomically(_ data: Data, to path: String) throws {
    do { try AtomicFile.write([UInt8](data), to: path) } catch let e as AtomicFile.WriteError {
        throw ModelFileError.unwritable(path: path, reason: e.reason)
    }
}
