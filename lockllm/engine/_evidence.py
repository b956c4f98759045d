"""The shipped evidence detectors: phrase rules, spaced-out words, ciphers, encoded runs,
formatting tricks, requests planted in documents and adversarial suffixes.

Each is a ``Detector``: ``detect(view)`` returns ``Finding`` records located in the
original text. ``default_detectors()`` lists them in the order the scanner runs them;
``collect_hits`` runs them on one text (the trainer and the decoders' re-scan use it).
"""

from __future__ import annotations

import codecs
import re
from typing import AbstractSet, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from ._decode import Decoded as _Run
from ._decode import find_ciphered, find_encoded, find_spread, find_unmarked
from ._detector import Detector, Finding, TextView
from ._normalize import LetterIndex, Normalized
from ._rule import Rule
from ._suffix import find_suffix

__all__ = [
    "Ciphers",
    "Deciphered",
    "Decoded",
    "DisguisedRequest",
    "EmbeddedRequests",
    "FormatTricks",
    "Hit",
    "PhraseRules",
    "SpacedOut",
    "Spread",
    "Suffix",
    "Unmarked",
    "collect_hits",
    "default_detectors",
    "document_context",
]

Hit = Finding  # the name the scorer and the trainer use

_MAX_PER_RULE = 8
_MAX_SPACED = 32  # spaced-out matches examined per rule
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

# Words of the strong rules as they look after ROT13 / reversal; the costly passes run
# only when one of them occurs.
_CUE_WORDS = ("ignore", "disregard", "forget", "previous", "instruction", "prompt", "system",
              "password", "anything now", "developer mode", "conversation", "url")  # fmt: skip
# Looked up among the text's word prefixes (the first word of each cue, six letters at
# most): a set look-up each instead of a scan of the text.
_ROT13_CUES = frozenset(codecs.encode(w, "rot13").split()[0][:6] for w in _CUE_WORDS)
_REVERSED_CUES = frozenset(w[::-1].split()[0][:6] for w in _CUE_WORDS)


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


def _altered(norm: Normalized, vs: int, ve: int, s: int, e: int) -> bool:
    """True when the matched words were disguised (look-alikes, zero-width, leet …)."""
    if not (norm.invisible or norm.homoglyph_words or norm.leet_words or norm.compat_changes):
        return False
    return norm.original[s:e].lower() != norm.text[vs:ve]


_INNER_WORD = re.compile(r"(?<= )[a-z]{2,}")
# Marks from rarest to commonest in ordinary text: a cue is gated by its rarest mark.
_MARK_ORDER = "|`~^{}\\<>[]#=@*$%&+_:;!?/()-.,'\" "


def _gate(cue: str) -> Tuple[str, str]:
    """What must hold wherever ``cue`` occurs, cheaper to test than a search for it.

    ``("word", p)``: a Latin word inside the cue after a space starts a word there, so its
    prefix ``p`` is among the text's word prefixes; ``("char", c)``: the cue's rarest mark
    occurs in the text; ``("", "")``: nothing cheaper than the search.
    """
    inner: List[str] = _INNER_WORD.findall(cue)
    if inner:
        return "word", max(inner, key=len)[:6]
    marks = [ch for ch in cue if ch in _MARK_ORDER]
    if marks:
        return "char", min(marks, key=_MARK_ORDER.index)
    return "", ""


