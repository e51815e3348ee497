"""Jinja2 environment: autoescaping, i18n callables and the filters our templates share."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from accounts import following
from accounts.registration import needs_verification
from app import charts, i18n
from app.urls import url_for
from consultations.attribution import GROUP_LABELS, PublicAuthor, public_author
from consultations.diff import STATUS_LABELS, diff_html
from consultations.receipts import receipt_number
from core import markdown
from core.enums import LABELS, StakeholderGroup
from core.urls import with_query

TEMPLATES_DIR = Path(__file__).parent / "templates"
#: Labels of the values templates show with `|label` (statuses, stances, dispositions, diffs).
VALUE_LABELS: dict[str, str] = {**LABELS, **STATUS_LABELS}


def group_label(group: StakeholderGroup | str | None) -> str:
    if group is None:
        return i18n.gettext("Anonymous")
    return i18n.gettext(GROUP_LABELS[StakeholderGroup(group)])


def author_label(author: PublicAuthor) -> str:
    """The translated version of `PublicAuthor.label`."""
    if author.group is None:
        return i18n.gettext("Anonymous")
    who = ", ".join(part for part in (author.name, author.organisation) if part)
    group = group_label(author.group)
    return f"{who} ({group})" if who else group


def label(value: str) -> str:
    """The translated interface label of a status, stance, disposition or diff status."""
    return i18n.gettext(VALUE_LABELS[value])


def search_author(label: str, group: str | None) -> str:
    """A search hit's author in the interface language. The index stores the English label
    ("who (Group)", "Group" or "Anonymous"); only its group part is ours to translate, the
    rest is what a person typed and stays text."""
    if group is None:
        return i18n.gettext("Anonymous")
    english = GROUP_LABELS[StakeholderGroup(group)]
    suffix = f" ({english})"
    if label.endswith(suffix):
        return f"{label.removesuffix(suffix)} ({group_label(group)})"
    return group_label(group) if label == english else label


def format_datetime(moment: datetime | None, style: str = "long") -> str:
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M UTC" if style == "long" else "%Y-%m-%d")


def render_markdown(source: str | None) -> Markup:
    """User Markdown is rendered with raw HTML disabled and unsafe links refused."""
    return Markup(markdown.render(source or ""))  # noqa: S704 - core.markdown output is safe


def suggestion_diff(old: str, new: str) -> Markup:
    return Markup(diff_html(old, new))  # noqa: S704 - diff_html escapes both texts


_HEADING_TAG = re.compile(r"<(/?)h([1-5])(?=[\s>])")
_CELL_TAG = re.compile(r"<(t[dh])(?=[\s>])")
_ROW_TABLE = re.compile(
    r"\A<table class=\"row\">\n<tr>\n(?P<cells>.*)</tr>\n</table>\n?\Z", re.DOTALL
)


def demote_headings(html: str) -> Markup:
    """Our own rendered HTML with h1-h5 one level lower, under the page's one H1.

    Only for output of core.markdown (raw HTML is disabled there, so every ``<h`` is ours).
    """
    return Markup(  # noqa: S704 - the input is core.markdown output, only tags are renamed
        _HEADING_TAG.sub(lambda m: f"<{m[1]}h{int(m[2]) + 1}", str(html))
    )


def table_row_cells(html: str) -> Markup:
    """The cells of a stored table-row block (``<table class="row"><tr>…</tr></table>``), so
    the draft page can put consecutive rows in one table; other HTML is returned unchanged.
    Each cell gets ``hx-disable``, as the text of every other block has."""
    match = _ROW_TABLE.match(str(html))
    if match is None:
        return Markup(html)  # noqa: S704 - stored renderer output
    return Markup(_CELL_TAG.sub(r"<\1 hx-disable", match["cells"]))  # noqa: S704 - as above


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates do not change under a running server; checking each file's mtime on
        # every include cost 4% of the draft page (an include per paragraph).
        auto_reload=False,
    )
    # Jinja's newstyle gettext fills in `%(name)s` values (escaped: the message is Markup).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.template_gettext, i18n.template_ngettext, newstyle=True
    )
    env.filters.update(
        group_label=group_label,
        author_label=author_label,
        dt=format_datetime,
        markdown=render_markdown,
        suggestion_diff=suggestion_diff,
        public_author=public_author,
        label=label,
        search_author=search_author,
        query=with_query,
        demote_headings=demote_headings,
        table_row_cells=table_row_cells,
        receipt=receipt_number,
    )
    env.globals.update(
        languages=i18n.LANGUAGES,
        current_language=i18n.current_language.get,
        needs_verification=needs_verification,
        # A comment form's one-time token: sending the form twice posts one comment.
        one_time_token=lambda: secrets.token_urlsafe(16),
        # Before Jinja2Templates installs its own, which makes absolute URLs (app/urls.py).
        url_for=url_for,
        stance_segments=charts.stance_segments,
        largest=charts.largest,
        stance_order=charts.STANCE_ORDER,
        margin_chart=charts.margin_chart,
        timeline=charts.timeline,
        activity_strip=charts.activity_strip,
    )
    return Jinja2Templates(env=env, context_processors=[csrf_context, follow_context])


def csrf_context(request: Request) -> dict[str, Any]:
    """`csrftoken()` for the hidden field of every form (and the htmx header)."""
    return {"csrftoken": request.scope["csrftoken"]}


def follow_context(request: Request) -> dict[str, Any]:
    """`is_following(kind, id)` for follow buttons: the viewer's follows, read once per
    request in its own transaction (`request.state.session`, set by app/web.py)."""

    def is_following(kind: str, target_id: int) -> bool:
        follows = getattr(request.state, "follows", None)
        if follows is None:
            session = getattr(request.state, "session", None)
            viewer = getattr(request.state, "viewer", None)
            follows = (
                following.followed_by(session, viewer.id)
                if session is not None and viewer is not None
                else frozenset()
            )
            request.state.follows = follows
        return (kind, target_id) in follows

    return {"is_following": is_following}
