"""Fit the combiner of the transformer tier and report held-out figures.

    python scripts/fit_combiner.py [--data DIR] [--model DIR] [--cache FILE] [--no-write]

The rows ``scripts/train_model.py`` held out (fold 0 of the repository folds, and the
held-out agentic carriers) are scored three ways:

- *rules only*: the engine without the transformer, its out-of-fold risk from the grouped
  cross-validation of ``scripts/train_engine.py`` (so the linear models and stacker never
  saw the row's repository either); agentic rows, which that engine never saw, are
  scored by the shipped engine;
- *model only*: the transformer's probability, read as the scanner reads (pieces chosen
  by the rules' findings and the segment model);
- *combined*: a logistic regression over both log-odds, cross-fitted (the held-out
  repositories and carriers dealt into two halves: each half is scored by a combiner
  fitted on the other), thresholds at the engine's target false-positive rates.

Then the final combiner, fitted on all held-out rows, is written into the model's
``config.json`` with knots that map its thresholds onto the engine's own, so
``THRESHOLDS`` mean the same with and without the model. Needs numpy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import train_model  # noqa: E402
from train_engine import (  # noqa: E402
    FPR_TARGETS,
    Data,
    cross_validate,
    dominant_script,
    grouped_masks,
    length_band,
    load_rows,
    pick_threshold,
)

from lockllm.engine import THRESHOLDS  # noqa: E402

LEVELS = ("low", "medium", "high")
# Held-out corpus rows scored per category at most (sampled by hash): the transformer reads
# each at scan cost, and a few thousand rows give the figures to about a point.
PER_CATEGORY = 450


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def oof_base_risk(data_dir: Path) -> Dict[str, float]:
    """Out-of-fold risk of the engine without the transformer, by text hash."""
    data = Data(load_rows(data_dir))
    grouped = cross_validate(data, grouped_masks(data.rows, 5), "grouped")
    return {_sha(r["text"]): float(p) for r, p in zip(data.rows, grouped["risk"])}


def held_out_rows(data_dir: Path) -> List[Dict[str, Any]]:
    rows = train_model.load(data_dir)
    _, held = train_model.split(rows)
    by_cat: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for r in held:
        by_cat[str(r["category"])].append(r)
    out: List[Dict[str, Any]] = []
    for _category, group in sorted(by_cat.items()):
        if str(group[0]["source"]).startswith("lockllm/agentic:"):
            out.extend(group)
            continue
        group.sort(key=lambda r: _sha("pick:" + str(r["text"])))
        out.extend(group[:PER_CATEGORY])
    return out


def score(rows: List[Dict[str, Any]], base: Dict[str, float], model_dir: Path) -> None:
    """Add ``base`` (rules only) and ``p`` (model only) to each row."""
    from lockllm.engine import LocalScanner
    from lockllm.engine._detector import TextView
    from lockllm.engine._scanner import _suspects
    from lockllm.engine._transformer import TransformerTier

    rules = LocalScanner(transformer=False)
    tier = TransformerTier(path=str(model_dir))
    t0 = time.perf_counter()
    for i, r in enumerate(rows):
        text = str(r["text"])
        view = TextView(text, rescan=rules._evidence)
        evidence = rules._evidence(view)
        # None: the model cannot read the text (non-Latin scripts, ciphertext) and abstains;
        # at scan time the rules' risk then decides alone.
        r["p"] = tier.read(text, _suspects(view, evidence, tier.max_pieces))
        known = base.get(_sha(text))
        r["base"] = known if known is not None else rules.scan(text).injection / 100.0
        if i % 200 == 0:
            spent = time.perf_counter() - t0
            print(f"  scored {i}/{len(rows)} in {spent:.0f} s", file=sys.stderr, flush=True)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> Tuple[float, np.ndarray]:
    """Weighted logistic regression by Newton's method (a few features, exact)."""
    A = np.hstack([np.ones((len(X), 1)), X])
    beta = np.zeros(A.shape[1])
    for _ in range(50):
        z = np.clip(A @ beta, -30, 30)
        p = 1 / (1 + np.exp(-z))
        g = A.T @ (w * (p - y)) + 1e-3 * np.r_[0, beta[1:]]
        H = (A * (w * p * (1 - p))[:, None]).T @ A + 1e-3 * np.eye(A.shape[1])
        step = np.linalg.solve(H, g)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(beta[0]), beta[1:]


