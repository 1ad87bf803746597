"""The base of every pipeline-file model: strict about keys, immutable once loaded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """Unknown keys are errors so a typo never passes silently; loaded specs are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Keys users may know from the design but that this version does not implement yet,
    # with the message to show instead of a plain "unknown key".
    not_yet_supported: ClassVar[Mapping[str, str]] = {}
    # Fields set by the loader, never written in the file.
    internal_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def yaml_keys(cls) -> list[str]:
        """The keys this section accepts in the file, in declaration order."""
        return [
            field.alias or name
            for name, field in cls.model_fields.items()
            if name not in cls.internal_fields
        ]
