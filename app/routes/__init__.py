"""The route table. Order matters where literal paths share a prefix with parameters."""

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

# Registers the `{name:id}` convertor, which the route modules below use as they are built.
import app.convertors  # noqa: F401  (imported for that side effect)
from app.routes import (
    account,
    admin,
    api,
    auth,
    briefs,
    consultations,
    csp,
    editor,
    feeds,
    moderation,
    notify,
    pages,
    reanchor,
    search,
    sso,
    synthesis,
)
from app.templating import TEMPLATES_DIR

STATIC_DIR = TEMPLATES_DIR.parent / "static"

ROUTES: list[BaseRoute] = [
    *pages.routes,
    *auth.routes,
    *sso.routes,
    *editor.routes,
    *consultations.routes,
    *synthesis.routes,
    *reanchor.routes,
    *moderation.routes,
    *briefs.routes,
    *feeds.routes,
    *search.routes,
    *api.routes,
    *account.routes,
    *notify.routes,
    *admin.routes,
    *csp.routes,
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
