"""Wrapped-request cues: a request framed as fiction that asks for real, usable detail.

Role-play and story jailbreaks put a request the assistant would refuse inside a frame
(a story, a scene, characters, layers of a dream, a hypothetical) and then ask for the
*practical* part ("detailed steps", "specific commands", "step by step"), often with a
disclaimer ("for purely fictional reasons"). Neither part alone is an attack: writers ask
for stories, and users ask for detailed steps. The combination is what these cues report;
``_score.stack_features`` counts the strongest like a trusted rule (``WRAPPER_WEIGHTS``).

The word lists are written by hand in general terms, with the families of the training data
in view (so, like the rules, they are not held out in cross-validation).
Every pattern is an alternation of literals with bounded repetitions: linear time.
"""

from __future__ import annotations

import re
from typing import Dict

__all__ = ["WRAPPER_WEIGHTS", "declined_intent", "wrapper_features"]

# How strongly each cue alone says "attack", on the rules' scale: like a trusted rule, a cue
# of weight 0.8 flags at medium on its own (``_score.rule_risk``). In the training data the
# fiction cues fire on about 1 benign role-play or sensitive row in 100 and on more than
# half of the role-play jailbreaks of three unrelated sources.
WRAPPER_WEIGHTS = {
    "wrap:fiction_detail": 0.8,
    "wrap:fiction_disclaimer": 0.8,
    "wrap:fiction_harm_detail": 0.9,
    "wrap:scaffold_harm": 0.9,
}

# "special characters", "a novel approach", a network layer or a plot of data are no frame.
_FICTION = re.compile(
    r"\b(?:story|stories|fiction(?:al)?|screenplay|scene|(?<!special )(?<!unicode )"
    r"(?<!ascii )(?<!invalid )(?<!escape )(?<!control )characters?(?! (?:long|limit|set|"
    r"encoding|class|count|code))|role-?play|hypothetical(?:ly)?|imagine|pretend|dream|"
    r"movie|tale|narrative|protagonist|villain|(?:write|in|for) a novel)\b"
)
# Asking for the usable part: steps, commands, a plan, in detail.
_DETAIL = re.compile(
    r"\b(?:(?:detailed|specific|practical|concrete|exact|actionable|step-by-step)"
    r"(?: [a-z]{1,20}){0,2}? (?:steps?|instructions?|commands?|plans?|methods?|guides?|"
    r"details|procedures?|tools?|recipes?|techniques?)|step by step|how to achieve|"
    r"in (?:great |full |precise )?detail)\b"
)
_DISCLAIMER = re.compile(
    r"\b(?:for (?:purely |strictly |only )?(?:fictional|educational|research|academic|"
    r"hypothetical) (?:reasons|purposes)|purely fictional|"
    r"(?:it'?s|this is) just a (?:story|game)|not real)\b"
)
# Intents an assistant declines, in general terms (objects of "make", "write", "steal"...).
_HARM = re.compile(
    r"\b(?:bombs?|explosives?|weapons?|poison(?:s|ing|ous)?|meth(?:amphetamine)?|cocaine|"
    r"heroin|fentanyl|malware|ransomware|keyloggers?|hack(?:ing|ed|s)?|steal(?:ing|s)?|"
    r"stolen|fraud(?:ulent)?|launder(?:ing)?|kill(?:ing)?|murder(?:ing)?|suicide|"
    r"self-harm|counterfeit(?:ing)?|phishing|illegal(?:ly)?|terroris[mt]s?|firearms?|"
    r"kidnap(?:ping)?|traffick(?:ing)?|scams?|blackmail|extort(?:ion)?|untraceable|"
    r"without (?:getting caught|being detected|(?:their|his|her|anyone'?s) consent)|"
    r"smuggl(?:e|ing)|misinformation|disinformation|fake news|hate speech|racis[mt]|"
    r"harass(?:ment|ing)?|stalk(?:ing)?|bully(?:ing)?|threaten(?:ing)?|"
    r"manipulat(?:e|ing|ion)|break into|pick a lock|evade (?:taxes|the police|detection)|"
    r"someone'?s (?:location|address|password|account|identity)|identity theft|"
    r"personal (?:information|details|data) of|home address|sexually explicit)\b"
)


# An empty scaffold to be filled in: steps that are only placeholders ("Step 1 ...",
# "First, ...") and a request to complete or expand them (code, tables, outlines); with a
# declined intent inside, the model is asked to write the harmful steps itself.
_PLACEHOLDER = re.compile(
    r"\b(?:first|then|next|finally|step ?\d{1,2})\b[,:.]?[ \t]{0,3}(?:\.{3}|\u2026)"
)
_FILL = re.compile(
    r"\b(?:fill(?:ing)? in|complete|completing|add(?:ing)? (?:more )?details?|enhance|"
    r"enrich(?:ed)?|expand|supplement|elaborate|flesh out)\b"
)


def declined_intent(view: str) -> float:
    """How clearly ``view`` (normalised, lower-case) asks for something an assistant declines:
    0.0 (no sign) to 1.0. Alone this is no evidence of an attack (people ask about crime,
    drugs and security all the time); other detectors combine it with a frame, a suffix or
    an encoding."""
    return 1.0 if _HARM.search(view[:20000]) else 0.0


def wrapper_features(view: str) -> Dict[str, float]:
    """The wrapped-request cues present in ``view`` (a normalised, lower-case text).

    Each value is 1.0. ``wrap:fiction_detail``: a fictional frame and a demand for
    practical detail; ``wrap:fiction_disclaimer``: a fictional frame and an "it is only
    fiction" disclaimer; ``wrap:fiction_harm_detail``: all of a frame, a declined intent
    and a demand for detail; ``wrap:scaffold_harm``: placeholder steps, a request to fill
    them in and a declined intent (the scaffold alone is a common way to ask for code).
    ``harm`` (a declined intent, alone no evidence) is not a stacker input by itself:
    ``_score.stack_features`` multiplies it with the gibberish score (a harmful request
    followed by an optimizer-made suffix).
    """
    head = view[:20000]
    out: Dict[str, float] = {}
    if declined_intent(head):
        out["harm"] = 1.0  # read by the stacker only together with the gibberish score
    placeholders = 0
    for _ in _PLACEHOLDER.finditer(head):
        placeholders += 1
        if placeholders >= 2:
            break
    if placeholders >= 2 and "harm" in out and _FILL.search(head):
        out["wrap:scaffold_harm"] = 1.0
    if not _FICTION.search(head):
        return out
    detail = _DETAIL.search(head) is not None
    if detail:
        out["wrap:fiction_detail"] = 1.0
    if _DISCLAIMER.search(head):
        out["wrap:fiction_disclaimer"] = 1.0
    if detail and "harm" in out:
        out["wrap:fiction_harm_detail"] = 1.0
    return out
