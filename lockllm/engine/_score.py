"""Turn detector evidence into one risk, a label and categories.

Every detector contributes on its own scale: the text model and the segment model a
log-odds score, each rule its weight (by rule id and by category), the character language
model its gibberish score. A logistic *stacker*, fitted by ``scripts/train_engine.py`` on
out-of-fold scores with whole source repositories held out, weighs them into one risk.
Rule and category weights of the stacker are never negative, so evidence can only raise
the risk. One strong detector suffices: a *trusted* rule (one that all but never fires on
benign rows of the training data, or one the data never showed) also counts on its own,
mapped by ``rule_risk`` so that weight 0.8 reaches the medium threshold, 0.7 high and 0.9
low; unlike a noisy-OR under one threshold, a mid-strength rule is never hidden.

Thresholds per sensitivity live only in the weights file; ``THRESHOLDS`` reads them from
there on first use.
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    AbstractSet,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
)

from .._vocabulary import SENSITIVITIES
from ._model import LOGIT_CLIP, sigmoid

if TYPE_CHECKING:
    from ._evidence import Hit

__all__ = [
    "Assessment",
    "CATEGORIES",
    "assess",
    "LEVELS",
    "THRESHOLDS",
    "combine",
    "confidence",
    "rank",
    "rule_probability",
    "rule_risk",
    "stack_features",
    "stacked_risk",
    "thresholds",
    "trusted_max",
    "wrapper_strength",
]

LEVELS = SENSITIVITIES  # low, medium, high: spelled once, in lockllm._vocabulary

CATEGORIES = (
    "instruction_override",
    "jailbreak",
    "adversarial_suffix",
    "prompt_extraction",
    "tool_abuse",
    "indirect_injection",
    "data_exfiltration",
    "obfuscation",
)

# Categories shown when evidence for them reaches this weight.
_CATEGORY_FLOOR = 0.3
# A trusted rule counts on its own (as ``rule_trusted``) only when it is strong evidence: a
# mention such as "the DAN jailbreak" (0.5) or one zero-width character (0.35) must not
# flag a question about jailbreaks; weaker hits still count through their rule and category.
TRUSTED_FLOOR = 0.6


def thresholds() -> Dict[str, float]:
    """Risk (0..1) at or above which a text is unsafe, per sensitivity (from the weights)."""
    from ._model import get_model

    return get_model().thresholds


class _Thresholds(Mapping[str, float]):
    """Read-only view of ``thresholds()``; membership needs no weights (no load)."""

    def __getitem__(self, key: str) -> float:
        return thresholds()[key]

    def __contains__(self, key: object) -> bool:
        return key in LEVELS

    def __iter__(self) -> Iterator[str]:
        return iter(LEVELS)

    def __len__(self) -> int:
        return len(LEVELS)

    def __repr__(self) -> str:
        return repr(dict(self))


THRESHOLDS: Mapping[str, float] = _Thresholds()


def trusted_max(hits: Iterable[Hit], trusted: AbstractSet[str]) -> float:
    """Strongest weight among hits of *trusted* rules (rules that, in the training data,
    all but never fire on benign text) at or above ``TRUSTED_FLOOR``: the stacker weighs
    this as one strong detector."""
    best = 0.0
    for h in hits:
        if h.weight > best and h.weight >= TRUSTED_FLOOR and h.rule in trusted:
            best = h.weight
    return best


def stack_features(
    z_text: float,
    z_segment: float,
    document: bool,
    hits: Sequence[Hit],
    charlm: float = 0.0,
    trusted: AbstractSet[str] = frozenset(),
    wrapper: Optional[Mapping[str, float]] = None,
) -> Dict[str, float]:
    """The stacker's inputs for one text (the trainer builds them with this very function).

    ``z_text`` / ``z_segment`` are the models' raw scores (``-LOGIT_CLIP`` when absent),
    ``document`` says whether the text is (or looks like) retrieved content, ``hits`` are
    rule findings, ``charlm`` the gibberish score of ``_charlm``, ``trusted`` the rule
    ids counted by ``trusted_max`` and ``wrapper`` the wrapped-request cues of ``_harm``.
    """
    lo = -LOGIT_CLIP
    feats: Dict[str, float] = {
        "z_text": max(z_text, lo) - lo,
        # An instruction in its own line means more in retrieved content than from a user.
        "z_seg_doc": (max(z_segment, lo) - lo) if document else 0.0,
        "z_seg_user": 0.0 if document else max(z_segment, lo) - lo,
        "doc": 1.0 if document else 0.0,
        "charlm": charlm,
        "rule_trusted": trusted_max(hits, trusted),
    }
    for h in hits:
        for key in ("rule:" + h.rule, "cat:" + h.category):
            if h.weight > feats.get(key, 0.0):
                feats[key] = h.weight
    if wrapper:
        # A declined intent is evidence only with gibberish after it (a suffix attack).
        if "harm" in wrapper:
            feats["harm_charlm"] = wrapper["harm"] * charlm
        # One strong detector suffices: a wrapped-request cue counts like a trusted rule
        # (as stacker inputs of their own they cost other families recall at the same FPR).
        feats["rule_trusted"] = max(feats["rule_trusted"], wrapper_strength(wrapper))
    return feats


def wrapper_strength(wrapper: Mapping[str, float]) -> float:
    """Strongest wrapped-request cue of ``wrapper`` (``_harm.wrapper_features``) on the
    rules' weight scale (``_harm.WRAPPER_WEIGHTS``)."""
    from ._harm import WRAPPER_WEIGHTS

    return max((WRAPPER_WEIGHTS.get(k, 0.0) * v for k, v in wrapper.items()), default=0.0)


