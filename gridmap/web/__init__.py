"""Flask app factory. Handlers parse, call one use-case, and serialise; rules live in the use-case modules."""

from __future__ import annotations

from flask import Flask, g, jsonify, make_response, request
from sqlalchemy.orm import scoped_session
from werkzeug.exceptions import HTTPException

import gridmap  # noqa: F401  (geometry libraries load before SpatiaLite)
from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridmap.store.engine import make_engine, make_session_factory
from gridmap.web import guards
from gridmap.web.i18n import LANGUAGES, local_minutes, local_with_zone, pick_language, translate
from gridmap.web.proxy import TrustedProxies
from gridmap.web.session import close_session
from gridmap.web.state import AppState, app_state, install


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key)
    guards.install(app, settings)  # before any route: it bounds the int converter
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    install(app, AppState(settings, engine, factory, scoped_session(factory), _read_attribution()))

    @app.before_request
    def _choose_language() -> None:
        g.lang = pick_language(request, settings.default_locale)

    app.before_request(guards.check_request)  # before the sign-in and CSRF checks read the body

    @app.context_processor
    def _i18n() -> dict[str, object]:
        return {
            "_": lambda key, **kw: translate(key, g.get("lang", "zh_CN"), **kw),
            "languages": LANGUAGES,
            "lang": g.get("lang", "zh_CN"),
        }

    @app.template_filter("local")
    def _local_time(value: str | None) -> str:
        """A stored ISO time (UTC) as the city's local time, to the minute."""
        return local_minutes(value, settings.cases.timezone)

    @app.template_filter("localz")
    def _local_zoned(value: str | None) -> str:
        """A stored ISO time as the city's local time, with its zone label (deadlines a person acts on)."""
        return local_with_zone(value, settings.cases.timezone)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        close_session()

    from gridmap.web.api.health import bp as api_bp
    from gridmap.web.pages.home import bp as pages_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    from gridmap.web.api.routing import bp as routing_bp

    app.register_blueprint(routing_bp, url_prefix="/api/v1")
    from gridmap.web.api.cases import bp as cases_bp
    from gridmap.web.open311 import bp as open311_bp

    app.register_blueprint(cases_bp, url_prefix="/api/v1")
    app.register_blueprint(open311_bp, url_prefix="/open311/v2")
    from gridmap.web import ogc_tiles  # noqa: F401  (adds the tiles routes to the /ogc blueprint)
    from gridmap.web.api.maps import api as maps_api_bp
    from gridmap.web.assets import bp as assets_bp
    from gridmap.web.ogc import bp as ogc_bp
    from gridmap.web.pages.maps import bp as maps_bp

    app.register_blueprint(assets_bp)
    app.register_blueprint(ogc_bp, url_prefix="/ogc")
    app.register_blueprint(maps_bp)
    app.register_blueprint(maps_api_bp, url_prefix="/api/v1")
    from gridmap.web.api.assignments import bp as assign_api_bp
    from gridmap.web.pages.command import bp as command_pages_bp

    app.register_blueprint(assign_api_bp, url_prefix="/api/v1")
    from gridmap.web.api.units import bp as units_api_bp

    app.register_blueprint(units_api_bp, url_prefix="/api/v1")
    from gridmap.web.api.inspections import bp as inspections_api_bp

    app.register_blueprint(inspections_api_bp, url_prefix="/api/v1")
    from gridmap.web.pages.inspections import bp as inspections_pages_bp

    app.register_blueprint(inspections_pages_bp)
    from gridmap.web.api.scorecards import bp as scorecards_api_bp

    app.register_blueprint(scorecards_api_bp, url_prefix="/api/v1")
    from gridmap.web.i18n import MESSAGES
    from gridmap.web.pages.rankings import WORDS as RANKING_WORDS
    from gridmap.web.pages.rankings import bp as rankings_bp

    for key, texts in RANKING_WORDS.items():
        MESSAGES.setdefault(key, texts)
    app.register_blueprint(rankings_bp)
    from gridmap.web.pages import schemes

    schemes.register(app)  # the evaluation schemes page: /admin/schemes
    from gridmap.web.pages.units import bp as units_pages_bp

    app.register_blueprint(units_pages_bp)
    from gridmap.web.pages.roster import bp as roster_pages_bp

    app.register_blueprint(roster_pages_bp)
    app.register_blueprint(command_pages_bp)
    from gridmap.web import auth, headers
    from gridmap.web.api.audit import bp as audit_api_bp
    from gridmap.web.pages.accounts import bp as accounts_pages_bp

    app.register_blueprint(accounts_pages_bp)
    from gridmap.web.pages.track import bp as track_bp

    app.register_blueprint(track_bp)
    from gridmap.web.pages.report import bp as report_bp

    app.register_blueprint(report_bp)
    from gridmap.web.pages.mygrid import bp as mygrid_bp

    app.register_blueprint(mygrid_bp)
    app.register_blueprint(audit_api_bp, url_prefix="/api/v1")
    from gridmap.web.pages import assessments

    assessments.register(app)
    from gridmap.web.api.patrols import bp as patrols_api_bp
    from gridmap.web.pages.patrols import bp as patrols_pages_bp

    app.register_blueprint(patrols_api_bp, url_prefix="/api/v1")
    app.register_blueprint(patrols_pages_bp)
    from gridmap.web import casework, nav

    casework.register(app)  # the work queue and the case page (issue 12)
    nav.register(app)  # the menu: the pages each role may open
    from gridmap.web.api.shops import bp as shops_api_bp
    from gridmap.web.i18n import MESSAGES
    from gridmap.web.pages.shops import bp as shops_pages_bp
    from gridmap.web.shops_i18n import SHOPS

    for key, texts in SHOPS.items():  # the 门前五包 pages' words
        MESSAGES.setdefault(key, texts)
    app.register_blueprint(shops_api_bp, url_prefix="/api/v1")
    app.register_blueprint(shops_pages_bp)
    from gridmap.web.pages import notices

    notices.register(app)  # the notice 通报: /notices and /api/v1/notices
    from gridmap.web.pages import volunteers

    volunteers.register(app)  # 在职党员进社区: /volunteers/… and /api/v1/volunteers/…
    from gridmap.web.api.dashboard import bp as dashboard_api_bp

    app.register_blueprint(dashboard_api_bp, url_prefix="/api/v1")  # the start page's figures (pages/home.py)
    auth.install(app, settings, app_state(app).sessions)
    headers.install(app, settings)
    auth.check_rules(app)  # deny by default: a route without a rule stops the app here
    from gridmap.web import limits

    limits.install(app, settings)  # once every route is registered: it wraps the views marked public_limit
    _register_error_handlers(app)
    # Outermost: the client's address and scheme as the trusted proxy saw them (the audit trail records it).
    app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]  # Flask documents wrapping it
    return app


