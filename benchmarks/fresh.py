"""Score the local engine on the blind evaluation set ``benchmarks/data/fresh.jsonl``.

The set was written by hand without looking at the engine or its data (see
``benchmarks/data/FRESH.md``). Every text is scanned with ``LocalScanner`` at the
sensitivities low, medium and high; the script prints markdown tables of per-family
recall (attacks) or flagged rate (benign texts) and of overall precision, recall, F1
and false-positive rate.

    .venv/bin/python benchmarks/fresh.py [--data PATH] [--show-misses]

The set ships with the repository (``--data`` names another file of the same format). The
machine heads the output; progress goes to stderr. About 20 seconds on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Literal, Optional, Sequence, Tuple

from _common import print_machine, progress

from lockllm.engine import THRESHOLDS, LocalScanner

Level = Literal["low", "medium", "high"]
LEVELS: Tuple[Level, ...] = ("low", "medium", "high")
DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "fresh.jsonl"


@dataclass(frozen=True)
class Row:
    text: str
    label: int
    family: str
    lang: str


def load(path: Path) -> List[Row]:
    rows: List[Row] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                rows.append(Row(d["text"], int(d["label"]), d["family"], d["lang"]))
    return rows


def flag_all(rows: Sequence[Row], transformer: Optional[bool] = None) -> Dict[str, List[bool]]:
    """For each sensitivity, whether each row is flagged (judged unsafe).

    Each text is scanned once; a sensitivity flags it when its risk reaches that level's
    threshold. ``transformer``: as ``LocalScanner(transformer=...)``."""
    texts = [r.text for r in rows]
    progress(f"scanning {len(texts)} texts")
    scanner = LocalScanner("medium", transformer=transformer)
    risks = [res.injection / 100.0 for res in scanner.scan_many(texts)]
    return {level: [r >= round(THRESHOLDS[level], 4) for r in risks] for level in LEVELS}


def pct(num: int, den: int) -> str:
    return f"{100.0 * num / den:.1f}%" if den else "n/a"


def family_table(rows: Sequence[Row], flags: Dict[str, List[bool]]) -> str:
    groups: Dict[Tuple[int, str], List[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[(r.label, r.family)].append(i)
        lang_group = "English" if r.lang == "en" else "non-English"
        groups[(r.label, f"({lang_group})")].append(i)
    out = [
        "| label | family | n | " + " | ".join(LEVELS) + " |",
        "|---|---|---:|" + "---:|" * len(LEVELS),
    ]
    for (label, family), idx in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        kind = "attack (recall)" if label == 1 else "benign (flagged)"
        cells = [pct(sum(flags[lv][i] for i in idx), len(idx)) for lv in LEVELS]
        out.append(f"| {kind} | {family} | {len(idx)} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def overall_table(rows: Sequence[Row], flags: Dict[str, List[bool]]) -> str:
    out = [
        "| sensitivity | precision | recall | F1 | false-positive rate |",
        "|---|---:|---:|---:|---:|",
    ]
    for lv in LEVELS:
        tp = sum(f and r.label == 1 for f, r in zip(flags[lv], rows))
        fp = sum(f and r.label == 0 for f, r in zip(flags[lv], rows))
        pos = sum(r.label == 1 for r in rows)
        neg = len(rows) - pos
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / pos if pos else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append(
            f"| {lv} | {100 * precision:.1f}% | {100 * recall:.1f}% | {100 * f1:.1f}% "
            f"| {pct(fp, neg)} |"
        )
    return "\n".join(out)


def show_misses(rows: Sequence[Row], flagged: Sequence[bool]) -> None:
    print("\n## Missed attacks at medium\n")
    for r, f in zip(rows, flagged):
        if r.label == 1 and not f:
            print(f"- [{r.family}/{r.lang}] {r.text[:160]!r}")
    print("\n## False positives at medium\n")
    for r, f in zip(rows, flagged):
        if r.label == 0 and f:
            print(f"- [{r.family}/{r.lang}] {r.text[:160]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--show-misses", action="store_true", help="list misses and FPs at medium")
    args = parser.parse_args()

    if not args.data.is_file():
        print(
            f"error: no blind set at {args.data}; it ships with the repository as "
            "benchmarks/data/fresh.jsonl (a clone of lockllm has it; see benchmarks/data/FRESH.md)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    print_machine("Blind set (benchmarks/data/fresh.jsonl)")
    rows = load(args.data)
    n_att = sum(r.label == 1 for r in rows)
    print(f"{len(rows)} texts ({n_att} attacks, {len(rows) - n_att} benign)\n")
    flags = flag_all(rows)
    print(family_table(rows, flags))
    print()
    print(overall_table(rows, flags))
    if args.show_misses:
        show_misses(rows, flags["medium"])


if __name__ == "__main__":
    main()
