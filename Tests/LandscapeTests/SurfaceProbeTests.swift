import XCTest
import BERT
import Probe
import Numerics
import Quantization
@testable import Landscape

final class SurfaceProbeTests: XCTestCase {
    /// A point through the prefix cache and the layer entry is bit-identical to a fresh full forward at
    /// θ₀ + x·d₁ + y·d₂, for every stage a scan can enter a layer at; with the affine shortcut for the entry stage's
    /// dense layer it equals it within rounding (≤ 1e-12 relative in Double). The model's weights are left untouched.
    func testPointEqualsFreshForwardAtThoseWeights() throws {
        let dir = try LandscapeFixtures.directory(self)
        for (path, label) in [(try LandscapeFixtures.fullPrecision(in: dir), "fp"), (try LandscapeFixtures.quantized(in: dir, bits: 2), "twn"),
                              (try LandscapeFixtures.quantized(in: dir, bits: 1, activationBits: 8), "bwn-a8")] {
            let probe = try ProbeModel<Double>(directory: path)
            let pristine = Buffer<Double>(count: probe.model.table.totalCount)
            pristine.copy(from: probe.model.weights)
            let cases: [(String, PassBoundary, LayerEntry)] = [
                ("qk@1", .hiddenState(1), .start), ("value@1", .hiddenState(1), .value), ("attention-output@1", .hiddenState(1), .attentionOutput),
                ("ffn-intermediate@1", .hiddenState(1), .ffnIntermediate), ("ffn-output@1", .hiddenState(1), .ffnOutput),
                ("value@1+ffn-output@1", .hiddenState(1), .value), ("ffn-output@0+value@1", .hiddenState(0), .ffnOutput),
                ("embeddings+ffn-output@1", .embeddings, .start),
            ]
            for (spec, boundary, entry) in cases { for affine in [false, true] {
                let sel = try ParameterSelection(spec, table: probe.model.table, layers: 2, includeBiases: spec == "ffn-output@1")
                let objective = try LossObjective(model: probe.model, batches: LandscapeFixtures.batches())
                let space: PerturbationSpace = label == "fp" ? .fullPrecision : .quantized
                let ref = SurfaceProbe<Double>.reference(probe, views: sel.views, space: space)
                let dx = DirectionFactory.make(.filter, views: sel.views, reference: ref, seed: 1, axis: "x", oneD: .include)
                let dy = DirectionFactory.make(.filter, views: sel.views, reference: ref, seed: 1, axis: "y", oneD: .include).orthogonalized(against: dx)
                let cached = SurfaceProbe(probe: probe, objective: objective, space: space, x: dx, y: dy, prefixCache: true, affine: affine)
                XCTAssertEqual(cached.boundary, boundary, spec)
                XCTAssertEqual(cached.entry, entry, spec)
                let shortcut = affine && entry > .start
                XCTAssertEqual(cached.affineStage?.entry, shortcut ? entry : nil, spec)
                for (x, y) in [(0.3, -0.2), (-0.5, 0.7), (0.0, 0.0)] {
                    let got = try cached.evaluate(x: x, y: y)
                    // Fresh: a new buffer built by hand, a full forward.
                    let w = Buffer<Double>(count: pristine.count)
                    w.copy(from: pristine)
                    for (k, v) in sel.views.enumerated() { for e in 0..<v.count { w[v.offset + e] = pristine[v.offset + e] + (x * dx.values[k][e] + y * dy.values[k][e]) } }
                    let fresh = try LossObjective(model: probe.model, batches: LandscapeFixtures.batches())
                    let want = try probe.model.withWeights(w) { try fresh.lossAndAccuracy() }
                    if shortcut {
                        XCTAssertEqual(got.loss, want.loss, accuracy: 1e-12 * max(1, abs(want.loss)), "\(label) \(spec) affine (\(x), \(y))")
                    } else {
                        XCTAssertEqual(got.loss, want.loss, "\(label) \(spec) (\(x), \(y))")   // bit-identical
                        XCTAssertEqual(got.metric, want.accuracy)
                    }
                }
                let basisBytes = shortcut ? objective.entryLinearBasisBytes(layer: boundary.firstLayer, entry: entry, directions: 2) : 0
                XCTAssertEqual(cached.prefixCacheBytes, objective.prefixCacheBytes + basisBytes, spec)
                XCTAssertEqual(cached.prefixCacheBytes, SurfaceProbe.cacheBytes(objective, views: sel.views, space: space, affine: affine, directions: 2), spec)
                for i in 0..<pristine.count where pristine[i] != probe.model.weights[i] { XCTFail("\(spec): weight \(i) changed"); break }
                let naive = SurfaceProbe(probe: probe, objective: try LossObjective(model: probe.model, batches: LandscapeFixtures.batches()),
                                         space: space, x: dx, y: dy, prefixCache: false)
                XCTAssertEqual(naive.boundary, .embeddings)
                let (a, b) = (try naive.evaluate(x: 0.3, y: -0.2).loss, try cached.evaluate(x: 0.3, y: -0.2).loss)
                XCTAssertEqual(a, b, accuracy: shortcut ? 1e-12 * max(1, abs(a)) : 0, spec)
            } }
        }
    }

