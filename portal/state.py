"""Page state kept in the URL, so that every view can be shared as a link.

Each page declares its parameters. On every run `seed()` compares the URL with what the page
last wrote: when they differ (first visit, a shared link, a page link, the back button), the
URL wins and refills the page's values; otherwise the widgets win. `publish()` writes the
values back, omitting defaults so that links stay short. Query parameters are untrusted
strings: every parser accepts anything and falls back to the default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

MAX_TEXT = 300  # longer query strings are cut: nobody types more into a search box


@dataclass(frozen=True)
class Param:
    """One URL parameter: how to read it from its raw values and write it back."""

    name: str
    default: Any
    parse: Callable[[list[str]], Any]
    dump: Callable[[Any], list[str]]


def _first(values: list[str]) -> str:
    return values[0].strip()[:MAX_TEXT] if values else ""


def text(name: str) -> Param:
    return Param(name, "", _first, lambda v: [v] if v else [])


def choice(name: str, options: Sequence[str], default: str) -> Param:
    allowed = tuple(options)
    return Param(
        name, default, lambda vs: _first(vs) if _first(vs) in allowed else default, lambda v: [v]
    )


def many(name: str) -> Param:
    def parse(values: list[str]) -> list[str]:
        cleaned = (v.strip()[:MAX_TEXT] for v in values)
        return list(dict.fromkeys(v for v in cleaned if v))[:50]

    return Param(name, [], parse, list)


def integer(name: str) -> Param:
    """A non-negative whole number (seconds, counts); None when absent or not a number."""

    def parse(values: list[str]) -> int | None:
        try:
            number = int(float(_first(values)))
        except (ValueError, OverflowError):
            return None
        return number if 0 <= number < 10**7 else None

    return Param(name, None, parse, lambda v: [] if v is None else [str(int(v))])


def day(name: str) -> Param:
    def parse(values: list[str]) -> dt.date | None:
        try:
            return dt.date.fromisoformat(_first(values)[:10])
        except ValueError:
            return None

    return Param(name, None, parse, lambda v: [v.isoformat()] if v else [])


class PageState:
    """The URL-backed values of one page. Widgets bind to `widget_key(name)`."""

    def __init__(
        self,
        page: str,
        params: Sequence[Param],
        *,
        composite: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.page = page
        self.params = {p.name: p for p in params}
        # widgets that show several params at once (a date range): name -> params
        self.composite = composite or {}
        self._seen = f"_url.{page}"

    def key(self, name: str) -> str:
        return f"{self.page}.{name}"

    def widget_key(self, name: str) -> str:
        return f"{self.page}.w.{name}"

    @staticmethod
    def _url() -> dict[str, list[str]]:
        return {k: st.query_params.get_all(k) for k in st.query_params}

    def _encoded(self) -> dict[str, list[str]]:
        out = {}
        for name, param in self.params.items():
            value = self.get(name)
            if value != param.default:
                dumped = param.dump(value)
                if dumped:
                    out[name] = dumped
        return out

    def seed(self) -> None:
        """Take the URL's values when the URL changed since this page last wrote it."""
        url = self._url()
        if st.session_state.get(self._seen) == {k: url[k] for k in url if k in self.params}:
            self._take_widgets()
            return
        for name, param in self.params.items():
            st.session_state[self.key(name)] = param.parse(url.get(name, []))
            st.session_state.pop(self.widget_key(name), None)  # the widget follows the URL
        for name in self.composite:
            st.session_state.pop(self.widget_key(name), None)
        st.session_state[self._seen] = {k: url[k] for k in url if k in self.params}

    def _take_widgets(self) -> None:
        # A widget changed by the user holds its new value from the start of the run, but the
        # page value only follows when the widget is drawn: without this, anything computed
        # before that (facet counts drawn above the facet) would use the previous value.
        for name in self.params:
            wkey = self.widget_key(name)
            if wkey in st.session_state:
                st.session_state[self.key(name)] = st.session_state[wkey]
        for widget, names in self.composite.items():
            value = st.session_state.get(self.widget_key(widget))
            if value is None:
                continue
            picked = list(value) if isinstance(value, tuple | list) else [value]
            for i, name in enumerate(names):
                default = self.params[name].default
                st.session_state[self.key(name)] = picked[i] if i < len(picked) else default

    def get(self, name: str) -> Any:
        param = self.params[name]
        return st.session_state.get(self.key(name), param.default)

    def set(self, name: str, value: Any) -> None:
        """Change a value (from a callback or before its widget is drawn)."""
        st.session_state[self.key(name)] = value
        st.session_state.pop(self.widget_key(name), None)
        for widget, names in self.composite.items():
            if name in names:
                st.session_state.pop(self.widget_key(widget), None)

    def update(self, **values: Any) -> None:
        for name, value in values.items():
            self.set(name, value)

    def reset(self, *names: str) -> None:
        for name in names or tuple(self.params):
            self.set(name, self.params[name].default)

    def widget(self, name: str, draw: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Draw a widget bound to NAME: it starts from the page value and writes back to it."""
        wkey = self.widget_key(name)
        if wkey not in st.session_state:
            st.session_state[wkey] = self.get(name)
        value = draw(*args, key=wkey, **kwargs)
        st.session_state[self.key(name)] = value
        return value

    def link(self, **overrides: Any) -> dict[str, list[str] | str]:
        """Query params for a link to this page with OVERRIDES applied to the current values."""
        out: dict[str, list[str] | str] = {}
        for name, param in self.params.items():
            value = overrides[name] if name in overrides else self.get(name)
            if value != param.default:
                dumped = param.dump(value)
                if dumped:
                    out[name] = dumped if len(dumped) > 1 else dumped[0]
        return out

    def publish(self) -> None:
        """Write the page's values to the URL (defaults omitted).

        Written on every run, even when the values equal the query this run started from: a
        link to this same page (a document in a list) reruns it with the link's query but leaves
        the browser's address as it was, and this is what moves the address (and history) on.
        The browser pushes a history entry only when the address actually changes.
        """
        encoded = self._encoded()
        st.query_params.from_dict(encoded)
        st.session_state[self._seen] = encoded
