"""Who is who across documents: one key per person, however their name is spelt.

Documents name people by hand: "Tomás Ortega", "tomas ortega", "tomas.ortega@kestrel.example",
"Tomás Ortega <tomas.ortega@…>", or a nickname. A name is folded (NFKD, accents stripped,
case folded, punctuation dropped) and looked up among the profiles' names, e-mails and
`aliases:`; a name no profile claims is a person without a profile, keyed by its folded form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from index.models import Expert

_ANGLE_EMAIL = re.compile(r"^(.*?)<\s*([^<>@\s]+@[^<>\s]+)\s*>\s*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def fold(text: str) -> str:
    """A name as compared: accents stripped, case folded, separators as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+|_", " ", plain).split())


def name_key(name: str) -> str:
    """The URL-safe key of a name: 'Tomás Ortega' → 'tomas-ortega'."""
    return fold(name).replace(" ", "-")


def split_contact(raw: str) -> tuple[str, str]:
    """(name, e-mail) from 'Name <mail>', a bare e-mail or a bare name ('' where absent)."""
    text = " ".join(raw.split())
    found = _ANGLE_EMAIL.match(text)
    if found:
        return found.group(1).strip().strip('"'), found.group(2).casefold()
    if _EMAIL.match(text):
        return "", text.casefold()
    return text, ""


def _accents(text: str) -> int:
    return sum(1 for c in unicodedata.normalize("NFKD", text) if unicodedata.combining(c))


def preferred(person: Person) -> tuple[bool, bool, int]:
    """How good a spelling of a person is: a profile's, then a name over an e-mail or handle,
    then the most accents ("Björn" is the careful spelling of "Bjorn")."""
    plain = "@" not in person.name
    return person.has_profile, plain, _accents(person.name)


@dataclass(frozen=True)
class Person:
    """Someone documents name; EXPERT is their profile when the viewer may see one."""

    key: str  # name_key of their canonical name: stable, used in URLs
    name: str
    expert: Expert | None = None

    @property
    def expert_id(self) -> str | None:
        return self.expert.expert_id if self.expert else None

    @property
    def has_profile(self) -> bool:
        return self.expert is not None


class Directory:
    """Resolves names to people: profiles first (name, e-mail, aliases), then anyone else."""

    def __init__(self, profiles: Iterable[tuple[Expert, Iterable[str]]]) -> None:
        self._by_name: dict[str, Person] = {}
        self._by_email: dict[str, Person] = {}
        self._others: dict[str, Person] = {}
        for expert, aliases in profiles:
            person = Person(name_key(expert.name), expert.name, expert)
            for alias in (expert.name, *aliases):
                name, email = split_contact(str(alias))
                if fold(name):
                    self._by_name.setdefault(fold(name), person)
                if email:
                    self._by_email.setdefault(email, person)
            if expert.email:
                self._by_email.setdefault(expert.email.casefold(), person)

    @property
    def profiles(self) -> list[Person]:
        return list({p.key: p for p in self._by_name.values()}.values())

    def resolve(self, raw: str) -> Person | None:
        """The person RAW names; None when it names nobody (empty, punctuation)."""
        name, email = split_contact(raw)
        if email and email in self._by_email:
            return self._by_email[email]
        if fold(name) in self._by_name:
            return self._by_name[fold(name)]
        if not fold(name):
            if not email:
                return None
            name = email.split("@", 1)[0].replace(".", " ").title()  # a bare unknown e-mail
            if fold(name) in self._by_name:
                return self._by_name[fold(name)]
        key = name_key(name)
        known = self._others.get(key)
        # "Ines" and "Inês" are one person; the accented spelling is the careful one.
        if known is None or _accents(name) > _accents(known.name):
            self._others[key] = Person(key, name.strip())
        return self._others[key]

    def key_of(self, raw: str) -> str:
        """The key of the person RAW names, as `resolve` finds it, without recording anyone
        ('' when it names nobody): a lookup that leaves the directory as it was."""
        name, email = split_contact(raw)
        if email and email in self._by_email:
            return self._by_email[email].key
        if not fold(name) and email:
            name = email.split("@", 1)[0].replace(".", " ").title()
        if fold(name) in self._by_name:
            return self._by_name[fold(name)].key
        return name_key(name) if fold(name) else ""

    def by_key(self, key: str) -> Person | None:
        """A person seen so far by their key (profiles' keys always resolve)."""
        for person in self._by_name.values():
            if person.key == key:
                return person
        return self._others.get(key)
