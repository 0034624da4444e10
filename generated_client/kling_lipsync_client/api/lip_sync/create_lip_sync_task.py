from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.lip_sync_create_request import LipSyncCreateRequest
from ...models.proxy_error_response import ProxyErrorResponse
from ...models.task_created_response import TaskCreatedResponse
from ...types import Response


def _get_kwargs(
    *,
    body: LipSyncCreateRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/videos/lip-sync",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | ErrorResponse | ProxyErrorResponse | TaskCreatedResponse | None:
    if response.status_code == 200:
        response_200 = TaskCreatedResponse.from_dict(response.json())

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
) -> Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | TaskCreatedResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: LipSyncCreateRequest,
) -> Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | TaskCreatedResponse]:
    """Create a lip-sync task

     Submits a video (by Kling video id or URL) together with text to speak (`text2video`) or audio
    (`audio2video`). Answers at once with the new task in status `submitted`. A task holds one of the
    account's concurrency slots until it finishes; one more than the limit answers 429 / 1303.

    Args:
        body (LipSyncCreateRequest): Body of a create request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | TaskCreatedResponse]
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
    body: LipSyncCreateRequest,
) -> ErrorResponse | ErrorResponse | ProxyErrorResponse | TaskCreatedResponse | None:
    """Create a lip-sync task

     Submits a video (by Kling video id or URL) together with text to speak (`text2video`) or audio
    (`audio2video`). Answers at once with the new task in status `submitted`. A task holds one of the
    account's concurrency slots until it finishes; one more than the limit answers 429 / 1303.

    Args:
        body (LipSyncCreateRequest): Body of a create request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | ProxyErrorResponse | TaskCreatedResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: LipSyncCreateRequest,
) -> Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | TaskCreatedResponse]:
    """Create a lip-sync task

     Submits a video (by Kling video id or URL) together with text to speak (`text2video`) or audio
    (`audio2video`). Answers at once with the new task in status `submitted`. A task holds one of the
    account's concurrency slots until it finishes; one more than the limit answers 429 / 1303.

    Args:
        body (LipSyncCreateRequest): Body of a create request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | TaskCreatedResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: LipSyncCreateRequest,
) -> ErrorResponse | ErrorResponse | ProxyErrorResponse | TaskCreatedResponse | None:
    """Create a lip-sync task

     Submits a video (by Kling video id or URL) together with text to speak (`text2video`) or audio
    (`audio2video`). Answers at once with the new task in status `submitted`. A task holds one of the
    account's concurrency slots until it finishes; one more than the limit answers 429 / 1303.

    Args:
        body (LipSyncCreateRequest): Body of a create request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | ProxyErrorResponse | TaskCreatedResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
