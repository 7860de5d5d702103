"""What every page of the console shares: the request's App, transactions, clock and dialer,
and the templates with their filters.

Routers import this module and the server imports the routers; nothing here imports
either, so the web package has no import cycle. What a request needs is reached
through ``request.app.state``, which :func:`console.web.server.create_app` fills.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy.orm import Session

from console import i18n
from console.app import App
from console.enum_names import ROLE_ZH, actor_named, category_named, contact_named, named
from console.queue_labels import OUTCOME_ZH, due_reason
from console.web.auth import Principal
from console.web.calendar_banner import calendar_warning
from console.web.dialing import PreviewDialer
from store.enums import Role
from store.models import CollectionNote
from store.note_drafts import NoteChange, note_changes
from store.notes import NoteOutcome
from store.pii import mask_name, mask_phone, mask_resident_id, mask_text

WEB_DIR = Path(str(resources.files("console") / "web"))
"""The templates and the static files."""
TEMPLATES = Jinja2Templates(directory=WEB_DIR / "templates")
TEMPLATES.env.filters["phone"] = mask_phone
TEMPLATES.env.filters["resident_id"] = mask_resident_id
TEMPLATES.env.filters["masked"] = mask_text
TEMPLATES.env.filters["name"] = mask_name
_DRAFT_FIELDS = {
    "outcome": i18n.N_("结果"),
    "amount": i18n.N_("承诺金额"),
    "date": i18n.N_("承诺日期"),
    "note": i18n.N_("催记"),
}


def _note_changes(note: CollectionNote) -> list[NoteChange]:
    """What the agent changed in a drafted note, its fields and outcomes named."""

    def shown(field: str, value: str) -> str:
        if field == "outcome" and value in set(NoteOutcome):
            return named(NoteOutcome(value))
        return value

    return [
        NoteChange(
            i18n.gettext(_DRAFT_FIELDS[c.field]),
            shown(c.field, c.drafted),
            shown(c.field, c.saved),
        )
        for c in note_changes(note)
    ]


TEMPLATES.env.filters["note_changes"] = _note_changes
# Newstyle gettext: {{ _("…%(n)s", n=…) }} escapes its values. The callables read the request's
# language (console.i18n.use_locale, set by the server's middleware), so the one environment
# serves every language at once.
TEMPLATES.env.add_extension("jinja2.ext.i18n")
TEMPLATES.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext, npgettext=i18n.npgettext
)


@pass_context
def _local(context: Context, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Times are stored in UTC and shown on the call centre's clock (the page's ``zone``)."""
    return moment.astimezone(ZoneInfo(context["zone"])).strftime(fmt) if moment else ""


TEMPLATES.env.filters["local"] = _local


def _duration(seconds: float) -> str:
    """Talk time as H:MM:SS (whole seconds)."""
    whole = max(0, round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


TEMPLATES.env.filters["duration"] = _duration
TEMPLATES.env.globals["in_language"] = i18n.in_language
TEMPLATES.env.globals["say"] = i18n.say
TEMPLATES.env.globals["due_reason"] = due_reason
TEMPLATES.env.filters["named"] = named
TEMPLATES.env.filters["contact_named"] = contact_named
TEMPLATES.env.filters["category"] = category_named
TEMPLATES.env.filters["actor"] = actor_named


def _outcome(value: str) -> str:
    """A collection note's outcome (``promise_to_pay``) named in the request's language."""
    name = OUTCOME_ZH.get(value)
    return i18n.gettext(name) if name else value


TEMPLATES.env.filters["outcome"] = _outcome


def cw(request: Request) -> App:
    app: App = request.app.state.cw
    return app


def db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed if the route returns, rolled back if it raises.

    It may write, so under SQLite it holds the write lock from its first statement.
    """
    with cw(request).sessions.begin() as session:
        yield session


def read_db(request: Request) -> Iterator[Session]:
    """A transaction that only reads: it never waits for a writer (an import, say)."""
    with cw(request).reads() as session:
        yield session


# Committed before the response leaves: a browser that follows a redirect at once must see it.
DB = Annotated[Session, Depends(db, scope="function")]
ReadDB = Annotated[Session, Depends(read_db, scope="function")]


def now(request: Request) -> datetime:
    """The console's clock: real time, or the demo's simulated working day."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def dialer(request: Request) -> PreviewDialer:
    found: PreviewDialer = request.app.state.dialer
    return found


ROLE_NAMES = {role.value: name for role, name in ROLE_ZH.items()}


def render(
    request: Request, template: str, principal: Principal | None, status_code: int = 200, **ctx: Any
) -> HTMLResponse:
    context = {
        "me": principal,
        "csrf": principal.csrf_token if principal else "",
        "zone": cw(request).settings.policy.timezone,
        "locale": i18n.current_locale(),
        "locale_names": i18n.LOCALE_NAMES,
        "role_names": {role: i18n.gettext(name) for role, name in ROLE_NAMES.items()},
        **ctx,
    }
    if principal is not None and principal.role == Role.ADMIN:
        # issue 19: warn admins before the holiday calendar runs out
        context["calendar_warning"] = calendar_warning(cw(request), now(request))
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
