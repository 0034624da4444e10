"""`make generators`: clients in other languages generated from openapi.yaml by the reference generators, each
built where its toolchain and libraries come from the registries here; one row per client.

* openapi-generator (its PyPI package, with the jar inside; Java from the machine): Python, TypeScript (fetch),
  Go and Java;
* @hey-api/openapi-ts (npm): a second TypeScript client.

Built: Python in a throwaway venv (its libraries from PyPI), imported whole; TypeScript by tsc --strict; Go
by go build and go vet (Debian's Go and its package of the one library the client imports). Java is
generated but not compiled: its libraries (OkHttp 4, gson-fire, jackson-databind-nullable) are only in
Maven's own registry, which this machine does not reach.

    .venv/bin/python clients/generators.py [--keep DIR]     # exit 1 if a client does not generate or build
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
BIN = Path(sys.executable).parent
NODE_BIN = ROOT / "node_modules" / ".bin"

#: What openapi-generator says of this spec that does not matter, each with why:
KNOWN_WARNINGS = {
    # 3.1 is what the spec is; the generator reads it fully enough for the clients below.
    "OpenAPI 3.1 support is still in beta",
    # Validation is skipped (--skip-validate-spec): its parser takes a Link's requestBody for a string, which
    # OpenAPI 3.1 allows to be any value (the spec's links give objects). Nothing else fails validation.
    "validation has been explicitly disabled",
    # An inline schema without a name (a response's `allOf` member): the generator names it itself.
    "Failed to get the schema name",
    # Java's generator keeps no request example with objects in it: examples are not code.
    "Ignoring complex example on request body",
    "Warnings:",
}


@dataclass
class Row:
    client: str
    generator: str
    generated: str
    built: str

    @property
    def ok(self) -> bool:
        return self.generated == "yes" and not self.built.startswith("FAILED")


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> tuple[int, str]:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)
    return done.returncode, done.stdout + done.stderr


def openapi_generator(language: str, out: Path, *options: str) -> str:
    """Generate; "yes", or why not (an error, or a warning that is not one of ``KNOWN_WARNINGS``)."""
    code, output = run(
        [
            str(BIN / "openapi-generator-cli"),
            "generate",
            "-i",
            str(SPEC),
            "-g",
            language,
            "-o",
            str(out),
            "--skip-validate-spec",
            *options,
        ],
        cwd=out.parent,
    )
    if code != 0:
        return f"FAILED: {output.strip().splitlines()[-1][:200]}"
    unknown = [
        line.strip()
        for line in output.splitlines()
        if ("WARN" in line or line.startswith("Warnings")) and not any(known in line for known in KNOWN_WARNINGS)
    ]
    return f"FAILED: warnings: {'; '.join(unknown)[:200]}" if unknown else "yes"


def build_python(out: Path) -> str:
    venv = out.parent / "python-venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=out.parent)
    code, output = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(out)], cwd=out)
    if code != 0:
        return f"FAILED: pip install: {output.strip()[-200:]}"
    importing = "import importlib, pkgutil, openapi_client as p; [importlib.import_module(m.name) for m in pkgutil.walk_packages(p.__path__, 'openapi_client.')]"  # noqa: E501
    code, output = run([str(venv / "bin" / "python"), "-c", importing], cwd=out.parent)
    return "imported whole (a new venv, libraries from PyPI)" if code == 0 else f"FAILED: import: {output[-200:]}"


def build_typescript(entry: Path) -> str:
    code, output = run(
        [
            str(NODE_BIN / "tsc"),
            "--noEmit",
            "--strict",
            "--target",
            "ES2022",
            "--module",
            "ES2022",
            "--moduleResolution",
            "bundler",
            "--lib",
            "ES2022,DOM,DOM.Iterable",
            "--skipLibCheck",
            str(entry),
        ],
        cwd=entry.parent,
    )
    return "tsc --strict: no error" if code == 0 else f"FAILED: tsc: {output.strip()[:300]}"


def build_go(out: Path) -> str:
    if shutil.which("go") is None:
        return "FAILED: no go (apt-get install golang-go golang-gopkg-validator.v2-dev; make generators does)"
    library = Path("/usr/share/gocode/src/gopkg.in/validator.v2")
    if not library.is_dir():
        return "FAILED: no gopkg.in/validator.v2 (apt-get install golang-gopkg-validator.v2-dev)"
    # The one library the client imports, from Debian's package, vendored: the Go module proxy is not reachable.
    required = re.search(r"gopkg\.in/validator\.v2 (v[\w.]+)", (out / "go.mod").read_text(encoding="utf-8"))
    vendor = out / "vendor" / "gopkg.in"
    vendor.mkdir(parents=True, exist_ok=True)
    shutil.copytree(library, vendor / "validator.v2", dirs_exist_ok=True)
    (out / "vendor" / "modules.txt").write_text(
        f"# gopkg.in/validator.v2 {required.group(1) if required else 'v2.0.1'}\n## explicit\ngopkg.in/validator.v2\n",
        encoding="utf-8",
    )
    shutil.rmtree(out / "test", ignore_errors=True)  # its tests import testify, which only the proxy serves
    env = {**os.environ, "GOFLAGS": "-mod=vendor", "GOPROXY": "off", "GOTOOLCHAIN": "local",
           "GOCACHE": str(out.parent / "go-cache"), "GOPATH": str(out.parent / "go-path")}  # fmt: skip
    for step in (["go", "build", "./..."], ["go", "vet", "./..."]):
        code, output = run(step, cwd=out, env=env)
        if code != 0:
            return f"FAILED: {' '.join(step)}: {output.strip()[:300]}"
    return "go build and go vet: no error"


def hey_api(out: Path) -> str:
    code, output = run([str(NODE_BIN / "openapi-ts"), "-i", str(SPEC), "-o", str(out)], cwd=ROOT)
    return "yes" if code == 0 else f"FAILED: {output.strip()[-200:]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="kling-generators-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []

    def client(name: str, generator: str, generate: Callable[[Path], str], build: Callable[[Path], str]) -> None:
        out = work / name
        shutil.rmtree(out, ignore_errors=True)
        generated = generate(out)
        rows.append(Row(name, generator, generated, build(out) if generated == "yes" else "-"))

    og = "openapi-generator 7.26.0"
    client("python", og, lambda out: openapi_generator("python", out), build_python)
    client("typescript-fetch", og, lambda out: openapi_generator("typescript-fetch", out),
           lambda out: build_typescript(out / "index.ts"))  # fmt: skip
    # Two enums share constant names (the voices of both languages): prefixed with their type, they compile.
    client("go", og, lambda out: openapi_generator("go", out, "--additional-properties=enumClassPrefix=true"), build_go)
    java_why = "not compiled: OkHttp 4, gson-fire and jackson-databind-nullable are only in Maven's registry"
    client("java", og, lambda out: openapi_generator("java", out), lambda out: java_why)
    client(
        "typescript (hey-api)", "@hey-api/openapi-ts 0.99.0", hey_api, lambda out: build_typescript(out / "index.ts")
    )
    widths = [max(len(getattr(row, f)) for row in [*rows, Row("CLIENT", "GENERATOR", "GENERATED", "")])
              for f in ("client", "generator", "generated")]  # fmt: skip
    print(f"{'CLIENT':<{widths[0]}}  {'GENERATOR':<{widths[1]}}  {'GENERATED':<{widths[2]}}  BUILT")
    for row in rows:
        print(f"{row.client:<{widths[0]}}  {row.generator:<{widths[1]}}  {row.generated:<{widths[2]}}  {row.built}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    failed = [row.client for row in rows if not row.ok]
    print(f"{len(rows) - len(failed)} passed, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
