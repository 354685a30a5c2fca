#!/usr/bin/env python3
"""PyTorch peer for binarybert's fine-tuning benchmark: all-MiniLM-L6-v2 + 2-way head on rt-polarity, float32, CPU.

    pip install "torch==2.13.0+cpu" transformers safetensors
    python Benchmarks/peer/torch_finetune.py --threads 2                     # full run (2 epochs)
    python Benchmarks/peer/torch_finetune.py --limit 300 --epochs 1 --eval-every 5 --threads 1   # smoke test

Reproduces the Swift trainer's recipe so wall times and accuracies can be compared:
  * data: assets/data/rt-polarity/movieReviewSnippets_GroundTruth.txt, rows `id \\t rating \\t text` (CRLF);
    label 1 if rating > 0, 0 if rating < 0, rating 0 dropped; dev iff FNV-1a-64(id, UTF-8) % 10 == 0, else train
    (train 9,507 / dev 1,061); --limit N keeps the first N training rows in file order (dev is always complete).
  * tokens: HF BertTokenizer from the model folder (lower-case), single sentences, max_length 64 with truncation;
    every text is tokenized once before the clock starts, each batch is padded to its longest row (pad id, mask 0).
  * model: BertForSequenceClassification.from_pretrained(folder, num_labels=2), eager attention, float32; the new
    classifier is initialised by HF (normal(0, initializer_range), bias 0) after torch.manual_seed(--seed).
  * optimizer: BertAdam (Google BERT / pytorch_pretrained_bert): Adam β (0.9, 0.999), ε 1e-6, no bias correction,
    decoupled weight decay 0.01 as p -= lr·(m/(√v+ε) + wd·p), none for biases and LayerNorm weights; gradient
    clipped to norm 1.0 per tensor; lr at 0-based step t of T: lr·t/W for t < W, else lr·(T−t)/(T−W), W = 0.1·T
    (warmup from 0 at the first step, reaching 0 at t = T, i.e. just after the last step; pytorch_pretrained_bert's
    warmup_linear schedule, and HF's get_linear_schedule_with_warmup when 0.1·T is a whole number).
  * training: --epochs, --batch-size (the last batch of an epoch may be smaller: T = epochs·⌈n/batch⌉),
    mean cross-entropy, dropout on; epoch e (0-based) shuffles with torch.randperm(generator seeded seed + e);
    dev accuracy every --eval-every steps and at the end of each epoch (not twice at the same step); best kept.
Progress goes to stderr; one JSON object to stdout. wall_seconds = training + evaluation (loading the model and
tokenizing are excluded and reported as load_seconds / tokenize_seconds); train_seconds = training steps only
(collate, forward, backward, optimizer step).
"""

import argparse
import json
import math
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_MODEL = os.path.join(REPO, "assets", "models", "all-MiniLM-L6-v2")
DEFAULT_DATA = os.path.join(REPO, "assets", "data", "rt-polarity", "movieReviewSnippets_GroundTruth.txt")


def parse_args():
    p = argparse.ArgumentParser(description="PyTorch fine-tuning peer benchmark (rt-polarity, float32, CPU)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="HF model folder (config.json, model.safetensors, vocab.txt)")
    p.add_argument("--data", default=DEFAULT_DATA, help="movieReviewSnippets_GroundTruth.txt")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--eval-every", type=int, default=100, help="evaluate on dev every N steps (0 = only per epoch)")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--limit", type=int, default=0, help="use only the first N training examples (0 = all)")
    p.add_argument("--max-length", type=int, default=64)
    return p.parse_args()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def load_rt_polarity(path):
    """(train, dev) lists of (text, label) in file order."""
    with open(path, encoding="utf-8", newline="") as f:
        raw = f.read()
    train, dev = [], []
    for n, line in enumerate(raw.split("\n"), 1):
        line = line.rstrip("\r")
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(f"{path}:{n}: expected 3 tab-separated fields, found {len(fields)}")
        rid, rating, text = fields[0], float(fields[1].strip(" \t")), fields[2]
        if not math.isfinite(rating):
            raise ValueError(f"{path}:{n}: bad rating {fields[1]!r}")
        if rating == 0:
            continue
        (dev if fnv1a64(rid) % 10 == 0 else train).append((text, 1 if rating > 0 else 0))
    return train, dev


def make_bert_adam(torch):
    class BertAdam(torch.optim.Optimizer):
        """Adam without bias correction, decoupled weight decay, per-tensor gradient clipping (Google BERT)."""

        def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01, max_grad_norm=1.0):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                          max_grad_norm=max_grad_norm))

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                b1, b2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad
                    if group["max_grad_norm"] > 0:  # as torch.nn.utils.clip_grad_norm_(p, max_norm) on one tensor
                        coef = group["max_grad_norm"] / (torch.linalg.vector_norm(g) + 1e-6)
                        g.mul_(torch.clamp(coef, max=1.0))
                    state = self.state[p]
                    if not state:
                        state["m"] = torch.zeros_like(p)
                        state["v"] = torch.zeros_like(p)
                    m, v = state["m"], state["v"]
                    m.mul_(b1).add_(g, alpha=1 - b1)
                    v.mul_(b2).addcmul_(g, g, value=1 - b2)
                    update = m / (v.sqrt() + group["eps"])
                    if group["weight_decay"] > 0:
                        update.add_(p, alpha=group["weight_decay"])
                    p.add_(update, alpha=-group["lr"])

    return BertAdam


