#!/usr/bin/env python3
"""Peer benchmark for `binarybert hessian --curvature hessian|ggn`: wall time to the top-k eigenvalues of a selection's
Hessian or generalized Gauss–Newton matrix with curvlinops-for-pytorch (+ scipy's eigsh) and with hessian-eigenthings
v1's Lanczos, on the objective `binarybert hessian` uses, in one process per measurement.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch curvlinops-for-pytorch hessian-eigenthings \
        transformers safetensors scipy
    # a classifier directory from a base encoder (seeded head, no training), read by both sides:
    /tmp/venv/bin/python Benchmarks/peer/torch_ggn.py --make-classifier assets/models/all-MiniLM-L6-v2 --model /tmp/minilm-cls
    /tmp/venv/bin/python Benchmarks/peer/torch_ggn.py --model /tmp/minilm-cls --curvature ggn --library curvlinops --threads 2
    binarybert hessian --model /tmp/minilm-cls --task rt-polarity --data assets/data/rt-polarity --select value@0,1 \
        --top-k 5 --curvature ggn --examples 64 --batch-size 32 --max-length 64 --dtype float64 --threads 2 --output /tmp/out
    (Analyses/ggn/bench.sh runs all six.)

Objective (as `binarybert hessian`): rt-polarity's training split in file order, the first --examples rows, HF
BertTokenizer (lower case, truncation at --max-length), batches of --batch-size padded to their longest row, eval
mode; mean cross-entropy over the examples (each batch's mean weighted by its size, which curvlinops does itself and
hessian-eigenthings' full-dataset operators do too). The model is Benchmarks/peer/plain_bert.py (HF's computation,
eager attention) in --dtype. Selection: the weight matrices of --select (value@0,1 by default).

Libraries:
  curvlinops   HessianLinearOperator / GGNLinearOperator (check_deterministic off: its check costs extra matvecs)
               → scipy.sparse.linalg.eigsh(k, which='LA', tol=--tol), ARPACK's implicitly restarted Lanczos.
  eigenthings  HessianOperator / GGNOperator → hessian_eigenthings.lanczos(k, which='LA', max_iter=--max-iter,
               tol=--tol, full re-orthogonalization).
Prints one JSON object: eigenvalues, matvecs, seconds (operator construction excluded, the solver's wall time
included), torch's version, BLAS and threads.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plain_bert  # noqa: E402
from probe_batches import padded_batches  # noqa: E402
from torch_finetune import load_rt_polarity  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(REPO, "assets", "data", "rt-polarity", "movieReviewSnippets_GroundTruth.txt")


def parse_args():
    p = argparse.ArgumentParser(description="curvlinops / hessian-eigenthings peer for hessian --curvature")
    p.add_argument("--model", required=True, help="model directory with a classifier head (or the output of --make-classifier)")
    p.add_argument("--make-classifier", metavar="BASE", help="write --model from the encoder in BASE with a seeded 2-way head, and stop")
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--select", default="value@0,1")
    p.add_argument("--curvature", choices=["hessian", "ggn"], default="ggn")
    p.add_argument("--library", choices=["curvlinops", "eigenthings"], default="curvlinops")
    p.add_argument("--examples", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--max-iter", type=int, default=100)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def make_classifier(base, out, seed=0):
    """BASE's tensors under HF names (bert. prefix), a pooler if BASE has none, and a 2-way classifier N(0, 0.02²)."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    tensors = {(k if k.startswith("bert.") else "bert." + k): v.contiguous() for k, v in load_file(os.path.join(base, "model.safetensors")).items()}
    with open(os.path.join(base, "config.json")) as f:
        config = json.load(f)
    h = config["hidden_size"]
    g = torch.Generator().manual_seed(seed)
    if "bert.pooler.dense.weight" not in tensors:
        tensors["bert.pooler.dense.weight"] = torch.randn(h, h, generator=g) * 0.02
        tensors["bert.pooler.dense.bias"] = torch.zeros(h)
    tensors["classifier.weight"] = torch.randn(2, h, generator=g) * 0.02
    tensors["classifier.bias"] = torch.zeros(2)
    os.makedirs(out, exist_ok=True)
    save_file({k: v.to(torch.float32) for k, v in tensors.items()}, os.path.join(out, "model.safetensors"))
    config.update({"architectures": ["BertForSequenceClassification"], "num_labels": 2,
                   "id2label": {"0": "negative", "1": "positive"}, "label2id": {"negative": 0, "positive": 1}})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for name in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"):
        if os.path.exists(os.path.join(base, name)):
            shutil.copy(os.path.join(base, name), os.path.join(out, name))


