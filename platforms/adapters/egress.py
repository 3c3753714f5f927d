"""Where Callsheet may send a request: the one egress policy for every outbound URL.

Hooks, webhook accounts, adapters' base URLs and media links are typed in by people, so each
is a way to make the server send a request somewhere. Without a policy, a hook at
``http://169.254.169.254/…`` or ``http://127.0.0.1:6379/`` turns the scheduler into a client
of the cloud's metadata service or of our own Redis (server-side request forgery).

The policy is checked twice:

- when a URL is saved (``check_url``): http(s) with a host (https only when
  ``require_https``), and, unless ``allow_private``, every address its host resolves to must
  be public: not loopback, private, link-local, multicast, reserved or unspecified, IPv4-mapped
  IPv6 included. A clear refusal now beats a failure weeks later;
- when a connection is made (``egress_client``): the name is resolved once more, every
  address checked, and the socket connected to a checked address, never to a fresh lookup.
  A name that was public when saved and points at 127.0.0.1 now (DNS rebinding) is refused
  before a byte is sent. Each redirect hop is a new request through the same transport, so
  it is checked too; environment proxies are not used (the transport is given explicitly).

A refusal is ``EgressRefused``, a ``Permanent`` error: nothing was sent, and no retry will
change where the URL points. Its message names the host, never the path or query (those may
carry a token). ``allow_private`` is a plain argument: the scheduler's setting
``CALLSHEET_ALLOW_PRIVATE_TARGETS`` (on in development and tests, off in production) is
handed in by whoever builds the client, so this package never reads Callsheet's settings.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from platforms.adapters.base import Permanent

#: host, port → the addresses it resolves to now (``socket.getaddrinfo`` by default).
Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOWANCE = "CALLSHEET_ALLOW_PRIVATE_TARGETS"
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class EgressRefused(Permanent):
    """Callsheet will not send to this URL: wrong scheme, or a private address."""


class Unresolvable(ValueError):
    """The name resolves to nothing now: refused when saved (a typo, most likely); when
    connecting, a failure to connect like any other (nothing was sent, a retry may do)."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to now, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def why_private(address: str) -> str | None:
    """What kind of address this is, when Callsheet must not send to it; ``None`` if public."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded(ip) or ip  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            words = kind.replace("_", "-")
            return f"{'an' if words[0] in 'aeiou' else 'a'} {words} address"
    if not ip.is_global:  # shared (100.64/10), documentation and benchmarking ranges
        return "not a public address"
    return None


def _embedded(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is where it leads."""
    if ip.ipv4_mapped is not None or ip.sixtofour is not None:
        return ip.ipv4_mapped or ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_url(
    url: str, *, allow_private: bool, require_https: bool, resolver: Resolver = resolve
) -> str:
    """``url`` if Callsheet may send to it; ``ValueError`` (the caller names the field) if not."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise ValueError("is not a valid URL") from None
    schemes = ("https",) if require_https else ("http", "https")
    if parsed.scheme not in schemes or not parsed.host:
        raise ValueError(f"must be an {' or '.join(s + '://' for s in schemes)} URL with a host")
    if not allow_private:
        check_host(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80), resolver)
    return url


def check_host(host: str, port: int, resolver: Resolver = resolve) -> list[str]:
    """The addresses of ``host``, all public; ``ValueError`` naming the host if any is not.

    Every address is checked, not just the first: a name with one public and one loopback
    address would otherwise reach loopback whenever the resolver's order changes.
    """
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise Unresolvable(f"{host} cannot be resolved")
    for address in addresses:
        kind = why_private(address)
        if kind is not None:
            shown = host if host == address else f"{host} ({address})"
            raise ValueError(
                f"{shown} is {kind}; Callsheet does not send to private addresses ({ALLOWANCE})"
            )
    return addresses


class _PublicOnly(httpcore.NetworkBackend):
    """Connects only to checked public addresses: resolve, check all, connect to one of them."""

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = check_host(host, port, self._resolver)
        except Unresolvable as exc:
            raise httpcore.ConnectError(str(exc)) from None
        except ValueError as exc:
            raise EgressRefused(str(exc)) from None
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:  # TLS still verifies and sends the name (SNI): httpcore uses the URL's host
                return self._sockets.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise EgressRefused("Callsheet does not send to local sockets")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


class EgressTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` that refuses plain http when ``require_https``, and, unless
    ``allow_private``, connects only to public addresses (checked at connect time)."""

    def __init__(
        self, *, allow_private: bool, require_https: bool, resolver: Resolver = resolve
    ) -> None:
        super().__init__()
        self._require_https = require_https
        if not allow_private:  # the same pool httpx makes, over sockets that check first
            self._pool = httpcore.ConnectionPool(
                ssl_context=httpx.create_ssl_context(),
                max_connections=100,
                max_keepalive_connections=20,
                keepalive_expiry=5.0,
                network_backend=_PublicOnly(resolver),
            )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._require_https and request.url.scheme != "https":
            raise EgressRefused(f"refused to send to {request.url.host} over plain http")
        return super().handle_request(request)


def egress_client(
    *,
    allow_private: bool,
    require_https: bool,
    timeout: float = 20.0,
    resolver: Resolver = resolve,
) -> httpx.Client:
    """An httpx client under the egress policy; it never follows redirects by itself (a POST
    re-sent elsewhere unasked is how posts double). A caller that must follow them (a media
    link) asks per request, and each hop goes through the same checks."""
    transport = EgressTransport(
        allow_private=allow_private, require_https=require_https, resolver=resolver
    )
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
