"""Optional provider SDKs: missing, too old, or missing their own dependency (httpx2) is a
ConfigurationError naming the install command; importing the wrappers imports no SDK."""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType
from typing import Any, Callable

import anthropic
import cohere
import openai
import pytest
from _wrapper_helpers import KEY, run_python

import lockllm.errors as le
import lockllm.wrappers as wrappers
from lockllm._install import install_hint
from lockllm._providers import PROVIDERS
from lockllm.wrappers import _factories

pytestmark = pytest.mark.usefixtures("proxy_env")


@pytest.mark.parametrize(
    ("module", "create"),
    [
        ("openai", wrappers.create_openai),
        ("openai", wrappers.create_async_vertex_ai),
        ("anthropic", wrappers.create_anthropic),
        ("cohere", wrappers.create_cohere_client),
    ],
)
def test_missing_sdk_names_the_install_command(
    module: str, create: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` fail
    with pytest.raises(le.ConfigurationError) as caught:
        create(KEY)
    assert str(caught.value).endswith(f"not installed: {install_hint(module)}")
    assert isinstance(caught.value.__cause__, ImportError)


def test_missing_sdk_in_a_fresh_interpreter() -> None:
    out = run_python(
        "import sys; sys.modules['anthropic'] = None\n"
        "import lockllm.wrappers as w\n"
        "try:\n    w.create_async_anthropic()\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
    )
    assert out.startswith("ConfigurationError")
    assert install_hint("anthropic") in out


def test_importing_wrappers_imports_no_provider_sdk() -> None:
    out = run_python(
        "import sys, json\n"
        "import lockllm, lockllm.wrappers as w\n"
        "sdks = ('openai', 'anthropic', 'cohere')\n"
        "before = [m for m in sdks if m in sys.modules]\n"
        "w.create_openai()\n"
        "after = [m for m in sdks if m in sys.modules]\n"
        "print(json.dumps([before, after]))\n"
    )
    before, after = json.loads(out)
    assert before == []
    assert after == ["openai"]


def test_public_names() -> None:
    expected = {
        f"create_{prefix}{p.name.replace('-', '_')}" for p in PROVIDERS for prefix in ("", "async_")
    }
    expected |= {"create_cohere_client", "create_async_cohere_client"}
    assert len(expected) == 36
    assert expected <= set(wrappers.__all__)
    for name in wrappers.__all__:
        assert getattr(wrappers, name).__doc__


@pytest.fixture
def fresh_family(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the factories import their family modules again (restored afterwards)."""
    for module in ("lockllm.wrappers._openai", "lockllm.wrappers._anthropic"):
        monkeypatch.delitem(sys.modules, module, raising=False)


@pytest.mark.usefixtures("fresh_family")
@pytest.mark.parametrize(
    ("create", "needs"),
    [
        (
            wrappers.create_openai,
            "openai>=3 (built on httpx2): " + install_hint("openai", upgrade=True),
        ),
        (wrappers.create_async_groq, "openai>=3"),
        (
            wrappers.create_anthropic,
            "anthropic>=2 (built on httpx2): " + install_hint("anthropic", upgrade=True),
        ),
    ],
)
def test_missing_httpx2_is_a_configuration_error(
    create: Any, needs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "httpx2", None)
    with pytest.raises(le.ConfigurationError) as caught:
        create(KEY)
    assert needs in str(caught.value)
    assert "not installed" not in str(caught.value)
    assert isinstance(caught.value.__cause__, ImportError)


@pytest.mark.parametrize(
    ("module", "version", "create", "needs"),
    [
        (openai, "2.31.0", wrappers.create_openai, "create_openai() needs openai>=3"),
        (anthropic, "0.49.0", wrappers.create_async_anthropic, "anthropic>=2"),
        (
            cohere,
            "4.57",
            wrappers.create_cohere_client,
            "cohere>=5: " + install_hint("cohere", upgrade=True),
        ),
    ],
)
def test_too_old_sdk_is_a_configuration_error(
    module: ModuleType, version: str, create: Any, needs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "__version__", version)
    with pytest.raises(le.ConfigurationError, match="needs") as caught:
        create(KEY)
    assert needs in str(caught.value)
    assert f"(installed: {module.__name__} {version})" in str(caught.value)


@pytest.mark.parametrize("version", ["3.0.0", "3.0.0rc1", "dev", "", None])
def test_new_or_unparsable_versions_pass(version: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openai, "__version__", version)
    assert isinstance(wrappers.create_openai(KEY), openai.OpenAI)


def test_sdk_whose_own_dependency_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def fake_import(name: str) -> ModuleType:
        if name == "openai":
            raise ModuleNotFoundError("No module named 'httpx2'", name="httpx2")
        return real_import(name)

    monkeypatch.setattr(_factories.importlib, "import_module", fake_import)
    with pytest.raises(le.ConfigurationError) as caught:
        wrappers.create_openai(KEY)
    message = str(caught.value)
    assert "not installed" not in message
    assert "could not be imported" in message
    assert "httpx2" in message
    assert "openai>=3 (built on httpx2): " + install_hint("openai", upgrade=True) in message


def test_old_openai_on_httpx_in_a_fresh_interpreter() -> None:
    out = run_python(
        "import sys, types\n"
        "fake = types.ModuleType('openai'); fake.__version__ = '1.40.0'\n"
        "sys.modules['openai'] = fake\n"
        "sys.modules['httpx2'] = None\n"
        "import lockllm.wrappers as w\n"
        "for create in (w.create_openai, w.create_async_mistral):\n"
        "    try:\n        create()\n"
        "    except Exception as e:\n        print(type(e).__name__, e)\n"
    )
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("ConfigurationError create_openai() needs openai>=3")
    assert install_hint("openai", upgrade=True) in lines[0]
    assert lines[1].startswith("ConfigurationError create_async_mistral() needs openai>=3")


def test_missing_httpx2_in_a_fresh_interpreter() -> None:
    out = run_python(
        "import sys; sys.modules['httpx2'] = None\n"
        "import lockllm.wrappers as w\n"
        "try:\n    w.create_anthropic()\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
    )
    assert out.startswith("ConfigurationError create_anthropic()")
    assert "anthropic>=2 (built on httpx2): " + install_hint("anthropic", upgrade=True) in out
    assert "not installed" not in out
