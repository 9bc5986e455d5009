"""Accounts and API tokens: creating, listing, disabling, changing a password; making, checking and revoking tokens;
the bookkeeping of signing in (failed attempts, lock-out). Every change is recorded in the audit trail.

Passwords arrive hashed (``password_hash``): hashing is Flask-Security's (argon2, with the app's salt), done by the
caller in the app's context, so the web's sign-in can verify what the command line stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import Conflict, InvalidInput, NotFound, Problem
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import rows_matched
from gridmap.store.models import Account, AccountRole, ApiToken, Area, Person, Unit

MIN_PASSWORD = 8
MAX_FAILED_LOGINS = 5  # failed sign-ins in a row before the account is locked
LOCK_MINUTES = 15
TOKEN_PREFIX = "gm_"
MAX_TOKEN_DAYS = 3650
TOKEN_USE_RECORDED_EVERY = dt.timedelta(hours=1)  # a token's use is in the audit trail at most once an hour
TOKEN_STAMP_WAIT_S = 0.2  # how long a request waits for the write lock to stamp its token's use (then: next time)
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
"""What a user name may be: 2–64 letters, digits or . _ @ - (a name people type on a phone keyboard)."""


def check_password(password: str, problems: list[Problem], field: str = "password") -> None:
    """A password long enough to stand a guess, and not all one character."""
    if len(password) < MIN_PASSWORD:
        problems.append(Problem(f"must be at least {MIN_PASSWORD} characters", field=field))
    elif len(set(password)) < 3:
        problems.append(Problem("is too simple: use more different characters", field=field))


def account_dict(
    a: Account, areas: dict[int, tuple[str, str]] | None = None, units: dict[int, str] | None = None
) -> dict[str, Any]:
    area = (areas or {}).get(a.scope_area_id) if a.scope_area_id else None
    return {
        "id": a.id,
        "username": a.username,
        "name": a.name,
        "role": a.role,
        "active": a.active,
        "scope_area": {"id": a.scope_area_id, "code": area[0], "name": area[1]} if area else None,
        "scope_unit_id": a.scope_unit_id,
        "scope_unit": (units or {}).get(a.scope_unit_id) if a.scope_unit_id else None,
        "person_id": a.person_id,
        "locked_until": a.locked_until.isoformat() if a.locked_until else None,
        "last_login_at": a.last_login_at.isoformat() if a.last_login_at else None,
    }


def _area_names(session: Session) -> dict[int, tuple[str, str]]:
    return {r.id: (r.code, r.name) for r in session.execute(select(Area.id, Area.code, Area.name))}


def create_account(
    session: Session,
    actor: Actor,
    *,
    username: str,
    name: str | None,
    role: str,
    password: str,
    hash_password: Callable[[str], str],
    scope: str | None = None,
    unit: str | None = None,
    person: str | None = None,
    active: bool = True,
) -> dict[str, Any]:
    """A new account. ``scope``: the code of the district, 街道 or 社区 it works in (none: the whole city);
    ``unit``: a unit clerk's unit (code or name); ``person``: the registry's person it is (code); ``active=False``:
    made disabled (it cannot sign in until an admin enables it — the demo's clerks that only appear in history)."""
    problems: list[Problem] = []
    username = (username or "").strip()
    if not USERNAME.match(username):
        problems.append(Problem("2–64 letters, digits or . _ @ -", field="username"))
    elif session.scalar(select(Account.id).where(Account.username == username)) is not None:
        problems.append(Problem(f"{username!r} is taken", field="username"))
    if role not in {r.value for r in AccountRole}:
        problems.append(Problem(f"{role!r} is not one of {', '.join(r.value for r in AccountRole)}", field="role"))
    check_password(password, problems)
    area_id = unit_id = person_id = None
    if scope:
        area_id = session.scalar(select(Area.id).where(Area.code == scope.strip()))
        if area_id is None:
            problems.append(Problem(f"no district, 街道 or 社区 with code {scope!r}", field="scope"))
    if unit:
        unit_id = session.scalar(select(Unit.id).where((Unit.code == unit.strip()) | (Unit.name == unit.strip())))
        if unit_id is None:
            problems.append(Problem(f"no unit {unit!r}", field="unit"))
    if role == AccountRole.UNIT_CLERK and not unit:
        problems.append(Problem("a unit clerk needs the unit whose cases they handle", field="unit"))
    if person:
        person_id = session.scalar(select(Person.id).where(Person.code == person.strip()))
        if person_id is None:
            problems.append(Problem(f"no person with code {person!r}", field="person"))
    if problems:
        raise InvalidInput(problems)
    account = Account(
        username=username,
        name=(name or username).strip()[:100],
        password=hash_password(password),
        active=active,
        fs_uniquifier=uuid.uuid4().hex,
        role=role,
        scope_area_id=area_id,
        scope_unit_id=unit_id,
        person_id=person_id,
        created_at=dt.datetime.now(dt.UTC),
        failed_logins=0,
    )
    session.add(account)
    session.flush()
    answer = account_dict(account, _area_names(session) if area_id is not None else None)  # names: of a scope only
    audit.record(session, actor, "account.create", object_kind="account", object_id=account.id, after=answer)
    return answer


def find_account(session: Session, username: str) -> Account:
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None:
        raise NotFound(f"no account {username!r}")
    return account


def list_accounts(session: Session) -> list[dict[str, Any]]:
    areas = _area_names(session)
    units = {
        r.id: r.name
        for r in session.execute(select(Unit.id, Unit.name).join(Account, Account.scope_unit_id == Unit.id))
    }
    return [account_dict(a, areas, units) for a in session.scalars(select(Account).order_by(Account.username))]


def set_active(session: Session, actor: Actor, username: str, active: bool) -> dict[str, Any]:
    """Enable or disable an account. Disabling ends its sessions and stops its tokens at once."""
    account = find_account(session, username)
    if not active and actor.account_id == account.id:
        raise Conflict("you cannot disable your own account")
    before = account_dict(account)
    account.active = active
    if not active:
        account.fs_uniquifier = uuid.uuid4().hex  # every session of the account ends
    session.flush()
    after = account_dict(account)
    audit.record(session, actor, "account.enable" if active else "account.disable", object_kind="account",
                 object_id=account.id, before=before, after=after)  # fmt: skip
    return after


def set_password(
    session: Session, actor: Actor, username: str, password: str, hash_password: Callable[[str], str]
) -> None:
    """A new password (every other session of the account ends; the lock is lifted)."""
    problems: list[Problem] = []
    check_password(password, problems)
    if problems:
        raise InvalidInput(problems)
    account = find_account(session, username)
    account.password = hash_password(password)
    account.fs_uniquifier = uuid.uuid4().hex
    account.failed_logins = 0
    account.locked_until = None
    session.flush()
    audit.record(session, actor, "account.password", object_kind="account", object_id=account.id)


# -- API tokens --------------------------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session, actor: Actor, username: str, *, name: str | None = None, expires_days: float | None = None
) -> tuple[str, dict[str, Any]]:
    """A new bearer token for ``username``'s account: (the token — shown this once, stored only hashed —, its
    record)."""
    if expires_days is not None and not (0 < expires_days <= MAX_TOKEN_DAYS):
        raise InvalidInput(Problem(f"must be between 0 and {MAX_TOKEN_DAYS} days", field="expires"))
    account = find_account(session, username)
    if not account.active:
        raise Conflict(f"account {username!r} is disabled")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    token = ApiToken(
        account_id=account.id,
        name=(name or "").strip()[:100] or None,
        token_hash=_digest(raw),
        prefix=raw[:10],
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_days) if expires_days else None,
    )
    session.add(token)
    session.flush()
    info = token_dict(token, account.username)
    audit.record(session, actor, "token.create", object_kind="token", object_id=token.id, after=info)
    return raw, info


