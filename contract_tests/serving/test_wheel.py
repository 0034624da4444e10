"""What a pip user gets: the sdist and the wheel built from it, installed into a new venv outside the checkout.

From there, with no `make` and no repository: the production command serves one consistent mock over two
workers, its API reference and its dashboard, the CLI works against it, and a downstream project's pytest
file uses the ``kling_mock`` / ``kling_client`` fixtures; with the ``postgresql`` extra, it serves on
PostgreSQL. Slow (a venv and an install), so it is one test that runs while the rest of the suite does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from contract_tests.helpers import assert_one_consistent_mock
from contract_tests.postgres import PostgresServer
from contract_tests.servers import ROOT, ProductionMock, ServedMock, fresh
from mock_server.recording.recorder import STARTUP_LINE as RECORDER

DOWNSTREAM_TEST = """
import pytest
from kling_lipsync import TaskFailed

pytestmark = pytest.mark.slow


@pytest.mark.kling_mock(processing_seconds=160)
def test_my_pipeline(kling_mock, kling_client):
    created = kling_client.create_text("Hi", "AOT", voice_language="en", video_url="https://example.com/a.mp4")
    assert kling_client.wait(created.task_id).task_status == "succeed"
    kling_mock.assert_request_made(method="POST", count=1)


def test_a_failing_scenario(kling_mock):
    with kling_mock.lipsync(scenario="no-human") as failing, pytest.raises(TaskFailed):
        failing.wait(failing.create_text("Hi", "AOT", voice_language="en", video_url="https://example.com/a.mp4").task_id)