class PhraseRules:
    """The phrase rules over the normalised view, chosen by one prefilter pass.

    The prefilter looks each rule's word cues up among the text's word prefixes and its
    other cues among the substrings found once per text; only the rules with a cue present
    run. ``prefilter=False`` runs every rule on the whole text (same findings, slower).
    """

    name = "rules"

    def __init__(self, rules: Optional[Sequence[Rule]] = None, *, prefilter: bool = True) -> None:
        if rules is None:
            from ._rules import RULES

            rules = RULES
        self.rules: Tuple[Rule, ...] = tuple(rules)
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(dup)}")
        self.prefilter = prefilter
        self._always: List[int] = []
        self._by_word: Dict[str, List[int]] = {}
        by_substring: Dict[str, List[int]] = {}
        for i, rule in enumerate(self.rules):
            if not rule.cues and not rule.words:
                self._always.append(i)
            for w in rule.word_prefixes:
                self._by_word.setdefault(w, []).append(i)
            for c in rule.cues:
                by_substring.setdefault(c, []).append(i)
        # A substring cue is searched for only when it can occur: a cue in another script
        # never occurs in an ASCII text, a cue with a word inside it ("no longer", " mode")
        # only where that word starts a word (a set look-up), a cue with a mark ("<!--",
        # "](") only in a text holding that mark.
        self._word_cues = frozenset(self._by_word)
        self._by_substring: List[Tuple[str, Tuple[str, str], bool, List[int]]] = [
            (cue, _gate(cue), cue.isascii(), idx) for cue, idx in by_substring.items()
        ]

    def selected(self, view: TextView) -> List[Rule]:
        """The rules whose cues occur in ``view`` (all of them without the prefilter)."""
        if not self.prefilter:
            return list(self.rules)
        text = view.text
        prefixes = view.word_prefixes
        chosen = set(self._always)
        by_word = self._by_word
        for word in self._word_cues.intersection(prefixes):
            chosen.update(by_word[word])
        ascii_text = text.isascii()
        marks: Optional[AbstractSet[str]] = None
        for cue, (kind, key), ascii_cue, idx in self._by_substring:
            if ascii_text and not ascii_cue:
                continue
            if kind == "word" and key not in prefixes:
                continue
            if kind == "char":
                if marks is None:
                    marks = set(text)
                if key not in marks:
                    continue
            if cue in text:
                chosen.update(idx)
        return [self.rules[i] for i in sorted(chosen)]

    def detect(self, view: TextView) -> List[Finding]:
        """Findings of the rules in ``view``; disguised matches add an obfuscation finding."""
        text = view.text
        document = view.document
        norm = view.normalized
        found: List[Finding] = []
        for rule in self.selected(view):
            matches = (
                rule.finditer(text, cued=True) if self.prefilter else rule.compiled.finditer(text)
            )
            weight = rule.weight_for(document)
            for i, m in enumerate(matches):
                if i >= _MAX_PER_RULE:
                    break
                vs, ve = m.start(), m.end()
                s, e = view.to_original(vs, ve)
                found.append(Finding(s, e, rule.category, weight, rule.id))
                if _altered(norm, vs, ve, s, e):
                    found.append(
                        Finding(s, e, "obfuscation", rule.weight * 0.9, "obfuscation.disguised")
                    )
        return found


class SpacedOut:
    """Rules over the letters of the view alone: "i g n o r e", "ig-no-re", "I.g.n.o.r.e".

    A match the plain rules already see is skipped; the others add an obfuscation finding.
    """

    name = "spaced"

    def __init__(
        self, rules: Optional[Sequence[Rule]] = None, plain: Optional[Sequence[Rule]] = None
    ) -> None:
        from ._rules import RULES, SPACED_RULES

        self.rules: Tuple[Rule, ...] = tuple(SPACED_RULES if rules is None else rules)
        self._plain: Dict[str, Tuple[Rule, ...]] = {}
        for r in RULES if plain is None else plain:
            self._plain[r.category] = (*self._plain.get(r.category, ()), r)

    def detect(self, view: TextView) -> List[Finding]:
        """Findings of the spaced-out rules, located in the original text."""
        found: List[Finding] = []
        text = view.text
        letters = view.letters()
        where: Optional[LetterIndex] = None
        for rule in self.rules:
            added = 0
            for i, m in enumerate(rule.finditer(letters)):
                if i >= _MAX_SPACED or added >= _MAX_PER_RULE:
                    break  # a text full of triggers: the first ones tell enough
                if where is None:
                    where = view.letters_index()
                vs, ve = where[m.start()], where[m.end() - 1] + 1
                plain = self._plain.get(rule.category, ())
                if any(r.compiled.search(text, vs, ve) for r in plain):
                    continue  # the plain rules already saw it
                added += 1
                s, e = view.to_original(vs, ve)
                found.append(Finding(s, e, rule.category, rule.weight, rule.id))
                found.append(Finding(s, e, "obfuscation", rule.weight * 0.9, "obfuscation.spaced"))
        return found


def _cipher_findings(
    view: TextView, rules: Sequence[Rule], shown: str, suffix: str, mirror: bool
) -> List[Finding]:
    found: List[Finding] = []
    n = len(shown)
    for rule in rules:
        for i, m in enumerate(rule.finditer(shown)):
            if i >= _MAX_PER_RULE:
                break
            vs, ve = (n - m.end(), n - m.start()) if mirror else (m.start(), m.end())
            s, e = view.to_original(vs, ve)
            found.append(Finding(s, e, rule.category, rule.weight, rule.id + suffix))
            found.append(Finding(s, e, "obfuscation", rule.weight * 0.9, rule.id + suffix))
    return found


