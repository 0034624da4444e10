"""The examples of README.md and of every page in docs/, as written: the docs are the tests' only copy.

Each fenced block names its language. ``python`` blocks pass ``mypy --strict`` (one call for all) and run:
a block that defines ``test_...`` functions runs under pytest with the plugin's fixtures (one in-process
pytest run for all of them), any other as a script in this process against one mock served over HTTP
(``KLING_BASE_URL``, ``KLING_API_TOKEN``, as a user would set them). ``sh`` blocks are checked command by command:
``kling-lipsync`` and ``python -m mock_server`` lines parse with the real parsers, ``make`` targets exist,
``curl`` commands run against the served mock and must succeed, so do the commands of a block that points
``KLING_BASE_URL`` at the local mock, and a command nobody checks fails until a check is added below.
``text`` blocks are not code. A failure names the page and line of its block.

The docs' own promises are here too: every mock setting documented, every path named exists, every link
between pages lands, every page reachable from the README's map.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import itertools
import json
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from contract_tests.servers import ROOT, ProductionMock
from mock_server.settings import ENV_PREFIX, Settings

pytest_plugins = ["pytester"]

BIN = Path(sys.executable).parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
#: Pages of notes about the outside world (other repositories' paths), not of this project.
NOTES = {ROOT / "docs" / "sources.md"}
#: Audio the examples send from a local file (0.2 s for legacy lip-sync, 3 s for advanced: at least 2 s).
AUDIO = (ROOT / "demo" / "line.mp3", ROOT / "demo" / "line-3s.mp3")
LANGUAGES = {"python", "sh", "text"}


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: its language, its code, and where it is."""

    page: Path
    line: int
    language: str
    code: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def is_test(self) -> bool:
        return re.search(r"^def test_", self.code, re.M) is not None

    @property
    def module(self) -> str:
        """A module name that says where the block is: ``test_docs_client_md_12``, ``readme_md_40``."""
        slug = re.sub(r"\W+", "_", str(self.page.relative_to(ROOT)).lower())
        return f"{'test_' if self.is_test else ''}{slug}_{self.line}"


def read_blocks(page: Path) -> list[Block]:
    found: list[Block] = []
    opening: tuple[int, str] | None = None
    body: list[str] = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if opening is None:
            if line.startswith("```"):
                opening, body = (number, line[3:].strip()), []
        elif line.rstrip() == "```":
            found.append(Block(page, opening[0], opening[1], "\n".join(body) + "\n"))
            opening = None
        else:
            body.append(line)
    assert opening is None, f"{page.relative_to(ROOT)}:{opening[0]}: a fenced block is never closed"
    return found


BLOCKS = [block for page in PAGES for block in read_blocks(page)]
PYTHON = [block for block in BLOCKS if block.language == "python"]
SCRIPTS = [block for block in PYTHON if not block.is_test]
TESTS = [block for block in PYTHON if block.is_test]
SHELL = [block for block in BLOCKS if block.language == "sh"]


# -- the shape of the docs ------------------------------------------------------------------------------------


def test_every_block_names_a_language_the_suite_knows() -> None:
    unknown = [f"{block.where}: {block.language or 'none'}" for block in BLOCKS if block.language not in LANGUAGES]
    assert unknown == [], f"name one of {sorted(LANGUAGES)} (text for what is not code)"


def test_the_readme_has_one_client_example_and_one_plugin_example() -> None:
    readme = [block for block in PYTHON if block.page == README]
    assert [block.is_test for block in readme] == [False, True]
    assert len(PYTHON) >= 10, "the pattern finds the docs' examples"


def test_the_readme_stays_short() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 150, "move the detail to a page of docs/"


def test_every_page_is_on_the_readme_map() -> None:
    readme = README.read_text(encoding="utf-8")
    missing = [page.name for page in PAGES[1:] if f"(docs/{page.name})" not in readme]
    assert missing == []


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_between_pages_lands() -> None:
    broken = []
    for page in PAGES:
        for target, anchor in re.findall(r"\]\(([\w./-]*\.md)?(?:#([\w-]+))?\)", page.read_text(encoding="utf-8")):
            linked = (page.parent / target).resolve() if target else page
            if not linked.exists():
                broken.append(f"{page.name}: {target}")
                continue
            if anchor:
                text = linked.read_text(encoding="utf-8")
                anchors = {_anchor(heading) for heading in re.findall(r"^#+ (.*)$", text, re.M)}
                if anchor not in anchors:
                    broken.append(f"{page.name}: {target}#{anchor}")
    assert broken == []