def _read_attribution() -> str:
    path = DEMO_DATA_DIR / "ATTRIBUTION.txt"
    return path.read_text(encoding="utf-8").strip() if path.exists() else ""


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/ogc/", "/open311/")) or request.accept_mimetypes.best == "application/json"
    )


# What a zh-CN reader sees when an error has no Chinese sentence of its own (the English one follows as a detail).
_GENERIC_ZH = {
    400: "请求有误，未作任何修改",
    401: "请先登录",
    403: "无权进行此操作",
    404: "未找到：该页面或对象不存在",
    405: "不支持此请求方式",
    409: "操作冲突：数据已被他人修改，请刷新后重试",
    413: "请求内容过大",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误：请求未执行，详情已记入日志",
}


def _register_error_handlers(app: Flask) -> None:
    def _error(status: int, message: str, details: list[str] | None = None, zh: str | None = None,
               zh_details: list[str] | None = None):  # fmt: skip
        """``error``/``details`` stay English (the API's stable text); ``message`` is for the reader, in their
        language — zh-CN: the error's own Chinese sentence, else a Chinese summary by status."""
        lang = g.get("lang", "zh_CN")
        shown = message
        if lang == "zh_CN":
            shown = zh or _GENERIC_ZH.get(status, _GENERIC_ZH[500 if status >= 500 else 400])
        if _wants_json():
            body: dict[str, object] = {"error": message, "status": status, "message": shown}
            if details:
                body["details"] = details
            if lang == "zh_CN" and zh_details:
                body["message_details"] = zh_details
            return jsonify(body), status
        from flask import render_template

        # A 400 without a Chinese sentence keeps its English detail (which field is wrong); nothing else leaks it.
        detail = message if (lang == "zh_CN" and not zh and status == 400) else None
        return render_template("error.html", status=status, message=shown, detail=detail), status

    @app.errorhandler(InvalidInput)
    def _invalid(exc: InvalidInput):
        zh_lines = [p.text_zh() for p in exc.problems]
        return _error(400, str(exc), [str(p) for p in exc.problems], exc.zh,
                      [z for z in zh_lines if z] if exc.zh else None)  # fmt: skip

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound):
        return _error(404, str(exc), zh=exc.zh)

    @app.errorhandler(Conflict)
    def _conflict(exc: Conflict):
        return _error(409, str(exc), zh=exc.zh)

    @app.errorhandler(Forbidden)
    def _forbidden(exc: Forbidden):
        return _error(403, str(exc), zh=exc.zh)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if request.path.startswith("/open311/"):
            from gridmap.web.open311 import http_error

            return http_error(exc)
        resp, status = _error(exc.code or 500, guards.http_message(exc))
        resp = make_response(resp, status)
        for name, value in guards.error_headers(exc):
            resp.headers[name] = value
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        return _error(500, "internal error: the request was not carried out; the log has the details")
