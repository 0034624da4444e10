"""A client library for accessing Kling AI lip-sync (对口型) API"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
