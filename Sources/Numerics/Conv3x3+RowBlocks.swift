extension Conv3x3 {
    /// Bytes of im2col columns one row block should fill: small enough to stay in a core's L2
    /// cache between im2col and the GEMM that reads it.
    @usableFromInline static let blockBytes = 512 * 1024

    /// How a `height`-row map is split between threads for the row-blocked kernels: `parts`
    /// ranges of whole row pairs (so 2×2 pooling windows never straddle two threads); the last
    /// range also takes an odd last row.
    public static func rowPartition(height: Int, threads: Int) -> (parts: Int, range: (Int) -> Range<Int>) {
        let pairs = height / 2
        let parts = max(1, min(threads, pairs))
        return (parts, { p in
            let r = evenRange(p, of: parts, count: pairs)
            return (2 * r.lowerBound)..<(p == parts - 1 ? height : 2 * r.upperBound)
        })
    }

    /// Rows per block (even, ≥ 2) so one block's columns take about `blockBytes`.
    func blockRows(width: Int) -> Int {
        let perRow = 9 * inChannels * width * MemoryLayout<Float>.size
        return max(2, (Conv3x3.blockBytes / perRow) & ~1)
    }

    /// output = ReLU(conv(input) + bias), and, if `pooled` is given, pooled = AvgPool2x2(output),
    /// in one parallel pass over row blocks.
    ///
    /// Shapes: input `[inChannels, height, width]`, output `[outChannels, height, width]`, pooled
    /// `[outChannels, ⌈height/2⌉, ⌈width/2⌉]` (see `AvgPool2x2`); workspace ≥ `workspaceCount(height:width:)` floats.
    /// Each thread takes a range of row pairs (`rowPartition`) and walks it in blocks of about
    /// `blockBytes` of columns: im2col of the block into its own part of the workspace, one GEMM
    /// (`outChannels × 9·inChannels` · `9·inChannels × block`), bias and ReLU, then the pooling of
    /// the block's rows — so the columns and outputs are still in cache when they are reused.
    /// Every output is computed the same way for any split (deterministic per thread count).
    public func forwardReLUPool(
        input: UnsafePointer<Float>, height h: Int, width w: Int,
        output: UnsafeMutablePointer<Float>, pooled: UnsafeMutablePointer<Float>?,
        workspace: UnsafeMutablePointer<Float>
    ) {
        let n = h * w, k = 9 * inChannels, (ph, pw) = AvgPool2x2.outputSize(height: h, width: w)
        let split = Self.rowPartition(height: h, threads: ParallelRegion.isInside ? 1 : BLAS.threads)
        let step = blockRows(width: w)
        let hasBias = (0..<outChannels).contains { bias.data[$0] != 0 }
        parallelFor(chunks: split.parts) { p in
            let mine = split.range(p)
            var r0 = mine.lowerBound
            while r0 < mine.upperBound {
                let r1 = min(mine.upperBound, r0 + step), bn = (r1 - r0) * w
                // The block's columns go to the part of the workspace that the full im2col would
                // use for these rows, so threads never overlap.
                let cols = workspace + k * r0 * w
                Self.im2col(input, channels: 0..<inChannels, height: h, width: w, rows: r0..<r1, columns: cols,
                            padding: padding)
                BLAS.gemm(m: outChannels, n: bn, k: k, a: weights.data, lda: k, b: cols, ldb: bn,
                          c: output + r0 * w, ldc: n)
                for co in 0..<outChannels {
                    let o = output + co * n + r0 * w
                    let b = hasBias ? bias.data[co] : 0
                    for i in 0..<bn { let v = o[i] + b; o[i] = v > 0 ? v : 0 }
                }
                if let pooled {
                    // Blocks start on even rows; only the map's odd last row ends one on an odd row.
                    let py = (r0 / 2)..<min(ph, (r1 + 1) / 2)
                    for co in 0..<outChannels where !py.isEmpty {
                        AvgPool2x2.forwardRows(output + co * n, height: h, width: w, rows: py,
                                               output: pooled + co * ph * pw)
                    }
                }
                r0 = r1
            }
        }
    }
}

extension Conv3x3 {
    /// Floats of workspace `backwardInputRows` needs for up to `threads` threads: the full
    /// columns plus two extra rows of columns per thread.
    public func rowBlockWorkspaceCount(height: Int, width: Int, threads: Int) -> Int {
        9 * inChannels * width * (height + 2 * threads)
    }

