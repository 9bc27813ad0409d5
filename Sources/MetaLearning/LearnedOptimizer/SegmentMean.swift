/// Per-segment means broadcast back to the segment's coordinates: for each segment
/// offsets[s] ..< offsets[s + 1], out[n] = finish(mean of value(n) over the segment) for every n
/// in it (summed in Double, in coordinate order). How a problem-wide statistic becomes one input
/// per coordinate (`InputFeatures.globalRMS`, `InputFeatures.sharedUnits`).
@inline(__always)
func broadcastSegmentMeans(offsets: [Int], into out: UnsafeMutablePointer<Float>, finish: (Double) -> Double = { $0 },
                           _ value: (Int) -> Double) {
    for s in 0..<(offsets.count - 1) {
        let lo = offsets[s], hi = offsets[s + 1]
        var sum: Double = 0
        for n in lo..<hi { sum += value(n) }
        (out + lo).update(repeating: Float(finish(sum / Double(max(1, hi - lo)))), count: hi - lo)
    }
}
