"""Text-to-speech in the mock: every rule at its boundary, the MP3 it serves, and its audio id in advanced
lip-sync (this account's, 30 days, its true length)."""

from __future__ import annotations

import array
import io
import math
from typing import Any

import av
import pytest

from contract_tests.helpers import create_body
from kling_lipsync.testing import KlingMock
from kling_spec import load_spec
from kling_spec.families import family
from kling_spec.timing import timing_rules

TTS = family("tts").operation("synchronous")
ADVANCED = family("advanced-lip-sync")
SPEECH_MS: dict[str, int] = TTS.spec["x-kling-mock-speech"]
TTL_MS: int = load_spec()["components"]["schemas"]["FaceChoice"]["properties"]["audio_id"]["x-kling-audio-ttl-ms"]
RULES = timing_rules()
ZH, EN = "genshin_vindi2", "oversea_male1"  # a voice of zh (and en), a voice of en only
FRAME_MS = 24


def speak(mock: KlingMock, token: str = "sk-test", gateway: str = "dmxapi", **body: Any) -> dict[str, Any]:
    with mock.httpx_client(token, gateway=gateway) as client:
        answer: dict[str, Any] = client.post(TTS.path, json={"voice_id": ZH, **body}).json()
    return answer


def spoken(mock: KlingMock, text: str, token: str = "sk-test", **body: Any) -> dict[str, Any]:
    """The audio of a call that must succeed."""
    answer = speak(mock, token, text=text, **body)
    assert answer["code"] == 0, answer
    data = answer["data"]
    assert data["task_status"] == "succeed"
    (audio,) = data["task_result"]["audios"]
    return dict(audio)


def refused(answer: dict[str, Any], *words: str) -> None:
    assert answer["code"] == 1201, answer
    for word in words:
        assert word in answer["message"], answer["message"]


def expected_ms(characters: int, language: str = "zh", speed10: int = 10) -> int:
    """The spec's rule, written out: characters x ms / speed, up to whole 24 ms frames."""
    return math.ceil(characters * SPEECH_MS[language] * 10 / (speed10 * FRAME_MS)) * FRAME_MS


# -- the text: 1 to 1000 code points, whatever they are -----------------------------------------------------


@pytest.mark.parametrize("gateway", ["dmxapi", "kling"])
@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("好" * 1000, True),
        ("好" * 1001, False),
        ("😀" * 1000, True),  # outside the BMP: one code point each (two UTF-16 units, four UTF-8 bytes)
        ("😀" * 1001, False),
        ("a" * 1000, True),
        ("", False),
    ],
    ids=["1000 Chinese", "1001 Chinese", "1000 emoji", "1001 emoji", "1000 ASCII", "empty"],
)
def test_text_length_is_counted_in_code_points(kling_mock: KlingMock, gateway: str, text: str, ok: bool) -> None:
    token = "sk-test" if gateway == "dmxapi" else kling_mock.settings.api_key
    answer = speak(kling_mock, token, gateway, text=text)
    if ok:
        assert answer["code"] == 0, answer
    else:
        refused(answer, "text")


def test_a_missing_text_or_voice_is_named(kling_mock: KlingMock) -> None:
    with kling_mock.httpx_client() as client:
        refused(client.post(TTS.path, json={"voice_id": ZH}).json(), "text is required")
        refused(client.post(TTS.path, json={"text": "你好"}).json(), "voice_id is required")


# -- the voice: a pair of the voice table, zh when no language is given --------------------------------------


@pytest.mark.parametrize(
    ("voice_id", "language", "ok"),
    [(ZH, None, True), (EN, "en", True), (EN, None, False), (EN, "zh", False), ("no-such-voice", "en", False)],
)
def test_the_voice_is_a_pair_of_the_table(kling_mock: KlingMock, voice_id: str, language: str | None, ok: bool) -> None:
    body = {"text": "hello", "voice_id": voice_id, **({"voice_language": language} if language else {})}
    answer = speak(kling_mock, **body)
    if ok:
        assert answer["code"] == 0, answer
    else:
        assert (answer["code"], answer["message"]) == (1201, "Voice id not found"), "Kling's own words"


# -- the speed: [0.8, 2.0] as sent, one decimal rounded half up ---------------------------------------------


@pytest.mark.parametrize(("speed", "ok"), [(0.79, False), (0.8, True), (2.0, True), (2.01, False)])
def test_speed_bounds(kling_mock: KlingMock, speed: float, ok: bool) -> None:
    answer = speak(kling_mock, text="你好世界", voice_speed=speed)
    if ok:
        assert answer["code"] == 0, answer
    else:
        refused(answer, "voiceSpeed")


@pytest.mark.parametrize(("speed", "speed10"), [(1.25, 13), (1.24, 12), (0.85, 9), (1.95, 20), (1, 10)])
def test_speed_is_rounded_half_up_to_one_decimal(kling_mock: KlingMock, speed: float, speed10: int) -> None:
    audio = spoken(kling_mock, "好" * 100, voice_speed=speed)
    assert audio["duration"] == f"{expected_ms(100, 'zh', speed10) / 1000:.3f}"


