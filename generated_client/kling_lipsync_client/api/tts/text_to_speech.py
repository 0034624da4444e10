from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.proxy_error_response import ProxyErrorResponse
from ...models.tts_request import TtsRequest
from ...models.tts_response import TtsResponse
from ...types import Response


def _get_kwargs(
    *,
    body: TtsRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/audio/tts",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | ErrorResponse | ProxyErrorResponse | TtsResponse | None:
    if response.status_code == 200:
        response_200 = TtsResponse.from_dict(response.json())

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
) -> Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | TtsResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TtsRequest,
) -> Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | TtsResponse]:
    """Speak a text (text-to-speech), for advanced lip-sync

     Synchronous: answers at once with the finished task and its audio (an MP3), whose `id` advanced
    lip-sync's `face_choose[].audio_id` takes for 30 days if it lasts 2 to 60 s. There is no query and
    no
    list; no concurrency slot is taken. DMXAPI documents no page for it: the path follows its `/kling`
    prefix rule.

    The mock speaks `x-kling-mock-speech` milliseconds per character (code point) of the text for the
    voice's language at speed 1, divided by the rounded speed, rounded up to whole frames of its MP3
    (24 ms): a real, audible MP3 of that length, which it serves and knows the length of. It deducts
    `x-kling-mock-units` a call, the price one proxy reports of Kling's list (0.05 units, whatever the
    text).

    Args:
        body (TtsRequest): Body of a text-to-speech call: a text, and a voice of the voice table
            (the pair `voice_id`,
            `voice_language` picks it, as for legacy `text2video`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | TtsResponse]
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
    body: TtsRequest,
) -> ErrorResponse | ErrorResponse | ProxyErrorResponse | TtsResponse | None:
    """Speak a text (text-to-speech), for advanced lip-sync

     Synchronous: answers at once with the finished task and its audio (an MP3), whose `id` advanced
    lip-sync's `face_choose[].audio_id` takes for 30 days if it lasts 2 to 60 s. There is no query and
    no
    list; no concurrency slot is taken. DMXAPI documents no page for it: the path follows its `/kling`
    prefix rule.

    The mock speaks `x-kling-mock-speech` milliseconds per character (code point) of the text for the
    voice's language at speed 1, divided by the rounded speed, rounded up to whole frames of its MP3
    (24 ms): a real, audible MP3 of that length, which it serves and knows the length of. It deducts
    `x-kling-mock-units` a call, the price one proxy reports of Kling's list (0.05 units, whatever the
    text).

    Args:
        body (TtsRequest): Body of a text-to-speech call: a text, and a voice of the voice table
            (the pair `voice_id`,
            `voice_language` picks it, as for legacy `text2video`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | ProxyErrorResponse | TtsResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TtsRequest,
) -> Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | TtsResponse]:
    """Speak a text (text-to-speech), for advanced lip-sync

     Synchronous: answers at once with the finished task and its audio (an MP3), whose `id` advanced
    lip-sync's `face_choose[].audio_id` takes for 30 days if it lasts 2 to 60 s. There is no query and
    no
    list; no concurrency slot is taken. DMXAPI documents no page for it: the path follows its `/kling`
    prefix rule.

    The mock speaks `x-kling-mock-speech` milliseconds per character (code point) of the text for the
    voice's language at speed 1, divided by the rounded speed, rounded up to whole frames of its MP3
    (24 ms): a real, audible MP3 of that length, which it serves and knows the length of. It deducts
    `x-kling-mock-units` a call, the price one proxy reports of Kling's list (0.05 units, whatever the
    text).

    Args:
        body (TtsRequest): Body of a text-to-speech call: a text, and a voice of the voice table
            (the pair `voice_id`,
            `voice_language` picks it, as for legacy `text2video`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | ProxyErrorResponse | TtsResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: TtsRequest,
) -> ErrorResponse | ErrorResponse | ProxyErrorResponse | TtsResponse | None:
    """Speak a text (text-to-speech), for advanced lip-sync

     Synchronous: answers at once with the finished task and its audio (an MP3), whose `id` advanced
    lip-sync's `face_choose[].audio_id` takes for 30 days if it lasts 2 to 60 s. There is no query and
    no
    list; no concurrency slot is taken. DMXAPI documents no page for it: the path follows its `/kling`
    prefix rule.

    The mock speaks `x-kling-mock-speech` milliseconds per character (code point) of the text for the
    voice's language at speed 1, divided by the rounded speed, rounded up to whole frames of its MP3
    (24 ms): a real, audible MP3 of that length, which it serves and knows the length of. It deducts
    `x-kling-mock-units` a call, the price one proxy reports of Kling's list (0.05 units, whatever the
    text).

    Args:
        body (TtsRequest): Body of a text-to-speech call: a text, and a voice of the voice table
            (the pair `voice_id`,
            `voice_language` picks it, as for legacy `text2video`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | ProxyErrorResponse | TtsResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
