"""No literal application paths: templates, route modules, the domain packages and the rest
of the web layer make URLs from route names.

Public paths are cited by diplomats (SPEC.md), so each is spelt once, in its route; a
path typed anywhere else drifts from the route the day either changes. These scans fail
on such a literal, and are checked against planted ones so that they cannot pass idly.
Templates and route modules may hold no literal starting with "/" at all; elsewhere (where
"/usr/share/fonts" is a fair string) a literal fails when it starts with the first segment
of one of the app's routes, taken from the route table itself.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route

from app.routes import ROUTES

ROOT = Path(__file__).resolve().parents[3]
# An attribute that holds a URL, whose value starts with "/" (a path, or "//host").
URL_ATTRIBUTE = re.compile(
    r"""\b(?:href|src|action|formaction|poster|hx-[a-z-]+)\s*=\s*["']\s*/""", re.IGNORECASE
)
# Calls whose first argument defines a route's path: the one place a path is spelt.
ROUTE_DEFINITIONS = {"Route", "Mount", "ApiRoute", "_exports"}
DOMAIN_PACKAGES = ("accounts", "briefs", "consultations", "core", "search")
# Modules outside the route table that may spell paths, and why.
SPELT_ELSEWHERE = {
    "app/openapi.py": "the API document: its path templates describe the API routes",
    "app/csrf.py": "path prefixes exempt from CSRF, compared with request paths",
}


def template_literals(root: Path) -> list[str]:
    """`file:line: text` of each URL attribute of app/templates whose value is a path."""
    found = []
    for path in sorted((root / "app" / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.relative_to(root)}:{number}: {line.strip()}"] * len(
                URL_ATTRIBUTE.findall(line)
            )
    return found


