"""The one read-side door: everything the portal and the CLI read, for one viewer.

An `Archive` is a snapshot's searcher seen by a `Viewer`. Every verb narrows what it reads to
the documents the viewer may see *before* ranking, counting or cutting off, so a restricted
document leaves no trace: not in hits, snippets, counts, related items, experts' evidence or
a document URL (which answers exactly like a missing document). Results are cached per
snapshot under keys that carry the viewer's access key, never shared across access sets.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Hashable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from index import (
    action_items,
    catalog,
    expertise,
    failure_modes,
    failures,
    incidents,
    lifecycle,
    pair_verdicts,
    recurrence,
    spelling,
    trends,
)
from index.access import Viewer
from index.expertise import EvidenceItem, ExpertiseMatch, ExpertiseParams, PeopleIndex
from index.experts import expert_evidence
from index.filters import SearchFilters, merge
from index.findings import Findings
from index.media import MEDIA_SUFFIXES
from index.models import Chapter, Document, Expert, SearchHit, Segment
from index.pair_verdicts import PairVerdicts
from index.people import Person
from index.search import Mode, Searcher
from index.spelling import Correction
from index.store import FileState
from index.understood import Understood, understood

T = TypeVar("T")
LIKE_WORDS = 120  # "more like this" stands a document in for a query of this many words


def like_query(doc: Document) -> str:
    """A query that stands for DOC: its title, tags and opening text."""
    tags = " ".join(_words(doc.metadata.get("tags")))
    body = " ".join(line for line in doc.body.splitlines() if not line.startswith("#"))
    return " ".join(f"{doc.title}. {tags}. {body}".split()[:LIKE_WORDS])


def _words(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)] if value not in (None, "") else []


class Archive:
    """What VIEWER may read of one snapshot.

    A snapshot never changes, so every answer is a function of (snapshot, access key, the
    arguments) and is cached on the snapshot's searcher: callers must not mutate what they get.
    """

    def __init__(
        self,
        searcher: Searcher,
        viewer: Viewer,
        expertise: ExpertiseParams | None = None,
        review: lifecycle.ReviewPolicy | None = None,
    ) -> None:
        # Private: every read goes through a verb below, which narrows it to the viewer first.
        self._searcher = searcher
        self.viewer = viewer
        self.expertise = expertise or ExpertiseParams()
        self.review_policy = review or lifecycle.ReviewPolicy()
        self.incident_params = incidents.SimilarityParams()
        self.incident_text = True  # causes as front matter states them (see incidents.load)
        # Pairs of post-mortems people settled (circulation/feedback.py): the interface that
        # holds the state store hands them in, or a way to read them when first needed;
        # applied only to pairs this viewer may see.
        self._pair_verdicts: PairVerdicts | Callable[[], PairVerdicts] = PairVerdicts()

    @property
    def pair_verdicts(self) -> PairVerdicts:
        """The pairs people settled on the similar panel (read on first use when handed a
        reader: a search never needs them)."""
        if callable(self._pair_verdicts):
            self._pair_verdicts = self._pair_verdicts()
        return self._pair_verdicts

    @pair_verdicts.setter
    def pair_verdicts(self, found: PairVerdicts | Callable[[], PairVerdicts]) -> None:
        self._pair_verdicts = found

    # -- plumbing ---------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._searcher.snapshot.version

    def scope(self, filters: SearchFilters | None = None) -> SearchFilters:
        """FILTERS narrowed to what the viewer may see (the only way filters reach a read)."""
        return (filters or SearchFilters()).for_viewer(self.viewer)

    def _cur(self) -> Any:
        return self._searcher.snapshot.cursor()

    def _cached(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        return self._searcher.cache.get((name, self.viewer.access_key, key), compute)

    # -- search -----------------------------------------------------------------------

    def search(
        self,
        query: str,
        filters: SearchFilters | None = None,
        *,
        limit: int = 10,
        mode: Mode = "hybrid",
    ) -> list[SearchHit]:
        """Ranked documents for QUERY among those the viewer may see.

        Superseded and obsolete documents are demoted, each below a successor that matches too
        (index/search.py); each hit carries its currency and the review date its fields give.
        """
        scope = self.scope(filters)

        def compute() -> list[SearchHit]:
            hits = self._searcher.search(query, limit=limit, filters=scope, mode=mode)
            return [replace(h, review_by=self._review_by(h)) for h in hits]

        return self._cached("search", (query, scope, limit, mode), compute)

    def _review_by(self, hit: SearchHit) -> dt.date | None:
        doc = Document(hit.doc_id, hit.kind, hit.title, hit.path, hit.date, hit.metadata)
        return lifecycle.review_dates(doc, self.review_policy).review_by

    def find(
        self,
        query: str,
        filters: SearchFilters | None = None,
        *,
        limit: int = 10,
        mode: Mode = "hybrid",
        exact: bool = False,
    ) -> Findings:
        """QUERY searched as an interface shows it: hits with the relevance floor, a typo
        corrected from the viewer's own vocabulary (unless EXACT), and whether any visible
        document uses its words."""
        asked = " ".join(query.split())
        hits = self.search(asked, filters, limit=limit, mode=mode)
        correction = self.did_you_mean(asked, filters) if asked else None
        searched = asked
        if correction is not None and not exact:
            # Searched instead only when the words as typed match nothing and the correction
            # does: a suggestion that finds nothing either is not offered.
            better = self.search(correction.query, filters, limit=limit, mode=mode)
            if not any(not h.weak for h in better):
                correction = None
            elif not any(not h.weak for h in hits):
                searched, hits = correction.query, better
        # A search whose keyword half ran already knows whether a visible document uses a word
        # of the query (the floor reads it too): no second search for the notice.
        measured = [h.evidence for h in hits if h.evidence is not None]
        if searched and mode != "dense" and measured:
            uses = measured[0].known_words
        else:
            uses = bool(searched) and self.uses_words(searched, filters)
        return Findings(asked, searched, tuple(hits), uses, correction)

    def did_you_mean(self, query: str, filters: SearchFilters | None = None) -> Correction | None:
        """QUERY with its one-edit typos corrected from words of documents the viewer may see."""
        scope = self.scope(filters)
        searcher = self._searcher
        whole = self.count_tokens("") + 1  # a word the model reads as one piece
        vocabulary = spelling.Vocabulary(
            documents_using=lambda word: searcher.documents_using(word, scope),
            used=lambda word: searcher.uses(word, scope),
            written=lambda word: searcher.written(word, scope),
            known=searcher.known_words,
            is_word=lambda word: (
                searcher.count_tokens is not None and self.count_tokens(word) <= whole
            ),
        )
        return self._cached("spelling", (query, scope), lambda: spelling.correct(query, vocabulary))

    def uses_words(self, query: str, filters: SearchFilters | None = None) -> bool:
        """True when a visible document contains a word of QUERY (keyword search finds it)."""
        return bool(self.search(query, filters, limit=1, mode="keyword"))

    def only_hidden_use_words(self, query: str) -> bool:
        """True when no visible document, but one the viewer may not see, has a word of QUERY.

        The one read beyond the viewer's groups, and only a yes/no: the search log keeps it so
        the gaps page can say "exists, but restricted for those who asked" without naming what.
        """
        if self.uses_words(query) or self.viewer.sees_everything:
            return False
        everyone = Archive(self._searcher, Viewer.everything("restricted-words check"))
        return everyone.uses_words(query)

    def for_everyone(self) -> Archive:
        """This snapshot as someone without groups sees it: only what everyone may read.

        Never more than this viewer sees: what it answers, anyone who may open the portal
        may read (the gaps page asks whether a topic is answered for every asker).
        """
        return Archive(self._searcher, Viewer(name="everyone"), self.expertise)

    def only_hidden_answer(self, query: str) -> bool:
        """True when nothing the viewer may see matches QUERY above the relevance floor, but a
        document beyond their groups does.

        Like `only_hidden_use_words`, one yes/no and nothing of what was found: the gaps page
        says "exists, but restricted for those who asked".
        """
        if self.viewer.sees_everything or any(not h.weak for h in self.search(query)):
            return False
        everyone = Archive(self._searcher, Viewer.everything("restricted-answer check"))
        return any(not h.weak for h in everyone.search(query))

    def query_vector(self, text: str) -> np.ndarray:
        """The model's vector for TEXT (a query; no document is read)."""
        return self._searcher.embed_query(text)

    def count_tokens(self, text: str) -> int:
        """Word pieces of TEXT as the model counts them (plans are cut to its window)."""
        count = self._searcher.count_tokens
        return count(text) if count is not None else 2 + (len(text.split()) * 4 + 2) // 3

    def warm(self) -> None:
        """Load what a first search or plan check needs (query encoder, chunk table, the
        model's tokenizer, and the rows a small archive's searches read) now."""
        self._searcher.search("warm up the index", limit=1)
        self._searcher.warm()
        self.count_tokens("warm up the tokenizer")

    def prepare(self) -> None:
        """Build this viewer's derived tables now (cached per snapshot and access key): the
        incident set and its recurrences, and who appears where. A first plan check, incident
        page or experts page then finds them ready."""
        self.recurring()
        self._people_index()

    def more_like(
        self, doc_id: str, filters: SearchFilters | None = None, *, limit: int = 10
    ) -> tuple[Document | None, list[SearchHit]]:
        """The document DOC_ID (None when not visible) and the visible documents like it."""
        doc = self.document(doc_id)
        if doc is None:
            return None, []
        hits = self.search(like_query(doc), filters, limit=limit + 1)
        return doc, [h for h in hits if h.doc_id != doc.doc_id][:limit]

    # -- incidents --------------------------------------------------------------------

    def incident_set(self) -> incidents.IncidentSet:
        """Pairwise failure-mode signals over the post-mortems the viewer may see."""
        postmortems = SearchFilters(kinds=("postmortem",))

        def compute() -> incidents.IncidentSet:
            docs = catalog.documents(self._cur(), self.scope(postmortems))
            if not self.incident_text:  # stored passage vectors only (for comparison)
                return incidents.load(
                    self._cur(), self._searcher.snapshot.vectors, docs, self.incident_params
                )
            descriptions = self._failure_mode_descriptions()
            return incidents.load(
                self._cur(),
                self._searcher.snapshot.vectors,
                docs,
                self.incident_params,
                read=self._incident_reader(docs, descriptions),
                descriptions=descriptions,
            )

        return self._cached("incident-set", (self.incident_params, self.incident_text), compute)

    def _failure_mode_descriptions(self) -> Any:
        """The vocabulary's descriptions embedded by this snapshot's model (no document read)."""
        embed = self._searcher.embed_query

        def compute() -> Any:
            hashes = [failure_modes.text_hash(t) for t in failure_modes.description_texts()]
            stored = catalog.failure_mode_vectors(self._cur(), hashes)  # embedded at ingest
            return failure_modes.description_vectors(embed, stored)

        return self._searcher.cache.get(("failure-mode-descriptions",), compute)

    def _incident_reader(
        self, docs: list[Document], descriptions: Any
    ) -> Callable[[Document], Any]:
        """Post-mortems' vectors (stored at ingest) and failure-mode readings, remembered.

        Shared by every viewer on purpose: a reading is computed from one document's own text
        and handed out only for documents the asking viewer may see (DOCS, the caller's list),
        so sharing it reveals nothing. An index built before incident vectors were stored has
        none: those post-mortems are embedded here, once per snapshot.
        """
        memo: dict[str, Any] = self._searcher.cache.get(("incident-readings",), dict)
        embed = self._searcher.embed_query
        stored = catalog.incident_vectors(
            self._cur(), [d.doc_id for d in docs if d.doc_id not in memo]
        )

        def read(doc: Document) -> Any:
            found = memo.get(doc.doc_id)
            if found is None:
                vectors = stored.get(doc.doc_id)
                found = (
                    incidents.reading(doc, *vectors, descriptions)
                    if vectors is not None
                    else incidents.read_document(doc, embed, descriptions)
                )
                memo[doc.doc_id] = found
            return found

        return read

    def similar_incidents(
        self, doc: Document | str, *, limit: int = 5
    ) -> incidents.SimilarPanel | None:
        """Visible post-mortems sharing DOC's failure mode, in tiers, each with its signals.

        None when DOC is missing or not visible (alike, on purpose).
        """
        doc_id = doc if isinstance(doc, str) else doc.doc_id
        seed = self.document(doc_id, kind="postmortem")
        if seed is None:
            return None
        found = self.incident_set()
        panel = incidents.similar(found, seed, limit=limit + len(self.pair_verdicts.unrelated))
        panel = pair_verdicts.apply_to_panel(panel, self.pair_verdicts, found)
        return replace(
            panel, same=panel.same[:limit], related=panel.related[: limit - len(panel.same[:limit])]
        )

    def recurring(self) -> list[recurrence.Cluster]:
        """Failure-mode clusters of two or more visible post-mortems, largest first."""
        return self._cached(
            "recurring",
            (self.incident_params, self.incident_text, self.pair_verdicts),
            lambda: pair_verdicts.join_clusters(
                recurrence.clusters(self.incident_set()), self.pair_verdicts, self.incident_set()
            ),
        )

    def recurrence_of(self, doc_id: str) -> recurrence.Cluster | None:
        """The visible cluster DOC_ID belongs to (None when it recurs nowhere the viewer sees)."""
        return next((c for c in self.recurring() if doc_id in c.doc_ids), None)

    def action_items(
        self,
        filters: SearchFilters | None = None,
        how: action_items.ItemFilter | None = None,
        *,
        today: dt.date | None = None,
    ) -> list[action_items.ActionItem]:
        """Action items of the visible post-mortems under FILTERS (team, service, severity…)."""
        docs = self.documents(merge(filters, kinds=("postmortem",)))
        resolve = self._people_index().directory.resolve
        found = action_items.items_of(docs, today or dt.date.today(), resolve)
        return action_items.select(found, how or action_items.ItemFilter(), resolve)

    def trends(self, filters: SearchFilters | None = None) -> trends.Trends:
        """Chart rows over the visible post-mortems under FILTERS."""
        docs = self.documents(merge(filters, kinds=("postmortem",)))
        return trends.trends(docs, self.recurring())

    # -- documents and listings ---------------------------------------------------------

    def documents(
        self, filters: SearchFilters | None = None, *, limit: int | None = None
    ) -> list[Document]:
        """Visible documents matching FILTERS, newest first."""
        scope = self.scope(filters)
        return self._cached(
            "documents", (scope, limit), lambda: catalog.documents(self._cur(), scope, limit=limit)
        )

    def document(self, doc_id: str, *, kind: str | None = None) -> Document | None:
        """One visible document (of KIND when given); None when missing or not visible."""
        if not doc_id:
            return None
        scope = self.scope(SearchFilters(kinds=(kind,) if kind else ()))
        return self._cached(
            "document", (doc_id, scope), lambda: catalog.document(self._cur(), doc_id, scope)
        )

    def successor(self, doc: Document | str) -> Document | None:
        """The visible document that replaces DOC (None: not superseded, or not for this viewer)."""
        found = self.document(doc if isinstance(doc, str) else doc.doc_id)
        named = lifecycle.currency(found.metadata).superseded_by if found else None
        return self.document(named) if named else None

    def predecessors(self, doc: Document | str) -> list[Document]:
        """Visible documents that name DOC as their successor, newest first."""
        found = self.document(doc if isinstance(doc, str) else doc.doc_id)
        if found is None:
            return []
        return self._cached(
            "predecessors",
            found.doc_id,
            lambda: catalog.predecessors(self._cur(), found.doc_id, self.scope()),
        )

    def facet_counts(
        self, filters: SearchFilters | None = None
    ) -> dict[str, list[tuple[str, int]]]:
        """Per facet, (value, visible documents) under FILTERS, most common first."""
        scope = self.scope(filters)
        return self._cached("facets", scope, lambda: catalog.facet_counts(self._cur(), scope))

    def segments(self, doc_id: str) -> list[Segment]:
        """A visible transcript's cues in order; nothing for a document the viewer may not see."""
        if self.document(doc_id) is None:
            return []
        return self._cached("segments", doc_id, lambda: catalog.segments(self._cur(), doc_id))

    def chapters(self, doc_id: str) -> list[Chapter]:
        """A visible recording's chapters in time order; nothing for one the viewer may not see."""
        if self.document(doc_id) is None:
            return []
        return self._cached("chapters", doc_id, lambda: catalog.chapters(self._cur(), doc_id))

    def related(self, doc: Document) -> list[Document]:
        """Visible documents DOC names in `related`, and visible ones that name it."""
        return self._cached(
            "related", doc.doc_id, lambda: catalog.related(self._cur(), doc, self.scope())
        )

    def local_media(self, doc: Document, name: str) -> Path | None:
        """A media file NAME beside a visible transcript's own file (or below its folder)."""
        # Content is untrusted: `recording: /etc/passwd` must not turn the portal into a
        # file server, so only media files in the transcript's own folder are served.
        if "://" in name or self.document(doc.doc_id) is None:
            return None
        source = next(
            (f.source_key for f in catalog.file_states(self._cur()) if f.doc_id == doc.doc_id),
            None,
        )
        if source is None:
            return None
        folder = Path(source).parent.resolve()
        path = (folder / name).resolve()
        ok = path.is_relative_to(folder) and path.is_file()
        return path if ok and path.suffix.lower() in MEDIA_SUFFIXES else None

    def source_file(self, doc_id: str) -> Path | None:
        """The file a visible document was read from (to download it), when it still exists."""
        if self.document(doc_id) is None:
            return None
        source = next(
            (f.source_key for f in catalog.file_states(self._cur()) if f.doc_id == doc_id), None
        )
        path = Path(source) if source else None
        return path if path is not None and path.is_file() else None

    def understood(self, key: str) -> Understood | None:
        """What ingest made of one file, by document id or path (as given to ingest, or any
        path to it); None when the viewer may not see it or nothing matches (alike)."""
        doc = self.document(key)
        files = self.file_states()
        if doc is not None:
            state = next((f for f in files if f.doc_id == doc.doc_id), None)
        else:
            wanted = {key, os.path.normpath(key), os.path.abspath(key)}
            state = next((f for f in files if f.path in wanted or f.source_key in wanted), None)
            tail = "/" + os.path.normpath(key).lstrip("./")
            ends = [f for f in files if f.source_key.endswith(tail)]
            state = state or (ends[0] if len(ends) == 1 else None)  # a unique end of a path
            if state is None:
                return None
            if state.doc_id:
                doc = self.document(state.doc_id)
                if doc is None:
                    return None
        return understood(doc, state, self._recording_of(doc) if doc else None)

    def _recording_of(self, doc: Document) -> str | None:
        raw = doc.metadata.get("recording")
        if not isinstance(raw, str) or not raw.strip():
            return None
        if raw.lower().startswith(("http://", "https://")):
            return raw
        local = self.local_media(doc, raw.strip())
        return str(local) if local else None

    def changes(
        self, since: dt.datetime, filters: SearchFilters | None = None
    ) -> list[catalog.DocumentChange]:
        """Visible documents new or changed since SINCE (naive local time), latest first."""
        return catalog.changes_since(self._cur(), since, self.scope(filters))

    # -- people -----------------------------------------------------------------------

    def experts(
        self, query: str = "", *, limit: int = 10, today: dt.date | None = None
    ) -> list[ExpertiseMatch]:
        """People who know about QUERY, by the evidence of the documents the viewer may see.

        Without a query: every visible profile, by name.
        """
        query = " ".join(query.split())
        today = today or dt.date.today()
        params = self.expertise
        if not query:
            index = self._people_index()
            people = sorted(index.directory.profiles, key=lambda p: p.name)
            return [ExpertiseMatch(p, 0.0) for p in people][:limit]

        def compute() -> list[ExpertiseMatch]:
            votes = expertise.topic_votes(self._searcher, query, self.scope(), params)
            return expertise.rank(
                self._people_index(), votes, query, params, today=today, limit=limit
            )

        return self._cached("experts", (query, limit, today, params), compute)

    def _people_index(self) -> PeopleIndex:
        """Who appears in which visible document (built once per snapshot and access key)."""
        access = self.scope().access
        return self._cached("people-index", (), lambda: PeopleIndex.build(self._cur(), access))

    def who(self, name: str) -> Person | None:
        """The person NAME (a name, e-mail or handle) stands for, among the visible profiles."""
        name = " ".join(str(name or "").split())
        index = self._people_index()
        found = index.directory.resolve(name) if name else None
        return index.people.get(found.key, found) if found else None

    def person(self, key: str) -> Person | None:
        """A person by their key, profile or not; None unless a visible document names them."""
        return self._people_index().person(key) if key else None

    def person_evidence(self, key: str) -> list[EvidenceItem]:
        """Everything that ties the person KEY to visible documents, newest first."""
        return expertise.person_evidence(self._people_index(), key, self.expertise)

    def person_topics(self, key: str, *, limit: int = 12) -> list[tuple[str, float]]:
        """Topics inferred from the person's evidence: key phrases of their documents."""
        index = self._people_index()
        evidence = expertise.person_evidence(index, key, self.expertise)
        return expertise.inferred_topics(index, evidence, limit=limit)

    def people(self) -> list[Expert]:
        """Every visible expert profile, by name."""
        access = self.scope().access
        return self._cached("people", None, lambda: catalog.experts(self._cur(), access))

    def expert(self, key: str) -> Expert | None:
        """The visible expert whose id, document id, id's last part or name is KEY."""
        if not key:
            return None
        name = " ".join(key.split()).casefold()
        return next(
            (
                e
                for e in self.people()
                if key in (e.expert_id, e.doc_id)
                or e.expert_id.rsplit("/", 1)[-1] == key
                or " ".join(e.name.split()).casefold() == name
            ),
            None,
        )

    def evidence(self, expert: Expert) -> list[Document]:
        """Visible documents the expert wrote, presented or spoke in, newest first."""
        return self._cached(
            "evidence", expert, lambda: expert_evidence(self._cur(), expert, self.scope())
        )

    # -- the index itself -------------------------------------------------------------

    def stats(self) -> catalog.IndexStats:
        """Counts of what the viewer may see, the model and the last ingest."""
        return self._cached("stats", None, lambda: catalog.stats(self._cur(), self.scope()))

    def index_bytes(self) -> int | None:
        """Size of this version on disk, for the operator only (it grows with every document)."""
        if not (self.viewer.operator or self.viewer.sees_everything):
            return None
        folder = self._searcher.snapshot.generation
        return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())

    def file_states(self) -> list[FileState]:
        """Ingest state of every file the viewer may know about.

        Files that failed or were skipped made no document, so their access groups are unknown:
        only the operator (auth none, the CLI), admins and the editors group see them.
        """
        unparsed = self.viewer.sees_failures
        return catalog.file_states(self._cur(), self.scope().access, unparsed=unparsed)

    def own_problems(self) -> list[FileState]:
        """Files that failed or were skipped and name the viewer as theirs (author, owner,
        presenter, speaker, e-mail), so the person who can fix a file hears of it.

        The file's own front matter decides (index.failures), as ingest would have: a file
        whose `access:` leaves the viewer out is not theirs to hear of, nor is one whose last
        good version they may not see.
        """
        directory = self._people_index().directory
        me = {directory.key_of(x) for x in (self.viewer.email, self.viewer.name) if x} - {""}
        if not me:
            return []
        out = []
        for state in catalog.file_states(self._cur(), None, unparsed=True):
            if state.state == "indexed":
                continue
            found = failures.claimed(Path(state.source_key))
            if found.access is not None and not self.viewer.may_see(found.access):
                continue
            if state.doc_id and self.document(state.doc_id) is None:
                continue
            if {directory.key_of(p) for p in found.people} & me:
                out.append(state)
        return out