def token_dict(t: ApiToken, username: str) -> dict[str, Any]:
    return {
        "id": t.id,
        "account": username,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": t.created_at.isoformat(),
        "expires_at": t.expires_at.isoformat() if t.expires_at else None,
        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
    }


def list_tokens(session: Session, username: str | None = None) -> list[dict[str, Any]]:
    stmt = select(ApiToken, Account.username).join(Account, Account.id == ApiToken.account_id).order_by(ApiToken.id)
    if username:
        stmt = stmt.where(Account.username == username)
    return [token_dict(t, u) for t, u in session.execute(stmt)]


def revoke_token(session: Session, actor: Actor, token: str) -> dict[str, Any]:
    """Revoke a token, named by its id or its first characters (as listed)."""
    stmt = select(ApiToken, Account.username).join(Account, Account.id == ApiToken.account_id)
    token = token.strip()
    found = session.execute(
        stmt.where(ApiToken.id == int(token)) if token.isdigit() else stmt.where(ApiToken.prefix == token[:10])
    ).all()
    if len(found) != 1:
        raise NotFound(f"no token {token!r}" if not found else f"{token!r} names several tokens: give the id")
    row, username = found[0]
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        session.flush()
        audit.record(session, actor, "token.revoke", object_kind="token", object_id=row.id)
    return token_dict(row, username)


