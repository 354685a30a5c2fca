/// Why a training run stopped early.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case nonFiniteLoss(step: Int, lastGoodCheckpoint: String?)
    case emptyDataset(String)
    case resumeMismatch(String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(step, checkpoint):
            return "loss became NaN or infinite at step \(step); stopped. "
                + (checkpoint.map { "The last good checkpoint is \($0)." } ?? "No checkpoint had been written yet.")
        case let .emptyDataset(what): return "\(what) has no examples"
        case let .resumeMismatch(why): return "cannot resume: \(why)"
        case let .invalidOption(why): return why
        }
    }
}
