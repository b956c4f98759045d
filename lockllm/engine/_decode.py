"""Find encoded runs (base64, hex, URL-encoding, HTML entities) and decode them to text.

Only decodings that yield readable text are returned; the caller scans them with the
phrase rules. Binary payloads (images, hashes, keys) decode to unreadable bytes and drop
out, so ordinary encoded data costs nothing but the decode attempt.

Every run is decoded whole, however long (each decoder is linear in its run), and the
text is read wherever it sits in the decoded bytes: the decoding is cut at the bytes that
are no text (control characters, bytes that are no UTF-8) and every stretch of it that
reads as text is kept, so neither readable padding nor binary padding before or after a
payload hides it (``docs/encoded-input.md``).
"""

from __future__ import annotations

import base64
import binascii
import html
import itertools
import re
from collections import Counter
from typing import FrozenSet, Iterator, List, NamedTuple, Optional, Tuple
from urllib.parse import unquote

__all__ = [
    "COMMON_WORDS",
    "Decoded",
    "english_rate",
    "find_ciphered",
    "find_encoded",
    "find_spread",
    "find_unmarked",
    "segment_words",
]

_B64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX = re.compile(r"[0-9A-Fa-f]{16,}")
_HEX_ESC = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){6,}")
# Four or more percent-escapes close together; the run starts up to 40 characters before
# the first one (found by hand: a leading ``[^\s%]{0,40}`` in the pattern was retried at
# every position of a long token).
_URLENC = re.compile(r"(?:%[0-9A-Fa-f]{2}[^\s%]{0,4}){4,}")
_URL_LEAD = 40
_ENTITIES = re.compile(r"(?:&#(?:x[0-9A-Fa-f]{1,6}|[0-9]{1,7});\s?){4,}")
# A data URL's head: the scheme (any case), an optional type, parameters, ";base64,".
_DATA_URL = re.compile(
    r"data:(?P<type>[\w.+-]{1,100}/[\w.+-]{1,100})?(?:;[\w.+-]{1,100}=[\w.+-]{1,100}){0,8};base64,",
    re.IGNORECASE,
)
# Its payload: base64 characters, percent-escapes (the WHATWG data: URL algorithm
# percent-decodes before base64-decoding) and, in the loose reading, ASCII whitespace
# (which forgiving base64 drops).
_DATA_TIGHT = re.compile(r"[A-Za-z0-9+/=_%-]*")
_DATA_LOOSE = re.compile(r"[A-Za-z0-9+/=_%\s-]*")
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


_SPACES = frozenset(" \t\n\r\u00a0\u2007\u2009\u202f\u3000")
# What is no text in decoded bytes: C0 and C1 controls other than tab and line breaks,
# DEL, and the replacement character (bytes that are no UTF-8). A decoding is cut at them
# into stretches; a stretch of at least ``_MIN_STRETCH`` characters that reads as text is
# kept wherever it sits.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_MIN_STRETCH = 16
_STRETCH = re.compile(f"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]{{{_MIN_STRETCH},}}")
# A strict decoding (every character of the run in the encoding's alphabet) this long
# with no control character is text whatever its share of letters (digits, punctuation or
# a table as padding around a payload): random bytes never decode to that many printable
# characters in a row. Lenient decodings (percent-escapes, entities, quoted-printable) keep
# most of their input as it is, so they must read as text by their letters.
_LONG_TEXT = 256


# ASCII text counted by ``str.translate`` (one pass in C): what is left once the printable
# characters (resp. the letters), tab, line breaks and spaces are dropped.
_DROP_PRINTABLE = str.maketrans(dict.fromkeys([chr(i) for i in range(32, 127)] + list("\t\n\r")))
_DROP_LETTERS = str.maketrans(
    dict.fromkeys([ch for ch in map(chr, range(128)) if ch.isalpha()] + list(" \t\n\r"))
)


def _readable(text: str, strict: bool = False) -> bool:
    n = len(text)
    if n < 6:
        return False
    if strict and n >= _LONG_TEXT and not _NOT_TEXT.search(text):
        return True
    if text.isascii():
        printable = n - len(text.translate(_DROP_PRINTABLE))
        letters = n - len(text.translate(_DROP_LETTERS))
    else:
        printable = sum(ch.isprintable() or ch in _SPACES for ch in text)
        letters = sum(ch.isalpha() or ch in _SPACES for ch in text)
    return printable >= 0.95 * n and letters >= 0.6 * n


def _text_of(raw: bytes, strict: bool = True) -> str:
    """The text in decoded bytes: all of them when they are UTF-8 that reads as text (or
    as another encoding's alphabet: a nested layer), else every stretch of them that does,
    joined by line breaks; ``""`` when there is none. Linear in ``len(raw)``. ``strict``:
    the bytes come from a decoder that checked its whole alphabet (see ``_LONG_TEXT``)."""
    text = _text_prefix(raw)
    if text and _plausible(text, strict):
        return text
    if len(raw) < _MIN_STRETCH:
        return ""  # too short to hold a stretch
    return _stretches(text or raw.decode("utf-8", "replace"), strict)


