"""Batch scanning: one process against ``-j N`` worker processes on a corpus of documents.

    python benchmarks/batch_scan.py [--docs 2000] [--jobs 2] [--rounds 3] [--data DIR]
        [--synthetic]

Writes ``--docs`` documents into a temporary directory, one file each: the texts of
``dev.jsonl`` in file order (cycled if there are fewer), found in ``--data DIR`` (or the
file itself), ``$LOCKLLM_DATA`` or ``../shared/data/detection``; with ``--synthetic``, or
when ``dev.jsonl`` is in none of those places (the script then says where it looked and how
to get it), deterministic synthetic texts instead. Then times, side by side:

* the engine in this process: ``LocalScanner.scan`` one by one, and ``scan_many`` when the
  engine has it;
* the command: ``lockllm scan --json -f DIR`` in one process and with ``-j N``, each a fresh
  interpreter (start-up, weight loading and worker start-up included).

Each row is the median of ``--rounds`` runs, with documents per second and the speed-up
against one process; the verdicts of every row are checked to be identical. The machine
heads the output; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import DataMissing, find_data, print_machine, progress  # noqa: E402

from lockllm.engine import LocalScanner  # noqa: E402


def documents(count: int, data: Optional[Path]) -> List[str]:
    """``count`` texts from the JSONL file ``data`` (cycled), or synthetic ones if None."""
    if data is not None:
        with data.open(encoding="utf-8") as handle:
            texts = [json.loads(line)["text"] for line in handle if line.strip()]
        return [texts[i % len(texts)] for i in range(count)]
    rng = random.Random(9)
    words = ["report", "quarterly", "growth", "ignore", "previous", "rules", "weather"]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(20, 400))) for _ in range(count)]


def timed(name: str, run: Callable[[], List[bool]], rounds: int) -> Tuple[str, float, List[bool]]:
    times, verdicts = [], []
    for i in range(rounds):
        progress(f"{name}: run {i + 1}/{rounds}")
        started = time.perf_counter()
        verdicts = run()
        times.append(time.perf_counter() - started)
    return name, statistics.median(times), verdicts


def cli(directory: Path, jobs: int) -> List[bool]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKLLM_")}
    command = [sys.executable, "-m", "lockllm", "scan", "--json", "-f", str(directory)]
    if jobs > 1:
        command += ["-j", str(jobs)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode not in (0, 1):
        raise SystemExit(f"lockllm scan failed: {done.stderr.strip()}")
    return [json.loads(line)["safe"] for line in done.stdout.splitlines()]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000, help="documents (default 2000)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per row (default 3)")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder with dev.jsonl, or a JSONL file with 'text' (default: $LOCKLLM_DATA, "
        "then ../shared/data/detection)",
    )
    parser.add_argument(
        "--synthetic", action="store_true", help="synthetic texts instead of dev.jsonl"
    )
    args = parser.parse_args(argv)

    data: Optional[Path] = None
    if args.data is not None and args.data.is_file():
        data = args.data
    elif not args.synthetic:
        try:
            data = find_data(["dev.jsonl"], args.data, needed_by="batch_scan.py") / "dev.jsonl"
        except DataMissing as missing:
            if args.data is not None:  # named on the command line: no silent fallback
                print(f"error: {missing}", file=sys.stderr)
                return 2
            print(f"note: {missing}\nUsing synthetic texts instead.\n", file=sys.stderr)
    texts = documents(args.docs, data)
    chars = sum(map(len, texts))
    source = str(data) if data is not None else "synthetic texts"
    print_machine("Batch scanning")
    print(f"{len(texts)} documents from {source}, {chars / 1e6:.2f} M characters")
    print(f"median of {args.rounds} runs\n")

    scanner = LocalScanner()
    scanner.scan("warm-up: load the weights")
    rows: List[Tuple[str, float, List[bool]]] = []
    rows.append(
        timed(
            "engine: scan() one by one",
            lambda: [scanner.scan(t).safe for t in texts],
            args.rounds,
        )
    )
    scan_many = getattr(scanner, "scan_many", None)
    if scan_many is not None:
        rows.append(
            timed("engine: scan_many()", lambda: [r.safe for r in scan_many(texts)], args.rounds)
        )
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        width = len(str(len(texts)))
        for i, text in enumerate(texts):
            (directory / f"doc{i:0{width}}.txt").write_text(text, encoding="utf-8")
        rows.append(timed("lockllm scan -f DIR", lambda: cli(directory, 1), args.rounds))
        rows.append(
            timed(
                f"lockllm scan -f DIR -j {args.jobs}",
                lambda: cli(directory, args.jobs),
                args.rounds,
            )
        )

    baseline = {"engine": rows[0][1], "lockllm": rows[-2][1]}
    print(f"| {'mode':<30} | {'wall s':>7} | {'docs/s':>8} | {'vs one process':>14} |")
    print(f"|{'-' * 32}|{'-' * 9}|{'-' * 10}|{'-' * 16}|")
    for name, seconds, _ in rows:
        base = baseline[name.split(":")[0].split()[0]]
        rate = len(texts) / seconds
        print(f"| {name:<30} | {seconds:7.2f} | {rate:8.0f} | {base / seconds:13.2f}x |")
    same = all(verdicts == rows[0][2] for _, _, verdicts in rows)
    unsafe = rows[0][2].count(False)
    print(f"\nverdicts identical in every row: {'yes' if same else 'NO'} ({unsafe} unsafe)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
