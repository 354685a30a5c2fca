#!/usr/bin/env python3
"""PyTorch peer for `binarybert quantize`: two-stage distillation of a weight-quantized (BWN / TWN), 8-bit-activation
student from a fine-tuned full-precision teacher, on the CPU (float32; --dtype float64 for exact comparisons).

    pip install "torch==2.13.0+cpu" transformers safetensors
    T=runs/report-quick/teacher     # any `binarybert finetune` output (config.json, model.safetensors, vocab.txt)
    python Benchmarks/peer/torch_distill.py --teacher $T --weight-bits 1 --subset 512 --subset-seed 0 --check --threads 1
    python Benchmarks/peer/torch_distill.py --teacher $T --weight-bits 1 --subset 256 --subset-seed 0 --epochs 1 --threads 1
    (Benchmarks/peer/distill_side_by_side.sh runs this and `binarybert quantize` with the same options.)

Recipe, as Sources/Quantization (DistillationPipeline, DistillationLoss, QuantizedBertModel, WeightQuantizer,
ActivationQuantizer) and Sources/Training (FineTuner, BertAdam, LinearWarmupSchedule) compute it:
  * data (as torch_finetune.py): rt-polarity's FNV-1a split, HF BertTokenizer of the teacher folder (lower case),
    single sentences truncated at --max-length. --subset N --subset-seed S draws the same N training examples as the
    Swift option (partial Fisher–Yates with xoshiro256** seeded through SplitMix64, kept in file order); without
    --subset-seed the first N. Training batches: each stage's epoch e shuffles with Swift's `shuffle(using:)` on
    SeededRNG(seed + stage, stream 0x5EED0000 + e), so the batches and their padded shapes are the Swift run's;
    each batch is padded to its longest row. Dev: batches of 64 sorted by length, padded (as `Evaluator`).
    `train_data_sha256` / `dev_data_sha256` are `EncodedDataset.fingerprint` (compare with the Swift metrics.json).
  * model: a hand-written BERT (HF's computation with eager attention; pre-softmax scores and every hidden state
    exposed) in --dtype. Teacher: eval mode, full precision, no gradient.
  * student weights: the word embedding (one scale per row), Q, K, V, attention output, FFN intermediate and output of
    every layer, and the pooler are quantized in the forward pass: BWN α = mean|w|, ŵ = α·sign(w); TWN
    Δ = 0.7·mean|w|, α = mean of |w| over |w| > Δ, ŵ = α·sign(w)·1[|w| > Δ] (in --dtype; Swift sums in float64); the
    classifier, biases, LayerNorms, position and token-type embeddings stay full precision. Straight-through
    estimator: ∂L/∂w = ∂L/∂ŵ. ŵ is recomputed from the latent w in every student forward (once a step).
  * activations (8 bits, TernaryBERT's clip quantizer) at the inputs of Q, K, V (three quantizers of the same
    tensor), Q and K before QKᵀ, V and the attention probabilities (after dropout, asymmetric) before probs·V, the
    inputs of the attention output, FFN intermediate, FFN output (asymmetric) and pooler; per tensor of the whole
    padded batch; learnable clip (lo, hi) from (−2.5, 2.5): symmetric y = round(c·s)/s, s = 127/max|c|, asymmetric
    s = 255/(max c − min c), z = round(min c·s), y = (round(c·s − z) + z)/s, c = clamp(x, lo, hi), round half to
    even; ∂y/∂x = 1 inside (lo, hi), ∂L/∂lo = Σ_{x ≤ lo} ∂L/∂y, ∂L/∂hi = Σ_{x ≥ hi} ∂L/∂y. The clips (float64) have
    their own Adam (β 0.9/0.999, ε 1e-6, no bias correction, no decay, no clipping) at 1e-4 × the stage's schedule,
    lo kept below hi.
  * stage 1: Σ_l MSE(scores_l) + Σ_{l=0..L} MSE(hidden_l), each a mean over its whole padded tensor; scores are
    QKᵀ/√d + mask (masked keys at the dtype's most negative value), entries ≤ −100 set to 0 on both sides.
    LR 2.5 × --lr. Stage 2: soft cross-entropy −Σ softmax(t)·log softmax(s), mean over batch × class entries; LR
    --lr. Each stage: --epochs epochs, its own BertAdam (as torch_finetune.py: no bias correction, decoupled decay
    0.01 except biases and LayerNorm weights, per-tensor gradient clip 1.0; a tensor without gradient, e.g. the
    head in stage 1, steps with a zero gradient as Swift's), linear warm-up over 10 % of its steps then decay to 0.
    Student forward with dropout (hidden and attention 0.1, torch's RNG seeded --seed + stage: masks differ from
    Swift's), dev accuracy every --eval-every steps and at each epoch's end.
  * --check: no training; the post-training-quantized student's dev accuracy and mean cross-entropy (compare with
    `binarybert quantize … --epochs 0`, whose metrics.json has the accuracy, and `binarybert evaluate --model OUT`
    for the loss; with --dtype float64, `binarybert evaluate --dtype float64`).
    What agrees (teacher runs/report-quick/teacher, subset 512 seed 0, max length 32; Analyses/profile/
    distillation-stage.md): weights-only students (--act-bits 32) have Swift's dev accuracy exactly and its loss to
    3e-8 (float32) and to every printed digit (float64). With 8-bit activations, float64 hidden states agree to 1e-14
    up to the first exact rounding tie of a quantizer (the attention-output input: probs·V is a sum of products of
    grid values, so some entries fall exactly on a half level of the next grid), which each side resolves by its
    own summation order; after one, the outputs move by a level. Dev loss then agrees to ≤ 1e-4 and accuracy to a
    few of the 1,061 sentences, the spread Swift shows itself between float32 and float64.
Timing: a step = collate + teacher forward + student forward (with the weight quantization) + loss + backward +
both optimizers; per stage train_seconds (sum), seconds_per_step median and mean (Swift's metrics.json of each
stage times the same work: trainSeconds / steps). Loading, tokenizing and dev evaluation are not in it.
Progress on stderr, one JSON object on stdout (train_losses per step: compare with Swift's --log-every 1 rows).
Not reproduced: dropout masks (another RNG), so training losses agree to dropout noise and trained accuracies only
statistically; the quantizers' arithmetic is in --dtype (Swift computes scales and rounding in float64).
"""

