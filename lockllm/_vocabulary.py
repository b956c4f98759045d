"""The words of the LockLLM protocol, written down once (PROTOCOL.md).

Everything else derives from these tables or is checked against them: the option
validation and ``X-LockLLM-*`` request headers (``_options``), the error classes chosen
for a response (``errors``), the markers that tell a LockLLM error body from a provider's
(``wrappers._errors``), the provider table (``_providers``) and the gateway's upstreams,
error bodies and option checks (``server``), the CLI's choices, and the ``Literal`` types
of ``types`` (a test compares them with ``typing.get_args``).

Pure data: this module imports nothing of ours, so any layer may use it.
"""

from __future__ import annotations

from typing import FrozenSet, Literal, Mapping, NamedTuple, Optional, Tuple, get_args

__all__ = [
    "ACTIONS",
    "COMPRESSION_METHODS",
    "COMPRESSION_RATE_RANGE",
    "DEFAULT_SENSITIVITY",
    "ERRORS",
    "ERRORS_BY_CLASS",
    "FALLBACK_STATUSES",
    "GENERIC_ERROR_TYPES",
    "LOCKLLM_ERROR_MARKERS",
    "MAX_CACHE_TTL",
    "OPTIONS",
    "OPTIONS_BY_NAME",
    "PII_ACTIONS",
    "PROVIDERS",
    "PROVIDERS_BY_NAME",
    "RETRYABLE_STATUSES",
    "ROUTE_ACTIONS",
    "SCAN_MODES",
    "SCAN_SOURCES",
    "SENSITIVITIES",
    "ErrorKind",
    "Sensitivity",
    "Option",
    "ProviderSpec",
]

# -- levels, actions, modes ---------------------------------------------------------------

Sensitivity = Literal["low", "medium", "high"]
"""Detection threshold: ``low`` flags only clear attacks, ``high`` flags anything doubtful.

The one place the levels are spelled: :data:`SENSITIVITIES`, ``lockllm.types``, the
engine's thresholds, the CLI's and the gateway's checks all take them from here."""
SENSITIVITIES: Tuple[Sensitivity, ...] = get_args(Sensitivity)
DEFAULT_SENSITIVITY: Sensitivity = "medium"
SCAN_MODES: Tuple[str, ...] = ("normal", "policy_only", "combined")
ACTIONS: Tuple[str, ...] = ("block", "allow_with_warning")
PII_ACTIONS: Tuple[str, ...] = ("strip", "block", "allow_with_warning")
COMPRESSION_METHODS: Tuple[str, ...] = ("toon", "compact", "combined")
ROUTE_ACTIONS: Tuple[str, ...] = ("disabled", "auto", "custom")
SCAN_SOURCES: Tuple[str, ...] = ("api", "local")
COMPRESSION_RATE_RANGE: Tuple[float, float] = (0.3, 0.7)
MAX_CACHE_TTL = 86400

# -- paths and headers ----------------------------------------------------------------------

SCAN_PATH = "/v1/scan"
LEGACY_SCAN_PATH = "/scan"
PROXY_PATH = "/v1/proxy"
AUTHORIZATION = "Authorization"
API_KEY_HEADER = "x-api-key"
REQUEST_ID_HEADER = "X-Request-Id"
RETRY_AFTER_HEADER = "Retry-After"
RETRY_AFTER_MS_HEADER = "retry-after-ms"
METADATA_PREFIX = "X-LockLLM-"
"""The prefix of the proxy's response metadata headers (``X-LockLLM-Safe`` …)."""


class Option(NamedTuple):
    """One scan or proxy option: its keyword, its request header and what it accepts.

    ``kind`` is ``"choice"`` (one of ``choices``), ``"bool"`` (sent as ``true``/``false``),
    ``"rate"`` (a number in ``COMPRESSION_RATE_RANGE``) or ``"ttl"`` (whole seconds,
    1 to ``MAX_CACHE_TTL``). ``scan`` says whether ``scan()`` takes it (else proxy only).
    """

    name: str
    header: str
    kind: str
    choices: Tuple[str, ...] = ()
    scan: bool = True