@pytest.mark.parametrize(("language", "voice"), [("zh", ZH), ("en", EN)])
def test_the_length_follows_the_text_and_the_language(kling_mock: KlingMock, language: str, voice: str) -> None:
    for characters in (1, 17, 250):
        audio = spoken(kling_mock, "x" * characters, voice_id=voice, voice_language=language)
        assert audio["duration"] == f"{expected_ms(characters, language) / 1000:.3f}"


# -- the MP3: real, audible, as long as its duration says ------------------------------------------------------


def test_the_served_mp3_decodes_to_its_duration_and_is_not_silent(kling_mock: KlingMock) -> None:
    audio = spoken(kling_mock, "你好欢迎来到可灵", voice_speed=1.3)
    with kling_mock.httpx_client(None) as anyone:  # a CDN URL: no key needed
        mp3 = anyone.get(audio["url"])
    assert (mp3.status_code, mp3.headers["content-type"]) == (200, "audio/mpeg")
    with av.open(io.BytesIO(mp3.content)) as container:
        stream = container.streams.audio[0]
        assert container.format.name == "mp3"
        frames = list(container.decode(stream))
    samples = sum(frame.samples for frame in frames)
    assert round(samples * 1000 / stream.sample_rate) == round(float(audio["duration"]) * 1000)
    assert peak(frames) > 0.1, "speech, not silence"


def peak(frames: list[av.AudioFrame]) -> float:
    """The loudest sample, from 0 to 1 (no numpy here: the decoded planes read as floats)."""
    loudest = 0.0
    for frame in frames:
        assert frame.format.name == "fltp", frame.format.name  # FFmpeg's MP3 decoder: 32-bit float planes
        values = array.array("f", bytes(frame.planes[0])[: frame.samples * 4])
        loudest = max(loudest, max(abs(v) for v in values))
    return loudest


def test_an_unknown_audio_url_is_404_in_the_envelope(kling_mock: KlingMock) -> None:
    with kling_mock.httpx_client(None) as anyone:
        answer = anyone.get(f"{kling_mock.url('kling')}/__mock__/audio/870000000000999999.mp3")
    assert (answer.status_code, answer.json()["code"]) == (404, 1203)


# -- a synchronous call: no query, no slot; scenarios and the journal as for any call -------------------------


@pytest.mark.parametrize("gateway", ["dmxapi", "kling"])
def test_there_is_no_query_or_list(kling_mock: KlingMock, gateway: str) -> None:
    token = "sk-test" if gateway == "dmxapi" else kling_mock.settings.api_key
    with kling_mock.httpx_client(token, gateway=gateway) as client:
        answer = client.get(TTS.path)
        assert (answer.status_code, answer.json()["code"]) == (404, 1202), "the path has no GET (choice 23)"
        answer = client.get(f"{TTS.path}/880000000000000001")
        assert (answer.status_code, answer.json()["code"]) == (404, 1203), "no such path"


@pytest.mark.parametrize("cors", [False, True], ids=["direct", "through Flask (CORS on)"])
def test_a_body_over_the_operation_s_own_limit_is_413(kling_mocks: Any, cors: bool) -> None:
    mock = kling_mocks(**({"cors_origins": ["http://app.test"]} if cors else {}))
    limit = TTS.spec["x-kling-max-request-bytes"]
    with mock.httpx_client() as client:
        padding = limit - len(b'{"text":"hi","voice_id":"genshin_vindi2","pad":""}')
        at_limit = client.post(TTS.path, content=f'{{"text":"hi","voice_id":"{ZH}","pad":"{"x" * padding}"}}',
                               headers={"Content-Type": "application/json"})  # fmt: skip
        assert at_limit.json()["code"] == 0, "exactly the limit: spoken (unknown fields are ignored)"
        over = client.post(TTS.path, content=f'{{"text":"hi","voice_id":"{ZH}","pad":"{"x" * (padding + 1)}"}}',
                           headers={"Content-Type": "application/json"})  # fmt: skip
        assert (over.status_code, over.json()["code"]) == (413, 1200)
        session = client.post(ADVANCED.operation("session").path, json={"video_url": "https://example.com/a.mp4",
                                                                        "pad": "x" * limit})  # fmt: skip
        assert session.json()["code"] == 0, "identify-face's own limit is larger"


def test_a_call_takes_no_concurrency_slot(kling_mocks: Any) -> None:
    mock = kling_mocks(max_in_flight=1)
    with mock.api("lip-sync") as api:
        api.create(create_body(api))
        with mock.httpx_client() as client:
            assert client.post(api.family.collection_path, json=create_body(api)).json()["code"] == 1303
    assert speak(mock, text="你好世界")["code"] == 0, "the account's one slot is taken, and it still speaks"
    assert speak(mock, text="你好世界")["code"] == 0, "and a call held none"


