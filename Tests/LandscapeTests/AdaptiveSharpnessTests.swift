import XCTest
import BERT
import Numerics
import Probe
@testable import Landscape

/// Adaptive sharpness is what its name promises: invariant to rescaling one layer against the next (here the value
/// projection against the attention output, a linear pair, so the function is unchanged), where a fixed-radius rise
/// is not; the ascent raises the loss; steps scale the quantizer's α; bad requests are one sentence each.
final class AdaptiveSharpnessTests: XCTestCase {
    func objective(_ p: ProbeModel<Double>) throws -> LossObjective<Double> {
        try LossObjective(model: p.model, batches: LandscapeFixtures.batches())
    }

    func selection(_ p: ProbeModel<Double>, _ spec: String) throws -> [ParameterView] {
        try ParameterSelection(spec, table: p.model.table, layers: p.model.config.numHiddenLayers).views
    }

    func testInvariantToRescalingTheValueProjectionAgainstTheAttentionOutput() throws {
        let dir = try LandscapeFixtures.directory(self)
        let url = try LandscapeFixtures.fullPrecision(in: dir)
        let a = try ProbeModel<Double>(directory: url), b = try ProbeModel<Double>(directory: url)
        let p = "bert.encoder.layer.0.attention."
        for (name, factor) in [(p + "self.value.weight", 4.0), (p + "self.value.bias", 4.0), (p + "output.dense.weight", 0.25)] {
            let v = b.model.table.view(name)
            for i in 0..<v.count { b.model.weights[v.offset + i] *= factor }
        }
        let spec = "value@0+attention-output@0"
        XCTAssertEqual(try objective(a).loss(), try objective(b).loss(), accuracy: 1e-12, "the same function")
        let request = AdaptiveSharpness.Request(rho: 0.05, samples: 6, steps: 4, seed: 3)
        let ra = try AdaptiveSharpness.run(probe: a, objective: objective(a), views: selection(a, spec), request: request)
        let rb = try AdaptiveSharpness.run(probe: b, objective: objective(b), views: selection(b, spec), request: request)
        XCTAssertEqual(ra.averageRise!, rb.averageRise!, accuracy: 1e-10 * max(1, abs(ra.averageRise!)))
        XCTAssertEqual(ra.averageRiseStandardError!, rb.averageRiseStandardError!, accuracy: 1e-10)
        XCTAssertEqual(ra.worstRise!, rb.worstRise!, accuracy: 1e-10 * max(1, abs(ra.worstRise!)))
        XCTAssertGreaterThan(ra.worstRise!, 0, "gradient ascent raises the loss of a model away from a minimum")
        XCTAssertEqual(ra.worstRiseByStep.count, 4)
        XCTAssertEqual(ra.frozen, 0)
        XCTAssertEqual(ra.dimension, try selection(a, spec).reduce(0) { $0 + $1.count })
        // The control: the same isotropic perturbation of both (not scaled by |w|) moves their losses apart.
        func isotropicRise(_ m: ProbeModel<Double>) throws -> Double {
            let o = try objective(m), l0 = try o.loss()
            var rng = SeededRNG(seed: 9)
            let saved = Buffer<Double>(count: m.model.weights.count)
            saved.pointer.update(from: m.model.weights.pointer, count: saved.count)
            defer { m.model.weights.pointer.update(from: saved.pointer, count: saved.count) }
            for v in try selection(m, spec) { for i in 0..<v.count { m.model.weights[v.offset + i] += 0.05 * rng.normal() } }
            return try o.loss() - l0
        }
        XCTAssertGreaterThan(abs(try isotropicRise(a) - isotropicRise(b)), 1e-4, "a fixed-radius rise depends on the rescaling")
        XCTAssertEqual(try objective(a).loss(), try objective(b).loss(), accuracy: 1e-12, "weights restored")
    }

