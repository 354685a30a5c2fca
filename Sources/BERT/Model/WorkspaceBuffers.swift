import Numerics

/// The size of a batch as workspaces see it: activation rows, attention-score entries (all heads), sequences.
struct WorkspaceShape: Equatable {
    var tokens: Int, scores: Int, sequences: Int

    init(tokens: Int, scores: Int, sequences: Int) {
        self.tokens = tokens
        self.scores = scores
        self.sequences = sequences
    }

    init(_ layout: SequenceLayout, heads: Int) {
        self.init(tokens: layout.tokenCount, scores: layout.scoreCount(heads: heads), sequences: layout.count)
    }

    func fits(in capacity: WorkspaceShape) -> Bool {
        tokens <= capacity.tokens && scores <= capacity.scores && sequences <= capacity.sequences
    }

    /// Room for k copies of this shape one after the other (the k columns of a block curvature product).
    func columns(_ k: Int) -> WorkspaceShape {
        WorkspaceShape(tokens: k * tokens, scores: k * scores, sequences: k * sequences)
    }

    /// The componentwise maximum: a capacity that holds both.
    func union(_ o: WorkspaceShape) -> WorkspaceShape {
        WorkspaceShape(tokens: max(tokens, o.tokens), scores: max(scores, o.scores), sequences: max(sequences, o.sequences))
    }
}

/// The buffers of one workspace (activations, tangents, backward scratch), each sized per token, per score entry, per
/// sequence or fixed. They are allocated once for a capacity and resized in place for every batch that fits it, so
/// a list of batches of different lengths (packed batches all differ) reuses one allocation instead of zeroing fresh
/// pages per batch.
final class WorkspaceBuffers<T: BLASReal> {
    private enum Extent { case tokens(Int), scores, sequences(Int), fixed(Int) }
    private var entries: [(Buffer<T>, Extent)] = []
    let capacity: WorkspaceShape
    private(set) var shape: WorkspaceShape

    init(capacity: WorkspaceShape, shape: WorkspaceShape) {
        precondition(shape.fits(in: capacity), "WorkspaceBuffers: shape beyond capacity")
        self.capacity = capacity
        self.shape = shape
    }

    private func count(_ e: Extent, _ s: WorkspaceShape) -> Int {
        switch e {
        case let .tokens(w): return s.tokens * w
        case .scores: return s.scores
        case let .sequences(w): return s.sequences * w
        case let .fixed(n): return n
        }
    }

    private func make(_ e: Extent) -> Buffer<T> {
        let b = Buffer<T>(count: count(e, capacity))
        b.resize(count(e, shape))
        entries.append((b, e))
        return b
    }

    /// A buffer of `width` values per token (row).
    func tokens(_ width: Int) -> Buffer<T> { make(.tokens(width)) }
    /// A buffer of one value per attention-score entry.
    func scores() -> Buffer<T> { make(.scores) }
    /// A buffer of `width` values per sequence.
    func sequences(_ width: Int) -> Buffer<T> { make(.sequences(width)) }
    /// A buffer of `n` values whatever the batch.
    func fixed(_ n: Int) -> Buffer<T> { make(.fixed(n)) }

    /// Resizes every buffer for `newShape` (which must fit the capacity).
    func resize(to newShape: WorkspaceShape) {
        precondition(newShape.fits(in: capacity), "WorkspaceBuffers: shape beyond capacity")
        guard newShape != shape else { return }
        shape = newShape
        for (b, e) in entries { b.resize(count(e, newShape)) }
    }
}
