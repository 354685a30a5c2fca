import BERT
import Foundation
import Numerics
import Storage

/// The teacher of a narrower student (`quantize --width W`, W < 1): the full-precision teacher ranked by importance
/// (unless disabled), sliced to width W and fine-tuned on the task, so that teacher and student have the same heads
/// (as in the official BinaryBERT code) and stage 1 can match their attention scores head by head.
public enum WidthTeacher {
    public struct Options {
        public var width: Double
        public var rank: Bool
        public var rankBatches: Int
        public var fineTune: FineTuneOptions
        public var maxLength: Int

        public init(width: Double, rank: Bool, rankBatches: Int, fineTune: FineTuneOptions, maxLength: Int) {
            self.width = width; self.rank = rank; self.rankBatches = rankBatches; self.fineTune = fineTune; self.maxLength = maxLength
        }
    }

    public struct Result {
        /// The best fine-tuned half-width teacher, as saved in `directory`.
        public var teacher: BertModel<Float>
        public var directory: URL
        public var summary: TrainingSummary
        public var ranked: Bool
    }

    /// OUTPUT/teacher-w0.5 for width 0.5.
    public static func directory(in output: URL, width: Double) -> URL {
        output.appendingPathComponent("teacher-w\(width)")
    }

    /// Ranks (optionally), slices and fine-tunes `full`; writes the model, `metrics.json`, `train_log.csv` and, when
    /// ranked, `importance.json` into `directory(in: output, width:)`.
    /// With `resume`, a teacher finished earlier (its metrics.json exists) is loaded as it is, and an interrupted
    /// fine-tuning continues from its checkpoint-last/ (ranking and slicing are deterministic, so they are redone).
    public static func prepare(full: BertModel<Float>, train: EncodedDataset, dev: EncodedDataset, options: Options, output: URL,
                        tokenizerSource: URL, progress: ProgressReporter, resume: Bool = false) throws -> Result {
        let dir = directory(in: output, width: options.width)
        let fm = FileManager.default
        let metricsURL = dir.appendingPathComponent(TrainingSummary.fileName)
        if resume, let data = try? Data(contentsOf: metricsURL) {
            let summary = try JSONFormat.decoder().decode(TrainingSummary.self, from: data)
            guard summary.options == options.fineTune else {
                throw TrainingError.resumeMismatch("\(dir.path) holds a teacher fine-tuned with other options; remove it or change OUTPUT")
            }
            progress.note("teacher at width \(options.width): finished earlier, loading \(dir.path)")
            let ranked = fm.fileExists(atPath: dir.appendingPathComponent("importance.json").path)
            return Result(teacher: try ModelDirectory.load(dir, as: Float.self), directory: dir, summary: summary, ranked: ranked)
        }
        let resumeFineTuning = resume && TrainingCheckpoint.resumable(in: dir) != nil
        let ranking = options.rank
            ? ImportanceSlicing.Ranking(train: train, batches: options.rankBatches, batchSize: options.fineTune.batchSize,
                                        maxLength: options.maxLength, seed: options.fineTune.seed)
            : nil
        let (sliced, report) = try ImportanceSlicing.slice(full, width: options.width, ranking: ranking, progress: progress)
        progress.note("teacher at width \(options.width): \(sliced.config.numAttentionHeads) heads, FFN \(sliced.config.intermediateSize)"
                      + (report != nil ? " (most important kept)" : " (first kept)") + "; fine-tuning \(options.fineTune.epochs) epochs into \(dir.path)")
        try report?.write(to: dir)
        let summary = try FineTuner(model: sliced, train: train, dev: dev, options: options.fineTune, output: dir,
                                    tokenizerSource: tokenizerSource, progress: progress).run(resume: resumeFineTuning)!
        let best = try ModelDirectory.load(dir, as: Float.self)
        return Result(teacher: best, directory: dir, summary: summary, ranked: report != nil)
    }

    /// Adds `width`, `width_ranked`, the teacher's directory and its best dev metrics to OUTPUT/metrics.json.
    public static func annotateMetrics(in output: URL, result: Result, width: Double) throws {
        let url = output.appendingPathComponent(TrainingSummary.fileName)
        let data = try Data(contentsOf: url)
        guard let summary = try? JSONFormat.decoder().decode(TrainingSummary.self, from: data) else { return }
        let annotated = AnnotatedSummary(summary: ReadBackNumbers(summary), width: .init(width: width, widthRanked: result.ranked, widthTeacher: result.directory.path,
                                                                        widthTeacherBest: result.summary.best))
        try ModelDirectory.atomicWrite(try JSONFormat.file(annotated), to: url)
    }

    /// A narrower student's `metrics.json`: its training summary, the width, whether the teacher was ranked, the
    /// teacher's directory and its best dev metrics.
    struct AnnotatedSummary: Encodable {
        var summary: ReadBackNumbers<TrainingSummary>
        var width: Width

        struct Width: Encodable {
            var width: Double
            var widthRanked: Bool
            var widthTeacher: String
            var widthTeacherBest: [String: Double]
        }

        func encode(to encoder: Encoder) throws {
            try JSONObjectParts(summary, width).encode(to: encoder)
        }
    }
}
