"""The address guard: schemes, loopback/private/link-local/multicast refusal, the allow-list.

No request is ever sent here: the guard only resolves, literal addresses resolve locally, and host names are
answered by a patched ``getaddrinfo``.
"""

from __future__ import annotations

import socket

import pytest

from harvester import guard as guard_module
from harvester.guard import AddressGuard, BlockedURL


def _fake_resolver(table: dict[str, list[str]]):
    """A getaddrinfo that answers from ``table`` (host -> addresses) and fails for anything else."""

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        infos = []
        for address in table[host]:
            if ":" in address:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0)))
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port)))
        return infos

    return fake_getaddrinfo


@pytest.fixture
def resolver(monkeypatch):
    """Install a fake DNS answering from a dict; returns the dict so tests can fill it."""
    table: dict[str, list[str]] = {}
    monkeypatch.setattr(guard_module.socket, "getaddrinfo", _fake_resolver(table))
    return table


def test_blocked_url_is_a_value_error():
    assert issubclass(BlockedURL, ValueError)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/pub/data.csv",
        "gopher://example.org:70/_GET%20/",
        "data:text/plain,hello",
        "javascript:alert(1)",
        "dict://example.org:11211/stat",
        "//example.org/no-scheme",
    ],
)
def test_refuses_non_http_schemes(url, resolver):
    with pytest.raises(BlockedURL, match="scheme"):
        AddressGuard().check(url)


def test_scheme_refusal_is_not_lifted_by_the_allow_list(resolver):
    with pytest.raises(BlockedURL, match="scheme"):
        AddressGuard(["example.org"]).check("ftp://example.org/file")


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1/", "127.0.0.1"),
        ("http://127.0.0.1:8080/api/3/action/package_list", "127.0.0.1"),
        ("http://localhost/", "localhost"),
        ("http://LOCALHOST:5000/", "localhost"),
        ("http://10.0.0.1/", "10.0.0.1"),
        ("http://172.16.0.1/", "172.16.0.1"),
        ("http://192.168.1.1/admin", "192.168.1.1"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("https://169.254.169.254/latest/meta-data/iam/", "169.254.169.254"),
        ("http://[::1]/", "::1"),
        ("http://[::1]:8080/", "::1"),
        ("http://224.0.0.1/", "224.0.0.1"),
        ("http://[ff02::1]/", "ff02::1"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1"),
        ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254"),
        ("http://[fe80::1]/", "fe80::1"),
        ("http://[fd00::1]/", "fd00::1"),
        ("http://0.0.0.0/", "0.0.0.0"),
        ("http://240.0.0.1/", "240.0.0.1"),
        ("http://127.1/", "127.1"),
        ("http://2130706433/", "2130706433"),
    ],
)
def test_refuses_internal_addresses(url, host):
    with pytest.raises(BlockedURL) as exc:
        AddressGuard().check(url)
    message = str(exc.value)
    assert host in message
    assert f"--allow-host {host}" in message


def test_error_message_names_host_address_and_suggests_allow_host(resolver):
    resolver["intranet.example"] = ["10.1.2.3"]
    with pytest.raises(BlockedURL) as exc:
        AddressGuard().check("http://intranet.example:8080/catalog")
    message = str(exc.value)
    assert "intranet.example" in message
    assert "10.1.2.3" in message
    assert "--allow-host intranet.example" in message


@pytest.mark.parametrize(
    "url",
    [
        "http://8.8.8.8/",
        "https://1.1.1.1:8443/api/3/action/package_search",
        "http://[2001:4860:4860::8888]/",
        "HTTPS://8.8.4.4/upper-case-scheme",
    ],
)
def test_public_literal_addresses_pass(url):
    AddressGuard().check(url)


