from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.advanced_lip_sync_task_list_response import AdvancedLipSyncTaskListResponse
from ...models.error_response import ErrorResponse
from ...models.proxy_error_response import ProxyErrorResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    page_num: int | Unset = 1,
    page_size: int | Unset = 30,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["pageNum"] = page_num

    params["pageSize"] = page_size

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/videos/advanced-lip-sync",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AdvancedLipSyncTaskListResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse | None:
    if response.status_code == 200:
        response_200 = AdvancedLipSyncTaskListResponse.from_dict(response.json())

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
) -> Response[AdvancedLipSyncTaskListResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    page_num: int | Unset = 1,
    page_size: int | Unset = 30,
) -> Response[AdvancedLipSyncTaskListResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse]:
    """List advanced lip-sync tasks

     The account's advanced tasks, newest first, one page at a time. There is no total count: a page
    shorter than `pageSize` (or empty) is the end of the list.

    Args:
        page_num (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 30.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AdvancedLipSyncTaskListResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse]
    """

    kwargs = _get_kwargs(
        page_num=page_num,
        page_size=page_size,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    page_num: int | Unset = 1,
    page_size: int | Unset = 30,
) -> AdvancedLipSyncTaskListResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse | None:
    """List advanced lip-sync tasks

     The account's advanced tasks, newest first, one page at a time. There is no total count: a page
    shorter than `pageSize` (or empty) is the end of the list.

    Args:
        page_num (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 30.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AdvancedLipSyncTaskListResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse
    """

    return sync_detailed(
        client=client,
        page_num=page_num,
        page_size=page_size,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    page_num: int | Unset = 1,
    page_size: int | Unset = 30,
) -> Response[AdvancedLipSyncTaskListResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse]:
    """List advanced lip-sync tasks

     The account's advanced tasks, newest first, one page at a time. There is no total count: a page
    shorter than `pageSize` (or empty) is the end of the list.

    Args:
        page_num (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 30.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AdvancedLipSyncTaskListResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse]
    """

    kwargs = _get_kwargs(
        page_num=page_num,
        page_size=page_size,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    page_num: int | Unset = 1,
    page_size: int | Unset = 30,
) -> AdvancedLipSyncTaskListResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse | None:
    """List advanced lip-sync tasks

     The account's advanced tasks, newest first, one page at a time. There is no total count: a page
    shorter than `pageSize` (or empty) is the end of the list.

    Args:
        page_num (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 30.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AdvancedLipSyncTaskListResponse | ErrorResponse | ErrorResponse | ProxyErrorResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            page_num=page_num,
            page_size=page_size,
        )
    ).parsed
