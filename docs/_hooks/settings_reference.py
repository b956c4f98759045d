"""MkDocs hook: the gateway's configuration reference, generated from its settings code.

A page holding the line ``<!-- settings-reference -->`` gets that line replaced by tables
built at build time from :mod:`lockllm.server._settings` itself: every field of
``Settings`` (its config-file key, its environment variable, its command-line flag and its
default) and every other environment variable ``lockllm serve`` reads. Nothing is typed
twice, so the page cannot drift from the code; ``tests/test_docs_blocks.py`` checks that
every field and every variable appears.

``render()`` is importable without MkDocs (the tests use it).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from typing import Any, Dict, List, Optional, Tuple

MARKER = "<!-- settings-reference -->"

# Fields that are not settings a user writes: computed from other settings.
_DERIVED = {
    "upstream_proxy": "derived from `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY` "
    "when `upstream_trust_env` is on",
}


def _environment() -> Tuple[Tuple[str, str], ...]:
    from lockllm.server._settings import ENVIRONMENT

    return ENVIRONMENT


def _config_only() -> Dict[str, str]:
    """The descriptions of the keys no environment variable sets (``CONFIG_ONLY``)."""
    from lockllm.server import _settings

    return dict(getattr(_settings, "CONFIG_ONLY", ()))


def _config_keys(names: List[str]) -> Dict[str, bool]:
    """Which of ``names`` a config file accepts, asked of the loader itself."""
    from lockllm.errors import ConfigurationError
    from lockllm.server import _settings

    accepted: Dict[str, bool] = {}
    for name in names:
        try:
            _settings._from_config({name: object()}, "probe")
        except ConfigurationError as error:
            accepted[name] = "unknown setting" not in str(error)
        except Exception:  # a value check that choked on the probe: the key is known
            accepted[name] = True
        else:
            accepted[name] = True
    return accepted


def _flags() -> Dict[str, str]:
    """``lockllm serve``'s flags by the ``Settings`` field they set."""
    from lockllm.server._cli import add_serve_arguments

    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    flags: Dict[str, str] = {}
    for action in parser._actions:
        if action.option_strings and action.dest not in ("help",):
            flags[action.dest] = max(action.option_strings, key=len)
    return flags


def _env_for(name: str, environment: Tuple[Tuple[str, str], ...]) -> Optional[Tuple[str, str]]:
    upper = name.upper()
    for variable, text in environment:
        if variable in (f"LOCKLLM_SERVER_{upper}", f"LOCKLLM_{upper}"):
            return variable, text
    pattern = re.compile(r"\((?:config: )?" + re.escape(name) + r"\b[;)]")
    for variable, text in environment:
        if variable.startswith("LOCKLLM_") and pattern.search(text):
            return variable, text
    return None


def _stated_default(text: str, name: str) -> str:
    """What the description's ``(key; default …)`` reminder says the default is."""
    found = re.search(r"\((?:config: )?" + re.escape(name) + r"; (?:default )?([^)]*)\)", text)
    return found.group(1).strip() if found else ""


def _default(field: Any) -> str:
    if field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    else:
        value = field.default
    if isinstance(value, bool):
        return "`true`" if value else "off"
    if value is None or value == ():
        return "none"
    if isinstance(value, dict):
        return "each provider's public API (none for azure, bedrock, vertex-ai)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and value >= 1024 * 1024 and value % (1024 * 1024) == 0:
        return f"`{value}` ({value // (1024 * 1024)} MiB)"
    if type(value).__name__ == "ProxyConfig":
        return "no proxies"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _strip_key(text: str, name: str) -> str:
    """The description without its trailing ``(config: key; default)`` reminder."""
    return re.sub(r"\s*\((?:config: )?" + re.escape(name) + r"\b[^)]*\)\s*$", "", text)


def render() -> str:
    """The reference tables, as Markdown."""
    from lockllm.server._settings import DEFAULT_UPSTREAMS, Settings

    environment = _environment()
    fields = dataclasses.fields(Settings)
    names = [f.name for f in fields]
    in_file = _config_keys(names)
    flags = _flags()
    config_only = _config_only()
    used: set = set()
    rows = [
        "| Setting | In the file | Environment variable | Flag | Default | What it sets |",
        "|---|---|---|---|---|---|",
    ]
    for field in fields:
        env = _env_for(field.name, environment)
        if env is not None:
            used.add(env[0])
            text = _strip_key(env[1], field.name)
        else:
            text = _DERIVED.get(field.name) or config_only.get(field.name, "")
        default = _default(field)
        stated = _stated_default(env[1], field.name) if env else ""
        if default == "none" and stated and not stated[0].isdigit():
            default = f"none: {stated}"
        key = "yes" if in_file[field.name] else "no"
        variable = f"`{env[0]}`" if env else ""
        flag = f"`{flags[field.name]}`" if field.name in flags else ""
        cells = [f"`{field.name}`", key, variable, flag, _cell(default), _cell(text)]
        rows.append("| " + " | ".join(cells) + " |")
    others = [
        "| Environment variable | What it does |",
        "|---|---|",
    ]
    for variable, text in environment:
        if variable not in used:
            others.append(f"| `{_cell(variable)}` | {_cell(text)} |")
    providers = [
        "| Provider | Variables | Default base URL | Key sent as |",
        "|---|---|---|---|",
    ]
    auth_names = {"bearer": "`Authorization: Bearer`", "anthropic": "`x-api-key`"}
    auth_names["azure"] = "`api-key`"
    for name, spec in DEFAULT_UPSTREAMS.items():
        prefix = "LOCKLLM_UPSTREAM_" + name.upper().replace("-", "_")
        url = f"`{spec.url}`" if spec.url else "none: set it"
        auth = auth_names.get(spec.auth, f"`{spec.auth}`")
        providers.append(f"| `{name}` | `{prefix}_URL`, `{prefix}_KEY` | {url} | {auth} |")
    return "\n".join(
        [
            "### Settings",
            "",
            *rows,
            "",
            "### Other environment variables",
            "",
            *others,
            "",
            "### Providers",
            "",
            "In a config file, `upstreams` is an object keyed by these names, each with "
            "`url` and `key`.",
            "",
            *providers,
            "",
        ]
    )


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs event: put the generated tables where a page asks for them."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render())
