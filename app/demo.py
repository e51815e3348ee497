"""`roundtable demo`: a realistic sample, built through the same services an editor uses.

Everything goes through `create_consultation`, `ConsultationService`, `SynthesisService` and
`BriefService` rather than inserting rows, so the demo exercises the real rules (comment
periods, keys that survive revisions, citations checked on publishing) and writes the same
outbox events the search index consumes. It runs in one transaction and only once: `make run`
calls it on every start.

The texts and the words (people, comments, briefs) are data files in app/demo_data/, shipped
with the package, so a clone with nothing beside it runs the demo.

Timestamps are spread over the weeks before "now" with a settable clock, so the sample reads
like a consultation season: a finished consultation with its brief, and two still open.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import core.models  # noqa: F401 - every mapper must be configured before the first query
from accounts.models import User
from accounts.services import AccountService
from app.demo_content import DemoContent, Edit, Person, Remark, parse_content
from app.settings import Settings
from app.urls import app_paths, app_urls
from briefs import contesting, suggestions
from briefs.dispositions import Decision
from briefs.services import BriefService
from briefs.synthesis import SynthesisService
from consultations import campaigns, endorsing, moderating, opinions
from consultations.attribution import GROUP_LABELS
from consultations.commenting import NewComment
from consultations.creating import NewConsultation, create_consultation
from consultations.models import Comment, Consultation, Paragraph, Thread
from consultations.services import ConsultationService
from core.clock import SystemClock
from core.db import unit_of_work
from core.enums import (
    Attribution,
    ConsultationStatus,
    Disposition,
    FlagReason,
    Language,
    StakeholderGroup,
)
from core.errors import InvalidInput
from core.markdown import strip_front_matter

DEMO_DATA = Path(__file__).with_name("demo_data")  # see its README.md for sources and licences
CONTENT = Path("content.toml")
RFC9614 = Path("ietf/rfc9614-privacy-partitioning/draft-iab-privacy-partitioning.md")
RFC9518 = Path("ietf/rfc9518-centralization/draft-nottingham-avoiding-internet-centralization.md")
UA_LAW = Path("uk-laws/01437-ua-electronic-communications.json")  # the articles the demo shows
DAY = timedelta(days=1)


class DemoClock:
    """A clock the loader moves by hand, so each step is stamped when it 'happened'."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@dataclass
class DemoReport:
    """What was created, for the summary printed by the CLI."""

    consultations: list[tuple[Consultation, str]] = field(default_factory=list)
    briefs: list[tuple[str, str]] = field(default_factory=list)  # (slug, title)
    comments: Counter[str] = field(default_factory=Counter)  # per consultation slug
    decided: int = 0


# --- texts -----------------------------------------------------------------------------------


def read_text(data: Path, relative: Path) -> str:
    """A demo data file's text, or a message saying where the demo expected it."""
    path = data / relative
    if not path.is_file():
        raise InvalidInput(
            "The demo data file %(path)s is missing: reinstall Roundtable or restore it from git.",
            path=str(path),
        )
    return path.read_text(encoding="utf-8")