class Ciphers:
    """The strong rules looked for in the ROT13 and in the reversal of the view."""

    name = "ciphers"

    def __init__(self, rules: Optional[Sequence[Rule]] = None) -> None:
        from ._rules import CIPHER_RULES

        self.rules: Tuple[Rule, ...] = tuple(CIPHER_RULES if rules is None else rules)

    def detect(self, view: TextView) -> List[Finding]:
        """Findings in the deciphered text, located in the original."""
        text = view.text
        prefixes = view.word_prefixes
        found: List[Finding] = []
        if not _ROT13_CUES.isdisjoint(prefixes):
            rot = codecs.encode(text, "rot13")
            found += _cipher_findings(view, self.rules, rot, ".rot13", False)
        if not _REVERSED_CUES.isdisjoint(prefixes):
            found += _cipher_findings(view, self.rules, text[::-1], ".reversed", True)
        return found


# A decoded payload that is itself a request to override the instructions, extract the
# prompt or exfiltrate data, or that asks for something an assistant declines: hiding such a
# request in an encoding is the attack. A benign question encoded the same way adds nothing.
ENCODED_REQUEST = 0.8
ENCODED_HARM = 0.8
# Asking for a secret (the password, a key, the hidden prompt): ordinary from a user who
# forgot their own, an extraction attempt when it has been encoded to get past a filter.
_SECRET_ASK = re.compile(
    r"\b(?:what(?:'s| is| was| are)|tell me|give me|reveal|show me|print|say|spell|repeat|"
    r"share|output|leak|disclose)\b[^.?!\n]{0,40}?\b(?:password|passcode|passphrase|"
    r"secret(?: key| word| code| phrase)?|api key|access key|private key|system prompt|"
    r"hidden (?:prompt|instructions)|(?:initial|original|system) instructions)\b"
    r"(?! (?:policy|policies|managers?|strength|requirements?|reset|rules|hygiene|length))"
)
_MAX_JUDGED = 64  # decoded runs judged one by one per detector and text (the rest: joined)
_MERGE_MAX = 20_000  # characters of decoded text joined into one judged run
_JUDGED_WINDOW = 4000  # characters of a decoded run read at once for a declined intent
_WINDOW_OVERLAP = 400  # ... each window overlapping the previous one by this many
# Encoded content the scan could not read (nested too deep, or past the scan's budget of
# decoded text): reported, never taken for safe. Strong enough to flag at every
# sensitivity on its own (a rule the stacker was not trained with counts by its weight),
# and stronger than any other obfuscation finding, so the span that holds it is named
# after it (the gateway refuses a request by that name).
UNREAD_ENCODED = 0.99
UNREAD_RULE = "obfuscation.unread_encoded"
_LETTER_CIPHERS = frozenset(("reversed", "caesar", "atbash", "pig_latin", "spread"))
_REQUEST_CATEGORIES = frozenset(
    ("instruction_override", "prompt_extraction", "jailbreak", "data_exfiltration", "tool_abuse")
)


def _merged(runs: Iterable[_Run]) -> Iterator[Tuple[_Run, int]]:
    """``runs`` with neighbours of one encoding (at most two characters apart: uuencoded or
    wrapped base64 lines) joined into one, so a payload cut into lines is judged as one text
    and costs one rescan instead of one per line; each with the number of runs it joins
    (they count against ``_MAX_JUDGED`` as before)."""
    pending: Optional[_Run] = None
    pieces = 0
    for d in runs:
        if (
            pending is not None
            and d.encoding == pending.encoding
            and 0 <= d.start - pending.end <= 2
        ):
            if len(pending.text) < _MERGE_MAX:
                pending = _Run(pending.start, d.end, d.encoding, pending.text + "\n" + d.text)
                pieces += 1
                continue
            # Full: the next text starts with this one's tail, so a payload cut where one
            # ends is whole in the next.
            yield pending, pieces
            tail = pending.text[-_WINDOW_OVERLAP:]
            pending, pieces = _Run(d.start, d.end, d.encoding, tail + "\n" + d.text), 1
            continue
        if pending is not None:
            yield pending, pieces
        pending, pieces = d, 1
    if pending is not None:
        yield pending, pieces