def test_public_host_name_passes(resolver):
    resolver["portal.example"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    AddressGuard().check("https://portal.example/dataset")


def test_a_name_with_any_internal_address_is_refused(resolver):
    # DNS answering a public and a private address must not slip through on the public one.
    resolver["mixed.example"] = ["93.184.216.34", "192.168.0.10"]
    with pytest.raises(BlockedURL, match="192.168.0.10"):
        AddressGuard().check("http://mixed.example/")


def test_unresolvable_host_is_refused(resolver):
    with pytest.raises(BlockedURL, match="does not resolve"):
        AddressGuard().check("http://nowhere.example/")


def test_url_without_host_is_refused(resolver):
    with pytest.raises(BlockedURL, match="no host"):
        AddressGuard().check("http:///just/a/path")


# --- the allow-list ---------------------------------------------------------------------------------------------


def test_allow_by_name(resolver):
    resolver["localhost"] = ["127.0.0.1"]
    target = AddressGuard(["localhost"]).check("http://localhost:8080/")
    assert target.addresses == ("127.0.0.1",)  # still resolved: the connection is pinned to this address


def test_allow_by_name_ignores_case():
    AddressGuard(["LocalHost"]).check("http://LOCALHOST:8080/")


def test_allow_by_ip_literal():
    guard = AddressGuard(["127.0.0.1"])
    guard.check("http://127.0.0.1:8080/")
    with pytest.raises(BlockedURL, match="127.0.0.2"):
        guard.check("http://127.0.0.2:8080/")
    with pytest.raises(BlockedURL, match="10.0.0.1"):
        guard.check("http://10.0.0.1/")


def test_allow_by_ip_covers_names_resolving_to_it(resolver):
    resolver["portal.internal"] = ["10.0.0.5"]
    resolver["other.internal"] = ["10.0.0.6"]
    guard = AddressGuard(["10.0.0.5"])
    guard.check("http://portal.internal/")
    with pytest.raises(BlockedURL, match="other.internal"):
        guard.check("http://other.internal/")


def test_allow_by_ip_covers_other_spellings_of_it():
    # "127.1" is not the allow-listed string, but it resolves to the allow-listed address.
    AddressGuard(["127.0.0.1"]).check("http://127.1/")


@pytest.mark.parametrize("entry", ["::1", "[::1]"])
def test_allow_ipv6_with_or_without_brackets(entry):
    AddressGuard([entry]).check("http://[::1]:8080/")


def test_allow_added_later():
    guard = AddressGuard()
    with pytest.raises(BlockedURL):
        guard.check("http://127.0.0.1/")
    guard.allow("127.0.0.1")
    guard.check("http://127.0.0.1/")


def test_allowing_one_host_does_not_allow_others(resolver):
    guard = AddressGuard(["localhost"])
    with pytest.raises(BlockedURL):
        guard.check("http://127.0.0.1/")
    with pytest.raises(BlockedURL):
        guard.check("http://169.254.169.254/latest/meta-data")


# --- gaps found in review, now closed ---


@pytest.mark.parametrize("url", ["http://100.100.100.200/latest/meta-data/", "http://100.64.0.1/"])
def test_refuses_shared_address_space(url):
    with pytest.raises(BlockedURL):
        AddressGuard().check(url)


@pytest.mark.parametrize("url", ["http://192.0.2.1:99999/", "http://192.0.2.1:port/", "http://[::1/"])
def test_malformed_url_is_refused_as_blocked(url):
    with pytest.raises(BlockedURL):
        AddressGuard().check(url)


# --- one parse, the connection's -----------------------------------------------------------------------------------


def test_check_returns_what_the_connection_will_use(resolver):
    resolver["portal.example"] = ["93.184.216.34"]
    target = AddressGuard().check("HTTPS://Portal.Example/data set.csv?q=1")
    assert target.scheme == "https" and target.host == "portal.example" and target.port == 443
    assert target.addresses == ("93.184.216.34",)
    assert target.url == "https://portal.example/data%20set.csv?q=1"


def test_the_host_after_a_backslash_is_not_the_one_checked(resolver):
    # urlsplit reads 8.8.8.8 here, urllib3 (and so the connection) 127.0.0.3: refused before any lookup.
    with pytest.raises(BlockedURL, match="backslash"):
        AddressGuard().check("http://127.0.0.3:8080\\@8.8.8.8/x")


@pytest.mark.parametrize("url", ["http://u@8.8.8.8/", "http://:@8.8.8.8/", "http://u:p@8.8.8.8/"])
def test_credentials_are_refused_even_for_public_hosts(url):
    with pytest.raises(BlockedURL, match="credentials"):
        AddressGuard().check(url)


def test_one_lookup_per_host(monkeypatch):
    calls = []

    def counting(host, port, *args, **kwargs):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("93.184.216.34", port))]

    monkeypatch.setattr(guard_module.socket, "getaddrinfo", counting)
    guard = AddressGuard()
    for path in ("a", "b", "c"):
        guard.check(f"https://portal.example/{path}")
    guard.check("http://portal.example:8080/d")
    assert calls == ["portal.example"]


def test_a_name_that_does_not_exist_is_not_odqs_fault(resolver):
    with pytest.raises(guard_module.UnresolvableHost) as exc:
        AddressGuard().check("http://nowhere.example/")
    assert exc.value.kind == "dns" and exc.value.odq_side is False


def test_a_temporary_dns_failure_is_odqs_side(monkeypatch):
    def down(*args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(guard_module.socket, "getaddrinfo", down)
    with pytest.raises(guard_module.UnresolvableHost) as exc:
        AddressGuard().check("http://portal.example/")
    assert exc.value.odq_side is True
    assert "odq's side" in str(exc.value)
