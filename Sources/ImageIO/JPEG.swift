// JPEG through the CJPEG shim (libjpeg behind a setjmp error manager).
import CJPEG

enum JPEG {
    /// Decodes a JPEG file held in memory.
    ///
    /// Baseline, progressive and arithmetic-coded files; greyscale is replicated to three
    /// channels; CMYK/YCCK is converted naively (no colour management). The EXIF
    /// orientation tag is applied, so the picture comes out upright. A truncated file is
    /// an error (`.corrupt`), never a grey-padded picture. The size limits of `ImageFile`
    /// are checked on the header, before the pixel buffer is allocated.
    ///
    /// Damage libjpeg recovers from (e.g. corrupt scan data) decodes anyway; its first warning
    /// is passed to `warning` (libjpeg's message, e.g. `Corrupt JPEG data: 3 extraneous bytes
    /// before marker 0xd9`).
    static func decode(_ data: UnsafeRawBufferPointer, path: String,
                       warning: (String) throws -> Void = { _ in }) throws -> Image {
        var out: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0, orientation: Int32 = 1
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { err in
            cjpeg_decode(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count,
                         &out, &width, &height, &orientation,
                         ImageFile.maxPixels, ImageFile.maxSide, err.baseAddress, err.count)
        }
        defer { cjpeg_free(out) }
        let text = String(cString: message)
        switch Int(status) {
        case Int(CJPEG_OK):
            guard let out else { throw corrupt("decoder returned no pixels", path: path) }
            if !text.isEmpty { try warning(text) }
            let w = Int(width), h = Int(height)
            let image = Image(interleavedRGB8: UnsafeBufferPointer(start: out, count: 3 * w * h),
                              width: w, height: h)
            return image.applyingEXIFOrientation(Int(orientation))
        case Int(CJPEG_TOO_LARGE):
            try ImageFile.checkSize(width: Int(width), height: Int(height), format: "JPEG", path: path)
            throw ImageIOError(path: path, kind: .tooLarge, reason: "JPEG \(text)")
        case Int(CJPEG_UNSUPPORTED):
            throw ImageIOError(path: path, kind: .unsupportedFormat, reason: "unsupported JPEG: \(text)")
        case Int(CJPEG_NO_MEMORY):
            throw ImageIOError(path: path, kind: .tooLarge, reason: "out of memory while decoding JPEG")
        default:
            throw corrupt(text, path: path)
        }
    }

    /// Encodes an image as a baseline (or progressive) JPEG.
    ///
    /// `quality` 1…100 (clamped); chroma is kept at full resolution from quality 90 up.
    static func encode(_ image: Image, quality: Int, progressive: Bool = false,
                       path: String = "<memory>") throws -> [UInt8] {
        let rgb = image.interleavedRGB8()
        return try rgb.withUnsafeBytes {
            try encode(samples: $0, width: image.width, height: image.height, components: 3,
                       quality: quality, progressive: progressive, path: path)
        }
    }

    /// Encodes raw interleaved bytes: `components` 1 (grey), 3 (RGB) or 4 (Adobe-inverted
    /// CMYK). Used by `encode(_:quality:progressive:)` and by tests to make fixtures.
    static func encode(samples: UnsafeRawBufferPointer, width: Int, height: Int, components: Int,
                       quality: Int, progressive: Bool, path: String = "<memory>") throws -> [UInt8] {
        precondition([1, 3, 4].contains(components), "JPEG.encode: components must be 1, 3 or 4")
        precondition(samples.count >= width * height * components,
                     "JPEG.encode: \(width)x\(height)x\(components) needs \(width * height * components) bytes")
        guard width <= 65500, height <= 65500 else {
            throw ImageIOError(path: path, kind: .writeFailed,
                               reason: "JPEG cannot store \(width)x\(height) pixels (65500 max per side)")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { err in
            cjpeg_encode(samples.baseAddress?.assumingMemoryBound(to: UInt8.self),
                         Int32(width), Int32(height), Int32(components),
                         Int32(min(max(quality, 1), 100)), progressive ? 1 : 0,
                         &out, &size, err.baseAddress, err.count)
        }
        defer { cjpeg_free(out) }
        guard status == CJPEG_OK, let out else {
            throw ImageIOError(path: path, kind: .writeFailed,
                               reason: "JPEG encoder failed (\(String(cString: message)))")
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }

    private static func corrupt(_ message: String, path: String) -> ImageIOError {
        let truncated = message.contains("Premature end") || message.contains("premature end")
        return ImageIOError(path: path, kind: .corrupt,
                            reason: truncated ? "truncated JPEG data (\(message))" : "corrupt JPEG data (\(message))")
    }
}
