"""Train the local engine's models and write ``lockllm/engine/_weights.json``.

    python scripts/train_engine.py [--data DIR] [--folds K] [--no-write]

Reads ``train.jsonl`` and ``dev.jsonl`` from ``../shared/data/detection`` (relative to the
repository root) and takes them together. About 3.5 minutes on 2 cores, 2.5 with
``--no-random`` (numpy is needed: ``pip install "lockllm[train]"``); the runtime engine never
imports numpy. Two runs give byte-identical ``_weights.json`` and ``_charlm.json``. Everything is
deterministic: folds are a rule on repository names, training is full-batch Adam in float64
from zeros, and every sample is chosen by SHA-256.

Evaluation is *grouped*: each row belongs to the repository of the first part of its
``source`` (parts are joined by `` + ``, each ``owner/repo:path``); repositories are dealt
into K folds, and when a fold is held out, every row that names one of its repositories in
*any* part is dropped from that fold's training. So each out-of-fold score comes from models
that never saw that repository's documents, templates, requests or suffixes.

What is trained (see ``lockllm/engine/_model.py`` and ``_score.py``):

1. a text model (word 1-2-grams, logistic regression, L2, every weight capped at ``CAP``
   and common English at ``CAP_COMMON``),
2. a segment model on lines and sentences: instructions planted in documents (cut out by
   comparing each attacked document with its clean twin) against the segments of benign
   rows,
3. a stacker over both models' scores, every rule's weight, the rule categories and the
   character language model's gibberish score, fitted on out-of-fold scores; its own
   out-of-fold risks (a second grouped pass) give the thresholds at the target false-positive
   rates ``FPR_TARGETS``.
4. the character language model of ``_charlm.py`` (``_charlm.json``), counted on benign
   rows (per fold on that fold's training rows, for the out-of-fold scores).

``--no-write`` prints the figures without writing the weights (``benchmarks/detection.py``
runs the same evaluation).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from lockllm.engine._charlm import CHARLM_FILE, dump_charlm, train_charlm  # noqa: E402
from lockllm.engine._evidence import collect_hits  # noqa: E402
from lockllm.engine._features import (  # noqa: E402
    chunk_bounds,
    looks_like_document,
    segment_bounds,
    word_grams,
)
from lockllm.engine._harm import wrapper_features  # noqa: E402
from lockllm.engine._model import LOGIT_CLIP, LinearModel  # noqa: E402
from lockllm.engine._normalize import normalize  # noqa: E402
from lockllm.engine._score import (  # noqa: E402
    rule_risk,
    stack_features,
    trusted_max,
    wrapper_strength,
)

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "detection"
WEIGHTS = ROOT / "lockllm" / "engine" / "_weights.json"
FOLDS = 5
FPR_TARGETS = {"low": 0.005, "medium": 0.025, "high": 0.06}
L2 = 1e-5
CAP = 3.0  # no single word or bigram weighs more than this (text-level value <= 1)
CAP_COMMON = 0.75
COMMON_DF = 0.01
EPOCHS = 160
MIN_DF = 3
PRUNE = 0.05
SEGMENTS_PER_ROW = 6
STACK_L2 = 1e-5
# Stacker inputs left out. The character LM's gibberish score is as high on Korean, Hindi or
# Thai documents of an unseen source as on adversarial suffixes: as an input it cost 5 points
# of grouped medium recall (54.7% without it, 49.6% with it, at 2.5% FPR). Suffixes are
# found by ``_suffix`` instead.
STACK_EXCLUDED = frozenset({"charlm", "harm_charlm"})
RULE_LEVELS = ((0.7, "high"), (0.8, "medium"), (0.9, "low"))
LENGTH_BANDS = ((0, 100, "<100"), (100, 300, "100-299"), (300, 1000, "300-999"),
                (1000, 3000, "1000-2999"), (3000, 10**9, ">=3000"))  # fmt: skip
Row = Dict[str, Any]


# ----------------------------------------------------------------------------- data
def load_rows(data_dir: Path) -> List[Row]:
    """``train.jsonl`` then ``dev.jsonl`` of ``data_dir``."""
    rows: List[Row] = []
    for name in ("train.jsonl", "dev.jsonl"):
        with open(data_dir / name, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def source_repos(source: str) -> List[str]:
    """Repositories named by a ``source`` field, first part first."""
    out = []
    for part in source.split(" + "):
        repo = part.split(":", 1)[0].strip()
        if repo and repo not in out:
            out.append(repo)
    return out


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assign_folds(rows: Sequence[Row], k: int) -> Dict[str, int]:
    """Repositories dealt into ``k`` folds: largest first, each to the smallest fold so far."""
    sizes = Counter(source_repos(r["source"])[0] for r in rows)
    load = [0] * k
    fold: Dict[str, int] = {}
    for repo, n in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        i = min(range(k), key=lambda j: (load[j], j))
        fold[repo] = i
        load[i] += n
    return fold


def length_band(n: int) -> str:
    for lo, hi, name in LENGTH_BANDS:
        if lo <= n < hi:
            return name
    return LENGTH_BANDS[-1][2]


# ----------------------------------------------------------------------------- features
# (end of range, script) for the letters of the scripts in the data; the rest is "other".
_SCRIPT_RANGES = ((0x250, "latin"), (0x370, "ipa"), (0x400, "greek"), (0x530, "cyrillic"),
                  (0x600, "armenian-hebrew"), (0x700, "arabic"), (0x900, "other"),
                  (0x980, "devanagari"), (0xE00, "indic"), (0xE80, "thai"), (0x3040, "other"),
                  (0x3100, "kana"), (0x4E00, "other"), (0xA000, "han"), (0xAC00, "other"),
                  (0xD7B0, "hangul"))  # fmt: skip


def dominant_script(text: str) -> str:
    """The script of most letters of ``text`` (its first 3,000 characters)."""
    counts: Counter = Counter()
    for ch in text[:3000]:
        if ch.isalpha():
            o = ord(ch)
            counts[next((n for hi, n in _SCRIPT_RANGES if o < hi), "other")] += 1
    return counts.most_common(1)[0][0] if counts else "none"


def _prepare(text: str) -> Tuple[str, List[Tuple[str, str, float]]]:
    norm = normalize(text)
    hits = [(h.rule, h.category, h.weight) for h in collect_hits(text, norm=norm)]
    return norm.text, hits


class _H:
    """A rule hit as the stacker sees it (rule id, category, weight)."""

    __slots__ = ("category", "rule", "weight")

    def __init__(self, rule: str, category: str, weight: float) -> None:
        self.rule, self.category, self.weight = rule, category, weight


def prepare(rows: Sequence[Row]) -> None:
    """Add ``view`` and ``hits`` to each row (two worker processes)."""
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(_prepare, [r["text"] for r in rows], chunksize=64))
    for r, (view, hits) in zip(rows, results):
        r["view"], r["hits"] = view, hits
        r["wrap"] = wrapper_features(view)
        r["repos"] = source_repos(r["source"])
        r["script"] = dominant_script(r["text"])


def _common_prefix(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # binary search on slice equality (C-speed comparisons)
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, min(len(a), len(b), limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def planted_parts(rows: Sequence[Row]) -> None:
    """For attacked documents with a clean twin, store the planted text in ``planted``."""
    key = 40
    by_head: Dict[str, List[str]] = defaultdict(list)
    by_tail: Dict[str, List[str]] = defaultdict(list)
    for r in rows:
        if r["label"] == 0 and len(r["view"]) >= 2 * key:
            by_head[r["view"][:key]].append(r["view"])
            by_tail[r["view"][-key:]].append(r["view"])
    for r in rows:
        v = r["view"]
        if r["label"] != 1 or len(v) < 2 * key:
            continue
        best: Optional[Tuple[int, str]] = None
        for clean in {*by_head.get(v[:key], ()), *by_tail.get(v[-key:], ())}:
            if len(clean) >= len(v):
                continue
            p = _common_prefix(v, clean)
            q = _common_suffix(v, clean, min(len(v), len(clean)) - p)
            if p + q >= 0.8 * len(clean) and (best is None or p + q > best[0]):
                best = (p + q, v[p : len(v) - q])
        if best is not None and 8 <= len(best[1].strip()) <= 2000:
            r["planted"] = best[1].strip()


def text_instances(rows: Sequence[Row]) -> Tuple[List[str], List[int], List[float], List[int]]:
    """Windows of every row (weights balance the classes; a row's windows share its weight)."""
    pos = sum(r["label"] for r in rows) or 1
    neg = (len(rows) - pos) or 1
    chunks, labels, weights, owner = [], [], [], []
    for i, r in enumerate(rows):
        view = r["view"]
        bounds = chunk_bounds(len(view))
        w = len(rows) / (2.0 * (pos if r["label"] else neg)) / len(bounds)
        for s, e in bounds:
            chunks.append(view[s:e])
            labels.append(int(r["label"]))
            weights.append(w)
            owner.append(i)
    return chunks, labels, weights, owner


def segment_instances(rows: Sequence[Row]) -> Tuple[List[str], List[int], List[float], List[int]]:
    """Planted instructions and short direct attacks (1) against benign segments (0)."""
    texts, labels, owner = [], [], []
    for i, r in enumerate(rows):
        if r["label"] == 1:
            piece = r.get("planted")
            if piece is None and len(r["view"]) <= 300 and r["category"] in (
                "direct_injection", "prompt_extraction"
            ):  # fmt: skip
                piece = r["view"]
            if piece is not None:
                for s, e in chunk_bounds(len(piece)):
                    texts.append(piece[s:e])
                    labels.append(1)
                    owner.append(i)
            continue
        view = r["view"]
        bounds = segment_bounds(view)
        if len(bounds) < 2:
            continue
        picked = sorted(bounds, key=lambda b: _sha(f"{i}:{b[0]}"))[:SEGMENTS_PER_ROW]
        for s, e in picked:
            texts.append(view[s:e])
            labels.append(0)
            owner.append(i)
    pos = sum(labels) or 1
    neg = (len(labels) - pos) or 1
    weights = [len(labels) / (2.0 * (pos if y else neg)) for y in labels]
    return texts, labels, weights, owner


class Matrix:
    """Sparse rows (CSR) of word-gram features, one global vocabulary."""

    def __init__(self, texts: Sequence[str], vocab: Dict[str, int]) -> None:
        indptr, indices, data = [0], [], []
        for t in texts:
            grams = word_grams(t)
            if grams:
                scale = 1.0 / math.sqrt(len(grams))
                for g, n in sorted(Counter(grams).items()):
                    j = vocab.get(g)
                    if j is not None:
                        indices.append(j)
                        data.append(n * scale)
            indptr.append(len(indices))
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.data = np.asarray(data, dtype=np.float64)
        self.rows = np.repeat(np.arange(len(texts)), np.diff(self.indptr))
        self.n = len(texts)
        self.dim = len(vocab)

    def dot(self, w: np.ndarray) -> np.ndarray:
        return np.bincount(self.rows, weights=self.data * w[self.indices], minlength=self.n)


def build_vocab(texts: Iterable[str]) -> Dict[str, int]:
    df: Counter = Counter()
    for t in texts:
        df.update(set(word_grams(t)))
    return {g: i for i, g in enumerate(sorted(g for g, n in df.items() if n >= MIN_DF))}


def script_balanced(
    y: np.ndarray, sw: np.ndarray, mask: np.ndarray, script: np.ndarray
) -> np.ndarray:
    """``sw`` on the masked instances, reweighted so that within each script attacks and
    benign texts weigh the same.

    Which scripts the attacks of the training sources happen to be written in is no cue
    that carries over to new sources: without this, holding out the multilingual benign
    sources taught the models that Devanagari or Thai text is an attack (grouped medium
    recall 45.7% -> 49.6% at the same false-positive rate with it).
    """
    out = np.where(mask, sw, 0.0)
    for g in np.unique(script[mask]):
        sel = mask & (script == g)
        pos = float(out[sel & (y == 1)].sum())
        neg = float(out[sel & (y == 0)].sum())
        if pos > 0 and neg > 0:
            out[sel & (y == 1)] *= (pos + neg) / (2 * pos)
            out[sel & (y == 0)] *= (pos + neg) / (2 * neg)
    return out


def train_linear(
    X: Matrix, y: np.ndarray, sw: np.ndarray, mask: np.ndarray, script: np.ndarray
) -> Tuple[np.ndarray, float]:
    """Weighted logistic regression on the masked rows; weights capped at ``CAP``.

    Common English ("can you", "repeat", "your previous": a feature found in at least
    ``COMMON_DF`` of the benign training instances) is capped at ``CAP_COMMON``, so no
    everyday word or phrase can carry a text over the threshold on its own.
    """
    sel = mask[X.rows]
    benign = sel & (y[X.rows] == 0)
    n_benign = max(int(np.sum(mask & (y == 0))), 1)
    df = np.bincount(X.indices[benign], minlength=X.dim)
    cap = np.where(df >= COMMON_DF * n_benign, CAP_COMMON, CAP)
    rows, idx, data = X.rows[sel], X.indices[sel], X.data[sel]
    sw = script_balanced(y, sw, mask, script)
    sw = sw / sw.sum()
    w = np.zeros(X.dim)
    b = 0.0
    m_w, v_w = np.zeros(X.dim), np.zeros(X.dim)
    m_b = v_b = 0.0
    lr, beta1, beta2, eps = 0.08, 0.9, 0.999, 1e-8
    for t in range(1, EPOCHS + 1):
        z = np.bincount(rows, weights=data * w[idx], minlength=X.n) + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        g = (p - y) * sw
        grad_w = np.bincount(idx, weights=data * g[rows], minlength=X.dim) + L2 * w
        grad_b = float(g.sum())
        m_w = beta1 * m_w + (1 - beta1) * grad_w
        v_w = beta2 * v_w + (1 - beta2) * grad_w**2
        m_b = beta1 * m_b + (1 - beta1) * grad_b
        v_b = beta2 * v_b + (1 - beta2) * grad_b**2
        c1, c2 = 1 - beta1**t, 1 - beta2**t
        w -= lr * (m_w / c1) / (np.sqrt(v_w / c2) + eps)
        b -= lr * (m_b / c1) / (math.sqrt(v_b / c2) + eps)
        np.clip(w, -cap, cap, out=w)
    w[np.abs(w) < PRUNE] = 0.0
    return w, b


def max_logit_per_row(X: Matrix, owner: np.ndarray, w: np.ndarray, b: float, n: int) -> np.ndarray:
    z = np.clip(X.dot(w) + b, -LOGIT_CLIP, LOGIT_CLIP)
    out = np.full(n, -LOGIT_CLIP)
    np.maximum.at(out, owner, z)
    return out


# ----------------------------------------------------------------------------- stacker
def stack_matrix(
    rows: Sequence[Row], z_text: np.ndarray, z_seg: np.ndarray, charlm: np.ndarray
) -> Tuple[np.ndarray, List[str]]:
    feats = []
    for r, zt, zs, lm in zip(rows, z_text, z_seg, charlm):
        hits = [_H(*h) for h in r["hits"]]
        feats.append(
            stack_features(float(zt), float(zs), r["doc"], hits, float(lm), wrapper=r["wrap"])
        )
    df = Counter(k for f in feats for k in f if k not in STACK_EXCLUDED)
    names = sorted({"rule_trusted", *(k for k, n in df.items() if n >= 3)})
    col = {k: i for i, k in enumerate(names)}
    M = np.zeros((len(rows), len(names)))
    for i, f in enumerate(feats):
        for k, v in f.items():
            j = col.get(k)
            if j is not None:
                M[i, j] = v
    return M, names


def trusted_rules(rows: Sequence[Row], mask: np.ndarray) -> Set[str]:
    """Rules that fired on at most two benign rows, or on at most 5% benign rows of their hits,
    among the masked rows; rules that never fired there count as trusted too (their hand-set
    weight is all there is to go on)."""
    benign: Counter = Counter()
    total: Counter = Counter()
    every: Set[str] = set()
    for r, m in zip(rows, mask):
        names = {h[0] for h in r["hits"]}
        every |= names
        if m:
            total.update(names)
            if r["label"] == 0:
                benign.update(names)
    return {n for n in every if benign[n] <= max(2, 0.05 * total[n])}


def trusted_strength(row: Row, trusted: Set[str]) -> float:
    """The strongest trusted rule or wrapped-request cue of ``row`` (as ``stack_features``)."""
    return max(trusted_max([_H(*h) for h in row["hits"]], trusted), wrapper_strength(row["wrap"]))


def with_trusted(
    M: np.ndarray, names: Sequence[str], rows: Sequence[Row], trusted: Set[str]
) -> np.ndarray:
    """``M`` with its ``rule_trusted`` column computed for ``trusted``."""
    out = M.copy()
    j = list(names).index("rule_trusted")
    out[:, j] = [trusted_strength(r, trusted) for r in rows]
    return out


def _nonneg(names: Sequence[str]) -> np.ndarray:
    return np.array([not n.startswith("doc") for n in names])


def train_stacker(
    M: np.ndarray, y: np.ndarray, mask: np.ndarray, names: Sequence[str]
) -> Tuple[np.ndarray, float]:
    X, t = M[mask], y[mask]
    pos = max(t.sum(), 1.0)
    neg = max(len(t) - t.sum(), 1.0)
    sw = np.where(t == 1, 0.5 / pos, 0.5 / neg)
    w = np.zeros(M.shape[1])
    b = 0.0
    nonneg = _nonneg(names)
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b = v_b = 0.0
    lr, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
    for it in range(1, 1501):
        z = X @ w + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        g = (p - t) * sw
        grad_w = X.T @ g + STACK_L2 * w
        grad_b = float(g.sum())
        m_w = beta1 * m_w + (1 - beta1) * grad_w
        v_w = beta2 * v_w + (1 - beta2) * grad_w**2
        m_b = beta1 * m_b + (1 - beta1) * grad_b
        v_b = beta2 * v_b + (1 - beta2) * grad_b**2
        c1, c2 = 1 - beta1**it, 1 - beta2**it
        w -= lr * (m_w / c1) / (np.sqrt(v_w / c2) + eps)
        b -= lr * (m_b / c1) / (math.sqrt(v_b / c2) + eps)
        w[nonneg] = np.maximum(w[nonneg], 0.0)
    return w, b


def pick_threshold(benign_risks: np.ndarray, target_fpr: float) -> float:
    """Lowest threshold (3-decimal grid) whose false-positive rate is at most the target."""
    for t in np.arange(0.05, 1.0, 0.001):
        if float(np.mean(benign_risks >= t)) <= target_fpr:
            return round(float(t), 3)
    return 0.999


# ----------------------------------------------------------------------------- pipeline
class Data:
    """Rows with their precomputed views, rule hits, instances and matrices."""

    def __init__(self, rows: List[Row]) -> None:
        t0 = time.perf_counter()
        prepare(rows)
        planted_parts(rows)
        for r in rows:
            r["doc"] = looks_like_document(r["view"])
        self.rows = rows
        self.y = np.asarray([r["label"] for r in rows], dtype=np.float64)
        tc, tl, tw, to = text_instances(rows)
        sc, sl, sw, so = segment_instances(rows)
        self.vocab = build_vocab([*tc, *sc])
        self.Xt, self.yt = Matrix(tc, self.vocab), np.asarray(tl, dtype=np.float64)
        self.wt, self.ot = np.asarray(tw), np.asarray(to)
        self.Xs, self.ys = Matrix(sc, self.vocab), np.asarray(sl, dtype=np.float64)
        self.ws, self.os = np.asarray(sw), np.asarray(so)
        scripts = sorted({r["script"] for r in rows})
        code = np.asarray([scripts.index(r["script"]) for r in rows])
        self.st, self.ss = code[self.ot], code[self.os]  # script of each instance's row
        # Segment scores are read over all segments of every row, as at scan time.
        seg_texts, seg_owner = [], []
        for i, r in enumerate(rows):
            bounds = segment_bounds(r["view"])
            if len(bounds) >= 2:
                for s, e in bounds:
                    seg_texts.append(r["view"][s:e])
                    seg_owner.append(i)
        self.Xa, self.oa = Matrix(seg_texts, self.vocab), np.asarray(seg_owner, dtype=np.int64)
        planted = sum("planted" in r for r in rows)
        print(
            f"prepared {len(rows)} rows in {time.perf_counter() - t0:.0f} s: "
            f"{self.Xt.n} windows, {self.Xs.n} training segments ({planted} planted parts cut "
            f"out), {len(self.vocab)} features"
        )

    def fit(self, train_rows: np.ndarray) -> Tuple[LinearModel, LinearModel, Any]:
        """Text and segment models on the rows where ``train_rows`` is true."""
        wt, bt = train_linear(self.Xt, self.yt, self.wt, train_rows[self.ot], self.st)
        ws, bs = train_linear(self.Xs, self.ys, self.ws, train_rows[self.os], self.ss)
        return (wt, bt), (ws, bs), None  # type: ignore[return-value]

    def scores(self, fitted: Any) -> Tuple[np.ndarray, np.ndarray]:
        (wt, bt), (ws, bs), _ = fitted
        n = len(self.rows)
        z_text = max_logit_per_row(self.Xt, self.ot, wt, bt, n)
        z_seg = max_logit_per_row(self.Xa, self.oa, ws, bs, n)
        return z_text, z_seg


def grouped_masks(rows: Sequence[Row], k: int) -> List[Tuple[np.ndarray, np.ndarray]]:
    """(train, test) masks per fold; training drops rows naming a held-out repository."""
    fold = assign_folds(rows, k)
    out = []
    for i in range(k):
        held = {repo for repo, f in fold.items() if f == i}
        test = np.asarray([fold[r["repos"][0]] == i for r in rows])
        train = np.asarray([not (set(r["repos"]) & held) for r in rows])
        out.append((train & ~test, test))
    return out


def random_masks(rows: Sequence[Row], k: int) -> List[Tuple[np.ndarray, np.ndarray]]:
    f = np.asarray([int(_sha("row:" + r["text"])[:8], 16) % k for r in rows])
    return [(f != i, f == i) for i in range(k)]


def cross_validate(
    data: Data, masks: Sequence[Tuple[np.ndarray, np.ndarray]], label: str
) -> Dict[str, Any]:
    """Out-of-fold risks: base models per fold, then the stacker in a second pass."""
    n = len(data.rows)
    z_text = np.zeros(n)
    z_seg = np.zeros(n)
    charlm = np.zeros(n)
    for i, (train, test) in enumerate(masks):
        t0 = time.perf_counter()
        zt, zs = data.scores(data.fit(train))
        z_text[test], z_seg[test] = zt[test], zs[test]
        if "charlm" not in STACK_EXCLUDED:
            lm = train_charlm(r["text"] for r, t in zip(data.rows, train) if t and not r["label"])
            charlm[test] = [lm.score(r["text"]) for r, t in zip(data.rows, test) if t]
        print(f"  {label} fold {i}: {int(test.sum())} held out, {time.perf_counter() - t0:.0f} s")
    M, names = stack_matrix(data.rows, z_text, z_seg, charlm)
    risk = np.zeros(n)
    for train, test in masks:
        Mk = with_trusted(M, names, data.rows, trusted_rules(data.rows, train))
        w, b = train_stacker(Mk, data.y, train, names)
        risk[test] = 1.0 / (1.0 + np.exp(-(Mk[test] @ w + b)))
    benign = risk[data.y == 0]
    thresholds = {lvl: pick_threshold(benign, fpr) for lvl, fpr in FPR_TARGETS.items()}
    # One strong rule suffices: trusted rules (of each fold's training rows) join on the
    # risk scale of these thresholds; the figures are those of the combination.
    knots = rule_knots(thresholds)
    for train, test in masks:
        trusted = trusted_rules(data.rows, train)
        for i in np.flatnonzero(test):
            w = trusted_strength(data.rows[i], trusted)
            risk[i] = max(risk[i], rule_risk(w, knots))
    return {"risk": risk, "M": M, "names": names, "thresholds": thresholds, "knots": knots}


def rule_knots(thresholds: Dict[str, float]) -> List[Tuple[float, float]]:
    """Trusted rule weights 0.7 / 0.8 / 0.9 reach the high / medium / low thresholds."""
    return [(w, thresholds[lvl]) for w, lvl in RULE_LEVELS]


def report(data: Data, risk: np.ndarray, thresholds: Dict[str, float], title: str) -> None:
    """Recall / FPR per sensitivity, per category and per length band."""
    rows = data.rows
    print(f"\n## {title}\n")
    print("| sensitivity | threshold | precision | recall | F1 | FPR |")
    print("|---|---:|---:|---:|---:|---:|")
    y = data.y == 1
    for lvl, t in thresholds.items():
        pred = risk >= t
        tp, fp = int((pred & y).sum()), int((pred & ~y).sum())
        prec = tp / max(tp + fp, 1)
        rec = tp / max(int(y.sum()), 1)
        f1 = 2 * prec * rec / max(prec + rec, 1e-9)
        fpr = fp / max(int((~y).sum()), 1)
        print(f"| {lvl} | {t:.3f} | {prec:.1%} | {rec:.1%} | {f1:.1%} | {fpr:.1%} |")
    for key, name in (("category", "category"), ("band", "length band (chars)")):
        groups: Dict[str, List[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            g = r["category"] if key == "category" else f"{length_band(len(r['text']))} "
            groups[g if key == "category" else g + ("attack" if r["label"] else "benign")].append(i)
        print(f"\nper {name} (attack groups: recall; benign groups: FPR)\n")
        print("| group | rows | " + " | ".join(thresholds) + " |")
        print("|---|---:|" + "---:|" * len(thresholds))
        order = sorted(groups, key=lambda g: (rows[groups[g][0]]["label"] == 0, g))
        if key == "band":
            names = [b[2] for b in LENGTH_BANDS]
            order = sorted(groups, key=lambda g: (g.endswith("benign"), names.index(g.split()[0])))
        for g in order:
            idx = np.asarray(groups[g])
            rate = [float(np.mean(risk[idx] >= t)) for t in thresholds.values()]
            print(f"| {g} | {len(idx)} | " + " | ".join(f"{x:.1%}" for x in rate) + " |")


def per_repo(data: Data, risk: np.ndarray, threshold: float) -> None:
    """Medium figures by held-out source repository (where recall falls short)."""
    print("\nper source repository at medium (held out; attack recall / benign FPR)\n")
    print("| repository | attacks | recall | benign | FPR |")
    print("|---|---:|---:|---:|---:|")
    groups: Dict[str, List[int]] = defaultdict(list)
    for i, r in enumerate(data.rows):
        groups[r["repos"][0]].append(i)
    for repo in sorted(groups):
        idx = np.asarray(groups[repo])
        att = idx[data.y[idx] == 1]
        ben = idx[data.y[idx] == 0]
        rec = f"{np.mean(risk[att] >= threshold):.1%}" if len(att) else "-"
        fpr = f"{np.mean(risk[ben] >= threshold):.1%}" if len(ben) else "-"
        print(f"| {repo} | {len(att)} | {rec} | {len(ben)} | {fpr} |")


def evaluate(data_dir: Path, folds: int, random_split: bool = True) -> Tuple[Data, Dict[str, Any]]:
    """Grouped cross-validation (and a random split, labelled as such); prints tables."""
    data = Data(load_rows(data_dir))
    grouped = cross_validate(data, grouped_masks(data.rows, folds), "grouped")
    report(data, grouped["risk"], grouped["thresholds"],
           f"Grouped {folds}-fold CV, whole source repositories held out (headline)")  # fmt: skip
    per_repo(data, grouped["risk"], grouped["thresholds"]["medium"])
    if random_split:
        rnd = cross_validate(data, random_masks(data.rows, folds), "random")
        title = f"Random {folds}-fold CV by row (seen sources: NOT a predictor of unseen ones)"
        report(data, rnd["risk"], rnd["thresholds"], title)
    return data, grouped


def fit_final(data: Data, grouped: Dict[str, Any]) -> Dict[str, Any]:
    """Models on all rows, the stacker on all out-of-fold scores, thresholds from CV."""
    everything = np.ones(len(data.rows), dtype=bool)
    fitted = data.fit(everything)
    (wt, bt), (ws, bs), _ = fitted
    names = grouped["names"]
    trusted = trusted_rules(data.rows, everything)
    w, b = train_stacker(with_trusted(grouped["M"], names, data.rows, trusted), data.y,
                         everything, names)  # fmt: skip
    inv = sorted(data.vocab, key=data.vocab.__getitem__)

    def words(vec: np.ndarray) -> Dict[str, float]:
        return {inv[j]: round(float(vec[j]), 3) for j in np.flatnonzero(vec)}

    return {
        "format": 2,
        "features": "word 1-2-grams of the normalised view, count/sqrt(n); text windows and "
        "segments; logistic stacker over model scores, rules and the char LM",
        "oof_thresholds": grouped["thresholds"],
        "text": {"bias": round(bt, 4), "word": dict(sorted(words(wt).items()))},
        "segment": {"bias": round(bs, 4), "word": dict(sorted(words(ws).items()))},
        "stack": {
            "bias": round(b, 4),
            "weights": {n: round(float(v), 4) for n, v in zip(names, w) if abs(v) >= 1e-4},
            "known_rules": sorted({h[0] for r in data.rows for h in r["hits"]}),
            "trusted_rules": sorted(trusted),
            "rule_knots": grouped["knots"],
        },
    }


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="train/dev directory")
    parser.add_argument("--folds", type=int, default=FOLDS, help="grouped CV folds")
    parser.add_argument("--no-write", action="store_true", help="evaluate only")
    parser.add_argument("--no-random", action="store_true", help="skip the random split")
    args = parser.parse_args(argv[1:])
    t0 = time.perf_counter()
    data, grouped = evaluate(args.data, args.folds, random_split=not args.no_random)
    if not args.no_write:
        payload = fit_final(data, grouped)
        WEIGHTS.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n")
        lm = train_charlm(r["text"] for r in data.rows if r["label"] == 0)
        (WEIGHTS.parent / CHARLM_FILE).write_text(dump_charlm(lm), encoding="utf-8")
        size = WEIGHTS.stat().st_size
        print(
            f"\nwrote {WEIGHTS.name} ({size / 1024:.0f} KiB: {len(payload['text']['word'])} text "
            f"+ {len(payload['segment']['word'])} segment weights, "
            f"{len(payload['stack']['weights'])} stacker inputs)"
        )
    print(f"thresholds {grouped['thresholds']}; total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main(sys.argv)