def _stretches(text: str, strict: bool) -> str:
    """The stretches of ``text`` between characters that are no text, each kept when it
    reads as text or as an encoding's alphabet, joined by line breaks."""
    kept = (m.group(0) for m in _STRETCH.finditer(text))
    return "\n".join(s for s in kept if _plausible(s, strict))


def _str_text(decoded: str, strict: bool) -> str:
    """``_text_of`` for a decoding that is already a string (percent-escapes, entities)."""
    return decoded if _readable(decoded, strict) else _stretches(decoded, strict)


def _mostly_escapes(escapes: int, run: str) -> bool:
    """Whether three-character escapes make up at least half of ``run``: then its decoding
    is as strict as hex, and is read as text whatever its share of letters."""
    return 6 * escapes >= len(run)


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
            candidate = _text_of(raw)
            if candidate:
                decoded, span_end = candidate, start + len(payload)
                break
        yield start, span_end, decoded


def _url_lead(ch: str) -> bool:
    """Whether ``ch`` may lead a percent-encoded run: neither ``%`` nor whitespace."""
    return ch != "%" and not ch.isspace()


def _b64(run: str) -> str:
    if not (any(c.isdigit() for c in run) or (run.lower() != run and run.upper() != run)):
        return ""  # one long plain word, not base64
    core = run.rstrip("=")
    if len(core) % 4 == 1:  # a cut payload: drop the incomplete character
        core = core[:-1]
    padded = core + "=" * (-len(core) % 4)
    try:
        if "-" in run or "_" in run:
            raw = base64.urlsafe_b64decode(padded)
        else:
            raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return _text_of(raw)


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
            if decoded:
                yield Decoded(start, end, "base64", decoded)
    spans = iter(payloads)
    current = next(spans, None)
    for m in _B64.finditer(text) if long_b64 else ():
        run = m.group(0)
        while current is not None and current[1] <= m.start():
            current = next(spans, None)
        if current is not None and current[0] <= m.start() < current[1]:
            continue
        decoded = _b64(run)
        if decoded:
            yield Decoded(m.start(), m.end(), "base64", decoded)
    if "\\x" in text:
        for m in _HEX_ESC.finditer(text):
            raw = bytes.fromhex(m.group(0).replace("\\x", ""))
            decoded = _text_of(raw)
            if decoded:
                yield Decoded(m.start(), m.end(), "hex", decoded)
    for m in _HEX.finditer(text) if long_hex else ():
        digits = m.group(0)
        digits = digits[: len(digits) // 2 * 2]  # a cut payload: drop the odd digit
        try:
            decoded = _text_of(bytes.fromhex(digits))
        except ValueError:
            continue
        if decoded:
            yield Decoded(m.start(), m.end(), "hex", decoded)
    if "%" in text:
        previous = 0
        for m in _URLENC.finditer(text):
            start = m.start()
            while start > max(previous, m.start() - _URL_LEAD) and _url_lead(text[start - 1]):
                start -= 1
            previous = m.end()
            run = text[start : m.end()]
            decoded = unquote(run.replace("+", " "))
            if decoded == run:
                continue
            decoded = _str_text(decoded, _mostly_escapes(run.count("%"), run))
            if decoded:
                yield Decoded(start, m.end(), "url", decoded)
    if "&#" in text:
        for m in _ENTITIES.finditer(text):
            decoded = _str_text(html.unescape(m.group(0)), True)
            if decoded:
                yield Decoded(m.start(), m.end(), "html_entities", decoded)
    yield from _more_encodings(text, long_b64)


# --- letters spread out: "i g n o r e   a l l", "I.g.n.o.r.e a.l.l", "i-g-n-o-r-e" -------
# A run of at least six single letters (or digits), each followed by one to eight
# separators, starting at a letter that does not end a word. The classes are disjoint,
# so the run is matched without backtracking.
_SPREAD = re.compile(r"(?<![^\W_])(?:[^\W_][^\w\n]{1,8}|[^\W_]_{1,8}){5,}[^\W_]")
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
        if len(seps) <= 32:  # the common case: a few words
            glue = max(set(seps), key=lambda s: (seps.count(s), -len(s)))
        else:
            counts = Counter(seps)
            glue = max(counts, key=lambda s: (counts[s], -len(s)))
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
        # Spread-out words are words: letters strewn between symbols (uuencode, ASCII art,
        # punctuation soup) mostly join into one- and two-letter "words" and are not read.
        longer = sum(len(w) for w in words if len(w) >= 3)
        if len(words) >= _MIN_SPREAD_WORDS and 2 * longer >= len(letters):
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
_MAX_PAYLOAD = 4000  # characters of a payload deciphered at once ...
_PAYLOAD_OVERLAP = 400  # ... each window overlapping the previous one by this many
# Words of attacks and declined requests (and their stems): a window of a payload past its
# first is read only when its deciphering holds one.
_DECIPHERED_CUES = ("ignore", "disregard", "forget", "previous", "instruction", "prompt",
                    "system", "password", "secret", "reveal", "jailbreak", "pretend", "bomb",
                    "weapon", "explosive", "poison", "kill", "hack", "steal", "drug",
                    "malware")  # fmt: skip
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
    when there is one) to the end of the text, read in windows of ``_MAX_PAYLOAD``
    characters that overlap by ``_PAYLOAD_OVERLAP``. The first window is deciphered as it
    always was (unless it already reads as English); a later one, or one that reads as
    English, is yielded only when its deciphering holds a word of an attack
    (``_DECIPHERED_CUES``), so padding does not hide the payload and a long benign text
    costs a translation per window. Only the first instruction of each kind is read, so
    the cost is linear. ``start``/``end`` index ``view``.
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
        shifts: List[int] = []
        step = _MAX_PAYLOAD - _PAYLOAD_OVERLAP
        for at in range(start, max(len(view) - _PAYLOAD_OVERLAP, start + 1), step):
            end = min(len(view), at + _MAX_PAYLOAD)
            payload = view[at:end]
            if sum(ch.isalpha() for ch in payload) < 12:
                continue
            # A later window, or one that already reads as English, needs an attack's word.
            gated = at > start or english_rate(payload)[1] >= _ENGLISH_RATE
            if kind == "caesar" and not shifts:
                guess = _best_shift(payload)
                near = _SHIFT_NEAR.search(view, m.start(), m.end() + 40)
                named = int(m.group("k") or (near.group(1) if near else guess))
                shifts = sorted({named, guess})
            for encoding, plain in _named_decipherings(kind, m, payload, shifts):
                if not gated or any(cue in plain for cue in _DECIPHERED_CUES):
                    yield Decoded(at, end, encoding, plain)


