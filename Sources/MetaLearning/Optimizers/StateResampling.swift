/// Optimizer state that can be carried to a problem of another size: each new coordinate takes
/// the state of one old coordinate (nearest-neighbour resampling of every per-coordinate field),
/// and the step count carries over.
///
/// Used by coarse-to-fine stylization (`CoarseToFine`, `--carry-state`): after a scale, the
/// moments of ADAM (or the LSTM's hidden and cell states and running averages) describe the
/// pixels of the coarser picture; resampled like the picture, they start the next scale where
/// the last one left off instead of from t = 0. Meaningful when the gradients the optimizer
/// sees have the same scale at both sizes (the stylizer normalizes them for the image size).
public protocol ResamplableOptimizerState: OptimizerState {
    /// Sets every coordinate n of this state to coordinate `source[n]` of `other` (a state of
    /// the same optimizer, any size) and the step count to `other`'s. Returns false, changing
    /// nothing, if `other` is not a state of the same kind and shape (per coordinate).
    ///
    /// - Precondition: `source` has `count` values, each in `0..<other.count`.
    func resample(from other: any OptimizerState, source: UnsafePointer<Int32>) -> Bool
}

extension MomentState: ResamplableOptimizerState {
    public func resample(from other: any OptimizerState, source: UnsafePointer<Int32>) -> Bool {
        guard let o = other as? MomentState, o.m.count == (m.count > 0 ? o.count : 0),
              o.v.count == (v.count > 0 ? o.count : 0) else { return false }
        for (mine, theirs) in [(m, o.m), (v, o.v)] where mine.count > 0 {
            let dst = mine.data, src = theirs.data
            for n in 0..<count { dst[n] = src[Int(source[n])] }
        }
        step = o.step
        return true
    }
}
