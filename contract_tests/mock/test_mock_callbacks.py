"""Callbacks: every status change POSTed to a real local receiver, signed, retried with backoff, logged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import create_body, create_with_callback, data
from contract_tests.servers import GunicornMock
from kling_lipsync.testing import CallbackReceiver, KlingMock
from kling_spec import schema_validator
from mock_server.callbacks import aimed_at_the_mock, host_allowed, sign_webhook

TASKS = "/v1/videos/lip-sync"
SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI="


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """An independent Standard Webhooks verifier (not the mock's signer)."""
    key = base64.b64decode(secret[len("whsec_") :])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(sig.split(",", 1)[1], expected) for sig in headers["webhook-signature"].split(" "))


def test_signer_matches_the_documented_test_vector() -> None:
    body = (
        b'{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,"update_time":1781080794151}'
    )
    assert sign_webhook(SECRET, "9876543210", 1781080794, body) == "v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4="


def test_each_transition_is_delivered_once_signed_and_as_the_task_object(make_mock, receiver) -> None:
    mock = make_mock(webhook_secret=SECRET)
    with mock.httpx_client("sk-cb") as client:
        task_id = create_with_callback(client, receiver.url)
        receiver.wait_for(1)
        mock.advance(mock.settings.queue_seconds)
        receiver.wait_for(2)
        mock.advance(mock.settings.processing_seconds)
        received = receiver.wait_for(3)
        final = data(client.get(f"{TASKS}/{task_id}"))

    assert [c.json()["task_status"] for c in received] == ["submitted", "processing", "succeed"]
    validator = schema_validator("LipSyncTask")
    for callback in received:
        body = callback.json()
        assert "code" not in body, "callbacks carry the task object without the envelope"
        assert validator.is_valid(body)
        assert body["task_id"] == task_id
        assert callback.headers["content-type"] == "application/json; charset=utf-8"
        assert verify(SECRET, callback.headers, callback.body)
    assert received[-1].json() == final
    assert len({c.headers["webhook-id"] for c in received}) == 3
    log = mock.callbacks()
    assert [(a["task_status"], a["outcome"], a["attempt"]) for a in log] == [
        ("submitted", "delivered", 1),
        ("processing", "delivered", 1),
        ("succeed", "delivered", 1),
    ]
    mock.advance(3600)
    assert len(receiver.received) == 3, "nothing is sent twice"


def test_without_a_secret_no_signature_headers_are_sent(mock: KlingMock, receiver) -> None:
    with mock.httpx_client("sk-cb") as client:
        create_with_callback(client, receiver.url)
    (callback,) = receiver.wait_for(1)
    assert not {"webhook-id", "webhook-timestamp", "webhook-signature"} & set(callback.headers)


def test_a_tampered_body_fails_verification(make_mock, receiver) -> None:
    mock = make_mock(webhook_secret=SECRET)
    with mock.httpx_client("sk-cb") as client:
        create_with_callback(client, receiver.url)
    (callback,) = receiver.wait_for(1)
    assert verify(SECRET, callback.headers, callback.body)
    assert not verify(SECRET, callback.headers, callback.body.replace(b"submitted", b"succeed"))


def test_failed_deliveries_are_retried_with_backoff_and_logged(make_mock) -> None:
    mock = make_mock(callback_max_attempts=3, callback_backoff_seconds=2)
    with CallbackReceiver(answers=[500, 503]) as receiver, mock.httpx_client("sk-cb") as client:
        create_with_callback(client, receiver.url)
        receiver.wait_for(1)
        mock.advance(1.999)  # the queue (1 s) ends: `processing` is due; the retry of `submitted` is not yet
        assert [c.json()["task_status"] for c in receiver.wait_for(2)] == ["submitted", "processing"]
        mock.advance(0.001)  # 2 s after the first attempt: the second try of `submitted`
        receiver.wait_for(3)
        log = mock.callbacks(task_status="submitted")
        assert [(a["attempt"], a["outcome"], a["http_status"]) for a in log] == [
            (1, "failed", 500),
            (2, "delivered", 200),
        ]
        assert log[1]["at"] - log[0]["at"] == 2000
        assert log[0]["message_id"] == log[1]["message_id"], "a retry keeps its webhook-id"