import argparse
import hashlib
import json
import math
import os
import statistics
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bert import blas_info  # noqa: E402
from torch_finetune import DEFAULT_DATA, load_rt_polarity, log, lr_at, make_bert_adam  # noqa: E402

M64 = (1 << 64) - 1
MASKED_SCORE = -100.0  # DistillationLoss.maskedScoreThreshold


def parse_args():
    p = argparse.ArgumentParser(description="PyTorch peer for binarybert quantize (two-stage distillation, CPU)")
    p.add_argument("--teacher", required=True, help="fine-tuned teacher folder (config.json, model.safetensors, vocab.txt)")
    p.add_argument("--data", default=DEFAULT_DATA, help="movieReviewSnippets_GroundTruth.txt (or its folder)")
    p.add_argument("--weight-bits", type=int, choices=[1, 2], default=1, help="1 = BWN, 2 = TWN")
    p.add_argument("--act-bits", type=int, choices=[8, 32], default=8)
    p.add_argument("--epochs", type=int, default=1, help="epochs per stage (quantize's default: 2)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-5, help="stage 2 LR (stage 1: 2.5 ×)")
    p.add_argument("--act-lr", type=float, default=1e-4, help="peak LR of the activation clips")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--max-length", type=int, default=32, help="tokens per example (the report's quick preset: 32)")
    p.add_argument("--subset", type=int, default=0, help="train on N examples (0 = all)")
    p.add_argument("--subset-seed", type=int, default=None, help="draw --subset at random as Swift's --subset-seed")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="weights and activations (Swift's quantize trains in float32; evaluate and forward take both)")
    p.add_argument("--check", action="store_true", help="only evaluate the post-training-quantized student on dev")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()
    for name in ("epochs", "batch_size", "eval_every", "max_length", "threads"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    if args.subset < 0:
        p.error("--subset must be positive (or 0: all)")
    if args.seed < 0 or (args.subset_seed or 0) < 0:
        p.error("--seed and --subset-seed must not be negative")
    if os.path.isdir(args.data):
        args.data = os.path.join(args.data, os.path.basename(DEFAULT_DATA))
    return args


# --- Swift's random numbers (Sources/Numerics SeededRNG; the standard library's shuffle) -------------------------

class SeededRNG:
    """xoshiro256** seeded through SplitMix64 from (seed, stream), as the Swift SeededRNG."""

    def __init__(self, seed, stream=0):
        sm = (seed ^ ((stream * 0xD1B54A32D192ED03) & M64) ^ 0x9E3779B97F4A7C15) & M64
        s = []
        for _ in range(4):
            sm = (sm + 0x9E3779B97F4A7C15) & M64
            z = sm
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            s.append(z ^ (z >> 31))
        if not any(s):
            s[0] = 1
        self.s = s

    def next(self):
        s0, s1, s2, s3 = self.s
        x = (s1 * 5) & M64
        result = ((((x << 7) | (x >> 57)) & M64) * 9) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & M64
        self.s = [s0, s1, s2, s3]
        return result

    def below(self, bound):
        """Swift's `next(upperBound:)` (Lemire's multiply-shift with rejection)."""
        m = self.next() * bound
        if (m & M64) < bound:
            t = ((1 << 64) - bound) % bound
            while (m & M64) < t:
                m = self.next() * bound
        return m >> 64


def swift_shuffle(items, rng):
    """`MutableCollection.shuffle(using:)`: Fisher–Yates from the front."""
    amount, i = len(items), 0
    while amount > 1:
        j = rng.below(amount)
        amount -= 1
        items[i], items[i + j] = items[i + j], items[i]
        i += 1


def seeded_subset(n, count, seed):
    """Indices of `EncodedDataset.seededSubset`: a partial Fisher–Yates by `rng.next() % (n − i)`, sorted."""
    if count >= n:
        return list(range(n))
    order, rng = list(range(n)), SeededRNG(seed, 0x5B5E7)
    for i in range(count):
        j = i + rng.next() % (n - i)
        order[i], order[j] = order[j], order[i]
    return sorted(order[:count])


def shuffled_batches(n, batch_size, seed, epoch):
    order = list(range(n))
    swift_shuffle(order, SeededRNG(seed, 0x5EED0000 + epoch))
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]


def fingerprint(task, items):
    """`EncodedDataset.fingerprint`: sha256 of the task name and, per example, its length, ids, type ids and label."""
    h = hashlib.sha256(task.encode())
    words = []
    for ids, label in items:
        words += [len(ids)] + ids + [0] * len(ids) + [label]
    h.update(struct.pack(f"<{len(words)}q", *words))
    return h.hexdigest()


# --- the quantized BERT ------------------------------------------------------------------------------------------

def make_quantizers(torch):
    def quantize_weight(w, bits, per_row):
        """BWN / TWN of w with one scale per row (per_row) or per tensor, in w's dtype (Swift: scales in float64)."""
        a = w.abs()
        dims = dict(dim=1, keepdim=True) if per_row else {}
        mean = a.mean(**dims)
        if bits == 1:
            return torch.sign(w).mul_(mean)
        keep = a > 0.7 * mean
        alpha = a.mul_(keep).sum(**dims) / keep.sum(**dims).clamp(min=1)
        return torch.sign(w).mul_(alpha).mul_(keep)

    class WeightSTE(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w, bits, per_row):
            return quantize_weight(w, bits, per_row)

        @staticmethod
        def backward(ctx, grad):
            return grad, None, None

    class ClipQuantize(torch.autograd.Function):
        """TernaryBERT's 8-bit clip quantizer with the PACT-style gradients of ActivationQuantizer.swift."""

        @staticmethod
        def forward(ctx, x, clip, bits, asymmetric):
            lo, hi = clip.tolist()
            ctx.save_for_backward(x)
            ctx.lo, ctx.hi = lo, hi
            mn, mx = (min(max(v.item(), lo), hi) for v in torch.aminmax(x))  # the extremes of clamp(x, lo, hi)
            c = x.clamp(lo, hi)
            if asymmetric:
                if mx - mn <= 0:
                    return c
                s = ((1 << bits) - 1) / (mx - mn)
                z = round(mn * s)  # Python rounds half to even, as Swift's .toNearestOrEven and torch.round
                return c.mul_(s).sub_(z).round_().add_(z).div_(s)
            m = max(abs(mn), abs(mx))
            if m == 0:
                return c.zero_()
            s = ((1 << (bits - 1)) - 1) / m
            return c.mul_(s).round_().div_(s)

        @staticmethod
        def backward(ctx, dy):
            (x,) = ctx.saved_tensors
            below, above = x <= ctx.lo, x >= ctx.hi
            g = torch.stack([torch.where(below, dy, 0).sum(), torch.where(above, dy, 0).sum()]).double()
            return torch.where(below | above, 0, dy), g, None, None

    return WeightSTE, ClipQuantize


SITES = ["query_input", "key_input", "value_input", "query", "key", "value", "attention_probs",
         "attention_output_input", "ffn_intermediate_input", "ffn_output_input"]
ASYMMETRIC = {"attention_probs", "ffn_output_input"}


def quantized_names(layers):
    """QuantizationSpec.defaultQuantizedTensors: every linear weight but the classifier's, and the word embedding."""
    names = ["bert.embeddings.word_embeddings.weight"]
    for l in range(layers):
        p = f"bert.encoder.layer.{l}."
        names += [p + s + ".weight" for s in ("attention.self.query", "attention.self.key", "attention.self.value",
                                               "attention.output.dense", "intermediate.dense", "output.dense")]
    return names + ["bert.pooler.dense.weight"]


def build_bert(torch):
    F = torch.nn.functional
    WeightSTE, ClipQuantize = make_quantizers(torch)

    class QuantBert(torch.nn.Module):
        """BERT classifier with HF names; weight_bits None = full precision (the teacher)."""

        def __init__(self, config, tensors, weight_bits=None, act_bits=32, dtype=torch.float32):
            super().__init__()
            self.layers, self.heads = config["num_hidden_layers"], config["num_attention_heads"]
            self.eps = config.get("layer_norm_eps", 1e-12)
            self.gelu = config.get("hidden_act", "gelu") != "relu"
            self.p_hidden = config.get("hidden_dropout_prob", 0.1)
            self.p_attention = config.get("attention_probs_dropout_prob", 0.1)
            self.p = torch.nn.ParameterDict({k.replace(".", "/"): torch.nn.Parameter(v.to(dtype).clone())
                                             for k, v in tensors.items()})
            self.weight_bits, self.act_bits = weight_bits, act_bits
            self.quantized = set(quantized_names(self.layers)) if weight_bits else set()
            sites = [f"layer{l}.{s}" for l in range(self.layers) for s in SITES] + ["pooler_input"]
            self.clips = torch.nn.ParameterDict(
                {s.replace(".", "/"): torch.nn.Parameter(torch.tensor([-2.5, 2.5], dtype=torch.float64)) for s in sites}
                if act_bits < 32 else {})

        def named_weights(self):
            return [(k.replace("/", "."), v) for k, v in self.p.items()]

        def weights(self):
            """Name → the tensor the forward uses: ŵ = Q(w) (straight-through) for the quantized ones, else w."""
            return {n: WeightSTE.apply(w, self.weight_bits, n.endswith("word_embeddings.weight"))
                    if n in self.quantized else w for n, w in self.named_weights()}

        def aq(self, site, x):
            key = site.replace(".", "/")  # Swift's site key, e.g. layer3.query_input
            if key not in self.clips:
                return x
            return ClipQuantize.apply(x, self.clips[key], self.act_bits, site.split(".")[-1] in ASYMMETRIC)

        def forward(self, W, ids, mask, types, training=False):
            """(logits, [scores_l (B, NH, T, T)], [hidden_l (B, T, C)]); dropout when training."""
            b, t = ids.shape
            lin = lambda x, name: F.linear(x, W[name + ".weight"], W[name + ".bias"])  # noqa: E731
            norm = lambda x, name: F.layer_norm(  # noqa: E731
                x, (x.shape[-1],), W[name + ".weight"], W[name + ".bias"], self.eps)
            drop = lambda x, p: F.dropout(x, p, training) if training and p > 0 else x  # noqa: E731
            e = "bert.embeddings."
            h = F.embedding(ids, W[e + "word_embeddings.weight"]) + W[e + "position_embeddings.weight"][:t] \
                + F.embedding(types, W[e + "token_type_embeddings.weight"])
            h = drop(norm(h, e + "LayerNorm"), self.p_hidden)
            bias = (1.0 - mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
            d = h.shape[-1] // self.heads
            heads = lambda x: x.view(b, t, self.heads, d).transpose(1, 2)  # noqa: E731
            hidden, scores = [h], []
            for l in range(self.layers):
                p, s = f"bert.encoder.layer.{l}.", f"layer{l}."
                q = self.aq(s + "query", lin(self.aq(s + "query_input", h), p + "attention.self.query"))
                k = self.aq(s + "key", lin(self.aq(s + "key_input", h), p + "attention.self.key"))
                v = self.aq(s + "value", lin(self.aq(s + "value_input", h), p + "attention.self.value"))
                sc = heads(q) @ heads(k).transpose(-1, -2) / math.sqrt(d) + bias
                scores.append(sc)
                probs = self.aq(s + "attention_probs", drop(torch.softmax(sc, dim=-1), self.p_attention))
                ctx = (probs @ heads(v)).transpose(1, 2).reshape(b, t, self.heads * d)
                a = drop(lin(self.aq(s + "attention_output_input", ctx), p + "attention.output.dense"), self.p_hidden)
                h1 = norm(a + h, p + "attention.output.LayerNorm")
                mid = lin(self.aq(s + "ffn_intermediate_input", h1), p + "intermediate.dense")
                mid = F.gelu(mid) if self.gelu else torch.relu(mid)
                out = drop(lin(self.aq(s + "ffn_output_input", mid), p + "output.dense"), self.p_hidden)
                h = norm(out + h1, p + "output.LayerNorm")
                hidden.append(h)
            pooled = torch.tanh(lin(self.aq("pooler_input", h[:, 0]), "bert.pooler.dense"))
            return lin(drop(pooled, self.p_hidden), "classifier"), scores, hidden

    return QuantBert


# --- distillation ------------------------------------------------------------------------------------------------

def main():
    args = parse_args()
    import torch
    from safetensors.torch import load_file
    from transformers import BertTokenizer

    F = torch.nn.functional
    torch.set_num_threads(args.threads)
    train, dev = load_rt_polarity(args.data)

    t0 = time.perf_counter()
    tokenizer = BertTokenizer.from_pretrained(args.teacher, do_lower_case=True)
    pad_id = tokenizer.pad_token_id

    def encode(rows):
        ids = tokenizer([text for text, _ in rows], truncation=True, max_length=args.max_length)["input_ids"]
        return [(list(i), label) for i, (_, label) in zip(ids, rows)]

    train_enc, dev_enc = encode(train), encode(dev)
    if args.subset:
        chosen = (seeded_subset(len(train_enc), args.subset, args.subset_seed) if args.subset_seed is not None
                  else list(range(min(args.subset, len(train_enc)))))
        train_enc = [train_enc[i] for i in chosen]
    tokenize_seconds = time.perf_counter() - t0
    log(f"data: train {len(train_enc)}, dev {len(dev_enc)} ({tokenize_seconds:.2f} s to tokenize)")

    t0 = time.perf_counter()
    with open(os.path.join(args.teacher, "config.json")) as f:
        config = json.load(f)
    tensors = load_file(os.path.join(args.teacher, "model.safetensors"))
    QuantBert = build_bert(torch)
    dtype = getattr(torch, args.dtype)
    teacher = QuantBert(config, tensors, dtype=dtype).eval().requires_grad_(False)
    student = QuantBert(config, tensors, weight_bits=args.weight_bits, act_bits=args.act_bits, dtype=dtype)
    load_seconds = time.perf_counter() - t0
    method = "bwn" if args.weight_bits == 1 else "twn"
    log(f"student: {method} W{args.weight_bits}A{args.act_bits}, {len(student.quantized)} quantized tensors, "
        f"{len(student.clips)} activation quantizers (load {load_seconds:.2f} s)")

    def collate(items):
        """(ids, mask, types, labels) of [(ids, label)], padded to the longest row."""
        rows = [torch.tensor(row) for row, _ in items]
        ids = torch.nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=pad_id)
        mask = torch.nn.utils.rnn.pad_sequence([torch.ones_like(r) for r in rows], batch_first=True)
        return ids, mask, torch.zeros_like(ids), torch.tensor([y for _, y in items])

    dev_order = sorted(range(len(dev_enc)), key=lambda i: (len(dev_enc[i][0]), i))
    dev_batches = [collate([dev_enc[i] for i in dev_order[s:s + 64]]) for s in range(0, len(dev_enc), 64)]

    def evaluate(model):
        """Dev accuracy and mean cross-entropy (eval mode), as `Evaluator` with batches of 64."""
        correct, loss = 0, 0.0
        with torch.no_grad():
            W = model.weights()
            for ids, mask, types, labels in dev_batches:
                logits = model(W, ids, mask, types)[0]
                correct += (logits.argmax(-1) == labels).sum().item()
                loss += F.cross_entropy(logits, labels, reduction="sum").item()
        return correct / len(dev_enc), loss / len(dev_enc)

    config_lines = torch.__config__.show().strip().splitlines()
    result = {
        "impl": "pytorch",
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_info(torch.__config__.show()),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_config": [line.strip() for line in config_lines[:6]],
        "mkldnn": torch.backends.mkldnn.is_available(),
        "teacher": args.teacher,
        "method": method,
        "weight_bits": args.weight_bits,
        "act_bits": args.act_bits,
        "dtype": args.dtype,
        "max_length": args.max_length,
        "train_examples": len(train_enc),
        "dev_examples": len(dev_enc),
        "train_data_sha256": fingerprint("rt-polarity", train_enc),
        "dev_data_sha256": fingerprint("rt-polarity", dev_enc),
        "load_seconds": load_seconds,
        "tokenize_seconds": tokenize_seconds,
    }
    if args.check:
        t0 = time.perf_counter()
        accuracy, loss = evaluate(student)
        teacher_accuracy, teacher_loss = evaluate(teacher)
        log(f"post-training quantization: dev accuracy {accuracy:.6f}, loss {loss:.6f} (teacher {teacher_accuracy:.6f}, "
            f"{teacher_loss:.6f}; {time.perf_counter() - t0:.1f} s)")
        result.update(mode="check", accuracy=accuracy, loss=loss, teacher_accuracy=teacher_accuracy, teacher_loss=teacher_loss)
        print(json.dumps(result))
        return

    BertAdam = make_bert_adam(torch)
    named = student.named_weights()
    no_decay = [w for n, w in named if n.endswith(".bias") or "LayerNorm" in n]
    decay = [w for n, w in named if not (n.endswith(".bias") or "LayerNorm" in n)]
    clips = list(student.clips.values())
    steps_per_epoch = math.ceil(len(train_enc) / args.batch_size)
    stages = []
    for stage in (1, 2):
        peak = args.lr * (2.5 if stage == 1 else 1.0)
        total = args.epochs * steps_per_epoch
        optimizer = BertAdam([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=peak)
        clip_optimizer = BertAdam(clips, lr=args.act_lr, weight_decay=0.0, max_grad_norm=0.0) if clips else None
        torch.manual_seed(args.seed + stage)
        log(f"stage {stage}: {'attention-score and hidden-state' if stage == 1 else 'prediction-layer'} distillation, "
            f"{total} steps, peak LR {peak:g}")
        student.train()
        step, times, losses, evals = 0, [], [], []
        for epoch in range(args.epochs):
            for batch in shuffled_batches(len(train_enc), args.batch_size, args.seed + stage, epoch):
                t = time.perf_counter()
                ids, mask, types, _ = collate([train_enc[i] for i in batch])
                lr = lr_at(step, total, peak)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                with torch.no_grad():
                    t_logits, t_scores, t_hidden = teacher(teacher.weights(), ids, mask, types)
                s_logits, s_scores, s_hidden = student(student.weights(), ids, mask, types, training=True)
                if stage == 1:
                    loss = sum(F.mse_loss(torch.where(s > MASKED_SCORE, s, 0), torch.where(r > MASKED_SCORE, r, 0))
                               for s, r in zip(s_scores, t_scores))
                    loss = loss + sum(F.mse_loss(s, r) for s, r in zip(s_hidden, t_hidden))
                else:
                    loss = (-(torch.softmax(t_logits, -1) * torch.log_softmax(s_logits, -1))).mean()
                student.zero_grad(set_to_none=True)
                loss.backward()
                for w in student.parameters():
                    if w.grad is None:  # Swift steps every tensor (zero gradient: decay only)
                        w.grad = torch.zeros_like(w)
                optimizer.step()
                if clip_optimizer:
                    for group in clip_optimizer.param_groups:
                        group["lr"] = args.act_lr * lr / peak
                    clip_optimizer.step()
                    with torch.no_grad():
                        for c in clips:
                            if c[0] >= c[1]:
                                c[0] = c[1] - 1e-6
                step += 1
                times.append(time.perf_counter() - t)
                losses.append(loss.item())
                if step % args.eval_every == 0 or step % steps_per_epoch == 0:
                    student.eval()
                    te = time.perf_counter()
                    accuracy, dev_loss = evaluate(student)
                    student.train()
                    evals.append((step, accuracy, dev_loss))
                    log(f"stage {stage} step {step}/{total}: dev accuracy {accuracy:.4f}, dev loss {dev_loss:.4f} "
                        f"({time.perf_counter() - te:.1f} s); mean train loss {statistics.mean(losses[-steps_per_epoch:]):.4f}; "
                        f"{statistics.median(times):.3f} s/step (median)")
        stages.append({
            "stage": stage,
            "steps": step,
            "peak_lr": peak,
            "train_seconds": sum(times),
            "seconds_per_step_median": statistics.median(times),
            "seconds_per_step_mean": statistics.mean(times),
            "first_step_seconds": times[0],
            "train_losses": losses,
            "final_dev_accuracy": evals[-1][1],
            "final_dev_loss": evals[-1][2],
            "best_dev_accuracy": max(a for _, a, _ in evals),
        })
    result.update(mode="train", epochs_per_stage=args.epochs, batch_size=args.batch_size, lr=args.lr, act_lr=args.act_lr,
                  seed=args.seed, stages=stages)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
