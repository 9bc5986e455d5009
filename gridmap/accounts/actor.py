"""Who acts: the signed-in account (through its session or an API token), the command line, or the public. The
server builds the actor; what a client sends as ``actor``/``by`` is at most a note."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from gridmap.store.models import AccountRole

SYSTEM = "system"  # the command line and the demo loader: whoever runs them may do anything
PUBLIC = "public"  # no account: may only submit public reports


@dataclass(frozen=True)
class Actor:
    """Who acts, as the server knows them."""

    name: str  # how histories and the audit trail name them: the account's username, "cli:root", "public"
    role: str  # an AccountRole, or SYSTEM, or PUBLIC
    via: str  # "session", "token", "cli", "public"
    account_id: int | None = None
    display_name: str | None = None  # the account's full name
    address: str | None = None  # the client's address (the audit trail's "from where")
    scope_area_id: int | None = None  # the area (district, 街道, 社区) the account works in; None: the whole city
    scope_unit_id: int | None = None  # a unit clerk's unit
    person_id: int | None = None  # the registry's person the account is (a grid worker)

    @property
    def is_system(self) -> bool:
        return self.role == SYSTEM

    def has(self, *roles: str) -> bool:
        """The actor is one of ``roles`` (the system is every role)."""
        return self.is_system or self.role in roles


def cli_actor() -> Actor:
    """Whoever runs a ``gridmap`` command on the server: named after the operating-system user."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment (a container)
        user = "?"
    return Actor(name=f"cli:{user}", role=SYSTEM, via="cli")


def public_actor(address: str | None) -> Actor:
    return Actor(name=PUBLIC, role=PUBLIC, via="public", address=address)


ANY_ACCOUNT = tuple(r.value for r in AccountRole)
"""Every role of a signed-in person."""
