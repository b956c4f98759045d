"""How to install an extra of *this* project: the one place every install hint comes from.

The name ``lockllm`` on the public package index belongs to the hosted service's own SDK
(1.3.0: no ``LocalScanner``, no ``lockllm`` command, no ``server`` extra), so a hint such
as installing ``lockllm[server]`` by that name would replace this project with that one. A hint here
reinstalls the project from wherever it came from, read from the installer's record
(``direct_url.json``, PEP 610):

* a source tree (a clone): ``pip install -e "/path/to/clone[server]"`` (``-e`` if it was
  an editable install);
* a built wheel or sdist file, or a VCS URL: ``pip install "lockllm[server] @ <that URL>"``
  (a VCS URL pinned to the commit that was installed);
* unknown (run from a source tree without installing, or no record): the source tree this
  module sits in if it is one, else the generic instruction for a clone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import unquote, urlparse

__all__ = ["CLONE_COMMAND", "install_hint"]

CLONE_COMMAND = 'pip install -e ".[{extra}]"'
"""The documented install, run in a clone of this project (``{extra}``: the extras)."""

_NOT_THE_INDEX = 'not "pip install lockllm": that name on PyPI is the hosted service\'s SDK'


def _direct_url() -> Optional[Dict[str, Any]]:
    """The installer's record of where ``lockllm`` came from, if any."""
    try:
        from importlib import metadata

        text = metadata.distribution("lockllm").read_text("direct_url.json")
        record = json.loads(text) if text else None
    except Exception:  # no distribution, an unreadable record: no origin known
        return None
    return record if isinstance(record, dict) and isinstance(record.get("url"), str) else None


def _source_tree() -> Optional[Path]:
    """The clone this module runs from (a ``pyproject.toml`` beside the package), if any."""
    root = Path(__file__).resolve().parent.parent
    try:
        project = (root / "pyproject.toml").read_text("utf-8")
    except OSError:
        return None
    return root if 'name = "lockllm"' in project else None


def _local_path(url: str) -> Optional[str]:
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def install_hint(extra: str, *, upgrade: bool = False) -> str:
    """The ``pip`` command that adds the ``extra`` extra to this very project.

    ``upgrade`` adds ``-U`` (the extra's packages are installed but too old). The command
    never names the package index's ``lockllm``, which is a different package.
    """
    flags = "-U " if upgrade else ""
    record = _direct_url()
    if record is not None:
        url: str = record["url"]
        vcs = record.get("vcs_info")
        if isinstance(vcs, dict) and isinstance(vcs.get("vcs"), str):
            commit = vcs.get("commit_id") or vcs.get("requested_revision")
            pinned = f"{vcs['vcs']}+{url}" + (f"@{commit}" if isinstance(commit, str) else "")
            return f'pip install {flags}"lockllm[{extra}] @ {pinned}"'
        path = _local_path(url)
        directory = record.get("dir_info")
        if path is not None and isinstance(directory, dict):
            editable = "-e " if directory.get("editable") else ""
            return f'pip install {flags}{editable}"{path}[{extra}]"'
        return f'pip install {flags}"lockllm[{extra}] @ {url}"'
    tree = _source_tree()
    if tree is not None:
        return f'pip install {flags}-e "{tree}[{extra}]"'
    command = CLONE_COMMAND.format(extra=extra).replace("install ", f"install {flags}", 1)
    return f"{command} in a clone of this project ({_NOT_THE_INDEX})"
