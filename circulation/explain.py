"""Why two incidents look alike, in words: the portal's similar panel and `hindsight similar`.

The similarity signals are weighted contributions with no unit a reader knows
(index.incidents); what a reader needs is which of them carried the match and how strongly.
"""

from __future__ import annotations

from index.incidents import SimilarIncident, SimilarityParams

# Share of a signal's full weight from which it reads as strong or partial.
STRONG, PARTIAL = 0.6, 0.3
_WEIGHTS = SimilarityParams().weights()


def _strength(name: str, value: float) -> float:
    weight = _WEIGHTS.get(name, 0.0)
    return value / weight if weight > 0 else 0.0


def _listed(values: tuple[str, ...], limit: int = 3) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def reasons(item: SimilarIncident) -> list[str]:
    """The signals behind ITEM, the one that added most to the score first, as short phrases.

    'root causes and triggers read alike', 'shares ledger-db', 'same team (payments)' …
    """
    out: list[tuple[float, str]] = []
    for name, value in item.signals.items():
        if value <= 0:
            continue
        strength = _strength(name, value)
        if name == "cause meaning":
            word = "read alike" if strength >= STRONG else "partly alike"
            word = word if strength >= PARTIAL else "faintly alike"
            out.append((value, f"root causes and triggers {word}"))
        elif name == "write-up meaning":
            word = "alike" if strength >= STRONG else "partly alike"
            out.append((value, f"write-ups read {word}"))
        elif name == "services":
            shared = item.shared.get("services", ())
            out.append((value, f"shares {_listed(shared)}" if shared else "shared services"))
        elif name == "tags":
            shared = item.shared.get("tags", ())
            out.append((value, f"tagged {_listed(shared)}" if shared else "shared tags"))
        elif name == "team":
            shared = item.shared.get("teams", ())
            out.append((value, f"same team ({_listed(shared)})" if shared else "same team"))
    out.sort(key=lambda pair: -pair[0])  # stable: equal contributions keep the signals' order
    return [text for _, text in out]


def sentence(item: SimilarIncident) -> str:
    """REASONS as one line: 'Root causes and triggers read alike · shares ledger-db'."""
    found = reasons(item)
    if not found:
        return "Nothing specific in common"
    first, *rest = found
    return " · ".join([first[0].upper() + first[1:], *rest])
