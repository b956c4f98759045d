"""The ``lockllm`` command: scan text, print proxy URLs, run the gateway.

Exit codes: 0 every input is safe, 1 at least one is not, 2 an error (bad arguments, an
unreadable file, the service refusing the call, nothing to scan: an empty TEXT or an empty
stdin), 141 (128 + SIGPIPE) when the reader of stdout went away (``| head -1``): the
command stops at once, quietly, as Unix tools do, and claims no verdict. Errors are one
line on stderr, never a traceback. File names and notes are printed with every control,
line-break and bidirectional-formatting character escaped (``\\n``, ``\\x1b``,
``\\u202e``), so a name cannot forge or reorder a line of output.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import IO, TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple

from ._batch import SEGMENT_CHARS, EngineSpec, Progress, Runner, Source, expand, one_by_one
from ._config import API_KEY_ENV
from ._install import install_hint
from ._version import __version__
from ._vocabulary import DEFAULT_SENSITIVITY, PII_ACTIONS, SCAN_PATH, SENSITIVITIES
from .errors import LockLLMError, NetworkError
from .types import PIIAction, ScanResponse

if TYPE_CHECKING:
    from ._client import LockLLM

EXIT_SAFE, EXIT_UNSAFE, EXIT_ERROR = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a tool killed by SIGPIPE
ENGINE_LOCAL, ENGINE_SERVICE = "local", "service"
"""The JSON output's ``"engine"``: which engine answered."""
NOTHING_TO_SCAN = "nothing to scan: give TEXT, '-' for stdin, or --file PATH"
_RED, _GREEN, _BOLD, _REVERSE, _RESET = "\033[31m", "\033[32m", "\033[1m", "\033[7m", "\033[0m"
_INLINE_LIMIT = 2000  # longer texts list their spans instead of printing the whole text


class _Failure(Exception):
    """An error worth one line on stderr and exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lockllm`` command."""
    parser = argparse.ArgumentParser(
        prog="lockllm",
        description="Scan text for prompt injection and jailbreaks, offline or with LockLLM.",
    )
    parser.add_argument("--version", action="version", version=f"lockllm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = commands.add_parser(
        "scan",
        help="scan text, stdin or files",
        description=(
            "Scan TEXT, --file PATH ..., or what is piped in on stdin ('-' reads stdin "
            "explicitly). Uses the LockLLM service when "
            f"{API_KEY_ENV} is set and --local is not given, the local engine otherwise. "
            "Exit code: 0 safe, 1 unsafe, 2 error (an empty TEXT or stdin is 'nothing to "
            "scan'), 141 if stdout was closed (| head)."
        ),
    )
    scan.add_argument(
        "text", nargs="?", help="the text to scan, or '-' for stdin (read anyway when piped)"
    )
    scan.add_argument(
        "-f",
        "--file",
        dest="files",
        action="append",
        default=[],
        metavar="PATH",
        help="a file, or a directory to scan recursively (binary and hidden files skipped)",
    )
    scan.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="scan with N local-engine worker processes (0: one per CPU; default 1)",
    )
    scan.add_argument(
        "--threshold",
        type=_threshold,
        default=None,
        metavar="SCORE",
        help="local engine: unsafe at or above this injection score, 0-100 (overrides -s)",
    )
    scan.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="TEXT",
        help="local engine: a phrase that never counts as evidence (case-insensitive; repeatable)",
    )
    scan.add_argument(
        "--model",
        metavar="DIR",
        help="local engine: an ONNX classifier directory (model.onnx, tokenizer.json, "
        "config.json) instead of the shipped model; needs this project's onnx extra",
    )
    tiers = scan.add_mutually_exclusive_group()
    tiers.add_argument(
        "--rules-only",
        action="store_true",
        help="local engine: rules and linear models only, without the shipped transformer "
        "(sub-millisecond scans of ordinary text; it misses more reworded attacks)",
    )
    tiers.add_argument(
        "--no-screen",
        action="store_true",
        help="local engine: read every window with the full transformer, not only those "
        "its screen finds suspicious (about three times slower on ordinary text)",
    )
    scan.add_argument(
        "-s",
        "--sensitivity",
        choices=SENSITIVITIES,
        default=DEFAULT_SENSITIVITY,
        help=f"detection threshold (default {DEFAULT_SENSITIVITY})",
    )
    scan.add_argument(
        "--pii-action",
        choices=PII_ACTIONS,
        default=None,
        help="also look for personal data and secrets: strip (show the redacted text), "
        "allow_with_warning (report them) or block (report them and exit 1)",
    )
    scan.add_argument("--json", action="store_true", help="one JSON object per input")
    scan.add_argument("--local", action="store_true", help="always use the local engine")
    scan.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="seconds to wait for the LockLLM service, per attempt (default 60; not used locally)",
    )

    urls = commands.add_parser(
        "proxy-url",
        help="print LockLLM proxy URLs",
        description="Print the LockLLM proxy URL of one provider, or of all 17.",
    )
    urls.add_argument("provider", nargs="?", help="one provider (default: all)")

    serve = commands.add_parser(
        "serve",
        help="run a LockLLM-compatible gateway on the local engine",
        description=(
            "Run a LockLLM-compatible gateway: POST /v1/scan and /v1/proxy/<provider>/... "
            "answered by the local engine, safe requests forwarded to the provider."
        ),
    )
    from .server._cli import add_serve_arguments  # argparse only: no Starlette yet

    add_serve_arguments(serve)
    mcp = commands.add_parser(
        "mcp-proxy",
        help="run a stdio MCP server behind a scanning proxy",
        description="Start an MCP server (stdio) and relay to it, withholding poisoned "
        "tools and replacing poisoned tool results with errors: lockllm mcp-proxy -- CMD",
    )
    from .integrations._mcp_proxy import add_arguments as add_mcp_arguments  # argparse only

    add_mcp_arguments(mcp)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        try:
            code = _command(parser, args)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
            return code
        except (_Failure, LockLLMError) as error:
            print(f"lockllm: error: {_label(_one_line(error))}", file=sys.stderr)
            return EXIT_ERROR
    except BrokenPipeError:
        _silence_output()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130


