"""Where a webhook may point: public https addresses only, unless development allows more.

The check runs twice: when an endpoint is registered (a clear 422 for the integrator) and on
every connection the sender makes (`public_addresses`), so a name that resolves to a private
address later (DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from app.domain.errors import InvalidInput

MAX_URL = 2000


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL, stripped, if a webhook may be sent there; InvalidInput saying why not."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise InvalidInput(f"Give the endpoint's URL (at most {MAX_URL} characters).", "url")
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes or not parts.hostname:
        raise InvalidInput("The URL must start with https:// and name a host.", "url")
    if parts.username or parts.password:
        raise InvalidInput("The URL must not carry a user name or password.", "url")
    if not allow_private and not is_public_host(parts.hostname):
        raise InvalidInput("The URL must point to a public address, not a private network.", "url")
    return url


def is_public_host(host: str) -> bool:
    """False for literal private, loopback, link-local or reserved addresses and local names."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        return is_public_address(host)
    except ValueError:
        return True  # a name: its addresses are checked when the sender connects


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
