import ArgumentParser
import Foundation
import Numerics
import Report
import Storage
import Training

@main
struct BinaryBERTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "binarybert",
        abstract: "BinaryBERT toolkit: BERT on OpenBLAS, quantization and loss-landscape analysis.",
        version: BinaryBERTVersion.string,
        subcommands: [InfoCommand.self, TokenizeCommand.self, ForwardCommand.self, FinetuneCommand.self, EvaluateCommand.self,
                      QuantizeCommand.self, SplitCommand.self, SliceCommand.self, ExportCommand.self, BenchCommand.self,
                      PlotCommand.self, HessianCommand.self, BenchHessianCommand.self, LandscapeCommand.self, BenchLandscapeCommand.self,
                      ReportCommand.self, AdaptiveSplitCommand.self, SharpnessCommand.self]
    )

    static func main() {
        BLASCoreSelection.reexecIfNeeded()
        ParentWatch.start()
        AllocatorTuning.keepFreedMemory()
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            try (command as? ThreadedCommand)?.threading.apply()
            try command.run()
        } catch let error as UsageError where error.isUsageError {
            // An option refused once the command runs (it did not fit what the run read): a usage error like those of
            // validate(), exit 64, but the sentence alone, without the usage text that belongs to parse errors.
            FileHandle.standardError.write("Error: \(error)\n".data(using: .utf8)!)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch let error as ValidationError {
            FileHandle.standardError.write("Error: \(error.message)\n".data(using: .utf8)!)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch let error where IOErrorText.sentence(error) != nil {
            // A Foundation file error that no layer turned into its own sentence: the path and a short reason.
            FileHandle.standardError.write("Error: \(IOErrorText.sentence(error)!)\n".data(using: .utf8)!)
            Foundation.exit(EXIT_FAILURE)
        } catch {
            exit(withError: error)
        }
    }
}
