"""Errors components raise, readable by both the Pulumi engine and Strata's own tools."""

from __future__ import annotations

from collections.abc import Iterable

import pulumi

from strata.declarations.errors import Problem, SpecError


class InvalidSpecError(SpecError, pulumi.InputPropertiesError):
    """A component's declaration is invalid; raised before the component registers anything.

    It is a :class:`SpecError` (every problem, with its path and value) and the SDK's
    ``InputPropertiesError``, which the engine shows as one line per property path.
    """

    def __init__(self, problems: Iterable[Problem], source: str | None = None, note: str | None = None) -> None:
        SpecError.__init__(self, problems, source, note)
        self.message = str(self)
        self.errors = [{"property_path": p.path, "reason": str(p).partition(": ")[2]} for p in self.problems]

    @classmethod
    def from_spec_error(cls, err: SpecError) -> InvalidSpecError:
        return cls(err.problems, err.source, err.note)