def _named_decipherings(
    kind: str, m: re.Match[str], payload: str, shifts: List[int]
) -> Iterator[Tuple[str, str]]:
    """``payload`` deciphered as the instruction ``m`` of ``kind`` says: (encoding, text)."""
    if kind == "rot":
        yield "rot" + m.group("rot"), _shift(payload, -int(m.group("rot")))
    elif kind == "caesar":
        for shift in shifts:
            yield "caesar", _shift(payload, -shift)
    elif kind == "atbash":
        yield "atbash", payload.translate(_ATBASH)
    else:
        yield "reversed", payload[::-1]


# --- byte encodings beyond base64 and hex -------------------------------------------------
# base32 (RFC 4648), ASCII85 (Adobe "<~ ~>" or bare) and base85 (RFC 1924, git), uuencoded
# lines, quoted-printable, binary octets, hex pairs with separators, Morse, Braille and the
# NATO spelling alphabet. Each finder is one linear pass (a regular expression over disjoint
# classes, or a scan by hand) and a decode of each candidate run, which costs its length.
_B32 = re.compile(r"[A-Za-z2-7]{16,}={0,6}")
_TOKEN = re.compile(r"\S{10,}")
_A85_ADOBE = re.compile(r"<~([!-uz\s]{5,})~>")
_A85_CHARS = "".join(chr(i) for i in range(0x21, 0x76)) + "z"
_B85_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
_NOT_A85 = str.maketrans(dict.fromkeys(_A85_CHARS))
_NOT_B85 = str.maketrans(dict.fromkeys(_B85_CHARS))
_UU_LINE = re.compile(r"(?m)^[!-M][ -`]{4,64}$")
# An escape, or a soft line break inside a word (a line of "=" signs is no soft break).
_QP_ESCAPE = re.compile(r"=[0-9A-F]{2}|(?<=[^=\s])=\r?\n")
_BINARY = re.compile(r"[01]{7,8}(?:[ ,;]{1,3}[01]{1,12}){3,}")
_HEX_PAIRS = re.compile(
    r"(?<![0-9A-Za-z])(?:0x|\\x)?[0-9A-Fa-f]{2}(?:(?:[ ,:;]{1,3}|-)(?:0x|\\x)?[0-9A-Fa-f]{2}){5,}"
    r"(?![0-9A-Za-z])"
)
_HEX_PAIR = re.compile(r"(?:0x|\\x)?([0-9A-Fa-f]{2})")

