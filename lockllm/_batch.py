"""Batch scanning for ``lockllm scan``: many inputs, in order, optionally in worker processes.

Inputs are read one at a time, cut into segments when large (so a progress bar can advance
inside a big file and workers can share it), grouped into small batches and scanned either
in this process or by ``-j N`` worker processes that each build their own ``LocalScanner``
once. Results come back in input order; at most a few batches per worker are in flight, so
memory stays bounded however large the corpus.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import stat
import time
from collections import deque
from concurrent.futures import Future
from typing import (
    IO,
    TYPE_CHECKING,
    Callable,
    Deque,
    Dict,
    Iterable,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from .errors import AuthenticationError, ConfigurationError, LockLLMError
from .types import Debug, ScanResponse, Sensitivity, Usage

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from ._details import Span
    from .engine import LocalScanner

__all__ = [
    "BinaryInput",
    "EngineSpec",
    "Outcome",
    "Progress",
    "Runner",
    "Source",
    "build_engine",
    "engine_batch",
    "expand",
    "file_source",
    "merge",
    "one_by_one",
    "read_text",
    "segments",
]

# A file longer than this is scanned in segments overlapping by _OVERLAP characters, more
# than the engine's own window (2,400), so no window of the whole text is lost at a cut.
SEGMENT_CHARS = 100_000
_OVERLAP = 4_000
_BATCH_TEXTS = 64  # texts per batch sent to a worker, and at most _BATCH_CHARS characters
_BATCH_CHARS = SEGMENT_CHARS
_IN_FLIGHT_PER_WORKER = 3
_SNIFF_BYTES = 8192
_MAX_SPANS = 32

Result = Union[ScanResponse, LockLLMError]
ScanBatch = Callable[[Sequence[str]], List[Result]]


class BinaryInput(Exception):
    """A file that holds binary data (a NUL byte in its first 8 KiB); it is skipped."""


class Source(NamedTuple):
    """One input: its label, how to read it, and its size in bytes (0 if unknown)."""

    label: str
    read: Callable[[], str]
    size: int = 0


class Outcome(NamedTuple):
    """What became of one input: a result, an error, or skipped (binary)."""

    label: str
    text: str
    result: Optional[ScanResponse]
    error: Optional[BaseException]

    @property
    def skipped(self) -> bool:
        """True for a binary file that was not scanned."""
        return isinstance(self.error, BinaryInput)


class EngineSpec(NamedTuple):
    """How to build the local scanner; picklable, so every worker builds its own.

    ``model`` is the directory of an ONNX classifier (``OnnxClassifier``), run with
    ``model_threads`` onnxruntime threads (``None``: onnxruntime's choice). ``rules_only``
    leaves the shipped transformer tier out (``LocalScanner(transformer=False)``);
    ``screen=False`` reads every window with its full model (``LocalScanner(screen=False)``).
    """

    sensitivity: Sensitivity = "medium"
    threshold: Optional[float] = None
    allow: Tuple[str, ...] = ()
    model: Optional[str] = None
    model_threads: Optional[int] = None
    rules_only: bool = False
    screen: bool = True


def build_engine(spec: EngineSpec) -> LocalScanner:
    """A ``LocalScanner`` made from ``spec``."""
    from .engine import LocalScanner, OnnxClassifier

    model = OnnxClassifier(spec.model, threads=spec.model_threads) if spec.model else None
    return LocalScanner(
        spec.sensitivity,
        threshold=spec.threshold,
        allow=spec.allow,
        model=model,
        transformer=False if spec.rules_only and model is None else None,
        screen=spec.screen or model is not None,
    )


# -- inputs ----------------------------------------------------------------------------


def read_text(path: str) -> str:
    """A file's text (UTF-8, or UTF-16 with a BOM; bad bytes replaced, newlines as ``\\n``).

    Raises ``BinaryInput`` for a file with a NUL byte in its first 8 KiB.
    """
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", "replace")
    elif b"\0" in data[:_SNIFF_BYTES]:
        raise BinaryInput(path)
    else:
        text = data.decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _reader(path: str) -> Callable[[], str]:
    return lambda: read_text(path)


def file_source(path: str) -> Source:
    """A ``Source`` reading ``path`` when scanned."""
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0
    return Source(path, _reader(path), size)


def expand(paths: Iterable[str], note: Callable[[str], None]) -> List[Source]:
    """Sources for ``paths``: files as given, directories walked recursively in name order.

    Inside a directory, hidden files and directories (a leading ``.``) are left out,
    symbolic links to directories are not followed, and what is not a regular file (a
    FIFO, a socket, a device: reading one could block) is skipped. ``note`` hears of those
    and of a directory that holds nothing to scan.
    """
    sources: List[Source] = []
    for path in paths:
        if not os.path.isdir(path):
            sources.append(file_source(path))
            continue
        before = len(sources)
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = os.path.join(root, name)
                try:
                    info = os.stat(full)
                except OSError:  # a dangling link: reading it reports the error
                    sources.append(Source(full, _reader(full)))
                    continue
                if stat.S_ISREG(info.st_mode):
                    sources.append(Source(full, _reader(full), info.st_size))
                else:
                    note(f"{full}: not a regular file, skipped")
        if len(sources) == before:
            note(f"{path}: no files to scan")
    return sources


def segments(text: str, size: int = SEGMENT_CHARS) -> List[Tuple[int, str]]:
    """``(offset, piece)`` pairs covering ``text``; consecutive pieces overlap.

    Cuts fall on a line break in the last tenth of a segment when there is one.
    """
    if len(text) <= size + _OVERLAP:
        return [(0, text)]
    pieces: List[Tuple[int, str]] = []
    start = 0
    while len(text) - start > size + _OVERLAP:
        end = start + size
        cut = text.rfind("\n", end - size // 10, end)
        if cut > start:
            end = cut + 1
        pieces.append((start, text[start : end + _OVERLAP]))
        start = end
    pieces.append((start, text[start:]))
    return pieces


# -- merging the segments of one input -------------------------------------------------


def merge(parts: Sequence[Tuple[int, ScanResponse]], length: int) -> ScanResponse:
    """One response for a text scanned in segments (``(offset, response)`` pairs).

    The verdict, scores and request id are those of the riskiest segment; categories are
    those of every unsafe segment (riskiest first); spans are shifted to index the whole
    text, and overlapping spans of one category (from the overlaps) are merged.
    """
    if len(parts) == 1:
        return parts[0][1]
    ranked = sorted(parts, key=lambda p: (p[1].safe, -(p[1].injection or 0.0)))
    worst = ranked[0][1]
    categories: List[str] = []
    for _, response in ranked:
        if not response.safe:
            categories.extend(c for c in response.categories if c not in categories)
    shifted = [
        dataclasses.replace(span, start=span.start + offset, end=span.end + offset)
        for offset, response in parts
        for span in response.spans
    ]
    duration = sum(r.debug.duration_ms for _, r in parts if r.debug)
    inference = sum(r.debug.inference_ms for _, r in parts if r.debug)
    return dataclasses.replace(
        worst,
        safe=all(r.safe for _, r in parts),
        categories=tuple(categories),
        spans=tuple(_merge_spans(shifted)[:_MAX_SPANS]),
        usage=Usage(requests=sum(r.usage.requests for _, r in parts), input_chars=length),
        debug=Debug(
            duration_ms=round(duration, 3), inference_ms=round(inference, 3), mode="chunked"
        ),
    )


def _merge_spans(spans: List[Span]) -> List[Span]:
    spans.sort(key=lambda s: (s.start, -s.end))
    merged: List[Span] = []
    latest: Dict[str, int] = {}  # category -> index in merged of its latest span
    for span in spans:
        i = latest.get(span.category)
        if i is not None and span.start < merged[i].end:
            kept = merged[i] if merged[i].score >= span.score else span
            merged[i] = dataclasses.replace(
                kept, start=merged[i].start, end=max(merged[i].end, span.end)
            )
        else:
            latest[span.category] = len(merged)
            merged.append(span)
    return merged


# -- progress --------------------------------------------------------------------------


class Progress:
    """A one-line progress bar (files done, share of the characters scanned) on a stream."""

    _INTERVAL = 0.1  # seconds between redraws

    def __init__(self, stream: IO[str], files: int, units: int) -> None:
        self._stream = stream
        self._files = files
        self._units = max(units, 1)
        self._done_files = 0
        self._done_units = 0
        self._label = ""
        self._drawn = 0.0
        self.draw(force=True)

    def resize(self, delta: int) -> None:
        """Correct the expected total by ``delta`` units (a file's real length is known)."""
        self._units = max(self._units + delta, 1)

    def advance(self, units: int, label: str) -> None:
        """``units`` more characters scanned, inside ``label``."""
        self._done_units += units
        self._label = label
        self.draw()

    def file_done(self) -> None:
        """One more input finished."""
        self._done_files += 1
        self.draw()

    def draw(self, force: bool = False) -> None:
        """Redraw, at most every 0.1 s unless ``force``."""
        now = time.monotonic()
        if not force and now - self._drawn < self._INTERVAL:
            return
        self._drawn = now
        width = 24
        share = min(self._done_units / self._units, 1.0)
        filled = int(width * share)
        bar = "#" * filled + "-" * (width - filled)
        name = self._label if len(self._label) <= 40 else "…" + self._label[-39:]
        self._stream.write(
            f"\r[{bar}] {self._done_files}/{self._files} files {share:4.0%} {name}\033[K"
        )
        self._stream.flush()

    def clear(self) -> None:
        """Remove the bar (before other output); the next update redraws it."""
        self._stream.write("\r\033[K")
        self._stream.flush()
        self._drawn = 0.0


# -- running ---------------------------------------------------------------------------


def one_by_one(scan: Callable[[str], ScanResponse]) -> ScanBatch:
    """A batch function calling ``scan`` per text; a service error stays with its text.

    Authentication and configuration errors are raised at once: every other input would
    fail the same way.
    """

    def batch(texts: Sequence[str]) -> List[Result]:
        out: List[Result] = []
        for text in texts:
            try:
                out.append(scan(text))
            except (AuthenticationError, ConfigurationError):
                raise
            except LockLLMError as error:
                out.append(error)
        return out

    return batch


def engine_batch(engine: LocalScanner) -> ScanBatch:
    """A batch function over the local engine."""

    def batch(texts: Sequence[str]) -> List[Result]:
        return list(engine.scan_many(texts))

    return batch


_worker_batch: Optional[ScanBatch] = None


def _init_worker(spec: EngineSpec) -> None:
    global _worker_batch
    # Ctrl-C reaches the whole process group: the parent stops the workers, quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine = build_engine(spec)
    engine.scan("warm-up")  # load the weights now, while the parent reads the first inputs
    _worker_batch = engine_batch(engine)


def _work(texts: Sequence[str]) -> List[Result]:
    assert _worker_batch is not None, "the worker initializer builds the scanner"
    return _worker_batch(texts)


class Runner:
    """Scans sources in order: in this process, or in ``jobs`` worker processes.

    ``Runner.local(spec, jobs)`` runs the local engine (large inputs in segments);
    ``Runner(batch)`` calls ``batch`` in this process with whole inputs (the hosted
    service). Use as a context manager so the workers are shut down.
    """

    def __init__(self, batch: ScanBatch, *, segment: bool = False) -> None:
        self._batch = batch
        self._segment = segment
        self._pool: Optional[ProcessPoolExecutor] = None
        self.jobs = 1

    @classmethod
    def local(cls, spec: EngineSpec, jobs: int = 1) -> Runner:
        """The local engine built from ``spec``; ``jobs`` > 1 starts that many workers.

        The engine is built here first, so a bad setting is reported before any worker
        starts. Without workers it is also warmed here (its weights load on the first scan),
        so that the first input's ``duration_ms`` is its scan, not the engine's loading.
        """
        engine = build_engine(spec)
        runner = cls(engine_batch(engine), segment=True)
        if jobs <= 1:
            engine.scan("warm-up")
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            runner._pool = ProcessPoolExecutor(
                max_workers=jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(spec,),
            )
            runner.jobs = jobs
        return runner

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (pending batches are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _submit(self, texts: List[str]) -> Future[List[Result]]:
        if self._pool is not None:
            return self._pool.submit(_work, texts)
        future: Future[List[Result]] = Future()
        future.set_result(self._batch(texts))
        return future

    def run(
        self, sources: Sequence[Source], progress: Optional[Progress] = None
    ) -> Iterator[Outcome]:
        """Scan ``sources``, yielding one ``Outcome`` per source in their order."""
        return _Run(self, progress).run(sources)


class _Pending:
    __slots__ = ("error", "label", "left", "parts", "text")

    def __init__(self, label: str, text: str, count: int, error: Optional[BaseException]) -> None:
        self.label = label
        self.text = text
        self.parts: List[Tuple[int, ScanResponse]] = []
        self.left = count
        self.error = error


class _Run:
    """One pass over the sources: read, cut, batch, submit, collect in order."""

    def __init__(self, runner: Runner, progress: Optional[Progress]) -> None:
        self.runner = runner
        self.progress = progress
        self.pending: Dict[int, _Pending] = {}
        self.next_out = 0
        self.window: Deque[Tuple[Future[List[Result]], List[Tuple[int, int, int]]]] = deque()
        self.texts: List[str] = []
        self.meta: List[Tuple[int, int, int]] = []  # (source index, offset, units)
        self.chars = 0
        self.limit = _IN_FLIGHT_PER_WORKER * runner.jobs

    def run(self, sources: Sequence[Source]) -> Iterator[Outcome]:
        for index, source in enumerate(sources):
            self._read(index, source)
            yield from self._ready()
        self._flush()
        while self.window:
            self._collect()
            yield from self._ready()
        yield from self._ready()

    def _read(self, index: int, source: Source) -> None:
        try:
            text = source.read()
        except (OSError, UnicodeError, BinaryInput) as error:
            self.pending[index] = _Pending(source.label, "", 0, error)
            if self.progress:
                self.progress.resize(-source.size)
            return
        if self.progress:
            self.progress.resize(len(text) - source.size)
        pieces = segments(text) if self.runner._segment else [(0, text)]
        self.pending[index] = _Pending(source.label, text, len(pieces), None)
        for n, (offset, piece) in enumerate(pieces):
            following = pieces[n + 1][0] if n + 1 < len(pieces) else len(text)
            self._add(piece, (index, offset, following - offset))

    def _add(self, text: str, meta: Tuple[int, int, int]) -> None:
        if self.texts and (
            len(self.texts) >= _BATCH_TEXTS or self.chars + len(text) > _BATCH_CHARS
        ):
            self._flush()
        self.texts.append(text)
        self.meta.append(meta)
        self.chars += len(text)

    def _flush(self) -> None:
        if not self.texts:
            return
        while len(self.window) >= self.limit:
            self._collect()
        self.window.append((self.runner._submit(self.texts), self.meta))
        self.texts, self.meta, self.chars = [], [], 0

    def _collect(self) -> None:
        future, meta = self.window.popleft()
        try:
            results = future.result()
        except LockLLMError:
            raise
        except Exception as error:  # a worker died (BrokenProcessPool) or failed oddly
            raise LockLLMError(f"a scan worker failed: {error or type(error).__name__}") from None
        for (index, offset, units), result in zip(meta, results):
            entry = self.pending[index]
            entry.left -= 1
            if isinstance(result, LockLLMError):
                entry.error = entry.error or result
            else:
                entry.parts.append((offset, result))
            if self.progress:
                self.progress.advance(units, entry.label)

    def _ready(self) -> Iterator[Outcome]:
        while self.next_out in self.pending and self.pending[self.next_out].left == 0:
            entry = self.pending.pop(self.next_out)
            self.next_out += 1
            if self.progress:
                self.progress.file_done()
            if entry.error is not None:
                yield Outcome(entry.label, entry.text, None, entry.error)
            else:
                yield Outcome(entry.label, entry.text, merge(entry.parts, len(entry.text)), None)