def rule_risk(weight: float, knots: Sequence[Tuple[float, float]]) -> float:
    """A trusted rule's weight on the risk scale: one strong rule flags on its own.

    ``knots`` map rule weights to risks, e.g. ``(0.7, t_high), (0.8, t_medium),
    (0.9, t_low)``: a rule of weight 0.8 flags at medium and above. Linear between knots,
    from 0 below the first, towards 1 above the last.
    """
    if not knots or weight <= 0.0:
        return 0.0
    pts = [(0.0, 0.0), *knots, (1.0, 1.0)]
    for (w0, r0), (w1, r1) in zip(pts, pts[1:]):
        if weight <= w1:
            return r0 + (r1 - r0) * (weight - w0) / max(w1 - w0, 1e-9)
    return 1.0


def stacked_risk(bias: float, weights: Mapping[str, float], feats: Mapping[str, float]) -> float:
    """The stacker's probability for ``feats`` (unknown features count zero)."""
    z = bias
    for key, value in feats.items():
        w = weights.get(key)
        if w is not None:
            z += w * value
    return sigmoid(z)


class Assessment(NamedTuple):
    """The shipped model's verdict on one text."""

    risk: float  # 0..1, compared with ``thresholds()``
    p_model: float  # the learned models alone (best of text and segment model)
    where: Tuple[int, int]  # view range of the most suspicious window or segment
    chunked: bool  # the text model read more than one window
    document: bool  # scored as retrieved content (hint, or inferred from its shape)
    floor: float = 0.0  # the risk one strong trusted rule or cue gives on its own


def assess(
    view: str, original: str, hits: Sequence[Hit], document: Optional[bool] = None
) -> Assessment:
    """Risk of one text from its normalised ``view``, the ``original`` and the rule hits.

    ``document``: ``True`` for retrieved content (``source="document"``, tool results),
    ``False`` for a user's own words, ``None`` to infer it from the text's shape. A hit of
    a rule the stacker was not trained with (a caller's own rule) counts as a trusted rule
    (from ``TRUSTED_FLOOR`` up).
    """
    from ._charlm import get_charlm
    from ._features import looks_like_document
    from ._harm import wrapper_features
    from ._model import get_model

    model = get_model()
    z_text, at_text, chunked = model.text_logit(view)
    z_seg, at_seg, _ = model.segment_logit(view)
    doc = looks_like_document(view) if document is None else document
    # The trainer may leave the gibberish score out of the stacker: then it is not computed.
    lm = get_charlm().score(original) if model.uses_charlm else 0.0
    trusted = model.trusted_rules
    unknown = {h.rule for h in hits if h.rule not in model.known_rules}
    if unknown:  # a rule the data never showed (new, or the caller's): its weight is all
        trusted = trusted | unknown
    feats = stack_features(z_text, z_seg, doc, hits, lm, trusted, wrapper_features(view))
    floor = rule_risk(feats["rule_trusted"], model.rule_knots)
    risk = max(stacked_risk(model.stack_bias, model.stack, feats), floor)
    where = at_text if z_text >= z_seg else at_seg
    return Assessment(risk, sigmoid(max(z_text, z_seg)), where, chunked, doc, floor)


def rule_probability(hits: Iterable[Hit], scale: float = 1.0, floor: float = 0.0) -> float:
    """Noisy-OR of the strongest weight of each distinct rule (weights below ``floor`` drop).

    Reported beside the risk (how much the rules alone suggest); the verdict comes from the
    stacker.
    """
    best: Dict[str, float] = {}
    for h in hits:
        if h.weight >= floor and h.weight > best.get(h.rule, 0.0):
            best[h.rule] = h.weight
    keep = 1.0
    for w in best.values():
        keep *= 1.0 - w * scale
    return 1.0 - keep


def combine(p_rules: float, p_model: float) -> float:
    """Risk from two probabilities when no stacker applies (a custom ``model=``)."""
    return p_rules + p_model - p_rules * p_model  # exact when either is 0


def confidence(risk: float, threshold: float) -> float:
    """0..100: how far the risk sits from the threshold, on the side of the label."""
    if risk >= threshold:
        margin = (risk - threshold) / max(1.0 - threshold, 1e-9)
    else:
        margin = (threshold - risk) / max(threshold, 1e-9)
    return round(50.0 + 50.0 * min(max(margin, 0.0), 1.0), 2)


def rank(hits: Iterable[Hit]) -> List[Tuple[str, float]]:
    """Categories ordered by their strongest evidence (at or above the floor)."""
    best: Dict[str, float] = {}
    for h in hits:
        if h.weight >= _CATEGORY_FLOOR and h.weight > best.get(h.category, 0.0):
            best[h.category] = h.weight
    return sorted(best.items(), key=lambda kv: (-kv[1], CATEGORIES.index(kv[0])))
