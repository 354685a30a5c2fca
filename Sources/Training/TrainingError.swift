import Storage
/// Why a training run stopped early.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A NaN or infinite value (`what`: the loss, a gradient, the weights, the dev loss) at a step, naming the batch.
    case nonFinite(what: String, step: Int, batch: String, lastGoodCheckpoint: String?)
    case emptyDataset(String)
    case resumeMismatch(String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .nonFinite(what, step, batch, checkpoint):
            // The advice fits the cause: a loss or gradient that diverged wants a smaller step; weights that are already
            // non-finite came from the model or the checkpoint loaded, which a smaller --lr does not mend.
            let advice = what.hasPrefix("the weights") ? "check the model or checkpoint it started from" : "try a smaller --lr"
            return "\(what) became NaN or infinite at step \(step) (\(batch)); stopped (\(advice)). "
                + (checkpoint.map { "The last good checkpoint is \($0)." } ?? "No checkpoint had been written yet.")
        case let .emptyDataset(what): return "\(what) has no examples"
        case let .resumeMismatch(why): return "cannot resume: \(why)"
        case let .invalidOption(why): return why
        }
    }
}

/// Its option case is a usage error.
extension TrainingError: UsageError {
    public var isUsageError: Bool { if case .invalidOption = self { true } else { false } }
}
