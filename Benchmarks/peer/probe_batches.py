#!/usr/bin/env python3
"""The probes' objective batches, shared by the PyTorch peers: rows (text, label) tokenized by HF BertTokenizer
(truncation at max_length), batches of batch_size padded to their longest row, as `binarybert hessian` and
`binarybert landscape` build them."""


def padded_batches(torch, tokenizer, rows, batch_size, max_length):
    """[(input_ids, attention_mask, labels)] for `rows` in order."""
    batches = []
    for start in range(0, len(rows), batch_size):
        part = rows[start:start + batch_size]
        ids = tokenizer([t for t, _ in part], truncation=True, max_length=max_length)["input_ids"]
        longest = max(map(len, ids))
        input_ids = torch.full((len(ids), longest), tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(ids), longest), dtype=torch.long)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = torch.tensor(row)
            mask[i, : len(row)] = 1
        batches.append((input_ids, mask, torch.tensor([y for _, y in part])))
    return batches
