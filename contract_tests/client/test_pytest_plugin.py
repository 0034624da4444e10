"""The pytest plugin, as a downstream project gets it by installing the package (pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

DOWNSTREAM_TESTS = """
import pytest
from kling_lipsync import TaskFailed

VIDEO = "https://example.com/face.mp4"


def test_fixtures_work_together(kling_mock, kling_client):
    created = kling_client.create_text("Hi", "AOT", voice_language="en", video_url=VIDEO)
    task = kling_client.wait(created.task_id)
    assert task.task_status == "succeed"
    kling_mock.assert_request_made(method="POST", count=1)
    assert kling_mock.now_ms() > task.created_at, "waiting moved the virtual clock"


@pytest.mark.kling_mock(max_in_flight=1)
def test_marker_configures_the_mock(kling_mock):
    assert kling_mock.settings.max_in_flight == 1


def test_scenarios(kling_mock):
    with kling_mock.lipsync(scenario="no-human") as client:
        created = client.create_text("Hi", "AOT", voice_language="en", video_url=VIDEO)
        with pytest.raises(TaskFailed, match="no human"):
            client.wait(created.task_id)


def test_each_test_gets_a_fresh_mock(kling_mock):
    assert kling_mock.requests() == []


def test_a_failing_assertion_reads_well(kling_mock):
    kling_mock.assert_request_made(method="DELETE")
"""


def test_plugin_fixtures_in_a_downstream_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_downstream=DOWNSTREAM_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", "--strict-markers")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*expected some request(s) matching {'method': 'DELETE'}, found 0*"])


def test_marker_is_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.kling_mock(**settings)*"])


OUTSIDE_THE_SPEC = """
import pytest
from mock_server.families.lipsync import LipSyncFamily

VIDEO = "https://example.com/face.mp4"


@pytest.fixture(autouse=True)
def a_mock_that_drifted(monkeypatch):
    original = LipSyncFamily.render

    def render(self, row, now_ms):
        task = original(self, row, now_ms)
        task["task_status"] = 42  # the spec says a string
        return task

    monkeypatch.setattr(LipSyncFamily, "render", render)


def test_strict_by_default(kling_mock, kling_api):
    kling_api.status(kling_api.create({"input": {"mode": "audio2video", "video_url": VIDEO,
                                                 "audio_type": "url", "audio_url": "https://example.com/a.mp3"}})["task_id"])


@pytest.mark.kling_lenient
def test_lenient_when_marked(kling_mock, kling_api):
    kling_api.status(kling_api.create({"input": {"mode": "audio2video", "video_url": VIDEO,
                                                 "audio_type": "url", "audio_url": "https://example.com/a.mp3"}})["task_id"])
"""


def test_answers_outside_the_spec_fail_the_test_unless_it_is_marked_lenient(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_drift=OUTSIDE_THE_SPEC)
    # In a process of its own: this suite's own strict check would see the drifted mock's answers too.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "--strict-markers")
    result.assert_outcomes(passed=2, errors=1)  # the strict test passes its body, then fails at teardown
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_strict_by_default*", "*the kling mock answered outside openapi.yaml*"]
    )
