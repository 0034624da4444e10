"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the mock over real HTTP.

The mock is the production command (two workers, virtual clock, a webhook secret), started once for the
module and reset before each test; the browser is launched once, and each test gets a fresh page (no cache,
no storage). Tasks are made through the API as an application would make them, and the page is only looked
at and used: with the mouse, the keyboard, and at 1280 and 800 pixels wide.

Playwright's own browser download comes from a CDN CI cannot reach, so the browser is Debian's
(``apt-get install chromium``, which ``make test`` runs as root when it is missing).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Request, expect, sync_playwright

from contract_tests.bodies import audio_file_body, text_body
from contract_tests.helpers import data
from contract_tests.servers import ProductionMock
from kling_lipsync import LipSync, plan_advanced
from kling_lipsync.testing import CallbackReceiver
from mock_server.settings import Settings

pytestmark = pytest.mark.slow

CHROMIUM_FIX = "apt-get install -y --no-install-recommends chromium (make test does so when run as root)"
WEBHOOK_SECRET = "whsec_ZGFzaGJvYXJkLWJyb3dzZXItdGVzdC1zZWNyZXQ="
PAGE_BUDGET_BYTES = 300_000
VIDEO = "https://example.com/face.mp4"
SECTIONS = ("tasks", "journal", "callbacks", "scenarios", "config")


def chromium() -> str:
    """Debian's chromium; its absence fails the test with the fix (as root, where make test installs it)."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
    if found:
        return found
    if os.geteuid() == 0:
        pytest.fail(f"the dashboard's browser tests need Debian's chromium: {CHROMIUM_FIX}", pytrace=False)
    pytest.skip(f"no chromium, and not root to install it: {CHROMIUM_FIX}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ProductionMock]:
    served = ProductionMock({"KLING_MOCK_WEBHOOK_SECRET": WEBHOOK_SECRET}, workers=2, args=["--clock", "virtual"])
    yield served
    served.stop()


@pytest.fixture
def mock(server: ProductionMock) -> ProductionMock:
    """The module's mock, reset: no tasks, no journal, the virtual clock at its start (00:00:00.000)."""
    httpx.post(f"{server.url}/__mock__/reset").raise_for_status()
    return server


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page at 1280 px; the test fails if the page throws or logs an error of its own."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    # A refused request is logged by the browser itself ("Failed to load resource"); the page handles those.
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error"
              and not message.text.startswith("Failed to load resource") else None)  # fmt: skip
    yield opened
    context.close()
    assert problems == [], "the page threw or logged errors"


# -- the API, as an application uses it ---------------------------------------------------------------


def create_task(
    mock: ProductionMock,
    token: str = "sk-dashboard",
    *,
    scenario: str | None = None,
    body: dict[str, Any] | None = None,
    **extra: str,
) -> str:
    headers = {"Authorization": f"Bearer {token}", **({"X-Mock-Scenario": scenario} if scenario else {})}
    sent = {**(body or text_body()), **extra}
    answer = httpx.post(f"{mock.url}/kling/v1/videos/lip-sync", json=sent, headers=headers)
    assert answer.json()["code"] == 0, answer.text
    task_id: str = data(answer)["task_id"]
    return task_id


