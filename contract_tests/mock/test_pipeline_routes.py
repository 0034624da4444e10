"""The pipeline's own route lookups (a dict for paths without variables, one for a task's query) find what
Werkzeug's matcher finds, for every route of the API, or leave the request to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from werkzeug.exceptions import HTTPException

from kling_lipsync.testing import KlingMock
from mock_server.pipeline import Pipeline

ENVIRON = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_HOST": "mock", "wsgi.url_scheme": "http"}
#: Task ids as WSGI hands them over (latin-1 for the bytes sent): plain, percent-decoded UTF-8, odd.
IDS = ["860000000000000001", "caf\xc3\xa9", "a b", "-", "x.y"]


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    with KlingMock() as mock:
        pipe = mock.app.wsgi_app.app  # type: ignore[attr-defined]
        assert isinstance(pipe, Pipeline)
        yield pipe


def matcher(pipe: Pipeline, path: str, method: str) -> tuple[str, dict[str, str]] | None:
    try:
        endpoint, values = pipe._routing(dict(ENVIRON)).match(path.encode("latin1").decode(errors="replace"), method)
    except HTTPException:
        return None
    return str(endpoint), dict(values)


def test_a_task_s_query_is_found_as_the_matcher_finds_it(pipeline: Pipeline) -> None:
    assert len(pipeline.task_routes) >= 8, "both families' queries on both gateways, GET and HEAD"
    for (head, method), endpoint in pipeline.task_routes.items():
        for task_id in IDS:
            found = pipeline._task_route(head + task_id, method)
            assert found == matcher(pipeline, head + task_id, method), (head, task_id)
            assert found is not None
            assert found[0] == endpoint


@pytest.mark.parametrize(
    "path",
    [
        "/kling/v1/videos/lip-sync/",  # no id
        "/kling/v1/videos/lip-sync/1/more",  # a path under a task
        "/kling//v1/videos/lip-sync/1",  # doubled slash: the matcher redirects
        "/scenario/slow/kling/v1/videos/lip-sync/1",  # a scenario prefix: left to the matcher
        "/KLING/v1/videos/lip-sync/1",  # paths are case-sensitive
    ],
)
def test_anything_else_is_left_to_the_matcher(pipeline: Pipeline, path: str) -> None:
    assert pipeline._task_route(path, "GET") is None


def test_a_path_without_variables_is_found_as_the_matcher_finds_it(pipeline: Pipeline) -> None:
    for (path, method), endpoint in pipeline.static_routes.items():
        assert matcher(pipeline, path, method) == (endpoint, {}), (path, method)