# Morse: dots and dashes (and their typographic look-alikes) separated by spaces; a slash,
# a bar, a line break or a run of spaces separates words.
_DOTS = ".\u00b7\u2022\u2219"
_DASHES = "-_\u2013\u2014\u2212"
_MORSE_RUN = re.compile(
    r"(?<!\w)[{c}]{{1,7}}(?:[ /|\t\n]{{1,12}}[{c}]{{1,7}}){{5,}}".format(
        c=re.escape(_DOTS + _DASHES)
    )
)
_MORSE_PART = re.compile(rf"([{re.escape(_DOTS + _DASHES)}]+)|([ /|\t\n]+)")
_MORSE_NORM = str.maketrans({**dict.fromkeys(_DOTS, "."), **dict.fromkeys(_DASHES, "-")})
_MORSE = {
    ".-": "a", "-...": "b", "-.-.": "c", "-..": "d", ".": "e", "..-.": "f", "--.": "g",
    "....": "h", "..": "i", ".---": "j", "-.-": "k", ".-..": "l", "--": "m", "-.": "n",
    "---": "o", ".--.": "p", "--.-": "q", ".-.": "r", "...": "s", "-": "t", "..-": "u",
    "...-": "v", ".--": "w", "-..-": "x", "-.--": "y", "--..": "z", "-----": "0",
    ".----": "1", "..---": "2", "...--": "3", "....-": "4", ".....": "5", "-....": "6",
    "--...": "7", "---..": "8", "----.": "9", ".-.-.-": ".", "--..--": ",", "..--..": "?",
    ".----.": "'", "-.-.--": "!", "-..-.": "/", "-.--.": "(", "-.--.-": ")", "---...": ":",
    "-.-.-.": ";", "-...-": "=", ".-.-.": "+", "-....-": "-", ".-..-.": '"', ".--.-.": "@",
}  # fmt: skip

# Braille (U+2800 block, dots 1-6 as bits 0-5): the letters of English Braille, a few
# punctuation cells, the capital sign (dot 6) and the number sign (dots 3456).
_BRAILLE_RUN = re.compile("[\u2801-\u28ff][\u2800-\u28ff \t\n]{5,}")
_BRAILLE = {
    0x01: "a", 0x03: "b", 0x09: "c", 0x19: "d", 0x11: "e", 0x0B: "f", 0x1B: "g", 0x13: "h",
    0x0A: "i", 0x1A: "j", 0x05: "k", 0x07: "l", 0x0D: "m", 0x1D: "n", 0x15: "o", 0x0F: "p",
    0x1F: "q", 0x17: "r", 0x0E: "s", 0x1E: "t", 0x25: "u", 0x27: "v", 0x3A: "w", 0x2D: "x",
    0x3D: "y", 0x35: "z", 0x02: ",", 0x32: ".", 0x26: "?", 0x16: "!", 0x04: "'", 0x24: "-",
    0x12: ":", 0x06: ";", 0x30: ";", 0x0C: "/", 0x36: "(",
}  # fmt: skip
_BRAILLE_DIGITS = dict(zip("abcdefghij", "1234567890"))
_BRAILLE_CAPS, _BRAILLE_NUM = 0x20, 0x3C

# The NATO / ICAO spelling alphabet (and the common variant spellings).
_NATO = {
    "alfa": "a", "alpha": "a", "bravo": "b", "charlie": "c", "delta": "d", "echo": "e",
    "foxtrot": "f", "golf": "g", "hotel": "h", "india": "i", "juliett": "j", "juliet": "j",
    "kilo": "k", "lima": "l", "mike": "m", "november": "n", "oscar": "o", "papa": "p",
    "quebec": "q", "romeo": "r", "sierra": "s", "tango": "t", "uniform": "u", "victor": "v",
    "whiskey": "w", "whisky": "w", "xray": "x", "x-ray": "x", "yankee": "y", "zulu": "z",
}  # fmt: skip
_NATO_WORD = "(?:" + "|".join(sorted(_NATO, key=len, reverse=True)) + r")\b"
_NATO_RUN = re.compile(r"\b" + _NATO_WORD + r"(?:[ \t\n,/|.;-]{1,8}" + _NATO_WORD + "){3,}")
_NATO_PART = re.compile(r"([a-z-]+)|([^a-z-]+)")


def _text_prefix(raw: bytes) -> str:
    """``raw`` as UTF-8; a payload cut inside its last character keeps what precedes it."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.end >= len(raw) and exc.start >= len(raw) - 3:
            return raw[: exc.start].decode("utf-8", "replace")
        return ""


# What an inner layer of a nested encoding is written in: the base64, base32 and hex
# alphabets, Morse and binary (an ASCII85 layer inside another reads as noise, and noise is
# what most wrong decodings give, so it is not followed).
_NESTED_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-. \n\r\t|:,"
)


def _plausible(text: str, strict: bool = False) -> bool:
    """Readable text, or text in an encoding's alphabet (a nested layer)."""
    if _readable(text, strict):
        return True
    return len(text) >= 8 and _NESTED_CHARS.issuperset(text)


def _b32(run: str) -> str:
    core = run.rstrip("=")
    if core.upper() != core and core.lower() != core:
        return ""  # base32 is written in one case
    core = core.upper()
    while len(core) % 8 in (1, 3, 6):  # a cut payload: drop the incomplete character
        core = core[:-1]
    try:
        raw = base64.b32decode(core + "=" * (-len(core) % 8))
    except (binascii.Error, ValueError):
        return ""
    return _text_of(raw)


