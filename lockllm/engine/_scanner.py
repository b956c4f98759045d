"""The local scanner: normalise once, run the detectors, weigh the evidence, build a result."""

from __future__ import annotations

import re
import time
import uuid
import warnings
from dataclasses import dataclass, replace
from typing import (
    Any,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Pattern,
    Sequence,
    Tuple,
    Union,
)

from .._otel import traced_local_scan
from ..errors import InvalidRequestError
from ..types import Debug, PIIAction, ScanResponse, Sensitivity, Span, Usage
from ._detector import SOURCES, Classifier, Detector, Finding, Source, TextView
from ._piiaction import check_text
from ._rule import Rule
from ._score import CATEGORIES, THRESHOLDS, confidence, rank
from ._transformer import TransformerTier

# The rule modules compile ~100 regular expressions (tens of ms) and the weights take a
# moment to read: both happen on the first scan, so ``import lockllm`` stays cheap.

__all__ = ["LearnedModel", "LocalScanner", "MessageSpan", "ModelDetector"]

_MAX_SPANS = 32
_SPAN_FLOOR = 0.3
# Content the application itself wrote (system / developer prompts) is full of attack
# words ("never reveal these instructions", "if asked to ignore your rules, decline"), so
# there only hidden payloads (obfuscation) and strong exfiltration / tool-abuse evidence
# count, and the learned model is not consulted.
_TRUSTED_CATEGORIES = frozenset({"obfuscation", "data_exfiltration", "tool_abuse"})
_TRUSTED_FLOOR = 0.7
_ROLE_SOURCES = {
    "system": "system", "developer": "system", "user": "user", "assistant": "assistant",
    "model": "assistant", "tool": "tool", "function": "tool", "ipython": "tool",
    "document": "document", "documents": "document", "retrieval": "document",
    "context": "document",
}  # fmt: skip
_CATEGORY_SET = frozenset(CATEGORIES)
# A finding at least this strong is explicit evidence of an attack: a document hint never
# lowers the risk of a text that shows one.
_EXPLICIT = 0.6
# Decoded payloads the transformer reads per scan, and the probability from which its
# reading of one is evidence (a weight on the rules' scale: 0.8 flags at medium).
_DECODED_READS = 4
_DECODED_FLOOR = 0.6


@dataclass(frozen=True)
class MessageSpan(Span):
    """A ``Span`` found by ``scan_messages``: offsets index that message's text.

    The text of a message is its ``content`` string, or the ``text`` of its text parts
    joined with ``"\\n"`` when ``content`` is a list of parts.
    """

    message_index: int = 0


def _fallback_category(view: TextView) -> str:
    if view.document:
        return "indirect_injection"
    return "jailbreak" if len(view.original) > 500 else "instruction_override"


class _Verdict(NamedTuple):
    risk: float
    p_model: float
    span: Tuple[int, int]  # original-text range the model found most suspicious
    chunked: bool


