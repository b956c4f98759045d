"""Every install hint installs *this* project, and its version says what it is (issue 17.1).

``pip install lockllm`` gets the hosted service's own SDK (1.3.0) from the package index:
a hint naming that package would replace this project with it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from lockllm import __version__, _install
from lockllm._install import install_hint

PACKAGE = Path(__file__).resolve().parent.parent / "lockllm"
# ``pip install [-U] "lockllm[x]"`` / ``'lockllm[x]'`` / ``lockllm``: by the index name,
# not ``"lockllm[x] @ <url>"`` (a direct reference to this project).
INDEX_NAME = re.compile(
    r"""pip install (?:-U |--upgrade )?["']?lockllm(?:\[[^\]]*\])?(?!\s*@)["']?(?=\s|$|`|\))"""
)


def test_no_hint_in_the_package_names_the_index_package() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if INDEX_NAME.search(line):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_pattern_catches_the_old_hints() -> None:
    for old in (
        'pip install "lockllm[server]"',
        "pip install 'lockllm[server]'",
        'pip install -U "lockllm[openai]"',
        "pip install lockllm",
        "``pip install lockllm``",
    ):
        assert INDEX_NAME.search(old), old
    assert not INDEX_NAME.search('pip install -e ".[server]"')
    assert not INDEX_NAME.search('pip install "lockllm[server] @ git+https://x/y@abc"')


def _with_origin(
    monkeypatch: pytest.MonkeyPatch, record: Optional[Dict[str, Any]], tree: Optional[Path]
) -> None:
    monkeypatch.setattr(_install, "_direct_url", lambda: record)
    monkeypatch.setattr(_install, "_source_tree", lambda: tree)


@pytest.mark.parametrize(
    ("record", "tree", "expected"),
    [
        (
            {"url": "file:///home/me/lockllm", "dir_info": {"editable": True}},
            None,
            'pip install -e "/home/me/lockllm[server]"',
        ),
        (
            {"url": "file:///src/lock%20llm", "dir_info": {}},
            None,
            'pip install "/src/lock llm[server]"',
        ),
        (
            {"url": "file:///dl/lockllm-1.3.0-py3-none-any.whl", "archive_info": {}},
            None,
            'pip install "lockllm[server] @ file:///dl/lockllm-1.3.0-py3-none-any.whl"',
        ),
        (
            {
                "url": "https://example.org/team/lockllm.git",
                "vcs_info": {"vcs": "git", "commit_id": "0123abc"},
            },
            None,
            'pip install "lockllm[server] @ git+https://example.org/team/lockllm.git@0123abc"',
        ),
        (None, Path("/work/clone"), 'pip install -e "/work/clone[server]"'),
    ],
)
def test_the_hint_reinstalls_from_where_the_project_came_from(
    monkeypatch: pytest.MonkeyPatch,
    record: Optional[Dict[str, Any]],
    tree: Optional[Path],
    expected: str,
) -> None:
    _with_origin(monkeypatch, record, tree)
    assert install_hint("server") == expected


def test_upgrade_and_the_unknown_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_origin(monkeypatch, {"url": "file:///c", "dir_info": {"editable": True}}, None)
    assert install_hint("openai", upgrade=True) == 'pip install -U -e "/c[openai]"'
    _with_origin(monkeypatch, None, None)
    hint = install_hint("onnx", upgrade=True)
    assert hint.startswith('pip install -U -e ".[onnx]" in a clone of this project')
    assert "hosted service's SDK" in hint
    assert not INDEX_NAME.search(hint)


def test_this_checkout_gets_a_runnable_hint() -> None:
    # The test run's own lockllm: installed from a clone (pip's record names it), or run
    # from this source tree.
    hint = install_hint("server")
    assert not INDEX_NAME.search(hint)
    record = _install._direct_url()
    if record is None:
        assert hint == f'pip install -e "{PACKAGE.parent}[server]"'
    else:
        assert hint.startswith("pip install ")
        assert hint.endswith('[server]"') or "[server] @ " in hint


def test_the_gateway_command_uses_the_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from lockllm.cli import main

    _with_origin(monkeypatch, None, Path("/opt/lockllm"))
    monkeypatch.setitem(sys.modules, "starlette", None)
    assert main(["serve", "--port", "0"]) == 2
    assert 'pip install -e "/opt/lockllm[server]"' in capsys.readouterr().err


def _release(version: str) -> tuple:
    public = version.split("+", 1)[0]
    return tuple(int(part) for part in public.split("."))


def test_the_version_sorts_at_or_above_the_index_sdk_and_says_what_it_is() -> None:
    packaging_version = pytest.importorskip("packaging.version")
    ours = packaging_version.Version(__version__)
    assert ours > packaging_version.Version("1.3.0")  # pip -U never "upgrades" to 1.3.0
    assert ours.release[:2] == (1, 3)  # the API it implements: the hosted SDK's 1.3
    assert ours.local is not None  # and what it adds:
    assert ours.local.startswith("offline")
    assert _release(__version__) >= (1, 3, 0)


def test_the_changelog_explains_the_version() -> None:
    changelog = (PACKAGE.parent / "CHANGELOG.md").read_text("utf-8")
    assert __version__ in changelog