def features(rows: Sequence[Dict[str, Any]]) -> np.ndarray:
    base = np.asarray([r["base"] for r in rows])
    p = np.asarray([0.5 if r["p"] is None else r["p"] for r in rows])
    return np.stack([_logit(base), _logit(p)], axis=1)


def fit_combiner(
    X: np.ndarray, y: np.ndarray, base: np.ndarray, train: np.ndarray
) -> Tuple[Dict[str, Any], np.ndarray]:
    """The combiner fitted on the ``train`` rows (rows the model read), with knots mapping
    its thresholds at the target false-positive rates onto the engine's; and every row's
    risk as the scanner computes it (the rules' risk where the model abstained)."""
    from lockllm.engine._transformer import Combiner

    b, w = fit_logistic(X[train], y[train], weights(y[train]))
    fitted = 1 / (1 + np.exp(-(X[train] @ w + b)))
    knots = [
        [pick_threshold(fitted[y[train] == 0], FPR_TARGETS[lvl]), THRESHOLDS[lvl]]
        for lvl in ("high", "medium", "low")
    ]
    params = {"bias": round(b, 5), "w_base": round(float(w[0]), 5),
              "w_model": round(float(w[1]), 5), "knots": knots}  # fmt: skip
    combiner = Combiner.from_config(params)
    p = 1 / (1 + np.exp(-X[:, 1]))
    risk = np.asarray(
        [combiner.risk(float(bb), float(pp)) for bb, pp in zip(base, p)], dtype=np.float64
    )
    return params, risk


def halves(rows: Sequence[Dict[str, Any]]) -> np.ndarray:
    """Each held-out source dealt into half 0 or 1 (by hash of its repository/carrier)."""
    return np.asarray([int(_sha("half:" + r["repos"][0])[:8], 16) % 2 for r in rows])


def weights(y: np.ndarray) -> np.ndarray:
    pos, neg = max(y.sum(), 1), max(len(y) - y.sum(), 1)
    return np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))


