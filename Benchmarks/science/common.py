"""What the science benchmark's scripts share: reading its data, batching texts for a
causal LM, the QA answer NLL and perplexity it reports (issue #17)."""
import glob
import gzip
import json
import re

import torch
import torch.nn.functional as F


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def batch(tokenizer, texts, device="cpu"):
    """Right-padded ids, attention mask and labels (-100 on padding) for `texts`."""
    encoded = [tokenizer(t)["input_ids"] for t in texts]
    width = max(len(e) for e in encoded)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.full((len(encoded), width), pad, dtype=torch.long)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    for i, e in enumerate(encoded):
        ids[i, :len(e)] = torch.tensor(e)
        mask[i, :len(e)] = 1
    labels = ids.masked_fill(mask == 0, -100)
    return ids.to(device), mask.to(device), labels.to(device)


def sequence_nll(model, ids, mask, labels):
    """Summed NLL of each sequence's labelled tokens (next-token), and their counts."""
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
    target = labels[:, 1:]
    losses = F.cross_entropy(logits.transpose(1, 2), target.clamp(min=0), reduction="none")
    losses = losses * (target != -100)
    return losses.sum(1), (target != -100).sum(1)


@torch.no_grad()
def answer_nll(model, tokenizer, qa, batch_size=16):
    """Mean NLL per answer token over `qa` rows ({"prompt", "answer"}): only the answer's
    tokens count, given the prompt."""
    total, count = 0.0, 0
    for start in range(0, len(qa), batch_size):
        rows = qa[start:start + batch_size]
        ids, mask, labels = batch(tokenizer, [r["prompt"] + r["answer"] for r in rows])
        for i, r in enumerate(rows):
            prompt_len = len(tokenizer(r["prompt"])["input_ids"])
            labels[i, :prompt_len] = -100
        nll, n = sequence_nll(model, ids, mask, labels)
        total += nll.sum().item()
        count += n.sum().item()
    return total / count


@torch.no_grad()
def perplexity(model, tokenizer, texts, seq_len=128, max_windows=64, batch_size=8):
    """Perplexity over consecutive `seq_len`-token windows of the texts joined."""
    ids = []
    for t in texts:
        ids += tokenizer(t)["input_ids"]
    windows = [ids[i:i + seq_len] for i in range(0, len(ids) - seq_len + 1, seq_len)][:max_windows]
    total, count = 0.0, 0
    for start in range(0, len(windows), batch_size):
        x = torch.tensor(windows[start:start + batch_size])
        nll, n = sequence_nll(model, x, torch.ones_like(x), x)
        total += nll.sum().item()
        count += n.sum().item()
    return float(torch.exp(torch.tensor(total / count)))


MAN_PAGES = ["ls", "cp", "mv", "rm", "find", "grep", "sed", "tar", "gzip", "chmod", "chown", "ln", "du", "df",
             "sort", "uniq", "cut", "head", "tail", "wc", "xargs", "date", "env", "kill", "ps", "mkdir", "touch"]


def general_proxy():
    """The half of the man-page paragraphs the retain proxy holds (even positions)."""
    return man_pages()[::2]


def general_heldout():
    """The other half (odd positions): general text no profile has seen, whose perplexity
    the benchmark reports."""
    return man_pages()[1::2]


def man_pages():
    """Paragraphs of plain text from common section-1 man pages (roff stripped): the
    general text of the benchmark. Sorted, so the same on every run of one machine."""
    out = []
    for name in MAN_PAGES:
        for path in sorted(glob.glob(f"/usr/share/man/man1/{name}.1.gz"))[:1]:
            text = gzip.open(path, "rt", errors="ignore").read()
            lines = []
            for line in text.splitlines():
                if line.startswith((".", "'")):
                    if line.startswith((".PP", ".SH", ".TP", ".IP")):
                        lines.append("\n")
                    continue
                line = re.sub(r"\\f[BIRP]|\\f\(..|\\\(..|\\[-&e]", "", line).replace("\\", "")
                lines.append(line)
            out += [p.strip() for p in " ".join(lines).split("\n") if len(p.strip()) > 80]
    return out
