from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.face_session_response import FaceSessionResponse
from ...models.identify_face_request import IdentifyFaceRequest
from ...models.proxy_error_response import ProxyErrorResponse
from ...types import Response


def _get_kwargs(
    *,
    body: IdentifyFaceRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/videos/identify-face",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | ErrorResponse | ProxyErrorResponse | FaceSessionResponse | None:
    if response.status_code == 200:
        response_200 = FaceSessionResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:

        def _parse_response_401(data: object) -> ErrorResponse | ProxyErrorResponse:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_auth_error_response_type_0 = ErrorResponse.from_dict(data)

                return componentsschemas_auth_error_response_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_auth_error_response_type_1 = ProxyErrorResponse.from_dict(data)

            return componentsschemas_auth_error_response_type_1

        response_401 = _parse_response_401(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

    if response.status_code == 408:
        response_408 = ErrorResponse.from_dict(response.json())

        return response_408

    if response.status_code == 413:
        response_413 = ErrorResponse.from_dict(response.json())

        return response_413

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorResponse.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = ErrorResponse.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | FaceSessionResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: IdentifyFaceRequest,
) -> Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | FaceSessionResponse]:
    """Find the faces in a video (start an advanced lip-sync session)

     Synchronous: answers at once with a `session_id` and the faces found, each with the window in which
    it can be lip-synced. No task is created and no concurrency slot is taken. A video without a usable
    face answers code 0 with an empty `face_data`. The session is valid for 24 hours.

    Args:
        body (IdentifyFaceRequest): The video whose faces to find: exactly one of `video_id` and
            `video_url`. An empty string counts as
            absent, as in Kling's own example (`"video_id": ""` beside a URL).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | FaceSessionResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: IdentifyFaceRequest,
) -> ErrorResponse | ErrorResponse | ProxyErrorResponse | FaceSessionResponse | None:
    """Find the faces in a video (start an advanced lip-sync session)

     Synchronous: answers at once with a `session_id` and the faces found, each with the window in which
    it can be lip-synced. No task is created and no concurrency slot is taken. A video without a usable
    face answers code 0 with an empty `face_data`. The session is valid for 24 hours.

    Args:
        body (IdentifyFaceRequest): The video whose faces to find: exactly one of `video_id` and
            `video_url`. An empty string counts as
            absent, as in Kling's own example (`"video_id": ""` beside a URL).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | ProxyErrorResponse | FaceSessionResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: IdentifyFaceRequest,
) -> Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | FaceSessionResponse]:
    """Find the faces in a video (start an advanced lip-sync session)

     Synchronous: answers at once with a `session_id` and the faces found, each with the window in which
    it can be lip-synced. No task is created and no concurrency slot is taken. A video without a usable
    face answers code 0 with an empty `face_data`. The session is valid for 24 hours.

    Args:
        body (IdentifyFaceRequest): The video whose faces to find: exactly one of `video_id` and
            `video_url`. An empty string counts as
            absent, as in Kling's own example (`"video_id": ""` beside a URL).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | FaceSessionResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: IdentifyFaceRequest,
) -> ErrorResponse | ErrorResponse | ProxyErrorResponse | FaceSessionResponse | None:
    """Find the faces in a video (start an advanced lip-sync session)

     Synchronous: answers at once with a `session_id` and the faces found, each with the window in which
    it can be lip-synced. No task is created and no concurrency slot is taken. A video without a usable
    face answers code 0 with an empty `face_data`. The session is valid for 24 hours.

    Args:
        body (IdentifyFaceRequest): The video whose faces to find: exactly one of `video_id` and
            `video_url`. An empty string counts as
            absent, as in Kling's own example (`"video_id": ""` beside a URL).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | ProxyErrorResponse | FaceSessionResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