def test_a_receiver_that_always_fails_is_given_up_after_max_attempts(make_mock) -> None:
    mock = make_mock(callback_max_attempts=3, callback_backoff_seconds=1)
    with CallbackReceiver(status=500) as receiver, mock.httpx_client("sk-cb") as client:
        create_with_callback(client, receiver.url)
        for _ in range(6):
            mock.advance(10)
        attempts = mock.callbacks(task_status="submitted")
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["outcome"] for a in attempts] == ["failed"] * 3
    assert mock.app.extensions["kling_mock"].store.pending_deliveries() == 0


def test_callbacks_never_leave_loopback_unless_allowed(mock: KlingMock) -> None:
    with mock.httpx_client("sk-cb") as client:
        create_with_callback(client, "http://10.20.30.40:9/hook")
    (attempt,) = mock.callbacks()
    assert attempt["outcome"] == "blocked"
    assert "not a loopback address" in attempt["error"]
    assert host_allowed("http://10.20.30.40/x", ("10.20.30.40",)) == (True, "")
    assert host_allowed("http://[::1]:8080/x", ())[0]
    assert not host_allowed("file:///etc/passwd", ())[0]
    assert host_allowed("http://[::1/x", ()) == (False, "not a valid URL: Invalid IPv6 URL")
    assert host_allowed("http://127.0.0.1:notaport/x", ())[1].startswith("not a valid URL")


def test_a_callback_url_urlsplit_cannot_read_is_taken_and_its_delivery_blocked(mock: KlingMock) -> None:
    # The advanced family's callback_url is only a pattern (no format: uri), which lets "http://[" in: found
    # by schemathesis in CI, where it was a 500.
    with mock.api("advanced-lip-sync", token="sk-cb") as api:
        api.create({**create_body(api), "callback_url": "http://[::1:8000/hook"})
    (attempt,) = mock.callbacks()
    assert attempt["outcome"] == "blocked"
    assert attempt["error"] == "not a valid URL: Invalid IPv6 URL"


def test_callback_body_is_logged_for_inspection(mock: KlingMock, receiver) -> None:
    with mock.httpx_client("sk-cb") as client:
        task_id = create_with_callback(client, receiver.url)
    receiver.wait_for(1)
    (attempt,) = mock.callbacks()
    assert attempt["task_id"] == task_id
    assert attempt["url"] == receiver.url
    assert attempt["body"] == json.loads(receiver.received[0].body)


