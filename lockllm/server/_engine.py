"""The local engine's options in the gateway's settings: ``threshold``, ``allow``, ``model``,
``transformer``.

They are those of ``LocalScanner(threshold=..., allow=[...], model=OnnxClassifier(dir))``
and ``LocalScanner(transformer=False)`` (rules and linear models only, no transformer
tier), read from the config file (``"threshold": 70, "allow": ["Example Corp"], "model":
"models/pi", "transformer": false``) or the environment (``LOCKLLM_SERVER_THRESHOLD``,
``LOCKLLM_SERVER_ALLOW`` as a JSON list, ``LOCKLLM_SERVER_MODEL``,
``LOCKLLM_SERVER_TRANSFORMER=true|false``), checked at start-up, and handed to every scan
worker as JSON in ``LOCKLLM_SERVER_ENGINE`` (the gateway's in-process engine reads the same
JSON). Nothing here imports the engine until a scanner is built.
"""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from ..engine import LocalScanner

__all__ = [
    "ENGINE_ENV",
    "ENVIRONMENT",
    "KEYS",
    "check",
    "from_config",
    "from_env",
    "options",
    "scanner",
    "worker_scanner",
]

ENGINE_ENV = "LOCKLLM_SERVER_ENGINE"
"""The variable that carries the engine options (JSON) to each scan worker."""
KEYS = frozenset({"threshold", "allow", "model", "transformer"})
ENVIRONMENT: Tuple[Tuple[str, str], ...] = (
    ("LOCKLLM_SERVER_THRESHOLD", "engine: unsafe at or above this score, 0-100 (threshold)"),
    ("LOCKLLM_SERVER_ALLOW", 'engine: phrases that never count, JSON: ["Acme"] (allow)'),
    ("LOCKLLM_SERVER_MODEL", "engine: an ONNX classifier directory (config: model)"),
    (
        "LOCKLLM_SERVER_TRANSFORMER",
        "engine: false for rules only, without the transformer tier (transformer; default "
        "on where onnxruntime is installed)",
    ),
)
_MODEL_FILES = ("model.onnx", "tokenizer.json", "config.json")


def _threshold(value: Any, where: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ConfigurationError(
                f"{where}: threshold must be a number; got {value!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{where}: threshold must be a number; got {value!r}")
    return float(value)


def _allow(value: Any, where: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigurationError(f"{where}: allow must be a list of phrases (non-empty strings)")
    return tuple(value)


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _transformer(value: Any, where: str) -> bool:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
    if isinstance(value, bool):
        return value
    raise ConfigurationError(
        f"{where}: transformer must be true (the transformer tier) or false (rules only); "
        f"got {value!r}"
    )


def from_config(data: Mapping[str, Any], where: str) -> Dict[str, Any]:
    """The engine settings in a config file's mapping."""
    values: Dict[str, Any] = {}
    if "threshold" in data:
        values["threshold"] = _threshold(data["threshold"], where)
    if "allow" in data:
        values["allow"] = _allow(data["allow"], where)
    if "model" in data:
        if not isinstance(data["model"], str) or not data["model"].strip():
            raise ConfigurationError(
                f"{where}: model must be the path of an ONNX classifier directory"
            )
        values["model"] = data["model"]
    if "transformer" in data:
        if not isinstance(data["transformer"], bool):
            raise ConfigurationError(
                f"{where}: transformer must be true (the transformer tier) or false (rules "
                f"only); got {data['transformer']!r}"
            )
        values["transformer"] = data["transformer"]
    return values


def from_env(env: Mapping[str, str]) -> Dict[str, Any]:
    """The engine settings in the environment (they win over the config file)."""
    values: Dict[str, Any] = {}
    raw = env.get("LOCKLLM_SERVER_THRESHOLD", "").strip()
    if raw:
        values["threshold"] = _threshold(raw, "LOCKLLM_SERVER_THRESHOLD")
    raw = env.get("LOCKLLM_SERVER_ALLOW", "").strip()
    if raw:
        try:
            phrases = json.loads(raw)
        except ValueError:
            phrases = None
        values["allow"] = _allow(phrases, "LOCKLLM_SERVER_ALLOW (a JSON list)")
    raw = env.get("LOCKLLM_SERVER_MODEL", "").strip()
    if raw:
        values["model"] = raw
    raw = env.get("LOCKLLM_SERVER_TRANSFORMER", "").strip()
    if raw:
        values["transformer"] = _transformer(raw, "LOCKLLM_SERVER_TRANSFORMER")
    return values


def check(
    threshold: Optional[float],
    allow: Tuple[str, ...],
    model: Optional[str],
    transformer: Optional[bool] = None,
) -> None:
    """Refuse engine settings a scan worker could not start with."""
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or math.isnan(threshold)
        or not 0.0 <= threshold <= 100.0
    ):
        raise ConfigurationError(f"threshold must be a number from 0 to 100; got {threshold!r}")
    if not isinstance(allow, tuple) or not all(isinstance(a, str) and a.strip() for a in allow):
        raise ConfigurationError("allow must be a list of phrases (non-empty strings)")
    if model is not None:
        if not isinstance(model, str) or not model.strip():
            raise ConfigurationError("model must be the path of an ONNX classifier directory")
        if not os.path.isdir(model):
            raise ConfigurationError(f"model: {model} is not a directory")
        for name in _MODEL_FILES:
            if not os.path.isfile(os.path.join(model, name)):
                raise ConfigurationError(f"model: {model} has no {name}")
    if transformer is not None:
        if not isinstance(transformer, bool):
            raise ConfigurationError(f"transformer must be true or false; got {transformer!r}")
        if transformer and model is not None:
            raise ConfigurationError(
                "model and transformer = true: a model directory replaces the shipped model "
                "and its transformer tier; set one of them"
            )
        if transformer:
            from ..engine._transformer import runtime_available

            if not runtime_available():
                from .._install import install_hint

                raise ConfigurationError(
                    "transformer = true needs onnxruntime, tokenizers and numpy: "
                    + install_hint("onnx")
                )


def options(
    threshold: Optional[float],
    allow: Tuple[str, ...],
    model: Optional[str],
    transformer: Optional[bool] = None,
) -> Dict[str, Any]:
    """The settings that differ from the engine's defaults, as JSON-ready data."""
    found: Dict[str, Any] = {}
    if threshold is not None:
        found["threshold"] = float(threshold)
    if allow:
        found["allow"] = list(allow)
    if model is not None:
        found["model"] = model
    if transformer is not None:
        found["transformer"] = bool(transformer)
    return found


def scanner(engine: str) -> LocalScanner:
    """``LocalScanner`` with the options ``engine`` (JSON, "" for the defaults) names."""
    from ..engine import LocalScanner, OnnxClassifier

    chosen: Dict[str, Any] = json.loads(engine) if engine else {}
    model = chosen.get("model")
    # The workers share the machine: one onnxruntime thread each.
    if model:
        return LocalScanner(
            threshold=chosen.get("threshold"),
            allow=tuple(chosen.get("allow", ())),
            model=OnnxClassifier(model, threads=1),
        )
    return LocalScanner(
        threshold=chosen.get("threshold"),
        allow=tuple(chosen.get("allow", ())),
        transformer=chosen.get("transformer"),
    )


def worker_scanner() -> LocalScanner:
    """The scanner of one scan worker: ``LocalScanner`` with the options in ``ENGINE_ENV``."""
    return scanner(os.environ.get(ENGINE_ENV, ""))
