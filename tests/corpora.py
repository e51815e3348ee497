"""Where the shared real-world corpora live (read-only, outside the repository)."""

from __future__ import annotations

import json
import os
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
