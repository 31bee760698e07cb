"""Who is looking, and what they may see.

A document may carry `access: [group, …]` in its front matter; without it, everyone who may
open the portal sees it. A viewer sees a restricted document when they are in one of its
groups, or in the admin group. Group names compare case-insensitively.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

EVERYTHING = "*"  # the access key of a viewer who sees every document


def group_name(raw: object) -> str:
    """One group as stored and compared: trimmed, NFC, lower case."""
    return unicodedata.normalize("NFC", str(raw)).strip().lower()


def groups_of(raw: object) -> tuple[str, ...]:
    """Groups from a front-matter value or a header: a list, or one comma-separated string."""
    if raw is None:
        return ()
    items: Iterable[object] = (
        raw if isinstance(raw, list | tuple | set | frozenset) else str(raw).split(",")
    )
    return tuple(sorted({g for g in map(group_name, items) if g}))


@dataclass(frozen=True)
class Viewer:
    """A person reading the archive. Equal access sets share cached results, nothing else."""

    name: str = ""  # the identity shown ("Local viewer" when there is none)
    email: str = ""
    groups: frozenset[str] = field(default_factory=frozenset)
    sees_everything: bool = False  # admins, and operators reading with --all
    # The person at this machine (auth none, the CLI): sees which files failed to ingest even
    # though a file that failed has no readable access groups. Signed-in viewers do not.
    operator: bool = False
    # A member of the editors group (HINDSIGHT_EDITORS_GROUP): fixes content, so sees every
    # file that failed or was skipped, with its path and reason, like the operator.
    editor: bool = False

    @classmethod
    def of(
        cls,
        name: str = "",
        email: str = "",
        groups: object = None,
        *,
        admin_group: str = "",
        editors_group: str = "",
    ) -> Viewer:
        found = frozenset(groups_of(groups))
        admin = bool(admin_group) and group_name(admin_group) in found
        editor = bool(editors_group) and group_name(editors_group) in found
        return cls(name=name, email=email, groups=found, sees_everything=admin, editor=editor)

    @property
    def sees_failures(self) -> bool:
        """Sees every file that failed or was skipped (whose access nobody could read)."""
        return self.operator or self.sees_everything or self.editor

    @classmethod
    def everything(cls, name: str = "operator") -> Viewer:
        return cls(name=name, sees_everything=True, operator=True)

    @property
    def access_key(self) -> tuple[str, ...]:
        """What this viewer may see, as a cache key: the sorted groups, or ('*',)."""
        return (EVERYTHING,) if self.sees_everything else tuple(sorted(self.groups))

    @property
    def person_key(self) -> str:
        """A stable key for per-person state (follows, last visit); '' when anonymous."""
        return (self.email or self.name).strip().lower()

    def may_see(self, access: Iterable[str]) -> bool:
        """True when a document with these access groups is visible to this viewer."""
        required = set(access)
        return self.sees_everything or not required or bool(required & self.groups)


def may_see(access_key: tuple[str, ...] | None, access: Iterable[str]) -> bool:
    """The rule of Viewer.may_see over an access key (None: no restriction)."""
    if access_key is None or EVERYTHING in access_key:
        return True
    required = set(access)
    return not required or bool(required & set(access_key))


def document_access(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    """The groups a document is restricted to (empty: everyone)."""
    return groups_of(metadata.get("access"))
