"""The everyday-prompts set: benign texts written for this test, never trained on.

``tests/data/everyday.jsonl`` holds one JSON object a line (``text``, ``kind``, and
``lang`` for the non-English rows): instructions about length, format, tone and language,
corrections, coding questions full of trigger words, questions about prompt injection,
benign role-play, ordinary app system prompts, documents and texts in several languages.
At medium sensitivity at most 2% of them may be flagged.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Dict, List

import pytest

from lockllm.engine import LocalScanner

DATA = Path(__file__).parent / "data" / "everyday.jsonl"
MAX_FPR = 0.02


def _rows() -> List[Dict[str, str]]:
    with open(DATA, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_everyday_set_is_large_and_varied() -> None:
    rows = _rows()
    assert len(rows) >= 300
    kinds = Counter(r["kind"] for r in rows)
    for kind in ("format", "correction", "coding", "about_injection", "roleplay",
                 "system_prompt", "document", "multilingual"):  # fmt: skip
        assert kinds[kind] >= 20, kind
    langs = {r.get("lang") for r in rows}
    assert {"fr", "de", "es"} <= langs
    assert len(langs - {None}) >= 8
    assert len({r["text"] for r in rows}) == len(rows)


@pytest.mark.parametrize("sensitivity", ["low", "medium"])
def test_everyday_false_positive_rate(sensitivity: str) -> None:
    scanner = LocalScanner()
    rows = _rows()
    flagged = []
    for row in rows:
        res = scanner.scan(row["text"], sensitivity)  # type: ignore[arg-type]
        if not res.safe:
            flagged.append((row["kind"], res.injection, res.categories, row["text"][:90]))
    fpr = len(flagged) / len(rows)
    report = "\n".join(repr(f) for f in flagged)
    assert fpr <= MAX_FPR, f"{len(flagged)}/{len(rows)} everyday texts flagged:\n{report}"
