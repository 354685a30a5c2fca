import XCTest
import BERT
import Probe
import Numerics
@testable import Landscape

final class DirectionTests: XCTestCase {
    func norms(_ v: [Double], rows: Int) -> [Double] {
        let cols = v.count / rows
        return (0..<rows).map { r in (0..<cols).reduce(0) { $0 + v[r * cols + $1] * v[r * cols + $1] }.squareRoot() }
    }

    /// A full-precision probe, a selection of it and the selection's weights.
    func fullPrecision(_ spec: String, includeBiases: Bool = false) throws -> (ProbeModel<Double>, ParameterSelection, [[Double]]) {
        let dir = try LandscapeFixtures.directory(self)
        let probe = try ProbeModel<Double>(directory: try LandscapeFixtures.fullPrecision(in: dir))
        let sel = try ParameterSelection(spec, table: probe.model.table, layers: 2, includeBiases: includeBiases)
        return (probe, sel, SurfaceProbe<Double>.reference(probe, views: sel.views, space: .fullPrecision))
    }

    func testFilterAndLayerNormalizationMatchTheWeightsAndOrthogonalizationIsExact() throws {
        let (_, sel, ref) = try fullPrecision("value@0,1+embeddings")
        let f = DirectionFactory.make(.filter, views: sel.views, reference: ref, seed: 3, axis: "x", oneD: .zero)
        for (k, v) in sel.views.enumerated() {
            for (a, b) in zip(norms(f.values[k], rows: v.shape[0]), norms(ref[k], rows: v.shape[0])) { XCTAssertEqual(a, b, accuracy: 1e-12 * b) }
        }
        let l = DirectionFactory.make(.layer, views: sel.views, reference: ref, seed: 3, axis: "y", oneD: .zero)
        for k in sel.views.indices { XCTAssertEqual(norms(l.values[k], rows: 1)[0], norms(ref[k], rows: 1)[0], accuracy: 1e-12 * norms(ref[k], rows: 1)[0]) }
        let o = l.orthogonalized(against: f)
        XCTAssertLessThan(abs(o.cosine(f)), 1e-12)
        XCTAssertGreaterThan(abs(l.cosine(f)), 0)
        // The paper's probe: every entry of a tensor is its mean |W|.
        let ones = DirectionFactory.make(.ones, views: sel.views, reference: ref, seed: 0, axis: "x", oneD: .zero)
        for k in sel.views.indices {
            let m = ref[k].reduce(0) { $0 + abs($1) } / Double(ref[k].count)
            XCTAssertTrue(ones.values[k].allSatisfy { $0 == m })
        }
    }

    func testDrawsArePerTensorNameAndSeed() throws {
        let dir = try LandscapeFixtures.directory(self)
        let probe = try ProbeModel<Double>(directory: try LandscapeFixtures.fullPrecision(in: dir))
        let small = try ParameterSelection("value@1", table: probe.model.table, layers: 2)
        let large = try ParameterSelection("value@0,1+ffn-output@1", table: probe.model.table, layers: 2)
        let a = DirectionFactory.raw(.random, views: small.views, seed: 5, axis: "x")
        let b = DirectionFactory.raw(.random, views: large.views, seed: 5, axis: "x")
        XCTAssertEqual(a[0], b[large.names.firstIndex(of: small.names[0])!])
        XCTAssertNotEqual(a[0], DirectionFactory.raw(.random, views: small.views, seed: 6, axis: "x")[0])
        XCTAssertNotEqual(a[0], DirectionFactory.raw(.random, views: small.views, seed: 5, axis: "y")[0])
    }

    func testOneDimensionalPolicies() throws {
        let (_, sel, ref) = try fullPrecision("value@0", includeBiases: true)
        let bias = try XCTUnwrap(sel.views.firstIndex { $0.shape.count == 1 })
        let zero = DirectionFactory.make(.filter, views: sel.views, reference: ref, seed: 1, axis: "x", oneD: .zero)
        XCTAssertTrue(zero.values[bias].allSatisfy { $0 == 0 })
        let include = DirectionFactory.make(.filter, views: sel.views, reference: ref, seed: 1, axis: "x", oneD: .include)
        XCTAssertEqual(norms(include.values[bias], rows: 1)[0], norms(ref[bias], rows: 1)[0], accuracy: 1e-12)
        let filter = DirectionFactory.make(.filter, views: sel.views, reference: ref, seed: 1, axis: "x", oneD: .filter)
        for (d, w) in zip(filter.values[bias], ref[bias]) { XCTAssertEqual(abs(d), abs(w)) }
    }

    func testSavedDirectionReloadsAsAFileDirection() throws {
        let (_, sel, ref) = try fullPrecision("value@0,1")
        let f = DirectionFactory.make(.filter, views: sel.views, reference: ref, seed: 9, axis: "x", oneD: .zero)
        let url = try LandscapeFixtures.directory(self).appendingPathComponent("d.safetensors")
        try f.write(to: url, metadata: [:])
        let back = try EigenvectorFile.read(url, selection: sel.views)
        XCTAssertEqual(back, f.values.flatMap { $0 })
        XCTAssertEqual(try SafetensorsFile(contentsOf: url).metadata["seed"], "9")
    }

    func testDirectionKindParsing() throws {
        XCTAssertEqual(try DirectionKind(parsing: "hessian:/a/top-1.safetensors", option: "--directions"), .hessian("/a/top-1.safetensors"))
        XCTAssertEqual(try DirectionKind(parsing: "model:/m", option: "--directions"), .model("/m"))
        XCTAssertThrowsError(try DirectionKind(parsing: "sideways", option: "--directions")) { e in
            XCTAssertTrue("\(e)".contains("--directions 'sideways' is not a direction"), "\(e)")
        }
        XCTAssertThrowsError(try DirectionKind(parsing: "file:", option: "--y-directions"))
    }
}