def report(rows: Sequence[Dict[str, Any]], scores: Dict[str, np.ndarray]) -> None:
    y = np.asarray([r["label"] for r in rows])
    print("\nHeld-out sources (never trained on): recall / FPR per sensitivity")
    print(f"{'scorer':12} " + " ".join(f"{lvl:>18}" for lvl in LEVELS))
    cuts: Dict[str, Dict[str, float]] = {}
    for name, s in scores.items():
        cuts[name] = {lvl: pick_threshold(s[y == 0], FPR_TARGETS[lvl]) for lvl in LEVELS}
        cells = []
        for lvl in LEVELS:
            t = cuts[name][lvl]
            rec, fpr = np.mean(s[y == 1] >= t), np.mean(s[y == 0] >= t)
            prec = (s[y == 1] >= t).sum() / max((s >= t).sum(), 1)
            f1 = 2 * prec * rec / max(prec + rec, 1e-9)
            cells.append(f"{rec:6.1%} {fpr:5.1%} F1 {f1:.2f}")
        print(f"{name:12} " + " ".join(f"{c:>18}" for c in cells))

    def table(title: str, key: Any) -> None:
        groups: Dict[str, List[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            groups[key(r)].append(i)
        print(f"\nAt medium, by {title} (attack rows: recall; benign rows: flagged)")
        print(f"{title:24} {'rows':>5} " + " ".join(f"{n:>12}" for n in scores))
        for g, idx in sorted(groups.items()):
            ii = np.asarray(idx)
            cells = [f"{np.mean(s[ii] >= cuts[n]['medium']):12.1%}" for n, s in scores.items()]
            lab = "attack" if y[ii].mean() >= 0.5 else "benign"
            print(f"{(g + ' (' + lab + ')')[:24]:24} {len(ii):5d} " + " ".join(cells))

    table("family", lambda r: str(r["category"]))
    table("agentic carrier", lambda r: f"{r.get('family', '-')} {r['label']}")
    table("length band", lambda r: length_band(len(str(r["text"]))) + f" {r['label']}")
    table("script", lambda r: dominant_script(str(r["text"])) + f" {r['label']}")


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/detection")
    parser.add_argument("--model", type=Path, default=ROOT / "lockllm/engine/model")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="the scored rows (default: /tmp/lockllm_heldout_<hash of the model, its screen and "
        "threshold>.json, so another model never reads a stale cache); the rules' risks go "
        "beside it, *_base.json",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--limit", type=int, default=0, help="score about N rows (a smoke test)")
    parser.add_argument("--base-only", action="store_true", help="cache the rules-only risks")
    args = parser.parse_args(argv)
    base_cache = Path("/tmp/lockllm_heldout_base.json")
    if args.cache is None:
        # the model, its screen and the screen's threshold decide what the tier reads
        digest = hashlib.sha256((args.model / "model.onnx").read_bytes()).hexdigest()
        config = json.loads((args.model / "config.json").read_text(encoding="utf-8"))
        if isinstance(config.get("screen"), dict):
            screen = (args.model / "screen.onnx").read_bytes()
            key = f"{digest}:{hashlib.sha256(screen).hexdigest()}:{config['screen']['threshold']}"
            digest = hashlib.sha256(key.encode()).hexdigest()
        args.cache = Path(f"/tmp/lockllm_heldout_{digest[:12]}.json")
    else:
        base_cache = args.cache.with_name(args.cache.stem + "_base.json")
    if args.cache.is_file():
        rows = json.loads(args.cache.read_text(encoding="utf-8"))
        print(f"read {len(rows)} scored rows from {args.cache}", file=sys.stderr)
    else:
        if base_cache.is_file():
            base = json.loads(base_cache.read_text(encoding="utf-8"))
        else:
            base = oof_base_risk(args.data)
            base_cache.write_text(json.dumps(base), encoding="utf-8")
        if args.base_only:
            return
        rows = held_out_rows(args.data)
        if args.limit:
            rows = rows[:: max(1, len(rows) // args.limit)]
        print(f"scoring {len(rows)} held-out rows", file=sys.stderr)
        score(rows, base, args.model)
        keep = ("text", "label", "source", "category", "family", "repos", "base", "p")
        rows = [{k: r[k] for k in keep if k in r} for r in rows]
        args.cache.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    y = np.asarray([r["label"] for r in rows], dtype=np.float64)
    X = features(rows)
    base = np.asarray([r["base"] for r in rows])
    read = np.asarray([r["p"] is not None for r in rows])
    half = halves(rows)
    crossed = base.copy()  # where the model abstains, the rules' risk stands
    for h in (0, 1):
        _, risk = fit_combiner(X, y, base, (half != h) & read)
        test = (half == h) & read
        crossed[test] = risk[test]
    print(
        f"\nthe model read {int(read.sum())} of {len(rows)} held-out rows "
        f"(it abstains on the rest: non-Latin scripts, ciphertext)"
    )
    report(
        rows,
        {
            "rules only": base,
            "model only": np.asarray([r["p"] or 0.0 for r in rows]),
            "combined": crossed,
        },
    )
    combiner, _ = fit_combiner(X, y, base, read)
    combiner["fitted_on"] = f"{int(read.sum())} held-out rows the model read"
    print(f"\ncombiner: {json.dumps(combiner)}")
    if not args.no_write:
        path = args.model / "config.json"
        config = json.loads(path.read_text(encoding="utf-8"))
        config["combiner"] = combiner
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        print(f"wrote the combiner into {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
