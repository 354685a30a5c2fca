#!/usr/bin/env python3
"""PyTorch reference and peer for `binarybert hessian`: Hessian eigenvalues of a fine-tuned BERT classifier's loss
by double backward (autograd), on the same objective as the Swift command.

    pip install "torch==2.13.0+cpu" transformers safetensors scipy
    python Benchmarks/peer/torch_hessian.py --model runs/table/seed42/teacher --select value@0,1 --examples 64 \
        --mode eigsh --top-k 3 --dtype float64 --threads 2          # reference eigenvalues (ARPACK, tol 1e-12)
    python Benchmarks/peer/torch_hessian.py --model runs/table/seed42/teacher --select value@0,1 --examples 64 \
        --mode power --top-k 5 --dtype float32 --threads 2          # PyHessian's power iteration, timed

Objective (as `binarybert hessian` defines it): rt-polarity's training split in file order (dev iff
FNV-1a-64(id) % 10 == 0, as Benchmarks/peer/torch_finetune.py), the first --examples rows, HF BertTokenizer
(lower case, max_length --max-length, truncation), batches of --batch-size padded to their longest row; eval mode
(no dropout); loss = mean cross-entropy over the examples (each batch's mean weighted by its size).
Hv = autograd.grad(∇L, θ_S, v) per batch, accumulated with the same weights; θ_S the selected weight matrices.

Modes:
  eigsh  scipy.sparse.linalg.eigsh on the HVP operator (largest algebraic, tol 1e-12): the reference eigenvalues.
  power  PyHessian's `hessian.eigenvalues`: per eigenvalue a Gaussian start, Gram–Schmidt against earlier
         eigenvectors, θ = vᵀHv, v = Hv/‖Hv‖, stop when |θ − θ_prev|/(|θ_prev| + 1e-6) < --tol (1e-3) or after
         --max-iter (100) iterations. Reports HVPs and wall time.
  cost   seconds of one gradient and one HVP of the objective (median of --iters), and peak RSS after each.
Prints one JSON object on stdout (with torch's BLAS, threads, the examples' indices sha256).
"""

import argparse
import hashlib
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_batches import padded_batches  # noqa: E402
from torch_finetune import load_rt_polarity  # noqa: E402  (same data split and parsing)
from plain_bert import KINDS, selected_names  # noqa: E402  (binarybert's selections)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(REPO, "assets", "data", "rt-polarity", "movieReviewSnippets_GroundTruth.txt")

def parse_args():
    p = argparse.ArgumentParser(description="PyTorch Hessian reference / peer (double backward)")
    p.add_argument("--model", required=True)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--select", default="value@0,1", help="KIND@L[,L] with KIND in " + ", ".join(KINDS))
    p.add_argument("--examples", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--mode", choices=["eigsh", "power", "cost"], default="eigsh")
    p.add_argument("--top-k", type=int, default=3)
    p.add_argument("--tol", type=float, default=1e-3)
    p.add_argument("--max-iter", type=int, default=100)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def main():
    args = parse_args()
    import torch
    from transformers import BertForSequenceClassification, BertTokenizer

    torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    model = BertForSequenceClassification.from_pretrained(args.model, attn_implementation="eager").to(dtype).eval()
    tokenizer = BertTokenizer.from_pretrained(args.model, do_lower_case=True)
    train, _ = load_rt_polarity(args.data)
    rows = train[: args.examples]
    indices = list(range(len(rows)))
    indices_sha = hashlib.sha256(",".join(map(str, indices)).encode()).hexdigest()
    batches = padded_batches(torch, tokenizer, rows, args.batch_size, args.max_length)
    n_total = sum(b[2].numel() for b in batches)
    names = selected_names(args.select, model.config.num_hidden_layers)
    params = dict(model.named_parameters())
    theta = [params[n] for n in names]
    for p in model.parameters():
        p.requires_grad_(False)
    for p in theta:
        p.requires_grad_(True)
    dim = sum(p.numel() for p in theta)
    hvps = 0

    def loss_of(batch):
        ids, mask, y = batch
        logits = model(input_ids=ids, attention_mask=mask).logits
        return torch.nn.functional.cross_entropy(logits, y) * (y.numel() / n_total)

    def hvp(vs):
        nonlocal hvps
        hvps += 1
        out = [torch.zeros_like(p) for p in theta]
        for batch in batches:
            grads = torch.autograd.grad(loss_of(batch), theta, create_graph=True)
            hv = torch.autograd.grad(grads, theta, grad_outputs=vs)
            for o, h in zip(out, hv):
                o += h.detach()
        return out

    def gradient():
        out = [torch.zeros_like(p) for p in theta]
        for batch in batches:
            for o, g in zip(out, torch.autograd.grad(loss_of(batch), theta)):
                o += g
        return out

    def flat(vs):
        return torch.cat([v.reshape(-1) for v in vs])

    def unflat(x):
        out, k = [], 0
        for p in theta:
            out.append(x[k:k + p.numel()].reshape(p.shape))
            k += p.numel()
        return out

    result = {"torch": torch.__version__, "blas": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0],
              "threads": torch.get_num_threads(), "dtype": args.dtype, "select": args.select, "tensors": names,
              "dimension": dim, "examples": n_total, "indices_sha256": indices_sha, "batch_size": args.batch_size,
              "max_length": args.max_length, "mode": args.mode}
    t0 = time.perf_counter()
    if args.mode == "eigsh":
        import numpy as np
        from scipy.sparse.linalg import LinearOperator, eigsh

        def matvec(x):
            v = torch.from_numpy(np.asarray(x, dtype=np.float64).reshape(-1)).to(dtype)
            return flat(hvp(unflat(v))).to(torch.float64).numpy()

        op = LinearOperator((dim, dim), matvec=matvec, dtype=np.float64)
        rng = np.random.default_rng(args.seed)
        values = eigsh(op, k=args.top_k, which="LA", tol=1e-12, v0=rng.standard_normal(dim), return_eigenvectors=False)
        result["top"] = sorted(values.tolist(), reverse=True)
    elif args.mode == "power":
        torch.manual_seed(args.seed)
        eigenvalues, eigenvectors = [], []
        for _ in range(args.top_k):
            v = torch.randn(dim, dtype=dtype)
            v /= v.norm()
            theta_prev = None
            for _ in range(args.max_iter):
                for u in eigenvectors:
                    v -= (u @ v) * u
                v /= v.norm()
                hv = flat(hvp(unflat(v)))
                t = float(hv @ v)
                v = hv / hv.norm()
                if theta_prev is not None and abs(theta_prev - t) / (abs(theta_prev) + 1e-6) < args.tol:
                    theta_prev = t
                    break
                theta_prev = t
            eigenvalues.append(theta_prev)
            eigenvectors.append(v)
        result["top"] = eigenvalues
    else:
        times_g, times_h = [], []
        for _ in range(args.iters):
            s = time.perf_counter(); gradient(); times_g.append(time.perf_counter() - s)
        rss_gradient = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        v = unflat(torch.randn(dim, dtype=dtype))
        for _ in range(args.iters):
            s = time.perf_counter(); hvp(v); times_h.append(time.perf_counter() - s)
        rss_hvp = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result.update({"gradient_seconds": statistics.median(times_g), "hvp_seconds": statistics.median(times_h),
                       "max_rss_mb_after_gradient": rss_gradient / 1024, "max_rss_mb_after_hvp": rss_hvp / 1024})
    result["hvps"] = hvps
    result["seconds"] = time.perf_counter() - t0
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