    /// BWN, latent space: small offsets give ŵ = α′·sign(w) with α′ = mean|w + x·d|; a large one flips signs.
    func testLatentSpaceOfBWNRequantizesWithTheQuantizersFormula() throws {
        let dir = try LandscapeFixtures.directory(self)
        let probe = try ProbeModel<Double>(directory: try LandscapeFixtures.quantized(in: dir, bits: 1))
        let objective = try LossObjective(model: probe.model, batches: LandscapeFixtures.batches())
        let sel = try ParameterSelection("value@0", table: probe.model.table, layers: 2)
        let v = sel.views[0]
        let latent = SurfaceProbe<Double>.reference(probe, views: sel.views, space: .latent)[0]
        let d = DirectionFactory.make(.filter, views: sel.views, reference: [latent], seed: 4, axis: "x", oneD: .zero)
        let scan = SurfaceProbe(probe: probe, objective: objective, space: .latent, x: d, y: nil, prefixCache: true)
        // The largest x that flips no sign.
        let safe = zip(latent, d.values[0]).map { abs($0) / max(abs($1), 1e-300) }.min()! * 0.5
        for x in [safe, -safe, 0] {
            let w = scan.weights(x: x, y: 0)
            let moved = zip(latent, d.values[0]).map { $0 + x * $1 }
            let alpha = moved.reduce(0) { $0 + abs($1) } / Double(moved.count)
            for e in 0..<v.count {
                XCTAssertEqual(w[v.offset + e], latent[e] > 0 ? alpha : -alpha, accuracy: 1e-15)
            }
        }
        // Past the first threshold a sign flips (where w + x·d changed sign).
        let x = 1.5 * zip(latent, d.values[0]).filter { $0 * $1 < 0 }.map { abs($0 / $1) }.min()!
        let w = scan.weights(x: x, y: 0)
        let moved = zip(latent, d.values[0]).map { $0 + x * $1 }
        let alpha = moved.reduce(0) { $0 + abs($1) } / Double(moved.count)
        var flips = 0
        for e in 0..<v.count {
            XCTAssertEqual(w[v.offset + e], moved[e] > 0 ? alpha : -alpha, accuracy: 1e-15)
            if (moved[e] > 0) != (latent[e] > 0) { flips += 1 }
        }
        XCTAssertGreaterThan(flips, 0)
        // Other tensors keep ŵ; x = 0 reproduces the stored ŵ exactly.
        let w0 = scan.weights(x: 0, y: 0)
        for i in 0..<w0.count { if w0[i] != probe.model.weights[i] { XCTFail("ŵ[\(i)] differs at x = 0"); break } }
    }

