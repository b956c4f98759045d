"""``Rule``: one weighted pattern with its cues, checked when it is built.

A rule is data: an id, a regular expression over the normalised (lower-case) view, a
category, a weight, and *cues*, literal strings one of which every match contains. Cues
make rules cheap (a rule whose cues are absent from a text is never run; on a long text the
pattern only runs in windows around them); a test checks the shipped rules' cues against
their patterns.

Patterns must run in linear time, which is checked when a rule is built: every repetition
is bounded (``{0,40}``, never ``*``, ``+`` or ``{3,}``), so a match is at most
``MAX_REACH`` characters long and a look-ahead or look-behind reads at most ``MAX_LOOK``,
and no repetition holds another one (``(?:a{1,9}){1,9}`` backtracks exponentially within
its bound).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import (
    AbstractSet,
    Any,
    Dict,
    FrozenSet,
    Iterator,
    List,
    Match,
    Optional,
    Pattern,
    Tuple,
)
from typing import Union as _Union

try:  # Python 3.11+
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse as _sre_parse

__all__ = ["MAX_LOOK", "MAX_REACH", "PREFIX_LENGTHS", "Rule", "RuleError", "word_prefixes"]

MAX_REACH = 800  # no rule matches more than this many characters
MAX_LOOK = 200  # no look-ahead or look-behind of a rule reads more than this many
_SAME_WINDOWS = 8  # windows of one text read per rule and text (see ``Rule._near_cues``)
PREFIX_LENGTHS = (2, 3, 4, 5, 6)
# Non-letters (ASCII) become spaces, so ``split()`` yields the Latin words.
_WORD_SHAPE = str.maketrans({chr(i): " " for i in range(128) if not chr(i).islower()})
_PLAIN_WORD = re.compile(r"[a-z]{3,}")
_LATIN_WORD = re.compile(r"[a-z]{2,}")
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


class RuleError(ValueError):
    """A ``Rule`` was built with an unknown category, a bad weight or cue, or an invalid or
    unsafe pattern."""


def word_prefixes(view: str) -> AbstractSet[str]:
    """The 2- to 6-letter prefixes of the Latin words of ``view``."""
    if view.isascii():
        words = {w for w in view.translate(_WORD_SHAPE).split() if len(w) >= 2}
    else:  # split on every non-Latin character too (quotes, accents, other scripts)
        words = set(_LATIN_WORD.findall(view))
    return {w[:k] for w in words for k in PREFIX_LENGTHS}


def _categories() -> Tuple[str, ...]:
    from ._score import CATEGORIES

    return CATEGORIES


def _unsafe_reason(parsed: Any) -> Optional[str]:
    """Why the parsed pattern could take super-linear time, or ``None`` when it cannot."""
    width = parsed.getwidth()[1]
    if width > MAX_REACH:
        unbounded = width >= _sre_parse.MAXREPEAT
        return (
            "it has an unbounded repetition (*, +, {n,}); bound it, e.g. {0,40}"
            if unbounded
            else f"a match can be {width} characters long (at most {MAX_REACH})"
        )
    if _nested_repeat(parsed, False):
        return "a repetition holds another repetition (backtracks exponentially)"
    look = _lookaround_width(parsed)
    if look > MAX_LOOK:
        return f"a look-ahead or look-behind reads up to {look} characters (at most {MAX_LOOK})"
    return None


def _lookaround_width(items: Any) -> int:
    """The most characters any look-ahead or look-behind of the pattern can read."""
    widest = 0
    for op, av in items:
        name = str(op)
        if name in ("ASSERT", "ASSERT_NOT"):
            widest = max(widest, int(av[1].getwidth()[1]), _lookaround_width(av[1]))
        elif name in _REPEATS:
            widest = max(widest, _lookaround_width(av[2]))
        elif name == "SUBPATTERN":
            widest = max(widest, _lookaround_width(av[-1]))
        elif name == "BRANCH":
            widest = max([widest, *(_lookaround_width(b) for b in av[1])])
    return widest


def _nested_repeat(items: Any, inside: bool) -> bool:
    """True when a repetition (of more than one) sits inside another one."""
    for op, av in items:
        name = str(op)
        if name in _REPEATS:
            hi, body = av[1], av[2]
            if (hi > 1 and inside) or _nested_repeat(body, inside or hi > 1):
                return True
        elif name == "BRANCH":
            if any(_nested_repeat(b, inside) for b in av[1]):
                return True
        elif name in ("SUBPATTERN", "ASSERT", "ASSERT_NOT") and _nested_repeat(av[-1], inside):
            return True
    return False


@dataclass(frozen=True)
class Rule:
    """One weighted pattern over the normalised (lower-case) view of a text.

    - ``id``: a stable dotted name (``"override.ignore_previous"``); it is ``Span.rule``.
    - ``pattern``: a regular expression (``str``, compiled with ``re.DOTALL``, or a compiled
      pattern). It must run in linear time: bounded repetitions only, none nested.
    - ``category``: one of ``lockllm.engine.CATEGORIES``.
    - ``weight``: in ``(0, 1]``, roughly the probability that a text matching it is an attack.
    - ``cues``: lower-case literal strings found anywhere, and ``words``: lower-case Latin
      words (2+ letters) found at the start of a word; every match holds one of them. A
      rule runs only on texts holding one (looking words up among the text's word prefixes
      is cheaper than a substring search); without either it runs on every text.
    - ``outside_document``: the weight when the text is not retrieved content (rules about
      "your response" mean little in a user's own request); ``None``: always ``weight``.
    - ``ciphers``: also look for the rule in the ROT13 and the reversal of the text.

    Raises ``RuleError`` (a ``ValueError``) at construction when any of this does not hold.
    """

    id: str
    pattern: _Union[str, Pattern[str]]
    category: str
    weight: float
    cues: Tuple[str, ...] = ()
    words: Tuple[str, ...] = ()
    outside_document: Optional[float] = None
    ciphers: bool = False
    compiled: Pattern[str] = field(init=False, repr=False, compare=False)
    word_prefixes: FrozenSet[str] = field(init=False, repr=False, compare=False)
    # How far from a cue a match and its look-arounds can reach (at most MAX_REACH + MAX_LOOK).
    reach: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise RuleError(f"a rule id must be a non-empty string, not {self.id!r}")
        cats = _categories()
        if self.category not in cats:
            raise RuleError(
                f"rule {self.id!r}: unknown category {self.category!r}; one of {', '.join(cats)}"
            )
        for label, value in (("weight", self.weight), ("outside_document", self.outside_document)):
            if value is None and label == "outside_document":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise RuleError(f"rule {self.id!r}: {label} must be a number, not {value!r}")
            if not 0.0 < float(value) <= 1.0:
                raise RuleError(f"rule {self.id!r}: {label} must be in (0, 1], not {value!r}")
        if isinstance(self.pattern, str):
            try:
                compiled = re.compile(self.pattern, re.DOTALL)
            except re.error as error:
                raise RuleError(f"rule {self.id!r}: invalid pattern: {error}") from None
        elif isinstance(self.pattern, re.Pattern) and isinstance(self.pattern.pattern, str):
            compiled = self.pattern
        else:
            raise RuleError(f"rule {self.id!r}: pattern must be a str or a compiled str pattern")
        if compiled.flags & re.IGNORECASE == 0 and compiled.pattern != compiled.pattern.lower():
            # Upper-case literals could never match the lower-case view.
            stripped = re.sub(r"\\[A-Za-z]|\(\?P?<[^>]*>|\{[^}]*\}", "", compiled.pattern)
            if stripped != stripped.lower():
                raise RuleError(
                    f"rule {self.id!r}: the view is lower case; write the pattern in lower case"
                )
        parsed = _sre_parse.parse(compiled.pattern, compiled.flags)
        reason = _unsafe_reason(parsed)
        if reason is not None:
            raise RuleError(f"rule {self.id!r}: pattern is not linear-time: {reason}")
        cues: object = self.cues
        words: object = self.words
        if not isinstance(cues, (tuple, list)) or not all(
            isinstance(c, str) and c and c == c.lower() for c in cues
        ):
            raise RuleError(f"rule {self.id!r}: cues must be a tuple of non-empty lower-case str")
        if not isinstance(words, (tuple, list)) or not all(
            isinstance(w, str) and _LATIN_WORD.fullmatch(w) for w in words
        ):
            raise RuleError(
                f"rule {self.id!r}: words must be a tuple of lower-case Latin words (2+ letters)"
            )
        object.__setattr__(self, "cues", tuple(self.cues))
        object.__setattr__(self, "words", tuple(self.words))
        object.__setattr__(self, "compiled", compiled)
        object.__setattr__(self, "reach", int(parsed.getwidth()[1]) + _lookaround_width(parsed))
        object.__setattr__(
            self, "word_prefixes", frozenset(w[: PREFIX_LENGTHS[-1]] for w in self.words)
        )

    def weight_for(self, document: bool) -> float:
        """The weight in a document (retrieved content) or outside one."""
        if document or self.outside_document is None:
            return self.weight
        return self.outside_document

    def cued(self, view: str, prefixes: Optional[AbstractSet[str]] = None) -> bool:
        """True when ``view`` holds one of the cues (always, for a rule without cues).

        ``prefixes`` (``word_prefixes(view)``) makes ``words`` set look-ups; without it they
        are searched as substrings (a superset: the letters-only view has no word breaks).
        """
        if not self.cues and not self.words:
            return True
        if any(cue in view for cue in self.cues):
            return True
        if prefixes is not None:
            return not self.word_prefixes.isdisjoint(prefixes)
        return any(w in view for w in self.words)

    def finditer(
        self, view: str, prefixes: Optional[AbstractSet[str]] = None, *, cued: bool = False
    ) -> Iterator[Match[str]]:
        """Matches in ``view``; none at all when no cue occurs in it.

        ``prefixes`` (from ``word_prefixes(view)``) makes word cues set look-ups; ``cued``
        says the caller already knows a cue is present (a prefilter chose the rule).
        """
        if not self.cues and not self.words:
            return self.compiled.finditer(view)
        if not cued and not self.cued(view, prefixes):
            return iter(())
        if len(view) > 2 * self.reach + 64:
            return self._near_cues(view)
        return self.compiled.finditer(view)

    def _near_cues(self, view: str) -> Iterator[Match[str]]:
        # Every match contains a cue, and it and its look-arounds lie within ``reach`` of
        # that cue, so scanning windows around the cues finds the same matches as scanning
        # the whole (long) text.
        windows: List[Tuple[int, int]] = []
        reach = self.reach
        hop = reach // 4 + 1
        for cue in (*self.cues, *self.words):
            i = view.find(cue)
            while i != -1:
                j = view.find(cue, i + 1)
                if j != -1 and j - i < hop:
                    # Dense occurrences: one window covers all those in [i, i + hop), so
                    # a text made of the cue costs a step per window, not per occurrence.
                    windows.append((max(0, i - reach), i + hop + len(cue) + reach))
                    j = view.find(cue, i + hop)
                else:
                    windows.append((max(0, i - reach), i + len(cue) + reach))
                i = j
        windows.sort()
        # A window whose text is the same as earlier ones' holds the same matches (shifted):
        # in a text that repeats a trigger ("ignore ignore …", one phrase pasted 9,000 times)
        # only the first windows of each text are read. A match contains a cue and, with its
        # look-arounds, lies within ``reach`` of it, so every match is found in the window of
        # its cue; keeping ``_SAME_WINDOWS`` (the findings kept per rule) of each text keeps
        # the first findings the same as a scan of the whole text.
        seen: Dict[str, int] = {}
        distinct: List[Tuple[int, int]] = []
        for s, e in windows:
            key = view[s:e]
            n = seen.get(key, 0)
            if n < _SAME_WINDOWS:
                seen[key] = n + 1
                distinct.append((s, e))
        merged: List[Tuple[int, int]] = []
        for s, e in distinct:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        last = -1
        for s, e in merged:
            for m in self.compiled.finditer(view, s, min(e, len(view))):
                if m.start() >= last:  # windows never yield a match twice
                    last = m.end() if m.end() > m.start() else m.start() + 1
                    yield m