def test_the_mock_page_documents_every_setting() -> None:
    page = (ROOT / "docs" / "mock.md").read_text(encoding="utf-8")
    missing = [item.name for item in fields(Settings) if f"`{ENV_PREFIX}{item.name.upper()}`" not in page]
    assert missing == []


def test_everything_the_docs_name_is_in_the_repository() -> None:
    """Paths the docs show in backticks exist here (nothing outside the repository, such as ../shared)."""
    named: dict[str, str] = {}
    for page in PAGES:
        if page in NOTES:
            continue
        text = page.read_text(encoding="utf-8")
        assert re.search(r"(?<![.\w])\.\./", text) is None, f"{page.name} points outside the repository"
        # Paths with a folder (bare file names are explained by the text around them).
        for path in re.findall(r"`((?:[\w.-]+/)+[\w.-]*)`", text):
            named.setdefault(path, page.name)
    # Generated on demand, not committed: the TypeScript client's build and the virtual environment.
    made_by_targets = ("clients/typescript/build", ".venv", "dist/", "out/", "build/")
    missing = sorted(
        f"{page}: {path}"
        for path, page in named.items()
        if not path.startswith(made_by_targets) and not (ROOT / path.rstrip("/")).exists()
    )
    assert len(named) > 20, "the pattern finds the docs' paths"
    assert missing == []


def test_the_cli_page_lists_every_exit_code() -> None:
    from kling_lipsync.cli import EXIT_CODES

    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    listed = {int(code) for code in re.findall(r"^\| (\d+) \|", page, re.M)}
    assert listed == {*EXIT_CODES, 130}, "130 is Ctrl-C, the shell's convention"


def test_the_dashboard_page_shows_its_screenshot_and_how_it_is_taken() -> None:
    page = (ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8")
    assert re.search(r"!\[The dashboard[^\]]*\]\(dashboard\.png\)", page)
    assert "docs/screenshot.py" in page


# -- python blocks: mypy --strict, then run -------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every python block as a module of one folder, and a folder per run with the audio it may send."""
    folder = tmp_path_factory.mktemp("docs-examples")
    for block in PYTHON:
        (folder / f"{block.module}.py").write_text(block.code, encoding="utf-8")
    for name in (block.module for block in SCRIPTS):
        (folder / "runs" / name).mkdir(parents=True)
        for audio in AUDIO:
            shutil.copy(audio, folder / "runs" / name / audio.name)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionMock]:
    """One mock served over HTTP for every script and curl command; its tasks end at once, so waits are short."""
    mock = ProductionMock(workers=1, args=["--queue-seconds", "0", "--processing-seconds", "0"],
                          cwd=tmp_path_factory.mktemp("docs-server"))  # fmt: skip
    yield mock
    mock.stop()


