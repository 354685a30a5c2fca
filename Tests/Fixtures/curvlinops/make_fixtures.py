#!/usr/bin/env python3
"""Cross-library curvature fixtures: the Hessian and the generalized Gauss–Newton matrix of the committed tiny models'
mean loss on their reference batch, computed by curvlinops-for-pytorch in float64, for the Swift tests to match.

Run from the repository root (CI does not run it; fixtures.json is committed):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch curvlinops-for-pytorch safetensors numpy
    /tmp/venv/bin/python Tests/Fixtures/curvlinops/make_fixtures.py

For Tests/Fixtures/tiny-bert (3-way head, softmax cross-entropy, mean over the batch) and tiny-bert-regression (one
output, squared error, mean over the batch): the batch of reference.safetensors (3 sequences of 8 tokens, padded),
the model rebuilt in plain PyTorch float64 (Benchmarks/peer/plain_bert.py; its logits and loss are checked against the
reference's to 1e-12 first), the selection value@0,1 (the two value matrices, 512 entries). curvlinops'
HessianLinearOperator and GGNLinearOperator are applied to the identity (512 matvecs each) and the dense matrices'
eigenvalues taken with torch.linalg.eigvalsh: the five largest, the smallest, and the trace. Writes fixtures.json.
"""

import json
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "Benchmarks", "peer"))
import plain_bert  # noqa: E402

SELECT = "value@0,1"


def fixture(name, regression):
    import curvlinops
    from safetensors.torch import load_file

    directory = os.path.join(ROOT, "Tests", "Fixtures", name)
    model = plain_bert.load(directory).eval()
    ref = load_file(os.path.join(directory, "reference.safetensors"))
    X = {k: ref[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    y = ref["labels"].to(torch.float64).reshape(-1, 1) if regression else ref["labels"]
    loss_func = torch.nn.MSELoss(reduction="mean") if regression else torch.nn.CrossEntropyLoss(reduction="mean")
    with torch.no_grad():
        logits = model(X)
        assert torch.allclose(logits, ref["logits"], rtol=1e-12, atol=1e-14), "the plain port's logits differ from the reference"
        assert abs(float(loss_func(logits, y)) - float(ref["loss"])) <= 1e-12 * abs(float(ref["loss"]))
    names = plain_bert.selected_names(SELECT, model.layers)
    chosen = model.only_trainable(names)
    dim = sum(p.numel() for p in chosen)
    data = [(X, y)]
    out = {"fixture": name, "loss": "squared error" if regression else "softmax cross-entropy", "reduction": "mean over the batch",
           "select": SELECT, "tensors": names, "dimension": dim, "examples": int(X["input_ids"].shape[0])}
    for key, cls in (("hessian", curvlinops.HessianLinearOperator), ("ggn", curvlinops.GGNLinearOperator)):
        op = cls(model, loss_func, chosen, data, batch_size_fn=lambda x: x["input_ids"].shape[0])
        dense = op @ torch.eye(dim, dtype=torch.float64)
        asymmetry = float((dense - dense.T).abs().max() / dense.abs().max())
        values = torch.linalg.eigvalsh((dense + dense.T) / 2)
        out[key] = {"top": values.flip(0)[:5].tolist(), "bottom": float(values[0]), "trace": float(torch.trace(dense)),
                    "frobenius": float(dense.norm()), "asymmetry": asymmetry}
    return out


def main():
    from importlib.metadata import version

    result = {"generator": "Tests/Fixtures/curvlinops/make_fixtures.py", "torch": torch.__version__,
              "curvlinops": version("curvlinops-for-pytorch"), "dtype": "float64",
              "models": [fixture("tiny-bert", False), fixture("tiny-bert-regression", True)]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
