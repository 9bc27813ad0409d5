import Foundation

/// An unsigned-byte IDX array, the file format of MNIST and Fashion-MNIST.
///
/// Layout (big-endian): two zero bytes, the type code `0x08` (unsigned byte), the number of
/// dimensions d, then d `UInt32` extents, then the product of the extents in bytes, row-major.
/// Image files have d = 3 (`[count, rows, columns]`, magic `0x00000803`), label files d = 1
/// (`[count]`, magic `0x00000801`). Files may be gzip-compressed (detected by content).
public struct IDXArray: Sendable, Equatable {
    /// The extents, outermost first.
    public let dimensions: [Int]
    /// The elements, row-major; `bytes.count` is the product of `dimensions`.
    public let bytes: [UInt8]

    public init(dimensions: [Int], bytes: [UInt8]) {
        precondition(dimensions.reduce(1, *) == bytes.count,
                     "IDXArray: \(bytes.count) bytes for dimensions \(dimensions)")
        self.dimensions = dimensions
        self.bytes = bytes
    }

    /// Reads and validates an IDX file (gzip'd or not) whose dimension count must be `rank`.
    ///
    /// - Throws: `DatasetError` naming `path`: `.notFound`, `.unreadable`, `.wrongMagic` (not an
    ///   unsigned-byte IDX file of the expected rank), `.truncated` (fewer data bytes than the
    ///   header declares), `.corrupt` (bad gzip data, trailing bytes, zero extents).
    public static func read(path: String, rank: Int) throws -> IDXArray {
        let raw = try DatasetFile.read(path)
        let content = Gzip.isGzip(raw) ? try Gzip.decompress(raw, path: path) : raw
        return try parse(content, path: path, rank: rank)
    }

    /// Parses IDX bytes (already decompressed); `path` is used in error messages only.
    public static func parse(_ data: [UInt8], path: String, rank: Int) throws -> IDXArray {
        func fail(_ kind: DatasetError.Kind, _ reason: String) -> DatasetError {
            DatasetError(path: path, kind: kind, reason: reason)
        }
        let expectedMagic = String(format: "0x%08X", 0x800 + rank)
        guard data.count >= 4 else {
            throw fail(.truncated, "\(data.count) bytes, shorter than the 4-byte IDX magic number")
        }
        let magic = UInt32(data[0]) << 24 | UInt32(data[1]) << 16 | UInt32(data[2]) << 8 | UInt32(data[3])
        guard data[0] == 0, data[1] == 0, data[2] == 0x08, Int(data[3]) == rank else {
            let what = rank == 3 ? "an IDX image file" : rank == 1 ? "an IDX label file" : "a rank-\(rank) IDX file"
            throw fail(.wrongMagic, String(format: "magic number 0x%08X, expected %@ for %@", magic, expectedMagic, what))
        }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw fail(.truncated, "\(data.count) bytes, shorter than the \(headerSize)-byte IDX header")
        }
        var dims: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dims.append(Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3]))
        }
        if dims.contains(0) { throw fail(.corrupt, "header declares an empty array \(dims)") }
        let expected = dims.reduce(1, *)
        let have = data.count - headerSize
        let shape = dims.map(String.init).joined(separator: "×")
        if have < expected {
            throw fail(.truncated, "header declares \(shape) = \(expected) bytes, the file has \(have) after the header")
        }
        if have > expected {
            throw fail(.corrupt, "header declares \(shape) = \(expected) bytes, the file has \(have - expected) extra")
        }
        return IDXArray(dimensions: dims, bytes: Array(data[headerSize...]))
    }

    /// The IDX encoding of this array (uncompressed).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions {
            out += [UInt8(truncatingIfNeeded: d >> 24), UInt8(truncatingIfNeeded: d >> 16),
                    UInt8(truncatingIfNeeded: d >> 8), UInt8(truncatingIfNeeded: d)]
        }
        return out + bytes
    }
}

/// Whole-file reads with dataset errors.
enum DatasetFile {
    /// The bytes of a regular file; `.notFound` / `.unreadable` naming `path` otherwise.
    static func read(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError(path: path, kind: .notFound, reason: "no such file")
        }
        if isDirectory.boolValue {
            throw DatasetError(path: path, kind: .unreadable, reason: "is a directory, not a dataset file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError(path: path, kind: .unreadable, reason: "cannot be read (permissions?)")
        }
        return [UInt8](data)
    }

    /// The first of `names` (joined to `directory`) that exists, else `.notFound` listing them.
    static func locate(_ names: [String], in directory: String) throws -> String {
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            throw DatasetError(path: directory, kind: .notFound, reason: "no such directory")
        }
        if !isDirectory.boolValue {
            throw DatasetError(path: directory, kind: .notFound, reason: "not a directory")
        }
        let shown = (directory as NSString).appendingPathComponent(names[0])
        throw DatasetError(path: shown, kind: .notFound,
                           reason: "no such file (looked for \(names.joined(separator: " or ")))")
    }
}
