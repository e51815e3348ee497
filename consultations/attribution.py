"""What the public may know about a comment's author: decided here and nowhere else.

Every output (pages, fragments, feeds, API, search index, exports) goes through
`public_author`, so no other code ever reads a comment's name or organisation for display.
"""

from __future__ import annotations

from dataclasses import dataclass

from consultations.models import Comment
from core.enums import Attribution, StakeholderGroup
from core.i18n import N_

GROUP_LABELS = {
    StakeholderGroup.GOVERNMENT: N_("Government"),
    StakeholderGroup.PRIVATE_SECTOR: N_("Private sector"),
    StakeholderGroup.ACADEMIA: N_("Academia"),
    StakeholderGroup.CIVIL_SOCIETY: N_("Civil society"),
    StakeholderGroup.TECHNICAL_COMMUNITY: N_("Technical community"),
}


@dataclass(frozen=True, slots=True)
class PublicAuthor:
    name: str | None
    organisation: str | None
    group: StakeholderGroup | None

    @property
    def label(self) -> str:
        """An English label for machine outputs (API, feeds); templates translate the parts."""
        if self.group is None:
            return "Anonymous"
        group = GROUP_LABELS[self.group]
        who = self.name or self.organisation
        if self.name and self.organisation:
            who = f"{self.name}, {self.organisation}"
        return f"{who} ({group})" if who else group


def public_author(comment: Comment) -> PublicAuthor:
    """The author as the public may see them, under the attribution they chose."""
    match comment.attribution:
        case Attribution.NAMED:
            return PublicAuthor(
                comment.author_name, comment.organisation, comment.stakeholder_group
            )
        case Attribution.ORGANISATION:
            return PublicAuthor(None, comment.organisation, comment.stakeholder_group)
        case Attribution.GROUP:
            return PublicAuthor(None, None, comment.stakeholder_group)
        case _:
            return PublicAuthor(None, None, None)
