"""Whose address a login attempt counts against: X-Forwarded-For only via our own proxies."""

from __future__ import annotations

from ipaddress import ip_network

from litestar.connection import ASGIConnection

from app.web.client_address import client_address

PROXIES = [ip_network("10.0.0.0/8"), ip_network("192.0.2.1/32")]


def connection(peer: str, *forwarded: str) -> ASGIConnection:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return ASGIConnection({"type": "http", "client": (peer, 50000), "headers": headers})  # type: ignore[typeddict-item]


def test_without_trusted_proxies_the_peer_counts_whatever_it_forwards():
    assert client_address(connection("127.0.0.1", "203.0.113.9"), []) == "127.0.0.1"
    assert client_address(connection("198.51.100.4", "203.0.113.9"), PROXIES) == "198.51.100.4"


def test_through_our_proxies_the_nearest_address_not_ours_counts():
    assert client_address(connection("10.1.2.3", "203.0.113.9"), PROXIES) == "203.0.113.9"
    # A client's own made-up hops come first; the hop our proxy saw is the last one not ours.
    assert client_address(connection("10.1.2.3", "1.1.1.1, 203.0.113.9, 192.0.2.1"), PROXIES) == "203.0.113.9"
    assert client_address(connection("10.1.2.3", "1.1.1.1", "203.0.113.9"), PROXIES) == "203.0.113.9"


def test_garbage_or_nothing_forwarded_leaves_the_proxy_address():
    assert client_address(connection("10.1.2.3", "not-an-address"), PROXIES) == "10.1.2.3"
    assert client_address(connection("10.1.2.3"), PROXIES) == "10.1.2.3"