class LearnedModel:
    """The shipped model: word n-gram logistic regressions over windows and segments of
    the normalised text, stacked with the rule evidence, and (where onnxruntime is
    installed) the fine-tuned transformer tier, weighed with them by a calibrated
    combiner. Loaded once, on first use.

    ``transformer``: ``None`` uses the transformer tier when its runtime is installed
    (the default), ``False`` never (rules and linear models only: sub-millisecond scans),
    ``True`` requires it (``ConfigurationError`` when its runtime is missing).
    ``screen``: ``False`` reads every piece with the full model, not only those its screen
    finds suspicious.

    It is a ``Classifier`` (``probability``) and a ``Detector`` (``detect``); as the
    scanner's model it also weighs the other detectors' findings into the risk.
    """

    name = "model"

    def __init__(self, transformer: Optional[bool] = None, screen: bool = True) -> None:
        if transformer is not None and not isinstance(transformer, bool):
            raise InvalidRequestError(f"transformer must be True, False or None: {transformer!r}")
        if not isinstance(screen, bool):
            raise InvalidRequestError(f"screen must be True or False: {screen!r}")
        self._screen = screen
        if transformer:
            from ._transformer import runtime_available

            if not runtime_available():
                from .._install import install_hint
                from ..errors import ConfigurationError

                raise ConfigurationError(
                    "the transformer tier needs onnxruntime, tokenizers and numpy: "
                    + install_hint("onnx")
                )
        self._want = transformer

    @property
    def tier(self) -> Optional[TransformerTier]:
        """The transformer tier this model uses, or ``None`` (rules and linear models)."""
        if self._want is False:
            return None
        from ._transformer import shared_tier

        return shared_tier(self._screen)

    def probability(self, text: str) -> float:
        """Probability that ``text`` is an attack, from the learned models alone (the
        transformer's when it runs, else the linear text model's)."""
        from ._model import get_model
        from ._normalize import normalize

        tier = self.tier
        if tier is not None:
            return tier.probability(text)
        return get_model().probability(normalize(text).text)

    def detect(self, view: TextView) -> List[Finding]:
        """One finding: the most suspicious window or segment, at the model's probability."""
        v = self.verdict(view, [])
        return [Finding(v.span[0], v.span[1], _fallback_category(view), v.p_model, self.name)]

    def verdict(self, view: TextView, evidence: Sequence[Finding]) -> _Verdict:
        """Risk of ``view`` given the evidence of the other detectors."""
        from ._features import looks_like_document
        from ._score import assess

        hint = {"tool": True, "document": True, "user": False}.get(view.source or "")
        a = assess(view.text, view.original, evidence, hint)
        if a.document and any(f.weight >= _EXPLICIT for f in evidence):
            # The stacker weighs "this is a document" against the risk (benign documents
            # are full of imperatives), which lowered explicit attacks planted in one (a
            # "new instruction to the language model" went from 64 to 32 with
            # source="document"): with rule evidence, retrieved content scores at least
            # what the same text with the same evidence scores as a message.
            b = assess(view.text, view.original, evidence, False)
            if b.risk > a.risk:
                a = b
        span = view.to_original(*a.where) if view.text else (0, 0)
        tier = self.tier
        if tier is not None and view.text:
            tier.load()
            if tier.combiner is not None:
                # The suspects (a second pass of the segment model) only for long texts.
                p = tier.read(view.original, lambda: _suspects(view, evidence, tier.max_pieces))
                if p is not None:  # None: nothing the model can read; the rules decide
                    # The combiner was fitted on the rules' risk with the document shape
                    # inferred from the text, so a source hint does not move its input (a
                    # "document" hint had pushed a reworded override down to 26).
                    base = a
                    if hint is not None and a.document != looks_like_document(view.text):
                        base = assess(view.text, view.original, evidence, None)
                    risk = max(tier.combiner.risk(base.risk, p), a.floor, base.floor)
                    return _Verdict(risk, p, span, a.chunked)
        return _Verdict(a.risk, a.p_model, span, a.chunked)

    def verdicts(
        self, view: TextView, flagging: Sequence[Finding], evidence: Optional[Sequence[Finding]]
    ) -> Tuple[_Verdict, _Verdict]:
        """The verdict on the flagging evidence, and on all of it when ``evidence`` is given
        (the stacker weighs the evidence, so that takes a second pass)."""
        first = self.verdict(view, flagging)
        return first, first if evidence is None else self.verdict(view, evidence)


def _wordy(text: str) -> bool:
    """Whether decoded ``text`` reads as words (most of it letters), not another encoding
    (Morse dots, digits) that only the decoders can read."""
    letters = sum(1 for c in text if c.isalpha())
    return 2 * letters >= len(text) - text.count(" ")


def _suspects(view: TextView, evidence: Sequence[Finding], k: int) -> List[Tuple[int, int]]:
    """Ranges of ``view.original`` worth reading on their own, most suspicious first: the
    strongest findings, then the lines and sentences the segment model ranks highest."""
    from ._model import get_model

    out: List[Tuple[int, int]] = []
    for f in sorted(evidence, key=lambda f: -f.weight)[:k]:
        if f.weight >= _SPAN_FLOOR and f.end > f.start:
            out.append((f.start, f.end))
    for s, e in get_model().segment_ranking(view.text, k):
        out.append(view.to_original(s, e))
    return out


