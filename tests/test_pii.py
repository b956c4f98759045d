"""The offline PII and secrets detectors: ``lockllm.engine.find_pii`` and ``redact``.

Found: each entity type in the shapes people write it. Not found: the look-alikes
(order numbers, versions, hashes, UUIDs, timestamps, example keys in docs). Placeholders:
typed, numbered, the same value the same placeholder within a request. Cost: linear, the
worst shapes at 64 KB measured against ordinary text of the same size.
"""

from __future__ import annotations

import random
import re
import string
import time
from typing import Callable, List, Tuple

import pytest

from lockllm.engine import PII_TYPES, PIIEntity, RedactionMap, find_pii, redact
from lockllm.engine._pii import summarize
from lockllm.engine._rule import _nested_repeat, _sre_parse

# Keys built at run time, so no literal credential sits in the repository.
_RNG = random.Random(18)
_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    """``n`` random characters of ``alphabet``, letters and digits both among them."""
    for _ in range(1000):
        value = "".join(_RNG.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value
    raise AssertionError(f"no mixed value of {alphabet!r}")


OPENAI_PROJECT = "sk-proj-" + _rand(48, _ALNUM + "_-")
OPENAI_LEGACY = "sk-" + _rand(48)
ANTHROPIC = "sk-ant-api03-" + _rand(93, _ALNUM + "_-") + "AA"
AWS_ID = "AKIA" + _rand(16, string.ascii_uppercase + "234567")
AWS_SECRET = _rand(40, _ALNUM + "/+")
GITHUB = "ghp_" + _rand(36)
GITHUB_PAT = "github_pat_" + _rand(82, _ALNUM + "_")
SLACK = "xoxb-" + str(_RNG.randrange(10**11, 10**12)) + "-" + _rand(24)
STRIPE = "sk_live_" + _rand(24)
GOOGLE = "AIza" + _rand(35, _ALNUM + "_-")
HUGGING_FACE = "hf_" + _rand(34)
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + "\n".join(_rand(64, _ALNUM + "+/") for _ in range(6))
    + "\n-----END RSA PRIVATE KEY-----"
)


def found(text: str) -> List[Tuple[str, str]]:
    return [(e.type, text[e.start : e.end]) for e in find_pii(text)]


# -- personal data ------------------------------------------------------------------------

PERSONAL: List[Tuple[str, str, str]] = [
    (
        "Write to jane.doe+news@mail.example.co.uk today",
        "email",
        "jane.doe+news@mail.example.co.uk",
    ),
    ("<a href='mailto:Bob_99@corp.io'>", "email", "Bob_99@corp.io"),
    ("Call +1 (415) 555-0132 after 5", "phone_number", "+1 (415) 555-0132"),
    ("UK office: +44 20 7946 0958.", "phone_number", "+44 20 7946 0958"),
    ("Ruf an: +49 30 901820", "phone_number", "+49 30 901820"),
    ("or 415-555-0132 or (415) 555-0132", "phone_number", "415-555-0132"),
    ("my phone is 020 7946 0958", "phone_number", "020 7946 0958"),
    ("Tel: 06 12 34 56 78", "phone_number", "06 12 34 56 78"),
    ("Card 4111 1111 1111 1111 exp 12/26", "credit_card", "4111 1111 1111 1111"),
    ("amex 3782-822463-10005", "credit_card", "3782-822463-10005"),
    ("pay with 5555555555554444.", "credit_card", "5555555555554444"),
    ("IBAN GB82 WEST 1234 5698 7654 32 please", "iban", "GB82 WEST 1234 5698 7654 32"),
    ("to DE89370400440532013000.", "iban", "DE89370400440532013000"),
    ("SSN 123-45-6789 on file", "us_ssn", "123-45-6789"),
    ("social security number 123456789", "us_ssn", "123456789"),
    ("client at 203.0.113.42 connected", "ip_address", "203.0.113.42"),
    ("from 10.1.2.3:8080", "ip_address", "10.1.2.3"),
    ("v6 2001:db8:85a3::8a2e:370:7334 ok", "ip_address", "2001:db8:85a3::8a2e:370:7334"),
    ("link fe80::1ff:fe23:4567:890a%eth0 up", "ip_address", "fe80::1ff:fe23:4567:890a%eth0"),
    ("Date of birth: 12/03/1985", "date_of_birth", "12/03/1985"),
    ("DOB 1985-03-12", "date_of_birth", "1985-03-12"),
    ("she was born on March 3rd, 1990 in Lyon", "date_of_birth", "March 3rd, 1990"),
    ("Geburtsdatum: 3. 4. 1990", "date_of_birth", None),  # spaces inside: not a date shape
    ("passport number: X1234567", "passport_number", "X1234567"),
    ("Passport No. 123456789", "passport_number", "123456789"),
]