def poll(mock: ProductionMock, task_id: str, token: str = "sk-dashboard") -> None:
    answer = httpx.get(f"{mock.url}/kling/v1/videos/lip-sync/{task_id}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text


def create_advanced_task(mock: ProductionMock, token: str) -> str:
    with LipSync(f"{mock.url}/kling", token) as lip:
        session = lip.identify_faces(video_url=VIDEO)
        plan = plan_advanced(session.face_data, audio_ms=3000)
        created = lip.create_advanced(session.session_id, plan.face_id, sound_file="https://example.com/a.mp3",
                                      **plan.times)  # fmt: skip
    return created.task_id


def advance(mock: ProductionMock, seconds: float) -> None:
    httpx.post(f"{mock.url}/__mock__/clock/advance", json={"seconds": seconds}).raise_for_status()


def task_card(page: Page, task_id: str) -> Locator:
    return page.locator("#task-list > li", has=page.get_by_role("heading", name=f"Task {task_id}"))


# -- tasks, on their timelines -------------------------------------------------------------------------


def test_tasks_made_through_the_api_appear_newest_first_and_filter(mock: ProductionMock, page: Page) -> None:
    page.goto(f"{mock.url}/__mock__/")
    expect(page.locator("#tasks-summary")).to_have_text(re.compile("^No task yet"))
    first = create_task(mock, "sk-dashboard-alice")
    failing = create_task(mock, "sk-dashboard-bob", scenario="no-human")
    advanced = create_advanced_task(mock, "sk-dashboard-alice")
    headings = page.locator("#task-list > li h3")
    # Live: no reload, the next poll shows them.
    expect(headings).to_have_text([f"Task {advanced}", f"Task {failing}", f"Task {first}"])
    expect(page.locator("#tasks-count")).to_have_text("(3)")
    expect(task_card(page, advanced).locator(".facts")).to_contain_text("advanced-lip-sync")
    expect(task_card(page, failing).locator(".facts")).to_contain_text("no-human")

    filters = page.locator("#task-filters")
    filters.get_by_label("Scenario").fill("no-human")
    expect(headings).to_have_text([f"Task {failing}"])
    expect(page.locator("#tasks-summary")).to_have_text("Showing 1 of 1 matching task, newest first.")
    filters.get_by_role("button", name="Clear").click()
    filters.get_by_label("Family").fill("advanced-lip-sync")
    expect(headings).to_have_text([f"Task {advanced}"])
    filters.get_by_label("Family").fill("")
    filters.get_by_label("Status").select_option("failed")
    expect(page.locator("#tasks-summary")).to_have_text("No task matches these filters.")
    advance(mock, 5)
    expect(headings).to_have_text([f"Task {failing}"])


def test_advancing_the_clock_from_the_page_moves_a_task_along_its_timeline(mock: ProductionMock, page: Page) -> None:
    task_id = create_task(mock)
    poll(mock, task_id)
    page.goto(f"{mock.url}/__mock__/")
    card = task_card(page, task_id)
    status, drawing = card.locator(".badge"), card.get_by_role("img")
    expect(status).to_have_text("submitted")
    described = re.compile(
        r"^Created at 00:00:00\.000, will process from 00:00:01\.000 .* Now 00:00:00\.000: submitted\."
    )
    expect(drawing).to_have_attribute("aria-label", described)
    expect(card.locator("rect.processing:not(.future)")).to_have_count(0)

    page.get_by_role("button", name="+1 s").click()
    expect(page.locator("#clock-now")).to_have_text("2026-01-01 00:00:01.000 UTC")
    expect(status).to_have_text("processing")
    described = re.compile(r"processing from 00:00:01\.000 .*will end in success at 00:00:05\.000 .* Now 00:00:01\.000")
    expect(drawing).to_have_attribute("aria-label", described)
    # The drawing moved too: the now line at the start of processing, processing still all ahead.
    expect(card.locator("rect.processing.future")).to_have_count(1)

    seconds = page.get_by_label("Advance the virtual clock by")
    seconds.fill("2")
    seconds.press("Enter")  # the keyboard's way
    expect(drawing).to_have_attribute("aria-label", re.compile(r"Now 00:00:03\.000: processing\."))
    expect(card.locator("rect.processing:not(.future)")).to_have_count(1)
    expect(card.locator("rect.processing.future")).to_have_count(1)
    seconds.fill("2")
    page.get_by_role("button", name="Advance", exact=True).click()
    expect(status).to_have_text("succeed")
    described = re.compile(r"ended in success at 00:00:05\.000 \(5 s after creation\)\. Now 00:00:05\.000: succeed\.")
    expect(drawing).to_have_attribute("aria-label", described)
    expect(card.locator(".future")).to_have_count(0)

    video = card.locator("video")
    expect(video).to_have_attribute("src", re.compile(rf"^{re.escape(mock.url)}/__mock__/videos/[\w-]+\.mp4$"))
    loaded = video.evaluate(
        """video => new Promise(done => {
            video.addEventListener("loadeddata", () => done([video.videoWidth, video.videoHeight, video.duration]));
            video.addEventListener("error", () => done(["error", video.error.message]));
            video.load();
        })"""
    )
    # The task's result lasts as long as its source, the default video (results.py; default_video_seconds)
    assert loaded == [160, 120, Settings().default_video_seconds], "the result plays in the page"

    card.get_by_text("Requests for this task").click()
    requests = card.locator(".polls li")
    expect(requests).to_have_count(2)
    # Both at 00:00:00.000; with two workers the journal numbers entries as each worker writes its batch.
    for shown in (
        "POST /kling/v1/videos/lip-sync → HTTP 200, code 0",
        f"GET /kling/v1/videos/lip-sync/{task_id} → HTTP 200",
    ):
        expect(requests.filter(has_text=f"00:00:00.000 {shown}")).to_have_count(1)
    expect(card.locator("line.poll")).to_have_count(1)
    expect(drawing).to_have_attribute("aria-label", re.compile(r"1 poll marked above the bar\.$"))


def test_an_operator_forces_a_task_s_state_from_its_card(mock: ProductionMock, page: Page) -> None:
    running = create_task(mock)
    page.goto(f"{mock.url}/__mock__/")
    card = task_card(page, running)
    controls = card.get_by_role("group", name=f"Force the state of task {running}")
    controls.get_by_label("Failure message").fill("the operator pulled the plug")
    controls.get_by_role("button", name=f"Fail task {running}").click()
    expect(card.locator(".badge")).to_have_text("failed")
    expect(card.locator(".message")).to_have_text("Message: the operator pulled the plug")
    expect(controls).to_be_hidden()  # a finished task's status is final
    answer = httpx.get(
        f"{mock.url}/kling/v1/videos/lip-sync/{running}", headers={"Authorization": "Bearer sk-dashboard"}
    )
    task = data(answer)
    assert (task["task_status"], task["task_status_msg"]) == ("failed", "the operator pulled the plug")


# -- the journal -----------------------------------------------------------------------------------------


def test_the_journal_shows_bodies_and_codes_and_filters(mock: ProductionMock, page: Page) -> None:
    task_id = create_task(mock, "sk-dashboard-journal", body=audio_file_body())
    unknown = httpx.get(f"{mock.url}/kling/v1/videos/lip-sync/860000000999999999",
                        headers={"Authorization": "Bearer sk-dashboard-journal"})  # fmt: skip
    assert unknown.json()["code"] == 1203
    page.goto(f"{mock.url}/__mock__/")
    page.get_by_role("link", name="Journal").click()
    expect(page.get_by_role("heading", name="Journal")).to_be_focused()
    entries = page.locator("#journal-list > li")
    # Found by its text, not by its place: two workers number journal entries as each writes its batch,
    # so two requests of the same instant may be listed either way round.
    refused = entries.filter(has_text="GET /kling/v1/videos/lip-sync/860000000999999999")
    expect(refused).to_contain_text("HTTP 404, code 1203")
    create = entries.filter(has_text="POST /kling/v1/videos/lip-sync")
    expect(create).to_contain_text(f"HTTP 200, code 0 task {task_id}")
    create.locator("summary").click()
    expect(create.locator("pre")).to_contain_text('"mode": "audio2video"')
    expect(create.locator("pre")).to_contain_text("base64 characters>")
    expect(create.locator(".fields")).to_contain_text("Bearer sk-***")
    expect(create).not_to_contain_text("sk-dashboard-journal")

    page.locator("#journal-filters").get_by_label("Kling code").fill("1203")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("code 1203")
    expect(page.locator("#journal-summary")).to_have_text("1 matching entry, newest first (at most 100 shown).")


# -- callbacks -------------------------------------------------------------------------------------------


def test_a_callback_delivery_opens_on_each_attempt_and_its_signature(mock: ProductionMock, page: Page) -> None:
    with CallbackReceiver(answers=[500]) as receiver:
        task_id = create_task(mock, callback_url=receiver.url)
        receiver.wait_for(1)
        advance(mock, 1)  # the retry of `submitted` (1 s backoff) and `processing` (1 s queue) fall due
        received = receiver.wait_for(3)
    sent = [callback for callback in received if callback.json()["task_status"] == "submitted"]
    assert len(sent) == 2

    page.goto(f"{mock.url}/__mock__/#callbacks")
    deliveries = page.locator("#delivery-list > li")
    expect(deliveries).to_have_count(2)
    expect(page.locator("#callbacks-summary")).to_have_text("2 deliveries, 3 attempts.")
    submitted = deliveries.filter(has_text=f"task {task_id}: submitted")
    expect(submitted).to_contain_text("delivered after 2 attempts")
    submitted.locator("summary").click()
    attempts = submitted.locator(".attempts > li")
    expect(attempts).to_have_count(2)
    expect(attempts.get_by_role("heading")).to_have_text(
        ["Attempt 1 at 00:00:00.000: failed (HTTP 500: receiver answered 500)",
         "Attempt 2 at 00:00:01.000: delivered (HTTP 200)"]
    )  # fmt: skip
    for attempt, callback in zip(attempts.all(), sent, strict=True):
        for header in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            shown = attempt.locator(f"dt:text-is('{header}') + dd")
            expect(shown).to_have_text(callback.headers[header])
        expect(attempt.locator("pre")).to_contain_text(f'"task_id": "{task_id}"')


# -- scenarios and config ----------------------------------------------------------------------------------


def test_a_scenario_defined_on_the_page_is_followed_by_a_new_task(mock: ProductionMock, page: Page) -> None:
    page.goto(f"{mock.url}/__mock__/#scenarios")
    expect(page.locator("#scenario-table tbody tr").first).to_contain_text("succeed")
    page.get_by_label("Name").fill("page-made")
    definition = page.get_by_label("Definition (JSON)")
    definition.fill('{"timeline": {"outcome": "maybe"}}')
    page.get_by_role("button", name="Define the scenario").click()
    result = page.locator("#scenario-result")
    expect(result).to_contain_text("""The mock refused it: scenario 'page-made': timeline/outcome: "maybe" is not""")
    timeline = {"queue_seconds": 0, "processing_seconds": 30, "outcome": "failed", "failure_message": "made on page"}
    definition.fill(json.dumps({"timeline": timeline}))
    page.get_by_role("button", name="Define the scenario").click()
    expect(result).to_contain_text("Scenario page-made is defined.")
    expect(page.locator("#scenario-table tbody tr", has_text="page-made")).to_contain_text("run time")

    task_id = create_task(mock, scenario="page-made")
    page.get_by_role("link", name=re.compile("^Tasks")).click()
    card = task_card(page, task_id)
    expect(card.locator(".facts")).to_contain_text("page-made")
    expect(card.locator(".badge")).to_have_text("processing")  # no queue
    page.get_by_role("button", name="+10 s").click()
    expect(card.locator(".badge")).to_have_text("processing")
    page.get_by_role("button", name="+1 min").click()
    expect(card.locator(".badge")).to_have_text("failed")
    expect(card.locator(".message")).to_have_text("Message: made on page")
    expect(card.get_by_role("img")).to_have_attribute("aria-label", re.compile(r"ended in failure at 00:00:30\.000"))


def test_the_config_is_shown_and_changed_through_the_admin_api(mock: ProductionMock, page: Page) -> None:
    page.goto(f"{mock.url}/__mock__/#config")
    setting = page.get_by_label("max_in_flight")
    expect(setting).to_have_value("5")
    setting.fill("0")
    page.get_by_role("button", name="Save changes").click()
    result = page.locator("#config-result")
    expect(result).to_contain_text("The mock refused it: max_in_flight, callback_max_attempts and journal_size must")
    setting.fill("2")
    page.get_by_label("strict_video_ids").check()
    page.get_by_role("button", name="Save changes").click()
    expect(result).to_have_text("Saved: max_in_flight = 2, strict_video_ids = true.")
    config = httpx.get(f"{mock.url}/__mock__/config").json()["config"]
    assert (config["max_in_flight"], config["strict_video_ids"]) == (2, True)
    expect(page.locator("tr", has_text="webhook_secret")).to_contain_text('"***"')


# -- the admin token ---------------------------------------------------------------------------------------


def test_with_an_admin_token_the_page_asks_for_it_and_never_puts_it_in_a_url(browser: Browser) -> None:
    """On the real clock, too: the page offers no control to advance it."""
    token = "dashboard-admin-token-7f3a9c"
    server = ProductionMock({"KLING_MOCK_ADMIN_TOKEN": token}, workers=1, args=["--processing-seconds", "600"])
    context = browser.new_context()
    try:
        task_id = create_task(server)
        page = context.new_page()
        seen: list[Request] = []
        page.on("request", lambda request: seen.append(request))
        page.goto(f"{server.url}/__mock__/")
        field = page.get_by_role("textbox", name="Admin token")
        expect(field).to_be_focused()
        field.fill("not-the-token")
        field.press("Enter")
        expect(page.locator("#login-error")).to_have_text("The mock did not accept this token. Try again.")
        field.fill(token)
        page.get_by_role("button", name="Use this token").click()
        expect(page.locator("#task-list h3")).to_have_text([f"Task {task_id}"])
        expect(page.locator("#login")).to_be_hidden()
        expect(page.locator("#clock-kind")).to_have_text("(real clock)")
        expect(page.get_by_role("button", name="+1 s")).to_be_hidden()
        page.reload()  # the same tab keeps it
        expect(page.locator("#task-list h3")).to_have_text([f"Task {task_id}"])
        expect(page.locator("#login")).to_be_hidden()

        assert [request.url for request in seen if token in request.url] == []
        sent = [request.header_value("authorization") for request in seen if "/__mock__/tasks" in request.url]
        assert f"Bearer {token}" in sent
        assert page.evaluate("[sessionStorage.length, localStorage.length, document.cookie]") == [1, 0, ""]
        page.get_by_role("button", name="Forget the admin token").click()
        expect(page.get_by_role("textbox", name="Admin token")).to_be_visible()
        assert page.evaluate("sessionStorage.length") == 0
    finally:
        context.close()
        server.stop()


# -- for people: sizes, widths, the keyboard ------------------------------------------------------------------


def test_the_page_and_its_files_come_from_the_mock_and_transfer_under_300_kb(
    mock: ProductionMock, browser: Browser
) -> None:
    create_task(mock)
    context = browser.new_context()
    page = context.new_page()
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(f"{mock.url}/__mock__/")
    expect(page.locator("#task-list > li")).to_have_count(1)
    assert all(request.url.startswith(f"{mock.url}/__mock__/") for request in finished), "nothing from elsewhere"
    files = [request for request in finished if request.resource_type in ("document", "script", "stylesheet", "image")]
    assert {request.url.rsplit("/", 1)[1] for request in files} >= {"", "main.js", "tasks.js", "dashboard.css"}
    transferred = sum(request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"] for request in files)
    context.close()
    assert transferred < PAGE_BUDGET_BYTES, f"{transferred} bytes"


def test_at_800_px_nothing_scrolls_sideways_and_the_keyboard_reaches_every_control(
    mock: ProductionMock, page: Page
) -> None:
    with CallbackReceiver() as receiver:
        done = create_task(mock, callback_url=receiver.url)
        advance(mock, 5)
        receiver.wait_for(3)
    create_task(mock, "sk-dashboard-with-a-rather-long-token-that-makes-a-long-account-name", scenario="no-human")
    httpx.get(f"{mock.url}/kling/v1/videos/lip-sync/{'9' * 200}", headers={"Authorization": "Bearer sk-long"})
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"{mock.url}/__mock__/")
    expect(task_card(page, done).locator("video")).to_be_visible()
    # Each section with what it lists drawn (its longest lines: a path of 200 digits, the callback URL).
    drawn = {
        "tasks": "#task-list video",
        "journal": "#journal-list > li:nth-child(3)",
        "callbacks": "#delivery-list li",
        "scenarios": "#scenario-table td",
        "config": "#config-rows input",
    }
    for name in SECTIONS:
        page.goto(f"{mock.url}/__mock__/#{name}")
        expect(page.locator(drawn[name]).first).to_be_visible()
        for summary in page.locator(f"section#{name} summary").all()[:3]:
            summary.click()
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{name}: {widths}"

    page.goto(f"{mock.url}/__mock__/")
    expect(task_card(page, done).locator("video")).to_be_visible()
    reached: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                """() => { const e = document.activeElement;
                const name = e.labels && e.labels[0] ? e.labels[0].firstChild.textContent
                  : e.getAttribute("aria-label") || e.textContent;
                return `${e.tagName.toLowerCase()}:${name.trim().replace(/\\s+/g, " ")}`; }"""
            )
        )
    expected = [
        "a:Skip to the content",
        "input:Advance the virtual clock by",
        "button:Advance",
        "button:+1 s",
        "button:Pause live updates",
        "a:Tasks (2)",
        "a:Journal",
        "a:Config",
        "input:Account",
        "select:Status",
        "button:Filter",
        "summary:Requests for this task",
        f"video:Result video of task {done}",
        "a:Download the result (MP4)",
    ]
    missing = [control for control in expected if not any(name.startswith(control) for name in reached)]
    assert missing == [], reached
    page.get_by_role("button", name="+1 s").focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "focus is visible"


