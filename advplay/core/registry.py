"""Name -> factory registries.

The UI fills its menus from these and config files store the names, never display labels.
A new target, loss or model is one decorated function or class; nothing else needs editing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered item: its key, a one-line description and the object itself."""

    name: str
    description: str
    factory: T


class Registry(Generic[T]):
    """A plain ordered map from names to factories, filled by :meth:`register`.

    Parameters
    ----------
    kind
        What the registry holds ("target", "loss", ...), used in error messages.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str, description: str) -> Callable[[T], T]:
        """Decorator that registers ``factory`` under ``name``."""

        def decorate(factory: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = Entry(name, description, factory)
            return factory

        return decorate

    def __getitem__(self, name: str) -> T:
        return self.entry(name).factory

    def entry(self, name: str) -> Entry[T]:
        """The entry for ``name``; ``KeyError`` naming the allowed names if unknown."""
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(
                f"unknown {self.kind} {name!r}; allowed: {', '.join(self._entries)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return list(self._entries)

    def entries(self) -> list[Entry[T]]:
        return list(self._entries.values())
