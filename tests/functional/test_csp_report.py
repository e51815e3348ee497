"""Browsers report CSP violations to /csp-report; we log them, within bounds."""

from __future__ import annotations

import json
import logging

import pytest

from app.routes import csp
from tests.functional.conftest import Browser

REPORT = {
    "csp-report": {
        "document-uri": "http://testserver/search?q=x",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "inline",
        "sample": "alert(1)" * 100,
    }
}


def test_every_page_names_the_report_endpoint(browser: Browser) -> None:
    response = browser.get("/")
    policy = response.headers["content-security-policy"]
    assert "report-uri /csp-report" in policy and "report-to csp" in policy
    assert response.headers["reporting-endpoints"] == 'csp="/csp-report"'


def test_a_violation_is_logged_without_a_csrf_token(
    browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="roundtable.csp")
    headers = {"content-type": "application/csp-report"}
    response = browser.post("/csp-report", content=json.dumps(REPORT), headers=headers)
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "roundtable.csp"]
    logged = json.loads(record.getMessage().removeprefix("CSP violation: "))
    assert logged["violated-directive"] == "script-src-elem"
    assert len(logged["sample"]) == csp.MAX_VALUE_CHARS


def test_a_reporting_api_batch_is_read_too(
    browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="roundtable.csp")
    batch = [{"type": "csp-violation", "body": {"blockedURL": "inline", "documentURL": "/x"}}]
    response = browser.post(
        "/csp-report",
        content=json.dumps(batch),
        headers={"content-type": "application/reports+json"},
    )
    assert response.status_code == 204
    assert any('"blocked-uri": "inline"' in r.getMessage() for r in caplog.records)


def test_large_or_unreadable_reports_are_refused(browser: Browser) -> None:
    big = json.dumps({"csp-report": {"sample": "x" * (csp.MAX_BODY_BYTES + 1)}})
    assert browser.post("/csp-report", content=big).status_code == 413
    assert browser.post("/csp-report", content=b"\xff not json").status_code == 400


def test_logging_is_bounded_per_minute(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="roundtable.csp")
    budget = csp._Budget(per_minute=3)
    taken = [budget.take(now=60.0 + i) for i in range(10)]
    assert taken == [True] * 3 + [False] * 7
    assert budget.take(now=120.0) is True  # a new minute
    assert "7 CSP reports were not logged" in caplog.text
