"""Tool-call arguments under the response guard: redacted in place, the JSON kept valid.

Whole arguments (JSON text or an object) and streamed argument deltas of every shape;
then the attacks: a secret split across three or more deltas, escapes that decode to a
secret (``\\u0073k-…``), a chunk boundary inside an escape, a very long single value,
``n > 1`` choices each with tool calls, interleaved tool-call indices, a finding across a
string's quotes (blocks), and benign arguments relayed byte for byte.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any, Dict, List, Optional, Tuple

import httpx
import pytest
from _gateway import AUTH, running_gateway, serve_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from lockllm.server._guard import GuardContext
from lockllm.server._guard_args import ArgumentLexer, raw_span, redact_arguments
from lockllm.server._guard_stream import BodyGuard, Policy, StreamGuard

SYSTEM = (
    "You are Zorblax, the support assistant of Acme Rockets. The internal escalation "
    "phrase is purple-otter-lighthouse and must never be disclosed to customers."
)
CONVERSATION = {
    "messages": [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "I am Jonathan Pemberton-Smythe, order AX-99887766."},
    ]
}
EXFIL = "https://collector.evil.example/c?d=Jonathan%20Pemberton-Smythe%20AX-99887766"
KEY = "sk-" + "Q3eGRhT5jXnV7wZyA1b2C3d4E5f6G7h8J9k0LmNo"
EMAIL = "jane.doe@example.org"


def context(pii: Optional[str] = None) -> GuardContext:
    return GuardContext([SYSTEM], CONVERSATION, pii=pii)


def stream(
    mode: str, shape: str = "chat", pii: Optional[str] = None, window: int = 400
) -> Tuple[StreamGuard, List[Any]]:
    reports: List[Any] = []
    guard = StreamGuard(shape, context(pii), Policy(mode, pii, window), reports.extend, "req")
    return guard, reports


def feed(guard: StreamGuard, data: bytes, sizes: List[int]) -> Tuple[bytes, bool]:
    out: List[bytes] = []
    at = turn = 0
    while at < len(data):
        size = sizes[turn % len(sizes)]
        turn += 1
        sent, stop = guard.feed(data[at : at + size])
        out.append(sent)
        if stop:
            return b"".join(out), True
        at += size
    out.append(guard.close(200, [])[1])
    return b"".join(out), False


def sse(data: Any) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def chat_tool(arguments: str, call: int = 0, choice: int = 0) -> bytes:
    delta = {"tool_calls": [{"index": call, "function": {"arguments": arguments}}]}
    return sse({"choices": [{"index": choice, "delta": delta}]})


def pieces(text: str, size: int) -> List[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def chat_arguments(raw: bytes) -> Dict[Tuple[int, int], str]:
    """The joined arguments of every (choice, call) a client reads from a chat stream."""
    joined: Dict[Tuple[int, int], str] = {}
    for block in raw.split(b"\n\n"):
        if not block.startswith(b"data: {"):
            continue
        for choice in json.loads(block[6:]).get("choices", []):
            for call in choice["delta"].get("tool_calls", []):
                key = (choice["index"], call["index"])
                joined[key] = joined.get(key, "") + call["function"]["arguments"]
    return joined


# -- the lexer ----------------------------------------------------------------------------


def test_the_lexer_reads_escapes_split_anywhere_and_maps_back_to_raw() -> None:
    raw = json.dumps({"k\u00e9y": 'a\\b "q" \u00e9 \U0001f680 ' + EMAIL, "n": [1, {"x": "y"}]})
    raw = raw.replace("j", "\\u006a")  # the e-mail's j written as an escape
    whole, segs = ArgumentLexer().feed(raw)
    for size in (1, 2, 3, 5, 7):
        lexer = ArgumentLexer()
        parts = [lexer.feed(p) for p in pieces(raw, size)]
        assert "".join(p[0] for p in parts) == whole
    assert EMAIL in whole
    at = whole.index(EMAIL)
    starts = [s.dec for s in segs]
    begin, end, inside = raw_span(segs, starts, at, at + len(EMAIL))
    assert inside
    assert raw[begin:end] == EMAIL.replace("j", "\\u006a")
    key_at = whole.index("k\u00e9y")
    assert not raw_span(segs, starts, key_at, key_at + 3)[2]  # a key is not rewritten
    quote_at = whole.index('"n"')
    assert not raw_span(segs, starts, quote_at - 5, quote_at + 2)[2]  # across quotes


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_a_value_written_wholly_in_escapes_is_redacted_exactly(size: int) -> None:
    value = "\u6771\u4eac " + EMAIL + "\n" + KEY + "\t\u00e9"
    escaped = "".join(f"\\u{ord(c):04x}" for c in value)  # every character an escape
    arguments = '{"v": "' + escaped + '", "w": "\\n\\n"}'
    data = b"".join(chat_tool(p) for p in pieces(arguments, size))
    guard, _ = stream("redact", pii="strip")
    out, stopped = feed(guard, data, [23])
    assert not stopped
    expected = "\u6771\u4eac [EMAIL]\n[API_KEY]\t\u00e9"
    assert json.loads(chat_arguments(out)[(0, 0)]) == {"v": expected, "w": "\n\n"}
    _, redacted = redact_arguments(
        context("strip"), Policy("redact", "strip", 400).action, arguments
    )
    assert redacted is not None
    assert json.loads(redacted) == {"v": expected, "w": "\n\n"}


# -- whole arguments ----------------------------------------------------------------------


def test_whole_json_arguments_are_redacted_and_still_parse() -> None:
    raw = json.dumps({"to": EMAIL, "body": f"key {KEY}", "url": EXFIL, "n": 3})
    policy = Policy("redact", "strip", 400)
    results, redacted = redact_arguments(context("strip"), policy.action, raw)
    assert redacted is not None
    assert json.loads(redacted) == {
        "to": "[EMAIL]",
        "body": "key [API_KEY]",
        "url": "[REDACTED_URL]",
        "n": 3,
    }
    assert sorted(a for _, a in results) == ["redact"] * 3


def test_escapes_that_decode_to_a_secret_are_redacted_whole() -> None:
    escaped = KEY.replace("s", "\\u0073", 1).replace("Q", "\\u0051")
    raw = '{"cmd": "export KEY=' + escaped + '"}'
    policy = Policy("redact", None, 400)
    results, redacted = redact_arguments(context(), policy.action, raw)
    assert [(f.kind, a) for f, a in results] == [("secret", "redact")]
    assert redacted is not None
    assert json.loads(redacted) == {"cmd": "export KEY=[API_KEY]"}


def test_a_finding_across_string_boundaries_or_in_a_key_blocks() -> None:
    raw = json.dumps([SYSTEM[:30], SYSTEM[30:60]])  # a leak only when read across values
    policy = Policy("redact", "strip", 400)
    results, redacted = redact_arguments(context("strip"), policy.action, raw)
    assert redacted is None
    assert ("prompt_leak", "block") in [(f.kind, a) for f, a in results]
    results, redacted = redact_arguments(context("strip"), policy.action, json.dumps({EMAIL: 1}))
    assert redacted is None
    assert [(f.kind, a) for f, a in results] == [("pii", "block")]
    number = '{"card": 4111111111111111}'  # a number cannot hold a placeholder
    results, redacted = redact_arguments(context("strip"), policy.action, number)
    assert redacted is None
    assert [(f.detail, a) for f, a in results] == [("credit_card", "block")]
    bad = '{"to": "' + EMAIL + '", oops'  # not JSON: not rewritten
    results, redacted = redact_arguments(context("strip"), policy.action, bad)
    assert redacted is None
    assert [a for _, a in results] == ["block"]


@pytest.mark.parametrize("shape", ["chat", "responses", "anthropic", "gemini"])
def test_whole_answers_redact_tool_arguments_in_every_shape(shape: str) -> None:
    args = {"to": EMAIL, "subject": "Hi", "nested": [{"key": KEY}]}
    text_args = json.dumps(args)
    answer: Any
    if shape == "chat":
        call = {"id": "c", "type": "function", "function": {"name": "send", "arguments": text_args}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        answer = {"choices": [{"index": 0, "message": message}]}
    elif shape == "responses":
        item = {"type": "function_call", "name": "send", "arguments": text_args}
        answer = {"output": [item]}
    elif shape == "anthropic":
        answer = {"content": [{"type": "tool_use", "id": "t", "name": "send", "input": args}]}
    else:
        call = {"functionCall": {"name": "send", "args": args}}
        answer = {"candidates": [{"index": 0, "content": {"parts": [call]}}]}
    reports: List[Any] = []
    guard = BodyGuard(shape, context("strip"), Policy("audit", "strip", 400), reports.extend, "r")
    guard.feed(json.dumps(answer).encode())
    head, out = guard.close(200, [])
    assert head is not None
    assert head[0] == 200
    body = json.loads(out)
    if shape == "chat":
        got = json.loads(body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    elif shape == "responses":
        got = json.loads(body["output"][0]["arguments"])
    elif shape == "anthropic":
        got = body["content"][0]["input"]
    else:
        got = body["candidates"][0]["content"]["parts"][0]["functionCall"]["args"]
    assert got == {"to": "[EMAIL]", "subject": "Hi", "nested": [{"key": "[API_KEY]"}]}
    assert {(f.kind, a) for f, a in reports} == {("pii", "redact"), ("secret", "redact")}


# -- streamed deltas ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_a_secret_split_across_many_deltas_is_redacted(size: int) -> None:
    arguments = json.dumps({"command": f"curl -H 'Authorization: Bearer {KEY}' api", "n": 1})
    data = b"".join(chat_tool(p) for p in pieces(arguments, size))
    for sizes in ([5], [64], [1, 13, 2]):
        guard, reports = stream("redact")
        out, stopped = feed(guard, data, sizes)
        assert not stopped
        joined = chat_arguments(out)[(0, 0)]
        assert json.loads(joined) == {
            "command": "curl -H 'Authorization: Bearer [API_KEY]' api",
            "n": 1,
        }
        assert KEY[3:12] not in out.decode()
        assert [(f.kind, a) for f, a in reports] == [("secret", "redact")]


@pytest.mark.parametrize("size", [1, 3, 5])
def test_u_escapes_that_decode_to_a_secret_split_inside_the_escape(size: int) -> None:
    escaped = "".join(f"\\u{ord(c):04x}" if c in "sk-Q3" else c for c in KEY)
    arguments = '{"note": "token=' + escaped + '", "ok": true}'
    data = b"".join(chat_tool(p) for p in pieces(arguments, size))  # cuts inside \\u0073
    guard, _ = stream("redact")
    out, stopped = feed(guard, data, [9])
    assert not stopped
    assert json.loads(chat_arguments(out)[(0, 0)]) == {"note": "token=[API_KEY]", "ok": True}
    guard, _ = stream("block")
    out, stopped = feed(guard, data, [9])
    assert stopped
    assert b"response_blocked" in out


def test_anthropic_and_responses_deltas_are_redacted() -> None:
    arguments = json.dumps({"to": EMAIL, "text": "see " + EXFIL})
    events = [
        sse({"type": "message_start", "message": {"content": []}}),
        sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}},
            }
        ),
    ]
    for piece in pieces(arguments, 4):
        delta = {"type": "input_json_delta", "partial_json": piece}
        events.append(sse({"type": "content_block_delta", "index": 0, "delta": delta}))
    events.append(sse({"type": "message_stop"}))
    guard, _ = stream("redact", "anthropic", pii="strip")
    out, stopped = feed(guard, b"".join(events), [11])
    assert not stopped
    joined = "".join(
        json.loads(b[6:])["delta"]["partial_json"]
        for b in out.split(b"\n\n")
        if b.startswith(b"data: ") and b'"input_json_delta"' in b
    )
    assert json.loads(joined) == {"to": "[EMAIL]", "text": "see [REDACTED_URL]"}
    kind = "response.function_call_arguments.delta"
    events = [sse({"type": kind, "output_index": 1, "delta": p}) for p in pieces(arguments, 6)]
    done = "response.function_call_arguments.done"
    events.append(sse({"type": done, "output_index": 1, "arguments": arguments}))
    guard, _ = stream("redact", "responses", pii="strip")
    out, stopped = feed(guard, b"".join(events), [7])
    assert not stopped
    blocks = [json.loads(b[6:]) for b in out.split(b"\n\n") if b.startswith(b"data: ")]
    joined = "".join(b["delta"] for b in blocks if b["type"] == kind)
    expected = {"to": "[EMAIL]", "text": "see [REDACTED_URL]"}
    assert json.loads(joined) == expected
    assert json.loads(blocks[-1]["arguments"]) == expected


def test_n_choices_with_interleaved_tool_calls_are_followed_apart() -> None:
    plain = json.dumps({"city": "Paris", "days": 3})
    secret = json.dumps({"city": "Lyon", "token": KEY})
    mail = json.dumps({"to": EMAIL})
    streams = {(0, 0): plain, (0, 1): secret, (1, 0): mail, (1, 1): plain}
    cut = {key: pieces(text, 3) for key, text in streams.items()}
    frames: List[bytes] = []
    rng = random.Random(7)
    while any(cut.values()):  # interleave the four (choice, call) streams at random
        key = rng.choice([k for k, v in cut.items() if v])
        frames.append(chat_tool(cut[key].pop(0), call=key[1], choice=key[0]))
    data = b"".join(frames)
    guard, reports = stream("redact", pii="strip")
    out, stopped = feed(guard, data, [37])
    assert not stopped
    joined = chat_arguments(out)
    assert json.loads(joined[(0, 0)]) == json.loads(plain)
    assert json.loads(joined[(1, 1)]) == json.loads(plain)
    assert json.loads(joined[(0, 1)]) == {"city": "Lyon", "token": "[API_KEY]"}
    assert json.loads(joined[(1, 0)]) == {"to": "[EMAIL]"}
    assert sorted(f.kind for f, _ in reports) == ["pii", "secret"]


def test_a_leak_spread_over_two_streamed_values_blocks() -> None:
    arguments = json.dumps({"a": [SYSTEM[:30], SYSTEM[30:60]]})
    data = b"".join(chat_tool(p) for p in pieces(arguments, 5))
    guard, reports = stream("redact")
    out, stopped = feed(guard, data, [40])
    assert stopped
    assert b"response_blocked" in out
    assert b"Zorblax" not in out
    assert reports[-1][1] == "block"


def test_benign_arguments_are_byte_identical_in_every_mode() -> None:
    arguments = json.dumps(
        {"q": "caf\u00e9 \u6771\u4eac \U0001f680", "path": "a\\b/c", "n": [1, 2.5]}
    )
    escaped = b"".join(chat_tool(p) for p in pieces(arguments, 3))
    raw_utf8 = b"".join(
        b"data: "
        + json.dumps(
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {"tool_calls": [{"index": 0, "function": {"arguments": p}}]},
                    }
                ]
            },
            ensure_ascii=False,
        ).encode()
        + b"\n\n"
        for p in pieces(arguments, 4)
    )
    for data in (escaped, raw_utf8):
        for mode in ("audit", "redact", "block"):
            for sizes in ([1], [3], [50]):
                guard, reports = stream(mode, pii="strip")
                assert feed(guard, data, sizes) == (data, False)
                assert not reports


def test_random_chunkings_give_the_same_valid_redacted_arguments() -> None:
    value = "x" * 50 + f" mail {EMAIL} key {KEY} link {EXFIL} " + "y" * 50
    arguments = json.dumps({"a": value, "b": {"c": [value, "plain"]}}, ensure_ascii=True)
    rng = random.Random(18)
    expected: Optional[Any] = None
    for _ in range(20):
        cut: List[str] = []
        at = 0
        while at < len(arguments):
            size = rng.randint(1, 9)
            cut.append(arguments[at : at + size])
            at += size
        data = b"".join(chat_tool(p) for p in cut)
        guard, _ = stream("redact", pii="strip")
        out, stopped = feed(guard, data, [rng.randint(1, 50)])
        assert not stopped
        parsed = json.loads(chat_arguments(out)[(0, 0)])
        assert "jane" not in json.dumps(parsed)
        expected = parsed if expected is None else expected
        assert parsed == expected
    assert expected is not None
    assert expected["a"] == (
        "x" * 50 + " mail [EMAIL] key [API_KEY] link [REDACTED_URL] " + "y" * 50
    )


def test_a_huge_single_delta_is_redacted_like_small_ones() -> None:
    filler = 'caf\u00e9\n"x" \\ ' * 1200  # past BIG_PIECE, dense with escapes
    value = EMAIL + " " + filler + KEY + " " + filler + " " + EMAIL
    arguments = json.dumps({"v": value, "w": [filler, "ok"]})
    expected = {"v": "[EMAIL] " + filler + "[API_KEY] " + filler + " [EMAIL]", "w": [filler, "ok"]}
    for cut in (len(arguments), 7000, 40):
        data = b"".join(chat_tool(p) for p in pieces(arguments, cut))
        guard, reports = stream("redact", pii="strip")
        out, stopped = feed(guard, data, [1 << 20])
        assert not stopped
        assert json.loads(chat_arguments(out)[(0, 0)]) == expected
        assert sorted(f.kind for f, _ in reports) == ["pii", "pii", "secret"]


def test_a_very_long_argument_value_costs_linear_time() -> None:
    def timed(n: int) -> float:
        arguments = json.dumps({"text": 'lorem ipsum \\ "dolor" ' * n + KEY})
        data = b"".join(chat_tool(p) for p in pieces(arguments, 4096))
        guard, _ = stream("redact")
        began = time.perf_counter()
        out, stopped = feed(guard, data, [65536])
        elapsed = time.perf_counter() - began
        assert not stopped
        assert json.loads(chat_arguments(out)[(0, 0)])["text"].endswith("[API_KEY]")
        return elapsed

    timed(1000)  # warm up
    small, large = timed(5000), timed(40000)
    assert large < small * 8 * 4 + 0.5  # 8x the input: far from quadratic (64x)


# -- through the gateway ------------------------------------------------------------------


def test_tool_arguments_through_the_gateway() -> None:
    script: Dict[str, Any] = {}

    async def answer(request: Request) -> Response:
        await request.body()
        if script["ctype"] == "text/event-stream":

            async def chunks() -> Any:
                for chunk in script["chunks"]:
                    yield chunk
                    await asyncio.sleep(0.001)

            return StreamingResponse(chunks(), media_type="text/event-stream")
        return Response(b"".join(script["chunks"]), media_type="application/json")

    app = Starlette(routes=[Route("/{path:path}", answer, methods=["POST"])])
    with (
        serve_app(app) as url,
        running_gateway(
            {"openai": (url + "/v1", "sk-up"), "anthropic": (url, "sk-up")}, response_guard="redact"
        ) as gw,
    ):
        arguments = json.dumps({"to": EMAIL, "cmd": f"login {KEY}"})
        data = b"".join(chat_tool(p) for p in pieces(arguments, 4)) + b"data: [DONE]\n\n"
        script.update(
            ctype="text/event-stream", chunks=[data[i : i + 9] for i in range(0, len(data), 9)]
        )
        headers = {**AUTH, "X-LockLLM-PII-Action": "strip"}
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        reply = httpx.post(
            f"{gw.url}/v1/proxy/openai/chat/completions", json=body, headers=headers, timeout=30
        )
        assert reply.status_code == 200
        assert json.loads(chat_arguments(reply.content)[(0, 0)]) == {
            "to": "[EMAIL]",
            "cmd": "login [API_KEY]",
        }
        assert reply.content.endswith(b"data: [DONE]\n\n")
        benign = json.dumps({"city": "Paris"})
        data = b"".join(chat_tool(p) for p in pieces(benign, 3)) + b"data: [DONE]\n\n"
        script.update(chunks=[data[i : i + 5] for i in range(0, len(data), 5)])
        reply = httpx.post(
            f"{gw.url}/v1/proxy/openai/chat/completions", json=body, headers=headers, timeout=30
        )
        assert reply.content == data  # byte for byte
        use = {"type": "tool_use", "id": "t", "name": "send", "input": {"to": EMAIL, "n": 1}}
        script.update(ctype="application/json", chunks=[json.dumps({"content": [use]}).encode()])
        body = {"model": "c", "messages": [{"role": "user", "content": "hi"}]}
        reply = httpx.post(
            f"{gw.url}/v1/proxy/anthropic/v1/messages", json=body, headers=headers, timeout=30
        )
        assert reply.status_code == 200
        assert reply.json()["content"][0]["input"] == {"to": "[EMAIL]", "n": 1}
        assert int(reply.headers["content-length"]) == len(reply.content)


def test_many_findings_cost_linear_time() -> None:
    def timed(n: int, tool: bool) -> float:
        value = " ".join(f"user{i}@example.org" for i in range(n))
        if tool:
            data = b"".join(chat_tool(p) for p in pieces(json.dumps({"v": value}), 8))
        else:
            content = [{"index": 0, "delta": {"content": p}} for p in pieces(value, 8)]
            data = b"".join(sse({"choices": [c]}) for c in content)
        guard, _ = stream("redact", pii="strip")
        began = time.perf_counter()
        out, stopped = feed(guard, data, [4096])
        elapsed = time.perf_counter() - began
        assert not stopped
        assert b"@example.org" not in out
        return elapsed

    for tool in (True, False):
        timed(100, tool)  # warm up
        small, large = timed(500, tool), timed(2000, tool)
        assert large < small * 4 * 4 + 0.5  # 4x the findings: nowhere near 16x