    /// inputGradient = scale·∂L/∂input (overwritten) given outputGradient = ∂L/∂(linear conv
    /// output), in one parallel pass over row blocks.
    ///
    /// Shapes: outputGradient `[outChannels, height, width]`, inputGradient `[inChannels, height,
    /// width]`. Each thread owns a range of input-gradient rows (`rowPartition`) and computes it
    /// completely: per block of ~`blockBytes`, columns = Wᵀ·outputGradient for the block's
    /// output rows (extended by one row across each thread boundary, so no thread needs another
    /// thread's columns), then adds them into its own rows only. `finished(rows)` is then called
    /// on that thread with its rows, which are final — e.g. to pool-backward them. Maps of at
    /// most `channelSplitMaxHeight` rows are split over input channels instead
    /// (`backwardInputChannels`). Each value is summed in an order fixed by the thread count
    /// (deterministic).
    /// - Parameter workspaceCount: at least `rowBlockWorkspaceCount(height:width:threads: 1)`;
    ///   fewer threads are used if it cannot hold their extra rows.
    /// - Complexity: 2·outChannels·9·inChannels·width·(height + 2·(threads − 1)) FLOP.
    public func backwardInputRows(
        outputGradient: UnsafePointer<Float>, height h: Int, width w: Int, scale: Float = 1,
        inputGradient: UnsafeMutablePointer<Float>,
        workspace: UnsafeMutablePointer<Float>, workspaceCount: Int,
        finished: (Range<Int>) -> Void = { _ in }
    ) {
        let n = h * w, k = 9 * inChannels
        precondition(workspaceCount >= rowBlockWorkspaceCount(height: h, width: w, threads: 1),
                     "backwardInputRows: workspace \(workspaceCount) too small for \(inChannels)×\(h)×\(w)")
        let threads = ParallelRegion.isInside ? 1 : BLAS.threads
        if threads > 1 && h <= Self.channelSplitMaxHeight && inChannels >= 8 * threads {
            backwardInputChannels(outputGradient: outputGradient, height: h, width: w, scale: scale,
                                  inputGradient: inputGradient, workspace: workspace, threads: threads,
                                  finished: finished)
            return
        }
        let fit = (workspaceCount / (k * w) - h) / 2
        let split = Self.rowPartition(height: h, threads: min(threads, fit))
        let step = blockRows(width: w)
        parallelFor(chunks: split.parts) { p in
            let mine = split.range(p)
            // This thread's columns: rows [R0 − 1, R1 + 1) fit in k·w·(R1 − R0 + 2) floats.
            let base = workspace + k * w * (mine.lowerBound + 2 * p)
            for c in 0..<inChannels {
                (inputGradient + c * n + mine.lowerBound * w).update(repeating: 0, count: mine.count * w)
            }
            // Circular padding: row 0 also reads output row h − 1 and row h − 1 output row 0, whose
            // columns no block of this thread computes. Their slots (one row before this thread's
            // first row, one after its last) are free at the map's ends. Output row 0 enters row
            // h − 1 through ky = 0, so it is added before the blocks, and output row h − 1 enters
            // row 0 through ky = 2, after them: each value is then summed in the single-thread order.
            let wrapped = padding == .circular && split.parts > 1
            func addWrapped(_ q: Int, slot: UnsafeMutablePointer<Float>) {
                BLAS.gemm(transA: true, m: k, n: w, k: outChannels, alpha: scale, a: weights.data, lda: k,
                          b: outputGradient + q * w, ldb: n, c: slot, ldc: w)
                Self.col2imAdd(slot, channels: 0..<inChannels, height: h, width: w,
                               positions: q..<(q + 1), targets: mine, into: inputGradient, padding: padding)
            }
            if wrapped && mine.upperBound == h { addWrapped(0, slot: base + k * w * (mine.count + 1)) }
            var r0 = mine.lowerBound
            while r0 < mine.upperBound {
                let r1 = min(mine.upperBound, r0 + step)
                let q0 = (r0 == mine.lowerBound && r0 > 0) ? r0 - 1 : r0
                let q1 = (r1 == mine.upperBound && r1 < h) ? r1 + 1 : r1
                let bn = (q1 - q0) * w
                let cols = base + k * w * (q0 - mine.lowerBound + 1)
                BLAS.gemm(transA: true, m: k, n: bn, k: outChannels, alpha: scale, a: weights.data, lda: k,
                          b: outputGradient + q0 * w, ldb: n, c: cols, ldc: bn)
                Self.col2imAdd(cols, channels: 0..<inChannels, height: h, width: w,
                               positions: q0..<q1, targets: mine, into: inputGradient, padding: padding)
                r0 = r1
            }
            if wrapped && mine.lowerBound == 0 { addWrapped(h - 1, slot: base) }
            finished(mine)
        }
    }
}

extension Conv3x3 {
    /// Maps at most this many rows high take `backwardInputChannels` instead of row blocks: on
    /// short maps the row split's extra boundary rows (two per thread) cost more than the second
    /// parallel pass the channel split needs.
    nonisolated(unsafe) public static var channelSplitMaxHeight = 32

    /// `backwardInputRows` split over input channels (for short maps): each thread computes the
    /// columns of its channels, Wᵀ[its 9·C rows]·outputGradient (`[9·C, height·width]`, at their
    /// place in the full `[9·inChannels, height·width]` columns in `workspace`), and adds them
    /// into its own channels of `inputGradient`. No thread needs another's columns, so there
    /// are no boundary rows; `finished` then runs over `rowPartition`'s row ranges in a second
    /// parallel pass (rows are final only once every channel is). Each value's summation order
    /// depends only on the thread count (deterministic).
    func backwardInputChannels(
        outputGradient: UnsafePointer<Float>, height h: Int, width w: Int, scale: Float,
        inputGradient: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>,
        threads: Int, finished: (Range<Int>) -> Void
    ) {
        let n = h * w, k = 9 * inChannels
        parallelFor(chunks: threads) { p in
            let mine = evenRange(p, of: threads, count: inChannels)
            if mine.isEmpty { return }
            inputGradient.advanced(by: mine.lowerBound * n).update(repeating: 0, count: mine.count * n)
            let cols = workspace + 9 * mine.lowerBound * n
            BLAS.gemm(transA: true, m: 9 * mine.count, n: n, k: outChannels, alpha: scale,
                      a: weights.data + 9 * mine.lowerBound, lda: k, b: outputGradient, ldb: n, c: cols, ldc: n)
            Self.col2imAdd(workspace, channels: mine, height: h, width: w, positions: 0..<h, targets: 0..<h,
                           into: inputGradient, padding: padding)
        }
        let split = Self.rowPartition(height: h, threads: threads)
        parallelFor(chunks: split.parts) { p in finished(split.range(p)) }
    }
}
