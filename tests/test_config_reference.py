"""Gateway configuration (issue 17, item 6): every key documented where the reference is
generated from, a config file in another format refused with what is expected, a missing
provider URL told from a missing key, and the sensitivities spelled once."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path
from typing import Any

import pytest

from lockllm import _vocabulary, types
from lockllm.errors import ConfigurationError, error_from_response
from lockllm.server._settings import CONFIG_ONLY, ENVIRONMENT, Settings

DERIVED = {"upstream_proxy"}  # computed from HTTPS_PROXY & co, not written by a user


def _documented(name: str) -> bool:
    if name in dict(CONFIG_ONLY):
        return True
    reminder = re.compile(r"\((?:config: )?" + re.escape(name) + r"\b[;)]")
    for variable, text in ENVIRONMENT:
        if variable in (f"LOCKLLM_SERVER_{name.upper()}", f"LOCKLLM_{name.upper()}"):
            return True
        if reminder.search(text):
            return True
    return False


def test_every_setting_is_documented_in_the_reference_data() -> None:
    missing = [
        f.name
        for f in dataclasses.fields(Settings)
        if f.name not in DERIVED and not _documented(f.name)
    ]
    assert missing == []


def test_sensitivity_is_documented_and_works_from_a_config_file(tmp_path: Path) -> None:
    from lockllm.server._cli import environment_help

    described = dict(CONFIG_ONLY)["sensitivity"]
    for level in _vocabulary.SENSITIVITIES:
        assert level in described
    help_text = environment_help()
    assert "sensitivity" in help_text
    assert "JSON, or TOML" in help_text
    config = tmp_path / "gateway.json"
    config.write_text('{"sensitivity": "high"}', encoding="utf-8")
    assert Settings.load(config_file=str(config), environ={}).sensitivity == "high"
    config.write_text('{"sensitivity": "extreme"}', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="one of low, medium, high"):
        Settings.load(config_file=str(config), environ={})


@pytest.mark.parametrize("name", ["gateway.yaml", "gateway.YML"])
def test_a_yaml_config_says_json_or_toml_is_expected(tmp_path: Path, name: str) -> None:
    config = tmp_path / name
    config.write_text("host: 127.0.0.1\nport: 8080\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        Settings.load(config_file=str(config), environ={})
    message = caught.value.message
    assert "YAML" in message
    assert "JSON" in message
    assert "TOML" in message


def test_a_broken_json_config_names_the_format_and_the_alternative(tmp_path: Path) -> None:
    config = tmp_path / "gateway.conf"
    config.write_text("host = '127.0.0.1'\n", encoding="utf-8")  # TOML in a non-.toml file
    with pytest.raises(ConfigurationError) as caught:
        Settings.load(config_file=str(config), environ={})
    assert "is not valid JSON" in caught.value.message
    assert "TOML when its name ends in .toml" in caught.value.message


def test_serve_with_a_yaml_config_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lockllm.cli import main

    config = tmp_path / "x.yaml"
    config.write_text("port: 1\n", encoding="utf-8")
    assert main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "JSON" in err
    assert "TOML" in err


async def test_a_missing_provider_url_has_its_own_code(make_app: Any) -> None:
    from _gateway import AUTH

    client = make_app(upstreams={"azure": (None, "az-key"), "openai": ("http://up/v1", None)})
    no_url = await client.post("/v1/proxy/azure/chat/completions", json={}, headers=AUTH)
    no_key = await client.post("/v1/proxy/openai/chat/completions", json={}, headers=AUTH)
    assert no_url.status_code == no_key.status_code == 400
    url_error, key_error = no_url.json()["error"], no_key.json()["error"]
    assert (url_error["type"], url_error["code"]) == ("configuration_error", "no_upstream_url")
    assert "LOCKLLM_UPSTREAM_AZURE_URL" in url_error["message"]
    assert (key_error["type"], key_error["code"]) == ("configuration_error", "no_upstream_key")
    # The SDK reads the new code as the configuration error it is.
    raised = error_from_response(400, {}, no_url.content)
    assert isinstance(raised, ConfigurationError)
    assert raised.code == "no_upstream_url"


def test_the_sensitivities_are_spelled_once() -> None:
    from lockllm.engine import _score

    assert _vocabulary.SENSITIVITIES == ("low", "medium", "high")
    assert typing.get_args(types.Sensitivity) == _vocabulary.SENSITIVITIES
    assert types.Sensitivity is _vocabulary.Sensitivity
    assert _score.LEVELS is _vocabulary.SENSITIVITIES
    root = Path(_vocabulary.__file__).resolve().parent
    spelled = re.compile(r"""["']low["'],\s*["']medium["'],\s*["']high["']""")
    places = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if spelled.search(path.read_text("utf-8"))
    ]
    assert places == ["_vocabulary.py"]
