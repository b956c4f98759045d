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
from typing import Iterator, List, NamedTuple
from urllib.parse import unquote

__all__ = ["Decoded", "find_ciphered", "find_encoded", "find_spread"]

_MAX_RUN = 200_000
_B64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX = re.compile(r"[0-9A-Fa-f]{16,}")
_HEX_ESC = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){6,}")
_URLENC = re.compile(r"[^\s%]{0,40}(?:%[0-9A-Fa-f]{2}[^\s%]{0,4}){4,}")
_ENTITIES = re.compile(r"(?:&#(?:x[0-9A-Fa-f]{1,6}|[0-9]{1,7});\s?){4,}")
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w.+-]+=[\w.+-]+)*;base64,$", re.IGNORECASE)


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
    for m in _B64.finditer(text) if long_b64 else ():
        run = m.group(0)
        if len(run) > _MAX_RUN or _DATA_URI.search(text, max(0, m.start() - 100), m.start()):
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