@pytest.mark.parametrize(("scenario", "status", "code"), [("content-policy", 400, 1301), ("rate-limit", 429, 1302),
                                                          ("server-error", 500, 5000)])  # fmt: skip
def test_refusal_scenarios_apply(kling_mock: KlingMock, scenario: str, status: int, code: int) -> None:
    with kling_mock.httpx_client(headers={"X-Mock-Scenario": scenario}) as client:
        answer = client.post(TTS.path, json={"text": "你好", "voice_id": ZH})
    assert (answer.status_code, answer.json()["code"]) == (status, code)


def test_a_failing_task_scenario_answers_failed_with_its_reason_and_no_audio(kling_mock: KlingMock) -> None:
    with kling_mock.httpx_client(headers={"X-Mock-Scenario": "no-human"}) as client:
        data = client.post(TTS.path, json={"text": "你好", "voice_id": ZH}).json()["data"]
    assert (data["task_status"], data["task_result"]["audios"]) == ("failed", [])
    assert data["task_status_msg"]


def test_the_journal_names_the_family(kling_mock: KlingMock) -> None:
    speak(kling_mock, text="你好")
    (entry,) = kling_mock.requests(family="tts")
    assert (entry["method"], entry["path"], entry["status"], entry["code"]) == ("POST", f"/kling{TTS.path}", 200, 0)


# -- its audio in advanced lip-sync ------------------------------------------------------------------------------


def session_of(mock: KlingMock, token: str = "sk-test") -> str:
    with mock.api("advanced-lip-sync", token=token) as api:
        return str(api.open_session({"video_url": "https://example.com/face.mp4"})["session_id"])


def lip_sync(mock: KlingMock, audio_id: str, token: str = "sk-test", end: int = 2000) -> dict[str, Any]:
    choice = {
        "face_id": "0",
        "audio_id": audio_id,
        "sound_start_time": 0,
        "sound_end_time": end,
        "sound_insert_time": 0,
    }
    with mock.httpx_client(token) as client:
        answer: dict[str, Any] = client.post(
            ADVANCED.collection_path, json={"session_id": session_of(mock, token), "face_choose": [choice]}
        ).json()
    return answer


def test_an_audio_id_is_this_account_s_own(kling_mock: KlingMock) -> None:
    audio = spoken(kling_mock, "好" * 10)
    assert lip_sync(kling_mock, audio["id"])["code"] == 0
    refused(lip_sync(kling_mock, audio["id"], token="sk-other"), "no such audio for this account")
    refused(lip_sync(kling_mock, "870000000000999999"), "no such audio")
    refused(lip_sync(kling_mock, "not-an-id"), "no such audio")


def test_an_audio_id_lasts_30_days_on_the_mock_s_clock(kling_mock: KlingMock) -> None:
    audio = spoken(kling_mock, "好" * 10)
    kling_mock.advance((TTL_MS - 1) / 1000)
    assert lip_sync(kling_mock, audio["id"])["code"] == 0, "30 days less a millisecond: still good"
    kling_mock.advance(0.002)
    refused(lip_sync(kling_mock, audio["id"]), f"made {TTL_MS + 1} ms ago")


@pytest.mark.parametrize(
    ("characters", "ok"),
    [
        (RULES.min_audio_ms // SPEECH_MS["zh"], False),  # 1.92 s
        (RULES.min_audio_ms // SPEECH_MS["zh"] + 1, True),  # 2.16 s
        (RULES.max_audio_ms // SPEECH_MS["zh"], True),  # 60 s exactly
        (RULES.max_audio_ms // SPEECH_MS["zh"] + 1, False),  # 60.24 s
    ],
)
def test_the_audio_s_true_length_is_held_to_2_to_60_seconds(kling_mock: KlingMock, characters: int, ok: bool) -> None:
    audio = spoken(kling_mock, "好" * characters)
    length = expected_ms(characters)
    answer = lip_sync(kling_mock, audio["id"], end=min(length, 2000))
    if ok:
        assert answer["code"] == 0, answer
    else:
        refused(answer, "face_choose[0].audio_id", f"lasts {length} ms")


def test_the_crop_rules_use_the_audio_s_true_length(kling_mock: KlingMock) -> None:
    audio = spoken(kling_mock, "好" * 9)  # 2160 ms
    assert lip_sync(kling_mock, audio["id"], end=2160)["code"] == 0
    refused(lip_sync(kling_mock, audio["id"], end=2161), "2160")


def test_registered_audio_ids_keep_working(kling_mock: KlingMock) -> None:
    kling_mock.register_audio(audio_id="my-audio", duration_ms=5000)
    assert lip_sync(kling_mock, "my-audio", token="sk-anyone")["code"] == 0


def test_a_reset_forgets_the_audio(kling_mock: KlingMock) -> None:
    audio = spoken(kling_mock, "好" * 10)
    kling_mock.reset()
    refused(lip_sync(kling_mock, audio["id"]), "no such audio")
