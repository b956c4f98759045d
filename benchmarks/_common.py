"""What every benchmark script shares: finding the data, naming the machine, progress.

The scripts in ``benchmarks/`` import it as ``from _common import ...`` (Python puts the
script's own folder first on ``sys.path``).

* :func:`find_data` looks for data files in ``--data DIR``, then ``$LOCKLLM_DATA``, then
  ``../shared/data/detection`` beside the repository; when they are in none of these it
  raises :class:`DataMissing`, whose message says where it looked and how to get the files.
  :func:`exit_if_missing` turns that into a clean exit with status 2 (no traceback).
* :func:`machine_line` is one line naming the machine: CPU model, cores, Python, OS,
  onnxruntime (when installed), the load average and this tree's commit. Print it at the
  top of every table, so a figure always says where it was measured.
* :func:`progress` writes a timestamped line to stderr (tables go to stdout), and
  :func:`progress_every` reports a long loop at most every few seconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar

ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "LOCKLLM_DATA"
SHARED_DATA = ROOT.parent / "shared" / "data" / "detection"
REBUILD = "scripts/rebuild_data.py"

_STARTED = time.perf_counter()
_T = TypeVar("_T")

HOW_TO_GET = f"""\
How to get them: the detection corpus (train.jsonl, dev.jsonl) is not shipped in the
repository; rebuild it from the public repositories at the pinned commits:
    python {REBUILD} --clone --out DIR          # needs git and network (GitHub)
    python {REBUILD} --mirror MIRROR --out DIR  # offline, from bare git mirrors
then pass --data DIR or set {ENV_VAR}=DIR. `python {REBUILD} --help` lists the
repositories and commits; benchmarks/README.md ("Data") says what the rebuild can and
cannot reproduce."""


class DataMissing(Exception):
    """Raised by :func:`find_data` when the data files are in none of the places looked in.

    ``str(error)`` is a complete message for a person: what is missing, every place that
    was looked in and why it did not do, and how to get the files.
    """


def data_candidates(
    cli_dir: Optional[Path], environ: Optional[Mapping[str, str]] = None
) -> List[Tuple[str, Optional[Path]]]:
    """The places :func:`find_data` looks in, in order, as ``(how it was named, path)``.

    A path is None when that place was not given (no ``--data``, ``$LOCKLLM_DATA`` unset).
    """
    env = os.environ if environ is None else environ
    from_env = env.get(ENV_VAR, "").strip()
    return [
        ("--data", cli_dir),
        (f"${ENV_VAR}", Path(from_env).expanduser() if from_env else None),
        ("../shared/data/detection", SHARED_DATA),
    ]


def find_data(
    names: Sequence[str],
    cli_dir: Optional[Path] = None,
    *,
    environ: Optional[Mapping[str, str]] = None,
    needed_by: str = "this benchmark",
) -> Path:
    """The first folder holding every file of ``names``.

    Looks in ``cli_dir`` (the ``--data`` option), then ``$LOCKLLM_DATA``, then
    ``../shared/data/detection`` next to the repository. A folder named on the command line
    is the only one looked in (a typo should not silently fall back to other data).
    ``cli_dir`` may also name one of the files itself. Raises :class:`DataMissing`.
    """
    if cli_dir is not None and cli_dir.is_file() and cli_dir.name in names:
        cli_dir = cli_dir.parent
    places = data_candidates(cli_dir, environ)
    if cli_dir is not None:
        places = places[:1]
    notes: List[str] = []
    for how, path in places:
        if path is None:
            notes.append(f"  {how}: not given")
            continue
        if not path.is_dir():
            notes.append(f"  {how} = {path}: no such folder")
            continue
        absent = [n for n in names if not (path / n).is_file()]
        if not absent:
            return path
        notes.append(f"  {how} = {path}: no {', '.join(absent)}")
    raise DataMissing(
        f"{needed_by} needs {', '.join(names)}, found in none of these places:\n"
        + "\n".join(notes)
        + "\n"
        + HOW_TO_GET
    )


def exit_if_missing(
    names: Sequence[str], cli_dir: Optional[Path] = None, *, needed_by: str = "this benchmark"
) -> Path:
    """:func:`find_data`, or the message on stderr and exit status 2 when data is missing."""
    try:
        return find_data(names, cli_dir, needed_by=needed_by)
    except DataMissing as missing:
        print(f"error: {missing}", file=sys.stderr)
        raise SystemExit(2) from None


def add_data_option(parser: argparse.ArgumentParser, what: str = "train.jsonl, dev.jsonl") -> None:
    """Add the shared ``--data DIR`` option (see :func:`find_data` for the lookup)."""
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"folder with {what} (default: ${ENV_VAR}, then ../shared/data/detection)",
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "cpu model") and value.strip():
                    return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
            if out.stdout.strip():
                return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _cores() -> str:
    total = os.cpu_count() or 0
    affinity = getattr(os, "sched_getaffinity", None)
    usable = len(affinity(0)) if affinity is not None else total
    return f"{total} cores" if usable == total else f"{total} cores ({usable} usable)"


def _version(package: str) -> Optional[str]:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _commit() -> Optional[str]:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine_info() -> List[Tuple[str, str]]:
    """``(name, value)`` pairs describing the machine and software the benchmark ran on.

    Names: ``CPU``, ``cores``, ``Python``, ``OS``, ``onnxruntime``, then ``load`` (the 1, 5
    and 15 minute load averages, where the OS has them) and ``commit`` (this tree's
    ``git describe``, where git knows it).
    """
    ort = _version("onnxruntime")
    items = [
        ("CPU", _cpu_model()),
        ("cores", _cores()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("OS", platform.platform(terse=True)),
        ("onnxruntime", f"onnxruntime {ort}" if ort is not None else "no onnxruntime"),
    ]
    getload = getattr(os, "getloadavg", None)
    if getload is not None:
        items.append(("load", "load average " + " ".join(f"{x:.2f}" for x in getload())))
    commit = _commit()
    if commit:
        items.append(("commit", f"lockllm {commit}"))
    return items


def machine_line() -> str:
    """One line naming the machine, e.g. ``machine: AMD EPYC, 2 cores, CPython 3.11.7, ...``."""
    return "machine: " + ", ".join(value for _, value in machine_info())


def print_machine(title: str = "") -> None:
    """Print an optional ``# title`` heading and :func:`machine_line` (to stdout)."""
    if title:
        print(f"# {title}\n")
    print(machine_line())
    print()


def progress(message: str) -> None:
    """Write ``[ 12.3s] message`` to stderr at once (stdout keeps only the tables)."""
    elapsed = time.perf_counter() - _STARTED
    print(f"[{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def progress_every(
    items: Iterable[_T], label: str, total: Optional[int] = None, seconds: float = 5.0
) -> Iterator[_T]:
    """Yield ``items``, reporting ``label: done/total`` to stderr at most every ``seconds``."""
    last = time.perf_counter()
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.perf_counter()
        if now - last >= seconds:
            last = now
            progress(f"{label}: {done}" + (f"/{total}" if total is not None else ""))
    progress(f"{label}: done ({done})")
