"""``lockllm mcp-proxy -- <server command>``: a stdio MCP proxy that scans what a server
tells the model.

It starts the server command with pipes, then relays newline-delimited JSON-RPC between
its own stdin/stdout (the MCP client) and the server, unchanged except for:

- a ``tools/list`` answer: each tool's name, description and input-schema strings are
  scanned; a poisoned tool is withheld from the list, with a log line on stderr naming it
  and the rules that fired (never the text);
- a ``tools/call`` answer: the result's text (text contents, embedded text resources,
  structured content) is scanned; a poisoned result becomes an error result
  (``isError``) that tells the model it was withheld;
- a ``tools/call`` request for a withheld tool is answered by the proxy with such an
  error result and never reaches the server.

It needs no MCP SDK: it reads the JSON-RPC messages themselves. Scans run on the local
engine by default, or on the LockLLM service (``--scanner service``: ``LOCKLLM_API_KEY``
and ``LOCKLLM_BASE_URL``, which may name a ``lockllm serve`` gateway). The proxy's exit
status is the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from typing import Any, BinaryIO, Dict, List, Optional, Sequence, Set, Tuple

from .._vocabulary import SENSITIVITIES
from ._mcp_common import blocked_result, log_result, log_withheld, result_texts, tool_texts

__all__ = ["McpProxy", "add_arguments", "run_command"]

logger = logging.getLogger("lockllm.integrations.mcp")

LINE_LIMIT = 64 * 1024 * 1024
"""The longest JSON-RPC message relayed (a line)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``mcp-proxy`` options (argparse only: nothing else is imported)."""
    parser.add_argument(
        "--scanner",
        choices=["local", "service"],
        default="local",
        help="scan with the local engine (default) or the LockLLM service / a gateway "
        "(LOCKLLM_API_KEY, LOCKLLM_BASE_URL)",
    )
    parser.add_argument(
        "-s",
        "--sensitivity",
        choices=list(SENSITIVITIES),
        default="medium",
        help="scan sensitivity (default medium)",
    )
    parser.add_argument(
        "server",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARGS...]",
        help="the stdio MCP server to start, after --",
    )


class McpProxy:
    """The relay and its state: requests in flight, tools withheld."""

    def __init__(self, scanner: Any, sensitivity: str, output: BinaryIO) -> None:
        self.scanner = scanner
        self.sensitivity = sensitivity
        self.output = output
        self.pending: Dict[Any, Tuple[str, Optional[str]]] = {}
        self.withheld: Set[str] = set()

    async def _scan(self, texts: List[Tuple[str, str]]) -> Any:
        from ._scan import scan_texts

        return await scan_texts(self.scanner, texts, self.sensitivity)

    def _write(self, message: Any) -> None:
        self.output.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
        self.output.flush()

    def from_client(self, message: Any) -> Optional[Any]:
        """Note a client request; answer a call to a withheld tool here (returns the
        message to forward, or ``None``)."""
        if not isinstance(message, dict) or "method" not in message or "id" not in message:
            return message
        method = message["method"]
        raw = message.get("params")
        params: Dict[str, Any] = raw if isinstance(raw, dict) else {}
        name = params.get("name") if method == "tools/call" else None
        if method == "tools/call" and isinstance(name, str) and name in self.withheld:
            self._write({"jsonrpc": "2.0", "id": message["id"], "result": blocked_result()})
            return None
        if method in ("tools/list", "tools/call"):
            self.pending[json.dumps(message["id"])] = (
                method,
                name if isinstance(name, str) else None,
            )
        return message

    async def from_server(self, message: Any) -> Any:
        """A server message, its tools or result checked when it answers a tracked request."""
        if not isinstance(message, dict) or "id" not in message or "method" in message:
            return message
        request = self.pending.pop(json.dumps(message["id"]), None)
        result = message.get("result")
        if request is None or not isinstance(result, dict):
            return message
        method, name = request
        if method == "tools/list" and isinstance(result.get("tools"), list):
            kept = []
            for tool in result["tools"]:
                verdict = await self._scan(tool_texts(tool)) if isinstance(tool, dict) else None
                if verdict is not None and not verdict.safe:
                    log_withheld(tool.get("name"), verdict)
                    self.withheld.add(str(tool.get("name")))
                    continue
                kept.append(tool)
            return {**message, "result": {**result, "tools": kept}}
        if method == "tools/call":
            verdict = await self._scan(result_texts(result))
            if verdict is not None and not verdict.safe:
                log_result(name, verdict)
                return {**message, "result": blocked_result()}
        return message

    async def run(self, command: Sequence[str], source: asyncio.StreamReader) -> int:
        """Start ``command`` and relay until either side closes; the server's exit code."""
        server = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
        )
        assert server.stdin is not None
        assert server.stdout is not None
        sink, replies = server.stdin, server.stdout

        async def upstream() -> None:
            while True:
                line = await source.readline()
                if not line:
                    break
                forwarded = _relay_line(line, self.from_client)
                if forwarded is not None:
                    sink.write(forwarded)
                    await sink.drain()
            sink.close()

        async def downstream() -> None:
            while True:
                line = await replies.readline()
                if not line:
                    return
                try:
                    message = json.loads(line)
                except ValueError:
                    self.output.write(line)
                    self.output.flush()
                    continue
                if isinstance(message, list):  # a JSON-RPC batch (older MCP revisions)
                    checked: Any = [await self.from_server(m) for m in message]
                else:
                    checked = await self.from_server(message)
                self._write(checked)

        reading = asyncio.ensure_future(upstream())
        await downstream()
        reading.cancel()
        return await server.wait()


def _relay_line(line: bytes, check: Any) -> Optional[bytes]:
    try:
        message = json.loads(line)
    except ValueError:
        return line  # not ours to judge: the server answers it
    if isinstance(message, list):
        kept = [m for m in (check(m) for m in message) if m is not None]
        return (json.dumps(kept, ensure_ascii=False) + "\n").encode() if kept else None
    checked = check(message)
    return None if checked is None else line


def _scanner(kind: str) -> Any:
    if kind == "service":
        from .._client import AsyncLockLLM

        return AsyncLockLLM()
    from ..engine import LocalScanner

    return LocalScanner()


async def _main(command: Sequence[str], scanner: Any, sensitivity: str) -> int:
    loop = asyncio.get_running_loop()
    source = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(source), sys.stdin.buffer)
    proxy = McpProxy(scanner, sensitivity, sys.stdout.buffer)
    return await proxy.run(command, source)


def run_command(args: argparse.Namespace) -> int:
    """``lockllm mcp-proxy``: relay until the server or the client ends."""
    command: List[str] = list(args.server)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("lockllm: error: mcp-proxy needs a server command after --", file=sys.stderr)
        return 2
    handler = logging.StreamHandler(sys.stderr)  # stdout carries the protocol
    handler.setFormatter(logging.Formatter("lockllm mcp-proxy: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        return asyncio.run(_main(command, _scanner(args.scanner), args.sensitivity))
    except FileNotFoundError:
        print(f"lockllm: error: cannot start the MCP server {command[0]!r}", file=sys.stderr)
        return 2
