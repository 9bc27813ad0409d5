import ImageIO

/// A labelled grid of images on a white background, for "compare" outputs (one row per
/// optimizer, one column per setting, and so on), drawn with `BitmapFont.standard` in black.
///
/// **Layout** (pixels; `P` = `padding`, `g` = `padding / 2`, text at `textScale`):
///
///     P
///     [title, centred]                      ← only when `title` is non-empty; then P
///     [row-title column] P [column titles]  ← only when a column title is non-empty; then g
///     [row title]        P [cell] P [cell] …
///                          [caption]        ← only when a caption is non-empty; g above it
///     P                                       (rows separated by P)
///
/// - Every cell box is `cellSize` × `cellSize`, widened to fit its column's title and
///   captions and heightened to fit a multi-line row title. A cell image is resized
///   (`Image.resized(width:height:)`, Lanczos 3) so its longer side is `cellSize`, keeping
///   its aspect ratio, and centred in its box; a `nil` cell stays background.
/// - Column titles and captions are centred on their column; row titles are left-aligned
///   in a column as wide as the widest row title (absent when all are empty) and centred
///   vertically on their row's cell box.
/// - The image is widened, if needed, to fit the title; the grid stays left-aligned.
///
/// Rendering is deterministic: the same grid always gives the same pixels.
public struct ImageGrid: Sendable {
    /// Column titles, one per column (may be empty strings).
    public var columns: [String]
    /// Row titles, one per row (may be empty strings).
    public var rows: [String]
    /// `rows.count` arrays of `columns.count` images, row-major; `nil` is an empty cell.
    public var cells: [[Image?]]
    /// Optional caption under each cell (e.g. `"loss 0.53"`), same shape as `cells`.
    public var captions: [[String]]?
    /// Optional line of text above everything else.
    public var title: String?
    /// Longest side, in pixels, each cell image is fitted into.
    public var cellSize: Int
    /// Margin around the grid and space between cells, in pixels.
    public var padding: Int
    /// Scale of all text (`BitmapFont` pixels per glyph pixel); 2 gives 10 × 18 px glyphs.
    public var textScale: Int

    /// Background intensity (white) and text colour (black).
    static let background: Float = 1
    static let ink: (Float, Float, Float) = (0, 0, 0)

    /// A grid with `rows.count` rows and `columns.count` columns; see the type's documentation
    /// for the layout. The shapes are checked by `render()`.
    public init(columns: [String], rows: [String], cells: [[Image?]], captions: [[String]]? = nil,
                title: String? = nil, cellSize: Int = 128, padding: Int = 8, textScale: Int = 2) {
        self.columns = columns
        self.rows = rows
        self.cells = cells
        self.captions = captions
        self.title = title
        self.cellSize = cellSize
        self.padding = padding
        self.textScale = textScale
    }

    /// Where everything goes: all coordinates are pixels from the top-left corner.
    struct Layout {
        var width = 0, height = 0
        /// Left edge and width of each column's cell boxes.
        var columnX: [Int] = [], columnWidth: [Int] = []
        /// Top edge and height of each row's cell boxes (captions lie below).
        var rowY: [Int] = [], rowHeight: [Int] = []
        /// Top of the title and of the column-title band (meaningful when present).
        var titleY = 0, headerY = 0, headerHeight = 0
        /// Distance from a cell box's bottom to its caption's top.
        var captionGap = 0
    }

    /// The geometry `render()` uses (sizes of the text measured with `BitmapFont.standard`).
    ///
    /// - Precondition: at least one row and one column; `cells` (and `captions`, if given)
    ///   are `rows.count` × `columns.count`; `cellSize >= 1`, `padding >= 0`, `textScale >= 1`.
    func layout() -> Layout {
        precondition(!rows.isEmpty && !columns.isEmpty,
                     "ImageGrid: needs at least one row and one column, got \(rows.count)x\(columns.count)")
        precondition(cells.count == rows.count && cells.allSatisfy { $0.count == columns.count },
                     "ImageGrid: cells must be \(rows.count)x\(columns.count) (rows x columns), got row lengths \(cells.map(\.count))")
        if let captions {
            precondition(captions.count == rows.count && captions.allSatisfy { $0.count == columns.count },
                         "ImageGrid: captions must be \(rows.count)x\(columns.count) (rows x columns), got row lengths \(captions.map(\.count))")
        }
        precondition(cellSize >= 1 && padding >= 0 && textScale >= 1,
                     "ImageGrid: need cellSize >= 1, padding >= 0, textScale >= 1; got \(cellSize), \(padding), \(textScale)")
        func size(_ text: String) -> (width: Int, height: Int) {
            text.isEmpty ? (0, 0) : BitmapFont.standard.size(of: text, scale: textScale)
        }
        let p = padding, g = padding / 2
        var l = Layout()
        l.captionGap = g
        let captionHeight = (captions ?? []).joined().map { size($0).height }.max() ?? 0
        let captionBand = captionHeight > 0 ? g + captionHeight : 0
        l.headerHeight = columns.map { size($0).height }.max() ?? 0
        let rowTitleWidth = rows.map { size($0).width }.max() ?? 0

        var x = p + (rowTitleWidth > 0 ? rowTitleWidth + p : 0)
        for j in columns.indices {
            var w = max(cellSize, size(columns[j]).width)
            for captionRow in captions ?? [] { w = max(w, size(captionRow[j]).width) }
            l.columnX.append(x)
            l.columnWidth.append(w)
            x += w + p
        }
        let titleSize = size(title ?? "")
        l.width = max(x, 2 * p + titleSize.width)

        var y = p
        l.titleY = y
        if titleSize.height > 0 { y += titleSize.height + p }
        l.headerY = y
        if l.headerHeight > 0 { y += l.headerHeight + g }
        for i in rows.indices {
            let h = max(cellSize, size(rows[i]).height)
            l.rowY.append(y)
            l.rowHeight.append(h)
            y += h + captionBand + p
        }
        l.height = y
        return l
    }

