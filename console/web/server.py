"""The FastAPI application: the routers, sessions, security headers and error pages.

It imports the routers; they import :mod:`console.web.pages`, never this module.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.app import App
from console.errors import Forbidden, NotLoggedIn
from console.i18n import _, use_locale
from console.listen_in import ListenIn, sandbox_link
from console.logs import describe_db_error
from console.web import (
    admin,
    agent,
    agent_pause,
    calendar_page,
    cases,
    complaints,
    consents,
    login,
    media,
    progress,
    qa,
    ranking,
    review,
    team,
    wallboard,
)
from console.web.auth import (
    SESSION_COOKIE,
    Principal,
    request_locale,
    resolve_session,
    slide_session,
)
from console.web.dialing import PreviewDialer, SandboxPreviewDialer
from console.web.inputs import (
    MAX_FORM_BYTES,
    field_problem,
    framework_refusal,
    path_problem,
    urlencoded_problem,
)
from console.web.pages import WEB_DIR, render
from store.db import SessionFactory, is_lock_timeout, make_no_wait_session_factory
from store.types import utcnow

log = logging.getLogger(__name__)

# No inline scripts and nothing from elsewhere: the machine has no internet and a
# transcript is untrusted text.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def routers() -> list[APIRouter]:
    """Every page of the console; each route names its roles through a RoleGuard."""
    return [
        module.router
        for module in (
            login,
            qa,
            review,
            admin,
            calendar_page,
            agent,
            agent_pause,
            cases,
            consents,
            media,
            team,
            wallboard,
            progress,
            ranking,
            complaints,
        )
    ]


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    principal = getattr(request.state, "principal", None)
    response = render(request, "error.html", principal, status, title=title, message=message)
    # Set here too: a 500 is answered outside the middleware that adds them to the rest.
    response.headers.update(_SECURITY_HEADERS)
    return response


class InputGuard:
    """Refuses a request whose address, query or form is not UTF-8 text without control
    characters (NUL above all), before any route or database sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = path_problem(scope.get("raw_path") or scope["path"].encode())
        problem = problem or urlencoded_problem(scope.get("query_string", b""), _("查询参数"))
        status = 400
        content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip()
        if problem is None and content_type == b"multipart/form-data":
            problem, status = _("表单须以 URL 编码提交，不接受 multipart"), 415
        if problem is None and content_type == b"application/x-www-form-urlencoded":
            body = await _body(receive)
            if body is None:
                problem, status = _("表单超过 %(n)s 字节") % {"n": MAX_FORM_BYTES}, 413
            else:
                problem = urlencoded_problem(body, _("表单"))
                receive = _replay(body, receive)
        if problem is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response = _error_page(request, status, _("请检查请求"), problem)
        await response(scope, receive, send)


async def _body(receive: Receive) -> bytes | None:
    """The whole request body, or None once it is over MAX_FORM_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _internal_error_page(request: Request) -> Response:
    # The catch-all handler runs outside the request's language (the framework's outermost
    # layer, past the middleware that set it): set it again.
    with use_locale(request_locale(request)):
        message = _("服务器出错，未做任何更改；已记入日志。")
        try:
            return _error_page(request, 500, _("出错了"), message)
        except Exception:  # the error page itself failed: still answer, still with the headers
            return HTMLResponse(message, 500, headers=_SECURITY_HEADERS)


def _add_error_pages(web: FastAPI) -> None:
    """Every error is a page with the security headers; none shows a traceback or a value
    from the database (the log has the traceback, through the PII mask)."""

    @web.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: IntegrityError) -> Response:
        log.warning("%s %s: %s", request.method, request.url.path, describe_db_error(exc))
        message = _("此更改与已做的更改冲突（可能是同时进行的）：请刷新页面查看。")
        return _error_page(request, 409, _("暂时不行"), message)

    @web.exception_handler(StatementError)
    async def out_of_range(request: Request, exc: StatementError) -> Response:
        # A value the database cannot hold: an id or a number past its column's range.
        if isinstance(exc, DataError) or isinstance(exc.orig, OverflowError | ValueError):
            message = _("请求中的某个值超出范围：未做任何更改")
            return _error_page(request, 400, _("请检查请求"), message)
        # Handled here, so nothing further up logs it: the traceback goes to our log.
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _internal_error_page(request)

    @web.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        # Starlette raises it again after this page, and the server logs the traceback.
        log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
        return _internal_error_page(request)


def _principal(app: App, slides: SessionFactory, token: str, hours: float) -> Principal | None:
    at = utcnow()
    with app.reads() as session:
        found = resolve_session(session, token, at)
    if found is None:
        return None
    principal, slide_due = found
    if slide_due:
        try:
            with slides.begin() as session:
                slide_session(session, token, at, hours)
        except OperationalError as exc:
            # Best effort: a page is not held up by a writer; a later page slides it.
            if not is_lock_timeout(exc):
                raise
    return principal


def database_busy(request: Request, exc: OperationalError) -> Response:
    """503 for a database lock that outlasted the timeout (or a database that is down); the
    request's transaction was rolled back, so nothing of it was written."""
    locked = is_lock_timeout(exc)
    log.warning("database %s: %s", "busy" if locked else "unavailable", type(exc.orig).__name__)
    if locked:
        title = _("数据库正忙")
        message = _("另一项写入（例如导入）仍在进行，本次操作未保存，请稍后重试。")
    else:
        title = _("数据库暂不可用")
        message = _("本次操作未保存，请稍后重试。")
    response = _error_page(request, 503, title, message)
    response.headers["Retry-After"] = "5"
    return response


