// PNG through libpng's simplified API (png_image): no setjmp, errors come back as a
// status and a message.
import CPNG

enum PNG {
    /// The 8-byte PNG signature.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Sample layouts for `encode(samples:…)`, mirroring libpng's `PNG_FORMAT_*`.
    struct Format: Equatable {
        let rawValue: UInt32
        // Built from the flag bits: libpng's composite PNG_FORMAT_* macros are not imported.
        private static let alpha = UInt32(PNG_FORMAT_FLAG_ALPHA), color = UInt32(PNG_FORMAT_FLAG_COLOR)
        private static let linear = UInt32(PNG_FORMAT_FLAG_LINEAR), colormap = UInt32(PNG_FORMAT_FLAG_COLORMAP)
        static let gray = Format(rawValue: 0)
        static let grayAlpha = Format(rawValue: alpha)
        static let rgb = Format(rawValue: color)
        static let rgba = Format(rawValue: color | alpha)
        /// 16-bit linear formats (samples are `UInt16`, linear light, alpha premultiplied).
        static let linearGray = Format(rawValue: linear)
        static let linearGrayAlpha = Format(rawValue: linear | alpha)
        static let linearRGB = Format(rawValue: linear | color)
        static let linearRGBA = Format(rawValue: linear | color | alpha)
        /// Palette images: one index byte per pixel, colour map of RGB or RGBA bytes.
        static let rgbColormap = Format(rawValue: colormap | color)
        static let rgbaColormap = Format(rawValue: colormap | color | alpha)

        var isLinear: Bool { rawValue & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0 }
        var isColormap: Bool { rawValue & UInt32(PNG_FORMAT_FLAG_COLORMAP) != 0 }
        /// Components per pixel (of the colour-map entries for colour-mapped formats).
        var channels: Int {
            (rawValue & UInt32(PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1)
                + (rawValue & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0 ? 1 : 0)
        }
    }

    /// Decodes a PNG file held in memory.
    ///
    /// Every colour type and bit depth is accepted (grey, grey+alpha, RGB, RGBA, palette,
    /// with or without tRNS; 1–16 bits; interlaced or not) and converted by libpng to 8-bit
    /// sRGB RGB, so values are multiples of 1/255. 16-bit files are reduced to 8 bits; those
    /// without gAMA/sRGB chunks are taken to be sRGB-encoded (as most tools write them),
    /// those marked linear are sRGB-encoded. Alpha is composited over white by libpng.
    /// The size limits of `ImageFile` are enforced before the pixel buffer is allocated.
    static func decode(_ data: UnsafeRawBufferPointer, path: String) throws -> Image {
        // A cheap look at IHDR first, so absurd sizes are refused even when libpng would
        // reject them with a less helpful message (over its own 1,000,000-pixel limit).
        if data.count >= 24, data[12] == 0x49, data[13] == 0x48, data[14] == 0x44, data[15] == 0x52 {
            let w = bigEndian32(data, at: 16), h = bigEndian32(data, at: 20)
            try ImageFile.checkSize(width: w, height: h, format: "PNG", path: path)
        }

        let png = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        png.initialize(to: png_image())
        defer {
            png_image_free(png)
            png.deinitialize(count: 1)
            png.deallocate()
        }
        png.pointee.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(png, data.baseAddress, data.count) != 0 else {
            throw corrupt(png, path: path)
        }
        let width = Int(png.pointee.width), height = Int(png.pointee.height)
        try ImageFile.checkSize(width: width, height: height, format: "PNG", path: path)

        // 16-bit files without gAMA/sRGB chunks are sRGB-encoded in practice (libpng would
        // otherwise take them as linear and brighten them). Must be set after begin_read.
        png.pointee.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        png.pointee.format = Format.rgb.rawValue
        var white = png_color(red: 255, green: 255, blue: 255)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let ok = rgb.withUnsafeMutableBytes {
            png_image_finish_read(png, &white, $0.baseAddress, 0, nil)
        }
        guard ok != 0 else { throw corrupt(png, path: path) }
        return rgb.withUnsafeBufferPointer {
            Image(interleavedRGB8: $0, width: width, height: height)
        }
    }

