import XCTest
@testable import BERT
import Numerics

/// The exact Hessian-vector product (R-operator) against oracles that do not use it: a dense Hessian block from second
/// differences of the loss alone, and central differences of the (separately checked) gradient.
final class HessianVectorProductTests: XCTestCase {
    let labels = Targets.classes([0, 2, 1])

    func loss(_ m: BertModel<Double>, _ targets: Targets) throws -> Double {
        try m.taskLoss(m.forward(tinyBatch()), targets: targets, wantGradient: false).0
    }

    /// Every tensor of the model contributes coordinates; the dense block is built from the loss only.
    func testMatchesSecondDifferencesOfTheLoss() throws {
        for activation in ["gelu", "gelu_new", "relu"] {
            let model = try makeTinyModel(Double.self, activation: activation)
            var coords: [Int] = []
            for v in model.table.views {
                // two coordinates per tensor; for the word embedding, rows that the batch uses
                let picks = v.name.contains("word_embeddings") ? [11 * 16 + 3, 48 * 16 + 7] : [v.count / 3, (2 * v.count) / 3]
                coords += picks.map { v.offset + $0 }
            }
            let h = 1e-4
            let p = model.parameters
            func f(_ i: Int, _ si: Double, _ j: Int, _ sj: Double) throws -> Double {
                let (a, b) = (p[i], p[j])
                p[i] += si * h
                p[j] += sj * h
                defer { p[i] = a; p[j] = b }
                return try loss(model, labels)
            }
            let m = coords.count
            var dense = [Double](repeating: 0, count: m * m)
            let l0 = try loss(model, labels)
            for a in 0..<m {
                for b in a..<m {
                    let i = coords[a], j = coords[b]
                    let value: Double
                    if a == b {
                        value = (try f(i, 1, i, 1) - 2 * l0 + f(i, -1, i, -1)) / (4 * h * h)
                    } else {
                        value = (try f(i, 1, j, 1) - f(i, 1, j, -1) - f(i, -1, j, 1) + f(i, -1, j, -1)) / (4 * h * h)
                    }
                    dense[a * m + b] = value
                    dense[b * m + a] = value
                }
            }
            var diff2 = 0.0, ref2 = 0.0
            let direction = Buffer<Double>(count: model.table.totalCount), hv = Buffer<Double>(count: model.table.totalCount)
            for b in 0..<m {
                direction.zero(); hv.zero()
                direction[coords[b]] = 1
                try model.hessianVectorProduct(tinyBatch(), targets: labels, direction: direction, selected: model.table.views, into: hv)
                for a in 0..<m {
                    diff2 += pow(hv[coords[a]] - dense[a * m + b], 2)
                    ref2 += dense[a * m + b] * dense[a * m + b]
                }
            }
            let rel = (diff2 / ref2).squareRoot()
            XCTAssertLessThanOrEqual(rel, 1e-6, "\(activation): relative error \(rel) over \(m)×\(m) entries")
        }
    }

    /// A random direction over all parameters against central differences of the gradient (regression loss too).
    func testRandomDirectionMatchesGradientDifferences() throws {
        for (activation, targets) in [("gelu", labels), ("gelu_new", Targets.values([0.5, -1.25, 2]))] {
            let model = try makeTinyModel(Double.self, activation: activation, numLabels: targets == labels ? 3 : 1)
            let n = model.table.totalCount
            let v = Buffer<Double>(count: n)
            var rng = SeededRNG(seed: 3)
            rng.fillNormal(v.pointer, count: n)
            let hv = Buffer<Double>(count: n)
            try model.hessianVectorProduct(tinyBatch(), targets: targets, direction: v, selected: model.table.views, into: hv)
            let fd = try gradientDifference(model, targets: targets, direction: v)
            assertClose(hv.array, fd, 1e-6, activation)
        }
    }

    func testSymmetry() throws {
        let model = try makeTinyModel(Double.self)
        let n = model.table.totalCount
        let u = Buffer<Double>(count: n), v = Buffer<Double>(count: n), hu = Buffer<Double>(count: n), hv = Buffer<Double>(count: n)
        var rng = SeededRNG(seed: 9)
        rng.fillNormal(u.pointer, count: n)
        rng.fillNormal(v.pointer, count: n)
        try model.hessianVectorProduct(tinyBatch(), targets: labels, direction: u, selected: model.table.views, into: hu)
        try model.hessianVectorProduct(tinyBatch(), targets: labels, direction: v, selected: model.table.views, into: hv)
        let uHv = Double.dot(n: n, x: u.pointer, incx: 1, y: hv.pointer, incy: 1)
        let vHu = Double.dot(n: n, x: v.pointer, incx: 1, y: hu.pointer, incy: 1)
        XCTAssertEqual(uHv, vHu, accuracy: 1e-10 * max(1, abs(uHv)))
    }

