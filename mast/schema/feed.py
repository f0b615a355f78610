"""The feed-definition format: how one partner's extract maps onto canonical records.

A definition is a YAML file (documented in docs/feeds.md). Adding a partner is a
new file, never new code. This module only validates the structure; reading files
and applying the mapping belong to ``mast.loaders``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mast.schema.records import DATE_FIELDS, DATETIME_FIELDS, MAPPABLE_FIELDS, AgencyKind

NameSplit = Literal["surname_comma_forenames", "forenames_surname", "surname_forenames"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """Where one canonical field comes from, and how to read it."""

    column: str | None = None
    columns: tuple[str, ...] | None = Field(
        default=None, description="several columns joined (multi-field addresses)"
    )
    value: str | None = Field(default=None, description="a constant for every row")
    join: str = ", "
    map: dict[str, str] | None = Field(
        default=None, description="partner code → canonical value, matched ignoring case"
    )
    default: str | None = Field(default=None, description="value when a code is not in map")
    formats: tuple[str, ...] | None = Field(
        default=None, description="strptime formats, tried in order; 'excel' for serials"
    )
    split: NameSplit | None = None
    optional: bool = Field(default=False, description="the column may be absent from a file")

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        sources = [s for s in (self.column, self.columns, self.value) if s is not None]
        if len(sources) != 1:
            raise ValueError("give exactly one of column, columns or value")
        return self

    @property
    def source_columns(self) -> tuple[str, ...]:
        if self.column is not None:
            return (self.column,)
        return self.columns or ()


class AgencySpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    kind: AgencyKind


class FeedDefinition(_Strict):
    """One partner extract layout."""

    feed: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="short unique name")
    description: str = ""
    agency: AgencySpec
    files: tuple[str, ...] = Field(min_length=1, description="file-name glob patterns")
    encoding: str = "utf-8"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quotechar: str = Field(default='"', min_length=1, max_length=1)
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    datetime_formats: tuple[str, ...] = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
    record_id: tuple[str, ...] = Field(
        min_length=1, description="columns whose values together identify a row"
    )
    required: tuple[str, ...] = ("occurred_at",)
    address_is: Literal["home", "event"] = Field(
        default="home",
        description="home: where the person lives (the graph derives LIVED_AT from it); "
        "event: only where the event happened, such as a police incident's location",
    )
    fields: dict[str, FieldSpec]

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        unknown = sorted(set(fields) - MAPPABLE_FIELDS)
        if unknown:
            raise ValueError(
                f"unknown canonical fields {unknown}; allowed: {sorted(MAPPABLE_FIELDS)}"
            )
        return fields

    @model_validator(mode="after")
    def _consistent(self) -> FeedDefinition:
        if "occurred_at" not in self.fields:
            raise ValueError("every feed must map occurred_at (the date of the interaction)")
        missing = sorted(set(self.required) - set(self.fields))
        if missing:
            raise ValueError(f"required fields {missing} are not mapped in fields")
        for name, spec in self.fields.items():
            if spec.split and name != "full_name":
                raise ValueError(f"{name}: split applies to full_name only")
            if spec.formats and name not in DATE_FIELDS | DATETIME_FIELDS:
                raise ValueError(f"{name}: formats apply to date fields only")
        return self

    def matches(self, file_name: str) -> bool:
        return any(fnmatch.fnmatch(file_name.lower(), p.lower()) for p in self.files)

    def formats_for(self, field: str) -> tuple[str, ...]:
        spec = self.fields[field]
        if spec.formats:
            return spec.formats
        if field in DATETIME_FIELDS:
            # A date-only column (`20251231`) is a valid time of interaction too.
            return tuple(dict.fromkeys(self.datetime_formats + self.date_formats))
        return self.date_formats

    def required_columns(self) -> set[str]:
        """Header names a file must have; optional fields may be absent."""
        cols = set(self.record_id)
        for spec in self.fields.values():
            if not spec.optional:
                cols.update(spec.source_columns)
        return cols


def event_feeds(feeds: Mapping[str, FeedDefinition]) -> frozenset[str]:
    """The feeds whose address is only where an event happened (`address_is: event`): the
    resolver never counts such an address against a match."""
    return frozenset(name for name, f in feeds.items() if f.address_is == "event")
