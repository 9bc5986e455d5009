"""Signing in, and who may use which route.

* **Sign-in** is Flask-Security-Too's (argon2 passwords with the app's salt, session cookies, CSRF through Flask-WTF,
  password change), with gridmap's own rules around it: a lock after repeated failures, every sign-in and failure in
  the audit trail, and **API tokens** sent as ``Authorization: Bearer gm_…`` (stored hashed: :mod:`gridmap.accounts`).
* **Every route declares who may use it** with :func:`allow` (or :data:`public`, :data:`signed_in`); a route without
  a rule makes :func:`check_rules` refuse to build the app: deny by default. The JSON API answers 401 without
  credentials and 403 for the wrong role, as JSON; a page sends a stranger to the sign-in page.
* A request authenticated by its session cookie that changes something must carry the CSRF token (the
  ``X-CSRFToken`` header, which the page scripts take from the ``XSRF-TOKEN`` cookie; the forms carry it); a bearer
  token needs none (a browser never sends one by itself).
"""

from __future__ import annotations

import datetime as dt
import functools
import types
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g, jsonify, redirect, request, url_for
from flask_babel import Babel
from flask_login import current_user, user_logged_out
from flask_security import LoginForm, Security, SQLAlchemySessionUserDatastore, password_changed, user_authenticated
from flask_security.core import RoleMixin
from flask_security.username_util import UsernameUtil
from flask_security.utils import set_request_attr
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from gridmap.accounts import registry
from gridmap.accounts.actor import ANY_ACCOUNT, PUBLIC, Actor, public_actor
from gridmap.accounts.scope import Scope, scope_of
from gridmap.config import Settings
from gridmap.imports.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import session_scope
from gridmap.store.models import Account
from gridmap.web.i18n import translate
from gridmap.web.session import LOCK_WAIT_S

ACCESS = "_gridmap_access"  # the attribute a view function carries: the roles that may use it
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
F = TypeVar("F", bound=Callable[..., Any])


def allow(*roles: str) -> Callable[[F], F]:
    """Declare who may use a route: account roles (:class:`~gridmap.store.models.AccountRole`) or :data:`PUBLIC`."""

    def mark(view: F) -> F:
        setattr(view, ACCESS, frozenset(str(r) for r in roles))
        return view

    return mark


public = allow(PUBLIC)  # anyone, signed in or not
signed_in = allow(*ANY_ACCOUNT)  # any signed-in role


class _Usernames(UsernameUtil):
    """User names as gridmap makes them (registry.USERNAME: letters, digits and ``. _ @ -``), refused in the
    page's language (Flask-Security allows letters and digits only, and says so in English alone)."""

    def normalize(self, username: str) -> str | None:
        return username.strip() or None

    def validate(self, username: str) -> tuple[str | None, str | None]:
        name = (username or "").strip()
        if not name:
            return None, None
        if not registry.USERNAME.match(name):
            return translate("bad_username", g.get("lang", "zh_CN")), None
        return None, name


class _NoRoleTable(RoleMixin):
    """Flask-Security's datastore wants a role model; gridmap keeps one role per account in ``accounts.role``."""

    name = ""


def _api_request() -> bool:
    return (
        request.path.startswith(("/api/", "/ogc", "/open311/")) or request.accept_mimetypes.best == "application/json"
    )


def current_actor() -> Actor:
    """Who makes this request: the signed-in account (by session or token), or the public."""
    address = request.remote_addr
    user = current_user
    if not getattr(user, "is_authenticated", False):
        return public_actor(address)
    account: Account = user._get_current_object() if hasattr(user, "_get_current_object") else user
    return Actor(
        name=account.username,
        role=account.role,
        via=g.get("gridmap_via", "session"),
        account_id=account.id,
        display_name=account.name,
        address=address,
        scope_area_id=account.scope_area_id,
        scope_unit_id=account.scope_unit_id,
        person_id=account.person_id,
    )


def current_scope() -> Scope | None:
    """The signed-in account's scope (None: the whole city), read once per request."""
    if "gridmap_scope" not in g:
        from gridmap.web.session import db_session

        g.gridmap_scope = scope_of(db_session(), current_actor())
    scope: Scope | None = g.gridmap_scope
    return scope