def account_for_token(session: Session, raw: str, address: str | None) -> Account | None:
    """The active account a bearer token stands for, or None (unknown, revoked, expired, account disabled). Its use
    is noted (``last_used_at``; the audit trail at most once an hour per token) in ``session``: the caller commits
    it in a unit of work of its own, so that it is kept whatever becomes of the request."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    row = session.execute(
        select(ApiToken, Account)
        .join(Account, Account.id == ApiToken.account_id)
        .where(ApiToken.token_hash == _digest(raw))
    ).first()
    if row is None:
        return None
    token, account = row
    now = dt.datetime.now(dt.UTC)
    expires = _aware(token.expires_at)
    if token.revoked_at is not None or (expires is not None and expires <= now) or not account.active:
        return None
    last = _aware(token.last_used_at)
    if last is None or now - last >= TOKEN_USE_RECORDED_EVERY:
        _note_token_use(session, token.id, account, address, now)
    return account


def _note_token_use(session: Session, token_id: int, account: Account, address: str | None, now: dt.datetime) -> None:
    """Stamp the token's use, as a writer, by a conditional UPDATE: of requests using it at once only the one whose
    UPDATE matched records the use; a request that reads only never writes (nor waits) between stamps. A database
    too busy to take the stamp at once does not hold the request up: the next use stamps it."""
    try:
        dialect_of(session).begin_writing(session, TOKEN_STAMP_WAIT_S)
    except Conflict:
        return
    due = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOKEN_USE_RECORDED_EVERY)
    stamped = session.execute(update(ApiToken).where(ApiToken.id == token_id, due).values(last_used_at=now))
    if rows_matched(stamped) == 1:
        who = Actor(name=account.username, role=account.role, via="token", account_id=account.id, address=address)
        audit.record(session, who, "token.use", object_kind="token", object_id=token_id, at=now)


# -- signing in ---------------------------------------------------------------------------------------------------


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return None if t is None else (t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t)


def locked_until(account: Account, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the account's lock ends, if it is locked now."""
    until = _aware(account.locked_until)
    return until if until is not None and until > (now or dt.datetime.now(dt.UTC)) else None


def failed_sign_in(session: Session, username: str, address: str | None) -> Account | None:
    """A wrong password (or an unknown name): counted, and the account locked after MAX_FAILED_LOGINS in a row."""
    account = session.scalar(select(Account).where(Account.username == username))
    who = Actor(name=username[:64] or "?", role="", via="session", address=address,
                account_id=account.id if account else None)  # fmt: skip
    if account is not None:
        account.failed_logins = (account.failed_logins or 0) + 1
        if account.failed_logins >= MAX_FAILED_LOGINS:
            account.locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=LOCK_MINUTES)
            account.failed_logins = 0
            audit.record(session, who, "login.locked", object_kind="account", object_id=account.id,
                         note=f"{MAX_FAILED_LOGINS} failed sign-ins: locked for {LOCK_MINUTES} minutes")  # fmt: skip
    audit.record(session, who, "login.failed", object_kind="account", object_id=account.id if account else None)
    return account


def refused_locked(session: Session, account: Account, address: str | None) -> None:
    """A sign-in to a locked account: refused whatever the password, and recorded."""
    who = Actor(name=account.username, role="", via="session", account_id=account.id, address=address)
    audit.record(session, who, "login.refused", object_kind="account", object_id=account.id, note="locked")


def signed_in(session: Session, account: Account, address: str | None) -> None:
    account.failed_logins = 0
    account.locked_until = None
    who = Actor(name=account.username, role=account.role, via="session", account_id=account.id, address=address)
    audit.record(session, who, "login", object_kind="account", object_id=account.id)


def signed_out(session: Session, account: Account, address: str | None) -> None:
    who = Actor(name=account.username, role=account.role, via="session", account_id=account.id, address=address)
    audit.record(session, who, "logout", object_kind="account", object_id=account.id)
