"""``benchmarks/_common.py``: where the benchmarks look for data, what they say when it is
missing, and the machine line at the top of their output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import _common  # noqa: E402

NAMES = ["train.jsonl", "dev.jsonl"]


def _data(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        (folder / name).write_text('{"text": "x", "label": 0}\n', encoding="utf-8")
    return folder


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = _data(tmp_path / "shared")
    env = _data(tmp_path / "env")
    cli = _data(tmp_path / "cli")
    monkeypatch.setattr(_common, "SHARED_DATA", shared)
    assert _common.find_data(NAMES, None, environ={}) == shared
    assert _common.find_data(NAMES, None, environ={"LOCKLLM_DATA": str(env)}) == env
    assert _common.find_data(NAMES, cli, environ={"LOCKLLM_DATA": str(env)}) == cli
    # A file named on the command line stands for its folder.
    assert _common.find_data(["dev.jsonl"], cli / "dev.jsonl", environ={}) == cli


def test_missing_data_says_where_it_looked_and_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    half = tmp_path / "half"
    half.mkdir()
    (half / "dev.jsonl").write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(_common, "SHARED_DATA", tmp_path / "nowhere")
    with pytest.raises(_common.DataMissing) as caught:
        _common.find_data(NAMES, None, environ={"LOCKLLM_DATA": str(half)}, needed_by="x.py")
    message = str(caught.value)
    assert message.startswith("x.py needs train.jsonl, dev.jsonl")
    assert "--data: not given" in message
    assert f"$LOCKLLM_DATA = {half}: no train.jsonl" in message
    assert f"{tmp_path / 'nowhere'}: no such folder" in message
    assert "scripts/rebuild_data.py --clone --out DIR" in message
    assert "--mirror MIRROR --out DIR" in message


def test_a_folder_named_on_the_command_line_does_not_fall_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_common, "SHARED_DATA", _data(tmp_path / "shared"))
    with pytest.raises(_common.DataMissing, match="typo: no such folder"):
        _common.find_data(NAMES, tmp_path / "typo", environ={})


def test_machine_line_names_the_machine() -> None:
    line = _common.machine_line()
    names = [name for name, _ in _common.machine_info()]
    assert names[:5] == ["CPU", "cores", "Python", "OS", "onnxruntime"]
    assert line.startswith("machine: ")
    assert "cores" in line
    assert sys.version.split()[0] in line
    assert "onnxruntime" in line


def test_progress_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert list(_common.progress_every(range(3), "items", total=3, seconds=0.0)) == [0, 1, 2]
    _common.progress("hello")
    out, err = capsys.readouterr()
    assert out == ""
    assert "items: 3/3" in err
    assert "items: done (3)" in err
    assert "hello" in err


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_batch_scan_names_missing_data_without_a_traceback(tmp_path: Path) -> None:
    done = _run("batch_scan.py", "--data", str(tmp_path / "absent"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "batch_scan.py needs dev.jsonl" in done.stderr
    assert "scripts/rebuild_data.py" in done.stderr


def test_fresh_names_a_missing_set_without_a_traceback(tmp_path: Path) -> None:
    done = _run("fresh.py", "--data", str(tmp_path / "absent.jsonl"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "benchmarks/data/fresh.jsonl" in done.stderr