def install(app: Flask, settings: Settings, sessions: scoped_session[Session]) -> Security:
    """Sign-in, tokens, CSRF and the route rules on ``app`` (the rules are checked by :func:`check_rules`)."""
    if settings.production and settings.production_problems():
        raise RuntimeError("refusing to start in production: " + "; ".join(settings.production_problems()))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SECURITY_PASSWORD_SALT=settings.password_salt,
        SECURITY_PASSWORD_HASH="argon2",
        SECURITY_USERNAME_ENABLE=True,
        SECURITY_USERNAME_REQUIRED=True,
        SECURITY_USER_IDENTITY_ATTRIBUTES=[{"username": {"mapper": _username, "case_insensitive": False}}],
        SECURITY_TRACKABLE=True,
        SECURITY_CHANGEABLE=True,
        SECURITY_SEND_PASSWORD_CHANGE_EMAIL=False,
        SECURITY_REGISTERABLE=False,
        SECURITY_RECOVERABLE=False,
        SECURITY_CONFIRMABLE=False,
        SECURITY_LOGIN_URL="/login",
        SECURITY_LOGOUT_URL="/logout",
        SECURITY_LOGOUT_METHODS=["POST"],  # a link or an image on another site cannot sign anyone out
        SECURITY_CHANGE_URL="/account/password",
        SECURITY_POST_LOGIN_VIEW="/",
        SECURITY_POST_LOGOUT_VIEW="/login",
        SECURITY_POST_CHANGE_VIEW="/",
        SECURITY_PASSWORD_LENGTH_MIN=registry.MIN_PASSWORD,
        SECURITY_PASSWORD_CHECK_BREACHED=False,  # offline: no breach service
        SECURITY_DEFAULT_REMEMBER_ME=False,
        SECURITY_TOKEN_AUTHENTICATION_HEADER="X-Unused-Token",  # gridmap's own bearer tokens instead
        SECURITY_CSRF_PROTECT_MECHANISMS=["session", "basic"],
        SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS=False,  # the sign-in form carries a CSRF token too
        SECURITY_CSRF_COOKIE_NAME="XSRF-TOKEN",
        # Read by the page scripts (not HttpOnly); Secure in production only, so that the demo works over plain http.
        SECURITY_CSRF_COOKIE={"samesite": "Strict", "httponly": False, "secure": settings.production},
        SECURITY_CACHE_CONTROL={},  # its own would read "private=True, no-store=True": gridmap.web.headers sets it
        SECURITY_I18N_DIRNAME="builtin",
        WTF_CSRF_ENABLED=True,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in _enforce, where the authentication mechanism is known
        WTF_CSRF_TIME_LIMIT=None,  # as long as the session
        WTF_CSRF_HEADERS=["X-CSRFToken", "X-XSRF-Token"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.production,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
    )
    Babel(app, locale_selector=lambda: "en" if g.get("lang") == "en" else "zh_Hans_CN")
    CSRFProtect(app)
    datastore = SQLAlchemySessionUserDatastore(sessions, Account, _NoRoleTable)
    security = Security(app, datastore, login_form=SignInForm, username_util_cls=_Usernames, register_blueprint=True)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Flask-Security replaced the app's JSON provider: its own has it
    app.login_manager.request_loader(_bearer_loader)  # type: ignore[attr-defined]  # Flask-Login sets it on the app  # replaces Flask-Security's signed tokens
    user_authenticated.connect_via(app)(_on_signed_in)
    user_logged_out.connect_via(app)(_on_signed_out)
    password_changed.connect_via(app)(_on_password_changed)
    for endpoint in ("static", "security.static", "security.login", "security.verify_username"):
        _mark_endpoint(app, endpoint, PUBLIC)
    for endpoint in ("security.logout", "security.change_password", "security.verify"):
        _mark_endpoint(app, endpoint, *ANY_ACCOUNT)
    app.before_request(_enforce)
    app.jinja_env.globals.update(demo_accounts=_demo_accounts, demo_password=DEMO_PASSWORD)

    @app.errorhandler(CSRFError)
    def _csrf_failed(exc: CSRFError) -> Any:
        message = translate("csrf_failed", g.get("lang", "zh_CN"))
        if _api_request():
            return jsonify({"error": message, "status": 403}), 403
        from flask import render_template

        return render_template("error.html", status=403, message=message), 403

    return security


def _demo_accounts() -> list[dict[str, str]]:
    """The demo's accounts still active, with their role and scope (the sign-in page lists them on the demo only)."""
    from gridmap.accounts.roles import role_name
    from gridmap.store.models import Area, Unit
    from gridmap.web.session import db_session

    names = [a[0] for a in DEMO_ACCOUNTS]
    rows = (
        db_session()
        .execute(
            select(Account.username, Account.role, Area.name.label("area"), Unit.name.label("unit"))
            .join(Area, Area.id == Account.scope_area_id, isouter=True)
            .join(Unit, Unit.id == Account.scope_unit_id, isouter=True)
            .where(Account.username.in_(names), Account.active)
        )
        .all()
    )
    lang = g.get("lang", "zh_CN")
    order = {n: i for i, n in enumerate(names)}
    return [
        {"username": r.username, "role_name": role_name(r.role, lang), "scope": r.area or r.unit or ""}
        for r in sorted(rows, key=lambda r: order[r.username])
    ]


def password_hasher(settings: Settings) -> Callable[[str], str]:
    """Flask-Security's hashing (argon2 with the app's salt) outside a request: for the command line and the demo."""
    from flask_security import hash_password

    from gridmap.web import create_app

    app = create_app(settings)

    def hashed(password: str) -> str:
        with app.app_context():
            return str(hash_password(password))

    return hashed


def _username(identity: object) -> str | None:
    """The user-name field as typed (trimmed); Flask-Security's own mapper would also normalise Unicode."""
    return str(identity).strip() or None if isinstance(identity, str) else None


