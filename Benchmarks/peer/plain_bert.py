"""A plain PyTorch BERT classifier (HF BertForSequenceClassification's computation, eval mode, no dropout) built from a
safetensors file with HF names, without transformers: what the curvature fixtures and the GGN peer benchmark use.

Computation, as binarybert's forward (and HF's eager attention): embeddings (word + position + token type) →
LayerNorm; per layer: Q, K, V projections, scores QKᵀ/√d with masked keys at the dtype's most negative value
(softmax gives them exactly 0), probabilities·V, output projection + residual → LayerNorm, FFN (GELU, erf form, or
ReLU) + residual → LayerNorm; pooler tanh(dense(hidden[:, 0])); classifier. Inputs are a dict with input_ids,
attention_mask and token_type_ids (int64 [B, T]).
"""

import json
import math

import torch


class PlainBert(torch.nn.Module):
    def __init__(self, config, tensors, dtype=torch.float64):
        super().__init__()
        self.config = config
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.eps = config.get("layer_norm_eps", 1e-12)
        self.act = config.get("hidden_act", "gelu")
        # Parameters under their HF names ('.' is not allowed in a Module attribute: a ParameterDict with '/' keys).
        self.p = torch.nn.ParameterDict({k.replace(".", "/"): torch.nn.Parameter(v.to(dtype).clone()) for k, v in tensors.items()})

    def w(self, name):
        return self.p[name.replace(".", "/")]

    def named_hf_parameters(self):
        return {k.replace("/", "."): v for k, v in self.p.items()}

    def only_trainable(self, names):
        """The parameters `names` (HF names), the only ones left requiring gradients."""
        params = self.named_hf_parameters()
        for p in self.parameters():
            p.requires_grad_(False)
        chosen = [params[n] for n in names]
        for p in chosen:
            p.requires_grad_(True)
        return chosen

    def linear(self, x, prefix):
        return torch.nn.functional.linear(x, self.w(prefix + ".weight"), self.w(prefix + ".bias"))

    def norm(self, x, prefix):
        return torch.nn.functional.layer_norm(x, (x.shape[-1],), self.w(prefix + ".weight"), self.w(prefix + ".bias"), self.eps)

    def forward(self, X):
        ids, mask, types = X["input_ids"], X["attention_mask"], X["token_type_ids"]
        b, t = ids.shape
        positions = torch.arange(t).unsqueeze(0).expand(b, t)
        e = "bert.embeddings."
        h = self.w(e + "word_embeddings.weight")[ids] + self.w(e + "position_embeddings.weight")[positions] \
            + self.w(e + "token_type_embeddings.weight")[types]
        h = self.norm(h, e + "LayerNorm")
        dtype = h.dtype
        bias = (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
        d = h.shape[-1] // self.heads
        for l in range(self.layers):
            p = f"bert.encoder.layer.{l}."

            def split(x):
                return x.view(b, t, self.heads, d).transpose(1, 2)

            q = split(self.linear(h, p + "attention.self.query"))
            k = split(self.linear(h, p + "attention.self.key"))
            v = split(self.linear(h, p + "attention.self.value"))
            scores = q @ k.transpose(-1, -2) / math.sqrt(d) + bias
            ctx = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, t, self.heads * d)
            h = self.norm(self.linear(ctx, p + "attention.output.dense") + h, p + "attention.output.LayerNorm")
            mid = self.linear(h, p + "intermediate.dense")
            mid = torch.relu(mid) if self.act == "relu" else torch.nn.functional.gelu(mid)
            h = self.norm(self.linear(mid, p + "output.dense") + h, p + "output.LayerNorm")
        pooled = torch.tanh(self.linear(h[:, 0], "bert.pooler.dense"))
        return self.linear(pooled, "classifier")


def load(directory, dtype=torch.float64):
    from safetensors.torch import load_file

    with open(f"{directory}/config.json") as f:
        config = json.load(f)
    return PlainBert(config, load_file(f"{directory}/model.safetensors"), dtype)


KINDS = {
    "query": ["attention.self.query.weight"], "key": ["attention.self.key.weight"], "value": ["attention.self.value.weight"],
    "qk": ["attention.self.query.weight", "attention.self.key.weight"], "attention-output": ["attention.output.dense.weight"],
    "ffn-intermediate": ["intermediate.dense.weight"], "ffn-output": ["output.dense.weight"],
}


def selected_names(spec, layers):
    """binarybert's KIND@LAYERS[+…] selections of per-layer weight matrices."""
    names = []
    for term in spec.split("+"):
        kind, _, where = term.partition("@")
        if kind not in KINDS:
            raise SystemExit(f"--select: unknown kind {kind!r}")
        chosen = range(layers) if where in ("", "*") else sorted({int(x) for x in where.split(",")})
        for l in chosen:
            names += [f"bert.encoder.layer.{l}.{suffix}" for suffix in KINDS[kind]]
    return names
