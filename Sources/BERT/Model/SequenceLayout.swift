/// Where each sequence of a batch lies in the activation rows and in the attention-score buffers.
///
/// Padded (`padded(batch:sequence:)`): every sequence takes T rows, padding included (the attention mask hides it),
/// and each head's scores are a T×T block — the (B, T, C) and (B, NH, T, T) layouts. Packed (`packed(lengths:)`):
/// sequence b takes its own L_b rows, back to back, with no padding at all, and its heads' scores are NH blocks of
/// L_b×L_b; the row-wise layers (dense, LayerNorm, activations) run over Σ L_b rows and attention needs no mask, so an
/// eval forward does only the work its real tokens need.
public struct SequenceLayout: Sendable, Equatable {
    /// Rows of each sequence (T for every one when padded).
    public let lengths: [Int]
    /// First row of each sequence.
    public let offsets: [Int]
    /// Σ_{b' < b} L_b'² for each b: the start of sequence b's score blocks, in units of one head's blocks.
    let squaredOffsets: [Int]
    /// Σ L_b: the activation rows.
    public let tokenCount: Int
    /// Σ L_b²: the score entries per head.
    public let squaredLengthSum: Int
    /// True when the sequences have their own lengths (no padding rows).
    public let isPacked: Bool

    init(lengths: [Int], packed: Bool) {
        self.lengths = lengths
        var offsets = [Int](), squared = [Int](), rows = 0, sq = 0
        offsets.reserveCapacity(lengths.count)
        squared.reserveCapacity(lengths.count)
        for l in lengths {
            offsets.append(rows)
            squared.append(sq)
            rows += l
            sq += l * l
        }
        self.offsets = offsets
        squaredOffsets = squared
        tokenCount = rows
        squaredLengthSum = sq
        isPacked = packed
    }

    /// `batch` sequences of `sequence` rows each (padding included).
    public static func padded(batch: Int, sequence: Int) -> SequenceLayout {
        SequenceLayout(lengths: [Int](repeating: sequence, count: batch), packed: false)
    }

    /// Sequences of the given lengths (each ≥ 1), back to back.
    public static func packed(lengths: [Int]) -> SequenceLayout {
        precondition(lengths.allSatisfy { $0 >= 1 }, "SequenceLayout.packed: every sequence needs at least one token")
        return SequenceLayout(lengths: lengths, packed: true)
    }

    /// Number of sequences.
    public var count: Int { lengths.count }
    /// The longest sequence.
    public var longest: Int { lengths.max() ?? 0 }

    /// Attention-score entries of a batch with `heads` heads.
    public func scoreCount(heads: Int) -> Int { heads * squaredLengthSum }

    /// First score entry of head h of sequence b: an L_b×L_b row-major block.
    @inline(__always)
    public func scoreOffset(_ b: Int, head h: Int, heads: Int) -> Int {
        heads * squaredOffsets[b] + h * lengths[b] * lengths[b]
    }

    /// Calls `body(first entry, rows, columns)` for blocks of score rows that share a row length, covering all
    /// `heads · Σ L_b²` entries in order: one block when all sequences have one length, else one per sequence.
    public func forEachScoreBlock(heads: Int, _ body: (_ start: Int, _ rows: Int, _ cols: Int) -> Void) {
        if let first = lengths.first, lengths.allSatisfy({ $0 == first }) {
            body(0, heads * count * first, first)
            return
        }
        for b in 0..<count where lengths[b] > 0 {
            body(heads * squaredOffsets[b], heads * lengths[b], lengths[b])
        }
    }
}
