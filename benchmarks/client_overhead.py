"""How much does LockLLM cost over a bare httpx client? (wall time, client CPU, import time)

A fixed-answer HTTP/1.1 keep-alive server runs on 127.0.0.1 in a separate process, so
its CPU is not counted as the client's. Then, in interleaved rounds:

* sync:  N sequential scans through ``LockLLM`` vs the same requests through a bare
  ``httpx.Client`` (same headers and body, ``post(content=...)`` then ``json.loads``);
* async: N scans, ``--concurrency`` at a time with ``asyncio.gather``, through
  ``AsyncLockLLM`` vs a bare ``httpx.AsyncClient``;
* trio: the same under trio (an anyio task group per batch), when trio is installed;

and finally the import time of ``lockllm`` vs ``httpx`` alone, in fresh interpreters.

    python benchmarks/client_overhead.py [--n 2000] [--rounds 5] [--concurrency 50]

The machine heads the output; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import re
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any, Callable, Dict, List, Tuple

from _common import print_machine, progress

KEY = "bench-key-0123456789abcdef"
PROMPT = "What is the capital of France? Answer in one word, please."
BODY = json.dumps(
    {
        "safe": True,
        "label": 0,
        "confidence": 91.0,
        "injection": 3.0,
        "sensitivity": "medium",
        "request_id": "req_bench",
        "usage": {"requests": 1, "input_chars": len(PROMPT)},
    }
).encode()
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: req_bench\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)
_LENGTH = re.compile(rb"(?i)\r\ncontent-length:\s*(\d+)")


# --------------------------------------------------------------------------- server process


class _Scan(asyncio.Protocol):
    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            match = _LENGTH.search(self.buffer, 0, end + 2)
            total = end + 4 + (int(match.group(1)) if match else 0)
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            self.transport.write(RESPONSE)


def _serve(port_out: Any) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Scan, "127.0.0.1", 0, backlog=512)
        port_out.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


# --------------------------------------------------------------------------- measured runs


def _measure(run: Callable[[], None]) -> Tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def _bare_headers() -> Dict[str, str]:
    from lockllm._protocol import USER_AGENT

    return {
        "Authorization": f"Bearer {KEY}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }


def sync_round(url: str, n: int, lock_first: bool) -> Dict[str, Tuple[float, float]]:
    import httpx

    from lockllm import LockLLM

    client = LockLLM(api_key=KEY, base_url=url, max_retries=0)
    bare = httpx.Client(headers=_bare_headers(), timeout=60.0)
    scan_url = url + "/v1/scan"

    def run_lockllm(count: int = n) -> None:
        for _ in range(count):
            client.scan(PROMPT)

    def run_httpx(count: int = n) -> None:
        for _ in range(count):
            content = json.dumps({"input": PROMPT, "sensitivity": "medium"}).encode()
            response = bare.post(
                scan_url, content=content, headers={"X-Request-Id": str(uuid.uuid4())}
            )
            json.loads(response.content)

    run_lockllm(50)  # warm up: open the connection, fill caches
    run_httpx(50)
    order = [("lockllm", run_lockllm), ("httpx", run_httpx)]
    if not lock_first:
        order.reverse()
    results = {name: _measure(run) for name, run in order}
    client.close()
    bare.close()
    return results


def trio_round(
    url: str, n: int, concurrency: int, lock_first: bool
) -> Dict[str, Tuple[float, float]]:
    """The async round under trio: batches of ``concurrency`` scans in a task group."""
    import anyio
    import httpx

    from lockllm import AsyncLockLLM

    scan_url = url + "/v1/scan"

    async def main() -> Dict[str, Tuple[float, float]]:
        client = AsyncLockLLM(api_key=KEY, base_url=url, max_retries=0)
        bare = httpx.AsyncClient(headers=_bare_headers(), timeout=60.0)

        async def bare_scan() -> None:
            content = json.dumps({"input": PROMPT, "sensitivity": "medium"}).encode()
            response = await bare.post(
                scan_url, content=content, headers={"X-Request-Id": str(uuid.uuid4())}
            )
            json.loads(response.content)

        async def lock_scan() -> None:
            await client.scan(PROMPT)

        async def run(make: Callable[[], Any], count: int) -> None:
            for start in range(0, count, concurrency):
                async with anyio.create_task_group() as group:
                    for _ in range(min(concurrency, count - start)):
                        group.start_soon(make)

        async def measure(make: Callable[[], Any]) -> Tuple[float, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            await run(make, n)
            return time.perf_counter() - wall, time.process_time() - cpu

        await run(lock_scan, concurrency * 2)  # warm up the pools
        await run(bare_scan, concurrency * 2)
        order: List[Tuple[str, Callable[[], Any]]] = [("lockllm", lock_scan), ("httpx", bare_scan)]
        if not lock_first:
            order.reverse()
        results = {name: await measure(make) for name, make in order}
        await client.aclose()
        await bare.aclose()
        return results

    result: Dict[str, Tuple[float, float]] = anyio.run(main, backend="trio")
    return result


def async_round(
    url: str, n: int, concurrency: int, lock_first: bool
) -> Dict[str, Tuple[float, float]]:
    import httpx

    from lockllm import AsyncLockLLM

    scan_url = url + "/v1/scan"

    async def main() -> Dict[str, Tuple[float, float]]:
        client = AsyncLockLLM(api_key=KEY, base_url=url, max_retries=0)
        bare = httpx.AsyncClient(headers=_bare_headers(), timeout=60.0)

        async def bare_scan() -> Any:
            content = json.dumps({"input": PROMPT, "sensitivity": "medium"}).encode()
            response = await bare.post(
                scan_url, content=content, headers={"X-Request-Id": str(uuid.uuid4())}
            )
            return json.loads(response.content)

        async def run(make: Callable[[], Any], count: int) -> None:
            for start in range(0, count, concurrency):
                await asyncio.gather(*(make() for _ in range(min(concurrency, count - start))))

        async def measure(make: Callable[[], Any]) -> Tuple[float, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            await run(make, n)
            return time.perf_counter() - wall, time.process_time() - cpu

        await run(lambda: client.scan(PROMPT), concurrency * 2)  # warm up the pools
        await run(bare_scan, concurrency * 2)
        order: List[Tuple[str, Callable[[], Any]]] = [
            ("lockllm", lambda: client.scan(PROMPT)),
            ("httpx", bare_scan),
        ]
        if not lock_first:
            order.reverse()
        results = {name: await measure(make) for name, make in order}
        await client.aclose()
        await bare.aclose()
        return results

    return asyncio.run(main())


# --------------------------------------------------------------------------- import time


def _import_once(statement: str) -> Tuple[float, float]:
    """One fresh interpreter: wall time of ``python -c`` and the -X importtime total (µs)."""
    module = statement.split()[-1]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return wall, float(parts[1])
    return wall, 0.0


def _import_times(statements: List[str], runs: int) -> Dict[str, Tuple[float, float]]:
    """Medians over fresh interpreters, the statements interleaved run by run, so a change
    in the machine's load falls on all of them alike."""
    samples: Dict[str, List[Tuple[float, float]]] = {s: [] for s in statements}
    for _ in range(runs):
        for statement in statements:
            samples[statement].append(_import_once(statement))
    return {
        s: (statistics.median(w for w, _ in got), statistics.median(c for _, c in got))
        for s, got in samples.items()
    }


