import XCTest
@testable import BERT
import Numerics
@testable import Quantization

/// The STE surrogate of a set of activation quantizers, frozen at the point where it is first evaluated: at every
/// site, y = x + (Q(x₀) − x₀) where x₀ was inside the quantizer's range and y = Q(x₀) elsewhere, with the centre's
/// straight-through mask as its derivative. Smooth (affine) in x, so finite differences of its gradient see the
/// Hessian that the R-operator claims to compute.
final class FrozenSurrogate: ActivationQuantizing {
    var frozen = true
    let inner: ActivationQuantizerSet
    private var centre: [ActivationSite: (offset: [Double], value: [Double], mask: [Double])] = [:]

    init(_ inner: ActivationQuantizerSet) { self.inner = inner }

    func quantize<T: BLASReal>(_ site: ActivationSite, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count n: Int, training: Bool) {
        if centre[site] == nil {
            inner.quantize(site, x, y, count: n, training: false)
            let ones = [T](repeating: 1, count: n)
            var mask = [T](repeating: 0, count: n)
            ones.withUnsafeBufferPointer { o in mask.withUnsafeMutableBufferPointer { m in
                inner.backward(site, x, o.baseAddress!, m.baseAddress!, count: n)
            } }
            centre[site] = ((0..<n).map { Double(y[$0]) - Double(x[$0]) }, (0..<n).map { Double(y[$0]) }, mask.map(Double.init))
        }
        let c = centre[site]!
        for i in 0..<n { y[i] = c.mask[i] != 0 ? x[i] + T(c.offset[i]) : T(c.value[i]) }
    }

    func backward<T: BLASReal>(_ site: ActivationSite, _ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, count n: Int) {
        let m = centre[site]!.mask
        for i in 0..<n { dx[i] += T(m[i]) * dy[i] }
    }
}

