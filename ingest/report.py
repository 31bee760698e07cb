"""What an ingest run did, file by file, and its totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.archive import Archive


@dataclass(frozen=True)
class FileOutcome:
    path: str
    state: str  # indexed | unchanged | skipped | failed | removed
    reason: str = ""
    line: int | None = None
    chunks: int = 0

    def describe(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}" if self.reason else where


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0
    generation: str = ""

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)

    def of(self, state: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.state == state]

    @property
    def has_failures(self) -> bool:
        return self.count("failed") > 0

    def summary(self) -> str:
        return (
            f"{self.count('indexed')} indexed, {self.count('unchanged')} unchanged, "
            f"{self.count('skipped')} skipped, {self.count('failed')} failed, "
            f"{self.count('removed')} removed; {self.chunks_embedded} chunks embedded "
            f"({self.chunks_reused} reused) in {self.seconds:.1f} s"
        )


def recurrence_lines(report: IngestReport, archive: Archive) -> list[str]:
    """'<path>: recurs: like X (2023-04) and Y (2024-11)' for each newly indexed post-mortem that
    joins a failure-mode cluster. Read as ARCHIVE's viewer (the operator who ran the ingest)."""
    paths = {o.path for o in report.of("indexed")}
    doc_ids = {f.doc_id: f.path for f in archive.file_states() if f.path in paths and f.doc_id}
    lines = []
    for cluster in archive.recurring() if doc_ids else []:
        for doc_id in cluster.doc_ids:
            if doc_id not in doc_ids:
                continue
            others = [
                f"{d.title} ({d.date:%Y-%m})" if d.date else d.title
                for d in cluster.members
                if d.doc_id != doc_id
            ]
            listed = ", ".join(others[:-1]) + (" and " if len(others) > 1 else "") + others[-1]
            lines.append(f"{doc_ids[doc_id]}: recurs: like {listed} — {cluster.headline(doc_id)}")
    return lines
