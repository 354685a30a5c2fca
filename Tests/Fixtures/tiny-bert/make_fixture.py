#!/usr/bin/env python3
"""Writes the PyTorch/transformers reference fixtures for the Swift BERT implementation.

Run from anywhere (CI does not run it; the outputs are committed):

    pip install "torch==2.13.0+cpu" transformers safetensors numpy
    python Tests/Fixtures/tiny-bert/make_fixture.py

Outputs, for each variant (tiny-bert: 3-way classification with cross-entropy;
tiny-bert-regression: one output, MSE loss, float labels):

  config.json          a complete transformers BertConfig (every field written, not only non-defaults)
  model.safetensors    BertForSequenceClassification parameters, F64, HF names
                       (bert.embeddings.word_embeddings.weight, ..., bert.pooler.dense.weight,
                       classifier.weight, classifier.bias); buffers (position_ids, token_type_ids) are not stored
  reference.safetensors
      input_ids, attention_mask, token_type_ids   I64 [B=3, T=8]
      labels                                      I64 [3] (classification) or F64 [3] (regression)
      hidden_states.0 .. hidden_states.L          F64 [3, 8, 16]   (0 = embedding output after LayerNorm)
      attention_probs.0 .. attention_probs.L-1    F64 [3, 2, 8, 8] (softmax over keys; masked keys get exactly 0)
      pooled                                      F64 [3, 16]      (tanh(dense(hidden_states.L[:, 0])))
      logits                                      F64 [3, num_labels]
      loss                                        F64 []           (mean over the batch)
      grad.<parameter name>                       F64, for every parameter in model.safetensors (d loss / d param)

The model runs in eval mode (dropout off) with float64 and eager attention, so the reference is deterministic.
Notes for the implementation being checked:
  * word_embeddings has padding_idx = pad_token_id = 0 in HF; id 0 occurs only at padded positions here, whose
    outputs cannot reach the loss (masked keys, CLS pooling), so grad row 0 is 0 with or without padding_idx.
  * grad.bert.encoder.layer.*.attention.self.key.bias is zero in exact arithmetic (softmax ignores a constant
    added to a whole row of scores, and q·b_key is such a constant): the stored values are rounding noise of
    order 1e-17, so compare those tensors with an absolute tolerance, never a relative one.
  * Embedding rows never looked up (most of the 50 word ids, positions 8..15) have exactly zero gradient;
    every other gradient entry is well away from zero.
  * Padded query rows still get hidden states and attention rows (HF computes them); compare hidden states
    only where attention_mask is 1 if your implementation treats padded rows differently.
"""

import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import BertConfig, BertForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)

# Token ids in the tiny vocabulary: 0 = [PAD], 1 = [CLS], 2 = [SEP], 3.. ordinary tokens.
PAD, CLS, SEP = 0, 1, 2


def make_inputs():
    """Three examples of length 8, 6 and 7: a full-length pair, a padded single sentence and a padded pair."""
    g = torch.Generator().manual_seed(1234)

    def words(n):
        return torch.randint(3, 50, (n,), generator=g).tolist()

    rows = [
        ([CLS] + words(3) + [SEP] + words(2) + [SEP], [0] * 5 + [1] * 3),   # pair, full length
        ([CLS] + words(4) + [SEP], [0] * 6),                                  # single, 2 pads
        ([CLS] + words(2) + [SEP] + words(2) + [SEP], [0] * 4 + [1] * 3),   # pair, 1 pad
    ]
    T = 8
    ids, mask, types = [], [], []
    for tokens, token_types in rows:
        assert len(tokens) == len(token_types) <= T
        pad = T - len(tokens)
        ids.append(tokens + [PAD] * pad)
        mask.append([1] * len(tokens) + [0] * pad)
        types.append(token_types + [0] * pad)
    return (torch.tensor(ids, dtype=torch.long), torch.tensor(mask, dtype=torch.long),
            torch.tensor(types, dtype=torch.long))


def make_config(num_labels, problem_type):
    if num_labels == 1:
        id2label = {0: "SCORE"}
    else:
        id2label = {i: name for i, name in enumerate(["negative", "neutral", "positive"][:num_labels])}
    config = BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=24,
        hidden_act="gelu",
        max_position_embeddings=16,
        type_vocab_size=2,
        layer_norm_eps=1e-12,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        initializer_range=0.02,
        pad_token_id=PAD,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
        problem_type=problem_type,
        architectures=["BertForSequenceClassification"],
    )
    config._attn_implementation = "eager"
    return config