final class QuantizedHessianTests: XCTestCase {
    let batch = TokenBatch(sequences: [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3]],
                           typeIds: [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1]])
    let labels = Targets.classes([0, 2, 1])

    func quantized(bits: Int, activationBits: Int, split: Bool = false) throws -> QuantizedBertModel<Double> {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                                hiddenAct: activationBits == 4 ? "relu" : "gelu", hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
                                maxPositionEmbeddings: 16, numLabels: 3)
        let m = try BertModel<Double>(config: config)
        m.randomizeAllParameters(seed: 11, std: 0.5)
        let spec = QuantizationSpec(method: bits == 2 ? "twn" : "bwn", weightBits: split ? 2 : bits, activationBits: activationBits,
                                    quantizedTensors: QuantizationSpec.defaultQuantizedTensors(m.table))
        var q = try QuantizedBertModel(model: m, spec: spec)
        if split { q = try q.splitIntoBinary().model }
        if activationBits == 4 {
            // LSQ steps initialise from the first training batch, as training does.
            var rng = SeededRNG(seed: 1)
            try q.model.forward(batch, training: true, rng: &rng)
        }
        return q
    }

    /// HVP w.r.t. ŵ (the effective weights) against central differences of the STE surrogate's gradient.
    func testQuantizedModelsMatchTheFrozenSurrogate() throws {
        let cases: [(String, Int, Int, Bool)] = [("ternary A8", 2, 8, false), ("BWN A8", 1, 8, false), ("ternary A4", 2, 4, false),
                                                 ("BWN A4", 1, 4, false), ("split A8", 2, 8, true)]
        for (name, bits, abits, split) in cases {
            let q = try quantized(bits: bits, activationBits: abits, split: split)
            let model = q.model
            let n = model.table.totalCount
            let v = Buffer<Double>(count: n)
            var rng = SeededRNG(seed: 21)
            rng.fillNormal(v.pointer, count: n)
            let hv = Buffer<Double>(count: n)
            try model.hessianVectorProduct(batch, targets: labels, direction: v, selected: model.table.views, into: hv)

            let real = model.activationQuantizer as! ActivationQuantizerSet
            let surrogate = FrozenSurrogate(real)
            model.activationQuantizer = surrogate
            defer { model.activationQuantizer = real }
            _ = try model.forward(batch)   // records the centre
            let w0 = model.weights.array
            let eps = cbrt(Double.ulpOfOne) * (1 + Double.nrm2(n: n, x: model.weights.pointer, incx: 1)) / Double.nrm2(n: n, x: v.pointer, incx: 1)
            let shifted = Buffer<Double>(count: n)
            func gradient(_ s: Double) throws -> [Double] {
                for i in 0..<n { shifted[i] = w0[i] + s * eps * v[i] }
                return try model.withWeights(shifted) {
                    var r = SeededRNG(seed: 0)
                    try model.lossAndGradient(batch, targets: labels, rng: &r)
                    return model.gradients.array
                }
            }
            let gp = try gradient(1), gm = try gradient(-1)
            let fd = (0..<n).map { (gp[$0] - gm[$0]) / (2 * eps) }
            var d = 0.0, r = 0.0
            for i in 0..<n { d += pow(hv[i] - fd[i], 2); r += fd[i] * fd[i] }
            XCTAssertLessThanOrEqual((d / r).squareRoot(), 1e-6, "\(name): relative error \((d / r).squareRoot())")
            XCTAssertGreaterThan(r, 0)
        }
    }

    /// A block of directions in one pass equals single products through the straight-through masks too (Hessian and
    /// Gauss–Newton, with 8-bit and LSQ 4-bit activation quantizers and a split model), and the block again on the kept
    /// forward and plain adjoints gives the same bits.
    func testBlockProductEqualsSingleProducts() throws {
        for (name, bits, abits, split) in [("ternary A8", 2, 8, false), ("BWN A4", 1, 4, false), ("split A8", 2, 8, true)] {
            let model = try quantized(bits: bits, activationBits: abits, split: split).model
            let n = model.table.totalCount
            var rng = SeededRNG(seed: 4)
            let directions = (0..<3).map { _ -> Buffer<Double> in
                let v = Buffer<Double>(count: n)
                rng.fillNormal(v.pointer, count: n)
                return v
            }
            for product in CurvatureProduct.allCases {
                let block = directions.map { _ in Buffer<Double>(count: n) }, again = directions.map { _ in Buffer<Double>(count: n) }
                try model.curvatureBlockProduct(batch, targets: labels, directions: directions, selected: model.table.views, into: block,
                                                keepAdjoints: true, product: product)
                let passes = model.plainBackwardCount
                try model.curvatureBlockProduct(batch, targets: labels, directions: directions, selected: model.table.views, into: again,
                                                reuseForward: true, keepAdjoints: true, product: product)
                XCTAssertEqual(model.plainBackwardCount, passes, "\(name), \(product): the adjoints should be kept")
                XCTAssertEqual(again.map(\.array), block.map(\.array), "\(name), \(product): kept adjoints")
                for (j, v) in directions.enumerated() {
                    let single = Buffer<Double>(count: n)
                    try model.hessianVectorProduct(batch, targets: labels, direction: v, selected: model.table.views, into: single, product: product)
                    var d = 0.0, r = 0.0
                    for i in 0..<n { d += pow(block[j][i] - single[i], 2); r += single[i] * single[i] }
                    XCTAssertGreaterThan(r, 0)
                    XCTAssertLessThanOrEqual((d / r).squareRoot(), 1e-12, "\(name), \(product), column \(j)")
                }
            }
        }
    }

    /// The R-operator never changes a quantized model: no quantizer gradients, no moved parameters.
    func testProbeLeavesQuantizersUntouched() throws {
        let q = try quantized(bits: 1, activationBits: 4)
        let set = q.activationQuantizers!
        let before = set.serialized
        let n = q.model.table.totalCount
        let v = Buffer<Double>(count: n), hv = Buffer<Double>(count: n)
        v.buffer.update(repeating: 0.01)
        try q.model.hessianVectorProduct(batch, targets: labels, direction: v, selected: q.model.table.views, into: hv)
        XCTAssertEqual(set.serialized, before)
        XCTAssertTrue(set.gradients.isEmpty)
        XCTAssertFalse(set.frozen)
    }
}
