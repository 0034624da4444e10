from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.advanced_lip_sync_task_response import AdvancedLipSyncTaskResponse
from ...models.error_response import ErrorResponse
from ...models.proxy_error_response import ProxyErrorResponse
from ...types import Response


def _get_kwargs(
    task_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/videos/advanced-lip-sync/{task_id}".format(
            task_id=quote(str(task_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AdvancedLipSyncTaskResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse | None:
    if response.status_code == 200:
        response_200 = AdvancedLipSyncTaskResponse.from_dict(response.json())

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
) -> Response[AdvancedLipSyncTaskResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    task_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[AdvancedLipSyncTaskResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse]:
    """Query one advanced lip-sync task

     The task with its status, the input video and, once it succeeded, the result video (and its
    watermarked copy when one was asked for). The task is found by its `task_id` or by the
    `external_task_id` it was created with.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AdvancedLipSyncTaskResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    task_id: str,
    *,
    client: AuthenticatedClient,
) -> AdvancedLipSyncTaskResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse | None:
    """Query one advanced lip-sync task

     The task with its status, the input video and, once it succeeded, the result video (and its
    watermarked copy when one was asked for). The task is found by its `task_id` or by the
    `external_task_id` it was created with.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AdvancedLipSyncTaskResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse
    """

    return sync_detailed(
        task_id=task_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    task_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[AdvancedLipSyncTaskResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse]:
    """Query one advanced lip-sync task

     The task with its status, the input video and, once it succeeded, the result video (and its
    watermarked copy when one was asked for). The task is found by its `task_id` or by the
    `external_task_id` it was created with.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AdvancedLipSyncTaskResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    task_id: str,
    *,
    client: AuthenticatedClient,
) -> AdvancedLipSyncTaskResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse | None:
    """Query one advanced lip-sync task

     The task with its status, the input video and, once it succeeded, the result video (and its
    watermarked copy when one was asked for). The task is found by its `task_id` or by the
    `external_task_id` it was created with.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AdvancedLipSyncTaskResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse
    """

    return (
        await asyncio_detailed(
            task_id=task_id,
            client=client,
        )
    ).parsed
