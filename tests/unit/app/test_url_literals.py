"""No literal application paths: templates and route modules make URLs from route names.

Public paths are cited by diplomats (SPEC.md), so each is spelt once, in its route; a
path typed anywhere else drifts from the route the day either changes. These scans fail
on such a literal, and are checked against planted ones so that they cannot pass idly.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# An attribute that holds a URL, whose value starts with "/" (a path, or "//host").
URL_ATTRIBUTE = re.compile(
    r"""\b(?:href|src|action|formaction|poster|hx-[a-z-]+)\s*=\s*["']\s*/""", re.IGNORECASE
)
# Calls whose first argument defines a route's path: the one place a path is spelt.
ROUTE_DEFINITIONS = {"Route", "Mount", "ApiRoute", "_exports"}


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


def test_templates_have_no_literal_application_paths() -> None:
    assert template_literals(ROOT) == []


def test_route_modules_have_no_literal_application_paths() -> None:
    assert route_module_literals(ROOT) == []


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
