"""Circulation: features built only from the read-side door's public verbs.

Everything here takes an `index.archive.Archive` (what one viewer may read) and never opens a
snapshot, a catalog or a searcher itself: the pre-work brief, what's new and follows, feeds and
digests, the search log and knowledge gaps, and the per-person state they keep.
Dependencies point one way: `ingest → index ← circulation ← portal, cli, server`.
"""