def _windows(text: str) -> Iterator[str]:
    """``text`` in windows of ``_JUDGED_WINDOW`` characters, each overlapping the previous
    one by ``_WINDOW_OVERLAP`` (a phrase that short is whole in one of them)."""
    step = _JUDGED_WINDOW - _WINDOW_OVERLAP
    for i in range(0, max(len(text) - _WINDOW_OVERLAP, 1), step):
        yield text[i : i + _JUDGED_WINDOW]


def _leftovers(pile: List[_Run]) -> Iterator[_Run]:
    """The runs left over past the rescan count, one joined run per encoding (from the
    first run's start to the last one's end, their texts one per line)."""
    by_encoding: Dict[str, List[_Run]] = {}
    for d in pile:
        by_encoding.setdefault(d.encoding, []).append(d)
    for encoding, runs in by_encoding.items():
        text = "\n".join(d.text for d in runs)
        yield _Run(runs[0].start, max(d.end for d in runs), encoding, text)


def _rescanned(view: TextView, runs: Iterable[_Run], in_view: bool) -> List[Finding]:
    """Findings on the runs whose decoding holds strong evidence (``in_view``: the runs
    index ``view.text``, else ``view.original``).

    The first ``_MAX_JUDGED`` runs are judged one by one; the runs after them are joined,
    one text per encoding, and judged at once, so every run is read at a cost linear in
    the text. A run the scan cannot read (too deep, or past its budget) is an
    ``obfuscation.unread_encoded`` finding.
    """
    found: List[Finding] = []
    judged = 0
    pile: List[_Run] = []
    seen: Set[str] = set()
    for d, pieces in _merged(runs):
        if d.text in seen:
            continue  # judged already (a repeated payload is reported where it first is)
        seen.add(d.text)
        if judged >= _MAX_JUDGED or not view.rescans_left():
            pile.append(d)
            continue
        judged += pieces
        found += _judged(view, d, in_view, False)
    for d in _leftovers(pile):
        found += _judged(view, d, in_view, True)
    return found


def _judged(view: TextView, d: _Run, in_view: bool, joined: bool) -> List[Finding]:
    """The findings on one decoded run (see ``_rescanned``)."""
    from ._harm import declined_intent

    found: List[Finding] = []
    inner = view.try_rescan(d.text, joined)
    if inner is None:
        s, e = view.to_original(d.start, d.end) if in_view else (d.start, d.end)
        return [Finding(s, e, "obfuscation", UNREAD_ENCODED, UNREAD_RULE)]
    strong = [f for f in inner if f.weight >= 0.4]
    if d.encoding in _LETTER_CIPHERS or d.encoding.startswith("rot"):
        # A wrong deciphering reads as gibberish: no evidence of a suffix attack.
        strong = [f for f in strong if f.category != "adversarial_suffix"]
    request = any(
        (f.category in _REQUEST_CATEGORIES and f.weight >= 0.6)
        or f.rule.startswith("obfuscation.encoded_request")
        for f in strong
    )
    lower = d.text.lower()
    if not request and _SECRET_ASK.search(lower):
        request = True
    harm = 0.0
    if d.encoding != "spread":
        # Past the first window only when nothing else flags the run (a declined intent
        # adds no verdict then; reading it costs more than the rescan on some texts).
        windows = _windows(lower)
        harm = declined_intent(next(windows))
        if not (strong or request):
            for window in windows:
                if harm >= 1.0:
                    break  # as strong as it gets
                harm = max(harm, declined_intent(window))
    for f in inner:  # a nested payload's declined intent counts at this level too
        if f.rule.startswith("obfuscation.encoded_harm"):
            harm = max(harm, f.weight / ENCODED_HARM)
    if not (strong or request or harm > 0):
        return found
    s, e = view.to_original(d.start, d.end) if in_view else (d.start, d.end)
    if strong:
        best = max(strong, key=lambda f: f.weight)
        found.append(Finding(s, e, best.category, best.weight, best.rule + "." + d.encoding))
        found.append(Finding(s, e, "obfuscation", best.weight, "obfuscation." + d.encoding))
        unread = next((f for f in strong if f.rule.startswith(UNREAD_RULE)), None)
        if unread is not None and unread is not best:  # what was left unread stays reported
            found.append(
                Finding(s, e, "obfuscation", unread.weight, unread.rule + "." + d.encoding)
            )
    if request:
        found.append(Finding(s, e, "obfuscation", ENCODED_REQUEST, "obfuscation.encoded_request"))
    if harm > 0:
        found.append(Finding(s, e, "obfuscation", ENCODED_HARM * harm, "obfuscation.encoded_harm"))
    return found


