"""The scan-worker side of per-key policies: one scan under one policy.

:func:`policy_call` runs in a scan worker (``_scanworker``, method ``"policy"``). Its
argument is plain data (so the scan cache can key on it): the inner call (``inspect`` for
a proxied body, ``scan_request`` for a ``/v1/scan`` body) with its own argument's fields, the
engine options (the gateway's, plus the policy's ``allow`` phrases and the ``categories``
that may flag; empty when the policy adds none), its custom
rules as records, and the scan mode:

- ``normal``: the injection scan only;
- ``policy_only``: the custom rules only (the verdict is the engine's answer for an empty
  text: safe, score 0);
- ``combined``: both.

The answer is the inner call's answer with one more item, the custom-rule hits: a tuple
of ``(rule id, message index, start, end)``, offsets into that message's text (never the
text itself). A worker keeps the scanners and rule sets it built, keyed by their options,
so a policy costs its build once per worker.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

__all__ = ["Hit", "policy_call", "rule_from_spec"]

Hit = Tuple[str, int, int, int]
"""A custom rule's hit: rule id, message index, start and end offsets in that message."""

MAX_HITS = 32
"""Hits reported per scan (the first ones; a rule fires once per message)."""
_CACHED = 64  # scanners / rule sets a worker keeps (policies rarely number more)

_scanners: Dict[str, Any] = {}
_rulesets: Dict[str, Any] = {}


def rule_from_spec(spec: Mapping[str, Any]) -> Any:
    """A ``lockllm.engine.Rule`` from its record (``id``, ``pattern``, ``category``,
    ``weight``, ``cues``, ``words``); raises ``RuleError`` for a bad one."""
    from ..engine import Rule

    return Rule(
        id=spec["id"],
        pattern=spec["pattern"],
        category=spec.get("category", "instruction_override"),
        weight=spec.get("weight", 1.0),
        cues=tuple(spec.get("cues", ())),
        words=tuple(spec.get("words", ())),
    )


def _remember(table: Dict[str, Any], key: str, value: Any) -> Any:
    if len(table) >= _CACHED:
        table.clear()  # policies changed many times: start over rather than grow
    table[key] = value
    return value


def _scanner_for(base: Any, engine: Mapping[str, Any]) -> Any:
    """``base`` itself without policy options; else a ``LocalScanner`` with ``engine`` (the
    gateway's engine options merged with the policy's; built once per process and options)."""
    if not engine:
        return base
    from ..engine import LocalScanner

    if not isinstance(base, LocalScanner):
        return base  # a custom engine (tests, plug-ins): policy options do not apply
    key = json.dumps(engine, sort_keys=True)
    found = _scanners.get(key)
    if found is not None:
        return found
    classifier = None
    if engine.get("model"):
        from ..engine import OnnxClassifier

        classifier = OnnxClassifier(engine["model"], threads=1)
    scanner = LocalScanner(
        base.sensitivity,
        threshold=engine.get("threshold"),
        allow=tuple(engine.get("allow", ())),
        categories=engine.get("categories"),
        model=classifier,
        transformer=None if classifier is not None else engine.get("transformer"),
    )
    return _remember(_scanners, key, scanner)


def _rules_for(specs: Sequence[Mapping[str, Any]]) -> Any:
    if not specs:
        return None
    key = json.dumps(list(specs), sort_keys=True)
    found = _rulesets.get(key)
    if found is not None:
        return found
    from ..engine._evidence import PhraseRules

    return _remember(_rulesets, key, PhraseRules(tuple(rule_from_spec(s) for s in specs)))


class _PolicyRun:
    """The scanner ``inspect`` / ``scan_request`` see: runs the custom rules on every text
    they scan, and the injection scan unless the mode is ``policy_only``."""

    def __init__(self, scanner: Any, rules: Any, mode: str) -> None:
        self.scanner = scanner
        self.rules = rules
        self.mode = mode
        self.hits: List[Hit] = []

    def _check(self, texts: Sequence[Tuple[int, str, Optional[str]]]) -> None:
        if self.rules is None or self.mode == "normal":
            return
        from ..engine import TextView

        for index, text, source in texts:
            if not text.strip():
                continue
            seen = set()
            for finding in self.rules.detect(TextView(text, source=source)):  # type: ignore[arg-type]
                if finding.rule in seen or len(self.hits) >= MAX_HITS:
                    continue
                seen.add(finding.rule)
                self.hits.append((finding.rule, index, finding.start, finding.end))

    def scan(self, text: str, sensitivity: str) -> Any:
        self._check([(0, text, None)])
        if self.mode == "policy_only":
            return self.scanner.scan("", sensitivity)
        return self.scanner.scan(text, sensitivity)

    def scan_messages(self, messages: Sequence[Mapping[str, Any]], sensitivity: str) -> Any:
        from ..engine._scanner import _ROLE_SOURCES, _message_text

        texts = []
        for index, message in enumerate(messages):
            role = message.get("role")
            source = _ROLE_SOURCES.get(role) if isinstance(role, str) else None
            texts.append((index, _message_text(message, index), source))
        self._check(texts)
        if self.mode == "policy_only":
            return self.scanner.scan("", sensitivity)
        return self.scanner.scan_messages(messages, sensitivity)


def policy_call(scanner: Any, argument: Mapping[str, Any], sensitivity: str) -> Tuple[Any, ...]:
    """Run ``argument["call"]`` (``inspect`` or ``scan_request``) under the policy in
    ``argument``; the inner answer, plus the hits when it is ``("ok", …)``."""
    from ._inspect import inspect, scan_request

    run = _PolicyRun(
        _scanner_for(scanner, argument.get("engine") or {}),
        _rules_for(argument.get("rules") or ()),
        str(argument.get("mode", "combined")),
    )
    inner = inspect if argument["call"] == "inspect" else scan_request
    answer = inner(run, dict(argument), sensitivity)  # the inner call ignores the rest
    if answer[0] != "ok":
        return tuple(answer)
    return (*answer, tuple(run.hits))
