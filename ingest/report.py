"""What an ingest run did, file by file, and its totals."""

from __future__ import annotations

from dataclasses import dataclass, field


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