def test_advanced_lip_sync_with_a_measured_file_a_plan_and_a_watermark(kling_mock, kling_client, tmp_path):
    # Everything the advanced family needs comes from the wheel: admin.yaml, mutagen, the media it serves.
    import wave

    audio = tmp_path / "line.wav"
    with wave.open(str(audio), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\\0\\0" * 8000 * 3)
    kling_mock.define_scenario("flaky", polls={1: 5001})
    with kling_mock.lipsync(scenario="flaky") as lip:
        task = lip.lip_sync_advanced(video_url="https://example.com/a.mp4", audio_path=audio, watermark=True)
        saved = lip.download(task, tmp_path / "marked.mp4", watermarked=True)
    assert task.task_status == "succeed"
    assert saved.read_bytes()[4:8] == b"ftyp"
    face = kling_mock.http.get(kling_client.identify_faces(video_url="https://example.com/a.mp4").face_data[0].face_image)
    assert face.content[:3] == b"\\xff\\xd8\\xff"


def test_text_to_speech_and_results_from_the_wheel_without_the_media_extra(kling_client, tmp_path):
    # The speech asset comes from the wheel; without PyAV a result is the 5 s template, and says so.
    speech = kling_client.speak("你好欢迎来到可灵", "genshin_vindi2", voice_language="zh")
    assert speech.duration_ms == 1920
    assert kling_client.download(speech, tmp_path).read_bytes()[:2] == b"\\xff\\xf3"
    line = "你好欢迎来到可灵我们"  # ten characters: 2.4 s
    task = kling_client.lip_sync_advanced(
        video_url="https://example.com/a.mp4", text=line, voice_id="genshin_vindi2", voice_language="zh"
    )
    assert task.task_result.videos[0].duration == "5.0"
"""


#: The create ``recordings/observed/kling-refusals.yaml`` holds refused with 1303 (a replay answers so).
REFUSED_BY_THE_RECORDING = {
    "input": {
        "mode": "audio2video",
        "video_url": "https://example.com/speaker.mp4",
        "audio_type": "url",
        "audio_url": "https://example.com/line.mp3",
    }
}


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
@pytest.mark.heavy
def test_the_wheel_alone_serves_the_mock_runs_the_cli_and_the_fixtures(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    dist, elsewhere = tmp_path / "dist", tmp_path / "project"
    elsewhere.mkdir()
    run(sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=tmp_path)
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    with tarfile.open(sdist) as archive:
        assert any(name.endswith("/LICENSE") for name in archive.getnames())
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert any(name.endswith("licenses/LICENSE") for name in names)
    assert "mock_server/assets/api-reference.html" in names
    assert {"mock_server/assets/dashboard/index.html", "mock_server/assets/dashboard/main.js"} <= set(names)
    assert "mock_server/gunicorn_conf.py" in names

    venv = tmp_path / "venv"
    # A venv without pip of its own (ensurepip costs seconds); this venv's pip installs into it.
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python, bin_dir = venv / "bin" / "python", venv / "bin"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--disable-pip-version-check", wheel,
        "pytest", cwd=elsewhere)  # fmt: skip
    imported = run(python, "-c", "import mock_server, kling_lipsync; print(mock_server.__file__)", cwd=elsewhere)
    assert str(venv) in imported.stdout, "the installed package, not the checkout"

    server = ProductionMock(workers=2, cwd=elsewhere, launcher=[str(bin_dir / "kling-lipsync"), "mock"])
    try:
        assert_one_consistent_mock(server)
        docs = fresh("GET", server.url + "/__mock__/docs")
        assert docs.status == 200
        assert b"Create a lip-sync task" in docs.body
        dashboard = fresh("GET", server.url + "/__mock__/")
        assert (dashboard.status, b'src="dashboard/main.js"' in dashboard.body) == (200, True)
        module = fresh("GET", server.url + "/__mock__/dashboard/main.js")
        assert (module.status, module.content_type) == (200, "text/javascript; charset=utf-8")
        listed = run(bin_dir / "kling-lipsync", "--base-url", f"{server.url}/kling", "--token", "sk-serving-0",
                     "--json", "list", cwd=elsewhere)  # fmt: skip
        assert len(listed.stdout.splitlines()) == 5
        # Record from the wheel: the proxy (gunicorn) forwards to the served mock and writes a cassette.
        recorded = elsewhere / "recorded"
        command = [str(bin_dir / "kling-lipsync"), "record", "--upstream", server.url, "--out", str(recorded)]
        with ServedMock(
            [*command, "--port", "0"], {}, port=0, cwd=elsewhere, announced=True, startup_line=RECORDER
        ) as proxy:
            through = fresh("GET", f"{proxy.url}/kling/v1/videos/lip-sync", headers={"Authorization": "Bearer sk-rec"})
            assert (through.status, through.json()["code"]) == (200, 0)
        (cassette,) = recorded.glob("*.yaml")
        assert cassette.read_text().count("uri: ") == 1
    finally:
        server.stop()

    # Replay and check from the wheel, on the repository's samples (two workers share the replay's counters).
    samples = elsewhere / "recordings"
    shutil.copytree(ROOT / "recordings", samples)
    checked = run(bin_dir / "kling-lipsync", "check-recording", samples, cwd=elsewhere)
    assert "no differences" in checked.stdout
    replaying = ProductionMock(
        workers=2, cwd=elsewhere, launcher=[str(bin_dir / "kling-lipsync"), "mock"], args=["--replay", str(samples)]
    )
    try:
        over_limit = fresh("POST", replaying.url + "/kling/v1/videos/lip-sync", json_body=REFUSED_BY_THE_RECORDING,
                           headers={"Authorization": "Bearer sk-replay"})  # fmt: skip
        assert (over_limit.status, over_limit.json()["code"]) == (429, 1303)
    finally:
        replaying.stop()

    (elsewhere / "test_downstream.py").write_text(textwrap.dedent(DOWNSTREAM_TEST))
    tested = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_downstream.py", cwd=elsewhere)
    assert "4 passed" in tested.stdout

    # A team's mock from the wheel: without the postgresql extra, one line that names it; with it, served.
    url = postgres_server.url("from_the_wheel")
    refused = subprocess.run([bin_dir / "kling-lipsync", "mock", "--db", url, "--port", "0"], cwd=elsewhere,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"kling-lipsync mock: --db {url}: a PostgreSQL --db needs psycopg: pip install 'kling-lipsync[postgresql]'"
    ]
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--disable-pip-version-check",
        f"{wheel}[postgresql]", cwd=elsewhere)  # fmt: skip
    team = ProductionMock(
        workers=2, cwd=elsewhere, launcher=[str(bin_dir / "kling-lipsync"), "mock"], args=["--db", url]
    )
    try:
        assert_one_consistent_mock(team)
    finally:
        team.stop()
    assert int(postgres_server.psql("from_the_wheel", "SELECT count(*) FROM tasks")) > 0, "its tasks in PostgreSQL"
