"""`make docs`: render openapi.yaml into build/api-reference.html with Redocly, readable offline.

Redocly's page loads Redoc's script and web fonts from CDNs; the mock runs on machines without them, so
the same script (the `redoc` package Redocly itself installed, same version) is put inline and the fonts
are left to the system.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "build" / "api-reference.html"
BUNDLE = ROOT / "node_modules" / "redoc" / "bundles" / "redoc.standalone.js"


def main() -> int:
    subprocess.run(
        ["npx", "--no-install", "redocly", "build-docs", "openapi.yaml", "-o", str(OUTPUT)], cwd=ROOT, check=True
    )
    page = OUTPUT.read_text(encoding="utf-8")
    tag = re.search(r'<script src="https://cdn\.redocly\.com/redoc/[^"]+/redoc\.standalone\.js"></script>', page)
    if tag is None:
        print("build_docs: no CDN script tag found; the page is left as Redocly wrote it", file=sys.stderr)
        return 1
    script = BUNDLE.read_text(encoding="utf-8").replace("</script", "<\\/script")
    page = page[: tag.start()] + f"<script>{script}</script>" + page[tag.end() :]
    # Web fonts from a CDN as well: without them the page uses the system's fonts.
    page = re.sub(r'<link href="https://fonts\.googleapis\.com/[^"]*"[^>]*>', "", page)
    OUTPUT.write_text(page, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size // 1024} KiB, no external scripts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
