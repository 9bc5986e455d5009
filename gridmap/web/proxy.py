"""Behind a reverse proxy: ``X-Forwarded-For/-Proto/-Host/-Port/-Prefix`` are believed only when the request comes
straight from one of the configured proxies (``GRIDMAP_TRUSTED_PROXIES``); from anyone else they are removed, so a
client cannot write another address into the audit trail or pretend to have come over HTTPS."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from gridmap.errors import InvalidInput, Problem

FORWARDED_KEYS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_FORWARDED",
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and CIDR networks (``127.0.0.1``, ``10.0.0.0/8``, ``::1``); a bad entry is refused by name."""
    networks: list[Network] = []
    problems: list[Problem] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            problems.append(Problem(f"{entry!r} is not an address or a CIDR network", field="GRIDMAP_TRUSTED_PROXIES"))
    if problems:
        raise InvalidInput(problems)
    return tuple(networks)


class TrustedProxies:
    """WSGI middleware: werkzeug's :class:`ProxyFix` (one proxy hop) for a trusted peer; the forwarded headers
    stripped for any other peer."""

    def __init__(self, app: Any, trusted: Iterable[str]) -> None:
        self.app = app
        self.networks = parse_networks(trusted)
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)

    def trusts(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.networks and self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        for key in FORWARDED_KEYS:
            environ.pop(key, None)
        return self.app(environ, start_response)
