"""Where a subscription may send: the URLs it may name, and the network addresses the hub must
never call (SSRF defence), IPv6 forms that embed an IPv4 address included."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from services.notifications.webhooks.domain.errors import InvalidRequest

MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int


def parse_target(url: Any, require_https: bool) -> Target:
    """A webhook URL we can call: http(s), a host, no credentials (https only in production)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise InvalidRequest(
            f"url must be a string of at most {MAX_URL_LENGTH} characters", "invalid_url"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidRequest("url is not a valid URL", "invalid_url") from None
    allowed = ("https",) if require_https else ("http", "https")
    if parts.scheme not in allowed:
        raise InvalidRequest(f"url must use {' or '.join(allowed)}", "invalid_url")
    if not parts.hostname:
        raise InvalidRequest("url must name a host", "invalid_url")
    if parts.username or parts.password:
        raise InvalidRequest("url must not carry credentials", "invalid_url")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


# IPv6 forms that carry an IPv4 address a translator on the path may reach: what decides is the
# IPv4 address inside. NAT64's well-known prefix (RFC 6052), IPv4-compatible (RFC 4291 2.5.5.1,
# deprecated) and IPv4-translated (RFC 2765) put it in the last 32 bits; ::ffff:0:0/96 (mapped),
# 6to4 (RFC 3056) and Teredo (RFC 4380) are unwrapped by ipaddress.
IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96")
)
# Refused whatever they hold: local-use NAT64 (RFC 8215) embeds IPv4 where its operator chooses;
# site-local (deprecated, still routed in some networks).
FORBIDDEN_IPV6 = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b:1::/48", "fec0::/10"))
GLOBAL_UNICAST_IPV6 = ipaddress.IPv6Network("2000::/3")


def is_forbidden_address(address: str) -> bool:
    """Loopback, private, link-local (cloud metadata), CGNAT, multicast, reserved: not public;
    an IPv6 address that embeds such an IPv4 address too, and IPv6 outside global unicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded:
            return any(_forbidden_ipv4(v4) for v4 in embedded)
        if ip not in GLOBAL_UNICAST_IPV6 or any(ip in net for net in FORBIDDEN_IPV6):
            return True
    return not ip.is_global or ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo  # the server and the (obfuscated) client: both must be public
    if any(ip in net for net in IPV4_IN_LAST_32_BITS):
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    return ()


def _forbidden_ipv4(ip: ipaddress.IPv4Address) -> bool:
    return not ip.is_global or ip.is_multicast