def _command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "scan":
        return _scan(args)
    if args.command == "proxy-url":
        return _proxy_url(args.provider)
    if args.command == "serve":
        return _serve(args)
    if args.command == "mcp-proxy":
        from .integrations._mcp_proxy import run_command

        return run_command(args)
    parser.print_help()
    return EXIT_ERROR


def _silence_output() -> None:
    """After a closed pipe: point stdout and stderr at /dev/null, so that nothing left in
    their buffers is written (and fails again) when the interpreter exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # pragma: no cover - no /dev/null
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            try:
                os.dup2(devnull, stream.fileno())
            except (AttributeError, OSError, ValueError):  # replaced or closed streams
                continue
    finally:
        os.close(devnull)


def _one_line(error: BaseException) -> str:
    text = error.message if isinstance(error, LockLLMError) else str(error)
    return " ".join(text.split())


def _serve(args: argparse.Namespace) -> int:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise _Failure(f"the gateway needs the server extra: {install_hint('server')}")
    from .server._cli import run_serve

    return run_serve(args)


def _proxy_url(provider: Optional[str]) -> int:
    from ._providers import get_all_proxy_urls, get_proxy_url

    if provider:
        print(get_proxy_url(provider))
    else:
        for name, url in get_all_proxy_urls().items():
            print(f"{name:<12} {url}")
    return EXIT_SAFE


# -- scan ------------------------------------------------------------------------------


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {value!r}")
    return seconds


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = -1
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"expected a number of workers, not {value!r}")
    return jobs or os.cpu_count() or 1


def _threshold(value: str) -> float:
    try:
        score = float(value)
    except ValueError:
        score = -1.0
    if not 0.0 <= score <= 100.0:  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"expected an injection score from 0 to 100, not {value!r}"
        )
    return score


def _scan(args: argparse.Namespace) -> int:
    inputs = _inputs(args)
    with contextlib.ExitStack() as resources:
        runner, engine, answered_by = _runner(args, resources)
        return _scan_all(args, inputs, runner, engine, answered_by)


def _scan_all(
    args: argparse.Namespace,
    inputs: List[Source],
    runner: Runner,
    engine: str,
    answered_by: str,
) -> int:
    from .engine._piiaction import pii_found, with_pii

    out = sys.stdout
    color = out.isatty() and "NO_COLOR" not in os.environ
    many = len(inputs) > 1 or bool(args.files)
    progress, size = None, sum(s.size for s in inputs)
    if (len(inputs) > 1 or size > SEGMENT_CHARS) and sys.stderr.isatty():
        progress = Progress(sys.stderr, len(inputs), size)
    worst = EXIT_SAFE
    unsafe = errors = skipped = 0
    answered = 0
    for outcome in runner.run(inputs, progress):
        if progress:
            progress.clear()
        label, text, result = _label(outcome.label), outcome.text, outcome.result
        if outcome.skipped:
            print(f"lockllm: note: {label}: binary file, skipped", file=sys.stderr)
            skipped += 1
            continue
        if outcome.error is not None:
            print(f"lockllm: error: {label}: {_label(_os_error(outcome.error))}", file=sys.stderr)
            worst, errors = EXIT_ERROR, errors + 1
            continue
        assert result is not None  # an outcome holds a result, an error or a skip
        if args.pii_action and result.pii_result is None:  # the local engine: the whole text
            result = with_pii(result, text, args.pii_action)
        answered += 1
        if args.json:
            record = {"input": outcome.label, "engine": engine, **result.to_dict()}
            out.write(_json_line(record))
        else:
            _render(out, label if many else None, text, result, color)
        if not result.safe or (args.pii_action == "block" and pii_found(result)):
            unsafe += 1
            if worst == EXIT_SAFE:
                worst = EXIT_UNSAFE
    if progress:
        progress.clear()
    if many:  # scanned: the inputs that got a verdict (not the errors, not the skipped)
        print(
            f"lockllm: {answered} scanned, {unsafe} unsafe, {errors} errors, {skipped} skipped",
            file=sys.stderr,
        )
    if answered and not args.json:
        print(f"(answered by {_label(answered_by)})", file=sys.stderr)
    return worst


def _inputs(args: argparse.Namespace) -> List[Source]:
    """The sources to scan. One rule for text given directly: an empty (or blank) TEXT
    argument and an empty stdin, piped or named ``-``, are both "nothing to scan" (exit 2),
    never a verdict on no text. Files are scanned whatever they hold."""
    inputs: List[Source] = []
    if args.text is not None:
        text = _read_stdin() if args.text == "-" else args.text
        if not text.strip():
            what = "stdin is empty" if args.text == "-" else "TEXT is empty"
            raise _Failure(f"nothing to scan: {what}")
        inputs.append(Source("<stdin>" if args.text == "-" else "<argument>", lambda: text))
    inputs.extend(
        expand(args.files, lambda note: print(f"lockllm: note: {_label(note)}", file=sys.stderr))
    )
    if not inputs and args.text is None:
        piped = _piped_stdin()
        if piped is not None:
            inputs.append(Source("<stdin>", lambda: piped))
    if not inputs:
        raise _Failure(NOTHING_TO_SCAN)
    return inputs


def _read_stdin() -> str:
    try:
        return sys.stdin.read() if sys.stdin is not None else ""
    except (OSError, ValueError):  # closed, or not readable
        return ""


def _piped_stdin() -> Optional[str]:
    """What was piped in on stdin, or ``None`` when it is a terminal, absent or empty."""
    stdin = sys.stdin
    try:
        if stdin is None or stdin.isatty():
            return None
        text = stdin.read()
    except (OSError, ValueError):  # closed, or not readable (as under pytest)
        return None
    return text if text.strip() else None


def _os_error(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return _one_line(error)


def _runner(args: argparse.Namespace, resources: contextlib.ExitStack) -> Tuple[Runner, str, str]:
    """The runner, the engine (``"local"`` / ``"service"``) and who answers, in words."""
    sensitivity = args.sensitivity
    if not args.local and os.environ.get(API_KEY_ENV, "").strip():
        if args.jobs != 1:
            raise _Failure("-j runs the local engine in worker processes: add --local")
        if args.threshold is not None or args.allow or args.model:
            raise _Failure("--threshold, --allow and --model set the local engine: add --local")
        from ._client import LockLLM

        client: LockLLM = resources.enter_context(LockLLM(timeout=args.timeout))
        url = client.config.base_url + SCAN_PATH
        # Say at once what is being tried: an unreachable service takes seconds of retries.
        print(
            f"lockllm: scanning with the LockLLM service at {_label(url)} ({API_KEY_ENV} is "
            "set; --local scans offline)",
            file=sys.stderr,
            flush=True,
        )

        # block is decided here from the service's report, as for the local engine
        pii: Optional[PIIAction] = (
            "allow_with_warning" if args.pii_action == "block" else args.pii_action
        )

        def scan(text: str) -> ScanResponse:
            try:
                return client.scan(text, sensitivity, pii_action=pii)
            except NetworkError as error:  # every other input would fail the same way
                raise _Failure(
                    f"could not reach the LockLLM service at {_label(url)}: "
                    f"{_one_line(error)} (--local scans offline)"
                ) from None

        return Runner(one_by_one(scan)), ENGINE_SERVICE, client.config.base_url
    threads = max(1, (os.cpu_count() or 1) // args.jobs) if args.model and args.jobs > 1 else None
    spec = EngineSpec(
        sensitivity,
        args.threshold,
        tuple(args.allow),
        args.model,
        threads,
        args.rules_only,
        screen=not args.no_screen,
    )
    runner = resources.enter_context(Runner.local(spec, args.jobs))
    return runner, ENGINE_LOCAL, "the local engine"


# -- output ----------------------------------------------------------------------------


def _render(
    out: IO[str], label: Optional[str], text: str, result: ScanResponse, color: bool
) -> None:
    def paint(code: str, value: str) -> str:
        return f"{code}{value}{_RESET}" if color else value

    verdict = paint(_GREEN + _BOLD, "SAFE") if result.safe else paint(_RED + _BOLD, "UNSAFE")
    prefix = f"{label}: " if label else ""
    scores = []
    if result.injection is not None:
        scores.append(f"injection {result.injection:.1f}%")
    if result.confidence is not None:
        scores.append(f"confidence {result.confidence:.1f}%")
    scores.append(f"sensitivity {result.sensitivity}")
    out.write(f"{prefix}{verdict}  ({', '.join(scores)})\n")
    if result.categories:
        out.write(f"  categories: {', '.join(result.categories)}\n")
    if result.pii_result is not None:
        from .engine._piiaction import render_pii

        render_pii(out, result.pii_result, _printable)
    if not result.spans:
        return
    if color and len(text) <= _INLINE_LIMIT:
        out.write("  " + _highlight(text, result, lambda s: paint(_REVERSE + _RED, s)) + "\n")
        return
    for span in result.spans[:10]:
        excerpt = " ".join(text[span.start : span.end].split())
        if len(excerpt) > 80:
            excerpt = excerpt[:79] + "…"
        out.write(f"  [{span.start}:{span.end}] {span.category} ({span.score:.0f}%): {excerpt!r}\n")
    if len(result.spans) > 10:
        out.write(f"  … and {len(result.spans) - 10} more spans\n")


def _highlight(text: str, result: ScanResponse, mark: Callable[[str], str]) -> str:
    """``text`` with the flagged spans marked (overlapping spans merged)."""
    merged: List[List[int]] = []
    for span in sorted(result.spans, key=lambda s: s.start):
        if merged and span.start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span.end)
        else:
            merged.append([span.start, span.end])
    pieces, cursor = [], 0
    for start, end in merged:
        pieces.append(_printable(text[cursor:start]))
        pieces.append(mark(_printable(text[start:end])))
        cursor = end
    pieces.append(_printable(text[cursor:]))
    return "".join(pieces)


# Control characters in scanned text must not reach the terminal: an escape sequence in a
# file could retitle the window, move the cursor or worse. They are shown as \xNN, and the
# bidirectional formatting characters (which reorder what a line seems to say) as \uNNNN.
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROLS = {
    **{
        code: f"\\x{code:02x}"
        for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]
        if chr(code) not in "\n\t"
    },
    **{code: f"\\u{code:04x}" for code in _BIDI},
}
# A label (a file name, a note naming one) is one line: line breaks and tabs are escaped too,
# so a name holding "\nzz: SAFE" cannot print a forged verdict line.
_LABEL_CONTROLS = {
    **_CONTROLS,
    ord("\n"): "\\n",
    ord("\t"): "\\t",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
# JSON output keeps non-ASCII text as is, but no C1 control or bidi character raw
# (json.dumps escapes the C0 ones already); \uNNNN is the same string to a JSON reader.
_JSON_CONTROLS = {code: f"\\u{code:04x}" for code in [*range(0x7F, 0xA0), *_BIDI, 0x2028, 0x2029]}


def _printable(text: str) -> str:
    """Scanned text for the terminal: controls and bidi characters escaped, lines kept."""
    return text.translate(_CONTROLS)


def _label(text: str) -> str:
    """A file name or note on one line: every control, line break and bidi character escaped."""
    return text.translate(_LABEL_CONTROLS)


def _json_line(record: object) -> str:
    return json.dumps(record, ensure_ascii=False).translate(_JSON_CONTROLS) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
