import BERT
import Foundation
import Numerics

/// The two distillation objectives of TernaryBERT / BinaryBERT, as losses of the student's outputs with their
/// gradients (the seeds of the student's backward pass). Teacher and student must have the same number of layers
/// and heads and the same hidden size.
public enum DistillationLoss {
    /// Scores at or below this are masked positions (they carry the huge negative additive mask); both sides are
    /// zeroed there, as the official code does, so they contribute nothing and get no gradient.
    public static let maskedScoreThreshold = -100.0

    /// Stage 1: Σ_l MSE(attention scores_l) + Σ_{l=0…L} MSE(hidden_l), each MSE a mean over its whole tensor.
    public static func intermediate<T: BLASReal>(student: Activations<T>, teacher: Activations<T>, layers: Int)
        -> (loss: Double, seeds: OutputGradients<T>) {
        intermediate(student: student, teacher: TeacherTargets(.intermediate, of: teacher, layers: layers), layers: layers)
    }

    /// Stage 1 against the teacher's targets (from its forward or a `TeacherCache`).
    public static func intermediate<T: BLASReal>(student: Activations<T>, teacher: TeacherTargets<T>, layers: Int)
        -> (loss: Double, seeds: OutputGradients<T>) {
        precondition(teacher.kind == .intermediate && teacher.attentionScores.count == layers, "DistillationLoss: not the teacher's intermediate targets")
        var total = 0.0
        var seeds = OutputGradients<T>()
        for l in 0..<layers {
            let s = student.attentionScores(l), t = teacher.attentionScores[l]
            let g = Buffer<T>(count: s.count)
            total += mse(s, t, gradient: g, maskBelow: maskedScoreThreshold)
            seeds.attentionScores[l] = g
        }
        for l in 0...layers {
            let g = Buffer<T>(count: student.hiddenStates[l].count)
            total += mse(student.hiddenStates[l], teacher.hiddenStates[l], gradient: g, maskBelow: nil)
            seeds.hiddenStates[l] = g
        }
        return (total, seeds)
    }

    /// Stage 2, classification: soft cross-entropy −Σ_c softmax(t/τ)_c · log softmax(s/τ)_c, averaged over all
    /// batch × class entries as the official `soft_cross_entropy` does (a mean over elements, not examples).
    public static func softCrossEntropy<T: BLASReal>(student: Buffer<T>, teacher: Buffer<T>, classes k: Int, temperature: Double = 1)
        -> (loss: Double, seeds: OutputGradients<T>) {
        let b = student.count / k
        let g = Buffer<T>(count: student.count)
        var total = 0.0
        let scale = 1 / Double(b * k)
        for i in 0..<b {
            let s = (0..<k).map { Double(student[i * k + $0]) / temperature }
            let t = (0..<k).map { Double(teacher[i * k + $0]) / temperature }
            let ls = logSoftmax(s), pt = logSoftmax(t).map { Foundation.exp($0) }
            for c in 0..<k { total -= pt[c] * ls[c] }
            // ∂/∂s_c of −Σ p_t·log softmax(s/τ) = (softmax(s/τ)_c − p_t,c)/τ  (Σ p_t = 1)
            for c in 0..<k { g[i * k + c] = T(scale * (Foundation.exp(ls[c]) - pt[c]) / temperature) }
        }
        return (total * scale, OutputGradients(logits: g))
    }

    /// Stage 2, regression: MSE between the student's and the teacher's single output.
    public static func logitMSE<T: BLASReal>(student: Buffer<T>, teacher: Buffer<T>) -> (loss: Double, seeds: OutputGradients<T>) {
        let g = Buffer<T>(count: student.count)
        let loss = mse(student, teacher, gradient: g, maskBelow: nil)
        return (loss, OutputGradients(logits: g))
    }

    /// mean((s − t)²) over all entries, with entries where s (resp. t) ≤ maskBelow replaced by 0; writes ∂/∂s.
    static func mse<T: BLASReal>(_ s: Buffer<T>, _ t: Buffer<T>, gradient: Buffer<T>, maskBelow: Double?) -> Double {
        let n = s.count
        precondition(t.count == n && gradient.count == n, "mse: sizes differ")
        let inv = 1 / Double(max(n, 1))
        return T.kernelSquaredError(s.pointer, t.pointer, gradient: gradient.pointer, n, gradScale: 2 * inv,
                                    maskBelow: maskBelow ?? -.infinity) * inv
    }

    static func logSoftmax(_ x: [Double]) -> [Double] {
        let m = x.max() ?? 0
        let lse = m + Foundation.log(x.reduce(0) { $0 + Foundation.exp($1 - m) })
        return x.map { $0 - lse }
    }
}
