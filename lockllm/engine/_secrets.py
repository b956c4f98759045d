"""Credentials in text: provider API keys, private keys, JWTs, keyed secrets, connection URLs.

Each finder returns ``(entity_type, start, end, priority)`` candidates over the original
text; ``_pii`` merges them with the personal-data finders and settles overlaps (higher
priority first, then the longer span).

How look-alikes are told apart:

* Known prefixes (``sk-proj-``, ``AKIA``, ``ghp_`` ...) must be followed by a body of the
  provider's alphabet and length that holds both letters and digits, has some entropy and
  no placeholder word (``xxxx``, ``your``, ``example``, ``dummy`` ...): ``sk-...xxxx``,
  ``sk-your-key-here`` and ``AKIAXXXXXXXXXXXXXXXX`` are not keys.
* The documented AWS examples (``AKIAIOSFODNN7EXAMPLE``, the secret ending in
  ``EXAMPLEKEY``) are public text, not credentials: any AWS value holding ``EXAMPLE`` is
  left alone, like every other key holding ``example``.
* A value without a known prefix counts only beside a key-like name (``api_key=``,
  ``"client_secret":``, ``token:``, ``password=``) and only when it looks random (letters
  and digits, Shannon entropy of at least 3 bits a character): ``max_tokens: 4096``,
  ``token: ${TOKEN}`` and ``password: <your password>`` are not secrets; git hashes and
  UUIDs beside ordinary names (``commit``, ``id``, ``request_id``) are not either.
* A JWT is three base64url parts whose first decodes to a JSON object naming ``alg`` or
  ``typ``.

Every pattern is a flat sequence of bounded classes that starts with a look-behind on its
own alphabet, so a match can only begin at the start of a run: a long run is read once
per pattern, never once per position (linear time; tests/test_pii.py times the worst
shapes).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from typing import List, Match, Tuple

__all__ = ["SECRET_TYPES", "Candidate", "find_secrets", "looks_random"]

Candidate = Tuple[str, int, int, int]
"""``(entity_type, start, end, priority)``."""

SECRET_TYPES = frozenset(
    {
        "api_key",
        "aws_access_key",
        "aws_secret_key",
        "private_key",
        "jwt",
        "secret",
        "password",
        "connection_string",
    }
)
"""The entity types of credentials (the rest of ``PII_TYPES`` is personal data)."""

_PLACEHOLDER = re.compile(
    r"(?i)x{4}|\*{3}|\.{3}|your|example|placeholder|redacted|dummy|sample|changeme|"
    r"insert|replace|0{8}|1234567890|abcdef(?:gh)?ij"
)

# -- keys by their providers' prefixes ------------------------------------------------------

_TOKEN = "A-Za-z0-9_-"
# (prefix regex, body class, min body, max body, entity type). The look-behind and the
# look-ahead on the body's alphabet keep a match to whole runs.
_PREFIXED: Tuple[Tuple[str, str, int, int, str], ...] = (
    (r"sk-ant-(?:api|admin|sid)[0-9]{2}-", _TOKEN, 32, 200, "api_key"),  # Anthropic
    (r"sk-(?:proj|svcacct|admin|None)-", _TOKEN, 32, 300, "api_key"),  # OpenAI project keys
    (r"sk-", "A-Za-z0-9", 32, 100, "api_key"),  # OpenAI legacy, DeepSeek, others
    (r"(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AGPA|ANPA|ANVA|APKA)", "A-Z0-9", 16, 16, "aws_access_key"),
    (r"gh[pousr]_", "A-Za-z0-9", 36, 251, "api_key"),  # GitHub
    (r"github_pat_", "A-Za-z0-9_", 60, 240, "api_key"),  # GitHub fine-grained
    (r"glpat-", _TOKEN, 20, 60, "api_key"),  # GitLab
    (r"xox[abposre]-", "A-Za-z0-9-", 20, 250, "api_key"),  # Slack
    (r"(?:sk|rk)_live_", "A-Za-z0-9", 20, 247, "api_key"),  # Stripe live
    (r"whsec_", "A-Za-z0-9", 24, 100, "api_key"),  # Stripe webhook signing secret
    (r"AIza", _TOKEN, 35, 35, "api_key"),  # Google
    (r"hf_", "A-Za-z0-9", 30, 40, "api_key"),  # Hugging Face
    (r"gsk_", "A-Za-z0-9", 48, 56, "api_key"),  # Groq
    (r"xai-", "A-Za-z0-9", 60, 100, "api_key"),  # xAI
    (r"r8_", "A-Za-z0-9", 36, 40, "api_key"),  # Replicate
    (r"npm_", "A-Za-z0-9", 36, 36, "api_key"),  # npm
    (r"pypi-AgE", _TOKEN, 60, 300, "api_key"),  # PyPI
    (r"dop_v1_", "a-f0-9", 64, 64, "api_key"),  # DigitalOcean
    (r"shp(?:at|ca|pa|ss)_", "a-fA-F0-9", 32, 32, "api_key"),  # Shopify
    (r"SG\.", "A-Za-z0-9_.-", 60, 80, "api_key"),  # SendGrid
    (r"sq0(?:atp|csp)-", _TOKEN, 22, 60, "api_key"),  # Square
    (r"AC", "a-f0-9", 32, 32, "api_key"),  # Twilio account SID
    (r"SK", "a-f0-9", 32, 32, "api_key"),  # Twilio API key SID
)
_PREFIX_PATTERN = re.compile(
    rf"(?<![.{_TOKEN}])(?:"
    + "|".join(
        rf"(?:{prefix})(?P<k{i}>[{body}]{{{low},{high}}})(?![{body}])"
        for i, (prefix, body, low, high, _) in enumerate(_PREFIXED)
    )
    + ")"
)
"""One pass for every prefix: the alternatives are tried in the table's order."""
_PREFIX_CUES = re.compile(
    r"sk[-_]|rk_|AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AGPA|ANPA|ANVA|APKA|gh[pousr]_|github_|glpat|"
    r"xox|whsec|AIza|hf_|gsk_|xai-|r8_|npm_|pypi-|dop_|shp|SG\.|sq0|AC|SK"
)