def test_the_log_keeps_each_attempts_headers_so_its_signature_can_be_checked(make_mock) -> None:
    mock = make_mock(webhook_secret=SECRET, callback_max_attempts=2, callback_backoff_seconds=1)
    with CallbackReceiver(answers=[500]) as receiver, mock.httpx_client("sk-cb") as client:
        create_with_callback(client, receiver.url)
        receiver.wait_for(1)
        mock.advance(0.5)  # the retry of `submitted` (1 s backoff) is not due yet, nor `processing` (1 s queue)
        mock.advance(0.5)
        received = receiver.wait_for(3)
    logged = mock.callbacks()
    assert [(a["task_status"], a["attempt"]) for a in logged] == [("submitted", 1), ("submitted", 2), ("processing", 1)]
    for attempt, sent in zip(logged, received, strict=True):
        headers = attempt["headers"]
        assert {name: headers[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")} == {
            name: sent.headers[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
        }, "what the receiver got, byte for byte"
        assert headers["webhook-id"] == attempt["message_id"]
        assert verify(SECRET, headers, json.dumps(attempt["body"], separators=(",", ":")).encode())
    newest = mock.http.get("/__mock__/callbacks", params={"order": "newest", "limit": 2}).json()["callbacks"]
    assert [a["id"] for a in newest] == [logged[2]["id"], logged[1]["id"]]


def test_an_unsigned_attempt_logs_only_its_content_type(mock: KlingMock, receiver) -> None:
    with mock.httpx_client("sk-cb") as client:
        create_with_callback(client, receiver.url)
    receiver.wait_for(1)
    (attempt,) = mock.callbacks()
    assert (attempt["signed"], attempt["headers"]) == (False, {"Content-Type": "application/json; charset=utf-8"})
    refused = mock.http.get("/__mock__/callbacks", params={"task_id": "1"})
    assert (refused.status_code, refused.json()["code"]) == (400, 1201), "a filter it does not have is refused"


def test_a_status_that_lasts_no_time_is_not_announced(make_mock, receiver) -> None:
    """With no queue the task is processing from its first instant: its first callback says so, once."""
    mock = make_mock(queue_seconds=0)
    with mock.httpx_client("sk-no-queue") as client:
        task_id = create_with_callback(client, receiver.url)
        mock.advance(60)
    statuses = [callback.json()["task_status"] for callback in receiver.wait_for(2)]
    assert statuses == ["processing", "succeed"]
    assert [attempt["task_status"] for attempt in mock.callbacks(task_id=task_id)] == ["processing", "succeed"]


# -- a callback never reaches the mock itself (issue 21, defect 7) -----------------------------------------------


@pytest.mark.parametrize(
    ("callback_url", "own", "refused"),
    [
        ("http://127.0.0.1:8000/__mock__/reset", "http://127.0.0.1:8000/", "admin API"),
        ("http://127.0.0.1:9999/__mock__/reset", "http://127.0.0.1:8000/", "admin API"),  # any host: its paths
        ("http://localhost:8000/kling/v1/videos/lip-sync", "http://127.0.0.1:8000/", "itself"),
        ("http://127.1.2.3:8000/anything", "http://localhost:8000/", "itself"),
        ("http://[::1]:8000/x", "http://127.0.0.1:8000/", "itself"),
        ("http://mock.internal:8000/x", "http://mock.internal:8000/", "itself"),
        ("http://kling-mock.test/hook", "http://kling-mock.test", "itself"),  # default ports
        ("http://127.0.0.1:8001/hook", "http://127.0.0.1:8000/", None),  # another loopback receiver
        ("https://example.com/kling/callback", "http://127.0.0.1:8000/", None),
        ("http://127.0.0.1:notaport/hook", "http://127.0.0.1:8000/", None),
        ("http://[", "http://127.0.0.1:8000/", None),  # not a URL urlsplit can read: found by schemathesis in CI
        ("http://[::1:8000/x", "http://127.0.0.1:8000/", None),
    ],
)
def test_what_counts_as_the_mock_itself(callback_url: str, own: str, refused: str | None) -> None:
    why = aimed_at_the_mock(callback_url, own)
    assert (why is None) == (refused is None), why
    if refused is not None:
        assert refused in str(why)


def test_a_create_whose_callback_would_reset_the_served_mock_is_1201_and_nothing_changes(
    served_mock: GunicornMock,
) -> None:
    auth = {"Authorization": "Bearer sk-self-callback"}
    kept = data(httpx.post(f"{served_mock.url}/kling{TASKS}", json=text_body(), headers=auth))["task_id"]
    for target in (f"{served_mock.url}/__mock__/reset", f"http://localhost:{served_mock.port}/kling{TASKS}"):
        refused = httpx.post(
            f"{served_mock.url}/kling{TASKS}", json={**text_body(), "callback_url": target}, headers=auth
        )
        assert refused.status_code == 400
        assert refused.json()["code"] == 1201
        assert "callback_url must not point at the mock" in refused.json()["message"]
    listed = data(httpx.get(f"{served_mock.url}/kling{TASKS}", headers=auth))
    assert [task["task_id"] for task in listed] == [kept], "no task for the refused creates, and none reset"


def test_a_claim_that_lapsed_is_no_longer_its_claimers_to_send(mock: KlingMock, receiver) -> None:
    """A process that took a batch of callbacks renews its claim before each send; once the claim lapsed and
    another process took the delivery, the first no longer sends it (two senders, one callback twice)."""
    with mock.httpx_client("sk-lease") as client:
        create_with_callback(client, receiver.url)
    store = mock.app.extensions["kling_mock"].store
    later = store.clock_ms() + 3_600_000  # every announcement of the task due
    first = store.claim_due_deliveries(later, wall_ms=1_000, lease_ms=100)
    assert first, "the task's later announcements are due"
    assert store.claim_due_deliveries(later, wall_ms=1_050, lease_ms=100) == [], "claimed: no one else takes them"
    assert store.renew_claim(first[0]["id"], 1_100, 1_180), "still the first's: renewed before its send"
    second = store.claim_due_deliveries(later, wall_ms=2_000, lease_ms=100)  # every claim lapsed
    assert [row["id"] for row in second] == [row["id"] for row in first]
    assert not store.renew_claim(first[1]["id"], 1_100, 2_050), "taken by the second: the first skips it"
    assert store.renew_claim(second[1]["id"], 2_100, 2_150)
