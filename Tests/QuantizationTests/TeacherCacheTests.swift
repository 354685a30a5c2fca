import XCTest
import BERT
import Numerics
import Storage
import Training
@testable import Quantization

/// The teacher's targets shared among students through a `TeacherCache`: the runs that store entries and the runs
/// that read them train the same bytes as runs without it; an entry is only read back for the same teacher, scalar
/// type, kind and batch, and a cut or damaged one is computed again.
final class TeacherCacheTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("bb-teacher-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    /// Two students of one seed (BWN, then TWN): the first computes and stores every batch's targets, the second
    /// reads them all; each trains the same weights, activation clips and metrics as without the cache.
    func testStudentsSharingTheTeacherTrainTheSameBytes() throws {
        let train = SyntheticTask.data(count: 64, seed: 1), dev = SyntheticTask.data(count: 32, seed: 2)
        let quiet = ProgressReporter(enabled: false)
        let teacher = try tinyTeacher(Double.self, seed: 6)
        var options = DistillationOptions()
        options.epochsPerStage = 1; options.batchSize = 16; options.learningRate = 5e-4; options.evalEvery = 1000
        let steps = 64 / 16
        let cache = try TeacherCache(directory: root.appendingPathComponent("cache"), teacher: teacher)
        for (k, method) in ["bwn", "twn"].enumerated() {
            let plain = try student(of: teacher, method: method), shared = try student(of: teacher, method: method)
            let expected = try DistillationPipeline.run(student: plain, teacher: teacher, train: train, dev: dev, options: options,
                                                        output: root.appendingPathComponent("\(method)-plain"), tokenizerSource: nil, progress: quiet)
            let summary = try DistillationPipeline.run(student: shared, teacher: teacher, train: train, dev: dev, options: options,
                                                       output: root.appendingPathComponent("\(method)-shared"), tokenizerSource: nil,
                                                       progress: quiet, teacherCache: cache)
            XCTAssertEqual(shared.model.parameters.array, plain.model.parameters.array, method)
            XCTAssertEqual(shared.activationQuantizers!.serialized, plain.activationQuantizers!.serialized, method)
            XCTAssertEqual(summary.best, expected.best, method)
            XCTAssertEqual(summary.final, expected.final, method)
            for file in ["model.safetensors", "stage1/model.safetensors"] {
                XCTAssertEqual(try Data(contentsOf: root.appendingPathComponent("\(method)-shared/\(file)")),
                               try Data(contentsOf: root.appendingPathComponent("\(method)-plain/\(file)")), "\(method) \(file)")
            }
            // Stage 1 and stage 2 draw their own batches: the first student computes both stages' targets.
            XCTAssertEqual(cache.misses, 2 * steps, method)
            XCTAssertEqual(cache.hits, k * 2 * steps, method)
        }
        XCTAssertNil(cache.writeFailure)
        XCTAssertEqual(try entries(in: cache.directory).count, 2 * steps)
    }

    /// An entry holds exactly what the forward computed; it is not read for another teacher, scalar type or kind;
    /// a file cut short or with a damaged value is computed again and replaced; temporaries of dead writers go.
    func testEntriesAreReadOnlyWhenWholeAndForTheSameComputation() throws {
        let teacher = try tinyTeacher(Double.self, seed: 3)
        let batch = TokenBatch(sequences: [[2, 5, 7, 9, 3], [2, 11, 3]])
        let dir = root.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let leftover = dir.appendingPathComponent(".x.teacher\(Temporaries.marker)\(Int32.max - 1)")
        XCTAssertTrue(FileManager.default.createFile(atPath: leftover.path, contents: Data([1, 2, 3])))
        let cache = try TeacherCache(directory: dir, teacher: teacher)
        XCTAssertFalse(FileManager.default.fileExists(atPath: leftover.path), "a dead writer's temporary is removed")

        let expected = TeacherTargets(.intermediate, of: try teacher.forward(batch), layers: 2).buffers.map(\.array)
        func read(_ kind: TeacherTargets<Double>.Kind = .intermediate) throws -> [[Double]] {
            try cache.targets(kind, for: batch) { try teacher.forward(batch) }.buffers.map(\.array)
        }
        XCTAssertEqual(try read(), expected)
        XCTAssertEqual([cache.hits, cache.misses], [0, 1])
        XCTAssertEqual(try read(), expected)
        XCTAssertEqual([cache.hits, cache.misses], [1, 1])
        let entry = try XCTUnwrap(try entries(in: dir).first)

        // Cut short: computed again and rewritten whole.
        let whole = try Data(contentsOf: entry)
        try whole.prefix(whole.count - 9).write(to: entry)
        XCTAssertEqual(try read(), expected)
        XCTAssertEqual([cache.hits, cache.misses], [1, 2])
        XCTAssertEqual(try Data(contentsOf: entry), whole)
        // One value changed: the checksum refuses it.
        var damaged = whole
        damaged[TeacherCache<Double>.headerBytes + 100] ^= 0x10
        try damaged.write(to: entry)
        XCTAssertEqual(try read(), expected)
        XCTAssertEqual([cache.hits, cache.misses], [1, 3])
        XCTAssertEqual(try read(), expected)
        XCTAssertEqual([cache.hits, cache.misses], [2, 3])

        // The logits are another entry.
        XCTAssertEqual(try read(.logits), [try teacher.forward(batch).logits!.array])
        XCTAssertEqual([cache.hits, cache.misses], [2, 4])
        // Another batch, another teacher's weights, another scalar type: other entries.
        let other = TokenBatch(sequences: [[2, 5, 7, 9, 3], [2, 12, 3]])
        XCTAssertNotEqual(cache.entryURL(.intermediate, other), entry)
        let moved = try tinyTeacher(Double.self, seed: 3)
        moved.parameters[7] += 1e-12
        XCTAssertNotEqual(try TeacherCache(directory: dir, teacher: moved).entryURL(.intermediate, batch), entry)
        let single = try tinyTeacher(Float.self, seed: 3)
        XCTAssertNotEqual(try TeacherCache(directory: dir, teacher: single).entryURL(.intermediate, batch), entry)
        XCTAssertEqual(try TeacherCache(directory: dir, teacher: try tinyTeacher(Double.self, seed: 3)).entryURL(.intermediate, batch), entry)
    }

    /// A write that fails (the folder gone, a full disk) stops the writing, not the run: the targets are still the
    /// forward's, and the failure is reported once in the summary.
    func testAFailedWriteLeavesTheRunComputing() throws {
        let teacher = try tinyTeacher(Float.self, seed: 4)
        let dir = root.appendingPathComponent("cache")
        let cache = try TeacherCache(directory: dir, teacher: teacher)
        try FileManager.default.removeItem(at: dir)
        XCTAssertTrue(FileManager.default.createFile(atPath: dir.path, contents: Data()))   // a file where the folder was
        let batch = TokenBatch(sequences: [[2, 5, 3], [2, 8, 9, 3]])
        let expected = try teacher.forward(batch).logits!.array
        for _ in 0..<2 {
            XCTAssertEqual(try cache.targets(.logits, for: batch) { try teacher.forward(batch) }.logits!.array, expected)
        }
        XCTAssertEqual([cache.hits, cache.misses], [0, 2])
        let failure = try XCTUnwrap(cache.writeFailure)
        XCTAssertTrue(cache.summary.contains("writing stopped"), cache.summary)
        XCTAssertFalse(failure.isEmpty)
    }

    private func tinyTeacher<T: BLASReal>(_: T.Type, seed: UInt64) throws -> BertModel<T> {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32,
                                hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, maxPositionEmbeddings: 16, numLabels: 2)
        let teacher = try BertModel<T>(config: config)
        teacher.randomizeAllParameters(seed: seed, std: 0.2)
        return teacher
    }

    private func student(of teacher: BertModel<Double>, method: String) throws -> QuantizedBertModel<Double> {
        let base = try BertModel<Double>(config: teacher.config)
        base.parameters.copy(from: teacher.parameters)
        return try QuantizedBertModel(model: base, spec: QuantizationSpec(
            method: method, weightBits: method == "bwn" ? 1 : 2, activationBits: 8,
            quantizedTensors: QuantizationSpec.defaultQuantizedTensors(base.table)))
    }

    private func entries(in dir: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == TeacherCache<Double>.fileExtension }
    }
}