def _mark_endpoint(app: Flask, endpoint: str, *roles: str) -> None:
    """Give a view registered by Flask or Flask-Security its rule (a bound method is wrapped to carry it)."""
    view = app.view_functions.get(endpoint)
    if view is None:
        return
    if not isinstance(view, types.FunctionType):
        bound = view

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return bound(*args, **kwargs)

        app.view_functions[endpoint] = view = functools.wraps(bound)(wrapper)
    setattr(view, ACCESS, frozenset(roles))


def check_rules(app: Flask) -> None:
    """Deny by default: every route of the app must declare who may use it, or the app is not built."""
    missing = sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if getattr(app.view_functions.get(rule.endpoint), ACCESS, None) is None
        }
    )
    if missing:
        raise RuntimeError(f"routes without an access rule (allow/public/signed_in): {', '.join(missing)}")


def rule_of(app: Flask, endpoint: str) -> frozenset[str]:
    return getattr(app.view_functions[endpoint], ACCESS)


def _enforce() -> Any:
    """Before every request: the route's rule against who asks; the CSRF token for a session's change."""
    view = request.endpoint and request.url_rule and _view()
    if not view:
        return None  # 404 / 405: Flask answers
    allowed: frozenset[str] = getattr(view, ACCESS, frozenset())
    if PUBLIC in allowed:
        return None
    lang = g.get("lang", "zh_CN")
    if not current_user.is_authenticated:
        if _api_request():
            resp = jsonify({"error": translate("sign_in_first", lang), "status": 401})
            resp.headers["WWW-Authenticate"] = 'Bearer realm="gridmap"'
            return resp, 401
        return redirect(url_for("security.login", next=request.full_path.rstrip("?")))
    if current_user.role not in allowed:
        message = translate("not_allowed", lang)
        if _api_request():
            return jsonify({"error": message, "status": 403}), 403
        from flask import render_template

        return render_template("error.html", status=403, message=message), 403
    if request.method not in SAFE_METHODS and g.get("gridmap_via", "session") == "session":
        from flask import current_app

        current_app.extensions["csrf"].protect()  # CSRFError → 403 (the token: a form field or X-CSRFToken)
    return None


def _view() -> Any:
    from flask import current_app

    return current_app.view_functions.get(request.endpoint or "")


def _bearer_loader(req: Any) -> Account | None:
    """``Authorization: Bearer gm_…``: the token's account (its use noted in a unit of work of its own)."""
    header = req.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    from gridmap.web.state import app_state

    with session_scope(app_state().session_factory) as session:
        account = registry.account_for_token(session, header[7:].strip(), req.remote_addr)
    if account is not None:
        set_request_attr("fs_authn_via", "token")
        g.gridmap_via = "token"
    return account


class SignInForm(LoginForm):
    """Flask-Security's sign-in form, refusing a locked account first (whatever the password) and counting
    failures (a lock after registry.MAX_FAILED_LOGINS in a row)."""

    def validate(self, **kwargs: Any) -> bool:
        from gridmap.web.state import app_state

        name = (self.username.data or "").strip() if getattr(self, "username", None) is not None else ""
        lang = g.get("lang", "zh_CN")
        with session_scope(app_state().session_factory) as session:
            account = session.scalar(select(Account).where(Account.username == name)) if name else None
            until = registry.locked_until(account) if account is not None else None
            if account is not None and until is not None:
                dialect_of(session).begin_writing(session, LOCK_WAIT_S)
                registry.refused_locked(session, account, request.remote_addr)
        if until is not None:
            minutes = max(1, int((until - dt.datetime.now(dt.UTC)).total_seconds() // 60) + 1)
            self.username.errors = [*self.username.errors, translate("account_locked", lang, minutes=minutes)]
            return False
        ok = bool(super().validate(**kwargs))
        if not ok and not self.user_authenticated and name:
            with session_scope(app_state().session_factory, writes=True) as session:  # after argon2's check
                registry.failed_sign_in(session, name, request.remote_addr)
        return ok


def _on_signed_in(app: Flask, user: Account, authn_via: list[str] | None = None, **_: Any) -> None:
    if request.endpoint == "security.login":  # a form sign-in (a token's use is noted by the loader)
        from gridmap.web.state import app_state

        session = app_state().sessions()
        dialect_of(session).begin_writing(session, LOCK_WAIT_S)  # only now: the password check (argon2) is done
        registry.signed_in(session, user, request.remote_addr)  # committed by Flask-Security's view


def _on_signed_out(app: Flask, user: Account, **_: Any) -> None:
    from gridmap.web.state import app_state

    with session_scope(app_state().session_factory, writes=True) as session:
        registry.signed_out(session, session.merge(user), request.remote_addr)


def _on_password_changed(app: Flask, user: Account, **_: Any) -> None:
    from gridmap.accounts import audit
    from gridmap.web.state import app_state

    session = app_state().sessions()
    dialect_of(session).begin_writing(session, LOCK_WAIT_S)  # after the old password's check (argon2)
    audit.record(session, current_actor(), "account.password", object_kind="account", object_id=user.id)
