"""Per-key policies of the gateway: one gateway, different rules per client key.

A policies file (JSON, or TOML when its name ends in ``.toml``) named by ``policies`` in
the config or ``LOCKLLM_SERVER_POLICIES`` holds a ``default`` policy and a list of named
ones; each named policy lists the keys it applies to as SHA-256 hex digests of the client
keys (``printf %s "$KEY" | sha256sum``), never the keys themselves::

    {
      "default": {"sensitivity": "medium", "scan_action": "block"},
      "policies": [
        {"name": "support-bot", "keys": ["9f86d08…"], "sensitivity": "high",
         "enforce_block": true, "block_categories": ["instruction_override", "jailbreak"],
         "allow": ["Acme Corp"], "rate_limit": "60/minute", "providers": ["openai"],
         "rules": [{"id": "no-refunds", "pattern": "\\\\brefund\\\\b",
                    "description": "Refunds are handled by people"}],
         "policy_action": "block", "scan_mode": "combined",
         "client_scan_modes": ["combined", "normal"],
         "pii_action": "strip", "response_guard": "block",
         "webhooks": [{"url": "https://hooks.example/support"}]}
      ]
    }

Fields (all optional but ``name`` and ``keys`` of a named policy): ``sensitivity``;
``scan_action`` (``block`` | ``allow_with_warning`` | ``audit``: forward, say nothing to
the client, log and count); ``enforce_block`` (client headers cannot lower the actions or
the sensitivity); ``block_categories`` (the engine categories that may flag); ``allow``
(phrases that never count as evidence); ``rules`` (custom ``lockllm.engine.Rule`` records:
``id``, ``pattern``, optional ``description``, ``cues``, ``words``, ``category``,
``weight``; a hit is a policy violation, 403 ``policy_violation`` with
``violated_policies``); ``policy_action`` (``block`` | ``allow_with_warning``, for rule
hits); ``scan_mode`` (``normal`` | ``policy_only`` | ``combined``, default ``combined``)
and ``client_scan_modes`` (the modes ``X-LockLLM-Scan-Mode`` may pick; by default only the
policy's own); ``pii_action``; ``response_guard``; ``rate_limit`` (per key, e.g.
``"60/minute"``, on top of the gateway's); ``providers`` (the providers it may use);
``webhooks`` (receivers of its events, in the config's ``webhooks`` format, instead of the
gateway's).

Reloading: on SIGHUP and when the file changes (checked every :data:`POLL_SECONDS`), the
file is read and checked whole, then swapped in with one assignment: a request uses the
policies it started with, so none fails during a reload. A file that does not load is
refused with one log line naming the problem, and the running policies stay.

Logs and metrics name a request's policy, never its key.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import signal
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from .._vocabulary import SENSITIVITIES
from ..errors import ConfigurationError
from . import _errors
from ._ratelimit import Rate, RateLimiter, parse_rate, retry_after_header
from ._webhooks import Webhooks, WebhookSpec, parse_webhooks

__all__ = [
    "POLICY_HEADERS",
    "SCAN_MODES",
    "Plan",
    "Policy",
    "PolicyRefusal",
    "PolicySet",
    "PolicySettings",
    "PolicyStore",
    "key_digest",
    "load_policies",
    "parse_policies",
    "settings_for",
    "watching",
]

logger = logging.getLogger("lockllm.server")

SCAN_MODES = ("normal", "policy_only", "combined")
SCAN_ACTIONS = ("block", "allow_with_warning", "audit")
POLICY_ACTIONS = ("block", "allow_with_warning")
PII_ACTIONS = ("strip", "block", "allow_with_warning")
RESPONSE_GUARDS = ("off", "audit", "redact", "block")
POLL_SECONDS = 1.0
"""How often the policies file is checked for a change."""
MAX_RULES = 256
MAX_POLICIES = 1000
POLICY_HEADERS = ("x-lockllm-scan-mode", "x-lockllm-policy-action")

_DIGEST = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_FIELDS = frozenset(
    {
        "name", "keys", "sensitivity", "scan_action", "enforce_block", "block_categories",
        "allow", "rules", "policy_action", "scan_mode", "client_scan_modes", "pii_action",
        "response_guard", "rate_limit", "providers", "webhooks",
    }
)  # fmt: skip
_RULE_FIELDS = frozenset({"id", "pattern", "description", "cues", "words", "category", "weight"})


def key_digest(key: str) -> str:
    """The SHA-256 hex digest of a client key, as a policies file lists it."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Policy:
    """One policy, checked. ``keys`` holds digests; ``rules`` the rule records (plain data,
    what the scan workers receive), ``descriptions`` their descriptions by rule id."""

    name: str
    keys: FrozenSet[str] = field(default=frozenset(), repr=False)
    sensitivity: Optional[str] = None
    scan_action: Optional[str] = None  # None: block on the proxy, report on /v1/scan
    enforce_block: bool = False
    block_categories: Optional[Tuple[str, ...]] = None
    allow: Tuple[str, ...] = field(default=(), repr=False)
    rules: Tuple[Mapping[str, Any], ...] = field(default=(), repr=False)
    descriptions: Mapping[str, str] = field(default_factory=dict, repr=False)
    policy_action: str = "block"
    scan_mode: str = "combined"
    client_scan_modes: Tuple[str, ...] = ()
    pii_action: Optional[str] = None
    response_guard: Optional[str] = None
    rate_limit: Optional[Rate] = None
    providers: Optional[FrozenSet[str]] = None
    webhooks: Tuple[WebhookSpec, ...] = field(default=(), repr=False)

    def engine(self, base: Mapping[str, Any]) -> Dict[str, Any]:
        """The engine options of this policy on top of ``base`` (the gateway's), JSON-ready;
        empty when the policy changes nothing (the gateway's engine then serves it)."""
        if not self.allow and self.block_categories is None:
            return {}
        options: Dict[str, Any] = dict(base)
        if self.allow:
            options["allow"] = [*base.get("allow", ()), *self.allow]
        if self.block_categories is not None:
            options["categories"] = list(self.block_categories)
        return options


