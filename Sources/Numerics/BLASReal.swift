import CBLAS

/// Whether a BLAS operand is used as stored or transposed (row-major storage throughout).
public enum Transpose: Sendable {
    case none
    case transpose

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// The floating-point types the toolkit computes in: `Float` (training, benchmarks) and `Double`
/// (gradient checks, curvature). Every hot routine is a static requirement so that its concrete
/// implementation is compiled (and vectorized) once per type inside this module, while generic
/// model code only orchestrates calls.
public protocol BLASReal: BinaryFloatingPoint, SIMDScalar, Sendable, CustomStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// safetensors dtype tag ("F32" / "F64").
    static var dtypeName: String { get }

    // MARK: BLAS level 1-3 (row-major)

    /// C (m,n) = alpha · op(A) (m,k) · op(B) (k,n) + beta · C
    static func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// `gemm` as one BLAS call, unsplit (what `GemmSplitter` runs per block).
    static func gemmCall(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Self,
                         a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                         beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y (m or n) = alpha · op(A) · x + beta · y, A (m,n)
    static func gemv(_ trans: Transpose, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     x: UnsafePointer<Self>, incx: Int, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int)
    /// y += alpha · x
    static func axpy(n: Int, alpha: Self, x: UnsafePointer<Self>, incx: Int, y: UnsafeMutablePointer<Self>, incy: Int)
    static func dot(n: Int, x: UnsafePointer<Self>, incx: Int, y: UnsafePointer<Self>, incy: Int) -> Self
    static func nrm2(n: Int, x: UnsafePointer<Self>, incx: Int) -> Self
    static func scal(n: Int, alpha: Self, x: UnsafeMutablePointer<Self>, incx: Int)

    // MARK: LAPACK (see LAPACK.swift for the checked, allocating front ends)

    static func lapackSyevr(jobz: CChar, range: CChar, uplo: CChar, n: Int32, a: UnsafeMutablePointer<Self>, lda: Int32,
                            vl: Self, vu: Self, il: Int32, iu: Int32, abstol: Self, m: UnsafeMutablePointer<Int32>,
                            w: UnsafeMutablePointer<Self>, z: UnsafeMutablePointer<Self>?, ldz: Int32,
                            isuppz: UnsafeMutablePointer<Int32>?) -> Int32
    static func lapackStemr(jobz: CChar, range: CChar, n: Int32, d: UnsafeMutablePointer<Self>, e: UnsafeMutablePointer<Self>,
                            vl: Self, vu: Self, il: Int32, iu: Int32, m: UnsafeMutablePointer<Int32>,
                            w: UnsafeMutablePointer<Self>, z: UnsafeMutablePointer<Self>?, ldz: Int32, nzc: Int32,
                            isuppz: UnsafeMutablePointer<Int32>?, tryrac: UnsafeMutablePointer<Int32>) -> Int32

    // MARK: Elementary functions, written so that a loop calling them vectorizes (no libm call for Float)

    static func elementaryExp(_ x: Self) -> Self
    static func elementaryErf(_ x: Self) -> Self
    static func elementaryTanh(_ x: Self) -> Self

    // MARK: Elementwise and row kernels (default implementations in Kernels.swift, specialized per type)

    /// y = x · Φ(x) = ½x(1 + erf(x/√2))     x, y (n)
    static func kernelGELU(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int)
    /// dx += dy · (Φ(x) + x·φ(x))
    static func kernelGELUBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>, _ n: Int)
    /// y = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))  ("gelu_new")
    static func kernelGELUTanh(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int)
    static func kernelGELUTanhBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>, _ n: Int)
    /// The GELU's derivatives for a curvature product: first = Φ(x) + x·φ(x), what `kernelGELUBackward` multiplies dy
    /// by (its exact operations), and second = φ(x)·(2 − x²), the second derivative.
    static func kernelGELUDerivatives(_ x: UnsafePointer<Self>, _ first: UnsafeMutablePointer<Self>, _ second: UnsafeMutablePointer<Self>, _ n: Int)
    /// The same for "gelu_new": first as in `kernelGELUTanhBackward`, second = (1 − t²)(u' + ½x(u'' − 2t·u'²)) with
    /// u = √(2/π)(x + 0.044715x³), t = tanh u.
    static func kernelGELUTanhDerivatives(_ x: UnsafePointer<Self>, _ first: UnsafeMutablePointer<Self>, _ second: UnsafeMutablePointer<Self>,
                                          _ n: Int)
    /// y = max(x, 0); backward dx += dy · [x > 0]
    static func kernelReLU(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int)
    static func kernelReLUBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>, _ n: Int)
    /// y = tanh(x); backward (from y) dx += dy · (1 − y²)
    static func kernelTanh(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int)
    static func kernelTanhBackward(_ y: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>, _ n: Int)
    /// Row softmax: x, y (rows, cols); y may alias x.
    static func kernelSoftmaxRows(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, rows: Int, cols: Int)
    /// dx = y ⊙ (dy − Σ dy⊙y) per row (overwrites dx; dx may alias dy).
    static func kernelSoftmaxRowsBackward(_ y: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>,
                                          rows: Int, cols: Int)
    /// y = (x − mean) · rstd · weight + bias per row; x, y (rows, cols); mean, rstd (rows)
    static func kernelLayerNorm(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, mean: UnsafeMutablePointer<Self>,
                                rstd: UnsafeMutablePointer<Self>, weight: UnsafePointer<Self>, bias: UnsafePointer<Self>,
                                rows: Int, cols: Int, eps: Self)
    /// dx += ∂, dweight += ∂, dbias += ∂ (accumulating, deterministic for a given thread count)
    static func kernelLayerNormBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, mean: UnsafePointer<Self>,
                                        rstd: UnsafePointer<Self>, weight: UnsafePointer<Self>,
                                        dx: UnsafeMutablePointer<Self>, dweight: UnsafeMutablePointer<Self>,
                                        dbias: UnsafeMutablePointer<Self>, rows: Int, cols: Int)
    /// y (rows, cols) += bias (cols) broadcast over rows
    static func kernelAddRowVector(_ y: UnsafeMutablePointer<Self>, _ bias: UnsafePointer<Self>, rows: Int, cols: Int)
    /// dbias (cols) += Σ_rows dy (rows, cols)
    static func kernelSumRows(_ dy: UnsafePointer<Self>, _ dbias: UnsafeMutablePointer<Self>, rows: Int, cols: Int)
    /// z = x + y (n); z may alias x or y
    static func kernelAdd(_ x: UnsafePointer<Self>, _ y: UnsafePointer<Self>, _ z: UnsafeMutablePointer<Self>, _ n: Int)
    /// mask (n) = 0 with probability p, else 1/(1−p) (inverted dropout); draws n uniforms from rng in order.
    static func kernelDropoutMask(_ mask: UnsafeMutablePointer<Self>, _ n: Int, probability p: Double, rng: inout SeededRNG)
    /// One Adam step on n parameters (BertAdam form): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
    /// u = (m/c₁) / (√(v/c₂) + ε) + λ·p, p ← p − lr·u, with c₁, c₂ the bias corrections (1 to disable).
    static func kernelAdamStep(_ p: UnsafeMutablePointer<Self>, _ g: UnsafePointer<Self>, _ m: UnsafeMutablePointer<Self>,
                               _ v: UnsafeMutablePointer<Self>, _ n: Int, lr: Double, beta1: Double, beta2: Double,
                               eps: Double, weightDecay: Double, correction1: Double, correction2: Double, gradScale: Double)
    /// y = x ⊙ m (n); y may alias x
    static func kernelMultiply(_ x: UnsafePointer<Self>, _ m: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int)
    /// y (n) = x converted from Double (rounded to nearest).
    static func kernelFromDouble(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Self>, _ n: Int)
    /// out[i] = Self(Double(origin[i]) + scale·(x·a[i] + y·b[i])), the arithmetic in Double (a scan's point).
    static func kernelOffsetFromDouble(_ origin: UnsafePointer<Self>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
                                       x: Double, y: Double, scale: Double, _ out: UnsafeMutablePointer<Self>, _ n: Int)
    /// y (n) = x converted to Double.
    static func kernelToDouble(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Double>, _ n: Int)
    /// The index of the first NaN or infinite entry of x (n), nil when every entry is finite.
    static func kernelFirstNonFinite(_ x: UnsafePointer<Self>, _ n: Int) -> Int?

    // MARK: Fake quantization and distillation kernels (default implementations in QuantizationKernels.swift)

    /// Σᵢ (sᵢ − tᵢ)² where entries ≤ maskBelow are replaced by 0 on either side; g = gradScale · (s − t), 0 where s
    /// is masked. (maskBelow = −∞: no mask.)
    static func kernelSquaredError(_ s: UnsafePointer<Self>, _ t: UnsafePointer<Self>, gradient g: UnsafeMutablePointer<Self>,
                                   _ n: Int, gradScale: Double, maskBelow: Double) -> Double
    /// (min, max) of clamp(x, lo, hi) over n ≥ 1 entries.
    static func kernelClampedRange(_ x: UnsafePointer<Self>, _ n: Int, lo: Double, hi: Double) -> (min: Double, max: Double)
    /// y = (round(clamp(x, lo, hi) · s − z) + z) / s, round half to even (z = 0: symmetric).
    static func kernelFakeQuantizeClamped(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int,
                                          lo: Double, hi: Double, scale s: Double, zero z: Double)
    /// Clip (PACT) backward: dx += dy where lo < x < hi; returns (Σ_{x ≤ lo} dy, Σ_{x ≥ hi} dy).
    static func kernelClampBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>,
                                    _ n: Int, lo: Double, hi: Double) -> (lo: Double, hi: Double)
    /// min over n ≥ 1 entries, as Double.
    static func kernelMinimum(_ x: UnsafePointer<Self>, _ n: Int) -> Double
    /// LSQ: y = round(clamp((x − offset)/s, qn, qp)) · s + offset.
    static func kernelFakeQuantizeLSQ(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int,
                                      step s: Double, offset: Double, qn: Double, qp: Double)
    /// LSQ backward: dx += dy inside the range; returns Σ ∂y/∂s · dy (round(v) − v inside, qn below, qp above),
    /// before LSQ's gradient scale.
    static func kernelLSQBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>,
                                  _ n: Int, step s: Double, offset: Double, qn: Double, qp: Double) -> Double
}

extension BLASReal {
    /// Elementary function used by the kernels in Double precision paths and by tests.
    @inlinable public var doubleValue: Double { Double(self) }
}
