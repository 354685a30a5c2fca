import BERT
import Curvature
import Foundation
import AdaptiveSplit
import Probe
import Landscape
import Quantization
import Report
import Text

extension FuzzTarget {
    /// Valid inputs of the target (named), the starting corpus the fuzzer mutates and the mutation test varies.
    /// `Tests/Fuzz/corpus/TARGET/` holds these files (`binarybert-fuzz --write-seeds DIR` writes them).
    public func seeds() throws -> [(name: String, data: Data)] {
        let w = FuzzWorkspace.shared
        func file(_ dir: URL, _ name: String) throws -> Data { try Data(contentsOf: dir.appendingPathComponent(name)) }
        func text(_ s: String) -> Data { Data(s.utf8) }
        switch self {
        case .safetensors, .model:
            return [("tiny-model.safetensors", try file(w.plain, "model.safetensors"))]
        case .config:
            return [("tiny-config.json", try file(w.plain, "config.json")),
                    ("sliced-config.json", text(#"{"vocab_size": 12, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "attention_head_size": 2, "intermediate_size": 4, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 16, "type_vocab_size": 2, "layer_norm_eps": 1e-12}"#))]
        case .quantization:
            return [("twn.json", try file(w.packed, "quantization.json"))]
        case .packed:
            return [("tiny.packed.safetensors", try file(w.packed, PackedModel.fileName))]
        case .vocab:
            return [("vocab.txt", try file(w.plain, "vocab.txt"))]
        case .tsv:
            // First byte: the task's index in Tasks.all (| 0x80: skip bad rows).
            let index = { (name: String) in UInt8(Tasks.all.firstIndex { $0.name == name }!) }
            return [("sst-2.tsv", Data([index("sst-2")]) + text("sentence\tlabel\nthe movie is good\t1\ndull\t0\n")),
                    ("mrpc.tsv", Data([index("mrpc")]) + text("Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tA b.\tA b c.\n")),
                    ("sts-b.tsv", Data([index("sts-b")]) + text("index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n0\ta\tb\tc\td\te\tf\tA man.\tA man plays.\t4.2\n")),
                    ("rt-polarity.txt", Data([index("rt-polarity")]) + text("1\t2.5\tA gripping, well-acted film.\n2\t-1.7\tDull and flat.\n"))]
        case .reportSpec:
            return [("quick.json", try ReportSpec.preset(.quick).json()), ("paper.json", try ReportSpec.preset(.paper).json())]
        case .reportTable:
            return [("per-module.csv", text("replicate,model,module,layer,batch,lambda_max\n1,bwn,mha-qk,0,0,8.93e-07\n1,ternary,mha-qk,0,0,nan\n")),
                    ("verdicts.csv", text("claim,text,estimate,verdict\nfig1,\"Accuracy drops, sharply\",0.1,supported\n"))]
        case .csv:
            return [("tidy.csv", text("model,x,loss,metric\nbinary,-1,0.71,0.5\nbinary,0,0.69,0.52\n\"ternary, split\",1,0.7,\n"))]
        case .surface:
            return [("surface.csv", text(SurfaceCSV.header + "\n0,0,-1,-1,0.69,0.5\n1,0,-0.5,-1,0.7,0.5\n4,2,1,1,0.8,0.4\n"))]
        case .permodule:
            return [("per-module.csv", text(PerModuleRow.header + "\nfp,mha-qk,0,0,1.5,-0.25,0.001,20,0.5,true\n"))]
        case .sensitivity:
            let row = SplitSensitivityRow(name: "bert.encoder.layer.0.attention.self.query.weight", module: "query", layer: 0, count: 64,
                                          splitBytes: 24, perturbation: 0.5, measuredGain: 0.01, trace: 2, traceStandardError: 0.1,
                                          curvatureGain: 0.0078, matvecs: 12, seconds: 1)
            return [("sensitivity.csv", text(SplitSensitivityRow.header + "\n" + row.csvLine + "\n"))]
        case .json:
            return [("marker.json", text(#"{"arguments": ["finetune", "--epochs", "2"], "id": "teacher", "result": {"best": {"accuracy": 0.75}, "steps": 40, "x": [1e-3, null, true, "é"]}, "seconds": 12.5}"#))]
        case .spec:
            return [("selection", Data([0]) + text("value@0,1+ffn-output@1")), ("grid", Data([1]) + text("-1:1:21")),
                    ("directions", Data([2]) + text("filter")), ("shard", Data([3]) + text("2/4"))]
        case .eigenvectors:
            let selection = Array(w.table.views.prefix(3))
            let url = try w.scratch("seed-eigenvectors").appendingPathComponent("v.safetensors")
            try EigenvectorFile.write((0..<selection.reduce(0) { $0 + $1.count }).map { Double($0) / 100 }, selection: selection,
                                      to: url, metadata: ["eigenvalue": "1.5"])
            return [("eigenvector.safetensors", try Data(contentsOf: url))]
        }
    }
}