    func testAverageCaseIsTheMeanRiseOverTheSeededDraws() throws {
        let dir = try LandscapeFixtures.directory(self)
        let m = try ProbeModel<Double>(directory: try LandscapeFixtures.fullPrecision(in: dir))
        let views = try selection(m, "ffn-output@1")
        let r = try AdaptiveSharpness.run(probe: m, objective: objective(m), views: views, request: .init(rho: 0.1, samples: 3, steps: 0, seed: 5))
        XCTAssertNil(r.worstRise)
        // Recompute the three draws by hand.
        let o = try objective(m), l0 = try o.loss()
        var rng = SeededRNG(seed: 5, stream: 0xA5)
        var rises: [Double] = []
        for _ in 0..<3 {
            let saved = Buffer<Double>(count: m.model.weights.count)
            saved.pointer.update(from: m.model.weights.pointer, count: saved.count)
            for v in views {
                for i in 0..<v.count { let w = m.model.weights[v.offset + i]; m.model.weights[v.offset + i] = w + 0.1 * abs(w) * rng.normal() }
            }
            rises.append(try o.loss() - l0)
            m.model.weights.pointer.update(from: saved.pointer, count: saved.count)
        }
        let mean = rises.reduce(0, +) / 3
        XCTAssertEqual(r.averageRise!, mean, accuracy: 1e-12)
        let sd = (rises.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
        XCTAssertEqual(r.averageRiseStandardError!, sd / 3.0.squareRoot(), accuracy: 1e-12)
    }

    func testStepsScaleIsTheQuantizersAlphaAndWeightsFreezeTernaryZeros() throws {
        let dir = try LandscapeFixtures.directory(self)
        let twn = try ProbeModel<Double>(directory: try LandscapeFixtures.quantized(in: dir, bits: 2))
        let views = try selection(twn, "value@0")
        let byWeights = try AdaptiveSharpness.run(probe: twn, objective: objective(twn), views: views, request: .init(rho: 0.1, samples: 2, steps: 1))
        let zeros = views.reduce(0) { n, v in n + (0..<v.count).filter { twn.model.weights[v.offset + $0] == 0 }.count }
        XCTAssertGreaterThan(zeros, 0)
        XCTAssertEqual(byWeights.frozen, zeros, "a ternary tensor's zeros do not move under |ŵ|")
        let bySteps = try AdaptiveSharpness.run(probe: twn, objective: objective(twn), views: views, request: .init(rho: 0.1, scale: .steps, samples: 2, steps: 1))
        XCTAssertEqual(bySteps.frozen, 0)
        let alpha = try XCTUnwrap(try twn.quantizationSteps(views)[0]?[0])
        XCTAssertEqual(bySteps.rmsScale, 0.1 * alpha, accuracy: 1e-12, "one unit of u is ρ quantization steps")
    }

    func testBadRequestsAreOneSentenceEach() throws {
        for (request, text) in [(AdaptiveSharpness.Request(rho: 0), "--rho must be a finite number above 0, not 0.0"),
                                (.init(rho: .nan), "--rho must be a finite number above 0, not nan"),
                                (.init(rho: 0.1, samples: 0, steps: 0), "--samples 0 with --steps 0 leaves nothing to measure"),
                                (.init(rho: 0.1, samples: -1), "--samples must be in [0, 100000], not -1")] {
            XCTAssertThrowsError(try request.validate()) { XCTAssertEqual("\($0)", text) }
        }
        let dir = try LandscapeFixtures.directory(self)
        let fp = try ProbeModel<Double>(directory: try LandscapeFixtures.fullPrecision(in: dir))
        XCTAssertThrowsError(try AdaptiveSharpness.run(probe: fp, objective: objective(fp), views: selection(fp, "value@0"),
                                                       request: .init(rho: 0.1, scale: .steps))) { error in
            XCTAssertTrue("\(error)".hasPrefix("--scale steps needs quantized tensors: bert.encoder.layer.0.attention.self.value.weight"), "\(error)")
        }
    }
}
