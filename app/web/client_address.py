"""The address of the client a request came from, believing X-Forwarded-For only from our proxies.

Anyone can send X-Forwarded-For. Only when the connection itself comes from a configured
proxy (TRUSTED_PROXIES) is the header read, right to left, skipping our own proxies: the first
address not ours is the client. By default no proxy is trusted and the peer address counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from litestar.connection import ASGIConnection

UNKNOWN = "unknown"


def _trusted(address: str, proxies: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(
    connection: ASGIConnection[Any, Any, Any, Any], proxies: Sequence[IPv4Network | IPv6Network]
) -> str:
    peer = connection.client.host if connection.client else UNKNOWN
    if not _trusted(peer, proxies):
        return peer
    forwarded = [
        part.strip()
        for header in connection.headers.getall("x-forwarded-for", [])
        for part in header.split(",")
    ]
    for hop in reversed([part for part in forwarded if part]):
        if not _trusted(hop, proxies):
            try:
                return str(ip_address(hop))
            except ValueError:  # garbage where an address belongs: the last proxy is what we know
                return peer
    return peer