OPTIONS: Tuple[Option, ...] = (
    Option("scan_mode", "X-LockLLM-Scan-Mode", "choice", SCAN_MODES),
    Option("scan_action", "X-LockLLM-Scan-Action", "choice", ACTIONS),
    Option("policy_action", "X-LockLLM-Policy-Action", "choice", ACTIONS),
    Option("abuse_action", "X-LockLLM-Abuse-Action", "choice", ACTIONS),
    Option("pii_action", "X-LockLLM-PII-Action", "choice", PII_ACTIONS),
    Option("compression", "X-LockLLM-Compression", "choice", COMPRESSION_METHODS),
    Option("compression_rate", "X-LockLLM-Compression-Rate", "rate"),
    Option("chunk", "X-LockLLM-Chunk", "bool"),
    Option("sensitivity", "X-LockLLM-Sensitivity", "choice", SENSITIVITIES, scan=False),
    Option("route_action", "X-LockLLM-Route-Action", "choice", ROUTE_ACTIONS, scan=False),
    Option("cache_response", "X-LockLLM-Cache-Response", "bool", scan=False),
    Option("cache_ttl", "X-LockLLM-Cache-TTL", "ttl", scan=False),
)
"""``sensitivity`` is an argument of ``scan()`` (in the body), a header on proxy calls."""
OPTIONS_BY_NAME: Mapping[str, Option] = {option.name: option for option in OPTIONS}

# -- providers ------------------------------------------------------------------------------


class ProviderSpec(NamedTuple):
    """One provider behind the proxy.

    ``name`` is the proxy path segment; ``family`` the SDK that talks to it (``openai``
    for OpenAI-compatible APIs, or ``anthropic``); ``upstream`` the public API base the
    gateway forwards to (``None`` when each deployment has its own); ``auth`` how the
    provider key is sent: ``bearer`` (``Authorization: Bearer``), ``anthropic``
    (``x-api-key``) or ``azure`` (``api-key``).
    """

    name: str
    family: str
    title: str
    upstream: Optional[str]
    auth: str


PROVIDERS: Tuple[ProviderSpec, ...] = (
    ProviderSpec("openai", "openai", "OpenAI", "https://api.openai.com/v1", "bearer"),
    ProviderSpec("anthropic", "anthropic", "Anthropic", "https://api.anthropic.com", "anthropic"),
    ProviderSpec(
        "gemini",
        "openai",
        "Google Gemini",
        "https://generativelanguage.googleapis.com/v1beta/openai",
        "bearer",
    ),
    # Native paths (v1/…, v2/…) go here; OpenAI-style paths go to {url}/compatibility/v1.
    ProviderSpec("cohere", "openai", "Cohere", "https://api.cohere.com", "bearer"),
    ProviderSpec("openrouter", "openai", "OpenRouter", "https://openrouter.ai/api/v1", "bearer"),
    ProviderSpec("perplexity", "openai", "Perplexity", "https://api.perplexity.ai", "bearer"),
    ProviderSpec("mistral", "openai", "Mistral AI", "https://api.mistral.ai/v1", "bearer"),
    ProviderSpec("groq", "openai", "Groq", "https://api.groq.com/openai/v1", "bearer"),
    ProviderSpec("deepseek", "openai", "DeepSeek", "https://api.deepseek.com/v1", "bearer"),
    ProviderSpec("together", "openai", "Together AI", "https://api.together.xyz/v1", "bearer"),
    ProviderSpec("xai", "openai", "xAI", "https://api.x.ai/v1", "bearer"),
    ProviderSpec(
        "fireworks", "openai", "Fireworks AI", "https://api.fireworks.ai/inference/v1", "bearer"
    ),
    ProviderSpec(
        "anyscale", "openai", "Anyscale", "https://api.endpoints.anyscale.com/v1", "bearer"
    ),
    ProviderSpec(
        "huggingface", "openai", "Hugging Face", "https://router.huggingface.co/v1", "bearer"
    ),
    # No single public base: e.g. https://<resource>.openai.azure.com/openai/v1,
    # https://bedrock-runtime.<region>.amazonaws.com/openai/v1,
    # https://<region>-aiplatform.googleapis.com/v1/projects/<p>/locations/<r>/endpoints/openapi
    ProviderSpec("azure", "openai", "Azure OpenAI", None, "azure"),
    ProviderSpec("bedrock", "openai", "AWS Bedrock", None, "bearer"),
    ProviderSpec("vertex-ai", "openai", "Google Vertex AI", None, "bearer"),
)
PROVIDERS_BY_NAME: Mapping[str, ProviderSpec] = {p.name: p for p in PROVIDERS}

