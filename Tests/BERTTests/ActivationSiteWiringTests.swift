import XCTest
@testable import BERT
import Numerics

/// A smooth stand-in for an activation quantizer, y = x + c·x² (different at every site), so that finite
/// differences can check that every site's forward copy and backward pass are wired where they belong.
final class SmoothSiteMap: ActivationQuantizing {
    var frozen = false
    var calls: [ActivationSite: Int] = [:]
    func coefficient(_ site: ActivationSite) -> Double { 0.05 + 0.01 * Double(site.description.count % 5) }

    func quantize<T: BLASReal>(_ site: ActivationSite, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count n: Int, training: Bool) {
        calls[site, default: 0] += 1
        let c = T(coefficient(site))
        for i in 0..<n { y[i] = x[i] + c * x[i] * x[i] }
    }

    func backward<T: BLASReal>(_ site: ActivationSite, _ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, count n: Int) {
        let c = T(coefficient(site))
        for i in 0..<n { dx[i] += (1 + 2 * c * x[i]) * dy[i] }
    }
}

/// The identity: the model must behave exactly as without a quantizer.
final class IdentitySiteMap: ActivationQuantizing {
    var frozen = false
    func quantize<T: BLASReal>(_ site: ActivationSite, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count n: Int, training: Bool) {
        y.update(from: x, count: n)
    }
    func backward<T: BLASReal>(_ site: ActivationSite, _ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, count n: Int) {
        for i in 0..<n { dx[i] += dy[i] }
    }
}

final class ActivationSiteWiringTests: XCTestCase {
    func testIdentityQuantizerChangesNothing() throws {
        let plain = try makeTinyModel(Double.self), wired = try makeTinyModel(Double.self)
        wired.activationQuantizer = IdentitySiteMap()
        var rng = SeededRNG(seed: 1)
        let l1 = try plain.lossAndGradient(tinyBatch(), targets: .classes([0, 2, 1]), rng: &rng)
        let l2 = try wired.lossAndGradient(tinyBatch(), targets: .classes([0, 2, 1]), rng: &rng)
        XCTAssertEqual(l1, l2)
        XCTAssertEqual(plain.gradients.array, wired.gradients.array)
    }

    func testEverySiteIsVisitedOnce() throws {
        let model = try makeTinyModel(Double.self)
        let map = SmoothSiteMap()
        model.activationQuantizer = map
        try model.forward(tinyBatch())
        XCTAssertEqual(Set(map.calls.keys), Set(ActivationSite.all(layers: 2)))
        XCTAssertTrue(map.calls.values.allSatisfy { $0 == 1 })
    }

    /// Finite differences through a smooth map at every site, with dropout on, for every parameter.
    func testGradientThroughAllSites() throws {
        let model = try makeTinyModel(Double.self, dropout: 0.1)
        model.activationQuantizer = SmoothSiteMap()
        let batch = tinyBatch()
        func loss(_ m: BertModel<Double>) throws -> Double {
            var rng = SeededRNG(seed: 5)
            return try m.taskLoss(m.forward(batch, training: true, rng: &rng), targets: .classes([1, 0, 2]), wantGradient: false).0
        }
        var rng = SeededRNG(seed: 5)
        try model.lossAndGradient(batch, targets: .classes([1, 0, 2]), training: true, rng: &rng)
        try assertGradientsMatchFiniteDifferences(model, loss: loss)
    }
}
