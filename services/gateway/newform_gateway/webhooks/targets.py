"""Webhook targets (SSRF): a platform's token must not make the gateway POST into the cluster. A URL must
be https (plain http only in development) and its host must resolve only to public addresses —
loopback, private, link-local, multicast, reserved and unspecified addresses are refused, IPv4 and IPv6,
an IPv4-mapped or NAT64 IPv6 address judged by the IPv4 address inside. Checked at registration and
update, and again at every delivery by the connection itself (`GuardedBackend` resolves, checks, then
connects to the checked address, so a DNS answer that changes in between cannot slip through).
WEBHOOK_ALLOW_PRIVATE_TARGETS (default: only in development) turns the address check off.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpcore
import httpx

from ..config import Settings


class TargetRefused(Exception):
    """The URL may not receive webhooks (scheme, or an address inside a private network)."""


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_refused(address: str) -> str | None:
    """Why `address` (an IP literal) may not be a webhook target, or None if it is a public address.
    An IPv4-mapped (::ffff:a.b.c.d), 6to4 or NAT64 IPv6 address is judged by the IPv4 address inside
    (Python 3.11 does not: `::ffff:127.0.0.1` is not `is_loopback` there)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return address_refused(str(inner))
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    if not ip.is_global:  # shared address space (100.64/10), documentation ranges…
        return f"{address} is not a public address"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal: itself)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"{host} does not resolve ({exc})") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


async def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses to connect to; refused when any of them is internal (one internal answer among
    public ones is still a way in: a client may pick it)."""
    addresses = await resolve(host, port)
    if not allow_private:
        for address in addresses:
            if (why := address_refused(address)) is not None:
                raise TargetRefused(f"{host} resolves to {why}: webhooks go to public addresses only")
    return addresses


async def check_target(url: str, *, allow_http: bool, allow_private: bool) -> None:
    """Refuse a webhook URL (TargetRefused): not https (unless `allow_http`), credentials in it, or a host
    resolving to an internal address (unless `allow_private`)."""
    parsed = httpx.URL(url)
    if parsed.scheme != "https" and not (allow_http and parsed.scheme == "http"):
        raise TargetRefused("a webhook URL must be https" + ("" if allow_http else " (plain http only in development)"))
    if parsed.userinfo:
        raise TargetRefused("a webhook URL carries no credentials: verify the signature instead")
    if not parsed.host:
        raise TargetRefused("a webhook URL needs a host")
    if not allow_private:  # with private targets allowed (development) there is nothing to look up
        await checked_addresses(
            parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80), allow_private=False
        )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving the host itself and connecting only to addresses it has
    checked: the delivery-time check is the connection's own (no second, unchecked DNS answer). TLS
    still verifies the certificate against the URL's host name (httpcore passes it as SNI)."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        last: Exception | None = None
        for address in await checked_addresses(host, port, allow_private=self.allow_private):
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise TargetRefused("webhooks are not delivered to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_client(settings: Settings) -> httpx.AsyncClient:
    """The deliverer's client: no redirects (a 3xx could point inside), no proxies from the environment
    (the address check must see the real target), connections only through `GuardedBackend`."""
    transport = httpx.AsyncHTTPTransport()
    # httpx does not expose the network backend: its pool is replaced by one built on the guarded backend.
    transport._pool = httpcore.AsyncConnectionPool(  # noqa: SLF001
        ssl_context=httpx.create_ssl_context(), network_backend=GuardedBackend(settings.webhooks_allow_private_targets)
    )
    return httpx.AsyncClient(
        transport=transport, timeout=settings.webhook_timeout_s, follow_redirects=False, trust_env=False
    )