    /// The grid as one image (see the type's documentation for the layout).
    ///
    /// Complexity: dominated by resizing each cell image, O(pixels in + pixels out) each.
    ///
    /// - Precondition: as for the layout: at least one row and column, `cells` and
    ///   `captions` shaped `rows.count` × `columns.count`, `cellSize >= 1`, `padding >= 0`,
    ///   `textScale >= 1`.
    public func render() -> Image {
        let l = layout()
        let font = BitmapFont.standard
        var canvas = Image(width: l.width, height: l.height, fill: ImageGrid.background)
        func write(_ text: String, x: Int, y: Int) {
            font.draw(text, into: &canvas, x: x, y: y, scale: textScale, color: ImageGrid.ink)
        }
        if let title, !title.isEmpty {
            write(title, x: (l.width - font.size(of: title, scale: textScale).width) / 2, y: l.titleY)
        }
        for (j, text) in columns.enumerated() where !text.isEmpty {
            let s = font.size(of: text, scale: textScale)
            write(text, x: l.columnX[j] + (l.columnWidth[j] - s.width) / 2, y: l.headerY + l.headerHeight - s.height)
        }
        for (i, text) in rows.enumerated() where !text.isEmpty {
            let s = font.size(of: text, scale: textScale)
            write(text, x: padding, y: l.rowY[i] + (l.rowHeight[i] - s.height) / 2)
        }
        for i in rows.indices {
            for j in columns.indices {
                if let image = cells[i][j] {
                    let fit = Image.fittedSize(width: image.width, height: image.height, longestSide: cellSize)
                    let cell = image.resized(width: fit.width, height: fit.height)
                    ImageGrid.copy(cell, into: &canvas,
                                   x: l.columnX[j] + (l.columnWidth[j] - fit.width) / 2,
                                   y: l.rowY[i] + (l.rowHeight[i] - fit.height) / 2)
                }
                if let caption = captions?[i][j], !caption.isEmpty {
                    let s = font.size(of: caption, scale: textScale)
                    write(caption, x: l.columnX[j] + (l.columnWidth[j] - s.width) / 2,
                          y: l.rowY[i] + l.rowHeight[i] + l.captionGap)
                }
            }
        }
        return canvas
    }

    /// Copies `source` into `canvas` with its top-left pixel at column `x`, row `y`.
    ///
    /// - Precondition: `source` lies entirely inside `canvas`.
    static func copy(_ source: Image, into canvas: inout Image, x: Int, y: Int) {
        let w = source.width, h = source.height, cw = canvas.width, ch = canvas.height
        precondition(x >= 0 && y >= 0 && x + w <= cw && y + h <= ch,
                     "ImageGrid.copy: \(w)x\(h) image at (\(x), \(y)) does not fit a \(cw)x\(ch) canvas")
        precondition(source.pixels.count == Image.channels * w * h && canvas.pixels.count == Image.channels * cw * ch,
                     "ImageGrid.copy: pixel arrays do not match the image sizes")
        canvas.pixels.withUnsafeMutableBufferPointer { dst in
            source.pixels.withUnsafeBufferPointer { src in
                for c in 0..<Image.channels {
                    for row in 0..<h {
                        let from = src.baseAddress! + (c * h + row) * w
                        let to = dst.baseAddress! + (c * ch + y + row) * cw + x
                        to.update(from: from, count: w)
                    }
                }
            }
        }
    }
}
