"""What the response guard finds in a model's text: prompt leaks, canaries, exfiltration
URLs, secrets and PII.

A :class:`GuardContext` is built once per request from the request body the gateway
forwarded; :meth:`GuardContext.find` reads one piece of model output (a message's text, a
streamed window of it, or a tool call's arguments) and returns :class:`Finding` items with
their kind, a short non-sensitive detail (an entity type, a host) and their span in the
text. Nothing here keeps or logs the text itself.

Leaks: the system and developer prompts are folded like canaries (``lockllm._canary``:
letters and digits only, lower-cased, NFKC, look-alike letters mapped), and the output is
read folded, reversed, in ROT13 and with its base64 and hex runs decoded. A leak is a run of
at least ``MIN_LEAK`` folded characters of a system prompt in any of these readings: the
prompt's windows of half that length are indexed; the output is cut into aligned blocks
of that length (every such run holds one whole block), each looked up once, and a hit is
extended both ways.

Exfiltration: every ``http(s)://`` URL in the text (markdown images and links, HTML, bare
URLs) whose host is not in the allow-list and whose path or query, percent-decoded and with
base64 / hex runs decoded, carries a run of at least ``MIN_EXFIL`` folded characters of the
request's conversation (every string of the request body). A URL that appears verbatim in
the request is not counted (the model repeating a link it was given).

Secrets (always) and personal data (with a PII action) come from the engine's detectors,
``lockllm.engine.find_pii``.

Every loop is bounded: places per window, URLs per text; each check costs
time linear in the text read, after indexing the prompt once. A large piece is read in a
worker thread (``_guard_offload``): folding and the regular-expression scans go through
it in slices of ``SLICE`` characters, so that no single call holds the interpreter lock
(and the event loop) for long.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple
from urllib.parse import unquote_plus, urlsplit

from .._canary import _fold, canary_leaked
from ..engine._pii import SECRET_TYPES, find_pii  # at start-up: its patterns compile once

__all__ = ["Finding", "GuardContext", "MIN_EXFIL", "MIN_LEAK", "json_unescape"]

MIN_LEAK = 40
"""Folded characters (letters and digits) of a system prompt that make a leak."""
MIN_EXFIL = 20
"""Folded characters of the conversation a URL must carry to count as exfiltration."""
MAX_URLS = 64
"""URLs read per text (the rest are left unread; a text with more is unusual)."""
MAX_PLACES = 4
"""Places of one window in the reference that a hit is extended from."""
MAX_REFERENCE = 256 * 1024
"""Folded characters of a system prompt or a conversation indexed (the rest is not read)."""
SLICE = 64 * 1024
"""Characters one fold or one regular-expression search reads at a time."""

_URL = re.compile(r"https?://[^\s<>\"'`)\]\\]{1,4096}", re.IGNORECASE)
_URL_START = re.compile(r"https?://", re.IGNORECASE)
_ASCII = re.compile(r"[\x00-\x7f]")
_B64_RUN = re.compile(r"[A-Za-z0-9+/_\-=\r\n]{16,}")
_HEX_RUN = re.compile(r"[0-9a-fA-F]{16,}")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


class Finding(NamedTuple):
    """One thing found: ``kind`` (``prompt_leak``, ``canary_leak``, ``exfiltration``,
    ``secret``, ``pii``), a non-sensitive ``detail`` and the span in the text read."""

    kind: str
    detail: str
    start: int
    end: int


def json_unescape(text: str) -> str:
    """JSON string escapes (``\\u0068``, ``\\/``, ``\\n`` …) decoded leniently, for reading
    tool-call arguments (JSON text) as what they will mean."""
    if "\\" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if len(code) == 5:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, code)

    return _ESCAPE.sub(one, text)


class _Blocks:
    """A folded reference text (a system prompt, a conversation), for finding the runs a
    text shares with it.

    Every window of ``run // 2`` characters of the reference is indexed (on first use, up
    to ``MAX_REFERENCE`` characters). A text is cut into aligned blocks of that size: a
    shared run of ``run`` characters holds one whole block, so one dictionary look-up per
    block finds it, and the hit is extended both ways. Cost: linear in the reference once,
    then linear in each text read.
    """

    def __init__(self, folded: str, run: int) -> None:
        self.text = folded[:MAX_REFERENCE]
        self.run = run
        self.size = max(1, run // 2)
        self._index: Optional[Dict[str, List[int]]] = None

    def __bool__(self) -> bool:
        return len(self.text) >= self.run

    def _windows(self) -> Dict[str, List[int]]:
        if self._index is None:
            index: Dict[str, List[int]] = {}
            text, size = self.text, self.size
            for at in range(len(text) - size + 1):
                places = index.setdefault(text[at : at + size], [])
                if len(places) < MAX_PLACES:
                    places.append(at)
            self._index = index
        return self._index

    def shared(self, form: str) -> List[Tuple[int, int]]:
        """Spans of ``form`` sharing a run of at least ``run`` characters with the text."""
        spans: List[Tuple[int, int]] = []
        if len(form) < self.run or not self:
            return spans
        index, size = self._windows(), self.size
        covered = 0
        for at in range(0, len(form) - size + 1, size):
            if at < covered:
                continue
            places = index.get(form[at : at + size])
            if places is not None:
                span = self._extend(form, at, places)
                if span is not None:
                    spans.append(span)
                    covered = span[1]
        return spans

    def _extend(self, form: str, at: int, places: List[int]) -> Optional[Tuple[int, int]]:
        """The run around a block found at ``at``, if it is long enough."""
        ref = self.text
        for place in places:
            left = 0
            while (
                at - left > 0 and place - left > 0 and form[at - left - 1] == ref[place - left - 1]
            ):
                left += 1
            right = self.size
            while (
                at + right < len(form)
                and place + right < len(ref)
                and form[at + right] == ref[place + right]
            ):
                right += 1
            if left + right >= self.run:
                return at - left, at + right
        return None


def fold(text: str) -> str:
    """``_canary._fold`` of ``text``, a slice of about ``SLICE`` characters at a time.

    The same result: each slice after the first begins with an ASCII character, and NFKC,
    case folding, the look-alike table and the removal of what is not a letter or digit
    act on either side of such a character alone (no composition has an ASCII second
    character; an ASCII character is a starter). Only a text with no ASCII character in
    ``SLICE`` characters is cut elsewhere.
    """
    if len(text) <= SLICE:
        return _fold(text)
    parts: List[str] = []
    at, size = 0, len(text)
    while at < size:
        end = at + SLICE
        if end < size:
            found = _ASCII.search(text, end, end + SLICE)
            if found is not None:
                end = found.start()
            elif end + SLICE >= size:
                end = size  # no ASCII character before the end: the rest in one slice
        parts.append(_fold(text[at:end]))
        at = end
    return "".join(parts)


def runs(
    pattern: re.Pattern[str],
    text: str,
    longest: int = 0,
    whole: Optional[re.Pattern[str]] = None,
) -> Iterator[re.Match[str]]:
    """``(whole or pattern).finditer(text)``, each search reading at most about ``SLICE``
    characters.

    ``pattern`` finds where a match starts: greedy runs of a character class, or a fixed
    prefix, at least ``longest + 1`` characters long. A search ending at a slice's end can
    miss only a start in its last ``longest`` characters, so the next slice starts there;
    a start found is read whole from there by ``whole`` (default ``pattern``), and where
    that fails the search goes on one character later, as ``finditer`` does."""
    reader = pattern if whole is None else whole
    at, size = 0, len(text)
    while at < size:
        end = min(size, at + SLICE)
        found = pattern.search(text, at, end)
        if found is None:
            if end == size:
                return
            at = max(at + 1, end - longest)
            continue
        match = reader.match(text, found.start())
        if match is None:  # a bare "https://", say: go on after its start
            at = found.start() + 1
            continue
        yield match
        at = max(match.end(), match.start() + 1)


def _decoded_runs(text: str) -> List[Tuple[int, int, str]]:
    """``(start, end, folded decoding)`` for each base64 or hex run of ``text``."""
    found: List[Tuple[int, int, str]] = []
    for match in runs(_B64_RUN, text, 15):
        packed = re.sub(r"[\r\n=]", "", match.group(0)).replace("-", "+").replace("_", "/")
        for shift in range(4):  # the run may start mid-group
            chunk = packed[shift:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                raw = base64.b64decode(chunk)
            except (binascii.Error, ValueError):
                continue
            found.append((match.start(), match.end(), fold(raw.decode("utf-8", "ignore"))))
    for match in runs(_HEX_RUN, text, 15):
        digits = match.group(0)
        for shift in range(2):
            chunk = digits[shift:]
            chunk = chunk[: len(chunk) - len(chunk) % 2]
            raw = bytes.fromhex(chunk)
            found.append((match.start(), match.end(), fold(raw.decode("utf-8", "ignore"))))
    return found


def _fold_map(text: str) -> List[int]:
    """For each character of ``_fold(text)``, the index of the character of ``text`` it
    came from (computed only once something was found)."""
    if text.isascii():  # NFKC and case-folding keep ASCII letters and digits one for one
        return [at for at, char in enumerate(text) if char.isalnum()]
    index: List[int] = []
    for at, char in enumerate(text):
        index.extend([at] * len(_fold(char)))
    return index


def _strings(value: Any, out: List[str], budget: List[int]) -> None:
    """Every string (keys too) in a parsed JSON value, depth-first, iteratively."""
    stack = [value]
    while stack and budget[0] > 0:
        item = stack.pop()
        budget[0] -= 1
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.extend(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _urls(text: str) -> Iterator[re.Match[str]]:
    """``_URL.finditer(text)``, each start found by a bounded search (``https://`` is 8
    characters long)."""
    return runs(_URL_START, text, 7, whole=_URL)


class GuardContext:
    """What one request's response is checked against.

    ``system``: the system / developer prompt texts of the request; ``conversation``: the
    request body parsed (every string in it is conversation); ``canary``: the canary the
    gateway planted, if any; ``allow_hosts``: hosts (and their subdomains) a URL may carry
    conversation text to; ``pii``: ``None`` (PII not checked), ``"strip"``, ``"block"``
    or ``"allow_with_warning"``.
    """

    def __init__(
        self,
        system: Sequence[str],
        conversation: Any,
        *,
        canary: Optional[str] = None,
        allow_hosts: Iterable[str] = (),
        pii: Optional[str] = None,
        min_leak: int = MIN_LEAK,
        min_exfil: int = MIN_EXFIL,
    ) -> None:
        self.prompt = _Blocks(fold("\n".join(system)), min_leak)
        self._body = conversation
        self._min_exfil = min_exfil
        self._conversation: Optional[Tuple[str, _Blocks]] = None
        self.canary = canary
        self.allow_hosts = tuple(h.strip().lower().strip(".") for h in allow_hosts if h.strip())
        self.pii = pii

    def find(self, text: str, tool: bool = False) -> List[Finding]:
        """Everything found in ``text`` (``tool``: JSON arguments of a tool call)."""
        if not text:
            return []
        if tool:
            text = json_unescape(text)
        found = self._leaks(text)
        found += self._exfiltration(text)
        found += self._pii(text)
        return found

    # -- leaks ----------------------------------------------------------------------------

    def _leaks(self, text: str) -> List[Finding]:
        found: List[Finding] = []
        if self.canary is not None and canary_leaked(text, self.canary):
            found.append(Finding("canary_leak", "canary", 0, len(text)))
        if not self.prompt:
            return found
        folded = fold(text)
        spans = self.prompt.shared(folded)
        spans += [(len(folded) - e, len(folded) - s) for s, e in self.prompt.shared(folded[::-1])]
        spans += self.prompt.shared(codecs.encode(folded, "rot13"))
        if spans:
            index = _fold_map(text)
            for start, end in spans:
                if 0 <= start < end <= len(index):
                    found.append(
                        Finding("prompt_leak", "system_prompt", index[start], index[end - 1] + 1)
                    )
        for start, end, decoded in _decoded_runs(text):
            if self.prompt.shared(decoded):
                found.append(Finding("prompt_leak", "system_prompt_encoded", start, end))
        return found

    # -- exfiltration ---------------------------------------------------------------------

    def conversation(self) -> Tuple[str, _Blocks]:
        """The request's strings joined, and their folded blocks (built on first use: only
        an answer with an outside URL needs them)."""
        if self._conversation is None:
            strings: List[str] = []
            _strings(self._body, strings, [1_000_000])
            raw = "\n".join(strings)
            self._conversation = raw, _Blocks(fold(raw), self._min_exfil)
            self._body = None
        return self._conversation

    def _allowed(self, host: str) -> bool:
        return any(host == a or host.endswith("." + a) for a in self.allow_hosts)

    def _exfiltration(self, text: str) -> List[Finding]:
        found: List[Finding] = []
        for count, match in enumerate(_urls(text)):
            if count >= MAX_URLS:
                break
            url = match.group(0)
            try:
                parts = urlsplit(url)
                host = (parts.hostname or "").strip(".")
            except ValueError:
                continue
            if not host or self._allowed(host):
                continue
            raw, blocks = self.conversation()
            if not blocks or url in raw:
                continue
            carried = unquote_plus(parts.path) + "\n" + unquote_plus(parts.query)
            forms = [_fold(carried)] + [d for _, _, d in _decoded_runs(carried)]
            if any(blocks.shared(form) for form in forms):
                found.append(Finding("exfiltration", host, match.start(), match.end()))
        return found

    # -- secrets and PII ------------------------------------------------------------------

    def _pii(self, text: str) -> List[Finding]:
        """Secrets always; personal data only when the request has a PII action."""
        found = find_pii(text, None if self.pii is not None else SECRET_TYPES)
        return [
            Finding("secret" if e.type in SECRET_TYPES else "pii", e.type, e.start, e.end)
            for e in found
        ]
