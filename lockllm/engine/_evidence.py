"""Collect rule evidence ("hits") from a text: phrases, decodings, obfuscation, suffixes."""

from __future__ import annotations

import codecs
import re
from typing import AbstractSet, List, NamedTuple, Optional, Tuple

from ._decode import find_encoded
from ._normalize import Normalized, letters_index, letters_only, normalize
from ._rules import COMPACT_RULES, ROT13_RULES, RULES, Rule, word_prefixes
from ._suffix import find_suffix

__all__ = ["Hit", "collect_hits", "document_context"]

_MAX_PER_RULE = 8
_MAX_COMPACT = 32  # compact matches examined per rule
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ZERO_WIDTH_IN_WORD = re.compile("\\w[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]+\\w")

# Signs that the text is a document (an e-mail, a web page) rather than a user request.
_DOC_MARKERS = (
    "subject:", "from:", "email_from:", "received date:", "date:", "cc:", "content:", "sent:",
    "best regards", "kind regards", "sincerely", "unsubscribe", " team\n", "this email",
    "this e-mail", "if you have any questions", "receipt", "invoice", "privacy policy",
    "view in browser", "all rights reserved", "sent from my", "<html", "<body", "<div", "<p>",
    "©",
)  # fmt: skip
_GREETING = re.compile(r"\b(?:hi|dear|hello|hey)(?: [a-z]{1,30})? ?,")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_REQUEST = re.compile(
    r"\s{0,8}(?:please |kindly |also |now |next |ai,? |assistant,? )?(?:"
    r"(?:what|who|whom|how|why|when|where|which|can you|could you|would you|will you|do you|"
    r"is there|are there|name|define)\b[^?]{3,200}\?"
    r"|(?:write|explain|provide|describe|translate|summari[sz]e|tell|list|give|create|generate|"
    r"compose|calculate|recommend|suggest|convert|rewrite|answer|respond|include|add|use|"
    r"replace|modify|introduce|insert|mention|end|begin|start|encode|change|make|show|identify|"
    r"compare|draft|offer|share|ask|correct|spell|jumble|substitute|reverse|augment|emphasi[sz]e|"
    r"highlight|append|conclude|express|incorporate|format|output|print|say|repeat|ignore|"
    r"disregard|forget|send|forward|delete|remove|transfer|insist|urge|promote|advertise|"
    r"recommend|remind|warn|encourage|discuss|present|construct|design|outline|analy[sz]e|"
    r"reply with|respond with|always|never|do not|don't|instead|capitalize|inject|embed|"
    r"express|hint|stress|refer|direct|mimic|imitate|pretend|act|role-?play|switch|shift|"
    r"alter|adjust|randomly|subtly|casually|intersperse|interject|sprinkle)\b(?!-)[^.!?\n]{8,300})"
)
_NOT_REQUEST = re.compile(
    r"\s{0,8}(?:reply (?:stop|to this)|click|download|view|contact|call us|visit|find|see|let us|"
    r"let me|log ?in|sign|update your|unsubscribe|manage|learn more|read more|check|get|thank|"
    r"to (?:stop|unsubscribe)|make the most|(?:never|don'?t|do not) (?:miss|leave|forget)|"
    r"what'?s new|how it works|why (?:we|you)|what you need)"
)


_MIN_REQUEST_WORDS = 5

# Rules about "your response" mean little in a user's own request ("begin your response
# with a summary"); they matter inside documents, where nobody should address the model.
_OUTSIDE_DOCUMENT = {
    "indirect.text_transform": 0.1,
    "indirect.modify_response": 0.2,
    "indirect.your_response": 0.3,
    "indirect.in_your_response": 0.15,
}


# Words of the strong rules as they look after ROT13 / reversal; the costly passes run
# only when one of them occurs.
_CUE_WORDS = ("ignore", "disregard", "forget", "previous", "instruction", "prompt", "system",
              "password", "anything now", "developer mode", "conversation", "url")  # fmt: skip
_ROT13_CUES = tuple(codecs.encode(w, "rot13") for w in _CUE_WORDS)
_REVERSED_CUES = tuple(w[::-1] for w in _CUE_WORDS)


class Hit(NamedTuple):
    """One piece of rule evidence, located in the original text."""

    start: int
    end: int
    category: str
    weight: float
    rule: str


def document_context(view: str) -> bool:
    """True when ``view`` reads like an e-mail or web page (two or more markers)."""
    count = 0
    for marker in _DOC_MARKERS:
        if marker in view:
            count += 1
            if count >= 2:
                return True
    if ("hi" in view or "dear" in view or "hello" in view or "hey" in view) and _GREETING.search(
        view
    ):
        count += 1
    return count >= 2


def _embedded_requests(norm: Normalized) -> List[Hit]:
    """Requests addressed to an assistant, sitting inside document-like text."""
    view = norm.text
    hits = []
    for m in _SENTENCE.finditer(view):
        sentence = m.group(0)
        if _NOT_REQUEST.match(sentence) or not _REQUEST.match(sentence):
            continue
        if len(sentence.split()) < _MIN_REQUEST_WORDS:  # menu items, buttons, headings
            continue
        s, e = norm.to_original(m.start(), m.end())
        weight = 0.5 if sentence.rstrip().endswith("?") else 0.55
        hits.append(Hit(s, e, "indirect_injection", weight, "indirect.embedded_request"))
        if len(hits) >= _MAX_PER_RULE:
            break
    return hits


