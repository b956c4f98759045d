#!/usr/bin/env python3
"""What ``lockllm serve`` adds to a provider call, on loopback.

Three processes: a stub provider, the gateway in front of it, and this client. Measured:

* added latency of a non-streamed chat completion through the gateway versus calling the
  stub directly (median and p99 over N sequential requests on keep-alive connections);
* extra time to first byte of a streamed (SSE) completion;
* requests per second through the gateway at concurrency 50 (a bounded number of
  requests), next to the stub's own;
* the engine's scan time for the same prompt, for reference: the gateway's added latency
  is its own overhead plus that scan.

Targets: added median <= 3 ms + scan time; extra TTFB <= 5 ms.

Run: ``.venv/bin/python benchmarks/gateway.py [--requests 500] [--concurrency 50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

KEY = "bench-gateway-key-0123456789abcdef"
PROMPT = "What is the capital of France? Answer in one sentence, please."
BODY = {"model": "gpt-bench", "messages": [{"role": "user", "content": PROMPT}]}
STREAM_BODY = {**BODY, "stream": True}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_stub(port: int) -> None:
    import uvicorn
    from _upstream_stub import UpstreamStub, build_stub_app

    stub = UpstreamStub(delay=0.0)
    app = build_stub_app(stub)

    # Keep memory flat over many requests: the benchmark does not read the records.
    class _NoRecords(list):  # type: ignore[type-arg]
        def append(self, item: Any) -> None:
            pass

    stub.requests = _NoRecords()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def _run_gateway(port: int, upstream: str) -> None:
    import uvicorn

    from lockllm.server import Settings, create_app
    from lockllm.server._cli import uvicorn_options

    env = {
        "LOCKLLM_SERVER_API_KEYS": KEY,
        "LOCKLLM_UPSTREAM_OPENAI_URL": upstream + "/v1",
        "LOCKLLM_UPSTREAM_OPENAI_KEY": "sk-bench",
    }
    settings = Settings.load(environ=env, port=port)
    uvicorn.run(create_app(settings), **uvicorn_options(settings, "error"))


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def _percentile(values: List[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _sequential(client: httpx.Client, url: str, n: int, body: Dict[str, Any]) -> List[float]:
    for _ in range(20):  # warm-up: connections, engine, caches
        client.post(url, json=body).raise_for_status()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.post(url, json=body)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


def _ttfb(client: httpx.Client, url: str, n: int) -> List[float]:
    times = []
    for i in range(n + 10):
        start = time.perf_counter()
        with client.stream("POST", url, json=STREAM_BODY) as response:
            response.raise_for_status()
            first = 0.0
            for _ in response.iter_raw():
                if not first:
                    first = (time.perf_counter() - start) * 1000
        if i >= 10:
            times.append(first)
    return times


async def _rps(url: str, headers: Dict[str, str], total: int, concurrency: int) -> float:
    """Requests per second from ``concurrency`` keep-alive connections.

    The load comes from a minimal HTTP/1.1 client on raw asyncio streams rather than
    httpx, whose connection pool slows down as concurrency grows and would measure
    itself instead of the servers.
    """
    target = httpx.URL(url)
    host, port = target.host, target.port or 80
    body = json.dumps(BODY).encode()
    head = f"POST {target.raw_path.decode()} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    head += "Content-Type: application/json\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    remaining = [total]

    async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(request)
        lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        if int(lines[0].split(b" ", 2)[1]) != 200:
            raise RuntimeError(f"unexpected answer: {lines[0]!r}")
        fields = dict(line.lower().split(b": ", 1) for line in lines[1:] if b": " in line)
        if b"content-length" in fields:
            await reader.readexactly(int(fields[b"content-length"]))
            return
        while True:  # chunked
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                return

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            await exchange(reader, writer)  # warm-up
            await ready.wait()
            while remaining[0] > 0:
                remaining[0] -= 1
                await exchange(reader, writer)
        finally:
            writer.close()

    ready = asyncio.Event()
    tasks = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    await asyncio.sleep(0.5)
    start = time.perf_counter()
    ready.set()
    await asyncio.gather(*tasks)
    return total / (time.perf_counter() - start)


def _scan_times(n: int) -> List[float]:
    from lockllm.engine import LocalScanner

    scanner = LocalScanner()
    messages = BODY["messages"]
    scanner.scan_messages(messages)  # type: ignore[arg-type]
    times = []
    for _ in range(n):
        start = time.perf_counter()
        scanner.scan_messages(messages)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rps-requests", type=int, default=3000)
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    stub_port, gw_port = _free_port(), _free_port()
    stub_url, gw_url = f"http://127.0.0.1:{stub_port}", f"http://127.0.0.1:{gw_port}"
    procs = [
        ctx.Process(target=_run_stub, args=(stub_port,), daemon=True),
        ctx.Process(target=_run_gateway, args=(gw_port, stub_url), daemon=True),
    ]
    for proc in procs:
        proc.start()
    try:
        _wait_ready(stub_url + "/v1/models")
        _wait_ready(gw_url + "/healthz")
        direct_url = stub_url + "/v1/chat/completions"
        via_url = gw_url + "/v1/proxy/openai/chat/completions"
        headers = {"Authorization": f"Bearer {KEY}"}
        rows: List[Tuple[str, str, str, str]] = []
        with httpx.Client(headers=headers, timeout=60) as client:
            # Interleave the two series in blocks, so drift on a busy machine hits both.
            direct: List[float] = []
            via: List[float] = []
            block = max(1, args.requests // 5)
            for _ in range(5):
                direct += _sequential(client, direct_url, block, BODY)
                via += _sequential(client, via_url, block, BODY)
            ttfb_direct = _ttfb(client, direct_url, args.streams)
            ttfb_via = _ttfb(client, via_url, args.streams)
        scan = _scan_times(args.requests)
        rps_direct = asyncio.run(_rps(direct_url, headers, args.rps_requests, args.concurrency))
        rps_via = asyncio.run(_rps(via_url, headers, args.rps_requests, args.concurrency))
    finally:
        for proc in procs:
            proc.terminate()
            proc.join(10)

    med: Callable[[List[float]], float] = statistics.median

    def fmt(value: float) -> str:
        return f"{value:.2f}"

    scan_med = med(scan)
    added_med = med(via) - med(direct)
    added_p99 = _percentile(via, 99) - _percentile(direct, 99)
    extra_ttfb = med(ttfb_via) - med(ttfb_direct)
    rows = [
        ("chat completion, direct (ms)", fmt(med(direct)), fmt(_percentile(direct, 99)), ""),
        ("chat completion, via gateway (ms)", fmt(med(via)), fmt(_percentile(via, 99)), ""),
        (
            "added by gateway (ms)",
            fmt(added_med),
            fmt(added_p99),
            f"<= {3 + scan_med:.2f} (3 + scan)",
        ),
        ("engine scan, same prompt (ms)", fmt(scan_med), fmt(_percentile(scan, 99)), ""),
        (
            "TTFB streamed, direct (ms)",
            fmt(med(ttfb_direct)),
            fmt(_percentile(ttfb_direct, 99)),
            "",
        ),
        ("TTFB streamed, via gateway (ms)", fmt(med(ttfb_via)), fmt(_percentile(ttfb_via, 99)), ""),
        ("extra TTFB (ms)", fmt(extra_ttfb), "", "<= 5.00"),
        (f"req/s at concurrency {args.concurrency}, direct", f"{rps_direct:.0f}", "", ""),
        (f"req/s at concurrency {args.concurrency}, via gateway", f"{rps_via:.0f}", "", ""),
    ]
    print(
        f"lockllm serve on loopback; {args.requests} sequential requests, {args.streams} "
        f"streams, {args.rps_requests} requests at concurrency {args.concurrency}; "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    header = ("measure", "median", "p99", "target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    ok = added_med <= 3 + scan_med and extra_ttfb <= 5
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