# -- a page of another site cannot drive the admin API (issue 21, defect 3) ------------------------------

ATTACK = """<!doctype html><title>attack</title>
<iframe name="sink"></iframe>
<form id="form" method="post" target="sink" action="MOCK/__mock__/reset"><input name="a" value="1"></form>
<script>
(async () => {
  const tries = [
    fetch("MOCK/__mock__/reset", {method: "POST", mode: "no-cors"}),
    fetch("MOCK/__mock__/reset",
      {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: "{}"}),
    fetch("MOCK/__mock__/media/videos", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
      body: JSON.stringify({video_url: "https://evil.example/v.mp4", duration_ms: 5000})}),
  ];
  await Promise.allSettled(tries);
  document.querySelector("iframe").addEventListener("load", () => { document.title = "done"; });
  document.getElementById("form").submit();
})();
</script>"""


@contextlib.contextmanager
def attack_page(html: str) -> Iterator[str]:
    """Serve ``html`` at ``/attack`` on a loopback port of its own; yields the origin."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_of_another_site_cannot_reset_or_change_the_mock(mock: ProductionMock, browser: Browser) -> None:
    """What the probe did in a real Chromium: a no-cors fetch, a text/plain write and a form, all POSTs to the
    admin API from a page of another origin (a port of its own). The browser sends them; the mock refuses."""
    kept = [create_task(mock, "sk-victim") for _ in range(3)]
    context = browser.new_context()
    page = context.new_page()
    answered: list[tuple[str, int]] = []
    page.on("response", lambda response: answered.append((response.url, response.status)))
    # Another origin on this machine (a port of its own), as the probe's: a real server, since Chromium's local
    # network checks let only a page that itself came from loopback reach a loopback address.
    with attack_page(ATTACK.replace("MOCK", mock.url)) as origin:
        page.goto(f"{origin}/attack")
        expect(page).to_have_title("done")
    context.close()
    admin = [(url.removeprefix(mock.url), status) for url, status in answered if url.startswith(mock.url)]
    assert sorted(admin) == [("/__mock__/media/videos", 403), ("/__mock__/reset", 403), ("/__mock__/reset", 403),
                             ("/__mock__/reset", 403)]  # fmt: skip
    listed = httpx.get(f"{mock.url}/kling/v1/videos/lip-sync", headers={"Authorization": "Bearer sk-victim"})
    assert sorted(task["task_id"] for task in data(listed)) == sorted(kept)
    assert httpx.get(f"{mock.url}/__mock__/media").json()["media"] == []