# ASCII85 written in the base85 alphabet (the same values in the same order): decoded by
# ``base64.b85decode``, twice as fast as ``base64.a85decode`` (both are pure Python).
_A85_AS_B85 = str.maketrans(_A85_CHARS[:-1], _B85_CHARS)


def _a85decode(token: str) -> bytes:
    """``base64.a85decode`` of ``token`` (no whitespace), the faster way."""
    return base64.b85decode(token.replace("z", "!!!!!").translate(_A85_AS_B85))


def _b85(token: str) -> str:
    """The ASCII85 or base85 reading of ``token`` that gives readable text, else ``""``."""
    for outside, decode in ((_NOT_A85, _a85decode), (_NOT_B85, base64.b85decode)):
        if token.translate(outside):
            continue  # a character outside this alphabet
        try:
            text = _text_of(decode(token))
        except ValueError:
            text = ""
        if text:
            return text
    return ""


_URL_HEAD = 24  # a token with "://" this near its start is a URL (or a quoted one)
_DROP_ALNUM = str.maketrans(dict.fromkeys(ch for ch in map(chr, range(128)) if ch.isalnum()))


def _base85_runs(text: str) -> Iterator[Decoded]:
    if "<~" in text:
        for m in _A85_ADOBE.finditer(text):
            try:
                raw = _a85decode("".join(m.group(1).split()))
            except ValueError:
                continue
            decoded = _text_of(raw)
            if decoded:
                yield Decoded(m.start(), m.end(), "ascii85", decoded)
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        # Base85 of text mixes letters with marks; a word, a number, a URL or a path does not.
        if token.isascii():
            marks = len(token.translate(_DROP_ALNUM))
        else:
            marks = sum(not ch.isalnum() for ch in token)
        if marks < 2 or marks * 5 > 4 * len(token) or "://" in token[:_URL_HEAD]:
            continue
        decoded = _b85(token)
        if decoded:
            yield Decoded(m.start(), m.end(), "ascii85", decoded)


def _uu_runs(text: str) -> Iterator[Decoded]:
    start = end = -1
    parts: List[bytes] = []
    for m in _UU_LINE.finditer(text):
        line = m.group(0)
        size = ord(line[0]) - 32
        if len(line) - 1 > (size + 2) // 3 * 4 + 1:
            continue  # longer than its length character says: not a uuencoded line
        try:
            chunk = binascii.a2b_uu(line)
        except binascii.Error:
            continue
        if parts and m.start() == end + 1:
            parts.append(chunk)
        else:
            if parts:
                yield from _uu_decoded(start, end, parts)
            parts, start = [chunk], m.start()
        end = m.end()
    if parts:
        yield from _uu_decoded(start, end, parts)


def _uu_decoded(start: int, end: int, parts: List[bytes]) -> Iterator[Decoded]:
    decoded = _text_of(b"".join(parts))
    if decoded:
        yield Decoded(start, end, "uuencode", decoded)


def _qp_runs(text: str) -> Iterator[Decoded]:
    escapes = list(itertools.islice(_QP_ESCAPE.finditer(text), 3))
    if len(escapes) < 3:
        return
    start = text.rfind("\n", 0, escapes[0].start()) + 1
    last_end = escapes[-1].end()
    count = len(escapes)
    for m in _QP_ESCAPE.finditer(text, last_end):
        last_end = m.end()
        count += 1
    stop = text.find("\n", last_end)
    end = len(text) if stop < 0 else stop
    span = text[start:end]
    try:
        raw = binascii.a2b_qp(span.encode("utf-8"))
    except (binascii.Error, ValueError):
        return
    decoded = _text_of(raw, strict=_mostly_escapes(count, span))
    if decoded and decoded != span:
        yield Decoded(start, end, "quoted_printable", decoded)


def _binary_runs(text: str) -> Iterator[Decoded]:
    for m in _BINARY.finditer(text):
        octets = [w for w in re.split(r"[ ,;]+", m.group(0)) if len(w) in (7, 8)]
        raw = bytes(int(w, 2) for w in octets)
        decoded = _text_of(raw)
        if decoded:
            yield Decoded(m.start(), m.end(), "binary", decoded)


def _hex_pair_runs(text: str) -> Iterator[Decoded]:
    for m in _HEX_PAIRS.finditer(text):
        raw = bytes.fromhex("".join(_HEX_PAIR.findall(m.group(0))))
        decoded = _text_of(raw)
        if decoded:
            yield Decoded(m.start(), m.end(), "hex", decoded)


