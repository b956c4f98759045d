"""Every Python block of README.md and docs/ runs as written, and the docs site stays whole.

Each block runs in a fresh interpreter, in an empty directory, with ``LOCKLLM_API_KEY`` and
``LOCKLLM_BASE_URL`` pointing at a real gateway (``lockllm serve``'s app on 127.0.0.1) whose
OpenAI, Anthropic and Cohere upstreams are a stub provider on 127.0.0.1: scans get real
verdicts from the local engine and provider calls go through the proxy, all offline.

A block marked ``<!-- fragment -->`` on the line right before its opening fence is not run;
a block that only includes a file of ``examples/`` (``--8<-- "examples/x.py"``) is run by
the example tests, which this file checks name it. The rest of the file keeps the site's
generated parts honest: the configuration reference, the annotated config file, the
deployment files and the navigation.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FRAGMENT = "<!-- fragment -->"
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<lang>[\w+-]*)[^\n]*$")
SNIPPET = re.compile(r'^\s*--8<--\s+"(?P<path>[^"]+)"\s*$')
MAX_FRAGMENTS = 10


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    fragment: bool

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def markdown_files() -> List[Path]:
    pages = sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.parts)
    return [ROOT / "README.md", *pages]


def blocks_of(path: Path) -> Iterator[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        ticks, indent = opening.group("ticks"), len(opening.group("indent"))
        body: List[str] = []
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(ticks):
            body.append(lines[end][indent:])
            end += 1
        previous = lines[index - 1].strip() if index else ""
        yield Block(
            path,
            index + 1,
            opening.group("lang").lower(),
            "\n".join(body) + "\n",
            previous == FRAGMENT,
        )
        index = end + 1


def python_blocks() -> List[Block]:
    return [
        block
        for path in markdown_files()
        for block in blocks_of(path)
        if block.lang in ("python", "py", "python3")
    ]


def included_example(block: Block) -> str:
    """The ``examples/`` file a block consists of, or ``""``."""
    lines = [line for line in block.code.splitlines() if line.strip()]
    if len(lines) == 1:
        found = SNIPPET.match(lines[0])
        if found and found.group("path").startswith("examples/"):
            return found.group("path")
    return ""


def resolve_snippets(code: str) -> str:
    out = []
    for line in code.splitlines():
        found = SNIPPET.match(line)
        out.append((ROOT / found.group("path")).read_text(encoding="utf-8") if found else line)
    return "\n".join(out) + "\n"


BLOCKS = python_blocks()
RUNNABLE = [b for b in BLOCKS if not b.fragment and not included_example(b)]


# -- the environment the blocks run in ---------------------------------------------------


@pytest.fixture(scope="module")
def service() -> Iterator[Dict[str, str]]:
    """A gateway with a stub provider behind it; yields the environment for the blocks."""
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    from _gateway import running_gateway
    from _upstream_stub import running_stub, stub_upstreams

    with running_stub() as stub, running_gateway(stub_upstreams(stub), scan_timeout=120.0) as gw:
        prefixes = ("LOCKLLM_", "OPENAI_", "ANTHROPIC_", "CO_API", "COHERE_")
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(prefixes)}
        env.update(LOCKLLM_API_KEY=gw.api_key, LOCKLLM_BASE_URL=gw.url)
        env["PYTHONPATH"] = str(ROOT)  # this checkout's lockllm, installed or not
        yield env


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.name for b in RUNNABLE])
def test_block_runs_as_written(block: Block, service: Dict[str, str], tmp_path: Path) -> None:
    if "openai" in block.code:
        pytest.importorskip("openai")
    script = tmp_path / "block.py"
    script.write_text(resolve_snippets(block.code), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=service,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{block.name} failed:\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, block.name
    shown = done.stdout.strip() or re.search(r"^\s*assert ", block.code, re.M)
    assert shown, f"{block.name} neither prints nor asserts anything: show its result"


def test_blocks_that_include_an_example_name_one_the_tests_run() -> None:
    tests = "\n".join(p.read_text(encoding="utf-8") for p in ROOT.glob("tests/test_*example*.py"))
    included = {included_example(b) for b in BLOCKS} - {""}
    assert included, "the wrapper page shows the original README's examples"
    for path in sorted(included):
        assert (ROOT / path).is_file(), path
        assert Path(path).stem in tests, f"{path} is shown in the docs but run by no test"


def test_fragments_are_few_and_marked_right_before_a_fence() -> None:
    fragments = [b.name for b in BLOCKS if b.fragment]
    assert len(fragments) <= MAX_FRAGMENTS, fragments
    for path in markdown_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines[:-1]):
            if line.strip() == FRAGMENT:
                assert lines[number + 1].lstrip().startswith("```"), f"{path}:{number + 1}"


def test_the_blocks_were_found() -> None:
    files = {b.path for b in RUNNABLE}
    assert ROOT / "README.md" in files
    assert len(RUNNABLE) >= 20


def test_every_exported_error_is_on_the_errors_page() -> None:
    import lockllm

    page = (DOCS / "sdk" / "errors.md").read_text(encoding="utf-8")
    for name in lockllm.__all__:
        value = getattr(lockllm, name)
        if isinstance(value, type) and issubclass(value, lockllm.LockLLMError):
            assert re.search(rf"\b{name}\b", page), f"{name} is missing from docs/sdk/errors.md"


def test_every_client_argument_and_option_is_documented() -> None:
    import inspect

    import lockllm

    client_page = (DOCS / "sdk" / "scan-client.md").read_text(encoding="utf-8")
    for cls in (lockllm.LockLLM, lockllm.AsyncLockLLM):
        for name in list(inspect.signature(cls.__init__).parameters)[1:]:
            assert f"`{name}" in client_page, f"{cls.__name__}({name}=) is not documented"
    for name in lockllm.ScanOptions.__annotations__:
        assert f"`{name}`" in client_page, f"scan(..., {name}=) is not documented"
    wrappers_page = (DOCS / "sdk" / "wrappers.md").read_text(encoding="utf-8")
    for name in lockllm.ProxyOptions.__annotations__:
        assert f"`{name}`" in wrappers_page, f"proxy option {name} is not documented"


def test_every_command_line_option_is_documented() -> None:
    from lockllm.cli import build_parser

    page = (DOCS / "engine" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    (commands,) = [a for a in parser._actions if hasattr(a, "choices") and a.choices]
    for name, sub in commands.choices.items():
        assert f"lockllm {name}" in page, name
        for action in sub._actions:
            flag = max(action.option_strings, key=len, default="")
            if flag and flag != "--help":
                assert f"`{flag}" in page or f"{flag} " in page, f"lockllm {name} {flag}"


# -- the generated configuration reference -------------------------------------------------


def _reference() -> str:
    sys.path.insert(0, str(DOCS / "_hooks"))
    try:
        import settings_reference
    finally:
        sys.path.remove(str(DOCS / "_hooks"))
    page = (DOCS / "gateway" / "configuration.md").read_text(encoding="utf-8")
    assert settings_reference.MARKER in page
    return str(settings_reference.on_page_markdown(page))


def test_configuration_reference_lists_every_setting_and_variable() -> None:
    from lockllm.server._settings import DEFAULT_UPSTREAMS, ENVIRONMENT, Settings

    page = _reference()
    rows = [line for line in page.splitlines() if line.startswith("| ")]
    for field in dataclasses.fields(Settings):
        assert any(f"`{field.name}`" in row or field.name in row for row in rows), field.name
    for variable, _ in ENVIRONMENT:
        assert f"`{variable}`" in page, variable
    for provider in DEFAULT_UPSTREAMS:
        assert f"| `{provider}` |" in page, provider
    mkdocs = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "docs/_hooks/settings_reference.py" in mkdocs


def test_configuration_reference_defaults_come_from_the_code() -> None:
    from lockllm.server import _settings

    page = _reference()
    row = next(line for line in page.splitlines() if line.startswith("| `port` |"))
    assert f"`{_settings.DEFAULT_PORT}`" in row
    row = next(line for line in page.splitlines() if line.startswith("| `scan_timeout` |"))
    assert f"`{int(_settings.DEFAULT_SCAN_TIMEOUT)}`" in row


# -- the annotated config file --------------------------------------------------------------

CONFIG = ROOT / "deploy" / "lockllm.toml"
KEY_LINE = re.compile(r"^(?P<comment># )?(?P<key>[a-z_]+) = ", re.M)


def _config_keys() -> List[str]:
    from lockllm.errors import ConfigurationError
    from lockllm.server import _settings

    keys = []
    for field in dataclasses.fields(_settings.Settings):
        try:
            _settings._from_config({field.name: object()}, "probe")
        except ConfigurationError as error:
            if "unknown setting" in str(error):
                continue
        except Exception:
            pass
        keys.append(field.name)
    return keys


def test_annotated_config_file_sets_every_key() -> None:
    text = CONFIG.read_text(encoding="utf-8")
    written = {m.group("key") for m in KEY_LINE.finditer(text)}
    written |= set(re.findall(r"^\[\[?(\w+)", text, re.M))  # [upstreams.x], [[webhooks]]
    missing = set(_config_keys()) - written
    assert not missing, f"deploy/lockllm.toml lacks {sorted(missing)}"


def test_annotated_config_file_loads_with_every_optional_line_on(tmp_path: Path) -> None:
    pytest.importorskip("tomllib")
    from lockllm.server import Settings

    original = CONFIG.read_text(encoding="utf-8")
    Settings.load(str(CONFIG), environ={})
    text = original

    model = tmp_path / "model"
    model.mkdir()
    for name in ("model.onnx", "tokenizer.json", "config.json"):
        (model / name).write_text("{}", encoding="utf-8")
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    known = set(_config_keys())
    # The example paths of the file-valued settings point at files made here.
    text = re.sub(r'^(# )?model = "[^"]*"', f'model = "{model.as_posix()}"', text, flags=re.M)
    text = re.sub(
        r'^(# )?upstream_ca_bundle = "[^"]*"',
        f'upstream_ca_bundle = "{bundle.as_posix()}"',
        text,
        flags=re.M,
    )

    def switch_on(match: re.Match[str]) -> str:
        line = text[match.start() : text.find("\n", match.start())]
        value = line.split("=", 1)[1].strip()
        missing_file = (
            bool(re.match(r'"/[^"]*"', value)) and not Path(value[1:].split('"')[0]).exists()
        )
        if match.group("comment") and match.group("key") in known and not missing_file:
            return match.group(0)[2:]
        return match.group(0)

    full = KEY_LINE.sub(switch_on, text)
    assert full.count("\n# ") < original.count("\n# ")
    (tmp_path / "all.toml").write_text(full, encoding="utf-8")
    settings = Settings.load(str(tmp_path / "all.toml"), environ={})
    assert settings.threshold is not None
    assert settings.model is not None
    assert settings.upstreams["azure"].url


def test_every_webhook_event_is_documented() -> None:
    from lockllm.server._webhooks import EVENTS

    page = (DOCS / "gateway" / "production.md").read_text(encoding="utf-8")
    for event in EVENTS:
        assert f"`{event}`" in page, event


# -- the deployment files --------------------------------------------------------------------


def _known_variable(name: str) -> bool:
    from lockllm.server._settings import ENVIRONMENT

    names = {n for entry, _ in ENVIRONMENT for n in entry.replace(" ", "").split(",")}
    return name in names or bool(re.fullmatch(r"LOCKLLM_UPSTREAM_[A-Z_]+_(KEY|URL)", name))


def test_deployment_files_use_only_real_settings() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text("utf-8"))
    services = compose["services"]
    gateways = [s for s in services.values() if s.get("image") == "lockllm-gateway"]
    assert len(gateways) == 2
    assert "redis" in services
    for service_ in gateways:
        env = service_["environment"]
        assert env["LOCKLLM_SERVER_REDIS_URL"].startswith("redis://redis:")
        assert all(_known_variable(name) for name in env), sorted(env)

    documents = list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text("utf-8")))
    kinds = [(d["kind"], d["metadata"]["name"]) for d in documents]
    assert ("Deployment", "lockllm-gateway") in kinds
    assert ("Service", "lockllm-redis") in kinds
    gateway = next(d for d in documents if d["metadata"]["name"] == "lockllm-gateway")
    assert gateway["spec"]["replicas"] == 2
    (container,) = gateway["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert all(_known_variable(e["name"]) for e in container["env"])
    for path in ("deploy/docker-compose.yml", "deploy/kubernetes.yaml", "deploy/lockllm.toml"):
        assert path in (DOCS / "gateway" / "deployment.md").read_text("utf-8") + (
            DOCS / "gateway" / "config-file.md"
        ).read_text("utf-8")


# -- the site's navigation -------------------------------------------------------------------


def test_every_page_is_in_the_navigation_and_every_entry_exists() -> None:
    mkdocs = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = mkdocs[mkdocs.index("\nnav:") :]
    entries = set(re.findall(r":\s*([\w./-]+\.md)\s*$", nav, re.M))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "_hooks" not in p.parts}
    assert entries <= pages, sorted(entries - pages)
    assert pages <= entries, f"pages missing from mkdocs.yml's nav: {sorted(pages - entries)}"


def test_ci_builds_the_site_strictly() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "mkdocs build --strict" in ci
    assert ci.index("mypy --strict lockllm") < ci.index("mkdocs build --strict")
