import ArgumentParser
import Numerics
import Quantization

/// `binarybert forward`: hidden states, pooled output and logits of a model for the examples of a file.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "forward",
        abstract: "Run a model on text lines (or token ids) and write its outputs to a safetensors file.",
        discussion: """
        Each input line is one example; a tab separates the two sentences of a pair. With --ids, each line is instead \
        the complete sequence of token ids (special tokens included), separated by spaces, used as-is; token types \
        are 0 up to and including the first [SEP] (looked up in the model's vocab.txt) and 1 after it.
        The output holds input_ids, token_type_ids and attention_mask (I64, [batch, seq]), hidden_states.0 … \
        hidden_states.L ([batch, seq, hidden], 0 = embeddings output), pooled ([batch, hidden]) when the model has a \
        pooler and logits ([batch, labels]) when it has a classifier. Sequences are padded to the longest one.
        """)

    @Option(help: "Model directory (config.json, model.safetensors, vocab.txt).") var model: String
    @Option(help: "Input file, one example per line (\"-\" for standard input).") var input: String
    @Option(help: "Output .safetensors file.") var output: String
    @Option(help: "Truncate tokenized examples to at most N tokens (default: max_position_embeddings).") var maxLength: Int?
    @Option(help: "Compute in \(DType.allCases.map(\.rawValue).joined(separator: " or ")).") var dtype: DType = .float32
    @Option(help: "Examples per forward call.") var batchSize = 32
    @Flag(help: "Input lines are space-separated token ids.") var ids = false
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
        try OptionCheck.maxLength(maxLength)
    }

    func run() throws {
        try threading.apply()
        var job = ForwardJob(model: model, input: input, output: output)
        job.maxLength = maxLength; job.dtype = dtype; job.batchSize = batchSize; job.ids = ids
        standardError(try job.run())
    }
}