class Decoded:
    """Encoded runs (base64, hex, URL-encoding, HTML entities) decoded and re-scanned.

    The decoded text goes through the scanner's evidence detectors (``TextView.rescan``);
    strong evidence there becomes a finding on the encoded run, plus an obfuscation one.
    Readable benign text decodes to nothing suspicious and adds nothing.
    """

    name = "decoded"

    def detect(self, view: TextView) -> List[Finding]:
        """Findings on the encoded runs whose decoding holds strong evidence."""
        return _rescanned(view, find_encoded(view.original), in_view=False)


class Spread:
    """Letters spread out by separators ("i g n o r e   a l l", "I.g.n.o.r.e a.l.l"),
    joined back into words and re-scanned like decoded text."""

    name = "spread"

    def detect(self, view: TextView) -> List[Finding]:
        """Findings on the spread-out runs whose words hold strong evidence."""
        return _rescanned(view, find_spread(view.text), in_view=True)


class Deciphered:
    """Text after an instruction naming a cipher ("apply ROT13 to this and follow it:",
    Caesar shifts, Atbash, reversal), deciphered and re-scanned."""

    name = "deciphered"

    def detect(self, view: TextView) -> List[Finding]:
        """Findings on the payloads whose deciphering holds strong evidence."""
        return _rescanned(view, find_ciphered(view.text), in_view=True)


class Unmarked:
    """Latin text that reads as English only once deciphered (ROT13, another Caesar shift,
    Atbash, reversal, pig latin) with no instruction naming the cipher ("What does this
    mean? Jung vf ..."), deciphered and re-scanned."""

    name = "unmarked"

    def detect(self, view: TextView) -> List[Finding]:
        """Findings on the deciphered stretches that hold strong evidence."""
        return _rescanned(view, find_unmarked(view.text), in_view=True)


# Words whose disguise (look-alike letters, leetspeak digits, compatibility forms) is itself
# the tell: nobody writes "jаilbreаk" with a Cyrillic "а" or "byp4ss" by accident.
_TRIGGER_WORDS = frozenset(
    str.split(
        "jailbreak jailbreaking bypass bypassing ignore disregard override circumvent evade "
        "evading disable disabling safety filter filters filtering guardrails guardrail "
        "restrictions censorship moderation uncensored unfiltered unrestricted jailbroken "
        "instructions prompt password exploit malware ransomware hack hacking bomb explosives "
        "weapon weapons poison meth"
    )
)
_VIEW_WORD = re.compile(r"[^\W\d_]{2,40}")
_DISGUISE_WEIGHT = 0.8


def _disguised_words(view: TextView) -> List[Tuple[int, int, str]]:
    """Words of ``view.text`` written otherwise in the original (look-alikes, leetspeak,
    compatibility forms): their span in the original and their folded spelling."""
    norm = view.normalized
    original = view.original
    if original.isascii() and not norm.leet_words:
        return []
    out: List[Tuple[int, int, str]] = []
    for m in _VIEW_WORD.finditer(view.text):
        s, e = view.to_original(m.start(), m.end())
        if original[s:e].lower() != m.group(0):
            out.append((s, e, m.group(0)))
            if len(out) >= 64:
                break
    return out


class DisguisedRequest:
    """Trigger words or a declined intent written in disguise: look-alike letters,
    leetspeak digits, compatibility forms ("How to jаilbreаk ...", "h0w t0 m4k3 4 b0mb")."""

    name = "disguised"

    def detect(self, view: TextView) -> List[Finding]:
        """One finding when a disguised word is a trigger, or when two or more words are
        disguised in a text that asks for something an assistant declines."""
        from ._harm import declined_intent

        words = _disguised_words(view)
        if not words:
            return []
        for s, e, word in words:
            if word in _TRIGGER_WORDS:
                return [
                    Finding(s, e, "obfuscation", _DISGUISE_WEIGHT, "obfuscation.disguised_request")
                ]
        if len(words) >= 2:
            harm = declined_intent(view.text)
            if harm >= 1.0:
                s, e = words[0][0], words[-1][1]
                return [
                    Finding(
                        s,
                        e,
                        "obfuscation",
                        _DISGUISE_WEIGHT * harm,
                        "obfuscation.disguised_request",
                    )
                ]
        return []


