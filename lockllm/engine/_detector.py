"""The pieces a scan is made of: the text a detector is given, what it finds, the protocols.

A scan normalises the text once into a ``TextView`` and hands it to every ``Detector`` of
the scanner; each returns ``Finding`` records (a category, a weight, a span of the original
text and the id of what fired). The learned model is a detector too, and any object with a
``probability(text) -> float`` method (a ``Classifier``) can stand in for it.
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    AbstractSet,
    Callable,
    Iterable,
    List,
    Literal,
    NamedTuple,
    Optional,
    Protocol,
    Tuple,
    runtime_checkable,
)

if TYPE_CHECKING:
    from ._normalize import LetterIndex, Normalized

__all__ = ["Classifier", "Detector", "Finding", "Source", "SOURCES", "TextView"]

Source = Literal["user", "assistant", "system", "tool", "document"]
"""Where a text comes from. ``tool`` and ``document`` mark retrieved content (tool results,
function outputs, web pages, files), where instructions addressed to the assistant are
suspicious; ``system`` marks the application's own prompt (only strong evidence counts)."""

SOURCES: Tuple[str, ...] = ("user", "assistant", "system", "tool", "document")


class Finding(NamedTuple):
    """One piece of evidence, located in the original text.

    ``weight`` (0..1) is roughly the probability that a text showing it is an attack;
    ``rule`` is the id of the rule or detector that fired (it becomes ``Span.rule``).
    """

    start: int
    end: int
    category: str
    weight: float
    rule: str


class TextView:
    """A text as detectors see it: the original, its normalised view and the source hint.

    ``text`` is lower-cased and folded (look-alike letters, fullwidth forms, leetspeak,
    invisible characters removed); ``to_original`` maps a range of ``text`` back to the
    original string, which is where findings are located. ``depth`` is 0 for the scanned
    text and counts decodings for text found encoded inside it.
    """

    __slots__ = ("_budget", "_document", "_letters", "_letters_index", "_norm", "_prefixes",
                 "_rescan", "depth", "original", "source")  # fmt: skip

    def __init__(
        self,
        original: str,
        *,
        source: Optional[Source] = None,
        depth: int = 0,
        normalized: Optional[Normalized] = None,
        rescan: Optional[Callable[[TextView], List[Finding]]] = None,
        budget: Optional[List[int]] = None,
    ) -> None:
        if normalized is None:
            from ._normalize import normalize

            normalized = normalize(original)
        self.original = original
        self.source: Optional[Source] = source
        self.depth = depth
        self._norm = normalized
        self._rescan = rescan
        # Characters of decoded text, and nested scans, that one top-level scan may still
        # spend (shared by all its views): decoding never costs more than a multiple of the
        # input, and a text full of encoded runs is judged on the first ones.
        self._budget = budget if budget is not None else [2 * len(original) + _SLACK, _MAX_RESCANS]
        self._document: Optional[bool] = None
        self._letters: Optional[str] = None
        self._letters_index: Optional[LetterIndex] = None
        self._prefixes: Optional[AbstractSet[str]] = None

    @property
    def text(self) -> str:
        """The normalised view (lower case; see ``lockllm.engine`` for the folding)."""
        return self._norm.text

    @property
    def normalized(self) -> Normalized:
        """The normalisation record (counts of folded characters and the offset map)."""
        return self._norm

    def to_original(self, start: int, end: int) -> Tuple[int, int]:
        """Map a ``[start, end)`` range of ``text`` to a range of ``original``."""
        return self._norm.to_original(start, end)

    @property
    def document(self) -> bool:
        """True for retrieved content: a ``tool``/``document`` source, or a text shaped like
        an e-mail or web page when no source is given."""
        if self._document is None:
            if self.source in ("tool", "document"):
                self._document = True
            else:
                from ._evidence import document_context

                self._document = document_context(self.text)
        return self._document

    @property
    def word_prefixes(self) -> AbstractSet[str]:
        """The 3- to 6-letter prefixes of the Latin words of ``text`` (computed once)."""
        if self._prefixes is None:
            from ._rule import word_prefixes

            self._prefixes = word_prefixes(self.text)
        return self._prefixes

    def letters(self) -> str:
        """``text`` without ASCII non-letters (catches "i g n o r e" and "ig-no-re");
        computed once."""
        if self._letters is None:
            from ._normalize import letters_only

            self._letters = letters_only(self.text)
        return self._letters

    def letters_index(self) -> LetterIndex:
        """For each character of ``letters()``, its index in ``text``; computed once."""
        if self._letters_index is None:
            from ._normalize import letters_index

            self._letters_index = letters_index(self.text)
        return self._letters_index

    def rescan(self, decoded: str) -> List[Finding]:
        """Run the scanner's evidence detectors on ``decoded`` (text found encoded inside
        this one) and return their findings in ``decoded``'s coordinates.

        Nothing is returned when the nesting is too deep or the scan's decoding budget is
        spent, so nested encodings cost time linear in the input (``try_rescan`` tells
        that case apart).
        """
        return self.try_rescan(decoded) or []

    def rescans_left(self) -> bool:
        """Whether a ``try_rescan`` (not ``joined``) may still run, budget-wise."""
        return self._budget[1] > 0

    def try_rescan(self, decoded: str, joined: bool = False) -> Optional[List[Finding]]:
        """``rescan``, or ``None`` when ``decoded`` is left unread: the nesting is too deep,
        or the scan's budget of decoded characters or of rescans is spent. ``joined``: the
        text joins every run left over once a detector's runs are past the rescan count;
        such a rescan may draw on a reserve of as many rescans again."""
        budget = self._budget
        if self._rescan is None:
            return []
        if self.depth >= _MAX_DEPTH or budget[0] < len(decoded):
            return None
        if budget[1] <= (-_MAX_RESCANS if joined else 0):
            return None
        budget[0] -= len(decoded)
        budget[1] -= 1
        return self._rescan(self.nested(decoded))

    def nested(self, decoded: str, normalized: Optional[Normalized] = None) -> TextView:
        """A view of ``decoded`` one level deeper, sharing the budget and the re-scan."""
        return TextView(
            decoded,
            source=self.source,
            depth=self.depth + 1,
            normalized=normalized,
            rescan=self._rescan,
            budget=self._budget,
        )


_MAX_DEPTH = 3  # base64 in base64 in base64 is read; a fourth level is not
_MAX_RESCANS = 64
# Decoded characters a scan may re-scan beyond twice its length: the first windows of the
# named ciphers (five of 4,000 characters) fit however short the text; past the budget,
# what is left is reported unread (``_evidence``), so it must not be reached by a benign
# text.
_SLACK = 65536


@runtime_checkable
class Detector(Protocol):
    """Anything that finds evidence in a ``TextView``.

    ``name`` identifies the detector (it is the ``rule`` of findings that have no finer
    id); ``detect`` returns findings whose ``start``/``end`` index ``view.original`` and whose
    category is one of ``lockllm.engine.CATEGORIES``. A detector must not keep per-scan
    state: one scanner may serve many threads.
    """

    name: str

    def detect(self, view: TextView) -> Iterable[Finding]:
        """The evidence in ``view``."""
        ...


@runtime_checkable
class Classifier(Protocol):
    """A learned model: the probability (0..1) that ``text`` is an attack.

    The shipped model implements it, and so does ``OnnxClassifier``; pass any such object
    as ``LocalScanner(model=...)``. ``text`` is the original text of the scanned input (a
    classifier does its own tokenising, truncating or windowing).
    """

    def probability(self, text: str) -> float:
        """Probability that ``text`` is a prompt-injection attack."""
        ...
