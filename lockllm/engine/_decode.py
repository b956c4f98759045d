"""Find encoded runs (base64, hex, URL-encoding, HTML entities) and decode them to text.

Only decodings that yield readable text are returned; the caller scans them with the
phrase rules. Binary payloads (images, hashes, keys) decode to unreadable bytes and drop
out, so ordinary encoded data costs nothing but the decode attempt.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from typing import Iterator, List, NamedTuple, Tuple
from urllib.parse import unquote

__all__ = ["Decoded", "find_ciphered", "find_encoded", "find_spread"]

_MAX_RUN = 200_000
_B64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX = re.compile(r"[0-9A-Fa-f]{16,}")
_HEX_ESC = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){6,}")
_URLENC = re.compile(r"[^\s%]{0,40}(?:%[0-9A-Fa-f]{2}[^\s%]{0,4}){4,}")
_ENTITIES = re.compile(r"(?:&#(?:x[0-9A-Fa-f]{1,6}|[0-9]{1,7});\s?){4,}")
# A data URL's head: the scheme (any case), an optional type, parameters, ";base64,".
_DATA_URL = re.compile(
    r"data:(?P<type>[\w.+-]{1,100}/[\w.+-]{1,100})?(?:;[\w.+-]{1,100}=[\w.+-]{1,100}){0,8};base64,",
    re.IGNORECASE,
)
# Its payload: base64 characters, percent-escapes (the WHATWG data: URL algorithm
# percent-decodes before base64-decoding) and, in the loose reading, ASCII whitespace
# (which forgiving base64 drops).
_DATA_TIGHT = re.compile(r"[A-Za-z0-9+/=_%-]{0," + str(_MAX_RUN) + "}")
_DATA_LOOSE = re.compile(r"[A-Za-z0-9+/=_%\s-]{0," + str(_MAX_RUN) + "}")
_MEDIA = ("image/", "audio/", "video/")
# What the bytes of each media kind start with (a declared image that does not start with
# an image signature is decoded and read like any other payload).
_SIGNATURES = {
    "image/": (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00",
               b"MM\x00*", b"\x00\x00\x01\x00", b"\xff\x0a", b"\x00\x00\x00\x0cJXL "),
    "audio/": (b"ID3", b"OggS", b"fLaC", b"\x1aE\xdf\xa3", b"#!AMR", b"MThd", b"FORM"),
    "video/": (b"\x1aE\xdf\xa3", b"OggS", b"FLV", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"),
}  # fmt: skip
_HEAD = 1024  # bytes of a media payload read to tell real media from text behind a signature


# Cheap pre-checks for runs long enough to decode: base64 characters -> "b" (resp. hex
# digits -> "h"), everything else -> " ".
_B64_SHAPE = str.maketrans(
    {chr(i): "b" if chr(i).isalnum() or chr(i) in "+/_-" else " " for i in range(128)}
)
_HEX_SHAPE = str.maketrans(
    {chr(i): "h" if chr(i) in "0123456789abcdefABCDEF" else " " for i in range(128)}
)


class Decoded(NamedTuple):
    """A decoded run: where it sits in the original text, how it was encoded, the text."""

    start: int
    end: int
    encoding: str
    text: str


def _readable(text: str) -> bool:
    if len(text) < 6:
        return False
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    letters = sum(ch.isalpha() or ch == " " for ch in text)
    return printable >= 0.95 * len(text) and letters >= 0.6 * len(text)


def _bytes_to_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def _media_signature(kind: str, raw: bytes) -> bool:
    """True when ``raw`` starts like media of ``kind`` (``"image/"``, ``"audio/"`` …)."""
    if raw.startswith(_SIGNATURES[kind]):
        return True
    if raw[:4] == b"RIFF" and raw[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return True
    if raw[4:8] == b"ftyp":  # MP4, MOV, M4A, AVIF, HEIC
        return True
    # An MPEG audio frame.
    return kind == "audio/" and len(raw) > 1 and raw[0] == 0xFF and raw[1] & 0xE0 == 0xE0


def _lenient_b64(payload: str) -> bytes:
    """Bytes of a data URL payload: percent-escapes decoded, whitespace dropped, padding
    fixed, either alphabet; ``b""`` when it is not base64."""
    if "%" in payload:
        payload = unquote(payload)
    core = "".join(payload.split()).rstrip("=")
    if len(core) % 4 == 1:
        return b""
    try:
        if "-" in core or "_" in core:
            return base64.urlsafe_b64decode(core + "=" * (-len(core) % 4))
        return base64.b64decode(core + "=" * (-len(core) % 4), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _data_urls(text: str) -> Iterator[Tuple[int, int, str]]:
    """Each data URL's payload: its ``[start, end)`` in ``text`` and its decoded text
    (``""`` for real media, or a payload that is no readable text). A payload is read
    tight (up to the first character outside base64) and, when whitespace follows,
    loose (forgiving base64 drops whitespace); the readable reading wins."""
    for head in _DATA_URL.finditer(text):
        start = head.end()
        kind = (head.group("type") or "").lower()
        media = next((m for m in _MEDIA if kind.startswith(m)), "")
        if kind == "image/svg+xml":
            media = ""  # SVG is XML text
        tight = _DATA_TIGHT.match(text, start)
        end = tight.end() if tight else start
        readings = [text[start:end]]
        loose = _DATA_LOOSE.match(text, start)
        if loose and loose.end() > end:
            readings.append(text[start : loose.end()].rstrip())
        decoded, span_end = "", end
        for i, payload in enumerate(readings):
            raw = _lenient_b64(payload)
            if not raw:
                continue
            # Media as declared: its signature, then no readable text (text behind a
            # signature is read like text).
            if (
                media
                and _media_signature(media, raw)
                and not _readable(raw[:_HEAD].decode("utf-8", "replace"))
            ):
                if i == 0:
                    span_end = start + len(payload)
                continue
            candidate = _bytes_to_text(raw) or raw.decode("utf-8", "replace")
            if _readable(candidate):
                decoded, span_end = candidate, start + len(payload)
                break
        yield start, span_end, decoded


def _b64(run: str) -> str:
    if not (any(c.isdigit() for c in run) or (run.lower() != run and run.upper() != run)):
        return ""  # one long plain word, not base64
    core = run.rstrip("=")
    padded = core + "=" * (-len(core) % 4)
    try:
        if "-" in run or "_" in run:
            raw = base64.urlsafe_b64decode(padded)
        else:
            raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return _bytes_to_text(raw)


def find_encoded(text: str) -> Iterator[Decoded]:
    """Yield readable decodings of encoded runs in ``text``."""
    long_b64 = "b" * 16 in text.translate(_B64_SHAPE)
    long_hex = long_b64 and "h" * 16 in text.translate(_HEX_SHAPE)
    # Data URLs first: their payloads are decoded whatever type they declare, except
    # media whose bytes carry that media's signature; base64 runs inside them are done.
    payloads: List[Tuple[int, int]] = []
    if ":" in text:
        for start, end, decoded in _data_urls(text):
            payloads.append((start, end))
            if _readable(decoded):
                yield Decoded(start, end, "base64", decoded)
    spans = iter(payloads)
    current = next(spans, None)
    for m in _B64.finditer(text) if long_b64 else ():
        run = m.group(0)
        while current is not None and current[1] <= m.start():
            current = next(spans, None)
        if current is not None and current[0] <= m.start() < current[1]:
            continue
        if len(run) > _MAX_RUN:
            continue
        decoded = _b64(run)
        if _readable(decoded):
            yield Decoded(m.start(), m.end(), "base64", decoded)
    if "\\x" in text:
        for m in _HEX_ESC.finditer(text):
            raw = bytes(int(h, 16) for h in re.findall(r"\\x([0-9A-Fa-f]{2})", m.group(0)))
            decoded = _bytes_to_text(raw)
            if _readable(decoded):
                yield Decoded(m.start(), m.end(), "hex", decoded)
    for m in _HEX.finditer(text) if long_hex else ():
        digits = m.group(0)
        if len(digits) % 2 or len(digits) > _MAX_RUN:
            continue
        try:
            decoded = _bytes_to_text(bytes.fromhex(digits))
        except ValueError:
            continue
        if _readable(decoded):
            yield Decoded(m.start(), m.end(), "hex", decoded)
    if "%" in text:
        for m in _URLENC.finditer(text):
            decoded = unquote(m.group(0).replace("+", " "))
            if decoded != m.group(0) and _readable(decoded):
                yield Decoded(m.start(), m.end(), "url", decoded)
    if "&#" in text:
        for m in _ENTITIES.finditer(text):
            decoded = html.unescape(m.group(0))
            if _readable(decoded):
                yield Decoded(m.start(), m.end(), "html_entities", decoded)


# --- letters spread out: "i g n o r e   a l l", "I.g.n.o.r.e a.l.l", "i-g-n-o-r-e" -------
# A run of at least six single letters (or digits), each followed by one to eight
# separators, starting at a letter that does not end a word. The classes are disjoint,
# so the run is matched without backtracking.
_SPREAD = re.compile(r"(?<![^\W_])(?:[^\W_][^\w\n]{1,8}|[^\W_]_{1,8}){5,4000}[^\W_]")
# Cheap pre-check: letters and digits -> "a", other ASCII -> " "; a spread-out word shows
# as "a a a" (three single letters with one separator between them).
_SPREAD_SHAPE = str.maketrans(
    {chr(i): "a" if chr(i).isalnum() else " " for i in range(128) if chr(i) not in "\n"}
)
_MIN_SPREAD_WORDS = 2


def find_spread(view: str) -> Iterator[Decoded]:
    """Runs of letters spread out by separators, joined back into words.

    The separator that occurs most often in a run (the glue) holds the letters of a word
    together; a character between two glues is part of the word ("u-s-e-r-'-s"), and any
    other separator (a run of spaces, a different punctuation mark) ends a word. Runs
    that decode to a single word are left to the letters-only rules. ``start``/``end``
    index ``view``.
    """
    if "a a a" not in view.translate(_SPREAD_SHAPE):
        return
    for m in _SPREAD.finditer(view):
        run = m.group(0)
        letters: List[str] = []
        seps: List[str] = []
        i, n = 0, len(run)
        while i < n:
            letters.append(run[i])
            j = i + 1
            while j < n and not run[j].isalnum():
                j += 1
            if j < n:
                seps.append(run[i + 1 : j])
            i = j
        glue = max(set(seps), key=lambda s: (seps.count(s), -len(s)))
        words, word = [], letters[0]
        inner = len(glue) * 2 + 1
        for sep, letter in zip(seps, letters[1:]):
            if sep == glue:
                word += letter
            elif len(sep) == inner and sep.startswith(glue) and sep.endswith(glue):
                mid = sep[len(glue)]  # "u-s-e-r-'-s": a spread-out character of the word
                if mid.isspace():
                    words.append(word)
                    word = letter
                else:
                    word += mid + letter
            else:
                words.append(word)
                word = letter
        words.append(word)
        if len(words) >= _MIN_SPREAD_WORDS:
            yield Decoded(m.start(), m.end(), "spread", " ".join(words))


# --- ciphers named by an instruction: "apply ROT13 to this and follow it: …" -------------
_CIPHER_NAME = re.compile(
    r"\b(?:rot-? ?(?P<rot>\d{1,2})|(?P<caesar>caesar|caeser|shift(?:ed)?(?: (?:each letter|"
    r"every letter|the letters|it|them))?(?: (?:back|forward))?(?: by)? (?P<k>\d{1,2})\b)|"
    r"(?P<atbash>atbash)|"
    r"(?P<rev>revers(?:e|ed|ing)|backwards|mirrored|read it right to left))"
)
_CIPHER_WORDS = ("rot", "caes", "shift", "atbash", "revers", "backwards", "mirrored", "right to")
_PAYLOAD_START = re.compile(r"[:\n\"'“`]")
_SHIFT_NEAR = re.compile(r"\b(?:shift|key|offset|rot|by)\D{0,12}?(\d{1,2})\b")
_MAX_PAYLOAD = 4000
# English letter frequencies (per 1,000 letters), to find an unnamed Caesar shift.
_ENGLISH = (82, 15, 28, 43, 127, 22, 20, 61, 70, 2, 8, 40, 24, 67, 75, 19, 1, 60, 63, 91,
            28, 10, 24, 2, 20, 1)  # fmt: skip


def _shift(text: str, k: int) -> str:
    k %= 26
    lower = "abcdefghijklmnopqrstuvwxyz"
    upper = lower.upper()
    table = str.maketrans(lower + upper, lower[k:] + lower[:k] + upper[k:] + upper[:k])
    return text.translate(table)


_ATBASH = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA",
)


def _best_shift(text: str) -> int:
    """The shift that makes ``text`` look most like English (chi-squared on letters)."""
    counts = [0] * 26
    for ch in text.lower():
        o = ord(ch) - 97
        if 0 <= o < 26:
            counts[o] += 1
    total = sum(counts) or 1
    best, best_k = float("inf"), 0
    for k in range(26):
        chi = 0.0
        for i in range(26):
            expected = _ENGLISH[i] * total / 1000.0
            observed = counts[(i + k) % 26]  # plain letter i appears as i + k
            chi += (observed - expected) ** 2 / (expected + 0.5)
        if chi < best:
            best, best_k = chi, k
    return best_k


def find_ciphered(view: str) -> Iterator[Decoded]:
    """Text after an instruction naming a cipher (ROT-n, Caesar, Atbash, reversal), decoded.

    The payload is what follows the instruction (from the next colon, quote or line break
    when there is one) up to ``_MAX_PAYLOAD`` characters; ``start``/``end`` index ``view``.
    Only the first instruction of each kind is read, so the cost is linear.
    """
    if not any(word in view for word in _CIPHER_WORDS):
        return
    seen = set()
    for m in _CIPHER_NAME.finditer(view):
        kind = next(k for k in ("rot", "caesar", "atbash", "rev") if m.group(k))
        if kind in seen:
            continue
        seen.add(kind)
        colon = _PAYLOAD_START.search(view, m.end(), m.end() + 200)
        start = colon.end() if colon else m.end()
        end = min(len(view), start + _MAX_PAYLOAD)
        payload = view[start:end]
        if sum(ch.isalpha() for ch in payload) < 12:
            continue
        if kind == "rot":
            yield Decoded(start, end, "rot" + m.group("rot"), _shift(payload, -int(m.group("rot"))))
        elif kind == "caesar":
            guess = _best_shift(payload)
            near = _SHIFT_NEAR.search(view, m.start(), m.end() + 40)
            named = int(m.group("k") or (near.group(1) if near else guess))
            for shift in sorted({named, guess}):
                yield Decoded(start, end, "caesar", _shift(payload, -shift))
        elif kind == "atbash":
            yield Decoded(start, end, "atbash", payload.translate(_ATBASH))
        else:
            yield Decoded(start, end, "reversed", payload[::-1])