def _morse_runs(text: str) -> Iterator[Decoded]:
    for m in _MORSE_RUN.finditer(text):
        words: List[str] = []
        word: List[str] = []
        letters = unknown = 0
        for part in _MORSE_PART.finditer(m.group(0)):
            code, sep = part.group(1), part.group(2)
            if code:
                ch = _MORSE.get(code.translate(_MORSE_NORM))
                if ch is None:
                    unknown += 1
                    ch = "?"
                letters += 1
                word.append(ch)
            elif "/" in sep or "|" in sep or "\n" in sep or "  " in sep:
                if word:
                    words.append("".join(word))
                word = []
        if word:
            words.append("".join(word))
        # Morse of a sentence has word breaks; one long "word" is dashes and ellipses.
        if letters >= 6 and unknown * 6 <= letters and (len(words) >= 2 or letters <= 10):
            yield Decoded(m.start(), m.end(), "morse", " ".join(words))


def _braille_runs(text: str) -> Iterator[Decoded]:
    for m in _BRAILLE_RUN.finditer(text):
        out: List[str] = []
        caps = number = False
        unknown = cells = 0
        for ch in m.group(0):
            o = ord(ch) - 0x2800
            if not 0 <= o <= 0xFF or o == 0:
                out.append(ch if ch in "\t\n" else " ")
                number = False
                continue
            cells += 1
            if o == _BRAILLE_CAPS:
                caps = True
                continue
            if o == _BRAILLE_NUM:
                number = True
                continue
            letter = _BRAILLE.get(o & 0x3F)
            if letter is None:
                unknown += 1
                letter = "?"
            if number and letter in _BRAILLE_DIGITS:
                letter = _BRAILLE_DIGITS[letter]
            elif not letter.isalpha() and letter not in ".,":
                number = False
            out.append(letter.upper() if caps else letter)
            caps = False
        decoded = "".join(out).strip()
        if cells >= 6 and unknown * 5 <= cells and _readable(decoded):
            yield Decoded(m.start(), m.end(), "braille", decoded)


_NATO_CUES = ("alfa", "alpha", "bravo", "charlie", "delta", "echo", "golf", "hotel", "india",
              "kilo", "lima", "mike", "november", "oscar", "papa", "romeo", "sierra", "tango",
              "victor", "yankee")  # fmt: skip


def _nato_runs(text: str) -> Iterator[Decoded]:
    low = text.lower()
    if sum(w in low for w in _NATO_CUES) < 3:
        return
    for m in _NATO_RUN.finditer(low):
        letters: List[str] = []
        breaks = False
        for part in _NATO_PART.finditer(m.group(0)):
            word, sep = part.group(1), part.group(2)
            if word:
                letters.append(_NATO.get(word, ""))
            elif "/" in sep or "|" in sep or "\n" in sep or "  " in sep or "." in sep:
                breaks = True
                letters.append(" ")
        joined = "".join(letters)
        decoded = " ".join(joined.split()) if breaks else segment_words(joined)
        if sum(ch.isalpha() for ch in decoded) >= 6:
            yield Decoded(m.start(), m.end(), "nato", decoded)


def _more_encodings(text: str, long_b64: bool) -> Iterator[Decoded]:
    """The decoders of this section over ``text`` (the original string)."""
    if long_b64:
        for m in _B32.finditer(text):
            decoded = _b32(m.group(0))
            if decoded:
                yield Decoded(m.start(), m.end(), "base32", decoded)
    yield from _base85_runs(text)
    if "\n" in text:
        yield from _uu_runs(text)
    if "=" in text:
        yield from _qp_runs(text)
    if "0" in text and "1" in text:
        yield from _binary_runs(text)
    yield from _hex_pair_runs(text)
    if ("." in text or "\u00b7" in text or "\u2022" in text) and ("-" in text or "_" in text):
        yield from _morse_runs(text)
    if _ANY_BRAILLE.search(text):
        yield from _braille_runs(text)
    yield from _nato_runs(text)


_ANY_BRAILLE = re.compile("[\u2801-\u28ff]")


def _word_set(words: str) -> FrozenSet[str]:
    return frozenset(words.split())


# --- English-likeness: a cheap test that deciphered text reads as English ----------------
# The commonest English words (function words, question words, common verbs) and the
# words of instructions to a model; a sentence of English hits a third of its words or
# more, a cipher text or a sentence of another language few.
COMMON_WORDS = _word_set(
    """a about above after again all also always am an and any are as ask at be because
    been before being below between both but by can could did do does doing done down
    during each every few find first for from get give go good had has have having he her
    here him his how i if in into is it its just know let like list make many may me might
    more most much must my need never new no not now of off on once one only or other our
    out over own people please same say see she should show so some such take tell than
    that the their them then there these they this those through time to too under until
    up us use very want was way we well were what when where which while who whom why will
    with without would write you your yours explain describe provide step steps best ways
    someone something anything everything instructions instruction previous ignore prompt
    system rules reveal password secret forget disregard above told said message answer
    question user assistant print output repeat text words word code home house car
    money bank account data email file computer phone number name address person friend
    family child children man men woman women life world school work job city country
    place food water day night year old young big small long little great high right left
    last next same different important really help call try keep start stop turn put run
    move live believe bring happen hold stand pay meet send build create access break
    into open close read learn change follow lead understand watch buy sell kill steal
    hack bomb weapon drug drugs poison gun fire money card credit security private
    personal information details plan story"""
)
_LATIN_WORD = re.compile(r"[a-z]+")