@pytest.mark.parametrize(("text", "kind", "value"), PERSONAL)
def test_personal_data_is_found(text: str, kind: str, value: str) -> None:
    hits = found(text)
    if value is None:
        assert kind not in {k for k, _ in hits}, hits
    else:
        assert (kind, value) in hits, hits


# -- secrets -------------------------------------------------------------------------------

SECRETS: List[Tuple[str, str, str]] = [
    (f"OPENAI_API_KEY={OPENAI_PROJECT}", "api_key", OPENAI_PROJECT),
    (f"key: {OPENAI_LEGACY}", "api_key", OPENAI_LEGACY),
    (f'client = Anthropic(api_key="{ANTHROPIC}")', "api_key", ANTHROPIC),
    (f"aws_access_key_id = {AWS_ID}", "aws_access_key", AWS_ID),
    (f"aws_secret_access_key = {AWS_SECRET}", "aws_secret_key", AWS_SECRET),
    (f"token {GITHUB} leaked", "api_key", GITHUB),
    (f"GH_TOKEN={GITHUB_PAT}", "api_key", GITHUB_PAT),
    (f"slack {SLACK}", "api_key", SLACK),
    (f"stripe.api_key = '{STRIPE}'", "api_key", STRIPE),
    (f"https://maps.googleapis.com/x?key={GOOGLE}", "api_key", GOOGLE),
    (f"HF_TOKEN={HUGGING_FACE}", "api_key", HUGGING_FACE),
    (f"Authorization: Bearer {JWT}", "jwt", JWT),
    (f"key:\n{PEM}\nend", "private_key", PEM),
    ("DATABASE_URL=postgres://app:s3cr3t-Pa55@db.internal:5432/prod", "connection_string",
     "postgres://app:s3cr3t-Pa55@db.internal:5432/prod"),
    ("mongodb+srv://admin:Xk9q2Lm7@cluster0.ab1cd.mongodb.net/test.", "connection_string",
     "mongodb+srv://admin:Xk9q2Lm7@cluster0.ab1cd.mongodb.net/test"),
    ('{"client_secret": "8f3kQ9zL2mV7xW1pR4tY6uB0"}', "secret", "8f3kQ9zL2mV7xW1pR4tY6uB0"),
    ("api_key: a8f5f167f44f4964e6c998dee827110c", "secret", "a8f5f167f44f4964e6c998dee827110c"),
    ('password = "hunter2!x"', "password", "hunter2!x"),
    ("passwd: x7$Kq9!mZ", "password", "x7$Kq9!mZ"),
    ("Server=db;User Id=sa;Password=Tr0ub4dor&3;", "password", "Tr0ub4dor&3"),
    ("curl -H 'Authorization: Bearer abc123DEF456ghi789JKL012'", "secret",
     "abc123DEF456ghi789JKL012"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "value"), SECRETS)
def test_secrets_are_found(text: str, kind: str, value: str) -> None:
    assert (kind, value) in found(text)


def test_an_unterminated_private_key_is_found_up_to_its_last_line() -> None:
    head = PEM.split("\n-----END")[0]
    text = f"here:\n{head}\nThat was the key."
    assert found(text) == [("private_key", head)]


# -- look-alikes ---------------------------------------------------------------------------

