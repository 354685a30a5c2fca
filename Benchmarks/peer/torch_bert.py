#!/usr/bin/env python3
"""PyTorch peer benchmark for binarybert: BERT encoder + 2-way classification head in float32 on the CPU.

    pip install "torch==2.13.0+cpu" transformers
    python Benchmarks/peer/torch_bert.py --threads 2

Shape defaults to all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads, intermediate 1536, vocab 30522, gelu),
randomly initialized; batch 32 × sequence 128, every token unmasked. Two measurements, each the median wall time
over --iters runs after --warmup runs:
  * forward:          model.eval(), torch.no_grad(), logits only
  * forward+backward: cross-entropy loss on the logits, loss.backward() (parameter gradients; no optimizer step);
                      dropout probabilities are 0 so both passes compute the same function as inference.
Prints one JSON object on stdout.

FLOPs (matrix multiplications only; 1 multiply-add = 2 FLOPs), with H = hidden, I = intermediate, T = seq:
  per token per layer, forward:
      2·(4·H·H + 2·H·I)   Q, K, V and attention-output projections (4·H·H) and the two FFN matrices (2·H·I)
    + 2·2·T·H             scores Q·Kᵀ (T·H per token) and probabilities·V (T·H per token)
  forward  = batch · T · layers · that  +  batch · 2·(H·H + H·labels)   (pooler + classifier, negligible)
  backward = 2 × forward (gradients with respect to both operands of every product)
  forward+backward = 3 × forward
"""

import argparse
import json
import os
import re
import statistics
import time


def parse_args():
    p = argparse.ArgumentParser(description="PyTorch BERT peer benchmark (float32, CPU)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--num-layers", dest="layers", type=int, default=6)
    p.add_argument("--hidden", type=int, default=384)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--intermediate", type=int, default=1536)
    p.add_argument("--vocab", type=int, default=30522)
    p.add_argument("--labels", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--attn", choices=["sdpa", "eager"], default="sdpa",
                   help="transformers attention implementation (sdpa = torch's fused kernel)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def forward_flops(batch, seq, layers, hidden, intermediate, labels):
    per_token_layer = 2 * (4 * hidden * hidden + 2 * hidden * intermediate) + 2 * 2 * seq * hidden
    head = batch * 2 * (hidden * hidden + hidden * labels)
    return batch * seq * layers * per_token_layer + head


def blas_info(config_text):
    """BLAS_INFO=... from torch.__config__.show() (mkl for the x86 wheels, openblas for others)."""
    match = re.search(r"BLAS_INFO=([A-Za-z0-9_]+)", config_text)
    return match.group(1) if match else "unknown"


def median_time(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gemm_peak(torch):
    """Best of four 2048 x 2048 float32 products, as `binarybert bench` measures OpenBLAS's peak (GFLOP/s)."""
    n = 2048
    g = torch.Generator().manual_seed(7)
    a = torch.rand(n, n, generator=g) - 0.5
    b = torch.rand(n, n, generator=g) - 0.5
    torch.mm(a, b)
    best = 0.0
    for _ in range(4):
        start = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2 * n ** 3 / (time.perf_counter() - start) / 1e9)
    return best


def main():
    args = parse_args()
    import torch
    import transformers
    from transformers import BertConfig, BertForSequenceClassification

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = BertConfig(
        vocab_size=args.vocab, hidden_size=args.hidden, num_hidden_layers=args.layers,
        num_attention_heads=args.heads, intermediate_size=args.intermediate, hidden_act="gelu",
        max_position_embeddings=max(512, args.seq), type_vocab_size=2, layer_norm_eps=1e-12,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, num_labels=args.labels,
    )
    config._attn_implementation = args.attn
    model = BertForSequenceClassification(config).to(torch.float32)
    assert model.config._attn_implementation == args.attn, model.config._attn_implementation

    g = torch.Generator().manual_seed(args.seed + 1)
    input_ids = torch.randint(1000, args.vocab, (args.batch, args.seq), generator=g)
    attention_mask = torch.ones_like(input_ids)
    token_type_ids = torch.zeros_like(input_ids)
    labels = torch.randint(0, args.labels, (args.batch,), generator=g)

    def forward():
        with torch.no_grad():
            model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    def forward_backward():
        model.zero_grad(set_to_none=True)
        logits = model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits
        torch.nn.functional.cross_entropy(logits, labels).backward()

    model.eval()
    t_fwd = median_time(forward, args.warmup, args.iters)
    model.train()  # dropout probabilities are 0: same function, autograd on
    t_fwd_bwd = median_time(forward_backward, args.warmup, args.iters)

    tokens = args.batch * args.seq
    flops_fwd = forward_flops(args.batch, args.seq, args.layers, args.hidden, args.intermediate, args.labels)
    flops_fwd_bwd = 3 * flops_fwd
    config_text = torch.__config__.show()
    peak = gemm_peak(torch)
    result = {
        "impl": "pytorch",
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "threads": torch.get_num_threads(),
        "batch": args.batch,
        "seq": args.seq,
        "layers": args.layers,
        "hidden": args.hidden,
        "heads": args.heads,
        "intermediate": args.intermediate,
        "attn": args.attn,
        "dtype": "float32",
        "iters": args.iters,
        "fwd_seconds": t_fwd,
        "fwd_bwd_seconds": t_fwd_bwd,
        "fwd_tokens_per_s": tokens / t_fwd,
        "fwd_bwd_tokens_per_s": tokens / t_fwd_bwd,
        "gflops_fwd": flops_fwd / t_fwd / 1e9,
        "gflops_fwd_bwd": flops_fwd_bwd / t_fwd_bwd / 1e9,
        "sgemm_peak_gflops": peak,
        "fraction_of_peak_fwd_bwd": flops_fwd_bwd / t_fwd_bwd / 1e9 / peak,
        "blas": blas_info(config_text),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