def looks_random(value: str, minimum: float = 3.0) -> bool:
    """Letters and digits mixed, no placeholder word, Shannon entropy >= ``minimum`` bits."""
    if not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
        return False
    if _PLACEHOLDER.search(value):
        return False
    return _entropy(value) >= minimum


def _entropy(value: str) -> float:
    n = len(value)
    return -sum(k / n * math.log2(k / n) for k in Counter(value).values())


def _prefixed(text: str, out: List[Candidate]) -> None:
    if not _PREFIX_CUES.search(text):
        return
    for match in _PREFIX_PATTERN.finditer(text):
        group = match.lastgroup or ""
        kind = _PREFIXED[int(group[1:])][4]
        body = match.group(group)
        if kind == "aws_access_key":
            # the AWS documentation's example key is public text (module docstring)
            if "EXAMPLE" in body or _PLACEHOLDER.search(body) or _entropy(body) < 2.5:
                continue
        elif not looks_random(body):
            continue
        out.append((kind, match.start(), match.end(), 30))


# -- private key blocks -------------------------------------------------------------------

_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_END = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_LINE = re.compile(
    r"[ \t]{0,8}(?:[A-Za-z0-9+/=]{1,128}|[A-Za-z-]{1,40}: [^\n]{0,200})?[ \t]{0,8}\r?$"
)
_PEM_LINES = 512  # a 16 KB key at most, read line by line when its footer is missing


def _pem_body_end(text: str, pos: int) -> int:
    """Where the base64 lines after a header stop (no footer in sight): a bounded walk."""
    end = pos
    for _ in range(_PEM_LINES):
        if end >= len(text) or text[end] not in "\r\n":
            break
        start = end + (2 if text.startswith("\r\n", end) else 1)
        stop = text.find("\n", start, start + 256)
        stop = len(text) if stop < 0 and len(text) - start <= 256 else stop
        if stop < 0 or not _PEM_LINE.match(text[start:stop]) or start == stop:
            break
        end = stop
    return end


def _private_keys(text: str, out: List[Candidate]) -> None:
    if "PRIVATE KEY" not in text:
        return
    ends = [m.end() for m in _END.finditer(text)]
    e = 0
    reached = 0
    for begin in _BEGIN.finditer(text):
        if begin.start() < reached:
            continue
        while e < len(ends) and ends[e] <= begin.end():
            e += 1
        if e < len(ends) and not _BEGIN.search(text, begin.end(), ends[e]):
            stop = ends[e]
        else:  # no footer before the next header: the key's lines up to the first other
            stop = _pem_body_end(text, begin.end())
        out.append(("private_key", begin.start(), stop, 50))
        reached = stop


# -- JWTs -------------------------------------------------------------------------------

_JWT = re.compile(
    r"(?<![A-Za-z0-9_\-.])eyJ[A-Za-z0-9_-]{5,2000}\.[A-Za-z0-9_-]{2,8000}\.[A-Za-z0-9_-]{0,2000}"
    r"(?![A-Za-z0-9_\-.])"
)


def _jwts(text: str, out: List[Candidate]) -> None:
    if "eyJ" not in text:
        return
    for match in _JWT.finditer(text):
        head = match.group()[: match.group().index(".")]
        try:
            decoded = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        except (ValueError, binascii.Error):
            continue
        if isinstance(decoded, dict) and ("alg" in decoded or "typ" in decoded):
            out.append(("jwt", match.start(), match.end(), 40))


# -- connection strings -----------------------------------------------------------------

_URL_WITH_PASSWORD = re.compile(
    r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}://"
    r"[^\s:/@\"'<>]{0,128}:([^\s@/\"'<>]{1,128})@[^\s/\"'<>?#]{1,255}"
    r"(?:[/?#][^\s\"'<>]{0,1024})?"
)


