import Distributed
import Foundation

/// The learned optimizer's step-scale calibration: one multiplier of the LSTM's output scale,
/// chosen on validation problems exactly as each baseline's learning rate is (`LogGridSearch`,
/// same criterion and problems as `neural-art tune`).
///
/// Why: the first-order meta-gradient treats the optimizee's gradients as constants, so it
/// cannot see that a larger step changes the gradients that follow, and nothing in meta-training
/// checks the step size against the true loss (docs/TASKS.md: on the MLP every model's late
/// steps were too large, the conv pair's steps too small). A multiplier of the read-out, tuned
/// by the true validation loss, corrects that without touching anything else. The momentum
/// read-out, if any, is not scaled.
public struct StepScaleCalibration: Codable, Equatable, Sendable {
    public struct GridPoint: Codable, Equatable, Sendable {
        public var multiplier: Float
        public var value: Double
    }
    /// The chosen multiplier of `outputScale`.
    public var multiplier: Float
    /// The output scale before calibration.
    public var previousOutputScale: Float
    public var criterion: TuningCriterion
    public var steps: Int
    public var problems: Int
    /// Every multiplier tried, in increasing order, with its criterion value.
    public var grid: [GridPoint]

    /// The criterion value at the chosen multiplier (and at 1, the uncalibrated optimizer, if tried).
    public var value: Double? { grid.first { $0.multiplier == multiplier }?.value }
    public var uncalibratedValue: Double? { grid.first { $0.multiplier == 1 }?.value }
}

public enum StepScaleCalibrator {
    /// Grid-searches the multiplier m of `configuration.outputScale` that minimizes `criterion`
    /// over the task's first `problems` validation problems; `optimizer(c)` builds the learned
    /// optimizer with configuration `c` (its weights unchanged). The grid starts at
    /// 0.1 … 3.16 (always including 1), `pointsPerDecade` per decade, widened within
    /// 10⁻³ … 10² and refined like `BaselineTuner`'s. Diverging runs count as +∞. With several
    /// `processes` the problems are split over the ranks; the result is the same.
    public static func calibrate(
        configuration: LSTMConfiguration, task: any MetaTask, steps: Int, problems count: Int,
        criterion: TuningCriterion = .final, pointsPerDecade: Int = 3, processes: any ProcessGroup = SingleProcess(),
        optimizer: (LSTMConfiguration) -> any Optimizer,
        progress: ((Float, Double) -> Void)? = nil
    ) -> StepScaleCalibration {
        precondition(count >= 1 && steps >= 1 && pointsPerDecade >= 1, "StepScaleCalibrator: bad arguments")
        var made: [Int: any Problem] = [:]
        for i in processes.share(of: count) { made[i] = task.makeProblem(split: .validation, index: i) }
        let search = LogGridSearch.minimize(initialRange: 0.1...pow(10, 0.5), pointsPerDecade: pointsPerDecade,
                                            limits: 1e-3...1e2) { e in
            let m = Float(pow(10, e))
            var c = configuration
            c.outputScale = configuration.outputScale * m
            let v = criterion.value(Evaluator.meanLossCurve(optimizer(c), problemCount: count, steps: steps,
                                                                   processes: processes) { made[$0]! })
            progress?(m, v)
            return v
        }
        return StepScaleCalibration(
            multiplier: Float(search.best), previousOutputScale: configuration.outputScale, criterion: criterion,
            steps: steps, problems: count,
            grid: search.tried.map { StepScaleCalibration.GridPoint(multiplier: Float($0.x), value: $0.value) })
    }
}
