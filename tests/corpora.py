"""Where the shared real-world corpora live (read-only, outside the repository)."""

from __future__ import annotations

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