def _connection_strings(text: str, out: List[Candidate]) -> None:
    if "://" not in text:
        return
    for match in _URL_WITH_PASSWORD.finditer(text):
        password = match.group(1)
        if _PLACEHOLDER.search(password) or password.lower() in _NOT_PASSWORDS:
            continue
        if password.startswith(("$", "{", "<", "%")):
            continue  # a variable or template, not a value
        end = match.end()
        while end > match.start() and text[end - 1] in ".,;:)]}":
            end -= 1  # sentence punctuation after the URL
        out.append(("connection_string", match.start(), end, 45))


# -- keyed secrets: a value beside a key-like name ----------------------------------------

_KEY_NAMES = (
    r"secret|token|passw(?:or)?d|pwd|passphrase|api[_-]?key|apikey|access[_-]?key|"
    r"auth[_-]?key|credentials?|private[_-]?key|signing[_-]?key|client[_-]?secret"
)
_KEY_NAME = re.compile(rf"(?i:{_KEY_NAMES})")
_KEY_NAME_LOWER = re.compile(_KEY_NAMES)
_KEYED_TAIL = re.compile(
    r"[A-Za-z0-9_.-]{0,30}[\"']?[ \t]{0,3}(?::=|=>|=|:)[ \t]{0,3}"
    r"(?:[br]?([\"'`])|(?i:bearer|basic|token)[ \t]{1,3})?"
    # A value may hold $ and % (passwords do) but not start with one ($VAR, %VAR%).
    r"([^\s\"'`,;<>(){}\[\]$%\\][^\s\"'`,;<>(){}\[\]\\]{5,511})"
)
_BEARER = re.compile(r"(?<![A-Za-z0-9_-])(?i:bearer)[ \t]{1,3}([A-Za-z0-9._~+/-]{20,2048}={0,2})")
_NOT_PASSWORDS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "none",
        "null",
        "true",
        "false",
        "undefined",
        "required",
        "optional",
        "string",
        "hidden",
        "masked",
        "pass",
        "os.environ",
        "process.env",
        "getenv",
    }
)


def _keyed(text: str, out: List[Candidate]) -> None:
    if "=" in text or ":" in text:
        reached = 0  # a name inside the value just read is part of that value
        lowered = text.lower()  # a case-sensitive search is ten times faster than (?i)
        names = _KEY_NAME_LOWER if len(lowered) == len(text) else _KEY_NAME
        for hit in names.finditer(lowered if names is _KEY_NAME_LOWER else text):
            if hit.start() < reached:
                continue
            match = _KEYED_TAIL.match(text, hit.end())
            if match is not None:
                reached = match.end()
                _keyed_value(text, hit.group().lower(), match, out)
    if "earer" in text or "EARER" in text:
        for match in _BEARER.finditer(text):
            if looks_random(match.group(1)):
                out.append(("secret", match.start(1), match.end(1), 20))


def _keyed_value(text: str, name: str, match: Match[str], out: List[Candidate]) -> None:
    quote = match.group(1)
    start, end = match.span(2)
    if quote is not None:  # the value is what lies inside the quotes (a bounded look)
        closing = text.find(quote, start, start + 513)
        if closing < 0:
            return
        end = closing
    else:
        while end > start and text[end - 1] in ".:!?":
            end -= 1  # sentence punctuation
    value = text[start:end]
    if value.lower() in _NOT_PASSWORDS or _PLACEHOLDER.search(value):
        return
    if "." in value and value.replace(".", "").replace("_", "").isalpha():
        return  # a reference like settings.api_key
    if "://" in value:
        return  # a URL (a link to a reset page); one with a password is a connection string
    if quote is None and text.startswith(("(", "["), end):
        return  # a call or an index: code, not a value
    parts = value.split(".")
    if len(parts) > 1 and all(part.isidentifier() for part in parts):
        return  # an attribute chain: hashlib.sha256, settings.SECRET_KEY
    if name.startswith(("pass", "pwd")):
        if len(value) >= 6 and (quote is not None or _password_shaped(value)):
            out.append(("password", start, end, 20))
    elif len(value) >= 12 and looks_random(value):
        named = text[max(0, match.start() - 64) : match.start(2)].lower()
        aws = len(value) == 40 and all(w in named for w in ("aws", "secret", "access"))
        out.append(("aws_secret_key" if aws else "secret", start, end, 20))


def _password_shaped(value: str) -> bool:
    """An unquoted password: not a plain word (a digit, a symbol or mixed case in it)."""
    return (
        any(c.isdigit() for c in value)
        or not value.isalnum()
        or (value.lower() != value and value.upper() != value and not value.istitle())
    )


def find_secrets(text: str) -> List[Candidate]:
    """Every credential candidate in ``text``, overlapping ones included."""
    out: List[Candidate] = []
    _prefixed(text, out)
    _private_keys(text, out)
    _jwts(text, out)
    _connection_strings(text, out)
    _keyed(text, out)
    return out
