"""The OpenAPI document and the route table agree, and the API's protocol errors are JSON."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from starlette.routing import Mount, Route

from app import openapi
from app.routes import api
from tests.functional.api.support import API, assert_error
from tests.functional.conftest import Browser


def served_operations() -> set[tuple[str, str]]:
    """(path template, method) for every route in the API's mount, from the route table."""
    [mount] = api.routes
    assert isinstance(mount, Mount) and mount.path == API
    operations = set()
    for route in mount.routes:
        assert isinstance(route, Route)
        template = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # drop Starlette converters
        for method in route.methods or ():
            if method != "HEAD":  # implied by GET
                operations.add((template, method.lower()))
    return operations


def documented_operations() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in openapi.document()["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch", "head", "options"}
    }


def test_every_route_is_documented_and_every_documented_path_is_served() -> None:
    assert served_operations() == documented_operations()


def test_every_path_parameter_is_declared() -> None:
    document = openapi.document()
    for path, item in document["paths"].items():
        for operation in item.values():
            declared = {
                document["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]["name"]
                if "$ref" in p
                else p["name"]
                for p in operation.get("parameters", [])
            }
            assert set(re.findall(r"\{(\w+)\}", path)) <= declared, path


def test_the_document_is_valid_openapi_3_1() -> None:
    validate(openapi.document())


def _enum(schemas: dict[str, Any], schema: dict[str, Any]) -> list[object]:
    """The values a property allows, through the `$ref`s and `anyOf` of a nullable enum."""
    if "$ref" in schema:
        return _enum(schemas, schemas[schema["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in schema:
        return [value for option in schema["anyOf"] for value in _enum(schemas, option)]
    return list(schema.get("enum", [None] if schema.get("type") == "null" else []))


def test_the_document_lists_the_closed_vocabularies() -> None:
    schemas = openapi.document()["components"]["schemas"]
    comment = schemas["Comment"]["properties"]
    assert _enum(schemas, comment["stance"]) == [
        "support",
        "oppose",
        "amend",
        "question",
        "neutral",
        None,
    ]
    assert set(_enum(schemas, comment["stakeholder_group"])) == {
        "government",
        "private_sector",
        "academia",
        "civil_society",
        "technical_community",
        None,
    }
    assert _enum(schemas, schemas["NewComment"]["properties"]["attribution"]) == [
        "named",
        "organisation",
        "group",
        "anonymous",
    ]
    assert "not_accepted" in schemas["Thread"]["properties"]["disposition"]["enum"]


def test_the_document_is_served(browser: Browser) -> None:
    response = browser.get(f"{API}/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == openapi.document()


@pytest.mark.parametrize(
    "path", [f"{API}/nothing-here", f"{API}/consultations/a/b/c/d", f"{API}/", "/api/v2/x"]
)
def test_an_unknown_api_path_is_a_json_404(browser: Browser, path: str) -> None:
    assert_error(browser.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/consultations", "GET, HEAD"),
        ("POST", "/consultations/end-users", "GET, HEAD"),
        ("GET", "/consultations/end-users/paragraphs/abc/comments", "POST"),
        ("PUT", "/openapi.json", "GET, HEAD"),
        ("DELETE", "/briefs", "GET, HEAD, POST"),
    ],
)
def test_a_wrong_method_is_a_json_405_with_allow(
    browser: Browser, method: str, path: str, allowed: str
) -> None:
    response = browser.request(method, f"{API}{path}")

    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize(
    "path",
    [
        "/consultations?limit=%FF",
        "/consultations?limit=" + "9" * 5000,
        "/consultations?cursor=" + "A" * 5000,
        # [a valid moment, Infinity]
        "/consultations?cursor=WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgSW5maW5pdHld",
        "/consultations/%D1%88%D0%B8%D1%84%D1%80",  # Cyrillic slug
        "/consultations/end-users/threads?paragraph=" + "k" * 5000,
        "/briefs/%F0%9F%94%92?version=1",
        "/briefs?limit=1e3",
    ],
)
def test_hostile_reads_get_a_4xx_never_a_5xx(browser: Browser, path: str) -> None:
    response = browser.get(f"{API}{path}")

    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


SNAPSHOT = Path(__file__).with_name("openapi.json")
REFRESH = ".venv/bin/python -m app.openapi > tests/functional/api/openapi.json"


def test_the_document_is_the_reviewed_snapshot() -> None:
    """Every change to the public contract shows up in review as a change to openapi.json.
    After a deliberate change, refresh the snapshot with the command in REFRESH."""
    current = json.dumps(openapi.document(), indent=2, ensure_ascii=False).splitlines()
    committed = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    diff = list(difflib.unified_diff(committed, current, "snapshot", "document", lineterm=""))
    assert not diff, f"The OpenAPI document changed; if on purpose: {REFRESH}\n" + "\n".join(
        diff[:200]
    )