def lr_at(step, total, peak, warmup_fraction=0.1):
    """0-based step → learning rate: linear warmup from 0 over warmup_fraction·total steps, then linear decay to 0."""
    warmup = warmup_fraction * total
    if step < warmup:
        return peak * step / warmup
    return max(0.0, peak * (total - step) / (total - warmup))


def main():
    args = parse_args()
    import torch
    import transformers
    from transformers import BertForSequenceClassification, BertTokenizer

    torch.set_num_threads(args.threads)
    train, dev = load_rt_polarity(args.data)
    log(f"data: train {len(train)}, dev {len(dev)} (train positives {sum(l for _, l in train)}, "
        f"dev positives {sum(l for _, l in dev)})")
    if args.limit > 0:
        train = train[:args.limit]
        log(f"--limit: training on the first {len(train)} examples")

    t0 = time.perf_counter()
    tokenizer = BertTokenizer.from_pretrained(args.model, do_lower_case=True)
    pad_id = tokenizer.pad_token_id
    torch.manual_seed(args.seed)
    model = BertForSequenceClassification.from_pretrained(
        args.model, num_labels=2, attn_implementation="eager", dtype=torch.float32)
    model.to(torch.float32)
    load_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()

    def encode(rows):
        ids = tokenizer([t for t, _ in rows], truncation=True, max_length=args.max_length)["input_ids"]
        return [(torch.tensor(i, dtype=torch.long), l) for i, (_, l) in zip(ids, rows)]

    train_enc, dev_enc = encode(train), encode(dev)
    tokenize_seconds = time.perf_counter() - t0
    lengths = [len(i) for i, _ in train_enc]
    log(f"tokenizer {type(tokenizer).__name__}: mean train length {sum(lengths) / len(lengths):.1f}, "
        f"truncated {sum(n >= args.max_length for n in lengths)} ({tokenize_seconds:.2f} s)")

    def collate(items):
        longest = max(len(i) for i, _ in items)
        input_ids = torch.full((len(items), longest), pad_id, dtype=torch.long)
        mask = torch.zeros((len(items), longest), dtype=torch.long)
        for r, (ids, _) in enumerate(items):
            input_ids[r, :len(ids)] = ids
            mask[r, :len(ids)] = 1
        labels = torch.tensor([l for _, l in items], dtype=torch.long)
        return input_ids, mask, torch.zeros_like(input_ids), labels

    def evaluate():
        model.eval()
        correct = 0
        with torch.no_grad():
            for s in range(0, len(dev_enc), args.batch_size):
                input_ids, mask, types, labels = collate(dev_enc[s:s + args.batch_size])
                logits = model(input_ids=input_ids, attention_mask=mask, token_type_ids=types).logits
                correct += (logits.argmax(-1) == labels).sum().item()
        model.train()
        return correct / len(dev_enc)

    no_decay = ("bias", "LayerNorm.weight")
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in named if not any(k in n for k in no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in named if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = make_bert_adam(torch)(groups, lr=args.lr)
    steps_per_epoch = math.ceil(len(train_enc) / args.batch_size)
    total_steps = args.epochs * steps_per_epoch
    log(f"model: {sum(p.numel() for _, p in named)} parameters ({len(groups[0]['params'])} tensors with decay, "
        f"{len(groups[1]['params'])} without); {total_steps} steps; load {load_seconds:.2f} s")

    model.train()
    step = 0
    best = final = None
    train_seconds = 0.0
    last_eval_step = -1
    loss_sum, loss_count = 0.0, 0
    wall_start = time.perf_counter()

    def run_eval(tag):
        nonlocal best, final, last_eval_step
        t = time.perf_counter()
        acc = evaluate()
        final, last_eval_step = acc, step
        best = acc if best is None else max(best, acc)
        log(f"eval {tag} step {step}/{total_steps}: dev accuracy {acc:.4f} (best {best:.4f}, "
            f"{time.perf_counter() - t:.1f} s); mean train loss since last eval "
            f"{loss_sum / max(loss_count, 1):.4f}; train time so far {train_seconds:.1f} s")

    for epoch in range(args.epochs):
        order = torch.randperm(len(train_enc), generator=torch.Generator().manual_seed(args.seed + epoch)).tolist()
        for b in range(steps_per_epoch):
            t = time.perf_counter()
            input_ids, mask, types, labels = collate([train_enc[i] for i in order[b * args.batch_size:
                                                                                   (b + 1) * args.batch_size]])
            lr = lr_at(step, total_steps, args.lr)
            for group in optimizer.param_groups:
                group["lr"] = lr
            logits = model(input_ids=input_ids, attention_mask=mask, token_type_ids=types).logits
            loss = torch.nn.functional.cross_entropy(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            train_seconds += time.perf_counter() - t
            loss_sum += loss.item()
            loss_count += 1
            if args.eval_every > 0 and step % args.eval_every == 0:
                run_eval(f"epoch {epoch + 1}")
                loss_sum, loss_count = 0.0, 0
        if last_eval_step != step:
            run_eval(f"end of epoch {epoch + 1}")
            loss_sum, loss_count = 0.0, 0
    wall_seconds = time.perf_counter() - wall_start

    print(json.dumps({
        "impl": "pytorch",
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "threads": torch.get_num_threads(),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "seed": args.seed,
        "train_examples": len(train_enc),
        "dev_examples": len(dev_enc),
        "best_dev_accuracy": best,
        "final_dev_accuracy": final,
        "wall_seconds": wall_seconds,
        "train_seconds": train_seconds,
        "steps": step,
        "load_seconds": load_seconds,
        "tokenize_seconds": tokenize_seconds,
    }))


if __name__ == "__main__":
    main()
