"""The dashboard's routes on the worker's HTTP server: sign-in, the pages of each role, forms, downloads."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.config import Settings
from bot.dashboard import access, files, queries
from bot.dashboard.actions import Actions
from bot.dashboard.viewer import Viewer
from bot.directory import DirectoryError
from bot.i18n import Translator
from bot.points.periods import current
from bot.ports import Clock
from bot.registry import Registry
from web.forms import BadForm, command_of
from web.render import Pages

log = logging.getLogger(__name__)

SESSION_COOKIE = "idearoom_session"
LOGIN_COOKIE = "idearoom_login"  # the sign-in form's CSRF token, before there is a session
STATIC = Path(__file__).parent / "static"
MAX_UPLOAD = 1024 * 1024
ORGANIZER, HEAD, ANYONE = "organizer", "head", "anyone"
Handler = Callable[["Dashboard", web.Request, Viewer], Awaitable[web.StreamResponse]]

SECURITY_HEADERS = {
    # No script at all: the pages work without JavaScript, and an injected one cannot run.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The sign-in link carries its token in the path: it must not leave in a Referer header.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _number(value: str | None) -> int | None:
    """An optional number from a query string; anything else is a bad request."""
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 9:
        raise BadForm("number")
    return int(value)


def see_other(location: str) -> web.Response:
    """After a POST, the page to GET next (303)."""
    return web.Response(status=303, headers={"Location": location, **SECURITY_HEADERS})


def guarded(role: str) -> Callable[[Handler], Callable[[Dashboard, web.Request], Awaitable[web.StreamResponse]]]:
    """Signed in, of the role, and (for a POST) with the session's CSRF token; 401, 403 otherwise."""

    def wrap(handler: Handler) -> Callable[[Dashboard, web.Request], Awaitable[web.StreamResponse]]:
        async def guarded_handler(self: Dashboard, request: web.Request) -> web.StreamResponse:
            viewer = await access.viewer_for(
                self.db, self.settings, request.cookies.get(SESSION_COOKIE, ""), self.clock.now()
            )
            if viewer is None:
                return self.message(request, None, 401, "web.signin_needed_title", "web.signin_needed")
            if (role == ORGANIZER and not viewer.organizer) or (
                role == HEAD and not (viewer.organizer or viewer.head_of)
            ):
                return self.message(request, viewer, 403, "web.forbidden_title", "web.forbidden")
            if request.method == "POST":
                form = await request.post()
                if not access.same_token(str(form.get("csrf", "")), viewer.csrf):
                    return self.message(request, viewer, 403, "web.csrf_title", "web.csrf")
            try:
                return await handler(self, request, viewer)
            except BadForm as error:
                field = Translator(viewer.locale)(f"web.field.{error.field}")
                return self.message(request, viewer, 400, "web.bad_form_title", "web.bad_form", field=field)

        return guarded_handler

    return wrap