_REFERENCE = re.compile(r"\{\{([^{}]+)\}\}")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*(?:\{#([\w-]+)\})?\s*$")
_IAL_LINE = re.compile(r"^\s*\{:.*\}\s*$")
_SECTION = re.compile(r"^---\s+(\w+)\s*$")
_KEPT_SECTIONS = {"abstract", "middle"}


def kramdown_to_markdown(source: str) -> tuple[str, str]:
    """(title, Markdown) of a kramdown-rfc draft: the abstract and body, with cross-references
    written as readers of a consultation expect them ("[RFC6973]", "“Privacy Pass”")."""
    meta, body = strip_front_matter(source)
    anchors = _section_anchors(body)
    lines, section = [], ""
    for line in body.splitlines():
        marker = _SECTION.match(line)
        if marker:
            section = marker.group(1)
            if section == "abstract":
                lines.append("# Abstract")
            continue
        if section in _KEPT_SECTIONS and not _IAL_LINE.match(line):
            heading = _HEADING.match(line)
            lines.append(f"{heading.group(1)} {heading.group(2)}" if heading else line)
    markdown = _REFERENCE.sub(lambda m: _reference(m.group(1), anchors), "\n".join(lines))
    return meta.get("title", "Untitled draft"), markdown.strip() + "\n"


def _section_anchors(body: str) -> dict[str, str]:
    """Section ids, explicit (`{#limits}`) and implicit (`security-considerations`)."""
    anchors: dict[str, str] = {}
    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            title = heading.group(2)
            anchors[re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")] = title
            if heading.group(3):
                anchors[heading.group(3)] = title
    return anchors


def _reference(inner: str, anchors: dict[str, str]) -> str:
    """One `{{…}}` reference: a section by its title, a document as `[NAME]`."""
    inner = inner.strip()
    prefix, _, target = inner.rpartition(" of ")
    target, _, locator = target.partition(",")
    name = target.strip().lstrip("?!").split("=")[0]
    text = f"“{anchors[name]}”" if name in anchors else f"[{name}]"
    if locator.strip():
        text += f", {locator.strip()}"
    return f"{prefix} of {text}" if prefix else text


def law_to_markdown(law: dict[str, Any], intro: Sequence[str]) -> str:
    """A law's provisions as `## {title}` and one block per part (line) of its text."""
    parts = list(intro)
    for provision in law["provisions"]:
        parts.append(f"## {provision['title']}")
        parts.extend(line.strip() for line in provision["content"].splitlines() if line.strip())
    return "\n\n".join(parts) + "\n"


def apply_edits(markdown: str, edits: Sequence[Edit]) -> str:
    """Apply rewordings; line wrapping in the source does not matter."""
    for edit in edits:
        pattern = r"\s+".join(re.escape(word) for word in edit.old.split())
        markdown, count = re.subn(pattern, edit.new.replace("\\", "\\\\"), markdown, count=1)
        if count != 1:
            raise InvalidInput(f"The demo edit could not find its text: {edit.old[:60]}…")
    return markdown


# --- loading ---------------------------------------------------------------------------------


class DemoLoader:
    """Builds the sample inside the caller's transaction, oldest events first."""

    def __init__(self, session: Session, data: Path, content: DemoContent, now: datetime) -> None:
        self.session = session
        self.data = data
        self.content = content
        self.now = now.replace(second=0, microsecond=0)
        self.clock = DemoClock(self.now)
        self.consultations = ConsultationService(session, clock=self.clock)
        self.people: dict[str, User] = {}
        self.report = DemoReport()

    def run(self) -> DemoReport:
        self.at(-90)
        # Argon2 costs about half a second per hash by design. Every demo account has the same
        # published password, so one hash (with its own salt) serves them all.
        password_hash = PasswordHasher().hash(self.content.password)
        people = self.content.people
        self.people = {p.handle: self.create_person(p, password_hash) for p in people}
        self.standards()
        self.encryption()
        self.fragmentation()
        for consultation, _state in self.report.consultations:
            campaigns.rebuild(self.session, consultation.id, self.now)
        self.session.flush()
        self.group_opinions()
        return self.report

    def at(self, days: float) -> datetime:
        """Move the clock to `days` from now (negative: in the past)."""
        moment = self.now + timedelta(days=days)
        self.clock.moment = moment.replace(second=0, microsecond=0)
        return self.clock.moment

    @property
    def editor(self) -> User:
        return self.people[self.content.editor]

    def create_person(self, person: Person, password_hash: str) -> User:
        user = AccountService(self.session, clock=self.clock).create_user(
            email=self.content.email(person),
            name=person.name,
            role=person.role,
            group=person.group,
            organisation=person.organisation,
            country=person.country,
        )
        user.password_hash = password_hash
        return user

    # -- the three consultations -----------------------------------------------------------

    def standards(self) -> None:
        """Closed: every thread decided, an accepted suggestion applied, briefs published."""
        words = self.content.standards
        _title, markdown = kramdown_to_markdown(read_text(self.data, RFC9518))
        consultation = self.open_consultation(
            words.slug, words.title, words.summary, markdown,
            topics=("standards", "encryption"), opens=-75, closes=-25,
        )  # fmt: skip
        threads = self.discuss(consultation, words.remarks, -74, -30)
        self.at(-25)
        self.consultations.set_status(consultation, ConsultationStatus.CLOSED, editor=self.editor)
        self.at(-22)
        self.consultations.set_status(
            consultation, ConsultationStatus.SYNTHESIS, editor=self.editor
        )
        self.decide(words.remarks, threads)
        self.publish_briefs(consultation, threads)
        self.contest(threads)
        self.consultations.set_status(
            consultation, ConsultationStatus.PUBLISHED, editor=self.editor
        )
        self.report.consultations.append((consultation, "published, with briefs"))

    def encryption(self) -> None:
        """Open, in English, revised mid-consultation so diffs and outdated comments show."""
        words = self.content.encryption
        _title, markdown = kramdown_to_markdown(read_text(self.data, RFC9614))
        consultation = self.open_consultation(
            words.slug, words.title, words.summary, markdown,
            topics=("encryption", "privacy"), opens=-14, closes=30,
        )  # fmt: skip
        self.discuss(consultation, words.before_revision, -13.5, -6)
        self.at(-5)
        self.consultations.publish_version(
            consultation,
            editor=self.editor,
            markdown=apply_edits(markdown, words.revision_edits),
            change_note=words.revision_note,
        )
        self.discuss(consultation, words.after_revision, -4.5, -0.2)
        self.endorse_in_camps(consultation)
        self.report.consultations.append((consultation, "open, version 2"))

    def fragmentation(self) -> None:
        """Open, in Ukrainian, on the first provisions of the law on electronic communications."""
        words = self.content.fragmentation
        law = json.loads(read_text(self.data, UA_LAW))
        consultation = self.open_consultation(
            words.slug, words.title, words.summary, law_to_markdown(law, words.intro),
            topics=("fragmentation",), opens=-8, closes=40, language="uk",
        )  # fmt: skip
        self.discuss(consultation, words.remarks, -7.5, -0.1)
        self.report.consultations.append((consultation, "open"))

    # -- steps -----------------------------------------------------------------------------

    def endorse_in_camps(self, consultation: Consultation) -> None:
        """Participants endorse what their camp wrote: those who weigh lawful access
        (government, industry) and those who weigh end-to-end encryption (academia, civil
        society, the technical community), so the consensus page has opinion groups to show
        and the comments have endorsement counts."""
        self.at(-0.1)
        access = {StakeholderGroup.GOVERNMENT, StakeholderGroup.PRIVATE_SECTOR}
        openings = self.session.scalars(
            select(Comment)
            .join(Thread)
            .where(Thread.consultation_id == consultation.id, Comment.parent_id.is_(None))
            .order_by(Comment.id)
        ).all()
        for person in self.people.values():
            if person.stakeholder_group is None or person.id == self.editor.id:
                continue
            camp = person.stakeholder_group in access
            for comment in openings:
                if comment.author_id != person.id and (comment.stakeholder_group in access) == camp:
                    endorsing.endorse(self.session, self.clock, person, comment.id)

    def group_opinions(self) -> None:
        """What the worker would compute a minute later, so the first page view has it."""
        marks = opinions.fingerprints(self.session)
        for consultation, _state in self.report.consultations:
            if consultation.id in marks:
                opinions.refresh(self.session, self.clock, consultation, marks[consultation.id])

    def open_consultation(
        self,
        slug: str,
        title: str,
        summary: str,
        markdown: str,
        *,
        topics: Sequence[str],
        opens: float,
        closes: float,
        language: str = "en",
    ) -> Consultation:
        """Created a few days before its comment period, opened when the period starts."""
        self.at(opens - 2)
        data = NewConsultation(
            slug=slug,
            title=title,
            markdown=markdown,
            language=Language(language),
            summary=summary,
            topics=tuple(topics),
            opens_at=self.now + timedelta(days=opens),
            closes_at=self.now + timedelta(days=closes),
        )
        created = create_consultation(self.session, self.clock, self.editor, data)
        consultation = self.consultations.get(created.slug)
        self.at(opens)
        self.consultations.set_status(consultation, ConsultationStatus.OPEN, editor=self.editor)
        return consultation

    def discuss(
        self, consultation: Consultation, remarks: Sequence[Remark], start: float, end: float
    ) -> dict[str, Thread]:
        """Post the remarks evenly between two days, each reply a little after its parent.

        Returns the threads by the remark's `ref` (or its position when it has none)."""
        step = (end - start) / max(len(remarks), 1)
        threads: dict[str, Thread] = {}
        for index, remark in enumerate(remarks):
            self.at(start + step * index)
            comment = self.comment(consultation, remark)
            for number, reply in enumerate(remark.replies, start=1):
                self.at(start + step * (index + number / (len(remark.replies) + 1)))
                self.reply(consultation, comment, reply.by, reply.body)
            threads[remark.ref or str(index)] = comment.thread
        return threads

    def comment(self, consultation: Consultation, remark: Remark) -> Comment:
        paragraph = self.paragraph(consultation, remark.anchor)
        suggestion = None
        if remark.suggest:
            suggestion = apply_edits(paragraph.text, [remark.suggest])
        data = NewComment(
            body=remark.body,
            stance=remark.stance,
            attribution=remark.attribution,
            suggestion=suggestion,
        )
        return self.post(consultation, paragraph.key, data, remark.by)

    def reply(self, consultation: Consultation, parent: Comment, handle: str, body: str) -> None:
        data = NewComment(body=body, attribution=Attribution.NAMED, parent_id=parent.id)
        self.post(consultation, parent.thread.paragraph_key, data, handle)

    def post(self, consultation: Consultation, key: str, data: NewComment, by: str) -> Comment:
        comment = self.consultations.post_comment(consultation, key, data, author=self.people[by])
        self.report.comments[consultation.slug] += 1
        return comment

    def paragraph(self, consultation: Consultation, anchor: str) -> Paragraph:
        """The current paragraph whose text contains `anchor` (whitespace-insensitive)."""
        wanted = " ".join(anchor.split())
        version = self.consultations.version(consultation)
        for paragraph in self.consultations.paragraphs(version):
            if wanted in " ".join(paragraph.text.split()):
                return paragraph
        raise InvalidInput(f"No paragraph of {consultation.slug} contains “{anchor}”.")

    def decide(self, remarks: Sequence[Remark], threads: dict[str, Thread]) -> None:
        """A disposition on every thread; accepted suggestions are merged into the draft."""
        synthesis = SynthesisService(self.session, clock=self.clock)
        for index, remark in enumerate(remarks):
            self.at(-21 + index * 0.4)
            thread = threads[remark.ref or str(index)]
            disposition = remark.disposition.value if remark.disposition else "noted"
            synthesis.decide(
                thread.id, editor=self.editor, decision=Decision.of(disposition, remark.rationale)
            )
            self.report.decided += 1
        accepted = [
            threads[remark.ref].comments[0]
            for remark in remarks
            if remark.suggest and remark.disposition == Disposition.ACCEPTED
        ]
        if accepted:  # merged as one batch, as an editor would from the workspace
            self.at(-15)
            slug, ids = accepted[0].thread.consultation.slug, [c.id for c in accepted]
            preview = suggestions.preview_suggestions(
                self.session, self.clock, self.editor, slug, suggestions.Batch(comments=ids)
            )
            confirmed = suggestions.ApplySuggestions(comments=ids, version=preview.version.number)
            suggestions.apply_suggestions(self.session, self.clock, self.editor, slug, confirmed)

    def contest(self, threads: dict[str, Thread]) -> None:
        """After the brief, one commenter contests a refusal and the editor answers, so the
        annex shows an objection beside its decision."""
        refused = next(
            (
                t
                for t in threads.values()
                if t.disposition == Disposition.NOT_ACCEPTED and t.comments[0].author_id
            ),
            None,
        )
        if refused is None:
            return
        author = self.session.get(User, refused.comments[0].author_id)
        self.at(-9)
        contesting.contest_disposition(
            self.session, self.clock, author, refused.id,
            contesting.NewContest(reason=CONTEST_REASON),
        )  # fmt: skip
        self.at(-8)
        contesting.answer_contest(
            self.session, self.clock, self.editor, refused.consultation.slug, refused.id,
            contesting.ContestAnswer(answer=CONTEST_ANSWER),
        )  # fmt: skip
        # The editor flags a comment as off-topic, so the moderation queue shows one.
        moderating.flag_comment(
            self.session, self.clock, self.editor, refused.comments[0].id,
            moderating.NewFlag(reason=FlagReason.OFF_TOPIC),
        )  # fmt: skip

    def publish_briefs(self, consultation: Consultation, threads: dict[str, Thread]) -> None:
        briefs = BriefService(self.session, clock=self.clock)
        for offset, brief in enumerate(self.content.standards.briefs):
            self.at(-12 + offset)
            briefs.create(
                self.editor, brief.slug, brief.title, brief.language, ("standards", "encryption"),
                cite_threads(brief.body, threads), consultation.slug,
            )  # fmt: skip
            self.at(-10 + offset)
            briefs.publish(brief.slug, self.editor, app_paths())
            self.report.briefs.append((brief.slug, brief.title))


CONTEST_REASON = "The rationale does not address the interoperability cost we raised."
CONTEST_ANSWER = (
    "The cost was weighed: the brief's section on interoperability explains why it does not "
    "outweigh the risk."
)
_CITE = re.compile(r"\[\[thread:\{([\w-]+)\}\]\]")


def cite_threads(body: str, threads: dict[str, Thread]) -> str:
    """Turn the brief template's `[[thread:{ref}]]` into real `[[thread:42]]` citations."""

    def cite(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref not in threads:
            raise InvalidInput(f"The demo brief cites an unknown thread “{ref}”.")
        return f"[[thread:{threads[ref].id}]]"

    return _CITE.sub(cite, body)


# --- entry point -----------------------------------------------------------------------------


def load_demo(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    data: Path = DEMO_DATA,
    now: datetime | None = None,
) -> str:
    """Load the sample once and describe it; a second call changes nothing and says so.

    Either way the description ends with the accounts and the address, so that every
    `make run` shows how to sign in."""
    content = parse_content(read_text(data, CONTENT))
    with unit_of_work(sessions) as session:
        loaded = AccountService(session, clock=SystemClock()).by_email(content.editor_email)
        report = (
            None if loaded else DemoLoader(session, data, content, now or SystemClock().now()).run()
        )
    if report is None:
        return already_loaded(content, settings)
    return summary(report, content, settings, catch_up_search(sessions, settings))


def already_loaded(content: DemoContent, settings: Settings) -> str:
    return "\n".join(
        [
            f"The demo is already loaded (account {content.editor_email} exists); "
            "nothing was changed.",
            "",
            *account_lines(content),
            "",
            f"Open {app_urls(settings.base_url)('home')}",
        ]
    )


def catch_up_search(sessions: sessionmaker[Session], settings: Settings) -> str:
    """Index the demo now, so search works on the first page view (the worker would too)."""
    try:
        from search.index import SearchIndex
    except ImportError:  # the search package is optional while it is being built
        return "Search index: not available; run `roundtable reindex` once it is."
    try:
        count = SearchIndex(settings.search_index_dir).catch_up(sessions)
    except Exception as error:  # the demo is committed; the outbox lets the worker index it later
        return f"Search index: not updated now ({error}); the web worker will catch up."
    return f"Search index: {count} events applied."


def summary(report: DemoReport, content: DemoContent, settings: Settings, search_line: str) -> str:
    urls = app_urls(settings.base_url)
    lines = ["Loaded the Roundtable demo.", "", "Consultations:"]
    for consultation, state in report.consultations:
        count = report.comments[consultation.slug]
        lines.append(
            f"  {consultation.title} [{consultation.language.value}, {state}, {count} comments]"
        )
        lines.append(f"    {urls('consultation', slug=consultation.slug)}")
    lines.append(f"  Dispositions recorded: {report.decided}")
    lines += ["", "Published briefs:"]
    lines += [f"  {title}\n    {urls('brief', slug=slug)}" for slug, title in report.briefs]
    lines += ["", *account_lines(content), "", search_line, f"Open {urls('home')}"]
    return "\n".join(lines)


def account_lines(content: DemoContent) -> list[str]:
    """The demo accounts, one a line, under the password they share."""
    lines = [f"Accounts (password “{content.password}” for all):"]
    for person in content.people:
        group = GROUP_LABELS[person.group] if person.group else "no group"
        email, role = content.email(person), person.role.value
        lines.append(f"  {email:<42} {role:<11} {group:<19} {person.name}, {person.organisation}")
    return lines
