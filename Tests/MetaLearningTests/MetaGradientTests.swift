import Foundation
import XCTest
@testable import MetaLearning
import Numerics

/// The whole first-order meta-gradient ∂L/∂φ of an unroll against central finite differences.
///
/// Float32 is too noisy for finite differences, so the differences are taken in Double on an
/// independent reference implementation of the same math (`ReferenceLSTM`, naive loops) of the
/// first-order surrogate: the LSTM inputs frozen at their values along the φ₀ trajectory and
/// θ_t differentiated through the updates (and clamps). Step h = 1e-6 (truncation error
/// ~h²·f''' ≈ 1e-12, rounding ~1e-10). The analytic Float gradient must agree to a relative
/// error (‖ĝ − g_fd‖ / ‖g_fd‖) below **1e-4** and every component within **1e-4·‖g_fd‖_∞**
/// — tight enough that each deliberate fault below is caught by a factor ≥ 10.
final class MetaGradientTests: XCTestCase {
    static let tolerance = 1e-4

    struct Check {
        var relativeError: Double
        var maxComponentError: Double
        var analyticLoss: Double, referenceLoss: Double
    }

    func check(config: LSTMConfiguration, problems: [TestQuadratic], warmup: Int, steps: Int,
               weightScale: Double, fault: LSTMUnroll.Fault = .none, objective: MetaObjective = .sum,
               weighting: StepWeighting = .uniform) throws -> Check {
        let phi = randomWeights(config, seed: 11, scale: weightScale)
        let trainer = try MetaTrainer(task: QuadraticTask(), configuration: config,
                                      settings: MetaTrainingSettings(horizon: 100, unroll: 20))
        trainer.setWeights(phi)
        let batch = ProblemBatch(problems)
        let (loss, analytic) = trainer.metaGradient(batch: batch, steps: steps, warmupSteps: warmup, fault: fault,
                                                   objective: objective, weighting: weighting)

        var run = ReferenceRun(ref: ReferenceLSTM(config: config), problems: problems, logObjective: objective == .log)
        // The reference's own formula for the weights, (k+1)(t/H)^k, not `StepWeighting.weight`.
        let k = weighting.exponent, horizon = Double(weighting.horizon)
        run.stepWeight = { t in k == 0 ? 1 : (k + 1) * Foundation.pow(Double(t) / horizon, k) }
        let phi0 = phi.map(Double.init)
        let (start, theta0, inputs, refLoss) = run.recordInputs(phi0: phi0, warmup: warmup, steps: steps)
        let h = 1e-6
        var fd = [Double](repeating: 0, count: phi.count)
        for k in phi.indices {
            var p = phi0, m = phi0
            p[k] += h; m[k] -= h
            fd[k] = (run.surrogate(phi: p, start: start, theta0: theta0, inputs: inputs, warmup: warmup)
                - run.surrogate(phi: m, start: start, theta0: theta0, inputs: inputs, warmup: warmup)) / (2 * h)
        }
        var diff2 = 0.0, ref2 = 0.0, maxDiff = 0.0, maxRef = 0.0
        for k in phi.indices {
            let d = Double(analytic[k]) - fd[k]
            diff2 += d * d; ref2 += fd[k] * fd[k]
            maxDiff = max(maxDiff, abs(d)); maxRef = max(maxRef, abs(fd[k]))
        }
        XCTAssertGreaterThan(ref2, 1e-6, "degenerate check: the meta-gradient is ~0")
        print("meta-gradient check (\(fault), \(objective)): relative error \((diff2 / ref2).squareRoot()), max component \(maxDiff / maxRef), norm \(ref2.squareRoot()), loss \(loss) vs \(refLoss)")
        return Check(relativeError: (diff2 / ref2).squareRoot(), maxComponentError: maxDiff / maxRef,
                     analyticLoss: loss, referenceLoss: refLoss)
    }

    /// Paper inputs (both preprocessing branches), 2 × 4 LSTM, three problems batched: one with
    /// bounds that clamp some updates, one whose loss scale 1e-6 sends its gradients to the
    /// small-gradient branch; 3 warm-up steps first, so the unroll starts from a carried state.
    func paperSetup() -> (LSTMConfiguration, [TestQuadratic]) {
        let config = LSTMConfiguration(hiddenSize: 4, outputScale: 0.3)
        let problems = [
            TestQuadratic(dimension: 3, seed: 1, bounds: -0.25...0.25),
            TestQuadratic(dimension: 2, seed: 2, lossScale: 2),
            TestQuadratic(dimension: 2, seed: 3, lossScale: 1e-6),
        ]
        return (config, problems)
    }

    func testMetaGradientMatchesFiniteDifferences() throws {
        let (config, problems) = paperSetup()
        let c = try check(config: config, problems: problems, warmup: 3, steps: 5, weightScale: 0.5)
        XCTAssertEqual(c.analyticLoss, c.referenceLoss, accuracy: 1e-4 * abs(c.referenceLoss), "forward pass")
        XCTAssertLessThan(c.relativeError, Self.tolerance)
        XCTAssertLessThan(c.maxComponentError, Self.tolerance)
    }