# --------------------------------------------------------------------------- report


def _have_trio() -> bool:
    import importlib.util

    return importlib.util.find_spec("trio") is not None


def _per_scan(rounds: List[Dict[str, Tuple[float, float]]], n: int) -> Dict[str, float]:
    out: Dict[str, float] = {}
    for name in ("lockllm", "httpx"):
        out[f"{name}_wall"] = statistics.median(r[name][0] for r in rounds) / n * 1e6
        out[f"{name}_cpu"] = statistics.median(r[name][1] for r in rounds) / n * 1e6
    out["wall_ratio"] = statistics.median(r["lockllm"][0] / r["httpx"][0] for r in rounds)
    out["cpu_ratio"] = statistics.median(r["lockllm"][1] / r["httpx"][1] for r in rounds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="scans per client per round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per mode")
    parser.add_argument(
        "--concurrency", type=int, default=50, help="async scans in flight at a time"
    )
    parser.add_argument(
        "--import-runs", type=int, default=15, help="fresh interpreters for the import time"
    )
    parser.add_argument("--no-trio", action="store_true", help="leave out the trio rows")
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    server = ctx.Process(target=_serve, args=(send,), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{receive.recv()}"
        sync_rounds = []
        for i in range(args.rounds):
            progress(f"sync: round {i + 1}/{args.rounds}")
            sync_rounds.append(sync_round(url, args.n, i % 2 == 0))
        async_rounds = []
        for i in range(args.rounds):
            progress(f"async: round {i + 1}/{args.rounds}")
            async_rounds.append(async_round(url, args.n, args.concurrency, i % 2 == 0))
        trio_rounds = []
        for i in range(args.rounds if _have_trio() and not args.no_trio else 0):
            progress(f"trio: round {i + 1}/{args.rounds}")
            trio_rounds.append(trio_round(url, args.n, args.concurrency, i % 2 == 0))
    finally:
        server.terminate()
        server.join(5)

    progress(f"import time: {args.import_runs} fresh interpreters each")
    imports = _import_times(["pass", "import lockllm", "import httpx"], args.import_runs)
    baseline = imports["pass"][0]
    lock_wall, lock_cum = imports["import lockllm"]
    httpx_wall, httpx_cum = imports["import httpx"]

    modes = [("sync", _per_scan(sync_rounds, args.n)), ("async", _per_scan(async_rounds, args.n))]
    if trio_rounds:
        modes.append(("trio", _per_scan(trio_rounds, args.n)))
    print_machine("Client overhead")
    print(
        f"client_overhead: N={args.n} scans x {args.rounds} rounds, "
        f"async concurrency {args.concurrency}; medians over rounds; Python "
        f"{sys.version.split()[0]}"
    )
    print()
    header = (
        f"{'mode':<6} {'lockllm wall':>13} {'httpx wall':>11} {'ratio':>6}   "
        f"{'lockllm CPU':>12} {'httpx CPU':>10} {'ratio':>6}  target CPU<=1.10x"
    )
    print(header)
    print("-" * len(header))
    for mode, s in modes:
        verdict = "ok" if s["cpu_ratio"] <= 1.10 else "MISSED"
        print(
            f"{mode:<6} {s['lockllm_wall']:>10.1f} µs {s['httpx_wall']:>8.1f} µs "
            f"{s['wall_ratio']:>5.2f}x   {s['lockllm_cpu']:>9.1f} µs {s['httpx_cpu']:>7.1f} µs "
            f"{s['cpu_ratio']:>5.2f}x  {verdict}"
        )
    print()
    lock_net = (lock_wall - baseline) * 1e3
    httpx_net = (httpx_wall - baseline) * 1e3
    wall_ratio = lock_net / httpx_net if httpx_net > 0 else float("nan")
    cum_ratio = lock_cum / httpx_cum if httpx_cum else float("nan")
    print(f"import ({args.import_runs} fresh interpreters, medians)  target <=1.2x")
    print(f"  python -c, minus bare interpreter: lockllm {lock_net:6.1f} ms   httpx "
          f"{httpx_net:6.1f} ms   ratio {wall_ratio:.2f}x  "
          f"{'ok' if wall_ratio <= 1.2 else 'MISSED'}")  # fmt: skip
    print(f"  -X importtime cumulative:          lockllm {lock_cum / 1e3:6.1f} ms   httpx "
          f"{httpx_cum / 1e3:6.1f} ms   ratio {cum_ratio:.2f}x  "
          f"{'ok' if cum_ratio <= 1.2 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
