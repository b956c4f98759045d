"""Personal data and secrets in text, found offline, and their redaction.

``find_pii(text)`` returns ``PIIEntity`` records (an entity type and a span of ``text``,
never the value itself); ``redact(text)`` replaces each with a typed placeholder
(``[EMAIL_1]``, ``[API_KEY_1]``), the same value getting the same placeholder. Pass one
``RedactionMap`` to several ``redact`` calls (the texts of one request) to keep that
promise across them.

Personal data: e-mail addresses, phone numbers (international ``+`` form, North-American
``(555) 123-4567`` / ``555-123-4567`` shapes, or any shape beside a word like "phone"),
payment card numbers (an issuer prefix and the Luhn check), IBANs (country length and
the mod-97 check), US SSNs (valid area, group and serial), IPv4 and IPv6 addresses
(``ipaddress`` checks them; loopback and unspecified ones are not personal), and, only
beside a word that says so, dates of birth and passport numbers. Credentials are found by
``_secrets``.

Look-alikes: a run of digits is a phone number only with a ``+``, a North-American shape
or a phone word nearby, so order numbers, timestamps and versions are not; a card number
beside "order", "invoice", "tracking" ... is not a card; dotted versions after ``v`` or
"version" are not IP addresses.

Every pattern is a flat sequence of bounded classes and each match is checked in a
bounded loop, so a text costs time linear in its length.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, List, Optional, Tuple

from ._secrets import SECRET_TYPES, Candidate, find_secrets

__all__ = [
    "PERSONAL_TYPES",
    "PII_TYPES",
    "SECRET_TYPES",
    "PIIEntity",
    "RedactionMap",
    "find_pii",
    "redact",
    "summarize",
]

PERSONAL_TYPES = frozenset(
    {
        "email",
        "phone_number",
        "credit_card",
        "iban",
        "us_ssn",
        "ip_address",
        "date_of_birth",
        "passport_number",
    }
)
"""The entity types of personal data."""

PII_TYPES: FrozenSet[str] = PERSONAL_TYPES | SECRET_TYPES
"""Every entity type ``find_pii`` reports."""


@dataclass(frozen=True)
class PIIEntity:
    """One piece of personal data or one credential: ``text[start:end]`` is the value.

    ``type`` is one of ``PII_TYPES`` (``"email"``, ``"api_key"`` ...). The value is not kept,
    so an entity can be logged or returned without leaking what it points at.
    """

    type: str
    start: int
    end: int


# -- e-mail -----------------------------------------------------------------------------

_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_DOMAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}")
_TLD = re.compile(r"[A-Za-z]{2,24}")


def _emails(text: str, out: List[Candidate]) -> None:
    if "@" not in text:
        return
    at = text.find("@")
    while at >= 0:
        domain_match = _DOMAIN.match(text, at + 1)
        start = at  # the local part: the run of its characters before the @, 64 at most
        while start > at - 65 and start > 0 and text[start - 1] in _LOCAL:
            start -= 1
        at_next = text.find("@", at + 1)
        if domain_match is None or start == at or start == at - 65:
            at = at_next
            continue
        while start < at and not text[start].isalnum():
            start += 1  # the local part starts with a letter or digit
        domain = domain_match.group().rstrip(".-")
        labels = domain.split(".")
        end = at + 1 + len(domain)
        if (
            start < at
            and len(labels) >= 2
            and "" not in labels  # ``a..b``
            and _TLD.fullmatch(labels[-1])  # not a version (pkg@1.2.3) or digest (img@sha256)
            and not (text.startswith(":", end) and text.startswith("git@", start))  # SSH remote
        ):
            out.append(("email", start, end, 10))
        at = at_next


# -- numbers: cards, SSNs, phones, IBANs --------------------------------------------------

# The first character is matched before the look-behind: ``re`` then skips to candidates
# quickly (a pattern opening with a look-behind is tried at every position).
_CARD = re.compile(r"[0-9](?<![0-9.,/-][0-9])(?:[ -]?[0-9]){12,18}(?![0-9]|[.,/-][0-9])")
_CARD_PREFIX = re.compile(r"4|5[1-5]|2[2-7]|3[47]|3[068]|35|6(?:011|5|4[4-9]|2)")
_NOT_CARD_CONTEXT = re.compile(
    r"(?i)order|invoice|tracking|ref(?:erence)?\b|\bid\b|#|isbn|serial|account\s{0,3}n|ticket"
)
_CARD_CONTEXT = re.compile(r"(?i)card|visa|master|amex|credit|debit|payment|\bcc\b|pan\b")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# How cards are printed: 4-4-4-4 (and 4-4-4-1..4-4-4-4-3), Amex 4-6-5, Diners 4-6-4.
_CARD_GROUPS = frozenset(
    {(4, 4, 4, 1), (4, 4, 4, 2), (4, 4, 4, 3), (4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4)}
)


def _card_groups(raw: str, sep: str) -> Tuple[int, ...]:
    return tuple(len(group) for group in raw.split(sep))


def _cards(text: str, out: List[Candidate]) -> None:
    for match in _CARD.finditer(text):
        raw = match.group()
        digits = raw.replace(" ", "").replace("-", "")
        seps = {c for c in raw if not c.isdigit()}
        if len(seps) > 1 or not _CARD_PREFIX.match(digits) or not _luhn(digits):
            continue
        if len(set(digits)) < 2:
            continue  # one digit repeated
        if seps and _card_groups(raw, seps.pop()) not in _CARD_GROUPS:
            continue  # spaced like a list of numbers, not like a card
        before = text[max(0, match.start() - 24) : match.start()]
        if _NOT_CARD_CONTEXT.search(before) and not _CARD_CONTEXT.search(before):
            continue
        out.append(("credit_card", match.start(), match.end(), 15))


_SSN = re.compile(r"([0-9](?<![0-9-][0-9])[0-9]{2})([- ]?)([0-9]{2})\2([0-9]{4})(?![0-9]|-[0-9])")
_SSN_CONTEXT = re.compile(r"(?i)ssn|social\s{0,3}security|\bss#|tax\s{0,3}id|\btin\b")


def _ssns(text: str, out: List[Candidate]) -> None:
    for match in _SSN.finditer(text):
        area, sep, group, serial = match.groups()
        if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
            continue
        # 123456789 or 123 45 6789: only beside a word that says so
        if sep != "-" and not _SSN_CONTEXT.search(text, max(0, match.start() - 32), match.start()):
            continue
        out.append(("us_ssn", match.start(), match.end(), 14))


_PHONE = re.compile(r"[0-9(+](?<![0-9A-Za-z+.,/-][0-9(+])[0-9 ().-]{5,23}[0-9](?![0-9]|[.-][0-9])")
_NANP = re.compile(
    r"(?:\+?1[ .-]?)?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}([ .-]))[2-9][0-9]{2}[ .-][0-9]{4}"
)
_PHONE_CONTEXT = re.compile(
    r"(?i)phone|\btel\b|tel[.:]|mobile|\bcell|\bcall\b|\bfax\b|whatsapp|sms|text me|"
    r"t[ée]l[ée]phone|telefon|móvil|movil|celular|handy|portable|contact"
)
_SEPARATORS = re.compile(r"[ .-]{2}|\(\(|\)\)")


def _phones(text: str, out: List[Candidate]) -> None:
    for match in _PHONE.finditer(text):
        raw = match.group()
        digits = sum(c.isdigit() for c in raw)
        if not 7 <= digits <= 15 or _SEPARATORS.search(raw) or raw.count("(") != raw.count(")"):
            continue
        if raw[0] == "+":  # +CC ...: international form
            if digits >= 8 and "." not in raw and raw[1] != " ":
                out.append(("phone_number", match.start(), match.end(), 12))
            continue
        if _NANP.fullmatch(raw) and digits in (10, 11):
            out.append(("phone_number", match.start(), match.end(), 12))
        elif raw.count(".") < 3 and _PHONE_CONTEXT.search(  # a dotted quad: IP or version
            text, max(0, match.start() - 32), match.start()
        ):
            out.append(("phone_number", match.start(), match.end(), 11))


_IBAN = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z][0-9]{2}(?: ?[A-Z0-9]){11,32}(?![A-Za-z0-9])")
_IBAN_LENGTHS: Dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    "YE": 30,
}  # fmt: skip


def _ibans(text: str, out: List[Candidate]) -> None:
    for match in _IBAN.finditer(text):
        raw = match.group()
        length = _IBAN_LENGTHS.get(raw[:2])
        if length is None:
            continue
        # The IBAN is the first ``length`` characters; a match may run into the next word.
        kept, end = 0, 0
        while end < len(raw) and kept < length:
            kept += raw[end] != " "
            end += 1
        if kept != length or (end < len(raw) and raw[end] != " "):
            continue
        compact = raw[:end].replace(" ", "")
        moved = compact[4:] + compact[:4]
        number = "".join(str(int(c, 36)) for c in moved)
        if int(number) % 97 == 1:
            out.append(("iban", match.start(), match.start() + end, 16))


# -- IP addresses ----------------------------------------------------------------------

_IPV4 = re.compile(
    r"[0-9](?<![0-9A-Za-z.][0-9])[0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9]|\.[0-9])"
)
_VERSION_BEFORE = re.compile(r"(?i)(?:\bv|version|ver\.?|release|build|@)\s{0,2}$")
_CIDR = re.compile(r"/[0-9]{1,3}(?![0-9])")
_IPV6 = re.compile(
    r"[0-9A-Fa-f:](?<![0-9A-Za-z:.][0-9A-Fa-f:])[0-9A-Fa-f:]{2,38}(?:%[0-9A-Za-z]{1,15})?"
    r"(?![0-9A-Za-z:])"
)


def _ips(text: str, out: List[Candidate]) -> None:
    if "." in text:
        for match in _IPV4.finditer(text):
            try:  # octets above 255 and leading zeros are refused here
                address = ipaddress.IPv4Address(match.group())
            except ValueError:
                continue
            if address.is_loopback or address.is_unspecified or match.group().startswith("255."):
                continue  # 127.0.0.1, 0.0.0.0, netmasks: not anybody's address
            if _VERSION_BEFORE.search(text, max(0, match.start() - 10), match.start()):
                continue
            if _CIDR.match(text, match.end()):
                continue  # 10.0.0.0/24: a network, not anybody's address
            out.append(("ip_address", match.start(), match.end(), 13))
    if "::" in text or text.count(":") >= 7:
        for match in _IPV6.finditer(text):
            raw = match.group().split("%", 1)[0]
            if "::" not in raw and raw.count(":") != 7:
                continue  # an address is eight groups, or fewer with ::  (not 10:30)
            groups = [g for g in raw.split(":") if g]
            if not any(c.isdigit() for c in raw) or (
                len(groups) < 3 and max(map(len, groups), default=0) < 3
            ):
                continue  # a::b, or a slice like x[0::2]
            try:
                six = ipaddress.IPv6Address(raw)
            except ValueError:
                continue
            if six.is_loopback or six.is_unspecified:
                continue
            out.append(("ip_address", match.start(), match.end(), 13))


# -- in context: dates of birth, passport numbers -------------------------------------------

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DOB = re.compile(
    r"(?i:\b(?:date[ \t]{0,3}of[ \t]{0,3}birth|d\.?o\.?b\b\.?|born(?:[ \t]{1,3}on)?|"
    r"birth[ \t_-]{0,2}date|birthday|geburtsdatum|geboren(?:[ \t]{1,3}am)?|"
    r"n[ée]e?[ \t]{1,3}le|fecha[ \t]{1,3}de[ \t]{1,3}nacimiento|data[ \t]{1,3}di[ \t]{1,3}nascita))"
    r"[ \t:=\-,\"'(]{0,6}"
    r"((?:[0-9]{1,2}[./-][0-9]{1,2}[./-](?:19|20)?[0-9]{2}|(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}"
    rf"|[0-9]{{1,2}}(?:st|nd|rd|th)?[ \t]{{1,2}}(?i:{_MONTHS})\.?,?[ \t]{{1,2}}(?:19|20)[0-9]{{2}}"
    rf"|(?i:{_MONTHS})\.?[ \t]{{1,2}}[0-9]{{1,2}}(?:st|nd|rd|th)?,?[ \t]{{1,2}}"
    r"(?:19|20)[0-9]{2}))"
    r"(?![0-9])"
)
_PASSPORT = re.compile(
    r"(?i:\bpass(?:port|eport|aporte|aporto)(?:[ \t]{0,3}(?:no\b\.?|number|num\b|#|id\b|nr\b\.?))?)"
    r"[ \t:=#\-\"']{0,6}([A-Z0-9]{1,2}[0-9]{5,8}|[A-Z][A-Z0-9]{5,8})(?![A-Za-z0-9])"
)


_DOB_CUES = ("birth", "born", "dob", "d.o.b", "geb", "né", "nacimiento", "nascita")


def _in_context(text: str, out: List[Candidate]) -> None:
    lowered = text.lower()
    if any(cue in lowered for cue in _DOB_CUES):
        for match in _DOB.finditer(text):
            out.append(("date_of_birth", match.start(1), match.end(1), 12))
    if "pass" in lowered:
        for match in _PASSPORT.finditer(text):
            if any(c.isdigit() for c in match.group(1)):
                out.append(("passport_number", match.start(1), match.end(1), 12))


# -- the whole -------------------------------------------------------------------------

_DIGIT = re.compile(r"[0-9]")


def _candidates(text: str) -> List[Candidate]:
    out = find_secrets(text)
    _emails(text, out)
    if _DIGIT.search(text):
        _cards(text, out)
        _ssns(text, out)
        _phones(text, out)
        _ibans(text, out)
        _ips(text, out)
        _in_context(text, out)
    return out


def find_pii(text: str, types: Optional[Iterable[str]] = None) -> List[PIIEntity]:
    """The personal data and credentials in ``text``, in order, none overlapping.

    ``types`` limits the search to some entity types (see ``PII_TYPES``); an unknown type
    raises ``ValueError``. Where two findings overlap, the more specific one (a key over a
    keyed secret, a connection string over the e-mail-like part in it) or else the longer
    one is kept.
    """
    if not isinstance(text, str):
        raise TypeError(f"find_pii() takes a str; got {type(text).__name__}")
    wanted: Optional[FrozenSet[str]] = None
    if types is not None:
        wanted = frozenset(types)
        unknown = wanted - PII_TYPES
        if unknown:
            known = ", ".join(sorted(PII_TYPES))
            raise ValueError(f"unknown PII type(s) {', '.join(sorted(unknown))}; known: {known}")
    found = _candidates(text) if text else []
    if wanted is not None:
        found = [c for c in found if c[0] in wanted]
    # Best first: higher priority, then longer, then earlier; keep what does not overlap.
    found.sort(key=lambda c: (-c[3], c[1] - c[2], c[1]))
    starts: List[int] = []  # the kept spans, sorted and disjoint
    ends: List[int] = []
    kept: List[PIIEntity] = []
    for kind, start, end, _ in found:
        i = bisect.bisect_right(starts, start)
        if end <= start or (i and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            continue
        starts.insert(i, start)
        ends.insert(i, end)
        kept.append(PIIEntity(kind, start, end))
    kept.sort(key=lambda e: e.start)
    return kept


def _identity(kind: str, value: str) -> str:
    """What makes two findings the same value: ``+1 555 123 4567`` is ``15551234567``."""
    if kind in ("phone_number", "credit_card", "us_ssn"):
        return "".join(c for c in value if c.isdigit())
    if kind == "iban":
        return value.replace(" ", "").upper()
    if kind == "email":
        return value.lower()
    return value


class RedactionMap:
    """The placeholders of one request: the same value always gets the same one.

    Pass one map to every ``redact`` call for the texts of one request (the messages of a
    chat, say): a phone number in the first message and the last becomes ``[PHONE_NUMBER_1]``
    in both. The map holds the values it has seen, so keep it no longer than the request;
    its ``repr`` shows only how many there are.
    """

    def __init__(self) -> None:
        self._placeholders: Dict[Tuple[str, str], str] = {}
        self._counts: Dict[str, int] = {}

    def placeholder(self, kind: str, value: str) -> str:
        """The placeholder of ``value`` found as ``kind``, made on first sight."""
        key = (kind, _identity(kind, value))
        found = self._placeholders.get(key)
        if found is None:
            n = self._counts.get(kind, 0) + 1
            self._counts[kind] = n
            found = self._placeholders[key] = f"[{kind.upper()}_{n}]"
        return found

    def __len__(self) -> int:
        return len(self._placeholders)

    def __repr__(self) -> str:
        return f"RedactionMap(<{len(self._placeholders)} values>)"


def redact(
    text: str, mapping: Optional[RedactionMap] = None, types: Optional[Iterable[str]] = None
) -> Tuple[str, List[PIIEntity]]:
    """``text`` with every finding of ``find_pii`` replaced by its typed placeholder.

    Returns the redacted text and the entities found (their spans index the original
    ``text``). ``mapping`` carries the placeholders across calls (see ``RedactionMap``);
    without one, each call numbers its own from 1.
    """
    entities = find_pii(text, types)
    if not entities:
        return text, entities
    mapping = RedactionMap() if mapping is None else mapping
    pieces: List[str] = []
    at = 0
    for entity in entities:
        pieces.append(text[at : entity.start])
        pieces.append(mapping.placeholder(entity.type, text[entity.start : entity.end]))
        at = entity.end
    pieces.append(text[at:])
    return "".join(pieces), entities


def summarize(entities: Iterable[PIIEntity]) -> Tuple[Tuple[str, ...], int]:
    """``(entity_types, entity_count)`` of some findings: the types sorted, each once."""
    listed = list(entities)
    return tuple(sorted({e.type for e in listed})), len(listed)
