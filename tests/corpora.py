"""Where the shared real-world corpora live (read-only, outside the repository)."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

#: Beside the repository, or where ROUNDTABLE_CORPORA says (a worktree kept elsewhere).
CORPORA = Path(
    os.environ.get("ROUNDTABLE_CORPORA")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
)

CENTRALIZATION = CORPORA / "ietf" / "rfc9518-centralization"
RFC9518 = CENTRALIZATION / "draft-nottingham-avoiding-internet-centralization.md"


def centralization_draft(revision: int) -> str:
    """The text of draft-nottingham-avoiding-internet-centralization-NN (0–14)."""
    name = f"draft-nottingham-avoiding-internet-centralization-{revision:02d}.md"
    return (CENTRALIZATION / "versions" / name).read_text(encoding="utf-8")


def centralization_prose(count: int) -> list[str]:
    """`count` paragraphs of RFC 9518's prose (its long plain paragraphs, one line each),
    repeated when more are asked for than it has."""
    blocks = [
        " ".join(block.split()) for block in RFC9518.read_text(encoding="utf-8").split("\n\n")
    ]
    prose = [
        block
        for block in blocks
        if len(block) > 200
        and not block.startswith(("#", "-", "{", "|", ">", "*", "~", "<"))
        and ":" not in block[:20]
    ]
    return [prose[index % len(prose)] for index in range(count)]


UK_CYBERCRIME = CORPORA / "uk-laws" / "00020-ua-criminal-code-cybercrime.json"


def ukrainian_provisions(count: int) -> list[tuple[str, str]]:
    """(title, text) of the first `count` articles of the Criminal Code of Ukraine's
    cybercrime provisions, in Ukrainian."""
    provisions = json.loads(UK_CYBERCRIME.read_text(encoding="utf-8"))["provisions"]
    return [(item["title"], " ".join(item["content"].split())) for item in provisions[:count]]


UN_DEBATES = CORPORA / "un-general-debates"
_GREETINGS = ("Dear editors,", "Hello,", "To whom it may concern:", "Dear Sir or Madam,", "")
_SIGN_OFFS = (
    "Regards, a concerned citizen",
    "Thank you.",
    "Sincerely,",
    "Please act right now!",
    "",
)
_FILLERS = ("really", "very", "strongly", "clearly", "please", "also", "indeed", "now", "truly")


def speech_paragraphs(count: int, seed: int = 9518) -> list[str]:
    """`count` paragraphs (150–1,200 characters) of UN General Debate speeches, shuffled."""
    rng = random.Random(seed)
    files = sorted(UN_DEBATES.glob("*/*.txt"))
    found: list[str] = []
    for path in rng.sample(files, max(10, count // 8)):
        for line in path.read_text("utf-8", errors="replace").split("\n"):
            line = " ".join(line.split())
            if 150 <= len(line) <= 1200:
                found.append(line)
    rng.shuffle(found)
    return found[:count]


def campaign_variant(text: str, rng: random.Random, edits: int) -> str:
    """`text` as one campaigner sends it: a few words inserted, deleted, swapped or changed,
    maybe another case or punctuation, their own greeting and sign-off."""
    words = text.split()
    for _ in range(edits):
        operation, at = (
            rng.choice(("insert", "delete", "swap", "change")),
            rng.randrange(len(words)),
        )
        if operation == "insert":
            words.insert(at, rng.choice(_FILLERS))
        elif operation == "delete" and len(words) > 5:
            del words[at]
        elif operation == "swap" and at + 1 < len(words):
            words[at], words[at + 1] = words[at + 1], words[at]
        else:
            words[at] = rng.choice(_FILLERS)
    body = " ".join(words)
    if rng.random() < 0.3:
        body = body.upper() if rng.random() < 0.2 else body.lower()
    if rng.random() < 0.4:
        body = body.replace(",", "").replace(".", "!")
    return " ".join(part for part in (rng.choice(_GREETINGS), body, rng.choice(_SIGN_OFFS)) if part)


def campaign_corpus(
    seed: int = 12, campaigns: int = 20, others: int = 400, quoting: int = 300
) -> tuple[list[tuple[int, str]], dict[int, int]]:
    """Comments (id, body) and the truth (id → the campaign it belongs to, or its own id):
    `campaigns` real paragraphs (RFC 9518 prose and articles of the Criminal Code of
    Ukraine, cut to 120 words) each sent in 10–50 variants with 1–6 edits, among `others`
    unrelated speech paragraphs and `quoting` speech paragraphs that quote 10–25 words of a
    campaign's paragraph (different people, not the campaign)."""
    rng = random.Random(seed)
    english = list(dict.fromkeys(centralization_prose(60)))
    ukrainian = [body for _title, body in ukrainian_provisions(40) if 150 < len(body) < 2000]
    sources = [
        " ".join(text.split()[:120])
        for text in rng.sample(english, campaigns * 3 // 5)
        + rng.sample(ukrainian, campaigns - campaigns * 3 // 5)
    ]
    comments: list[tuple[int, str]] = []
    truth: dict[int, int] = {}
    for number, source in enumerate(sources):
        for _ in range(rng.randint(10, 50)):
            comment_id = len(comments) + 1
            comments.append((comment_id, campaign_variant(source, rng, rng.randint(1, 6))))
            truth[comment_id] = -1 - number
    speeches = speech_paragraphs(others + quoting, seed)
    for index, body in enumerate(speeches):
        if index >= others:
            words = rng.choice(sources).split()
            start = rng.randrange(max(1, len(words) - 25))
            body = f"You write: “{' '.join(words[start : start + rng.randint(10, 25)])}”. {body}"
        comment_id = len(comments) + 1
        comments.append((comment_id, body))
        truth[comment_id] = comment_id
    order = rng.sample(range(len(comments)), len(comments))
    return [comments[i] for i in order], truth