class ModelDetector:
    """Any ``Classifier`` used as a detector: one finding over the whole text, weighted by
    the classifier's probability (put it in ``detectors=`` to add a model's opinion as
    evidence, or pass the classifier as ``model=`` to replace the learned model).
    """

    def __init__(
        self, model: Classifier, *, name: str = "model", category: Optional[str] = None
    ) -> None:
        if not isinstance(model, Classifier):
            raise InvalidRequestError("model must have a probability(text) -> float method")
        if category is not None and category not in _CATEGORY_SET:
            raise InvalidRequestError(f"unknown category {category!r}")
        self.model = model
        self.name = name
        self.category = category

    def probability(self, text: str) -> float:
        """The classifier's probability for ``text``, checked to be a number in 0..1."""
        p = self.model.probability(text)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self.model).__name__}.probability returned {p!r}, not 0..1")
        return float(p)

    def detect(self, view: TextView) -> List[Finding]:
        """One finding over the whole text."""
        p = self.probability(view.original)
        category = self.category or _fallback_category(view)
        return [Finding(0, len(view.original), category, p, self.name)]

    def verdict(self, view: TextView, evidence: Sequence[Finding]) -> _Verdict:
        """Rules and classifier combined: an attack only needs to convince one of them."""
        from ._score import combine, rule_probability

        p = self.probability(view.original)
        from ._features import chunk_bounds

        chunked = len(chunk_bounds(len(view.text))) > 1
        return _Verdict(combine(rule_probability(evidence), p), p, (0, len(view.original)), chunked)

    def verdicts(
        self, view: TextView, flagging: Sequence[Finding], evidence: Optional[Sequence[Finding]]
    ) -> Tuple[_Verdict, _Verdict]:
        """The verdict on the flagging evidence, and on all of it when ``evidence`` is given;
        the classifier runs once either way (a transformer costs milliseconds a call)."""
        from ._score import combine, rule_probability

        first = self.verdict(view, flagging)
        if evidence is None:
            return first, first
        p = first.p_model
        return first, first._replace(risk=combine(rule_probability(evidence), p))


_Model = Union[LearnedModel, ModelDetector]
_shared_model = LearnedModel()


class _Analysis(NamedTuple):
    risk: float  # from the categories that may flag
    full_risk: float  # from every category (decides whether categories are reported)
    p_model: float
    model_span: Optional[Finding]  # the model's finding when it counts
    evidence: Tuple[Finding, ...]
    chunked: bool
    inference_ms: float


def _message_text(message: Mapping[str, Any], index: int) -> str:
    if not isinstance(message, Mapping):
        raise InvalidRequestError(f"messages[{index}] must be a mapping, not {type(message)}")
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    raise InvalidRequestError(f"messages[{index}].content must be a string or a list of parts")


def _is_message_list(obj: object) -> bool:
    return isinstance(obj, Sequence) and not isinstance(obj, (str, bytes))


def _check_sensitivity(sensitivity: object) -> Sensitivity:
    if not isinstance(sensitivity, str) or sensitivity not in THRESHOLDS:
        raise InvalidRequestError(
            f"sensitivity must be 'low', 'medium' or 'high', not {sensitivity!r}"
        )
    return sensitivity  # type: ignore[return-value]


def _check_source(source: object) -> Optional[Source]:
    if source is not None and source not in SOURCES:
        raise InvalidRequestError(f"source must be one of {', '.join(SOURCES)} or None")
    return source  # type: ignore[return-value]


def _allow_patterns(allow: object) -> Tuple[Pattern[str], ...]:
    if isinstance(allow, (str, re.Pattern)):
        allow = (allow,)
    if not isinstance(allow, Iterable):
        raise InvalidRequestError("allow must be a sequence of strings or compiled patterns")
    phrases: List[str] = []
    patterns: List[Pattern[str]] = []
    for item in allow:
        if isinstance(item, str):
            if item.strip():
                phrases.append(item)
        elif isinstance(item, re.Pattern) and isinstance(item.pattern, str):
            patterns.append(item)
        else:
            raise InvalidRequestError(f"allow entries must be str or compiled patterns: {item!r}")
    if phrases:  # one case-insensitive alternation of literals, longest first
        ordered = sorted(set(phrases), key=lambda p: (-len(p), p))
        patterns.insert(0, re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE))
    return tuple(patterns)


def _categories(categories: object) -> Optional[FrozenSet[str]]:
    if categories is None:
        return None
    if isinstance(categories, str) or not isinstance(categories, Iterable):
        raise InvalidRequestError("categories must be a sequence of category names")
    chosen = frozenset(categories)
    unknown = sorted(str(c) for c in chosen - _CATEGORY_SET)
    if unknown:
        raise InvalidRequestError(
            f"unknown categories: {', '.join(unknown)}; known: {', '.join(CATEGORIES)}"
        )
    return chosen