    /// Encodes an image as an 8-bit RGB PNG (values clamped to [0, 1] and rounded).
    static func encode(_ image: Image, path: String) throws -> [UInt8] {
        let rgb = image.interleavedRGB8()
        return try rgb.withUnsafeBytes {
            try encode(samples: $0, width: image.width, height: image.height, format: .rgb, path: path)
        }
    }

    /// Encodes raw samples in any simplified-API layout (used by tests to make fixtures of
    /// every colour type). `samples` holds `height` rows of `width * format.channels`
    /// components (bytes, or native-endian `UInt16` for linear formats; one index byte per
    /// pixel for colour-mapped formats, whose `colormap` holds `colormapEntries` entries).
    /// Linear formats are written as 16-bit linear PNGs with gAMA 1.0.
    static func encode(samples: UnsafeRawBufferPointer, width: Int, height: Int, format: Format,
                       colormap: UnsafeRawBufferPointer? = nil, colormapEntries: Int = 0,
                       path: String = "<memory>") throws -> [UInt8] {
        let componentsPerPixel = format.isColormap ? 1 : format.channels
        let bytesPerComponent = format.isLinear && !format.isColormap ? 2 : 1
        let rowBytes = width * componentsPerPixel * bytesPerComponent
        precondition(samples.count >= rowBytes * height,
                     "PNG.encode: \(width)x\(height) needs \(rowBytes * height) bytes, got \(samples.count)")
        precondition(!format.isColormap || (colormap != nil && (1...256).contains(colormapEntries)),
                     "PNG.encode: colour-mapped formats need 1...256 colour-map entries")

        let png = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        defer {
            png_image_free(png)
            png.deinitialize(count: 1)
            png.deallocate()
        }
        png.initialize(to: png_image())
        func reset() {
            png_image_free(png)
            png.pointee = png_image()
            png.pointee.version = UInt32(PNG_IMAGE_VERSION)
            png.pointee.width = UInt32(width)
            png.pointee.height = UInt32(height)
            png.pointee.format = format.rawValue
            png.pointee.colormap_entries = UInt32(colormapEntries)
        }

        // Deflate never grows data by more than a few bytes per 16 KB block; PNG adds one
        // filter byte per row, 12 bytes per IDAT chunk and small header chunks.
        let raw = (rowBytes + 1) * height
        var capacity = raw + raw / 64 + 4096 + 4 * 256
        for _ in 0..<2 {
            reset()
            var output = [UInt8](repeating: 0, count: capacity)
            var size = capacity
            let ok = output.withUnsafeMutableBytes { out in
                png_image_write_to_memory(png, out.baseAddress, &size, 0, samples.baseAddress, 0,
                                          colormap?.baseAddress)
            }
            if ok != 0 {
                output.removeLast(capacity - size)
                return output
            }
            guard size > capacity else { break }  // a real error, not a small buffer
            capacity = size
        }
        throw ImageIOError(path: path, kind: .writeFailed, reason: "PNG encoder failed (\(message(png)))")
    }

    // MARK: - Helpers

    private static func corrupt(_ png: UnsafeMutablePointer<png_image>, path: String) -> ImageIOError {
        let text = message(png)
        let reason = text == "read beyond end of data"
            ? "truncated PNG data (file ends early)" : "corrupt PNG data (\(text))"
        return ImageIOError(path: path, kind: .corrupt, reason: reason)
    }

    private static func message(_ png: UnsafeMutablePointer<png_image>) -> String {
        let text = withUnsafeBytes(of: png.pointee.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "unknown libpng error" : text
    }

    private static func bigEndian32(_ data: UnsafeRawBufferPointer, at offset: Int) -> Int {
        Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8
            | Int(data[offset + 3])
    }
}
