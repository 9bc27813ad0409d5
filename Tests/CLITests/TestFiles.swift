import Foundation

/// Test inputs written without the libraries: PNG files (stored zlib blocks) and CRC-32.
enum TestFiles {
    /// CRC-32 (IEEE, as in PNG, zlib and the model files).
    static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// An 8-bit RGB PNG of one colour, `width`×`height`, uncompressed (stored deflate blocks).
    static func png(width: Int, height: Int, rgb: (UInt8, UInt8, UInt8)) -> Data {
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (1 + 3 * width))
        for _ in 0..<height {
            raw.append(0)
            for _ in 0..<width { raw += [rgb.0, rgb.1, rgb.2] }
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, raw.count - i)
            let final: UInt8 = i + n == raw.count ? 1 : 0
            zlib += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[i..<(i + n)]
            i += n
        } while i < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for x in raw { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        zlib += bigEndian(b << 16 | a)
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
        }
        let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", []))
    }

    /// A copy of a model file with every weight set to `value` and the checksum redone.
    static func modelWithWeights(_ model: Data, value: Float) -> Data {
        var bytes = [UInt8](model)
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        let start = 16 + u32(12), end = bytes.count - 4
        let v = value.bitPattern
        for at in stride(from: start, to: end, by: 4) {
            bytes[at] = UInt8(v & 0xFF); bytes[at + 1] = UInt8(v >> 8 & 0xFF)
            bytes[at + 2] = UInt8(v >> 16 & 0xFF); bytes[at + 3] = UInt8(v >> 24)
        }
        let crc = crc32(bytes[0..<end])
        bytes[end] = UInt8(crc & 0xFF); bytes[end + 1] = UInt8(crc >> 8 & 0xFF)
        bytes[end + 2] = UInt8(crc >> 16 & 0xFF); bytes[end + 3] = UInt8(crc >> 24)
        return Data(bytes)
    }
}
