import ArgumentParser
import Numerics
import Quantization

/// `binarybert forward`: hidden states, pooled output and logits of a model for the examples of a file.
struct ForwardCommand: ThreadedCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "forward",
        abstract: "Run a model on text lines (or token ids) and write its outputs to a safetensors file.",
        discussion: """
        Each input line is one example (a tab separates a pair), or with --ids its complete sequence of token ids, \
        special tokens included (token types: 0 up to the first [SEP], 1 after it). The output holds input_ids, \
        token_type_ids, attention_mask, hidden_states.0 … hidden_states.L (0 = embeddings output), pooled and logits \
        (when the model has them), padded to the longest sequence.
        """)

    @Option(help: "Model directory (config.json, model.safetensors, vocab.txt).") var model: String
    @Option(help: "Input file, one example per line (\"-\" for standard input).") var input: String
    @Option(help: "Output .safetensors file.") var output: String
    @Option(help: "Truncate tokenized examples to at most N tokens (default: max_position_embeddings).") var maxLength: Int?
    @Option(help: "Precision of the computation.") var dtype: DType = .float32
    @Option(help: "Examples per forward call.") var batchSize = 32
    @Flag(help: "Input lines are space-separated token ids.") var ids = false
    @OptionGroup var threading: ThreadOptions

    var job: ForwardJob {
        var job = ForwardJob(model: model, input: input, output: output)
        job.maxLength = maxLength; job.dtype = dtype; job.batchSize = batchSize; job.ids = ids
        return job
    }

    func check() throws { try job.validate() }

    func run() throws { standardError(try job.run()) }
}
