"""The address guard: refuse URLs a hostile catalogue could use to reach inside the evaluator's network."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit


class BlockedURL(ValueError):
    """A URL the guard refuses to fetch; the message says why."""


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address) and address.sixtofour:
        address = address.sixtofour
    # Not global covers private, shared (100.64/10, e.g. cloud metadata services) and reserved ranges.
    return (
        not address.is_global
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


class AddressGuard:
    """Checks scheme and resolved addresses; allow-listed hosts (tests, local demo portals) pass."""

    def __init__(self, allow_hosts: Iterable[str] = ()) -> None:
        self.allow_hosts = {h.lower().strip("[]") for h in allow_hosts}

    def allow(self, host: str) -> None:
        self.allow_hosts.add(host.lower().strip("[]"))

    def check(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise BlockedURL(f"refused {url!r}: malformed URL ({exc})") from exc
        if parts.scheme not in ("http", "https"):
            raise BlockedURL(f"refused {url!r}: scheme {parts.scheme!r} is not http(s)")
        host = (parts.hostname or "").lower()
        if not host:
            raise BlockedURL(f"refused {url!r}: no host")
        if host in self.allow_hosts:
            return
        try:
            infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as exc:
            raise BlockedURL(f"refused {url!r}: host {host!r} does not resolve ({exc})") from exc
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%")[0])
            if str(address) in self.allow_hosts:
                continue
            if _forbidden(address):
                raise BlockedURL(
                    f"refused {url!r}: {host} resolves to {address}, a loopback/private/link-local/"
                    f"multicast address (allow it with --allow-host {host} if it is yours)"
                )
