import Numerics

/// The forward-mode tangents of one eval forward pass along a weight direction (the R-operator's first half), laid
/// out like `Activations`. Shapes: B = batch, T = sequence, C = hidden, A = heads × head size, I = intermediate.
final class Tangents<T: BLASReal> {
    let batchSize: Int, sequenceLength: Int
    /// Tangent of hidden_states.l (B·T, C), l = 0…L.
    let hiddenStates: [Buffer<T>]
    let layers: [LayerTangents<T>]
    let embeddingSum: Buffer<T>                      // (B·T, C)
    let clsRows: Buffer<T>, clsRowsHat: Buffer<T>?   // (B, C)
    let pooled: Buffer<T>                            // (B, C)
    let logits: Buffer<T>?                           // (B, K)

    let quantized: Bool

    init(config c: BertConfig, batchSize b: Int, sequenceLength t: Int, classes: Int?, quantized: Bool) {
        let n = b * t, h = c.hiddenSize
        batchSize = b
        sequenceLength = t
        self.quantized = quantized
        hiddenStates = (0...c.numHiddenLayers).map { _ in Buffer(count: n * h) }
        layers = (0..<c.numHiddenLayers).map { _ in
            LayerTangents(tokens: n, hidden: h, heads: c.allHeadSize, intermediate: c.intermediateSize,
                          scoreCount: b * c.numAttentionHeads * t * t, quantized: quantized)
        }
        embeddingSum = Buffer(count: n * h)
        clsRows = Buffer(count: b * h); clsRowsHat = quantized ? Buffer(count: b * h) : nil
        pooled = Buffer(count: b * h)
        logits = classes.map { Buffer(count: b * $0) }
    }

    func fits(_ acts: Activations<T>) -> Bool {
        acts.batchSize == batchSize && acts.sequenceLength == sequenceLength && acts.quantized == quantized
    }
}

/// One layer's tangents; the quantized copies' tangents are m ⊙ (the input's tangent), m the quantizer's
/// straight-through mask. Without an activation quantizer the `...Hat` buffers are nil (the consumer reads the tangent itself).
final class LayerTangents<T: BLASReal> {
    let q: Buffer<T>, k: Buffer<T>, v: Buffer<T>, context: Buffer<T>            // (B·T, A)
    let probs: Buffer<T>                                                        // (B, NH, T, T)
    let residual1: Buffer<T>, normed1: Buffer<T>, residual2: Buffer<T>          // (B·T, C)
    let ffnPre: Buffer<T>, ffnAct: Buffer<T>                                    // (B·T, I)
    let queryInputHat: Buffer<T>?, keyInputHat: Buffer<T>?, valueInputHat: Buffer<T>?, normed1Hat: Buffer<T>?   // (B·T, C)
    let qHat: Buffer<T>?, kHat: Buffer<T>?, vHat: Buffer<T>?, contextHat: Buffer<T>?                           // (B·T, A)
    let probsHat: Buffer<T>?                                                    // (B, NH, T, T)
    let ffnActHat: Buffer<T>?                                                   // (B·T, I)

    init(tokens n: Int, hidden h: Int, heads a: Int, intermediate i: Int, scoreCount s: Int, quantized: Bool) {
        func make(_ count: Int) -> Buffer<T>? { quantized ? Buffer(count: count) : nil }
        q = Buffer(count: n * a); k = Buffer(count: n * a); v = Buffer(count: n * a); context = Buffer(count: n * a)
        probs = Buffer(count: s)
        residual1 = Buffer(count: n * h); normed1 = Buffer(count: n * h); residual2 = Buffer(count: n * h)
        ffnPre = Buffer(count: n * i); ffnAct = Buffer(count: n * i)
        queryInputHat = make(n * h); keyInputHat = make(n * h); valueInputHat = make(n * h); normed1Hat = make(n * h)
        qHat = make(n * a); kHat = make(n * a); vHat = make(n * a); contextHat = make(n * a)
        probsHat = make(s)
        ffnActHat = make(n * i)
    }
}
