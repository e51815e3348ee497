"""The whole path from threads to a brief an editor can trust, on a real Internet-Draft.

Comments with suggestions on draft-nottingham-avoiding-internet-centralization-00; the editor
publishes revision -01 as version 2 mid-way; decides; applies three suggestions as one batch
(one merges with the -01 revision, two conflict with each other and the editor resolves
them); publishes a brief with one thread deliberately left undecided; a commenter contests
the disposition of their thread, the editor answers, and both are public on the thread and
in the brief's annex. Mail goes out through the outbox and a real SMTP server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import Tag
from sqlalchemy.orm import Session, sessionmaker

from accounts.models import User
from consultations.models import Comment, Paragraph
from consultations.paragraphs import split_blocks
from consultations.services import ConsultationService
from core.clock import FixedClock
from tests.corpora import centralization_draft
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page
from tests.functional.test_brief_documents import pdf_pages
from tests.functional.test_reply_mail import mail_app
from tests.functional.test_synthesis import one, submit
from tests.smtp import Inbox, smtp_server

SLUG = "centralization"
ADDED = " Operators should publish how they do this."


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    with smtp_server(receipts_apart=True) as server:
        yield server


def _paragraph(paragraphs: list[Paragraph], prefix: str) -> Paragraph:
    [found] = [p for p in paragraphs if p.text.startswith(prefix)]
    return found


def _kept_paragraph(paragraphs: list[Paragraph]) -> Paragraph:
    """A long plain paragraph that revision -01 leaves as it was."""
    kept = {block.text for block in split_blocks(centralization_draft(1))}
    return next(
        p
        for p in paragraphs
        if p.kind == "paragraph" and p.text in kept and p.source == p.text and len(p.text) > 200
    )


def test_comments_revision_decisions_batch_brief_contest_and_answer(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    chief = editor(session, clock, name="Ivanna Editor", email="chief@example.org")
    consultation = open_consultation(
        session, clock, slug=SLUG, markdown=centralization_draft(0), by=chief
    )
    service = ConsultationService(session, clock=clock)
    v1 = service.paragraphs(service.version(consultation))
    edited = _paragraph(v1, "Engineers who design and standardize")
    kept = _kept_paragraph(v1)
    people = [make_user(session, clock, email=f"p{n}@example.org") for n in range(4)]

    def say(author: User, paragraph: Paragraph, suggestion: str | None, body: str) -> Comment:
        return comment_on(
            session,
            clock,
            consultation,
            author=author,
            ordinal=paragraph.ordinal,
            body=body,
            stance="amend",
            suggestion=suggestion,
        )

    first_word = kept.text.split()[0]
    extend = say(people[0], edited, edited.text + ADDED, "Say what operators must do.")
    one_way = say(people[1], kept, kept.text.replace(first_word, "Plainly,", 1), "Be plain.")
    other_way = say(people[2], kept, kept.text.replace(first_word, "Briefly,", 1), "Be brief.")
    refused = say(people[3], kept, "Nothing here.", "Delete it.")
    undecided = say(people[3], edited, None, "A question nobody answered.")
    session.commit()
    app = mail_app(sessions, clock, tmp_path, url)

    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.sign_in(chief.email)
        # Version 2 mid-way: the real revision -01 edits the first commented paragraph.
        revised = browser.form(
            f"/consultations/{SLUG}/versions",
            {"markdown": centralization_draft(1), "change_note": "Revision -01"},
        )
        assert revised.status_code == 303
        for comment, disposition in [
            (extend, "accepted"),
            (one_way, "accepted"),
            (other_way, "partially_accepted"),
            (refused, "not_accepted"),
        ]:
            decided = browser.form(
                f"/consultations/{SLUG}/threads/{comment.thread_id}/disposition",
                {"disposition": disposition, "rationale": "Weighed against the other comments."},
            )
            assert decided.status_code == 303
        workspace = page(browser.get(f"/consultations/{SLUG}/synthesis"))
        assert "4 of 5 threads decided" in one(workspace, "#progress").get_text()
        refused_card = one(workspace, f"#card-{refused.thread_id}")
        assert refused_card.select_one(".apply-suggestion") is None
        batch = one(workspace, "form#batch")
        boxes = workspace.select("input[name=comment][form=batch]")
        assert sorted(int(str(b["value"])) for b in boxes) == [extend.id, one_way.id, other_way.id]

        query = "&".join(f"comment={c.id}" for c in (extend, one_way, other_way))
        preview = page(browser.get(f"{batch['action']}?{query}"))
        sections = preview.select("section.merge-paragraph")
        assert [("merge-paragraph--conflict" in s["class"]) for s in sections] == [False, True]
        clean, conflicted = sections
        merged_text = one(clean, "textarea").get_text()
        assert merged_text.endswith(ADDED.strip())
        v2_edited = service.paragraph(consultation, edited.key).text
        assert merged_text.startswith(" ".join(v2_edited.split()))  # -01's edit survives
        assert one(conflicted, ".conflict-current").get_text() == "Plainly,"
        assert one(conflicted, ".conflict-suggested").get_text() == "Briefly,"

        form = one(preview, "form.merge-form")
        unresolved = submit(browser, form, **{f"text-{kept.key}": ""})
        assert unresolved.status_code == 409
        assert "has a conflict" in one(page(unresolved), ".notice--error").get_text()
        resolution = kept.text.replace(first_word, "In short,", 1)
        applied = submit(browser, form, **{f"text-{kept.key}": resolution})
        assert applied.status_code == 303
        assert applied.headers["location"] == f"/consultations/{SLUG}/diff/2..3"

        session.expire_all()
        v3 = service.version(consultation)
        assert v3.number == 3
        assert service.paragraph(consultation, edited.key).text == " ".join(
            (v2_edited + ADDED).split()
        )
        assert service.paragraph(consultation, kept.key).text == resolution
        cards = page(browser.get(f"/consultations/{SLUG}/synthesis"))
        landed = one(cards, f"#card-{one_way.thread_id} .applied-suggestion").get_text()
        assert "Applied in version 3" in landed

        # Publishing is deliberate: one thread is undecided.
        brief = {
            "title": "Centralization: findings",
            "slug": "centralization-findings",
            "consultation": SLUG,
            "language": "en",
            "body_markdown": f"Operators must be open. [[thread:{extend.thread_id}]]",
            "publish": "1",
        }
        hasty = browser.form("/briefs", brief)
        assert hasty.status_code == 409
        assert "1 threads of the consultation have no disposition" in page(hasty).get_text()
        published = browser.form("/briefs", brief | {"confirm_undecided": "1"})
        assert published.headers["location"] == "/briefs/centralization-findings/v/1"

        # The commenter whose suggestion was not accepted contests, once.
        browser.cookies.clear()
        browser.sign_in(people[3].email)
        thread_page = f"/consultations/{SLUG}/p/{kept.key}"
        form = one(page(browser.get(thread_page)), f"#t-{refused.thread_id} details.contest-form")
        assert isinstance(form.form, Tag)
        contest_url = str(form.form["action"])
        reason = {"reason": "The paragraph repeats section 2 and should go."}
        assert browser.form(contest_url, reason).status_code == 303
        assert browser.form(contest_url, reason).status_code == 409
        shown = one(page(browser.get(thread_page)), f"#t-{refused.thread_id} .contest")
        assert "repeats section 2" in shown.get_text()
        assert "Not answered yet." in shown.get_text()

        browser.cookies.clear()
        browser.sign_in(chief.email)
        card = one(
            page(browser.get(f"/consultations/{SLUG}/synthesis")), f"#card-{refused.thread_id}"
        )
        answer_url = str(one(card, "form.contest-answer-form")["action"])
        answered = browser.form(answer_url, {"answer": "Section 2 is about something else."})
        assert answered.status_code == 303

        browser.cookies.clear()
        public = one(page(browser.get(thread_page)), f"#t-{refused.thread_id} .contest-answer")
        assert "Section 2 is about something else." in public.get_text()
        annex = browser.get("/api/v1/briefs/centralization-findings").json()["annex"]
        rows = {row["thread_id"]: row for row in annex["dispositions"]}
        assert rows[undecided.thread_id]["disposition"] is None
        assert rows[refused.thread_id]["contest"]["answer"] == "Section 2 is about something else."
        assert rows[extend.thread_id]["contest"] is None
        _every_output_tells_the_contest(browser, refused.thread_id, tmp_path)

        app.state.worker.run_once()

    told = sorted((m["To"], m["Subject"]) for m in inbox.messages)
    title = consultation.title
    decided_subject = f"What became of your comment on “{title}”"
    assert told == sorted(
        [(f"p{n}@example.org", decided_subject) for n in range(4)]
        + [("p3@example.org", f"The editors answered your objection on “{title}”")]
    )
    answer_mail = next(m for m in inbox.messages if "answered" in m["Subject"])
    assert "Section 2 is about something else." in answer_mail.get_content()
    assert f"/consultations/{SLUG}/p/{kept.key}#t-{refused.thread_id}" in answer_mail.get_content()


ANSWER = "Section 2 is about something else."


def _every_output_tells_the_contest(browser: Browser, thread_id: int, tmp_path: Path) -> None:
    """The brief's page, its printable HTML, its JSON and its PDF all carry the contest and
    the editors' answer; the citation names the chapter; the comments export has the row."""
    slug = "centralization-findings"
    row = one(page(browser.get(f"/briefs/{slug}")), f"#annex-t-{thread_id}")
    assert "repeats section 2" in row.get_text() and ANSWER in row.get_text()
    assert ANSWER in browser.get(f"/briefs/{slug}.html").text
    exported = browser.get(f"/briefs/{slug}.json").json()["annex"]["dispositions"]
    assert {r["thread_id"]: r["contest"] for r in exported}[thread_id]["answer"] == ANSWER
    text = " ".join(pdf_pages(browser.get(f"/briefs/{slug}.pdf").content, tmp_path))
    assert ANSWER in " ".join(text.split())
    assert "Internet Society Ukraine Chapter" in browser.get(f"/briefs/{slug}.bib").text
    comments = browser.get(f"/consultations/{SLUG}/comments.csv").text
    assert "The paragraph repeats section 2" not in comments  # a contest is not a comment
    assert "A question nobody answered." in comments