def main():
    args = parse_args()
    if args.make_classifier:
        make_classifier(args.make_classifier, args.model, args.seed)
        print(json.dumps({"model": args.model, "from": args.make_classifier}))
        return
    import torch
    from transformers import BertTokenizer

    torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    model = plain_bert.load(args.model, dtype).eval()
    tokenizer = BertTokenizer.from_pretrained(args.model, do_lower_case=True)
    train, _ = load_rt_polarity(args.data)
    rows = train[: args.examples]
    batches = [({"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}, y)
               for ids, mask, y in padded_batches(torch, tokenizer, rows, args.batch_size, args.max_length)]
    names = plain_bert.selected_names(args.select, model.layers)
    chosen = model.only_trainable(names)
    dim = sum(p.numel() for p in chosen)
    loss = torch.nn.CrossEntropyLoss(reduction="mean")
    result = {"library": args.library, "curvature": args.curvature, "torch": torch.__version__,
              "blas": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0], "threads": torch.get_num_threads(),
              "dtype": args.dtype, "select": args.select, "tensors": names, "dimension": dim, "examples": len(rows),
              "batch_size": args.batch_size, "max_length": args.max_length, "top_k": args.top_k, "tol": args.tol}
    if args.library == "curvlinops":
        import curvlinops
        import numpy as np
        from scipy.sparse.linalg import eigsh

        cls = curvlinops.GGNLinearOperator if args.curvature == "ggn" else curvlinops.HessianLinearOperator
        op = cls(model, loss, chosen, batches, check_deterministic=False, batch_size_fn=lambda x: x["input_ids"].shape[0])
        scipy_op = op.to_scipy()
        matvecs = 0
        inner = scipy_op.matvec

        def counted(x):
            nonlocal matvecs
            matvecs += 1
            return inner(x)

        from scipy.sparse.linalg import LinearOperator
        wrapped = LinearOperator(scipy_op.shape, matvec=counted, dtype=scipy_op.dtype)
        rng = np.random.default_rng(args.seed)
        t0 = time.perf_counter()
        values = eigsh(wrapped, k=args.top_k, which="LA", tol=args.tol, v0=rng.standard_normal(dim), return_eigenvectors=False)
        result["seconds"] = time.perf_counter() - t0
        result["top"] = sorted(values.tolist(), reverse=True)
        result["matvecs"] = matvecs
        result["solver"] = "scipy.sparse.linalg.eigsh (ARPACK), which=LA"
    else:
        import hessian_eigenthings as he

        selected = set(names)

        def keep(name, _):
            return name.replace("p.", "", 1).replace("/", ".") in selected

        def forward(m, batch):
            return m(batch[0])

        if args.curvature == "ggn":
            op = he.GGNOperator(model, batches, forward, lambda out, batch: loss(out, batch[1]), param_filter=keep)
        else:
            op = he.HessianOperator(model, batches, lambda m, batch: loss(m(batch[0]), batch[1]), param_filter=keep)
        t0 = time.perf_counter()
        res = he.lanczos(op, k=args.top_k, which="LA", max_iter=args.max_iter, tol=args.tol, reorthogonalize=True, seed=args.seed)
        result["seconds"] = time.perf_counter() - t0
        vals = res.eigenvalues if hasattr(res, "eigenvalues") else res.values
        result["top"] = sorted([float(v) for v in vals], reverse=True)
        for attr in ("n_matvecs", "matvecs", "num_matvecs"):
            if hasattr(res, attr):
                result["matvecs"] = int(getattr(res, attr))
        result["solver"] = f"hessian_eigenthings.lanczos (which=LA, max_iter={args.max_iter}, full re-orthogonalization)"
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