def english_rate(text: str, limit: int = 200) -> Tuple[int, float]:
    """How many of the first ``limit`` Latin words of ``text`` (lower case) are common
    English words, and their share of those words."""
    words = _LATIN_WORD.findall(text[: limit * 12])[:limit]
    if not words:
        return 0, 0.0
    hits = sum(w in COMMON_WORDS for w in words)
    return hits, hits / len(words)


_SEGMENTED = 2000  # letters segmented at once (a longer run: piece by piece) ...
_SEGMENT_OVERLAP = 200  # ... each piece overlapping the previous one by this many


def segment_words(letters: str) -> str:
    """Spaces put back into a run of letters written without them ("howdoimakeabomb"):
    the split into common words with the fewest letters left over; leftover letters stay
    together as unknown words. Linear: each position tries words of at most 12 letters,
    and a long run is segmented ``_SEGMENTED`` letters at a time, in pieces that overlap
    (a sentence cut where one piece ends is whole in the next)."""
    if len(letters) > _SEGMENTED:
        step = _SEGMENTED - _SEGMENT_OVERLAP
        pieces = range(0, len(letters) - _SEGMENT_OVERLAP, step)
        return " ".join(_segment(letters[i : i + _SEGMENTED]) for i in pieces)
    return _segment(letters)


def _segment(letters: str) -> str:
    n = len(letters)
    inf = float("inf")
    # Two states per position: the last piece was a known word (0) or an unknown letter
    # (1). A known word costs 1, an unknown letter 1, and starting an unknown word 3 more.
    cost = [[inf, inf] for _ in range(n + 1)]
    back: List[List[Tuple[int, int]]] = [[(0, 0), (0, 0)] for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n):
        for state in (0, 1):
            c = cost[i][state]
            if c == inf:
                continue
            step = c + (1.0 if state == 1 else 4.0)
            if step < cost[i + 1][1]:
                cost[i + 1][1], back[i + 1][1] = step, (i, state)
            for j in range(i + 1, min(n, i + 12) + 1):
                if letters[i:j] in COMMON_WORDS and c + 1.0 < cost[j][0]:
                    cost[j][0], back[j][0] = c + 1.0, (i, state)
    pieces: List[str] = []
    j, state = n, 0 if cost[n][0] <= cost[n][1] else 1
    unknown: List[str] = []
    while j > 0:
        i, prev = back[j][state]
        if state == 1:
            unknown.append(letters[i])
            if prev == 0:
                pieces.append("".join(reversed(unknown)))
                unknown = []
        else:
            pieces.append(letters[i:j])
        j, state = i, prev
    return " ".join(reversed(pieces))


# --- letter ciphers with no instruction naming them: "What does this mean? Jung vf ..." ---
# A stretch of Latin words that reads as English only after ROT13, another Caesar shift,
# Atbash, reversal or pig latin is deciphered. The stretch is a line, or what follows the
# first colon or question mark of a line (a template's lead-in: "ROT13 encoded string:").
_LEAD_IN = re.compile(r"[:?]\s{0,4}['\"\u201c`]?")
_MAX_SEGMENTS = 32  # lines examined per text: a text full of them is judged on the first
_MAX_DECIPHERED = 8  # stretches yielded per text
_SEGMENT = 4000
_MIN_WORDS = 3
_PLAIN_RATE = 0.2  # at most this share of common words before deciphering ...
_ENGLISH_RATE = 0.35  # ... and at least this share after
_PIG = re.compile(r"\b[a-z]{1,30}ay\b")


_ONSETS = _word_set("th wh ch sh ph st sp sk sl sm sn sw tr pr cr br dr fr gr bl cl fl gl pl kn "
                    "wr sc str thr spr scr chr sch squ")  # fmt: skip


def _unpig(m: re.Match[str]) -> str:
    """One pig-latin word back in English: the consonants moved behind it ("ethay" ->
    "the"), or a word that starts with a vowel ("useryay" -> "user")."""
    word = m.group(0)
    stem = word[:-2]
    trailing = 0
    while trailing < min(3, len(stem) - 1) and stem[-1 - trailing] not in "aeiouy":
        trailing += 1
    moves = [stem[-k:] + stem[:-k] for k in range(1, trailing + 1)]
    for moved in moves:
        if moved in COMMON_WORDS:
            return moved
    if word[0] in "aeiou" and len(word) > 3 and word[-3] in "wyh":
        return word[:-3]
    for k in range(trailing, 1, -1):
        if stem[-k:] in _ONSETS:
            return moves[k - 1]
    return moves[0] if moves else stem