LOOK_ALIKES = [
    "Order #4111111111111111 shipped; tracking 1Z999AA10123456784",
    "Order number 12345678901, invoice 2024-0001, ticket 5105105105105100",
    "pip install lockllm==1.3.0; node v18.17.1; Windows 10.0.19041.1; version 1.2.3.4",
    "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 (sha256:e3b0c44298fc1c149afbf4c8996fb924)",
    "request_id: 550e8400-e29b-41d4-a716-446655440000, trace 0af7651916cd43dd8448eb211c80319c",
    "at 2024-01-15T10:30:00Z (epoch 1701955200, 1701955200000 ms), 12:30:45.123",
    "npm i react@18.2.0; image nginx@sha256:abc; git@github.com:org/repo.git",
    "OPENAI_API_KEY=sk-...xxxx or sk-your-key-here, sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "AWS example: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    'api_key = os.environ["OPENAI_API_KEY"]; token = "${GITHUB_TOKEN}"; password: <password>',
    "max_tokens: 4096, tokens=128, password: required, secret: none, token: string",
    "secret = hashlib.sha256(data).hexdigest(); token = tokenizer(text)['input_ids']",
    "password = form.cleaned_data['password1']; SECRET_KEY = env('DJANGO_SECRET_KEY')",
    "export GITHUB_TOKEN=$(gh auth token); password: ${{ secrets.DB_PASSWORD }}",
    "postgres://user:password@localhost/db and redis://:${REDIS_PASSWORD}@cache:6379",
    "localhost 127.0.0.1, 0.0.0.0, ::1, mask 255.255.255.0, std::vector<int>, a::b",
    "MAC 00:1A:2B:3C:4D:5E and time 10:30:00 and ratio 16:9",
    "even = sample[0::2].count(0); odd = sample[1::2]",
    "page 1-800 of 2,345,678; ISBN 978-3-16-148410-0; 3.14159265358979",
    "The meeting is on 12/03/2025 in room 101; call it a day.",
    "scores: 42 69 24 68 56 01 32 56 71 37 02 36 91 22 31 16 71 51 67 63 89 41 92 36 54",
    "subnets 10.0.0.0/24, 10.0.1.0/24 and 192.168.0.0/16",
    "Click on this link to reset your password: https://www.example-social.com/reset-password",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_are_not_found(text: str) -> None:
    assert found(text) == []


def test_a_key_with_a_placeholder_word_is_not_a_key() -> None:
    for body in ("your" + _rand(40), _rand(20) + "EXAMPLE" + _rand(20), "x" * 48):
        assert found("sk-proj-" + body) == [], body


# -- redaction -----------------------------------------------------------------------------


def test_redact_replaces_each_finding_with_a_typed_numbered_placeholder() -> None:
    text = f"Mail a@b.io or c@d.io, call +1 415 555 0132, key {GITHUB}, again a@b.io"
    redacted, entities = redact(text)
    assert redacted == (
        "Mail [EMAIL_1] or [EMAIL_2], call [PHONE_NUMBER_1], key [API_KEY_1], again [EMAIL_1]"
    )
    assert [e.type for e in entities] == ["email", "email", "phone_number", "api_key", "email"]
    assert all(text[e.start : e.end] in text for e in entities)  # spans index the original
    assert summarize(entities) == (("api_key", "email", "phone_number"), 5)


def test_one_map_keeps_placeholders_across_the_texts_of_a_request() -> None:
    mapping = RedactionMap()
    first, _ = redact("From Jane@Corp.io, +44 20 7946 0958", mapping)
    second, _ = redact("to jane@corp.io, +442079460958, and x@y.io", mapping)
    assert first == "From [EMAIL_1], [PHONE_NUMBER_1]"
    assert second == "to [EMAIL_1], [PHONE_NUMBER_1], and [EMAIL_2]"
    assert len(mapping) == 3
    assert "corp" not in repr(mapping).lower()
    assert "3" in repr(mapping)
    # Without a map each call numbers from 1.
    assert redact("x@y.io")[0] == "[EMAIL_1]"


def test_entities_hold_no_value_and_text_without_findings_is_returned_as_is() -> None:
    entity = find_pii("write to someone@corp.io")[0]
    assert entity == PIIEntity("email", 9, 24)
    assert "corp" not in repr(entity)
    text = "Nothing personal here."
    assert redact(text) == (text, [])
    assert redact("") == ("", [])


def test_types_limits_the_search_and_unknown_types_are_refused() -> None:
    text = f"a@b.io {GITHUB}"
    assert [e.type for e in find_pii(text, types={"api_key"})] == ["api_key"]
    assert redact(text, types=["email"])[0] == f"[EMAIL_1] {GITHUB}"
    with pytest.raises(ValueError, match="unknown PII type"):
        find_pii(text, types=["emails"])
    with pytest.raises(TypeError):
        find_pii(b"a@b.io")  # type: ignore[arg-type]
    assert {"email", "api_key", "jwt", "iban"} <= PII_TYPES


def test_overlaps_keep_the_more_specific_finding() -> None:
    # The e-mail-like part of a connection string and a key inside a keyed value.
    text = "url mysql://root:Zq8mW2xK@db.example.com:3306/app and api_key=" + GITHUB
    kinds = [k for k, _ in found(text)]
    assert kinds == ["connection_string", "api_key"]


# -- linear time ---------------------------------------------------------------------------

_PATTERNS = [
    value
    for module in ("_pii", "_secrets")
    for value in vars(__import__(f"lockllm.engine.{module}", fromlist=["x"])).values()
    if isinstance(value, re.Pattern)
]


def test_no_pattern_nests_repetitions_or_repeats_without_bound() -> None:
    assert len(_PATTERNS) > 15
    for pattern in _PATTERNS:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
        assert not _nested_repeat(parsed, False), pattern.pattern
        assert parsed.getwidth()[1] < 20_000, pattern.pattern


N = 64 * 1024
ORDINARY = (
    "The quick brown fox jumps over the lazy dog. Please summarise the report for 2024, "
    "section 3.2, and send it to the team by Friday at 10:30. Thanks! "
) * (N // 150)

WORST: List[Tuple[str, Callable[[], str]]] = [
    ("digits", lambda: "1" * N),
    ("spaced digits", lambda: "1 " * (N // 2)),
    ("dashed digits", lambda: "12-" * (N // 3)),
    ("at signs", lambda: "a@" * (N // 2)),
    ("at and dots", lambda: "a@b." * (N // 4)),
    ("one long local part", lambda: "a" * N + "@b.com"),
    ("dotted digits", lambda: "1." * (N // 2)),
    ("hex and colons", lambda: "ab12:" * (N // 5)),
    ("jwt heads", lambda: "eyJ" * (N // 3)),
    ("jwt parts", lambda: "eyJabc." * (N // 7)),
    ("key prefixes", lambda: "sk-" * (N // 3)),
    ("key names", lambda: "token=" * (N // 6)),
    ("quoted key names", lambda: "'secret': '" * (N // 11)),
    ("password words", lambda: "password: " * (N // 10)),
    ("key headers", lambda: "-----BEGIN PRIVATE KEY-----\n" * (N // 28)),
    ("url credentials", lambda: "a://b:c@" * (N // 8)),
    ("iban heads", lambda: "GB82 " * (N // 5)),
    ("plus signs", lambda: "+1 " * (N // 3)),
    ("parentheses", lambda: "(1" * (N // 2)),
    ("birth words", lambda: "born " * (N // 5)),
    ("passport words", lambda: "passport " * (N // 9)),
    ("aws prefixes", lambda: "AKIA" * (N // 4)),
    ("printable noise", lambda: "".join(_RNG.choice(string.printable) for _ in range(N))),
]


def _best_of(runs: int, text: str) -> float:
    """The least CPU time of ``runs`` searches (CPU time: other processes do not count)."""
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        find_pii(text)
        best = min(best, time.process_time() - started)
    return best


def test_the_worst_shapes_cost_about_what_ordinary_text_costs() -> None:
    base = _best_of(3, ORDINARY)
    # Quadratic work on 64 KB would be thousands of times the base; linear work with a
    # bounded constant stays within a small multiple (generous for a busy machine).
    limit = max(base, 0.002) * 40
    slow = {}
    for name, make in WORST:
        cost = _best_of(2, make())
        if cost > limit:
            slow[name] = round(cost / base, 1)
    assert not slow, f"x ordinary ({base * 1000:.1f} ms): {slow}"