# -- errors ---------------------------------------------------------------------------------


class ErrorKind(NamedTuple):
    """One row of the error table (PROTOCOL.md §2).

    ``class_name`` names the class in ``lockllm.errors``; ``status`` is the HTTP status
    the service answers with (``None``: any). ``type`` is what the gateway sends and
    ``codes`` the codes it may send (the first is its default); ``aliases`` are further
    ``type`` values that classify the same way. ``details`` are the extra fields of the
    error object the class reads. A response picks its class by code first, then by
    type, then by status (``by_status``).
    """

    class_name: str
    status: Optional[int]
    type: str
    codes: Tuple[str, ...] = ()
    aliases: Tuple[str, ...] = ()
    details: Tuple[str, ...] = ()
    by_status: bool = False


ERRORS: Tuple[ErrorKind, ...] = (
    ErrorKind(
        "PromptInjectionError",
        400,
        "lockllm_security_error",
        ("prompt_injection_detected",),
        details=("scan_result",),
    ),
    ErrorKind(
        "AuthenticationError", 401, "authentication_error", ("unauthorized",), by_status=True
    ),
    ErrorKind(
        "RateLimitError",
        429,
        "rate_limit_error",
        ("rate_limited",),
        details=("retry_after",),
        by_status=True,
    ),
    ErrorKind(
        "UpstreamError",
        502,
        "upstream_error",
        ("provider_error",),
        details=("provider", "upstream_status"),
        by_status=True,
    ),
    ErrorKind(
        "ConfigurationError",
        400,
        "configuration_error",
        ("no_upstream_key", "no_upstream_url", "no_byok_key", "invalid_provider_for_credits_mode"),
        aliases=("lockllm_config_error",),
    ),
    ErrorKind(
        "PolicyViolationError",
        403,
        "lockllm_policy_error",
        ("policy_violation",),
        aliases=("policy_violation",),
        details=("violated_policies",),
    ),
    ErrorKind(
        "AbuseDetectedError",
        400,
        "lockllm_abuse_error",
        ("abuse_detected",),
        aliases=("abuse_detected",),
        details=("abuse_details",),
    ),
    ErrorKind(
        "PIIDetectedError",
        403,
        "lockllm_pii_error",
        ("pii_detected",),
        aliases=("pii_detected",),
        details=("pii_details",),
    ),
    ErrorKind(
        "ResponseBlockedError",
        403,
        "lockllm_response_error",
        ("response_blocked",),
    ),
    ErrorKind(
        "InsufficientCreditsError",
        402,
        "lockllm_balance_error",
        (
            "insufficient_credits",
            "no_balance",
            "insufficient_routing_credits",
            "balance_check_failed",
            "credits_unavailable",
        ),
        details=("current_balance", "estimated_cost"),
        by_status=True,
    ),
)
ERRORS_BY_CLASS: Mapping[str, ErrorKind] = {kind.class_name: kind for kind in ERRORS}

GENERIC_ERROR_TYPES: FrozenSet[str] = frozenset({"authentication_error", "rate_limit_error"})
"""Error types providers use too (Anthropic's API does): they prove nothing about who sent
an error body."""

LOCKLLM_ERROR_MARKERS: FrozenSet[str] = frozenset(
    word
    for kind in ERRORS
    for word in (kind.type, *kind.codes, *kind.aliases)
    if word not in GENERIC_ERROR_TYPES
)
"""Error types and codes only LockLLM uses: an error body naming one came from LockLLM."""

RETRYABLE_STATUSES: FrozenSet[int] = frozenset({408, 409, 429, 500, 502, 503, 504})
FALLBACK_STATUSES: FrozenSet[int] = frozenset({500, 502, 503, 504})
"""Statuses after which the service counts as unreachable (the local fallback may answer)."""