    /// A block restricted to some tensors equals the same block of the full Hessian, with and without a cached prefix,
    /// and leaves every other entry of the output untouched.
    func testBlockEqualsSubBlockOfFullHessian() throws {
        let model = try makeTinyModel(Double.self)
        let n = model.table.totalCount
        let blocks: [[ParameterView]] = [
            model.table.views(module: .value, layer: 1),
            model.table.views(module: .ffnOutput, layer: 1).filter { $0.role == .matrix },
            model.table.views(module: .query, layer: 0) + model.table.views(module: .key, layer: 0),
            model.table.views(module: .pooler) + model.table.views(module: .classifier),
            model.table.views(module: .embeddings),
        ]
        var rng = SeededRNG(seed: 4)
        for block in blocks {
            let v = Buffer<Double>(count: n)
            for view in block { rng.fillNormal(v.pointer + view.offset, count: view.count) }
            let full = Buffer<Double>(count: n)
            try model.hessianVectorProduct(tinyBatch(), targets: labels, direction: v, selected: model.table.views, into: full)
            let restricted = Buffer<Double>(count: n)
            restricted.buffer.update(repeating: 7)
            // entries outside the block are ignored in the direction
            let noisy = Buffer<Double>(count: n)
            rng.fillNormal(noisy.pointer, count: n)
            for view in block { (noisy.pointer + view.offset).update(from: v.pointer + view.offset, count: view.count) }
            let start = model.boundary(for: block)
            var hidden: Buffer<Double>? = nil
            if case let .hiddenState(l) = start {
                let acts = try model.forward(tinyBatch())
                hidden = Buffer<Double>(count: acts.hiddenStates[l].count)
                hidden!.copy(from: acts.hiddenStates[l])
            }
            try model.hessianVectorProduct(tinyBatch(), targets: labels, direction: noisy, selected: block, into: restricted, hidden: hidden)
            let inBlock = Set(block.flatMap { Array($0.range) })
            var blockFull: [Double] = [], blockRestricted: [Double] = []
            for i in 0..<n {
                if inBlock.contains(i) {
                    blockFull.append(full[i]); blockRestricted.append(restricted[i] - 7)
                } else {
                    XCTAssertEqual(restricted[i], 7, "entry \(i) outside the block was written")
                }
            }
            assertClose(blockRestricted, blockFull, 1e-10, block.map(\.name).joined(separator: ","))
        }
    }

    /// forward(from: hidden_states.l) gives the full forward's outputs bit for bit; a partial backward with `only`
    /// gives the full backward's gradients for the tensors asked for.
    func testPrefixForwardAndPartialBackward() throws {
        let model = try makeTinyModel(Double.self)
        var rng = SeededRNG(seed: 0)
        try model.lossAndGradient(tinyBatch(), targets: labels, rng: &rng)
        let reference = model.gradients.array
        let logits = try model.forward(tinyBatch()).logits!.array
        let hidden1 = Buffer<Double>(model.workspace!.hiddenStates[1].array)
        let acts = try model.forward(tinyBatch(), from: .hiddenState(1), hidden: hidden1)
        XCTAssertEqual(acts.logits!.array, logits)
        let (_, dLogits) = try model.taskLoss(acts, targets: labels, wantGradient: true)
        model.zeroGradients()
        let wanted = model.table.views(module: .value, layer: 1) + model.table.views(module: .pooler)
        model.backward(acts, seeds: OutputGradients(logits: dLogits), downTo: .hiddenState(1), only: wanted)
        let wantedRanges = Set(wanted.flatMap { Array($0.range) })
        for i in 0..<model.table.totalCount {
            if wantedRanges.contains(i) { XCTAssertEqual(model.gradients[i], reference[i]) } else { XCTAssertEqual(model.gradients[i], 0) }
        }
    }

    func testWithWeightsRestores() throws {
        let model = try makeTinyModel(Double.self)
        let before = try loss(model, labels)
        let other = Buffer<Double>(count: model.table.totalCount)
        other.copy(from: model.parameters)
        for i in 0..<other.count { other[i] *= 1.01 }
        let inside = try model.withWeights(other) { try loss(model, labels) }
        XCTAssertNotEqual(inside, before)
        XCTAssertTrue(model.weights === model.parameters)
        XCTAssertEqual(try loss(model, labels), before)
    }

    func testFloatAgreesWithDouble() throws {
        let md = try makeTinyModel(Double.self), mf = try makeTinyModel(Float.self)
        let n = md.table.totalCount
        var rng = SeededRNG(seed: 5)
        let vd = Buffer<Double>(count: n)
        rng.fillNormal(vd.pointer, count: n)
        let vf = Buffer<Float>(vd.array.map(Float.init))
        let hd = Buffer<Double>(count: n), hf = Buffer<Float>(count: n)
        try md.hessianVectorProduct(tinyBatch(), targets: labels, direction: vd, selected: md.table.views, into: hd)
        try mf.hessianVectorProduct(tinyBatch(), targets: labels, direction: vf, selected: mf.table.views, into: hf)
        assertClose(hf.array.map(Double.init), hd.array, 1e-4, "float vs double")
    }

    // MARK: helpers

    /// (∇L(w + εv) − ∇L(w − εv)) / 2ε with ε = ∛u · (1 + ‖w‖)/‖v‖.
    func gradientDifference(_ model: BertModel<Double>, targets: Targets, direction v: Buffer<Double>) throws -> [Double] {
        let n = model.table.totalCount
        let norm = Double.nrm2(n: n, x: v.pointer, incx: 1)
        let eps = cbrt(Double.ulpOfOne) * (1 + Double.nrm2(n: n, x: model.parameters.pointer, incx: 1)) / norm
        var rng = SeededRNG(seed: 0)
        let saved = model.parameters.array
        func gradient(_ s: Double) throws -> [Double] {
            for i in 0..<n { model.parameters[i] = saved[i] + s * eps * v[i] }
            try model.lossAndGradient(tinyBatch(), targets: targets, rng: &rng)
            return model.gradients.array
        }
        let gp = try gradient(1), gm = try gradient(-1)
        for i in 0..<n { model.parameters[i] = saved[i] }
        return (0..<n).map { (gp[$0] - gm[$0]) / (2 * eps) }
    }
}

func assertClose(_ a: [Double], _ b: [Double], _ tolerance: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    var d = 0.0, r = 0.0
    for i in 0..<a.count { d += (a[i] - b[i]) * (a[i] - b[i]); r += b[i] * b[i] }
    let rel = (d / max(r, 1e-300)).squareRoot()
    XCTAssertLessThanOrEqual(rel, tolerance, "\(what): relative error \(rel)", file: file, line: line)
}
