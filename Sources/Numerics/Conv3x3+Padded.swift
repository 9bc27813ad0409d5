extension Conv3x3 {
    /// Visits the column rows of a padded im2col: for channel c, tap (ky, kx) and output row y
    /// of `rows`, `body(columnRow, inputRow, dx)` with `columnRow` the offset of (c·9 + ky·3 + kx,
    /// y) in `[channels·9, rows.count·width]` columns and `inputRow` the offset of the input row
    /// r(y + ky − 1) that tap reads (r = `padding.source`). Shared by `im2colPadded` and its
    /// adjoint so that both walk the same index map.
    @inline(__always)
    static func forEachPaddedRow(
        channels: Range<Int>, height h: Int, width w: Int, rows: Range<Int>, padding pad: Padding,
        _ body: (_ columnRow: Int, _ inputRow: Int, _ sourceRow: Int, _ dx: Int) -> Void
    ) {
        let ld = rows.count * w
        for c in channels {
            for ky in 0..<3 {
                for kx in 0..<3 {
                    for y in rows {
                        let source = pad.source(y + ky - 1, h)
                        body((c * 9 + ky * 3 + kx) * ld + (y - rows.lowerBound) * w, (c * h + source) * w, source, kx - 1)
                    }
                }
            }
        }
    }

    /// `im2col` with symmetric or circular padding: column row `ci·9 + ky·3 + kx` holds, at output
    /// (y, x), input[ci, r(y + ky − 1), r(x + kx − 1)] with r = `padding.source` (−1 → 0 or
    /// n − 1, n → n − 1 or 0). Same layout as the zero-padded version: `columns` is
    /// `[channels·9, rows.count·width]`.
    static func im2colPadded(
        _ input: UnsafePointer<Float>, channels: Range<Int>, height h: Int, width w: Int,
        rows: Range<Int>, columns: UnsafeMutablePointer<Float>, padding pad: Padding
    ) {
        let left = pad.source(-1, w), right = pad.source(w, w)
        forEachPaddedRow(channels: channels, height: h, width: w, rows: rows, padding: pad) { column, inputRow, _, dx in
            let dst = columns + column, src = input + inputRow
            switch dx {
            case -1:
                dst[0] = src[left]
                if w > 1 { (dst + 1).update(from: src, count: w - 1) }
            case 1:
                if w > 1 { dst.update(from: src + 1, count: w - 1) }
                dst[w - 1] = src[right]
            default:
                dst.update(from: src, count: w)
            }
        }
    }

    /// Adjoint of `im2colPadded` for the columns of output rows `positions`, adding only into the
    /// input rows `targets`: each column value goes back to the input pixel it was read from.
    /// With symmetric padding a target row t receives from output rows t − 1 … t + 1 only; with
    /// circular padding row 0 also receives from row h − 1 and row h − 1 from row 0.
    static func col2imAddPadded(
        _ columns: UnsafePointer<Float>, channels: Range<Int>, height h: Int, width w: Int,
        positions: Range<Int>, targets: Range<Int>, into output: UnsafeMutablePointer<Float>, padding pad: Padding
    ) {
        let left = pad.source(-1, w), right = pad.source(w, w)
        forEachPaddedRow(channels: channels, height: h, width: w, rows: positions, padding: pad) { column, inputRow, source, dx in
            guard targets.contains(source) else { return }
            let src = columns + column, dst = output + inputRow
            switch dx {
            case -1:
                dst[left] += src[0]
                for i in 0..<(w - 1) { dst[i] += src[i + 1] }
            case 1:
                for i in 0..<(w - 1) { dst[i + 1] += src[i] }
                dst[right] += src[w - 1]
            default:
                for i in 0..<w { dst[i] += src[i] }
            }
        }
    }
}
