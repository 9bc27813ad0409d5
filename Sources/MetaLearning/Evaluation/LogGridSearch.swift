import Foundation

/// One-dimensional minimization over a log grid, the search behind every learning-rate-like
/// choice (the baselines' learning rates, the learned optimizer's step-scale calibration).
///
/// The grid has `pointsPerDecade` points per decade over `initialRange`; it is extended by two
/// decades on a side whenever the best value sits at that edge (within `limits`), then refined
/// with `refinement` points (default 3) between the best and each neighbour: a resolution of
/// 1/((`refinement` + 1)·`pointsPerDecade`) decade. Values are compared as given (callers map
/// divergence to +∞); ties go to the smaller argument.
enum LogGridSearch {
    /// Returns the best x and every (x, value) tried, in increasing x. `evaluate` gets log10 x
    /// (rounded to 6 decimals, each distinct point once).
    static func minimize(
        initialRange: ClosedRange<Double>, pointsPerDecade: Int, limits: ClosedRange<Double>, refinement: Int = 3,
        evaluate f: (Double) -> Double
    ) -> (best: Double, tried: [(x: Double, value: Double)]) {
        precondition(pointsPerDecade >= 1 && initialRange.lowerBound > 0 && limits.lowerBound > 0 && refinement >= 0,
                     "LogGridSearch: bad arguments")
        var tried: [Double: Double] = [:]   // log10 x → value
        func round6(_ e: Double) -> Double { (e * 1e6).rounded() / 1e6 }
        func evaluate(_ e: Double) {
            let key = round6(e)
            guard tried[key] == nil else { return }
            tried[key] = f(key)
        }
        let d = 1 / Double(pointsPerDecade)
        let minE = log10(limits.lowerBound), maxE = log10(limits.upperBound)
        // Edges rounded like the keys, so a best point at an edge is recognized whatever the range.
        var lo = round6(log10(initialRange.lowerBound)), hi = round6(log10(initialRange.upperBound))
        var e = lo
        while e <= hi + 1e-9 { evaluate(e); e += d }
        func best() -> Double { tried.min { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }!.key }
        while true {
            let bst = best()
            if abs(bst - lo) < 1e-9 && lo > minE {
                let newLo = max(minE, lo - 2)
                var x = lo - d
                while x >= newLo - 1e-9 { evaluate(x); x -= d }
                lo = newLo
            } else if abs(bst - hi) < 1e-9 && hi < maxE {
                let newHi = min(maxE, hi + 2)
                var x = hi + d
                while x <= newHi + 1e-9 { evaluate(x); x += d }
                hi = newHi
            } else { break }
        }
        let bst = best()
        for k in stride(from: 1, through: refinement, by: 1) {
            evaluate(bst - d * Double(k) / Double(refinement + 1)); evaluate(bst + d * Double(k) / Double(refinement + 1))
        }
        return (pow(10, best()), tried.keys.sorted().map { (pow(10, $0), tried[$0]!) })
    }
}