@dataclass(frozen=True)
class PolicySet:
    """A whole policies file: the default policy and the named ones by key digest."""

    default: Policy
    named: Tuple[Policy, ...] = ()
    by_key: Mapping[str, Policy] = field(default_factory=dict, repr=False)

    def for_digests(self, digests: Sequence[str]) -> Policy:
        """The policy of the first digest that names one, else the default."""
        for digest in digests:
            found = self.by_key.get(digest)
            if found is not None:
                return found
        return self.default

    @property
    def names(self) -> Tuple[str, ...]:
        return (self.default.name, *(p.name for p in self.named))


def _choice(data: Mapping[str, Any], name: str, allowed: Sequence[str], where: str) -> Any:
    value = data.get(name)
    if value is not None and value not in allowed:
        raise ConfigurationError(f"{where}: {name} must be one of {', '.join(allowed)}")
    return value


def _strings(value: Any, where: str, what: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigurationError(f"{where}: {what} must be a list of non-empty strings")
    return tuple(value)


def _rules(value: Any, where: str) -> Tuple[Tuple[Mapping[str, Any], ...], Dict[str, str]]:
    from ._policyscan import rule_from_spec

    if not isinstance(value, list) or len(value) > MAX_RULES:
        raise ConfigurationError(f"{where}: rules must be a list of at most {MAX_RULES} objects")
    records: List[Mapping[str, Any]] = []
    descriptions: Dict[str, str] = {}
    for index, entry in enumerate(value):
        at = f"{where}: rules[{index}]"
        if not isinstance(entry, dict) or set(entry) - _RULE_FIELDS:
            raise ConfigurationError(f"{at} must be an object of {', '.join(sorted(_RULE_FIELDS))}")
        if not isinstance(entry.get("pattern"), str):
            raise ConfigurationError(f"{at}: pattern must be a string")
        if entry.get("id") in descriptions:
            raise ConfigurationError(f"{at}: rule id {entry.get('id')!r} is repeated")
        record = {k: v for k, v in entry.items() if k != "description"}
        try:
            rule_from_spec(record)  # the engine's own checks: linear-time pattern, cues …
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigurationError(f"{at}: {exc}") from None
        description = entry.get("description", "")
        if not isinstance(description, str):
            raise ConfigurationError(f"{at}: description must be a string")
        descriptions[str(entry["id"])] = description
        records.append(record)
    return tuple(records), descriptions


def _policy(data: Any, where: str, named: bool, providers: FrozenSet[str]) -> Policy:
    if not isinstance(data, dict):
        raise ConfigurationError(f"{where} must be an object")
    unknown = set(data) - _FIELDS
    if unknown:
        raise ConfigurationError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    values: Dict[str, Any] = {}
    if named:
        name = data.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name == "default":
            raise ConfigurationError(
                f"{where}: name must be 1-64 letters, digits, '.', '_' or '-' (not 'default')"
            )
        keys = data.get("keys")
        if not isinstance(keys, list) or not keys:
            raise ConfigurationError(f"{where}: keys must be a non-empty list of digests")
        for key in keys:
            if not isinstance(key, str) or not _DIGEST.fullmatch(key.strip().lower()):
                # Never echo the value: it may be a key pasted in clear by mistake.
                raise ConfigurationError(
                    f"{where}: keys must be SHA-256 hex digests of the client keys (64 hex "
                    "characters), never the keys themselves"
                )
        values["name"], values["keys"] = name, frozenset(k.strip().lower() for k in keys)
    else:
        if "name" in data or "keys" in data:
            raise ConfigurationError(f"{where}: the default policy has no name or keys")
        values["name"] = "default"
    values["sensitivity"] = _choice(data, "sensitivity", SENSITIVITIES, where)
    for name, allowed in (
        ("scan_action", SCAN_ACTIONS),
        ("policy_action", POLICY_ACTIONS),
        ("scan_mode", SCAN_MODES),
    ):
        if _choice(data, name, allowed, where) is not None:
            values[name] = data[name]
    values["pii_action"] = _choice(data, "pii_action", PII_ACTIONS, where)
    values["response_guard"] = _choice(data, "response_guard", RESPONSE_GUARDS, where)
    if "enforce_block" in data:
        if not isinstance(data["enforce_block"], bool):
            raise ConfigurationError(f"{where}: enforce_block must be true or false")
        values["enforce_block"] = data["enforce_block"]
    if "client_scan_modes" in data:
        modes = _strings(data["client_scan_modes"], where, "client_scan_modes")
        if set(modes) - set(SCAN_MODES):
            raise ConfigurationError(f"{where}: client_scan_modes are {', '.join(SCAN_MODES)}")
        values["client_scan_modes"] = modes
    if "block_categories" in data:
        from ..engine import CATEGORIES

        chosen = _strings(data["block_categories"], where, "block_categories")
        if set(chosen) - set(CATEGORIES):
            raise ConfigurationError(f"{where}: block_categories are among {', '.join(CATEGORIES)}")
        values["block_categories"] = chosen
    if "allow" in data:
        values["allow"] = _strings(data["allow"], where, "allow")
    if "rules" in data:
        values["rules"], values["descriptions"] = _rules(data["rules"], where)
    if "rate_limit" in data:
        values["rate_limit"] = parse_rate(data["rate_limit"], f"{where}: rate_limit")
    if "providers" in data:
        chosen = _strings(data["providers"], where, "providers")
        if set(chosen) - providers:
            raise ConfigurationError(f"{where}: unknown provider(s) in providers")
        values["providers"] = frozenset(chosen)
    if "webhooks" in data:
        values["webhooks"] = parse_webhooks(None, data["webhooks"], where)
    return Policy(**values)


def parse_policies(
    data: Any, where: str = "policies", providers: Optional[Sequence[str]] = None
) -> PolicySet:
    """A :class:`PolicySet` from a policies file's data; ``ConfigurationError`` if bad."""
    from .._providers import PROVIDERS

    known = frozenset(providers) if providers is not None else frozenset(p.name for p in PROVIDERS)
    if not isinstance(data, dict) or set(data) - {"default", "policies"}:
        raise ConfigurationError(f"{where}: expected an object with 'default' and 'policies'")
    default = _policy(data.get("default", {}), f"{where}: default", False, known)
    entries = data.get("policies", [])
    if not isinstance(entries, list) or len(entries) > MAX_POLICIES:
        raise ConfigurationError(f"{where}: policies must be a list of at most {MAX_POLICIES}")
    named: List[Policy] = []
    by_key: Dict[str, Policy] = {}
    for index, entry in enumerate(entries):
        policy = _policy(entry, f"{where}: policies[{index}]", True, known)
        if any(p.name == policy.name for p in named):
            raise ConfigurationError(f"{where}: policy name {policy.name!r} is repeated")
        for digest in policy.keys:
            if digest in by_key:
                raise ConfigurationError(
                    f"{where}: a key digest is listed by both {by_key[digest].name!r} and "
                    f"{policy.name!r}"
                )
            by_key[digest] = policy
        named.append(policy)
    return PolicySet(default, tuple(named), by_key)


def load_policies(path: str, providers: Optional[Sequence[str]] = None) -> PolicySet:
    """Read and check a policies file (JSON, or TOML for a ``.toml`` name)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigurationError(f"cannot read policies file {path!r}: {exc.strerror}") from None
    try:
        if path.lower().endswith(".toml"):
            try:
                import tomllib  # type: ignore[import-not-found,unused-ignore]
            except ImportError:  # pragma: no cover - Python < 3.11
                raise ConfigurationError(
                    "TOML policies files need Python 3.11+; use a JSON file instead"
                ) from None
            data: Any = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"policies file {path!r} is not valid: {exc}") from None
    return parse_policies(data, f"policies file {path!r}", providers)


class PolicySettings:
    """The gateway's settings as a request's policy amends them: its ``pii_action`` and
    ``response_guard`` where it sets them, and ``enforce_block`` when either says so;
    every other setting is the gateway's."""

    def __init__(self, settings: Any, policy: Policy) -> None:
        self._settings = settings
        self._policy = policy

    def __getattr__(self, name: str) -> Any:
        policy = self._policy
        if name == "pii_action" and policy.pii_action is not None:
            return policy.pii_action
        if name == "response_guard" and policy.response_guard is not None:
            return policy.response_guard
        if name == "enforce_block":
            return bool(policy.enforce_block or getattr(self._settings, "enforce_block", False))
        return getattr(self._settings, name)


def settings_for(state: Mapping[str, Any], settings: Any) -> Any:
    """``settings`` as the policy of the request whose state is ``state`` amends them."""
    plan = state.get("plan")
    return PolicySettings(settings, plan.policy) if isinstance(plan, Plan) else settings


class PolicyRefusal(Exception):
    """An answer a policy gives instead of the scan: status, error body, extra headers."""

    def __init__(
        self,
        status: int,
        payload: Dict[str, Any],
        headers: Optional[List[Tuple[bytes, bytes]]] = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload
        self.headers = headers


@dataclass(frozen=True)
class Plan:
    """What one request runs under: its policy and the choices its headers made."""

    policy: Policy
    sensitivity: str
    scan_action: Optional[str]  # None: report only (``/v1/scan`` without an action)
    policy_action: str
    mode: str
    engine: Mapping[str, Any] = field(default_factory=dict)  # the gateway's engine options

    def argument(self, call: str, request: Mapping[str, Any]) -> Dict[str, Any]:
        """The scan worker's ``policy`` argument for ``call``: the inner call's own argument
        (``body``, ``query`` … stay at the top, where the scan pool sizes a call) plus the
        policy's options, all plain data (the scan cache keys on it)."""
        return {
            **request,
            "call": call,
            "engine": self.policy.engine(self.engine) if self.mode != "policy_only" else {},
            "rules": [dict(r) for r in self.policy.rules] if self.mode != "normal" else [],
            "mode": self.mode,
        }

    def violations(self, hits: Sequence[Sequence[Any]]) -> List[Dict[str, Any]]:
        """``violated_policies`` (PROTOCOL.md) for the custom-rule hits: offsets only."""
        if not hits:
            return []
        categories: List[Dict[str, Any]] = []
        details: List[str] = []
        for rule, index, start, end in hits:
            if not any(c["name"] == rule for c in categories):
                entry = {"name": rule}
                description = self.policy.descriptions.get(rule)
                if description:
                    entry["description"] = description
                categories.append(entry)
            details.append(f"{rule} at characters {start}-{end} of message {index}")
        return [
            {
                "policy_name": self.policy.name,
                "violated_categories": categories,
                "violation_details": "; ".join(details),
            }
        ]

    def judge(
        self, hits: Sequence[Sequence[Any]], request_id: str
    ) -> Tuple[List[Dict[str, Any]], List[Tuple[bytes, bytes]]]:
        """Raise :class:`PolicyRefusal` (403 ``policy_violation``) for hits under ``block``;
        else the ``policy_warnings`` and the proxy headers that report them."""
        violated = self.violations(hits)
        if not violated:
            return [], []
        if self.policy_action == "block":
            raise PolicyRefusal(
                403,
                _errors.error_body(
                    f"The request violates the gateway policy {self.policy.name!r}",
                    "lockllm_policy_error",
                    "policy_violation",
                    request_id,
                    violated_policies=violated,
                ),
                [(b"x-lockllm-blocked", b"true")],
            )
        detail = json.dumps(violated, separators=(",", ":")).encode()
        return violated, [
            (b"x-lockllm-policy-warnings", b"true"),
            (b"x-lockllm-warning-count", str(len(hits)).encode()),
            (b"x-lockllm-warning-detail", base64.b64encode(detail)),
        ]


def _header(headers: Mapping[str, str], name: str, allowed: Sequence[str], rid: str) -> Any:
    value = headers.get(name)
    if value is None:
        return None
    value = value.strip().lower()
    if value not in allowed:
        code = "invalid_" + name[len("x-lockllm-") :].replace("-", "_")
        raise PolicyRefusal(
            400,
            _errors.invalid_request(
                f"{name} must be one of {', '.join(allowed)}; got {value[:32]!r}", rid, code
            ),
        )
    return value


class PolicyStore:
    """The running policies of a gateway: read, swapped in on reload, applied per request.

    ``metrics`` (the gateway's ``Metrics`` or ``None``) gets a counter labelled by policy
    name; ``redis`` shares the per-policy rate limits like the gateway's own.
    """

    def __init__(
        self,
        path: str,
        *,
        providers: Sequence[str],
        webhook_secret: Optional[str] = None,
        metrics: Any = None,
        redis: Any = None,
        engine: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.path = path
        self.providers = tuple(providers)
        self.engine = dict(engine or {})
        self._secret = webhook_secret
        self._redis = redis
        self._limiters: Dict[Tuple[str, Rate], RateLimiter] = {}
        self._hooks: Dict[Tuple[str, Tuple[WebhookSpec, ...]], Webhooks] = {}
        self.counter: Any = None
        if metrics is not None:
            import prometheus_client as prom

            self.counter = prom.Counter(
                "lockllm_policy_requests",
                "Requests by gateway policy and what the policy decided",
                ["policy", "decision"],
                registry=metrics.registry,
            )
        self.current = self._load()  # at start-up a bad file is an error, not a log line
        self._stamp = self._stat()
        self.reloads = 0

    def _load(self) -> PolicySet:
        policies = load_policies(self.path, self.providers)
        if not self._secret and any(p.webhooks for p in (*policies.named, policies.default)):
            raise ConfigurationError(
                f"policies file {self.path!r}: policy webhooks are signed: set "
                "LOCKLLM_SERVER_WEBHOOK_SECRET (webhook_secret)"
            )
        return policies

    def _stat(self) -> Optional[Tuple[int, int, int]]:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def reload(self) -> bool:
        """Read the file again and swap it in; on a bad file, log why and keep the
        running policies. True when the new policies are in force."""
        self._stamp = self._stat()
        try:
            policies = self._load()
        except ConfigurationError as exc:
            logger.error(
                "policies: refused the new policies file (%s); the running policies stay "
                "in force (%s)",
                exc,
                ", ".join(self.current.names),
            )
            return False
        self.current = policies  # one assignment: a request sees the old set or the new
        self.reloads += 1
        logger.info(
            "policies: loaded %d polic%s from %s (%s)",
            len(policies.names),
            "y" if len(policies.names) == 1 else "ies",
            self.path,
            ", ".join(policies.names),
        )
        return True

    def changed(self) -> bool:
        """True when the file's modification time, size or inode differ from the last read."""
        return self._stat() != self._stamp

    async def watch(self, interval: float = POLL_SECONDS) -> None:
        """Reload on SIGHUP (where this thread may handle signals) and on file change;
        runs until cancelled."""
        import anyio
        import anyio.to_thread

        wake = anyio.Event()
        events: List[Any] = [wake]

        def hangup() -> None:
            events[0].set()

        loop: Any = None
        with contextlib.suppress(Exception):  # not the main thread, or not asyncio
            import asyncio

            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, hangup)
        try:
            while True:
                with anyio.move_on_after(interval):
                    await events[0].wait()
                signalled = events[0].is_set()
                if signalled:
                    events[0] = anyio.Event()
                if signalled or self.changed():
                    await anyio.to_thread.run_sync(self.reload)
        finally:
            if loop is not None:
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(signal.SIGHUP)

    # -- per request ------------------------------------------------------------------------

    def plan(
        self,
        headers: Mapping[str, str],
        presented: Sequence[str],
        default_sensitivity: str,
        enforce_block: bool,
        provider: Optional[str],
        request_id: str,
    ) -> Plan:
        """The plan of a request: its key's policy (or the default), with the client's
        ``X-LockLLM-*`` choices applied where the policy allows them."""
        policy = self.current.for_digests([key_digest(k) for k in presented])
        from ._context import note

        note("policy", policy.name)
        if (
            provider is not None
            and policy.providers is not None
            and (provider not in policy.providers)
        ):
            self.count(policy.name, "provider_denied")
            raise PolicyRefusal(
                403,
                _errors.forbidden(
                    f"The gateway policy {policy.name!r} does not allow the provider {provider!r}",
                    "provider_not_allowed",
                    request_id,
                ),
            )
        enforced = enforce_block or policy.enforce_block
        level = policy.sensitivity or default_sensitivity
        asked = headers.get("x-lockllm-sensitivity")
        if asked is not None and not enforced:
            level = _header(headers, "x-lockllm-sensitivity", SENSITIVITIES, request_id)
        scan_action = policy.scan_action
        if scan_action is None and provider is not None:
            scan_action = "block"  # the proxy blocks by default, /v1/scan reports
        asked = _header(headers, "x-lockllm-scan-action", POLICY_ACTIONS, request_id)
        if asked is not None and (asked == "block" or not enforced):
            scan_action = asked
        policy_action = policy.policy_action
        asked = _header(headers, "x-lockllm-policy-action", POLICY_ACTIONS, request_id)
        if asked is not None and (asked == "block" or not enforced):
            policy_action = asked
        mode = policy.scan_mode
        asked = _header(headers, "x-lockllm-scan-mode", SCAN_MODES, request_id)
        if asked is not None and asked in policy.client_scan_modes:
            mode = asked
        return Plan(policy, str(level), scan_action, policy_action, mode, self.engine)

    async def begin(
        self,
        headers: Mapping[str, str],
        valid: Sequence[str],
        settings: Any,
        provider: Optional[str],
        request_id: str,
        state: Dict[str, Any],
    ) -> Plan:
        """The plan of a request (``valid``: the gateway keys it presented), checked against
        its policy's rate limit; its policy's webhooks noted in ``state`` for its events."""
        plan = self.plan(
            headers, valid, settings.sensitivity, settings.enforce_block, provider, request_id
        )
        client = "key_" + key_digest(valid[0])[:16] if valid else "anonymous"
        await self.limit(plan, client, request_id)
        hooks = self.webhooks(plan)
        if hooks is not None:
            state["webhooks"] = hooks
        state["plan"] = plan  # for the PII step and the response guard (``settings_for``)
        return plan

    async def limit(self, plan: Plan, client: str, request_id: str) -> None:
        """Raise 429 when ``client`` (a key id) is past its policy's ``rate_limit``."""
        rate = plan.policy.rate_limit
        if rate is None:
            return
        limiter = self._limiters.get((plan.policy.name, rate))
        if limiter is None:
            limiter = self._limiters[(plan.policy.name, rate)] = RateLimiter(rate, self._redis)
        wait = await limiter.hit(f"policy:{plan.policy.name}:{client}")
        if wait > 0:
            self.count(plan.policy.name, "rate_limited")
            seconds = retry_after_header(wait)
            raise PolicyRefusal(
                429,
                _errors.rate_limited(
                    f"Rate limit of the gateway policy {plan.policy.name!r} exceeded "
                    f"({rate} per key); retry after {seconds.decode()} s",
                    request_id,
                ),
                [
                    (b"retry-after", seconds),
                    (b"retry-after-ms", str(max(1, round(wait * 1000))).encode()),
                ],
            )

    def webhooks(self, plan: Plan) -> Optional[Webhooks]:
        """The receivers of this plan's events (``None``: the gateway's own)."""
        if not plan.policy.webhooks or not self._secret:
            return None
        key = (plan.policy.name, plan.policy.webhooks)
        hooks = self._hooks.get(key)
        if hooks is None:
            hooks = self._hooks[key] = Webhooks(plan.policy.webhooks, self._secret)
        return hooks

    def judge(
        self, plan: Plan, hits: Sequence[Sequence[Any]], request_id: str
    ) -> Tuple[List[Dict[str, Any]], List[Tuple[bytes, bytes]]]:
        """:meth:`Plan.judge`, counted and logged (rule ids and offsets, never text)."""
        from ._context import note

        try:
            warnings, headers = plan.judge(hits, request_id)
        except PolicyRefusal:
            note("policy_violation", True)
            self.count(plan.policy.name, "policy_violation")
            logger.warning(
                "policy %s: request %s refused, custom rule(s) %s",
                plan.policy.name,
                request_id,
                ",".join(sorted({str(h[0]) for h in hits})),
            )
            raise
        if warnings:
            note("policy_warnings", len(hits))
        return warnings, headers

    def decided(self, plan: Plan, result: Any, warned: bool, request_id: str) -> None:
        """Count (and for ``audit``, log) what became of a request that was not refused
        (``result``: its verdict, ``None`` when nothing was scanned)."""
        safe = None if result is None else bool(result.safe)
        if safe is False and plan.scan_action == "audit":
            logger.warning(
                "policy %s: request %s flagged and forwarded (audit)", plan.policy.name, request_id
            )
            decision = "audited"
        elif safe is False and plan.scan_action == "block":
            decision = "blocked"
        elif safe is False or warned:
            decision = "warned"
        else:
            decision = "allowed"
        self.count(plan.policy.name, decision)

    def count(self, policy: str, decision: str) -> None:
        """Count one decision of ``policy`` (``allowed``, ``blocked``, ``warned``,
        ``audited``, ``policy_violation``, ``rate_limited``, ``provider_denied``)."""
        if self.counter is not None:
            self.counter.labels(policy, decision).inc()

    async def aclose(self) -> None:
        for hooks in self._hooks.values():
            await hooks.aclose()
        self._hooks.clear()


@contextlib.asynccontextmanager
async def watching(store: Optional[PolicyStore]) -> AsyncIterator[None]:
    """Run ``store.watch()`` (reloads on SIGHUP and file change) for the ``with`` block."""
    if store is None:
        yield
        return
    import anyio

    async with anyio.create_task_group() as group:
        group.start_soon(store.watch)
        try:
            yield
        finally:
            group.cancel_scope.cancel()