def python_literals(source: str, name: str = "<source>") -> list[str]:
    """`name:line: text` of each string literal (or f-string piece) starting with "/",
    except a route's own path and the argument of a `startswith` check."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    literals = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("/")
        and not _allowed(node, parents)
    ]
    literals.sort(key=lambda node: (node.lineno, node.col_offset))
    return [f"{name}:{node.lineno}: {node.value!r}" for node in literals]


def _allowed(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    child, parent = node, parents.get(node)
    if isinstance(parent, ast.Expr):  # a docstring
        return True
    while parent is not None:
        if isinstance(parent, ast.Call):
            called = parent.func
            if isinstance(called, ast.Attribute) and called.attr == "startswith":
                return True
            if isinstance(called, ast.Name) and called.id in ROUTE_DEFINITIONS:
                return bool(parent.args) and parent.args[0] is child
        child, parent = parent, parents.get(parent)
    return False


def route_module_literals(root: Path) -> list[str]:
    modules = [*sorted((root / "app" / "routes").glob("*.py")), root / "app" / "errors.py"]
    found = []
    for path in modules:
        found += python_literals(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    return found


def first_segments(routes: Iterable[BaseRoute]) -> set[str]:
    """The first segment of every route's path: "briefs" of /briefs/{slug}, "search" of
    /search.atom, "api" of the /api/v1 mount."""
    return {
        segment
        for route in routes
        if isinstance(route, Route | Mount)
        and (segment := re.split(r"[./{]", route.path.lstrip("/"), maxsplit=1)[0])
    }


def application_path(segments: Iterable[str]) -> re.Pattern[str]:
    """A string that starts with one of these segments as a path: "/briefs", "/briefs/x",
    "/search.atom", "/search?q=x"; not "/briefsx" nor "/usr/share"."""
    names = "|".join(sorted(map(re.escape, segments)))
    return re.compile(rf"/(?:{names})(?=$|[/?#.])")


def module_literals(root: Path, segments: Iterable[str]) -> list[str]:
    """`file:line: text` of each literal starting like an application path in the domain
    packages and the web layer's modules outside app/routes (scanned more strictly) and
    `SPELT_ELSEWHERE`."""
    pattern = application_path(segments)
    modules = [
        path for package in (*DOMAIN_PACKAGES, "app") for path in (root / package).rglob("*.py")
    ]
    found = []
    for path in sorted(modules):
        name = path.relative_to(root).as_posix()
        if name.startswith("app/routes/") or name in SPELT_ELSEWHERE:
            continue
        found += [
            hit
            for hit in python_literals(path.read_text(encoding="utf-8"), name)
            if pattern.match(ast.literal_eval(hit.split(": ", 1)[1]))
        ]
    return found


def test_templates_have_no_literal_application_paths() -> None:
    assert template_literals(ROOT) == []


def test_route_modules_have_no_literal_application_paths() -> None:
    assert route_module_literals(ROOT) == []


def test_domain_and_web_modules_have_no_literal_application_paths() -> None:
    assert module_literals(ROOT, first_segments(ROUTES)) == []


def test_the_segments_are_the_route_tables() -> None:
    segments = first_segments(ROUTES)
    assert {"consultations", "briefs", "search", "feeds", "api", "account", "admin"} <= segments
    assert {"signin", "auth", "static"} <= segments and "" not in segments


def test_the_module_scan_finds_a_planted_path(tmp_path: Path) -> None:
    """Each kind of literal the converted modules used to hold, planted in a domain package
    and in the web layer; paths of the file system and words that merely start alike pass."""
    (tmp_path / "briefs").mkdir()
    (tmp_path / "app" / "routes").mkdir(parents=True)
    (tmp_path / "briefs" / "planted.py").write_text(
        '"""A docstring may say /briefs/{slug}."""\n'
        'FONTS = "/usr/share/fonts"\n'
        "def permalink(base, slug, n):\n"
        '    return f"{base}/briefs/{slug}/v/{n}"\n'
        'URL = f"/consultations/{slug}/p/{key}#c-{comment_id}"\n'
        'OTHER = ("/searching", "/api", "/search.atom?q=x")\n',
        encoding="utf-8",
    )
    (tmp_path / "app" / "cli.py").write_text(
        'echo(f"Created {settings.base_url}/consultations/{slug}")\n'
        'callback = f"{base}/auth/{name}/callback"\n',
        encoding="utf-8",
    )
    (tmp_path / "app" / "routes" / "x.py").write_text('X = "/briefs"\n', encoding="utf-8")
    (tmp_path / "app" / "openapi.py").write_text('P = {"/briefs": {}}\n', encoding="utf-8")
    segments = {"briefs", "consultations", "search", "api", "auth"}
    assert module_literals(tmp_path, segments) == [
        "app/cli.py:1: '/consultations/'",
        "app/cli.py:2: '/auth/'",
        "briefs/planted.py:4: '/briefs/'",
        "briefs/planted.py:5: '/consultations/'",
        "briefs/planted.py:6: '/api'",
        "briefs/planted.py:6: '/search.atom?q=x'",
    ]


def test_the_template_scan_finds_a_planted_path(tmp_path: Path) -> None:
    templates = tmp_path / "app" / "templates" / "briefs"
    templates.mkdir(parents=True)
    (templates / "planted.html").write_text(
        '<a href="/briefs/{{ slug }}">x</a>\n'
        "<form hx-post='/consultations/x/p/y/comments'></form>\n"
        '<img src = "//cdn.example/x.png">\n'
        "<a href=\"{{ url_for('brief', slug=slug) }}#p-{{ key }}\">fine</a>\n"
        '<a href="#main">fine</a> <a href="https://www.internetsociety.org/">fine</a>\n'
        '<p>Paths such as /briefs are words here.</p> <input name="next" value="/">\n',
        encoding="utf-8",
    )
    assert [hit.split(": ")[0] for hit in template_literals(tmp_path)] == [
        "app/templates/briefs/planted.html:1",
        "app/templates/briefs/planted.html:2",
        "app/templates/briefs/planted.html:3",
    ]


def test_the_route_scan_finds_a_planted_path() -> None:
    source = '''
"""/search: a docstring may name a path."""
def view(request, slug):
    if request.url.path.startswith("/api/"):
        return redirect("/signin?next=/x")
    return redirect(f"/consultations/{slug}/p/{key}#c-{comment_id}")
routes = [Route("/briefs/{slug}", view, name="brief"), *_exports("/briefs/{slug}", "brief")]
other = Route(name="x", path=f"{base}/v/{n}")
'''
    assert python_literals(source) == [
        "<source>:5: '/signin?next=/x'",
        "<source>:6: '/consultations/'",
        "<source>:6: '/p/'",
        "<source>:8: '/v/'",
    ]
