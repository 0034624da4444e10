"""What the mock keeps of a request: never a token, never megabytes of base64."""

from __future__ import annotations

from typing import Any

__all__ = ["redact_authorization", "without_audio_bytes"]

PROXY_TOKEN_PREFIX = "sk-"


def redact_authorization(header: str | None) -> str | None:
    """The scheme and a hint (``Bearer sk-***``), never the secret."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if not token:
        return f"{scheme[:12]} (redacted)" if scheme else "(empty)"
    hint = PROXY_TOKEN_PREFIX if token.startswith(PROXY_TOKEN_PREFIX) else ""
    return f"{scheme[:12]} {hint}***"


def without_audio_bytes(data: Any) -> Any:
    """A copy of a create body or its ``input`` with ``audio_file`` replaced by its length."""
    if not isinstance(data, dict):
        return data
    if isinstance(data.get("input"), dict):
        return {**data, "input": without_audio_bytes(data["input"])}
    audio = data.get("audio_file")
    if audio is None:
        return data
    return {**data, "audio_file": f"<{len(audio) if isinstance(audio, str) else '?'} base64 characters>"}