def _decipherings(segment: str) -> Iterator[Tuple[str, str]]:
    """Candidate plain texts of ``segment``: (encoding, text), cheapest first."""
    yield "rot13", _shift(segment, 13)
    shift = _best_shift(segment)
    if shift not in (0, 13):
        yield "caesar", _shift(segment, -shift)
    yield "atbash", segment.translate(_ATBASH)
    yield "reversed", segment[::-1]
    words = _LATIN_WORD.findall(segment)
    if sum(w.endswith("ay") for w in words) * 2 >= len(words):
        yield "pig_latin", _PIG.sub(_unpig, segment)


def find_unmarked(view: str) -> Iterator[Decoded]:
    """Latin text that reads as English only once deciphered (``view``: lower case).

    A line, or the part of it after a colon or question mark, with few common English
    words is deciphered in each way; a deciphering where at least ``_ENGLISH_RATE`` of the
    words are common English words is yielded. Text in another language reads as English
    under no deciphering, so it yields nothing. ``start``/``end`` index ``view``.
    """
    examined = yielded = 0
    pos = 0
    n = len(view)
    while pos < n and examined < _MAX_SEGMENTS and yielded < _MAX_DECIPHERED:
        stop = view.find("\n", pos)
        if stop < 0:
            stop = n
        line_start, pos = pos, stop + 1
        for start in range(line_start, stop, _SEGMENT):
            end = min(stop, start + _SEGMENT)
            lead = _LEAD_IN.search(view, start, min(end, start + 200))
            if lead and lead.end() < end:
                start = lead.end()
            found = _examined(view, start, end)
            if found is None:
                continue
            examined += 1
            if found:
                yield found[0]
                yielded += 1
            if examined >= _MAX_SEGMENTS or yielded >= _MAX_DECIPHERED:
                pos = start + 1  # the cued stretches below start here
                break
    if pos < n:
        # Past the caps: the stretches around a word of an attack written in a cipher.
        for start, end in _cued_stretches(view, pos):
            found = _examined(view, start, end)
            if found:
                yield found[0]


def _examined(view: str, start: int, end: int) -> Optional[List[Decoded]]:
    """``None`` when ``view[start:end]`` is no candidate (too few words, or English);
    else its first deciphering that reads as English (``[]`` when none does)."""
    segment = view[start:end]
    words = _LATIN_WORD.findall(segment[:2000])
    if len(words) < _MIN_WORDS or sum(map(len, words)) < 12:
        return None
    hits, rate = english_rate(segment)
    if rate > _PLAIN_RATE:
        return None
    for encoding, plain in _decipherings(segment):
        hits, rate = english_rate(plain)
        if hits >= _MIN_WORDS and rate >= _ENGLISH_RATE:
            return [Decoded(start, end, encoding, plain)]
    return []


# The first six letters of the words of an attack as each letter cipher writes them (every
# Caesar shift, Atbash, reversed, pig latin): past the caps of ``find_unmarked``, a line is
# examined only around one of them.
_CUE_STEMS = (
    "ignore", "disregard", "previous", "instruction", "instructions", "prompt", "system",
    "password", "forget", "reveal", "secret", "pretend", "jailbreak",
)  # fmt: skip


def _cipher_forms(word: str) -> Iterator[str]:
    for k in range(1, 26):
        yield _shift(word, k)[:6]
    yield word.translate(_ATBASH)[:6]
    yield word[::-1][:6]
    onset = len(word) - len(word.lstrip("bcdfghjklmnpqrstvwxz"))
    if onset:
        yield (word[onset:] + word[:onset] + "ay")[:6]


_CIPHERED_CUES = frozenset(f for w in _CUE_STEMS for f in _cipher_forms(w))
_MAX_CUED = 16  # stretches examined past the caps
_PREFIX6 = re.compile(r"(?<![a-z])([a-z]{6})[a-z]*")  # the first six letters of long words
_CUED_REACH = 600  # characters either side of a cue word examined (within its line)


def _cued_stretches(view: str, pos: int) -> List[Tuple[int, int]]:
    """Up to ``_MAX_CUED`` stretches of ``view`` after ``pos`` around a ciphered cue word:
    ``_CUED_REACH`` characters either side of it, within its line."""
    cues = set(_PREFIX6.findall(view, pos)) & _CIPHERED_CUES
    if not cues:
        return []
    places: List[int] = []
    for cue in cues:
        at = view.find(cue, pos)
        while at >= 0 and len(places) < 4 * _MAX_CUED:
            places.append(at)
            at = view.find(cue, at + 1)
    stretches: List[Tuple[int, int]] = []
    for at in sorted(places):
        if stretches and at < stretches[-1][1]:
            continue  # inside the previous stretch
        line_start = view.rfind("\n", max(pos, at - _CUED_REACH), at) + 1
        start = max(line_start, pos, at - _CUED_REACH)
        stop = view.find("\n", at, at + _CUED_REACH)
        end = stop if stop >= 0 else min(len(view), at + _CUED_REACH)
        stretches.append((start, end))
        if len(stretches) >= _MAX_CUED:
            break
    return stretches