class Dashboard:
    """Everything the web pages need, from the core; mounted with `mount(http)`."""

    def __init__(
        self,
        db: Any,
        settings: Settings,
        clock: Clock,
        registry: Registry,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.pages = Pages(settings.tz)
        self.actions = Actions(db, settings, clock, registry, on_outbox)

    @property
    def secure(self) -> bool:
        return self.settings.web_url.startswith("https://")

    def mount(self, http: Any) -> None:
        """Add the routes to the worker's HTTP server (`add_route` as adapters use it)."""
        routes: list[tuple[str, str, Any]] = [
            ("GET", "/web", self.home),
            ("GET", "/web/", self.home),
            ("GET", "/web/login/{token}", self.login_page),
            ("POST", "/web/login", self.login),
            ("POST", "/web/logout", self.logout),
            ("GET", "/web/bye", self.bye),
            ("GET", "/web/static/{name}", self.static),
            ("GET", "/web/overview", self.overview),
            ("GET", "/web/ideas", self.ideas),
            ("GET", "/web/proposals", self.proposals),
            ("GET", "/web/proposals/{number}", self.proposal),
            ("GET", "/web/topics", self.topics),
            ("GET", "/web/points", self.points),
            ("GET", "/web/points/export", self.points_export),
            ("GET", "/web/reports", self.reports),
            ("GET", "/web/reports/chart.png", self.report_chart),
            ("GET", "/web/reports/export", self.report_export),
            ("GET", "/web/committee", self.committee),
            ("GET", "/web/directory", self.directory),
            ("POST", "/web/directory", self.directory_upload),
            ("GET", "/web/audit", self.audit),
            ("GET", "/web/review", self.review),
            ("GET", "/web/me", self.me),
            ("GET", "/web/me/data", self.my_data),
            ("POST", "/web/act", self.act),
            ("GET", "/public", self.public),
        ]
        for method, path, handler in routes:
            http.add_route(method, path, handler)

    # --- answering --------------------------------------------------------------------------------

    def respond(self, body: str, status: int = 200) -> web.Response:
        response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
        response.headers.update(SECURITY_HEADERS)
        return response

    def locale_of(self, viewer: Viewer | None) -> str:
        return viewer.locale if viewer else self.settings.locale

    def page(
        self, request: web.Request, viewer: Viewer | None, template: str, status: int = 200, **values: Any
    ) -> web.Response:
        body = self.pages.render(
            template,
            self.locale_of(viewer),
            viewer=viewer,
            path=request.path,
            nonce=uuid.uuid4().hex,
            office=self.settings.office_name,
            **values,
        )
        return self.respond(body, status)

    def message(
        self, request: web.Request, viewer: Viewer | None, status: int, title_key: str, text_key: str, **params: Any
    ) -> web.Response:
        return self.page(request, viewer, "message.html", status, title_key=title_key, text_key=text_key, params=params)

    def download(self, data: bytes, name: str, content_type: str) -> web.Response:
        response = web.Response(body=data, content_type=content_type)
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        response.headers.update({k: v for k, v in SECURITY_HEADERS.items() if k != "Content-Security-Policy"})
        return response

    def now(self) -> datetime:
        return self.clock.now()

    # --- signing in and out -----------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.StreamResponse:
        viewer = await access.viewer_for(self.db, self.settings, request.cookies.get(SESSION_COOKIE, ""), self.now())
        if viewer is None:
            return self.message(request, None, 401, "web.signin_needed_title", "web.signin_needed")
        target = "/web/overview" if viewer.organizer else "/web/review" if viewer.head_of else "/web/me"
        return see_other(target)

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        """A GET only shows the button: link previews in chats fetch the link and must not use it up."""
        token = request.match_info["token"]
        reason = await access.link_state(self.db, token, self.now()) if len(token) <= 100 else "unknown"
        if reason:
            return self.message(
                request,
                None,
                410 if reason in ("used", "expired") else 400,
                "web.link_refused_title",
                f"web.link_{reason}",
            )
        csrf = secrets.token_urlsafe(24)
        response = self.page(request, None, "login.html", token=token, login_csrf=csrf)
        response.set_cookie(
            LOGIN_COOKIE, csrf, max_age=15 * 60, httponly=True, samesite="Strict", secure=self.secure, path="/web/login"
        )
        return response

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if not access.same_token(str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE, "")):
            return self.message(request, None, 403, "web.csrf_title", "web.csrf")
        opened = await access.sign_in(self.db, self.settings, str(form.get("token", ""))[:100], self.now())
        if isinstance(opened, str):
            return self.message(
                request,
                None,
                410 if opened in ("used", "expired") else 400,
                "web.link_refused_title",
                f"web.link_{opened}",
            )
        response = see_other("/web")
        response.set_cookie(
            SESSION_COOKIE,
            opened.token,
            max_age=self.settings.web_session_hours * 3600,
            httponly=True,
            samesite="Lax",
            secure=self.secure,
            path="/",
        )
        response.del_cookie(LOGIN_COOKIE, path="/web/login")
        return response

    @guarded(ANYONE)
    async def logout(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        await access.sign_out(self.db, request.cookies.get(SESSION_COOKIE, ""))
        response = see_other("/web/bye")
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    async def bye(self, request: web.Request) -> web.StreamResponse:
        return self.message(request, None, 200, "web.signed_out_title", "web.signed_out")

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = STATIC / name
        if name not in {p.name for p in STATIC.iterdir()}:
            raise web.HTTPNotFound()
        response = web.Response(
            body=path.read_bytes(), content_type="text/css" if name.endswith(".css") else "application/octet-stream"
        )
        response.headers["Cache-Control"] = "max-age=3600"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    # --- organizer pages --------------------------------------------------------------------------

    def month(self, request: web.Request) -> Any:
        text = request.query.get("month", "").strip()
        if not text:
            return current("month", self.now(), self.settings.tz)
        try:
            return files.month_of(text, self.settings)
        except ValueError:
            raise BadForm("month") from None

    @guarded(ORGANIZER)
    async def overview(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        month = current("month", self.now(), self.settings.tz)
        return self.page(
            request,
            viewer,
            "overview.html",
            rooms=await queries.read(self.db, queries.room_lines),
            topics=await queries.read(self.db, queries.month_topics, month),
            report=await files.report_of(self.db, month),
            due=await queries.read(self.db, queries.proposal_lines, self.now(), due_only=True),
            month=month,
        )

    @guarded(ORGANIZER)
    async def ideas(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        q = request.query
        state = q.get("state", "")
        if state and state not in queries.IDEA_STATES:
            raise BadForm("state")
        wanted = queries.IdeaFilter(
            words=q.get("q", "").strip()[:100],
            room_id=_number(q.get("room")),
            topic_id=_number(q.get("topic")),
            month=self.month(request) if q.get("month") else None,
            state=state,
            sort="newest" if q.get("sort") == "newest" else "supports",
        )
        return self.page(
            request,
            viewer,
            "ideas.html",
            lines=await queries.read(self.db, queries.idea_lines, wanted),
            wanted=wanted,
            month_text=q.get("month", ""),
            rooms=await queries.read(self.db, queries.rooms),
            topics=await queries.read(self.db, queries.topics_of_rooms),
            idea_states=queries.IDEA_STATES,
        )

    @guarded(ORGANIZER)
    async def proposals(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        state = request.query.get("state", "")
        if state and state not in queries.state_order():
            raise BadForm("state")
        department = _number(request.query.get("department"))
        return self.page(
            request,
            viewer,
            "proposals.html",
            lines=await queries.read(
                self.db,
                queries.proposal_lines,
                self.now(),
                state=state,
                department_ids=(department,) if department else None,
            ),
            states=queries.state_order(),
            state_wanted=state,
            departments=await queries.read(self.db, queries.departments),
            department_wanted=department,
        )

    @guarded(ANYONE)
    async def proposal(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        number = _number(request.match_info["number"])
        detail = await queries.read(self.db, queries.proposal_detail, number or 0, self.now())
        if detail is None:
            return self.message(request, viewer, 404, "web.not_found_title", "web.proposal_not_found", number=number)
        proposal = detail.proposal
        theirs = proposal.department_id in viewer.head_of
        proposer = viewer.person_id in {p.id for p in detail.proposers}
        # As in chat's review: organizers see every proposal, heads their department's, proposers their own.
        if not (viewer.organizer or theirs or proposer):
            return self.message(request, viewer, 403, "web.forbidden_title", "web.other_department")
        return self.page(
            request,
            viewer,
            "proposal.html",
            d=detail,
            may_review=viewer.organizer or theirs,
            departments=await queries.read(self.db, queries.departments) if viewer.organizer else [],
        )

    @guarded(ORGANIZER)
    async def topics(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        return self.page(
            request,
            viewer,
            "topics.html",
            rooms=await queries.read(self.db, queries.room_lines),
            invitations=await queries.read(self.db, queries.invitation_lines),
            departments=await queries.read(self.db, queries.departments),
        )

    @guarded(ORGANIZER)
    async def points(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        person_id = _number(request.query.get("person"))
        people = await queries.read(self.db, queries.directory_people)
        chosen = next((p for p in people if p.id == person_id), None)
        return self.page(
            request,
            viewer,
            "points.html",
            lines=await queries.read(self.db, queries.points_lines),
            people=people,
            chosen=chosen,
            ledger=await queries.read(self.db, queries.ledger_of, person_id) if chosen else [],
            default_period=current("quarter", self.now(), self.settings.tz).label,
        )

    @guarded(ORGANIZER)
    async def points_export(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        fmt = request.query.get("format", "xlsx")
        try:
            data, name = await files.payout_file(
                self.db,
                self.settings,
                request.query.get("period", "").strip(),
                fmt,
                self.now(),
                Translator(viewer.locale),
            )
        except ValueError:
            raise BadForm("period") from None
        kind = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return self.download(data, name, kind)

    @guarded(ORGANIZER)
    async def reports(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        month = self.month(request)
        return self.page(request, viewer, "reports.html", month=month, report=await files.report_of(self.db, month))

    @guarded(ORGANIZER)
    async def report_chart(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        data = await files.chart_png(self.db, self.month(request), Translator(viewer.locale))
        response = web.Response(body=data, content_type="image/png")
        response.headers["Cache-Control"] = "no-store"
        return response

    @guarded(ORGANIZER)
    async def report_export(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        data, name = await files.report_file(
            self.db, self.settings, self.month(request), self.now(), Translator(viewer.locale)
        )
        return self.download(data, name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @guarded(ORGANIZER)
    async def committee(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        return self.page(request, viewer, "committee.html", c=await queries.read(self.db, queries.committee_view))

    async def _directory_page(
        self, request: web.Request, viewer: Viewer, status: int = 200, **values: Any
    ) -> web.Response:
        return self.page(
            request,
            viewer,
            "directory.html",
            status,
            people=await queries.read(self.db, queries.directory_people),
            departments=await queries.read(self.db, queries.departments),
            **{"problems": [], "imported": None, **values},
        )

    @guarded(ORGANIZER)
    async def directory(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        return await self._directory_page(request, viewer)

    @guarded(ORGANIZER)
    async def directory_upload(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        form = await request.post()
        upload = form.get("file")
        content = getattr(upload, "file", None)
        if content is None:
            raise BadForm("file")
        data = content.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return await self._directory_page(
                request, viewer, 413, problems=[(1, Translator(viewer.locale)("web.directory_too_large"))]
            )
        try:
            counts = await files.import_directory_upload(self.db, data, viewer.person_id, self.now())
        except DirectoryError as error:
            return await self._directory_page(request, viewer, 400, problems=error.messages(Translator(viewer.locale)))
        return await self._directory_page(request, viewer, imported=counts)

    @guarded(ORGANIZER)
    async def audit(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        action = request.query.get("action", "").strip()[:60]
        return self.page(
            request, viewer, "audit.html", lines=await queries.read(self.db, queries.audit_lines, action), action=action
        )

    # --- heads and staff --------------------------------------------------------------------------

    @guarded(HEAD)
    async def review(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        return self.page(
            request,
            viewer,
            "review.html",
            invitations=await queries.read(self.db, queries.invitation_lines, head_id=viewer.person_id),
            lines=await queries.read(self.db, queries.proposal_lines, self.now(), department_ids=viewer.head_of),
        )

    @guarded(ANYONE)
    async def me(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        return self.page(
            request,
            viewer,
            "me.html",
            ideas=await queries.read(
                self.db, queries.idea_lines, queries.IdeaFilter(author_id=viewer.person_id, sort="newest")
            ),
            total=await queries.read(self.db, queries.total_of, viewer.person_id),
            ledger=await queries.read(self.db, queries.ledger_of, viewer.person_id),
        )

    @guarded(ANYONE)
    async def my_data(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        data = await files.my_data(self.db, viewer.person_id, self.now())
        return self.download(data, f"mydata-{viewer.person_id}.json", "application/json")

    # --- actions ----------------------------------------------------------------------------------

    @guarded(ANYONE)
    async def act(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        form = await request.post()
        fields = {key: str(value) for key, value in form.items() if isinstance(value, str)}
        if "ideas" in form:  # the ideas ticked in the list, one field each
            fields["ideas"] = ",".join(str(v) for v in form.getall("ideas"))
        step, text = command_of(fields.get("action", ""), fields)
        room_id = _number(fields.get("room")) if step.in_room else None
        if step.in_room and room_id is None:
            raise BadForm("room")
        # The nonce is 32 hex digits and the action with its key; it names a processed event (200 at most).
        nonce = fields.get("nonce", "")[:160] or uuid.uuid4().hex
        if step.press:
            result = await self.actions.run(viewer, nonce=nonce, press=text, room_id=room_id)
        else:
            result = await self.actions.run(viewer, nonce=nonce, command=text, room_id=room_id)
        back = fields.get("back", "/web")
        if not back.startswith("/web") or "//" in back:
            back = "/web"
        status = 403 if result.forbidden else 400 if result.refused else 200
        return self.page(request, viewer, "result.html", status, result=result, back=back, room_id=room_id)

    # --- the public page --------------------------------------------------------------------------

    async def public(self, request: web.Request) -> web.StreamResponse:
        if not self.settings.web_public:
            raise web.HTTPNotFound()
        lines = await queries.read(self.db, queries.public_lines, with_names=self.settings.web_public_names)
        return self.page(request, None, "public.html", lines=lines, names=self.settings.web_public_names)