def create_app(
    app: App,
    preview_dialer: PreviewDialer,
    clock: Callable[[], datetime] = utcnow,
    listen_in: ListenIn | None = None,
) -> FastAPI:
    """The console; listening in goes through the running sandbox's AMI unless ``listen_in``."""
    web = FastAPI(title="callwarden console", docs_url=None, redoc_url=None, openapi_url=None)
    web.state.cw = app
    web.state.dialer = preview_dialer
    web.state.listen_in = listen_in or ListenIn(sandbox_link(app))
    web.state.clock = clock
    web.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    for router in routers():
        web.include_router(router)
    hours = app.settings.console.session_hours
    web.add_middleware(InputGuard)  # inside the one below, whose headers it gets
    slides = make_no_wait_session_factory(app.engine)

    @web.middleware("http")
    async def session_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.principal = None
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            try:
                found = await run_in_threadpool(_principal, app, slides, token, hours)
            except OperationalError as exc:
                # Outside the routes, so the exception handlers below do not see it.
                return database_busy(request, exc)
            request.state.principal = found
        with use_locale(request_locale(request)):
            response = await call_next(request)
        for key, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @web.exception_handler(OperationalError)
    async def busy(request: Request, exc: OperationalError) -> Response:
        return database_busy(request, exc)

    @web.exception_handler(NotLoggedIn)
    async def to_login(request: Request, _exc: NotLoggedIn) -> Response:
        if request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return HTMLResponse(_("未登录"), status_code=401)

    @web.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> Response:
        # A person filled in a form: say which field and why, on a page, not in JSON.
        problems = [field_problem(err) for err in exc.errors()]
        return render(
            request,
            "error.html",
            request.state.principal,
            422,
            title=_("请检查表单"),
            message="; ".join(problems),
        )

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {400: _("请检查请求"), 404: _("未找到"), 409: _("暂时不行")}
        title = titles.get(exc.status_code, _("出错了"))
        return render(
            request,
            "error.html",
            request.state.principal,
            exc.status_code,
            title=title,
            message=framework_refusal(exc.status_code, str(exc.detail)),
        )

    @web.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return render(request, "error.html", request.state.principal, 403, message=str(exc))

    _add_error_pages(web)
    return web


def serve(
    app: App,
    host: str,
    port: int,
    dialer: PreviewDialer | None = None,
    clock: Callable[[], datetime] = utcnow,
    *,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Run the console until Ctrl-C (preview dials through the sandbox unless ``dialer``);
    ``on_started`` is called once it listens."""
    from console.web.uvicorn_server import console_server, run_until_stopped  # noqa: PLC0415

    web = create_app(app, dialer or SandboxPreviewDialer(app), clock)
    # Everything loaded so far lives as long as the server (the detector's pinyin tables alone
    # are some 400,000 objects): frozen, it is no longer walked by each full collection, which
    # otherwise took ~100 ms out of every few page loads (issue 17, the worklist under load).
    gc.collect()
    gc.freeze()
    run_until_stopped(console_server(web, host, port, on_started))
