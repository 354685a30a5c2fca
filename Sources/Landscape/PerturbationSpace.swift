/// Which weights a surface scan moves.
///
/// - `latent`: the latent full-precision weights w; every point re-quantizes the perturbed tensors, the scales
///   recomputed by the quantizer as training would (what the paper's Fig. 2 does). The surface is piecewise: it jumps
///   where a weight crosses a threshold (a sign for BWN, ±Δ for TWN) and between jumps moves only through α.
///   A split (TWS) model moves both halves by half the offset each, w₁ + δ/2 and w₂ + δ/2, so that their sum — the
///   latent weight the directions are normalized against — moves by δ.
/// - `quantized`: the weights the forward reads, ŵ, directly: a continuous surface.
/// - `steps`: ŵ too, with each tensor's direction rescaled to unit RMS and then multiplied by its quantization step
///   (α for ternary and binary tensors, per row for the word embedding; 1/s for uniform ones; the mean non-zero |ŵ|
///   for a split model's sum of two binary tensors): an offset of 1 is one quantization step per weight, RMS.
/// - `fullPrecision`: a full-precision model has one space (its weights); it is recorded under this name whatever
///   `--space` asked, except `steps`, which needs a quantizer.
public enum PerturbationSpace: String, CaseIterable, Sendable, Codable {
    case latent, quantized, steps
    case fullPrecision = "full-precision"

    /// The spaces a user can ask for.
    public static var requestable: [PerturbationSpace] { [.latent, .quantized, .steps] }
}

/// What a direction does on 1-D tensors (biases, LayerNorm gains and shifts, chosen with `--include-biases`).
/// `zero`: the direction is 0 there (loss-landscape's `ignore='biasbn'`); `include`: they are drawn and normalized
/// like the other tensors, a 1-D tensor being one row; `filter`: each entry is its own filter,
/// d_i ← d_i·|w_i|/|d_i| = sign(d_i)·|w_i| (loss-landscape's default, which sets d = w, up to the random sign).
public enum OneDPolicy: String, CaseIterable, Sendable, Codable {
    case zero, include, filter
}
