import BERT
import Foundation
import Storage

/// `importance.json`: the head and neuron scores of a full model, the orderings applied before slicing (new
/// index j = old index order[l][j]) and how they were measured. A sliced model keeps the first
/// ⌈heads·width⌉ / ⌊intermediate·width⌋ entries of each ordering.
public struct ImportanceReport: Codable, Sendable {
    public static let fileName = "importance.json"

    public var task: String
    public var batches: Int
    public var batchSize: Int
    public var maxLength: Int
    public var width: Double
    /// [layers][heads], [layers][intermediate]
    public var headImportance: [[Double]]
    public var neuronImportance: [[Double]]
    public var headOrder: [[Int]]
    public var neuronOrder: [[Int]]

    enum CodingKeys: String, CodingKey {
        case task, batches, batchSize = "batch_size", maxLength = "max_length", width
        case headImportance = "head_importance", neuronImportance = "neuron_importance"
        case headOrder = "head_order", neuronOrder = "neuron_order"
    }

    public init(importance: HeadNeuronImportance, task: String, batchSize: Int, maxLength: Int, width: Double) {
        self.task = task
        batches = importance.batches
        self.batchSize = batchSize
        self.maxLength = maxLength
        self.width = width
        headImportance = importance.heads
        neuronImportance = importance.neurons
        headOrder = importance.headOrder
        neuronOrder = importance.neuronOrder
    }

    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONFormat.encoder()
        try ModelDirectory.atomicWrite(try encoder.encode(self), to: directory.appendingPathComponent(Self.fileName))
    }
}
