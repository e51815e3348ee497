"""Following, the notification list, notification settings and one-click unsubscribing.

The unsubscribe URL is the only state-changing route without a CSRF token (app/main.py
exempts exactly its prefix): RFC 8058 mail clients POST to it from outside the site, and
its signed token is what authorises the change. Its GET only asks: mail scanners prefetch.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from accounts import following
from accounts.models import Notification, User
from app.urls import request_paths, url_path
from app.web import Context, endpoint, redirect, render
from consultations import policy
from consultations.models import Consultation, Thread, Topic
from consultations.notifications import describe
from core.errors import InvalidInput, NotFound
from core.i18n import N_
from core.urls import with_query

NO_TARGET = N_("Nothing to follow there.")


def _target_exists(context: Context, kind: str, target_id: int) -> bool:
    """Whether the viewer may see what they ask to follow (a draft's existence is not
    told to who may not see it)."""
    session = context.session
    if kind == following.TOPIC:
        return session.get(Topic, target_id) is not None
    consultation: Consultation | None
    if kind == following.THREAD:
        thread = session.get(Thread, target_id)
        consultation = thread.consultation if thread else None
    elif kind == following.CONSULTATION:
        consultation = session.get(Consultation, target_id)
    else:
        return False
    return consultation is not None and policy.can_view(context.user, consultation)


def _back(context: Context) -> str:
    """Where the follow button was: a local path only, never another site."""
    back = context.form.get("next", "")
    if back.startswith("/") and not back.startswith("//") and "\\" not in back:
        return back
    return url_path(context.request, "notifications")


def follow_target(context: Context) -> Response:
    """Follow or unfollow (form field `action`); htmx swaps the button, without JS the
    page is shown again."""
    user = context.require_user()
    kind, target_id = context.params["kind"], context.params["target_id"]
    if kind not in following.TARGET_KINDS or not _target_exists(context, kind, target_id):
        raise NotFound(NO_TARGET)
    if context.form.get("action") == "unfollow":
        following.unfollow(context.session, user.id, kind, target_id)
    else:
        following.follow(context.session, user.id, kind, target_id, context.clock.now())
    state = {
        "follow_kind": kind,
        "follow_id": target_id,
        "following": following.is_following(context.session, user.id, kind, target_id),
        "follow_next": _back(context),
    }
    if context.request.headers.get("HX-Request") == "true":
        return render(context.request, "notify/_follow.html", state)
    return redirect(_back(context))


def notification_list(context: Context) -> Response:
    """Newest first; opening the list marks what it shows read (not what comes after)."""
    user = context.require_user()
    shown = following.latest(context.session, user.id)
    unread = {n.id for n in shown if n.read_at is None}
    if shown:
        following.mark_read(context.session, user.id, shown[0].id, context.clock.now())
    items = [_item(context, n) for n in shown]
    return render(context.request, "notify/list.html", {"items": items, "unread": unread})


def _item(context: Context, notification: Notification) -> dict[str, object]:
    line, values, link = describe(context.session, notification, request_paths(context.request))
    return {
        "id": notification.id,
        "line": line,
        "params": values,
        "link": link,
        "created_at": notification.created_at,
    }


def mark_all_read(context: Context) -> Response:
    user = context.require_user()
    following.mark_read(context.session, user.id, None, context.clock.now())
    return redirect(url_path(context.request, "notifications"))


def update_settings(context: Context) -> Response:
    """The account page's notification settings (language, timezone, how often)."""
    user = context.require_user()
    form = context.form
    try:
        with context.attempt():
            following.set_preferences(
                user,
                language=form.get("language", ""),
                timezone=form.get("timezone", "").strip(),
                frequency=form.get("notify_frequency", ""),
                hour=_integer(form.get("digest_hour", "")),
                weekday=_integer(form.get("digest_weekday", "0")),
            )
    except InvalidInput as error:
        from app.routes.account import _page

        return _page(context, 422, errors={"notify": error})
    account = url_path(context.request, "account")
    return redirect(with_query(account, saved="notify") + "#notify")


def _integer(typed: str) -> int:
    return int(typed) if typed.strip().isdigit() and len(typed) < 4 else -1


def _unsubscribe_values(context: Context) -> tuple[User | None, str, int]:
    token = context.params["token"]
    secret = context.settings.secret_key
    user_id, kind, target_id = following.read_unsubscribe_token(secret, token)
    return context.session.get(User, user_id), kind, target_id


def unsubscribe(context: Context) -> Response:
    """GET asks (and changes nothing); POST, by a mail client or the page's button, does."""
    secret = context.settings.secret_key
    token = context.params["token"]
    try:
        user, kind, target_id = _unsubscribe_values(context)
    except InvalidInput as error:
        return render(context.request, "notify/unsubscribe.html", {"error": error}, status_code=400)
    if user is None:
        raise NotFound(N_("This unsubscribe link is not valid."))
    done = False
    if context.request.method == "POST":
        following.unsubscribe(context.session, token, secret)
        done = True
    everything = following.unsubscribe_token(secret, user.id, following.ALL, 0)
    values = {
        "error": None,
        "done": done,
        "kind": kind,
        "token": token,
        "all_token": everything,
        "title": _target_title(context, kind, target_id),
    }
    return render(context.request, "notify/unsubscribe.html", values)


def _target_title(context: Context, kind: str, target_id: int) -> str:
    session = context.session
    if kind == following.CONSULTATION:
        consultation = session.get(Consultation, target_id)
        return consultation.title if consultation else ""
    if kind == following.THREAD:
        thread = session.get(Thread, target_id)
        return thread.consultation.title if thread else ""
    if kind == following.TOPIC:
        topic = session.get(Topic, target_id)
        return topic.name if topic else ""
    return ""


routes = [
    Route(
        "/follow/{kind}/{target_id:id}",
        endpoint(follow_target),
        methods=["POST"],
        name="follow",
    ),
    Route("/notifications", endpoint(notification_list), name="notifications"),
    Route(
        "/notifications/read", endpoint(mark_all_read), methods=["POST"], name="notifications_read"
    ),
    Route(
        "/account/notifications",
        endpoint(update_settings),
        methods=["POST"],
        name="account_notifications",
    ),
    Route(
        "/unsubscribe/{token}", endpoint(unsubscribe), methods=["GET", "POST"], name="unsubscribe"
    ),
]
