"""The address guard: refuse URLs a hostile catalogue could use to reach inside the evaluator's network.

The guard parses a URL once, with urllib3's parser (the one the connection uses), so what is checked is what is
connected to. URLs that parsers read differently (backslashes, credentials, control characters, whitespace or
percent-escapes in the authority) are refused before any lookup. A host is resolved once per guard (a run), every
address it resolves to is checked, and `addresses()` hands the checked addresses to the connection, which connects
to them instead of asking DNS again (no rebinding between check and connect).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# A name that does not exist is a fact about the URL; every other lookup failure (no resolver, timeout, SERVFAIL
# from our own resolver) says nothing about the portal.
_NO_SUCH_NAME = {socket.EAI_NONAME, *(getattr(socket, n) for n in ("EAI_NODATA", "EAI_ADDRFAMILY")
                                       if hasattr(socket, n))}
TEMPORARY_FAILURE_TTL = 30.0  # seconds a failed-on-our-side lookup is remembered, so a blip does not last the run
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)")


class BlockedURL(ValueError):
    """A URL the guard refuses to fetch; the message says why."""

    kind = "refused"
    odq_side = False


class UnresolvableHost(BlockedURL):
    """The host name could not be looked up; `odq_side` says whether that is our resolver's failure."""

    kind = "dns"

    def __init__(self, message: str, *, odq_side: bool, errno: int | None = None) -> None:
        super().__init__(message)
        self.odq_side = odq_side
        self.errno = errno


@dataclass(frozen=True, slots=True)
class Target:
    """One URL as the connection will see it, with the addresses the guard checked for its host."""

    url: str  # re-serialised by the parser: this, not the raw string, is what gets requested
    scheme: str
    host: str  # lower case, IPv6 without brackets, a trailing dot kept (it matters to DNS)
    port: int
    addresses: tuple[str, ...]


def _forbidden(address: Address) -> bool:
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


def _ambiguity(url: str) -> str | None:
    """Why parsers could disagree about this URL's host, or None."""
    if _CONTROL.search(url):
        return "it contains a control character"
    if "\\" in url:
        return "it contains a backslash (parsers disagree on where the host ends)"
    match = _AUTHORITY.match(url)
    authority = match.group(1) if match else ""
    if any(ch.isspace() for ch in authority) or url != url.strip():
        return "it contains whitespace in or around the host"
    if "@" in authority:
        return "it carries credentials (user@host)"
    if "%" in authority:
        return "the host is percent-encoded"
    return None


def _normal(host: str) -> str:
    return host.lower().strip("[]")


class AddressGuard:
    """Checks scheme and resolved addresses; allow-listed hosts (tests, local demo portals) pass."""

    def __init__(self, allow_hosts: Iterable[str] = ()) -> None:
        self.allow_hosts = {_normal(h) for h in allow_hosts}
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}
        # host -> (addresses, None) or (None, failure, expiry); failures on our side expire, the rest last the run
        self._cache: dict[str, tuple[tuple[str, ...] | None, UnresolvableHost | None, float]] = {}

    def allow(self, host: str) -> None:
        self.allow_hosts.add(_normal(host))

    def parse(self, url: str) -> tuple[str, str, int, str]:
        """(scheme, host, port, url) as urllib3 reads them; a URL parsers could read differently is refused."""
        if not isinstance(url, str):
            raise BlockedURL(f"refused {url!r}: not a URL string")
        why = _ambiguity(url)
        if why:
            raise BlockedURL(f"refused {url!r}: ambiguous URL, {why}")
        try:
            parts = parse_url(url)
        except (LocationParseError, ValueError) as exc:
            raise BlockedURL(f"refused {url!r}: malformed URL ({exc})") from exc
        scheme = (parts.scheme or "").lower()
        if scheme not in ("http", "https"):
            raise BlockedURL(f"refused {url!r}: scheme {scheme or None!r} is not http(s)")
        if parts.auth is not None:
            raise BlockedURL(f"refused {url!r}: ambiguous URL, it carries credentials (user@host)")
        host = _normal(parts.host or "")
        if not host or host == ".":
            raise BlockedURL(f"refused {url!r}: no host")
        if "%" in host:
            raise BlockedURL(f"refused {url!r}: a zone index in the host")
        port = parts.port or (443 if scheme == "https" else 80)
        return scheme, host, port, parts.url

    def check(self, url: str) -> Target:
        """Parse, resolve (once per host) and check; returns the target the connection must use."""
        scheme, host, port, normalised = self.parse(url)
        try:
            addresses = self.addresses(host, port)
        except UnresolvableHost as exc:  # not a refusal: the name does not resolve (or our resolver failed)
            raise UnresolvableHost(f"cannot fetch {url!r}: {exc}", odq_side=exc.odq_side, errno=exc.errno) from exc
        except BlockedURL as exc:
            raise BlockedURL(f"refused {url!r}: {exc}") from exc
        return Target(normalised, scheme, host, port, addresses)

    def addresses(self, host: str, port: int) -> tuple[str, ...]:
        """The checked addresses of `host`, resolved once; the connection connects to these and nothing else."""
        host = _normal(host)
        with self._lock:
            host_lock = self._host_locks.setdefault(host, threading.Lock())
        with host_lock:  # one lookup per host even when many threads ask at once
            cached = self._cache.get(host)
            if cached is not None and (cached[1] is None or cached[2] > time.monotonic()):
                found, failure, _ = cached
            else:
                found, failure = None, None
                try:
                    found = self._resolve(host, port)
                except UnresolvableHost as exc:
                    failure = exc
                ttl = TEMPORARY_FAILURE_TTL if failure is not None and failure.odq_side else float("inf")
                self._cache[host] = (found, failure, time.monotonic() + ttl)
        if failure is not None:
            raise UnresolvableHost(str(failure), odq_side=failure.odq_side, errno=failure.errno)
        assert found is not None
        if host in self.allow_hosts:
            return found
        for text in found:
            if text in self.allow_hosts:
                continue
            if _forbidden(ipaddress.ip_address(text)):
                raise BlockedURL(
                    f"{host} resolves to {text}, a loopback/private/link-local/multicast address "
                    f"(allow it with --allow-host {host} if it is yours)"
                )
        return found

    @staticmethod
    def _resolve(host: str, port: int) -> tuple[str, ...]:
        try:
            return (str(ipaddress.ip_address(host)),)  # a literal needs no lookup
        except ValueError:
            pass
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except UnicodeError as exc:
            raise UnresolvableHost(f"host {host!r} does not resolve (not a valid name: {exc})", odq_side=False) from exc
        except socket.gaierror as exc:
            if exc.errno in _NO_SUCH_NAME:
                raise UnresolvableHost(f"host {host!r} does not resolve ({exc.strerror})", odq_side=False,
                                       errno=exc.errno) from exc
            raise UnresolvableHost(f"host {host!r} could not be looked up on odq's side: DNS failure "
                                   f"({exc.strerror})", odq_side=True, errno=exc.errno) from exc
        seen: dict[str, None] = {}
        for info in infos:
            seen[str(ipaddress.ip_address(str(info[4][0]).split("%")[0]))] = None
        if not seen:
            raise UnresolvableHost(f"host {host!r} does not resolve (no address)", odq_side=False)
        return tuple(seen)
