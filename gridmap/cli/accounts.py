"""``gridmap users add|list|disable|enable|password`` and ``gridmap tokens create|list|revoke``: accounts and API
tokens from the command line (the first administrator is made here). Passwords come from a prompt or stdin, never
from the command line (it would stay in the shell's history)."""

from __future__ import annotations

import json
import sys

import click

from gridmap.accounts import registry
from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import Context, fail
from gridmap.errors import GridmapError
from gridmap.store.engine import session_scope
from gridmap.store.models import AccountRole


def _read_password(confirm: bool = True) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    value: str = click.prompt("password", hide_input=True, confirmation_prompt=confirm)
    return value


@click.group("users")
def users_group() -> None:
    """Accounts: who signs in, with which role and scope."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in AccountRole]))
@click.option("--name", default=None, help="The person's name as shown (default: the user name).")
@click.option("--scope", default=None, metavar="CODE", help="The district, 街道 or 社区 code the account works in.")
@click.option("--unit", default=None, help="A unit clerk's unit (code or name).")
@click.option("--person", default=None, metavar="CODE", help="The registry's person the account is (a grid worker).")
@click.pass_obj
def users_add(obj: Context, username: str, role: str, name: str | None, scope: str | None, unit: str | None,
              person: str | None) -> None:  # fmt: skip
    """Create an account (the password is asked for, or read from stdin)."""
    from gridmap.web.auth import password_hasher

    password = _read_password()
    try:
        hasher = password_hasher(obj.settings)
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            made = registry.create_account(session, cli_actor(), username=username, name=name, role=role,
                                           password=password, hash_password=hasher, scope=scope, unit=unit,
                                           person=person)  # fmt: skip
    except GridmapError as exc:
        fail(exc)
    click.echo(f"account {made['username']} created ({made['role']})")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def users_list(obj: Context, as_json: bool) -> None:
    """The accounts, their roles, scopes and state."""
    with obj.migrated_session_factory()() as session:
        accounts = registry.list_accounts(session)
    if as_json:
        click.echo(json.dumps(accounts, ensure_ascii=False, indent=2))
        return
    for a in accounts:
        scope = a["scope_area"]["code"] if a["scope_area"] else "-"
        state = "active" if a["active"] else "disabled"
        click.echo(f"{a['username']:<20} {a['role']:<12} {scope:<14} {state:<9} {a['name']}")


def _set_active(obj: Context, username: str, active: bool) -> None:
    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            registry.set_active(session, cli_actor(), username, active)
    except GridmapError as exc:
        fail(exc)
    click.echo(f"account {username} {'enabled' if active else 'disabled'}")


@users_group.command("disable")
@click.argument("username")
@click.pass_obj
def users_disable(obj: Context, username: str) -> None:
    """Disable an account: its sessions end and its tokens stop at once."""
    _set_active(obj, username, False)


@users_group.command("enable")
@click.argument("username")
@click.pass_obj
def users_enable(obj: Context, username: str) -> None:
    """Enable a disabled account again."""
    _set_active(obj, username, True)


@users_group.command("password")
@click.argument("username")
@click.pass_obj
def users_password(obj: Context, username: str) -> None:
    """Set an account's password (asked for, or read from stdin); its other sessions end."""
    from gridmap.web.auth import password_hasher

    password = _read_password()
    try:
        hasher = password_hasher(obj.settings)
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            registry.set_password(session, cli_actor(), username, password, hasher)
    except GridmapError as exc:
        fail(exc)
    click.echo(f"password of {username} changed")


@click.group("tokens")
def tokens_group() -> None:
    """API tokens: `Authorization: Bearer <token>` for scripts and other systems."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", default=None, help="What the token is for.")
@click.option("--expires", "expires_days", type=float, default=None, help="Days until it stops working.")
@click.pass_obj
def tokens_create(obj: Context, username: str, name: str | None, expires_days: float | None) -> None:
    """Make a token for USERNAME's account and print it — the only time it is shown (it is stored hashed)."""
    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            raw, info = registry.create_token(session, cli_actor(), username, name=name, expires_days=expires_days)
    except GridmapError as exc:
        fail(exc)
    click.echo(raw)
    click.echo(f"token {info['id']} for {username}: shown once, keep it safe", err=True)


@tokens_group.command("list")
@click.option("--user", "username", default=None)
@click.pass_obj
def tokens_list(obj: Context, username: str | None) -> None:
    """The tokens (their first characters only), with expiry and last use."""
    with obj.migrated_session_factory()() as session:
        for t in registry.list_tokens(session, username):
            state = "revoked" if t["revoked_at"] else "active"
            expires = (t["expires_at"] or "-")[:16]
            click.echo(f"{t['id']:>4} {t['prefix']}… {t['account']:<16} {state:<8} expires {expires}")


@tokens_group.command("revoke")
@click.argument("token")
@click.pass_obj
def tokens_revoke(obj: Context, token: str) -> None:
    """Revoke a token (its id, or its first characters as listed)."""
    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            info = registry.revoke_token(session, cli_actor(), token)
    except GridmapError as exc:
        fail(exc)
    click.echo(f"token {info['id']} of {info['account']} revoked")