def init_weights(model, seed=0):
    """Non-trivial weights so that every gradient is well away from zero:
    matrices and embeddings N(0, 0.3²), LayerNorm weights 1 + 0.1·N(0,1), biases 0.1·N(0,1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g, dtype=torch.float64)
            if name.endswith("LayerNorm.weight"):
                p.copy_(1 + 0.1 * noise)
            elif name.endswith(".bias"):
                p.copy_(0.1 * noise)
            else:
                p.copy_(0.3 * noise)


def build(variant_dir, num_labels, problem_type):
    torch.manual_seed(0)
    config = make_config(num_labels, problem_type)
    model = BertForSequenceClassification(config).to(torch.float64)
    init_weights(model, seed=0)
    model.eval()  # no dropout; gradients still flow

    input_ids, attention_mask, token_type_ids = make_inputs()
    if problem_type == "regression":
        labels = torch.tensor([0.5, -1.25, 2.0], dtype=torch.float64)
    else:
        labels = torch.tensor([2, 0, 1], dtype=torch.long)

    captured = {}
    hook = model.bert.pooler.register_forward_hook(lambda mod, inp, out: captured.__setitem__("pooled", out))
    model.zero_grad(set_to_none=True)
    out = model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                labels=labels, output_hidden_states=True, output_attentions=True, return_dict=True)
    out.loss.backward()
    hook.remove()
    pooled = captured["pooled"]

    # Cross-checks of the reference against a hand computation.
    L = config.num_hidden_layers
    assert len(out.hidden_states) == L + 1 and len(out.attentions) == L
    assert torch.allclose(model.classifier(pooled), out.logits, rtol=0, atol=1e-14)
    first = out.hidden_states[-1][:, 0]
    assert torch.allclose(torch.tanh(model.bert.pooler.dense(first)), pooled, rtol=0, atol=1e-14)
    if problem_type == "regression":
        manual = ((out.logits.squeeze(-1) - labels) ** 2).mean()
    else:
        manual = torch.nn.functional.cross_entropy(out.logits, labels)
    assert torch.allclose(manual, out.loss, rtol=0, atol=1e-14)
    keys_masked = (attention_mask == 0)[:, None, None, :].expand_as(out.attentions[0])
    for a in out.attentions:
        assert torch.all(a[keys_masked] == 0), "masked keys must get exactly zero probability"
        assert torch.allclose(a.sum(-1), torch.ones_like(a.sum(-1)), rtol=0, atol=1e-14)

    params = {name: p.detach().contiguous().clone() for name, p in model.named_parameters()}
    buffers = {name for name, _ in model.named_buffers()}
    assert not (set(params) & buffers)
    grads = {}
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        grads["grad." + name] = p.grad.detach().contiguous().clone()
        if name.endswith("attention.self.key.bias"):
            # Softmax is invariant to adding q·b_k to every score of a row: this gradient is zero in exact
            # arithmetic, so the stored values are rounding noise (~1e-17). Compare it with an absolute tolerance.
            assert p.grad.abs().max() < 1e-12, name
            continue
        nonzero = p.grad[p.grad != 0].abs()
        assert nonzero.numel() > 0 and nonzero.min() > 1e-8, f"gradient of {name} is (nearly) zero somewhere it is used"

    os.makedirs(variant_dir, exist_ok=True)
    config_dict = config.to_dict()
    config_dict.pop("_attn_implementation", None)
    config_dict.pop("_attn_implementation_autoset", None)
    config_dict["dtype"] = "float64"
    config_dict.setdefault("position_embedding_type", "absolute")  # what pre-5.0 configs (e.g. MiniLM's) carry
    with open(os.path.join(variant_dir, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2, sort_keys=True)
        f.write("\n")

    save_file(params, os.path.join(variant_dir, "model.safetensors"), metadata={"format": "pt"})

    reference = {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "token_type_ids": token_type_ids,
        "labels": labels,
        "pooled": pooled.detach(),
        "logits": out.logits.detach(),
        "loss": out.loss.detach().reshape(()),
    }
    for i, h in enumerate(out.hidden_states):
        reference[f"hidden_states.{i}"] = h.detach()
    for i, a in enumerate(out.attentions):
        reference[f"attention_probs.{i}"] = a.detach()
    reference.update(grads)
    reference = {k: v.contiguous() for k, v in reference.items()}
    metadata = {
        "format": "pt",
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "problem_type": problem_type,
        "description": "BertForSequenceClassification eval-mode float64 eager attention; loss is the batch mean; "
                       "grad.<name> = d loss / d parameter",
    }
    save_file(reference, os.path.join(variant_dir, "reference.safetensors"), metadata=metadata)

    sizes = {n: os.path.getsize(os.path.join(variant_dir, n))
             for n in ("config.json", "model.safetensors", "reference.safetensors")}
    print(f"{os.path.relpath(variant_dir, FIXTURES)}: loss={out.loss.item():.12f} "
          f"params={sum(p.numel() for p in params.values())} sizes={sizes}")
    for n, s in sizes.items():
        assert s < 100_000, f"{n} is {s} bytes"


def main():
    torch.use_deterministic_algorithms(True)
    build(os.path.join(FIXTURES, "tiny-bert"), num_labels=3, problem_type="single_label_classification")
    build(os.path.join(FIXTURES, "tiny-bert-regression"), num_labels=1, problem_type="regression")
    return 0


if __name__ == "__main__":
    sys.exit(main())