def _checked(detector: Detector, found: Iterable[Any], n: int) -> List[Finding]:
    """Findings of a caller's detector, each checked (a clear error beats a wrong verdict)."""
    out: List[Finding] = []
    name = getattr(detector, "name", type(detector).__name__)
    for f in found:
        if not isinstance(f, Finding):
            f = Finding(*f)  # a plain 5-tuple
        if f.category not in _CATEGORY_SET:
            raise ValueError(f"detector {name!r} returned an unknown category {f.category!r}")
        if not 0.0 <= f.weight <= 1.0 or not 0 <= f.start <= f.end <= n:
            raise ValueError(f"detector {name!r} returned a bad finding {tuple(f)!r}")
        out.append(f)
    return out


class LocalScanner:
    """Offline prompt-injection scanner: a pipeline of detectors and a learned model.

    ``LocalScanner(sensitivity="medium", *, threshold=None, allow=(), rules=(),
    categories=None, detectors=None, model=None)``:

    - ``sensitivity``: ``"low"``, ``"medium"`` or ``"high"``, used when a call names none;
      each level's risk threshold comes from the shipped weights file.
    - ``threshold``: an injection score (0-100) at or above which a text is unsafe,
      overriding the sensitivity's threshold.
    - ``allow``: strings (matched case-insensitively) or compiled patterns whose matches
      never count as evidence: an app's own system-prompt phrases, a product name.
    - ``rules``: extra ``Rule`` records, run with the shipped phrase rules.
    - ``categories``: the categories that may flag; evidence of the others is still
      reported (``categories`` and ``spans``) but never makes a text unsafe.
    - ``detectors``: replace the default list (``lockllm.engine.default_detectors()``).
    - ``model``: replace the learned model by any ``Classifier`` (``probability(text)``);
      its probability and the rules combine as "either one convinced".
    - ``transformer``: ``None`` (default) reads texts with the shipped transformer tier
      too wherever onnxruntime, tokenizers and numpy are installed; ``False`` runs the
      rules and linear models only (sub-millisecond scans of ordinary text); ``True``
      requires the tier (``ConfigurationError`` when its runtime is missing).
    - ``screen``: ``True`` (default) reads each window of a text with the transformer's
      two-layer screen first, and with the full six-layer model only where the screen
      finds it at all suspicious; ``False`` reads every window with the full model: about
      three times the cost on ordinary text, for the few attacks the screen passes over.

    Results are ``ScanResponse`` objects with ``source="local"``, the ``categories`` that
    fired and ``spans`` (with the ``rule`` that produced each) indexing the original
    input. Instances hold no per-scan state, so one scanner may serve many threads.
    Bad options raise ``InvalidRequestError`` (a ``ValueError``).
    """

    def __init__(
        self,
        sensitivity: Sensitivity = "medium",
        *,
        threshold: Optional[float] = None,
        allow: Iterable[Union[str, Pattern[str]]] = (),
        rules: Sequence[Rule] = (),
        categories: Optional[Iterable[str]] = None,
        detectors: Optional[Sequence[Detector]] = None,
        model: Optional[Classifier] = None,
        default_sensitivity: Optional[Sensitivity] = None,
        transformer: Optional[bool] = None,
        screen: bool = True,
    ) -> None:
        if default_sensitivity is not None:
            warnings.warn(
                "LocalScanner(default_sensitivity=...) is deprecated; pass the sensitivity "
                "as the first argument: LocalScanner('low')",
                DeprecationWarning,
                stacklevel=2,
            )
            sensitivity = default_sensitivity
        self._default: Sensitivity = _check_sensitivity(sensitivity)
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not 0.0 <= threshold <= 100.0
        ):
            raise InvalidRequestError(f"threshold must be a number from 0 to 100: {threshold!r}")
        self._threshold = None if threshold is None else float(threshold) / 100.0
        self._allow = _allow_patterns(allow)
        if isinstance(rules, Rule) or not all(isinstance(r, Rule) for r in rules):
            raise InvalidRequestError("rules must be a sequence of lockllm.engine.Rule records")
        self._flagging = _categories(categories)
        from ._evidence import PhraseRules, default_detectors

        self._extra_rules: Tuple[Rule, ...] = tuple(rules)
        self._detector_list: Optional[Tuple[Detector, ...]] = None
        try:
            if detectors is None:
                # The shipped rules are compiled on the first scan, not here (unless extra
                # rules must be checked against them now).
                chosen: Optional[List[Detector]] = (
                    default_detectors(self._extra_rules) if rules else None
                )
            else:
                given: object = detectors
                if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
                    raise InvalidRequestError("detectors must be a sequence of Detector objects")
                chosen = list(given)
                for d in chosen:
                    if not isinstance(d, Detector):
                        raise InvalidRequestError(
                            f"{d!r} is not a Detector (it needs a name and detect(view))"
                        )
                if rules:
                    chosen.append(PhraseRules(tuple(rules)))
        except ValueError as error:  # e.g. an extra rule repeating a shipped rule's id
            if isinstance(error, InvalidRequestError):
                raise
            raise InvalidRequestError(str(error)) from None
        if chosen is not None:
            self._set_detectors(chosen)
        if model is not None and transformer is not None:
            raise InvalidRequestError("pass model= or transformer=, not both")
        if not isinstance(screen, bool):
            raise InvalidRequestError(f"screen must be True or False: {screen!r}")
        if model is not None and not screen:
            raise InvalidRequestError("screen= applies to the shipped transformer, not to model=")
        self._model: _Model
        if model is not None:
            self._model = ModelDetector(model)
        elif transformer is None and screen:
            self._model = _shared_model
        else:
            self._model = LearnedModel(transformer, screen=screen)

    def _set_detectors(self, chosen: Sequence[Detector]) -> Tuple[Detector, ...]:
        from ._evidence import PhraseRules

        detectors = tuple(chosen)
        self._shipped = frozenset(
            i for i, d in enumerate(detectors) if type(d).__module__ == PhraseRules.__module__
        )
        self._detector_list = detectors
        return detectors

    @property
    def sensitivity(self) -> Sensitivity:
        """Sensitivity used when a call does not name one."""
        return self._default

    @property
    def default_sensitivity(self) -> Sensitivity:
        """Deprecated name of ``sensitivity``."""
        return self._default

    @property
    def detectors(self) -> Tuple[Detector, ...]:
        """The evidence detectors, in the order they run (the model comes after them)."""
        detectors = self._detector_list
        if detectors is None:  # a benign race: two threads may build equal lists
            from ._evidence import default_detectors

            detectors = self._set_detectors(default_detectors(self._extra_rules))
        return detectors

    def _threshold_for(self, level: Sensitivity) -> float:
        return THRESHOLDS[level] if self._threshold is None else self._threshold

    def _evidence(self, view: TextView) -> List[Finding]:
        found: List[Finding] = []
        n = len(view.original)
        for i, det in enumerate(self.detectors):
            out = det.detect(view)
            found.extend(out if i in self._shipped else _checked(det, out, n))
        return found

    def _masked(self, text: str) -> str:
        if not self._allow:
            return text
        chars: Optional[List[str]] = None
        for pattern in self._allow:
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    if chars is None:
                        chars = list(text)
                    chars[m.start() : m.end()] = " " * (m.end() - m.start())
        return text if chars is None else "".join(chars)

    def _decoded_evidence(self, view: TextView, reads: List[int]) -> List[Finding]:
        """Evidence in text found encoded inside the scanned one: the detectors' findings,
        and, when they hold no explicit evidence, the transformer's reading of the decoded
        text (at most ``reads[0]`` more decoded texts per scan), so an encoded reworded
        request is caught too."""
        found = self._evidence(view)
        tier = self._model.tier if isinstance(self._model, LearnedModel) else None
        explicit = any(f.weight >= _EXPLICIT for f in found)  # the rules caught it already
        explicit = explicit or not _wordy(view.original)
        if tier is not None and not explicit and reads[0] > 0 and len(view.original.strip()) >= 12:
            reads[0] -= 1
            p = tier.probability(view.original)  # 0.0 when the model cannot read it
            if p >= _DECODED_FLOOR:
                weight = round(min(0.95, p), 4)
                found.append(Finding(0, len(view.original), "obfuscation", weight, "model.decoded"))
        return found

    def _analyse(self, text: str, source: Optional[Source]) -> _Analysis:
        reads = [_DECODED_READS]
        view = TextView(
            self._masked(text), source=source, rescan=lambda v: self._decoded_evidence(v, reads)
        )
        evidence = self._evidence(view)
        if source == "system":
            evidence = [
                f
                for f in evidence
                if f.weight >= _TRUSTED_FLOOR and f.category in _TRUSTED_CATEGORIES
            ]
            from ._score import rule_probability

            risk = rule_probability(evidence)
            flagging = [f for f in evidence if self._may_flag(f.category)]
            return _Analysis(
                rule_probability(flagging), risk, 0.0, None, tuple(evidence), False, 0.0
            )
        flagging = [f for f in evidence if self._may_flag(f.category)]
        t0 = time.perf_counter()
        needs_full = self._flagging is not None and len(flagging) < len(evidence)
        verdict, full = self._model.verdicts(view, flagging, evidence if needs_full else None)
        inference_ms = (time.perf_counter() - t0) * 1000.0
        category = (
            max(evidence, key=lambda f: f.weight).category if evidence else _fallback_category(view)
        )
        risk, p_model = verdict.risk, verdict.p_model
        if not self._may_flag(category):
            # The model's own say cannot flag a text in a category that may not flag.
            risk = self._rules_only(flagging)
        s, e = verdict.span
        model_span = Finding(s, e, category, full.p_model, self._model.name)
        return _Analysis(
            risk, full.risk, p_model, model_span, tuple(evidence), full.chunked, inference_ms
        )

    @staticmethod
    def _rules_only(flagging: Sequence[Finding]) -> float:
        from ._score import rule_probability

        return rule_probability(flagging)

    def _may_flag(self, category: str) -> bool:
        return self._flagging is None or category in self._flagging

    @traced_local_scan
    def scan(
        self,
        input: str,
        sensitivity: Optional[Sensitivity] = None,
        *,
        source: Optional[Source] = None,
        pii_action: Optional[PIIAction] = None,
    ) -> ScanResponse:
        """Scan one text. ``source`` says where it comes from (``"user"``, ``"assistant"``,
        ``"system"``, ``"tool"`` or ``"document"``; ``None``: inferred from its shape).

        ``pii_action`` (``"strip"``, ``"block"``, ``"allow_with_warning"``) also looks for
        personal data and secrets, as the service does: the answer's ``pii_result`` says
        what was found (with ``redacted_input`` under ``strip``); under ``block`` a finding
        raises ``PIIDetectedError``.

        Raises ``InvalidRequestError`` for non-str input or an unknown sensitivity/source.
        """
        level = _check_sensitivity(self._default if sensitivity is None else sensitivity)
        hint = _check_source(source)
        if not isinstance(input, str):
            raise InvalidRequestError(f"input must be a str, not {type(input).__name__}")
        pii = None if pii_action is None else check_text(input, pii_action)  # block raises
        started = time.perf_counter()
        threshold = self._threshold_for(level)
        if not input.strip():
            empty = _response(level, threshold, 0.0, False, (), (), len(input), started, 0.0, False)
            return empty if pii is None else replace(empty, pii_result=pii)
        analysis = self._analyse(input, hint)
        unsafe = analysis.risk >= threshold
        result = _response(
            level, threshold, analysis.risk, unsafe, _result_categories(analysis, threshold),
            tuple(_spans(analysis, threshold)), len(input), started, analysis.inference_ms,
            analysis.chunked,
        )  # fmt: skip
        return result if pii is None else replace(result, pii_result=pii)

    def scan_many(
        self,
        texts: Iterable[str],
        sensitivity: Optional[Sensitivity] = None,
        *,
        source: Optional[Source] = None,
    ) -> List[ScanResponse]:
        """Scan each of ``texts``; the results come in the same order."""
        if isinstance(texts, (str, bytes)) or not isinstance(texts, Iterable):
            raise InvalidRequestError("texts must be a sequence of strings, not one string")
        return [self.scan(text, sensitivity, source=source) for text in texts]

    @traced_local_scan
    def scan_messages(
        self, messages: Sequence[Mapping[str, Any]], sensitivity: Optional[Sensitivity] = None
    ) -> ScanResponse:
        """Scan a chat transcript, role-aware; the verdict is that of the riskiest message.

        Each message's role becomes its source: ``system``/``developer`` count only strong
        evidence; ``tool``/``function`` results and ``document`` content are retrieved
        content. ``spans`` are ``MessageSpan`` objects: offsets index the text of the
        message named by ``message_index``.
        """
        level = _check_sensitivity(self._default if sensitivity is None else sensitivity)
        if not _is_message_list(messages):
            raise InvalidRequestError("messages must be a sequence of mappings")
        started = time.perf_counter()
        threshold = self._threshold_for(level)
        risk, inference_ms, chunked, chars = 0.0, 0.0, False, 0
        categories: List[str] = []
        spans: List[Span] = []
        for index, message in enumerate(messages):
            text = _message_text(message, index)
            chars += len(text)
            if not text.strip():
                continue
            role = str(message.get("role", "user")).lower()
            analysis = self._analyse(text, _ROLE_SOURCES.get(role))  # type: ignore[arg-type]
            inference_ms += analysis.inference_ms
            chunked = chunked or analysis.chunked
            risk = max(risk, analysis.risk)
            for cat in _result_categories(analysis, threshold):
                if cat not in categories:
                    categories.append(cat)
            for sp in _spans(analysis, threshold):
                spans.append(_message_span(sp, index))
        return _response(
            level, threshold, risk, risk >= threshold, tuple(categories),
            tuple(spans[:_MAX_SPANS]), chars, started, inference_ms, chunked,
        )  # fmt: skip