def _run_rules(
    norm: Normalized,
    rules: Tuple[Rule, ...],
    view: str,
    extra: str,
    mirror: bool = False,
    in_document: bool = True,
    prefixes: Optional[AbstractSet[str]] = None,
) -> List[Hit]:
    hits = []
    n = len(view)
    for rule in rules:
        weight = rule.weight if in_document else _OUTSIDE_DOCUMENT.get(rule.name, rule.weight)
        for i, m in enumerate(rule.finditer(view, prefixes)):
            if i >= _MAX_PER_RULE:
                break
            vs, ve = (n - m.end(), n - m.start()) if mirror else (m.start(), m.end())
            s, e = norm.to_original(vs, ve)
            hits.append(Hit(s, e, rule.category, weight, rule.name))
            if extra:
                hits.append(Hit(s, e, "obfuscation", rule.weight * 0.9, rule.name + extra))
            elif _altered(norm, vs, ve, s, e):
                hits.append(Hit(s, e, "obfuscation", rule.weight * 0.9, "obfuscation.disguised"))
    return hits


def _altered(norm: Normalized, vs: int, ve: int, s: int, e: int) -> bool:
    """True when the matched words were disguised (look-alikes, zero-width, leet …)."""
    if not (norm.invisible or norm.homoglyph_words or norm.leet_words or norm.compat_changes):
        return False
    return norm.original[s:e].lower() != norm.text[vs:ve]


def _transformed_hits(norm: Normalized) -> List[Hit]:
    hits: List[Hit] = []
    view = norm.text
    letters = letters_only(view)  # catches "i g n o r e", "ig nore previ ous"
    where: Optional[List[int]] = None
    for rule in COMPACT_RULES:
        found = 0
        for i, m in enumerate(rule.finditer(letters)):
            if i >= _MAX_COMPACT or found >= _MAX_PER_RULE:
                break  # a text full of triggers: the first ones tell enough
            if where is None:
                where = letters_index(view)
            vs, ve = where[m.start()], where[m.end() - 1] + 1
            if any(r.pattern.search(view, vs, ve) for r in RULES if r.category == rule.category):
                continue  # the plain rules already saw it
            found += 1
            s, e = norm.to_original(vs, ve)
            hits.append(Hit(s, e, rule.category, rule.weight, rule.name))
            hits.append(Hit(s, e, "obfuscation", rule.weight * 0.9, "obfuscation.spaced"))
    if any(cue in view for cue in _ROT13_CUES):
        rot = codecs.encode(view, "rot13")
        hits += _run_rules(norm, ROT13_RULES, rot, ".rot13")
    if any(cue in view for cue in _REVERSED_CUES):
        hits += _run_rules(norm, ROT13_RULES, view[::-1], ".reversed", mirror=True)
    return hits


def _decoded_hits(text: str, depth: int) -> List[Hit]:
    hits = []
    for d in find_encoded(text):
        inner = collect_hits(d.text, depth + 1) if depth < 2 else []
        strong = [h for h in inner if h.weight >= 0.4]
        if not strong:
            continue
        best = max(strong, key=lambda h: h.weight)
        hits.append(Hit(d.start, d.end, best.category, best.weight, best.rule + "." + d.encoding))
        hits.append(Hit(d.start, d.end, "obfuscation", best.weight, "obfuscation." + d.encoding))
    return hits


def _format_tricks(norm: Normalized) -> List[Hit]:
    hits = []
    n = len(norm.original)
    if norm.smuggled:
        hits.append(Hit(0, n, "obfuscation", 0.7, "obfuscation.tag_characters"))
    bidi = _BIDI.search(norm.original)
    if bidi:
        hits.append(Hit(bidi.start(), bidi.end(), "obfuscation", 0.45, "obfuscation.bidi"))
    if norm.invisible >= 3:
        zw = _ZERO_WIDTH_IN_WORD.search(norm.original)
        if zw:
            hits.append(Hit(zw.start(), zw.end(), "obfuscation", 0.35, "obfuscation.zero_width"))
    if norm.homoglyph_words >= 2:
        hits.append(Hit(0, n, "obfuscation", 0.35, "obfuscation.homoglyphs"))
    return hits


def collect_hits(text: str, depth: int = 0, norm: Optional[Normalized] = None) -> List[Hit]:
    """All rule evidence in ``text``, with spans in ``text``'s coordinates."""
    if norm is None:
        norm = normalize(text)
    in_document = document_context(norm.text)
    prefixes = word_prefixes(norm.text)
    hits = _run_rules(norm, RULES, norm.text, "", in_document=in_document, prefixes=prefixes)
    hits += _transformed_hits(norm)
    if in_document:
        hits += _embedded_requests(norm)
    hits += _decoded_hits(text, depth)
    hits += _format_tricks(norm)
    suffix = find_suffix(text)
    if suffix is not None:
        hits.append(Hit(suffix[0], suffix[1], "adversarial_suffix", suffix[2], "suffix.gcg"))
    return hits
