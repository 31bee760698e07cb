"""The domain's error vocabulary. The CLI turns each into one clear line; pages show it."""

from __future__ import annotations


class HindsightError(Exception):
    """Base class for every error Hindsight raises on purpose."""


class IndexNotBuiltError(HindsightError):
    """No published index in the data directory yet."""

    def __init__(self, data_dir: object) -> None:
        super().__init__(f"No index in {data_dir} yet — run: hindsight ingest content/")


class WriterBusyError(HindsightError):
    """Another process holds the writer lock."""


class ModelError(HindsightError):
    """The embedding model cannot be loaded or does not match its checksum."""


class IncompatibleIndexError(HindsightError):
    """The index was built with another embedding model or schema; rebuild it."""


class ModelMismatchError(IncompatibleIndexError):
    """The index's vectors come from another model than the one that would embed queries."""


class SnapshotIntegrityError(IncompatibleIndexError):
    """A published version's files do not match its manifest (torn copy, damaged disk)."""


class ParseError(HindsightError):
    """A content file cannot be understood. Carries the line when known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class SkipFile(HindsightError):
    """A file is deliberately not ingested (binary, too large, not content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AccessDenied(HindsightError):
    """The request's identity cannot be trusted (or is missing); nothing is shown."""


class AuthConfigError(HindsightError):
    """The access settings are unsafe or incomplete; the portal refuses to start."""