def _message_span(span: Span, index: int) -> MessageSpan:
    return MessageSpan(
        start=span.start,
        end=span.end,
        category=span.category,
        score=span.score,
        rule=span.rule,
        message_index=index,
    )


def _result_categories(analysis: _Analysis, threshold: float) -> Tuple[str, ...]:
    """Categories are reported when the evidence, all categories counted, would flag."""
    if analysis.full_risk < threshold:
        return ()
    cats = [c for c, _ in rank(analysis.evidence)]
    if not cats and analysis.model_span is not None:
        cats = [analysis.model_span.category]
    return tuple(cats)


def _spans(analysis: _Analysis, threshold: float) -> List[Span]:
    """Evidence at or above the floor, and the model's window when it decided and no
    finding of its category lies there; findings of one category that overlap are merged
    into one span (named after the strongest)."""
    picked = [f for f in analysis.evidence if f.weight >= _SPAN_FLOOR]
    m = analysis.model_span
    # The model's window is shown as evidence only when the verdict it fed is unsafe.
    if (
        m is not None
        and m.weight >= threshold
        and analysis.full_risk >= threshold
        and m.end > m.start
    ):
        from ._score import rule_probability

        # The model's window is coarse: where a finding of its category lies inside it,
        # that finding's precise span stands for both.
        if m.weight >= rule_probability(analysis.evidence) and not any(
            f.category == m.category and f.start < m.end and m.start < f.end for f in picked
        ):
            picked.append(m)
    picked.sort(key=lambda f: (f.start, -f.weight))
    merged: List[List[Any]] = []  # [start, end, category, weight, rule]
    latest: Dict[str, int] = {}
    # Sorted by start, the merged spans of one category are disjoint and ordered: a new
    # finding can only overlap the latest span of its category.
    for f in picked:
        i = latest.get(f.category)
        if i is not None and f.start < merged[i][1]:
            sp = merged[i]
            sp[1] = max(sp[1], f.end)
            if f.weight > sp[3]:
                sp[3], sp[4] = f.weight, f.rule
        else:
            latest[f.category] = len(merged)
            merged.append([f.start, f.end, f.category, f.weight, f.rule])
    merged.sort(key=lambda sp: (sp[0], sp[1], sp[2]))
    return [
        Span(start=s, end=e, category=c, score=round(w * 100.0, 2), rule=r)
        for s, e, c, w, r in merged[:_MAX_SPANS]
    ]


def _response(
    level: Sensitivity,
    threshold: float,
    risk: float,
    unsafe: bool,
    categories: Tuple[str, ...],
    spans: Tuple[Span, ...],
    chars: int,
    started: float,
    inference_ms: float,
    chunked: bool,
) -> ScanResponse:
    return ScanResponse(
        safe=not unsafe,
        label=1 if unsafe else 0,
        confidence=confidence(risk, threshold),
        injection=round(risk * 100.0, 2),
        sensitivity=level,
        request_id=f"local-{uuid.uuid4().hex}",
        usage=Usage(requests=1, input_chars=chars),
        debug=Debug(
            duration_ms=round((time.perf_counter() - started) * 1000.0, 3),
            inference_ms=round(inference_ms, 3),
            mode="chunked" if chunked else "single",
        ),
        categories=categories,
        spans=spans,
        source="local",
    )
