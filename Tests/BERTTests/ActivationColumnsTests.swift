import XCTest
@testable import BERT
import Numerics

/// The block kernels of the activation's R-operator (`activationTangents`, `activationBackwardColumns`), which compute
/// its derivatives once per element for all columns, give exactly the bits of the single-column kernels, for every
/// activation in Float and Double, with and without the plain adjoint and the input's tangent.
final class ActivationColumnsTests: XCTestCase {
    func testBlockKernelsEqualColumnByColumn() {
        check(Float.self)
        check(Double.self)
    }

    func check<T: BLASReal>(_: T.Type) {
        // Enough elements for several chunks and slices; inputs from −6 to 6 and a few exact zeros.
        let n = 1_500, k = 3
        var rng = SeededRNG(seed: 3)
        func values(_ count: Int, std: Double) -> Buffer<T> {
            let b = Buffer<T>(count: count)
            rng.fillNormal(b.pointer, count: count, std: std)
            return b
        }
        let x = values(n, std: 2.5), dy = values(n, std: 1), tx = values(k * n, std: 1), rdy = values(k * n, std: 1)
        for i in stride(from: 0, to: n, by: 97) { x[i] = 0 }
        for act in [Activation.gelu, .geluNew, .relu] {
            let ty = Buffer<T>(count: k * n), single = Buffer<T>(count: k * n)
            activationTangents(act, x.pointer, tx.pointer, ty.pointer, n, columns: k)
            for j in 0..<k { activationTangent(act, x.pointer, tx.pointer + j * n, single.pointer + j * n, n) }
            XCTAssertEqual(ty.array, single.array, "\(T.self) \(act): tangent")
            for withTangent in [true, false] {
                let dx = values(n, std: 1), rdx = values(k * n, std: 1)
                let dxSingle = Buffer<T>(dx.array), rdxSingle = Buffer<T>(rdx.array)
                activationBackwardColumns(act, x.pointer, dy: dy.pointer, dx: dx.pointer, tx: withTangent ? UnsafePointer(tx.pointer) : nil,
                                          rdy: rdy.pointer, rdx: rdx.pointer, n, columns: k)
                activationBackward(act, x.pointer, dy.pointer, dxSingle.pointer, n)
                for j in 0..<k {
                    if withTangent {
                        activationBackwardR(act, x.pointer, tx.pointer + j * n, dy.pointer, rdy.pointer + j * n, rdxSingle.pointer + j * n, n)
                    } else {
                        activationBackward(act, x.pointer, rdy.pointer + j * n, rdxSingle.pointer + j * n, n)
                    }
                }
                XCTAssertEqual(dx.array, dxSingle.array, "\(T.self) \(act): plain adjoint")
                XCTAssertEqual(rdx.array, rdxSingle.array, "\(T.self) \(act), tangent \(withTangent): R-backward")
            }
        }
    }
}
