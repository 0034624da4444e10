"""The dashboard as files the mock serves: where, to whom, with which types, and that nothing comes from elsewhere.

What the page does in a browser is ``test_dashboard_browser.py``; here, in process, what any browser is sent.
"""

from __future__ import annotations

import re
import struct
import tomllib
from pathlib import Path

import pytest

from contract_tests.servers import ROOT
from kling_lipsync.testing import KlingMock
from mock_server.admin import DASHBOARD_DIR

PAGE_BUDGET_BYTES = 300_000
SHIPPED = sorted(path.name for path in DASHBOARD_DIR.iterdir())
# Every URL the page and its modules name: src= and href= of the page, and each module's imports.
REFERENCE = re.compile(r"""(?:src|href)="([^"#]+)"|^import .* from "([^"]+)";$""", re.M)


def referenced(text: str) -> set[str]:
    return {first or second for first, second in REFERENCE.findall(text)}


def test_the_page_is_served_at_the_admin_root_without_a_token_even_when_the_mock_has_one(make_mock) -> None:
    mock: KlingMock = make_mock(admin_token="let-me-in")
    page = mock.http.get("/__mock__/")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="dashboard/main.js">' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert {"default-src 'self'", "script-src 'self'", "connect-src 'self'"} <= set(policy.split("; ")), policy
    assert mock.http.get("/__mock__/tasks").json()["code"] == 1001, "the data still needs the token"
    redirected = mock.http.get("/__mock__")
    assert (redirected.status_code, redirected.headers["Location"].endswith("/__mock__/")) == (308, True)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_file_of_the_dashboard_is_served_with_its_type_and_no_token(make_mock, name: str) -> None:
    mock: KlingMock = make_mock(admin_token="let-me-in")
    answer = mock.http.get(f"/__mock__/dashboard/{name}")
    assert answer.status_code == 200
    expected = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
    assert answer.headers["Content-Type"].split(";")[0] == expected[Path(name).suffix]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.content == (DASHBOARD_DIR / name).read_bytes()


@pytest.mark.parametrize(
    "path",
    ["/__mock__/dashboard/nope.js", "/__mock__/dashboard/admin.py", "/__mock__/dashboard/..%2Fadmin.yaml"],
    ids=["a file it does not have", "a kind it does not serve", "a way out of its folder"],
)
def test_nothing_else_is_served_from_the_dashboards_folder(mock: KlingMock, path: str) -> None:
    answer = mock.http.get(path)
    assert (answer.status_code, answer.json()["code"]) == (404, 1203)


def test_the_page_and_its_modules_name_only_files_of_the_dashboard() -> None:
    """No CDN, no other host: every reference is a relative path to a file shipped beside the page."""
    page = (DASHBOARD_DIR / "index.html").read_text(encoding="utf-8")
    named = {path.removeprefix("dashboard/") for path in referenced(page) if path.startswith("dashboard/")}
    others = {path for path in referenced(page) if not path.startswith("dashboard/")}
    assert others == {"admin.yaml"}, "besides its own files, the page links only the admin API's description"
    for module in DASHBOARD_DIR.glob("*.js"):
        imports = referenced(module.read_text(encoding="utf-8"))
        assert all(path.startswith("./") for path in imports), module.name
        named |= {path.removeprefix("./") for path in imports}
        assert "https://" not in module.read_text(encoding="utf-8"), module.name
    assert named <= set(SHIPPED)
    assert named >= set(SHIPPED) - {"index.html"}, "every shipped file is used"


def test_the_files_are_well_under_the_pages_budget() -> None:
    """The browser test measures the transfer; this keeps the files themselves from creeping up to it."""
    assert sum((DASHBOARD_DIR / name).stat().st_size for name in SHIPPED) < PAGE_BUDGET_BYTES // 2


def test_the_wheel_ships_the_dashboard() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = data["tool"]["setuptools"]["package-data"]["mock_server"]
    assert "assets/dashboard/*" in globs, "a subfolder of assets needs its own glob"


def test_the_dashboard_screenshot_is_1280_pixels_wide() -> None:
    picture = ROOT / "docs" / "dashboard.png"
    header = picture.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height >= 600) == (1280, True)
    # docs/dashboard.md shows it, and says how it is taken: contract_tests/docs/test_docs.py checks the docs.
