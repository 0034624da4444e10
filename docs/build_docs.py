"""`make docs`: render openapi.yaml into mock_server/assets/api-reference.html with Redocly, readable offline.

The page is committed inside the package, so the mock serves it at /__mock__/docs from an installed wheel
(no Node there). Redocly's output is byte-for-byte reproducible: `--check` builds it afresh into a
temporary folder and fails if the committed page differs (the suite runs it, like the generated client).

Redocly's page loads Redoc's script and web fonts from CDNs; the mock runs on machines without them, so
the same script (the `redoc` package Redocly itself installed, same version) is put inline and the fonts
are left to the system.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "mock_server" / "assets" / "api-reference.html"
BUNDLE = ROOT / "node_modules" / "redoc" / "bundles" / "redoc.standalone.js"


def build(output: Path) -> None:
    subprocess.run(
        ["npx", "--no-install", "redocly", "build-docs", "openapi.yaml", "-o", str(output)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    page = output.read_text(encoding="utf-8")
    tag = re.search(r'<script src="https://cdn\.redocly\.com/redoc/[^"]+/redoc\.standalone\.js"></script>', page)
    if tag is None:
        raise SystemExit("build_docs: no CDN script tag found in Redocly's page; see docs/build_docs.py")
    script = BUNDLE.read_text(encoding="utf-8").replace("</script", "<\\/script")
    page = page[: tag.start()] + f"<script>{script}</script>" + page[tag.end() :]
    # Web fonts from a CDN as well: without them the page uses the system's fonts.
    page = re.sub(r'<link href="https://fonts\.googleapis\.com/[^"]*"[^>]*>', "", page)
    output.write_text(page, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed page is not what the spec makes")
    args = parser.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as folder:
            fresh = Path(folder) / OUTPUT.name
            build(fresh)
            if not OUTPUT.is_file() or fresh.read_bytes() != OUTPUT.read_bytes():
                print(f"{OUTPUT.relative_to(ROOT)} is out of date with openapi.yaml: run `make docs`", file=sys.stderr)
                return 1
        print(f"{OUTPUT.relative_to(ROOT)} is up to date")
        return 0
    build(OUTPUT)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size // 1024} KiB, no external scripts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