    /// A split model in the latent space moves each half by δ/2: ŵ = Q(w₁ + δ/2) + Q(w₂ + δ/2); at 0 it is the
    /// stored ŵ, equal to the ternary model's (TWS is exact).
    func testSplitModelMovesBothHalves() throws {
        let dir = try LandscapeFixtures.directory(self)
        let split = try ProbeModel<Double>(directory: try LandscapeFixtures.quantized(in: dir, bits: 2, split: true))
        XCTAssertTrue(split.split)
        let objective = try LossObjective(model: split.model, batches: LandscapeFixtures.batches())
        let sel = try ParameterSelection("value@1", table: split.model.table, layers: 2)
        let v = sel.views[0]
        let ref = SurfaceProbe<Double>.reference(split, views: sel.views, space: .latent)
        let d = DirectionFactory.make(.layer, views: sel.views, reference: ref, seed: 2, axis: "x", oneD: .zero)
        let scan = SurfaceProbe(probe: split, objective: objective, space: .latent, x: d, y: nil, prefixCache: true)
        let x = 0.3
        let w = scan.weights(x: x, y: 0)
        let q = try XCTUnwrap(split.quantized)
        let w1 = (0..<v.count).map { split.model.parameters[v.offset + $0] + 0.5 * x * d.values[0][$0] }
        let w2 = (0..<v.count).map { q.secondHalf![v.offset + $0] + 0.5 * x * d.values[0][$0] }
        func bwn(_ a: [Double]) -> [Double] { let m = a.reduce(0) { $0 + abs($1) } / Double(a.count); return a.map { $0 > 0 ? m : ($0 < 0 ? -m : 0) } }
        for (e, want) in zip(bwn(w1), bwn(w2)).map({ $0 + $1 }).enumerated() { XCTAssertEqual(w[v.offset + e], want, accuracy: 1e-14) }
        XCTAssertEqual(try scan.evaluate(x: 0, y: 0).loss, try objective.lossAndAccuracy().loss)
    }

    func testSpacesResolvePerModelKind() throws {
        let dir = try LandscapeFixtures.directory(self)
        let fp = try ProbeModel<Double>(directory: try LandscapeFixtures.fullPrecision(in: dir))
        XCTAssertEqual(try SurfaceProbe.resolve(.latent, for: fp), .fullPrecision)
        XCTAssertThrowsError(try SurfaceProbe.resolve(.steps, for: fp)) { XCTAssertTrue("\($0)".contains("steps needs a quantized model"), "\($0)") }
        let twn = try ProbeModel<Double>(directory: try LandscapeFixtures.quantized(in: dir, bits: 2))
        XCTAssertEqual(try SurfaceProbe.resolve(.steps, for: twn), .steps)
        // Steps: the unit of a TWN tensor is its α, and a steps direction has RMS α.
        let sel = try ParameterSelection("value@0", table: twn.model.table, layers: 2)
        let units = try SurfaceProbe<Double>.stepUnits(twn, views: sel.views)
        let alpha = try XCTUnwrap(twn.quantized?.scales()[sel.names[0]]?[0])
        XCTAssertEqual(try XCTUnwrap(units[0])[0], alpha, accuracy: 1e-15)
        let ref = SurfaceProbe<Double>.reference(twn, views: sel.views, space: .quantized)
        let d = DirectionFactory.inSteps(DirectionFactory.make(.random, views: sel.views, reference: ref, seed: 1, axis: "x", oneD: .zero), units: units)
        let rms = (d.values[0].reduce(0) { $0 + $1 * $1 } / Double(d.values[0].count)).squareRoot()
        XCTAssertEqual(rms, alpha, accuracy: 1e-14)
    }
}

final class ModelDirectionTests: XCTestCase {
    /// model:DIR is θ_B − θ_A: x = 1 on every tensor is model B (its loss exactly, to rounding), x = 0 model A.
    func testModelDifferenceInterpolatesBetweenTwoModels() throws {
        let dir = try LandscapeFixtures.directory(self)
        let a = try ProbeModel<Double>(directory: try LandscapeFixtures.fullPrecision(in: dir, seed: 7))
        let bURL = try LandscapeFixtures.fullPrecision(in: dir, seed: 8)
        let b = try ProbeModel<Double>(directory: bURL)
        var request = LandscapeRequest(select: "all@*", grid: SurfaceGrid(x: GridAxis(min: 0, max: 1, count: 2), y: nil))
        request.includeBiases = true
        request.oneD = .include
        request.directions = .model(bURL.path)
        let plan = try DirectionPlan(probe: a, request: request)
        let (dx, dy, _) = try plan.directions(seed: 0)
        XCTAssertNil(dy)
        XCTAssertEqual(plan.union.count, a.model.table.views.count)
        let objective = try LossObjective(model: a.model, batches: LandscapeFixtures.batches())
        let scan = SurfaceProbe(probe: a, objective: objective, space: plan.space, x: dx, y: nil, prefixCache: true)
        let lossB = try LossObjective(model: b.model, batches: LandscapeFixtures.batches()).lossAndAccuracy().loss
        XCTAssertEqual(try scan.evaluate(x: 1, y: 0).loss, lossB, accuracy: 1e-12)
        XCTAssertEqual(try scan.evaluate(x: 0, y: 0).loss, try objective.lossAndAccuracy().loss)
    }
}
