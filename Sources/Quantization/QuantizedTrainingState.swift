import BERT
import Foundation
import Storage
import Numerics
import Training

/// The part of a quantized student's training state that `FineTuner`'s checkpoint (latent weights W or W₁, and
/// their optimizer) does not hold: the second halves W₂ of a split model with their own Adam moments
/// (`quantized_state.safetensors`), and the activation quantizers' parameters with their Adam moments
/// (`activation_quantizers.json`), and LAQ's scales α (`laq_scales.json`). Written into and read from
/// `checkpoint-last/`.
enum QuantizedTrainingState {
    static let tensorsFile = "quantized_state.safetensors"
    static let activationFile = "activation_quantizers.json"
    static let lossAwareFile = "laq_scales.json"

    static func save<T: BLASReal>(student: QuantizedBertModel<T>, secondOptimizer: BertAdam<T>?, to dir: URL) throws {
        if let w2 = student.secondHalf, let opt = secondOptimizer {
            var writer = SafetensorsWriter(metadata: ["step": String(opt.stepCount)])
            writer.add("second_half", shape: [w2.count], values: UnsafeBufferPointer(w2.buffer))
            writer.add("second_half.exp_avg", shape: [w2.count], values: UnsafeBufferPointer(opt.firstMoment.buffer))
            writer.add("second_half.exp_avg_sq", shape: [w2.count], values: UnsafeBufferPointer(opt.secondMoment.buffer))
            try writer.write(to: dir.appendingPathComponent(tensorsFile))
        }
        if let aq = student.activationQuantizers {
            try ModelDirectory.atomicWrite(try JSONFormat.file(aq.checkpoint), to: dir.appendingPathComponent(activationFile))
        }
        if student.quantizer == .lossAwareTernary {
            try ModelDirectory.atomicWrite(try JSONFormat.file(student.laqScales), to: dir.appendingPathComponent(lossAwareFile))
        }
    }

    static func restore<T: BLASReal>(student: QuantizedBertModel<T>, secondOptimizer: BertAdam<T>?, from dir: URL) throws {
        if let w2 = student.secondHalf, let opt = secondOptimizer {
            let url = dir.appendingPathComponent(tensorsFile)
            let file = try SafetensorsFile(contentsOf: url)
            try file.copyValues("second_half", into: w2.pointer, count: w2.count)
            try file.copyValues("second_half.exp_avg", into: opt.firstMoment.pointer, count: w2.count)
            try file.copyValues("second_half.exp_avg_sq", into: opt.secondMoment.pointer, count: w2.count)
            guard let step = file.metadata["step"].flatMap(Int.init) else {
                throw CheckpointError.malformedHeader(file: url.path, reason: "no step in the metadata")
            }
            opt.restore(stepCount: step)
        }
        if let aq = student.activationQuantizers {
            let url = dir.appendingPathComponent(activationFile)
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw QuantizationError.badSpec(file: url.path, reason: "cannot read the activation quantizers' state")
            }
            let checkpoint: ActivationQuantizerSet.Checkpoint
            do { checkpoint = try JSONFormat.decoder().decode(ActivationQuantizerSet.Checkpoint.self, from: data) } catch {
                throw QuantizationError.badSpec(file: url.path, reason: "not an activation quantizer checkpoint (\(error))")
            }
            try aq.restore(checkpoint)
        }
        if student.quantizer == .lossAwareTernary {
            let url = dir.appendingPathComponent(lossAwareFile)
            guard let data = try? Data(contentsOf: url), let scales = try? JSONDecoder().decode([[Double]].self, from: data),
                  scales.map(\.count) == student.laqScales.map(\.count) else {
                throw QuantizationError.badSpec(file: url.path, reason: "missing, or not the LAQ scales of this model")
            }
            student.laqScales = scales
        }
        student.refresh()
    }
}
