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

    /// The forward pass agrees with the reference, and the meta-gradient with finite differences
    /// (relative and largest-component error below `tolerance`).
    func assertAgrees(_ c: Check, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(c.analyticLoss, c.referenceLoss, accuracy: 1e-4 * abs(c.referenceLoss), "forward pass",
                       file: file, line: line)
        XCTAssertLessThan(c.relativeError, Self.tolerance, file: file, line: line)
        XCTAssertLessThan(c.maxComponentError, Self.tolerance, file: file, line: line)
    }

    func check(config: LSTMConfiguration, problems: [TestQuadratic], warmup: Int, steps: Int,
               weightScale: Double, fault: LSTMUnroll.Fault = .none, objective: MetaObjective = .sum,
               weighting: StepWeighting = .uniform, secondOrderSteps: Int = 0,
               againstTrueLoss: Bool = false) throws -> Check {
        let phi = randomWeights(config, seed: 11, scale: weightScale)
        let trainer = try MetaTrainer(task: QuadraticTask(), configuration: config,
                                      settings: MetaTrainingSettings(horizon: 100, unroll: 20, secondOrderSteps: secondOrderSteps))
        trainer.setWeights(phi)
        let batch = ProblemBatch(problems)
        let (loss, analytic) = trainer.metaGradient(batch: batch, steps: steps, warmupSteps: warmup, fault: fault,
                                                   objective: objective, weighting: weighting)

        var run = ReferenceRun(ref: ReferenceLSTM(config: config), problems: problems, logObjective: objective == .log)
        // The reference's own formula for the weights, (k+1)(t/H)^k·(1 + a/t), not `StepWeighting.weight`.
        let k = weighting.exponent, horizon = Double(weighting.horizon), a = weighting.early
        run.stepWeight = { t in (k == 0 ? 1 : (k + 1) * Foundation.pow(Double(t) / horizon, k)) * (1 + a / Double(t)) }
        let phi0 = phi.map(Double.init)
        let (start, theta0, inputs, refLoss) = run.recordInputs(phi0: phi0, warmup: warmup, steps: steps)
        let h = 1e-6
        var fd = [Double](repeating: 0, count: phi.count)
        for k in phi.indices {
            var p = phi0, m = phi0
            p[k] += h; m[k] -= h
            if againstTrueLoss {
                // Live gradients in the steps that get second-order terms (all with `againstTrueLoss`
                // and first order: the true loss itself).
                let from = secondOrderSteps > 0 ? max(0, steps - secondOrderSteps) : 0
                fd[k] = (run.live(phi: p, start: start, theta0: theta0, inputs: inputs, liveFrom: from, warmup: warmup)
                    - run.live(phi: m, start: start, theta0: theta0, inputs: inputs, liveFrom: from, warmup: warmup)) / (2 * h)
            } else {
                fd[k] = (run.surrogate(phi: p, start: start, theta0: theta0, inputs: inputs, warmup: warmup)
                    - run.surrogate(phi: m, start: start, theta0: theta0, inputs: inputs, warmup: warmup)) / (2 * h)
            }
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
        assertAgrees(c)
    }

    func testMetaGradientMatchesFiniteDifferencesRawAndRMSInputsThreeLayers() throws {
        let config = LSTMConfiguration(layers: 3, hiddenSize: 3, inputs: InputFeatures(gradient: .raw, rmsInputs: true),
                                       outputScale: 0.2)
        let problems = [TestQuadratic(dimension: 3, seed: 4), TestQuadratic(dimension: 2, seed: 5, bounds: -0.2...0.3)]
        let c = try check(config: config, problems: problems, warmup: 2, steps: 4, weightScale: 0.4)
        assertAgrees(c)
    }

    /// Momentum inputs at two decays (constants for the first-order meta-gradient, like the
    /// gradient's own features) with the RMS pair, after warm-up steps that fill their averages.
    func testMetaGradientMatchesFiniteDifferencesWithMomentumInputs() throws {
        let config = LSTMConfiguration(layers: 2, hiddenSize: 4,
                                       inputs: InputFeatures(rmsInputs: true, momentumDecays: [0.5, 0.9]), outputScale: 0.2)
        let problems = [TestQuadratic(dimension: 3, seed: 14), TestQuadratic(dimension: 2, seed: 15, bounds: -0.2...0.3)]
        let c = try check(config: config, problems: problems, warmup: 3, steps: 4, weightScale: 0.4)
        assertAgrees(c)
    }

    /// The high-pass input (the features see g + a·B_r(g) per plane of each problem's image):
    /// a constant of the first-order surrogate like the gradient, with the RMS and momentum
    /// inputs computed from it; two image-shaped problems of different shapes, one bounded.
    func testMetaGradientMatchesFiniteDifferencesWithHighPass() throws {
        let config = LSTMConfiguration(layers: 2, hiddenSize: 4,
                                       inputs: InputFeatures(rmsInputs: true, momentumDecays: [0.5, 0.9],
                                                             highPass: .init(radius: 1, gain: -0.6)), outputScale: 0.2)
        try checkImageShaped(config, seeds: (24, 25), shapes: (ImageShape(planes: 2, height: 2, width: 3),
                                                             ImageShape(planes: 1, height: 5, width: 2)))
    }

    /// A 2×4 LSTM (output scale 0.2) with RMS and one momentum input on the high-pass r 1 / gain
    /// −0.4 (with `ramp`), plus what `set` adds: the configuration of the extra-input checks below.
    func highPassConfig(ramp: Int? = nil, _ set: (inout InputFeatures) -> Void) -> LSTMConfiguration {
        var inputs = InputFeatures(rmsInputs: true, momentumDecays: [0.9], highPass: .init(radius: 1, gain: -0.4, ramp: ramp))
        set(&inputs)
        return LSTMConfiguration(layers: 2, hiddenSize: 4, inputs: inputs, outputScale: 0.2)
    }

    /// The finite-difference check on two image-shaped quadratics of the given shapes (the second
    /// bounded).
    func checkImageShaped(_ config: LSTMConfiguration, seeds: (UInt64, UInt64), shapes: (ImageShape, ImageShape)) throws {
        let a = TestQuadratic(dimension: shapes.0.count, seed: seeds.0)
        let b = TestQuadratic(dimension: shapes.1.count, seed: seeds.1, bounds: -0.2...0.3)
        a.shape = shapes.0
        b.shape = shapes.1
        let c = try check(config: config, problems: [a, b], warmup: 3, steps: 4, weightScale: 0.4)
        assertAgrees(c)
    }

    /// The local-mean input (B_r(g)/RMS, `InputFeatures.localMean`) on top of the high-pass.
    func testMetaGradientMatchesFiniteDifferencesWithLocalMean() throws {
        let config = highPassConfig { $0.localMean = true }
        try checkImageShaped(config, seeds: (26, 27), shapes: (ImageShape(planes: 3, height: 2, width: 2),
                                                             ImageShape(planes: 2, height: 1, width: 5)))
    }

    /// The luma/chroma basis (`InputFeatures.lumaChroma`): features of the filtered C·g, steps
    /// Cᵀ·Δ', the output adjoint C·a through the bounds' masks; with and without the local mean,
    /// and with a gain ramp (`HighPass.ramp`) over the warm-up and the unroll's first steps.
    func testMetaGradientMatchesFiniteDifferencesWithLumaChroma() throws {
        for (localMean, ramp) in [(false, nil), (true, 5)] {
            let config = highPassConfig(ramp: ramp) { $0.localMean = localMean; $0.lumaChroma = true }
            try checkImageShaped(config, seeds: (28, 29), shapes: (ImageShape(planes: 3, height: 2, width: 2),
                                                                 ImageShape(planes: 3, height: 1, width: 3)))
        }
    }

    /// The global-RMS input (g'/RMS of the problem's g', `InputFeatures.globalRMS`) after the
    /// local mean, on the high-pass.
    func testMetaGradientMatchesFiniteDifferencesWithGlobalRMS() throws {
        let config = highPassConfig { $0.localMean = true; $0.globalRMS = true }
        XCTAssertEqual(config.inputs.count, 8)
        try checkImageShaped(config, seeds: (30, 31), shapes: (ImageShape(planes: 3, height: 2, width: 2),
                                                             ImageShape(planes: 2, height: 1, width: 5)))
    }

    /// The smooth-fraction input (2ρ − 1, ρ = RMS(B_r(g))/RMS(g) of the problem,
    /// `InputFeatures.smoothFraction`) after the global RMS, in the luma/chroma basis.
    func testMetaGradientMatchesFiniteDifferencesWithSmoothFraction() throws {
        let config = highPassConfig { $0.lumaChroma = true; $0.globalRMS = true; $0.smoothFraction = true }
        XCTAssertEqual(config.inputs.count, 8)
        try checkImageShaped(config, seeds: (34, 35), shapes: (ImageShape(planes: 3, height: 2, width: 2),
                                                             ImageShape(planes: 3, height: 1, width: 3)))
    }

    /// Shared units (`InputFeatures.sharedUnits`): per-problem means of the top layer's first
    /// hidden units as inputs of the next step, frozen like the other features in the
    /// first-order meta-gradient (the reference records them with the inputs), with bounds.
    func testMetaGradientMatchesFiniteDifferencesWithSharedUnits() throws {
        let config = LSTMConfiguration(layers: 2, hiddenSize: 4,
                                       inputs: InputFeatures(rmsInputs: true, momentumDecays: [0.9], sharedUnits: 2),
                                       outputScale: 0.2)
        let problems = [TestQuadratic(dimension: 5, seed: 32), TestQuadratic(dimension: 3, seed: 33, bounds: -0.2...0.3)]
        let c = try check(config: config, problems: problems, warmup: 3, steps: 4, weightScale: 0.4)
        assertAgrees(c)
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
            assertAgrees(c)
        }
    }

    /// The log objective (each step and problem weighted by 1/(s·f)) on the same batch, whose
    /// problems' losses differ by orders of magnitude (scales 1, 2 and 1e-6).
    func testLogObjectiveMetaGradientMatchesFiniteDifferences() throws {
        let (config, problems) = paperSetup()
        let c = try check(config: config, problems: problems, warmup: 3, steps: 5, weightScale: 0.5, objective: .log)
        assertAgrees(c)
    }

    /// Early step weights w_t = 1 + 8/t, alone and with late weights: the unroll starts at the
    /// horizon's first step (no warm-up), where the boost is largest (9× at step 1, 1.8× at step 10).
    func testEarlyWeightedMetaGradientMatchesFiniteDifferences() throws {
        let (config, problems) = paperSetup()
        for (objective, exponent) in [(MetaObjective.log, 0.0), (.sum, 1.0)] {
            let c = try check(config: config, problems: problems, warmup: 0, steps: 5, weightScale: 0.5, objective: objective,
                              weighting: StepWeighting(exponent: exponent, horizon: 10, early: 8))
            assertAgrees(c)
        }
    }

    /// Late step weights w_t = 3(t/H)² (H = 10; the unroll covers steps 4…8 after 3 warm-up
    /// steps, so the weights differ by 4× across it), with the log objective on top.
    func testLateWeightedMetaGradientMatchesFiniteDifferences() throws {
        let (config, problems) = paperSetup()
        for objective in MetaObjective.allCases {
            let c = try check(config: config, problems: problems, warmup: 3, steps: 5, weightScale: 0.5, objective: objective,
                              weighting: StepWeighting(exponent: 2, horizon: 10))
            assertAgrees(c)
        }
    }

    /// The second-order meta-gradient against finite differences of the *true* unrolled loss
    /// (live gradients, nothing frozen), for both objectives, on the paper setup (bounds, both
    /// preprocessing branches, a carried start). Its Hessian-vector products are finite
    /// differences in Float, exact for quadratics up to rounding, so the tolerance is the
    /// first-order check's; the first-order meta-gradient misses the true one by more than 10×
    /// that (1–2 % here), so the check can tell them apart.
    func testSecondOrderMetaGradientMatchesFiniteDifferencesOfTheTrueLoss() throws {
        let (config, problems) = paperSetup()
        let tolerance = Self.tolerance
        for objective in MetaObjective.allCases {
            let c = try check(config: config, problems: problems, warmup: 3, steps: 5, weightScale: 0.5,
                              objective: objective, secondOrderSteps: 5, againstTrueLoss: true)
            XCTAssertEqual(c.analyticLoss, c.referenceLoss, accuracy: 1e-4 * abs(c.referenceLoss), "forward pass")
            XCTAssertLessThan(c.relativeError, tolerance, "\(objective)")
            XCTAssertLessThan(c.maxComponentError, tolerance, "\(objective)")
            let first = try check(config: config, problems: problems, warmup: 3, steps: 5, weightScale: 0.5,
                                  objective: objective, againstTrueLoss: true)
            XCTAssertGreaterThan(first.relativeError, 10 * tolerance, "\(objective): first order indistinguishable")
        }
    }

    /// The same with raw inputs (the quadratic task's setup) and three layers.
    func testSecondOrderMetaGradientRawInputsThreeLayers() throws {
        let config = LSTMConfiguration(layers: 3, hiddenSize: 3, inputs: InputFeatures(gradient: .raw), outputScale: 0.2)
        let problems = [TestQuadratic(dimension: 3, seed: 4), TestQuadratic(dimension: 2, seed: 5, bounds: -0.2...0.3)]
        let c = try check(config: config, problems: problems, warmup: 2, steps: 4, weightScale: 0.4,
                          secondOrderSteps: 100, againstTrueLoss: true)
        XCTAssertLessThan(c.relativeError, Self.tolerance)
        XCTAssertLessThan(c.maxComponentError, Self.tolerance)
    }

    /// Second order over the last 2 of 5 steps against the loss with the first 3 steps' inputs
    /// frozen and the last 2 live: the truncation is exactly what it says.
    func testSecondOrderOverTheLastStepsMatchesPartlyFrozenLoss() throws {
        let (config, problems) = paperSetup()
        let c = try check(config: config, problems: problems, warmup: 3, steps: 5, weightScale: 0.5,
                          secondOrderSteps: 2, againstTrueLoss: true)
        XCTAssertLessThan(c.relativeError, Self.tolerance)
        XCTAssertLessThan(c.maxComponentError, Self.tolerance)
        // …and it is neither the first-order nor the exact meta-gradient.
        func gradient(_ k: Int) throws -> [Float] {
            let trainer = try MetaTrainer(task: QuadraticTask(), configuration: config,
                                          settings: MetaTrainingSettings(horizon: 100, unroll: 20, secondOrderSteps: k))
            trainer.setWeights(randomWeights(config, seed: 11, scale: 0.5))
            return trainer.metaGradient(batch: ProblemBatch(problems), steps: 5, warmupSteps: 3).gradient
        }
        func distance(_ a: [Float], _ b: [Float]) -> Double {
            let d = zip(a, b).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
            return (d / b.map { Double($0 * $0) }.reduce(0, +)).squareRoot()
        }
        let two = try gradient(2)
        XCTAssertGreaterThan(distance(two, try gradient(0)), 10 * Self.tolerance)
        XCTAssertGreaterThan(distance(two, try gradient(5)), 10 * Self.tolerance)
    }

    /// Second order is refused where it is not implemented: inputs with running averages.
    func testSecondOrderRefusesStatefulInputs() {
        for inputs in [InputFeatures(momentumDecays: [0.9]), InputFeatures(rmsInputs: true)] {
            XCTAssertThrowsError(try MetaTrainer(task: QuadraticTask(), configuration: LSTMConfiguration(hiddenSize: 4, inputs: inputs),
                                                 settings: MetaTrainingSettings(secondOrderSteps: 20)))
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