    func testMetaGradientMatchesFiniteDifferencesRawAndRMSInputsThreeLayers() throws {
        let config = LSTMConfiguration(layers: 3, hiddenSize: 3, inputs: InputFeatures(gradient: .raw, rmsInputs: true),
                                       outputScale: 0.2)
        let problems = [TestQuadratic(dimension: 3, seed: 4), TestQuadratic(dimension: 2, seed: 5, bounds: -0.2...0.3)]
        let c = try check(config: config, problems: problems, warmup: 2, steps: 4, weightScale: 0.4)
        XCTAssertEqual(c.analyticLoss, c.referenceLoss, accuracy: 1e-4 * abs(c.referenceLoss), "forward pass")
        XCTAssertLessThan(c.relativeError, Self.tolerance)
        XCTAssertLessThan(c.maxComponentError, Self.tolerance)
    }

    /// Momentum inputs at two decays (constants for the first-order meta-gradient, like the
    /// gradient's own features) with the RMS pair, after warm-up steps that fill their averages.
    func testMetaGradientMatchesFiniteDifferencesWithMomentumInputs() throws {
        let config = LSTMConfiguration(layers: 2, hiddenSize: 4,
                                       inputs: InputFeatures(rmsInputs: true, momentumDecays: [0.5, 0.9]), outputScale: 0.2)
        let problems = [TestQuadratic(dimension: 3, seed: 14), TestQuadratic(dimension: 2, seed: 15, bounds: -0.2...0.3)]
        let c = try check(config: config, problems: problems, warmup: 3, steps: 4, weightScale: 0.4)
        XCTAssertEqual(c.analyticLoss, c.referenceLoss, accuracy: 1e-4 * abs(c.referenceLoss), "forward pass")
        XCTAssertLessThan(c.relativeError, Self.tolerance)
        XCTAssertLessThan(c.maxComponentError, Self.tolerance)
    }

    /// The momentum read-out (a linear path from the momentum averages into Δ) on the θ path,
    /// with bounds (masks) and the log objective.
    func testMetaGradientMatchesFiniteDifferencesWithMomentumReadout() throws {
        let config = LSTMConfiguration(layers: 2, hiddenSize: 3, inputs: InputFeatures(momentumDecays: [0.5, 0.9]),
                                       outputScale: 0.2, momentumReadoutScale: 0.5)
        XCTAssertEqual(config.layout.weightCount, config.layout.momentumReadoutOffset + 2)
        let problems = [TestQuadratic(dimension: 3, seed: 16), TestQuadratic(dimension: 2, seed: 17, bounds: -0.2...0.3)]
        for objective in MetaObjective.allCases {
            let c = try check(config: config, problems: problems, warmup: 3, steps: 4, weightScale: 0.4, objective: objective)
            XCTAssertEqual(c.analyticLoss, c.referenceLoss, accuracy: 1e-4 * abs(c.referenceLoss), "forward pass")
            XCTAssertLessThan(c.relativeError, Self.tolerance)
            XCTAssertLessThan(c.maxComponentError, Self.tolerance)
        }
    }

    /// The log objective (each step and problem weighted by 1/(s·f)) on the same batch, whose
    /// problems' losses differ by orders of magnitude (scales 1, 2 and 1e-6).
    func testLogObjectiveMetaGradientMatchesFiniteDifferences() throws {
        let (config, problems) = paperSetup()
        let c = try check(config: config, problems: problems, warmup: 3, steps: 5, weightScale: 0.5, objective: .log)
        XCTAssertEqual(c.analyticLoss, c.referenceLoss, accuracy: 1e-4 * abs(c.referenceLoss), "forward pass")
        XCTAssertLessThan(c.relativeError, Self.tolerance)
        XCTAssertLessThan(c.maxComponentError, Self.tolerance)
    }

    /// Late step weights w_t = 3(t/H)² (H = 10; the unroll covers steps 4…8 after 3 warm-up
    /// steps, so the weights differ by 4× across it), with the log objective on top.
    func testLateWeightedMetaGradientMatchesFiniteDifferences() throws {
        let (config, problems) = paperSetup()
        for objective in MetaObjective.allCases {
            let c = try check(config: config, problems: problems, warmup: 3, steps: 5, weightScale: 0.5, objective: objective,
                              weighting: StepWeighting(exponent: 2, horizon: 10))
            XCTAssertEqual(c.analyticLoss, c.referenceLoss, accuracy: 1e-4 * abs(c.referenceLoss), "forward pass")
            XCTAssertLessThan(c.relativeError, Self.tolerance)
            XCTAssertLessThan(c.maxComponentError, Self.tolerance)
        }
    }

    /// The same check with a deliberately wrong backward fails by a wide margin.
    func testGradientCheckCatchesDeliberateFaults() throws {
        let (config, problems) = paperSetup()
        for fault in [LSTMUnroll.Fault.dropThetaPath, .dropCellRecurrence] {
            let c = try check(config: config, problems: problems, warmup: 3, steps: 5, weightScale: 0.5, fault: fault)
            XCTAssertGreaterThan(c.relativeError, 10 * Self.tolerance, "fault \(fault) not caught")
        }
    }
}