# Subdivision flags (Scotland, Wales) are a black flag, tag letters or digits and a cancel
# tag: emoji, not smuggled text.
_FLAG_SEQUENCE = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,7}\U000e007f")
_TAG_CHAR = re.compile("[\U000e0000-\U000e007f]")


class FormatTricks:
    """Hidden characters: Unicode tag characters, bidi controls, zero-width characters
    inside words, and words mixing scripts."""

    name = "format"

    def detect(self, view: TextView) -> List[Finding]:
        """One finding per kind of trick present."""
        norm = view.normalized
        found: List[Finding] = []
        n = len(norm.original)
        if norm.smuggled and _TAG_CHAR.search(_FLAG_SEQUENCE.sub("", norm.original)):
            found.append(Finding(0, n, "obfuscation", 0.7, "obfuscation.tag_characters"))
        bidi = _BIDI.search(norm.original)
        if bidi:
            found.append(Finding(bidi.start(), bidi.end(), "obfuscation", 0.45, "obfuscation.bidi"))
        if norm.invisible >= 3:
            zw = _ZERO_WIDTH_IN_WORD.search(norm.original)
            if zw:
                found.append(
                    Finding(zw.start(), zw.end(), "obfuscation", 0.35, "obfuscation.zero_width")
                )
        if norm.homoglyph_words >= 2:
            found.append(Finding(0, n, "obfuscation", 0.35, "obfuscation.homoglyphs"))
        return found


class EmbeddedRequests:
    """Requests addressed to an assistant, sitting inside retrieved content."""

    name = "embedded"

    def detect(self, view: TextView) -> List[Finding]:
        """Sentences that read as requests, when ``view`` is a document."""
        if not view.document:
            return []
        found: List[Finding] = []
        for m in _SENTENCE.finditer(view.text):
            sentence = m.group(0)
            if _NOT_REQUEST.match(sentence) or not _REQUEST.match(sentence):
                continue
            if len(sentence.split()) < _MIN_REQUEST_WORDS:  # menu items, buttons, headings
                continue
            s, e = view.to_original(m.start(), m.end())
            weight = 0.5 if sentence.rstrip().endswith("?") else 0.55
            found.append(Finding(s, e, "indirect_injection", weight, "indirect.embedded_request"))
            if len(found) >= _MAX_PER_RULE:
                break
        return found


class Suffix:
    """Optimizer-made adversarial suffixes (GCG-style gibberish after a request)."""

    name = "suffix"

    def detect(self, view: TextView) -> List[Finding]:
        """The most suffix-like stretch, if any."""
        hit = find_suffix(view.original)
        if hit is None:
            return []
        return [Finding(hit[0], hit[1], "adversarial_suffix", hit[2], "suffix.gcg")]


def default_detectors(rules: Sequence[Rule] = ()) -> List[Detector]:
    """The shipped evidence detectors (the learned model is added by the scanner).

    ``rules`` are extra ``Rule`` records run with the shipped phrase rules.
    """
    from ._rules import RULES

    return [
        PhraseRules((*RULES, *rules)),
        SpacedOut(),
        Ciphers(),
        Decoded(),
        Spread(),
        Deciphered(),
        Unmarked(),
        DisguisedRequest(),
        FormatTricks(),
        EmbeddedRequests(),
        Suffix(),
    ]


_DEFAULT: Optional[List[Detector]] = None


def run_detectors(detectors: Iterable[Detector], view: TextView) -> List[Finding]:
    """All findings of ``detectors`` in ``view``, in detector order."""
    found: List[Finding] = []
    for det in detectors:
        found.extend(det.detect(view))
    return found


def collect_hits(text: str, depth: int = 0, norm: Optional[Normalized] = None) -> List[Finding]:
    """All evidence of the shipped detectors in ``text`` (spans in ``text``'s coordinates)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = default_detectors()
    detectors = _DEFAULT

    def rescan(child: TextView) -> List[Finding]:
        return run_detectors(detectors, child)

    view = TextView(text, depth=depth, normalized=norm, rescan=rescan)
    return run_detectors(detectors, view)