@pytest.mark.slow
def test_every_python_example_passes_mypy_strict(examples: Path) -> None:
    # The project's configuration for what it says of third-party packages (gunicorn has no types), and its
    # cache: the same options, so what `make lint` or test_project.py checked already is not checked again.
    mypy = [str(BIN / "mypy"), "--config-file", str(ROOT / "pyproject.toml"), "--strict"]
    checked = subprocess.run(
        [*mypy, "--cache-dir", str(ROOT / ".mypy_cache"), *(f"{b.module}.py" for b in PYTHON)],
        cwd=examples,
        env={**os.environ, "MYPYPATH": f"{ROOT}:{ROOT / 'generated_client'}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    where = {f"{block.module}.py": block.where for block in PYTHON}
    report = re.sub(r"^(\w+\.py)", lambda found: where.get(found[1], found[1]), checked.stdout, flags=re.M)
    assert checked.returncode == 0, report + checked.stderr


@pytest.mark.slow
@pytest.mark.parametrize("block", SCRIPTS, ids=[block.where for block in SCRIPTS])
def test_every_python_script_runs_against_the_served_mock(
    block: Block, examples: Path, server: ProductionMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process (no interpreter to start), as its own account, in a folder of its own."""
    for name in ("KLING_ACCESS_KEY", "KLING_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KLING_BASE_URL", f"{server.url}/kling")
    monkeypatch.setenv("KLING_API_TOKEN", f"sk-docs-{block.module}")
    monkeypatch.chdir(examples / "runs" / block.module)
    try:
        runpy.run_path(str(examples / f"{block.module}.py"), run_name="__main__")
    except SystemExit as exc:  # a script's way to fail; pytest would otherwise take it for the run's end
        if exc.code not in (0, None):
            pytest.fail(f"{block.where} exited: {exc}")


def test_every_pytest_example_passes_with_the_plugin(pytester: pytest.Pytester) -> None:
    """All in one pytest run, as a project that installed the package would run them."""
    pytester.makepyfile(**{block.module: block.code for block in TESTS})
    for audio in AUDIO:
        shutil.copy(audio, pytester.path / audio.name)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", "--strict-markers")
    where = "\n".join(f"{block.module}.py is {block.where}" for block in TESTS)
    assert result.ret == 0, f"{result.stdout}\n\n{where}"
    expected = sum(len(re.findall(r"^def test_", block.code, re.M)) for block in TESTS)
    assert result.parseoutcomes() == {"passed": expected}


# -- sh blocks: each command checked ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One shell command of a block (continued lines joined, comments dropped)."""

    block: Block
    line: int
    argv: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.block.page.relative_to(ROOT)}:{self.line}"

    @property
    def program(self) -> str:
        return Path(self.argv[0]).name


def read_commands(block: Block) -> list[Command]:
    commands: list[Command] = []
    lines = block.code.splitlines()
    index = 0
    while index < len(lines):
        first = index
        logical = lines[index]
        while logical.endswith("\\") and index + 1 < len(lines):
            index += 1
            logical = logical[:-1] + " " + lines[index].strip()
        index += 1
        if logical.lstrip().startswith("#") or not logical.strip():
            continue
        lexer = shlex.shlex(logical, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        argv: list[str] = []
        for token in [*lexer, ";"]:
            if token in {"&&", "||", ";", "|", "&"}:
                if argv:
                    commands.append(Command(block, block.line + 1 + first, tuple(argv)))
                argv = []
            else:
                argv.append(token)
    return commands


COMMANDS = [command for block in SHELL for command in read_commands(block)]
MAKE_TARGETS = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M))
NODE_TOOLS = set(json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"])
#: Commands shown but not checked here, and why.
NOT_CHECKED = {
    "pip": "installing is serving/test_wheel.py's job (it builds the wheel and installs it in a new venv)",
    "createdb": "PostgreSQL's own tool: serving/test_team.py makes its databases on a server it starts",
}


def _nginx(argv: list[str]) -> str | None:
    """The team setup's nginx: its configuration is the file serving/test_team.py runs."""
    config = argv[argv.index("-c") + 1] if "-c" in argv else ""
    return None if Path(config).name == "team-nginx.conf" and (ROOT / "docs" / "team-nginx.conf").is_file() else config


def _parses(parser_of: str, argv: list[str]) -> str | None:
    """None if the module's ``build_parser()`` accepts ``argv``, else what it said."""
    parser = importlib.import_module(parser_of).build_parser()
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):
            parser.parse_args(argv)
    except SystemExit as exit:
        return None if exit.code == 0 else said.getvalue().strip()
    return None


def _kling_lipsync(argv: list[str]) -> str | None:
    positional = [word for word in argv if not word.startswith("-")]
    servers = {"mock": "mock_server.__main__", "record": "mock_server.recording.recorder"}
    servers["check-recording"] = "mock_server.recording.check"
    if positional and positional[0] in servers:
        return _parses(servers[positional[0]], argv[argv.index(positional[0]) + 1 :])
    return _parses("kling_lipsync.cli", argv)


def _python(argv: list[str]) -> str | None:
    if argv[:1] == ["-m"]:
        module, rest = argv[1], argv[2:]
        if module == "mock_server":
            return _parses("mock_server.__main__", rest)
        return None if importlib.util.find_spec(module) else f"no module {module}"
    return None if (ROOT / argv[0]).is_file() else f"no script {argv[0]}"


def _make(argv: list[str]) -> str | None:
    unknown = [word for word in argv if "=" not in word and word not in MAKE_TARGETS]
    return f"no make target {unknown}" if unknown else None


def _gunicorn(argv: list[str]) -> str | None:
    for option, value in itertools.pairwise(argv):
        if option == "-c" and value.startswith("python:") and importlib.util.find_spec(value[7:]) is None:
            return f"no configuration module {value}"
    module, _, factory = argv[-1].partition(":")
    if not hasattr(importlib.import_module(module), factory.removesuffix("()")):
        return f"no app {argv[-1]}"
    return None


def _npx(argv: list[str]) -> str | None:
    tool = next(word for word in argv if not word.startswith("-"))
    return None if tool in NODE_TOOLS else f"{tool} is not a Node tool of package.json"


def _export(argv: list[str]) -> str | None:
    return None if all(re.fullmatch(r"[A-Z_]+=\S*", word) for word in argv) else "export NAME=value ..."


CHECKS = {
    "kling-lipsync": _kling_lipsync,
    "python": _python,
    "make": _make,
    "gunicorn": _gunicorn,
    "npx": _npx,
    "export": _export,
    "nginx": _nginx,
    "curl": lambda argv: None,  # run against the served mock below
}


def test_the_docs_have_shell_commands() -> None:
    assert len(COMMANDS) >= 30, "the pattern finds the docs' commands"


@pytest.mark.parametrize("command", COMMANDS, ids=[f"{c.where} {c.program}" for c in COMMANDS])
def test_every_shell_command_is_one_the_toolkit_accepts(command: Command) -> None:
    if command.program in NOT_CHECKED:
        pytest.skip(NOT_CHECKED[command.program])
    check = CHECKS.get(command.program)
    assert check is not None, f"no check for {command.program!r}: add one here, or show the block as text"
    problem = check(list(command.argv[1:]))
    assert problem is None, f"{command.where}: {shlex.join(command.argv)}\n{problem}"


CURL_BLOCKS = [block for block in SHELL if any(c.program == "curl" for c in read_commands(block))]


@pytest.mark.slow
@pytest.mark.parametrize("block", CURL_BLOCKS, ids=[block.where for block in CURL_BLOCKS])
def test_every_curl_example_succeeds_against_the_mock(block: Block, server: ProductionMock) -> None:
    """In the block's order, on the served mock: each answer is a success (curl --fail-with-body)."""
    for command in read_commands(block):
        assert command.program == "curl", f"{command.where}: a curl block holds only curl commands"
        argv = [re.sub(r"^(https?://)?(localhost|127\.0\.0\.1):8000", server.url, word) for word in command.argv]
        done = subprocess.run(
            [argv[0], "-sS", "--fail-with-body", "--max-time", "20", *argv[1:]],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, f"{command.where}: {shlex.join(command.argv)}\n{done.stdout}{done.stderr}"


LOCAL = re.compile(r"^(https?://)?(localhost|127\.0\.0\.1):8000")
#: Blocks that set KLING_BASE_URL to the local mock: their commands can run as shown.
CLI_BLOCKS = [
    block
    for block in SHELL
    if any(
        c.program == "export" and any(LOCAL.match(w.partition("=")[2]) for w in c.argv) for c in read_commands(block)
    )
]


@pytest.mark.slow
@pytest.mark.parametrize("block", CLI_BLOCKS, ids=[block.where for block in CLI_BLOCKS])
def test_every_cli_example_against_the_local_mock_runs(
    block: Block, server: ProductionMock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """In this process, in the block's order, against the served mock: each command ends with exit code 0."""
    from kling_lipsync.cli import main

    monkeypatch.chdir(tmp_path)
    for command in read_commands(block):
        argv = [LOCAL.sub(server.url, word) for word in command.argv]
        if command.program == "export":
            for word in argv[1:]:
                name, _, value = word.partition("=")
                monkeypatch.setenv(name, LOCAL.sub(server.url, value))
            continue
        assert command.program == "kling-lipsync", f"{command.where}: only export and kling-lipsync run here"
        assert "mock" not in argv, f"{command.where}: the served mock is already running"
        said = io.StringIO()
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
            exit_code = main(argv[1:])
        assert exit_code == 0, f"{command.where}: {shlex.join(command.argv)}\n{said.getvalue()}"
