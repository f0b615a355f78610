"""One row of a partner file → a canonical record, or a reason to quarantine it.

Everything here is driven by the feed definition: no partner is named in code.
Invalid identifying values (an NHS number failing Mod-11, a malformed postcode, an
impossible date of birth) are dropped from the record with a warning code; a row
is quarantined only when a required field is unusable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any

from mast.core.errors import FileRejected
from mast.loaders.cleanse import addresses, dates, identifiers, names
from mast.schema import bounds
from mast.schema.feed import FeedDefinition, FieldSpec
from mast.schema.records import DATE_FIELDS, AgencyKind, CanonicalRecord, Sex
from mast.schema.tables import RECORD_COLUMNS
from mast.text import postcodes
from mast.text.fold import ascii_digits, clean_text
from mast.text.streets import tidy_place

log = logging.getLogger(__name__)

_SEX_CODES = {
    "f": "female",
    "female": "female",
    "w": "female",
    "woman": "female",
    "girl": "female",
    "m": "male",
    "male": "male",
    "man": "male",
    "boy": "male",
    "x": "other",
    "o": "other",
    "other": "other",
    "i": "other",
    "indeterminate": "other",
    "u": "",
    "unknown": "",
    "not known": "",
    "not stated": "",
    "9": "",
    "0": "",
}
_CASE_STATUS = {
    "open": "open",
    "o": "open",
    "active": "open",
    "live": "open",
    "current": "open",
    "closed": "closed",
    "c": "closed",
    "ended": "closed",
    "inactive": "closed",
}
_PERSON_FIELDS = ("family_name", "given_name", "dob", "nhs_number", "source_person_id")
_PLACE_FIELDS = ("postcode", "uprn", "street", "address_text")
_PLAIN_TEXT = (
    "source_person_id",
    "event_ref",
    "event_kind",
    "category",
    "role",
    "case_ref",
    "team",
    "premises_type",
    "local_authority",
    "related_source_person_id",
    "relationship",
    "lead_name",
    "case_status",
    "locality",
    "town",
    "street",
    "house_number",
    "flat",
)


_AGE = re.compile(r"[0-9]{1,3}\Z")

# The record field that shows a derived input was usable.
_PRODUCES = {"full_name": "family_name", "address": "address_text", "age": "dob_earliest"}


@dataclass(frozen=True, slots=True)
class Mapped:
    """A good row, with its `records` table values already laid out (built in the worker)."""

    record: CanonicalRecord
    raw: dict[str, str]
    row_hash: str
    values: tuple[Any, ...]


_SPECIAL_COLUMNS = (
    "agency_kind",
    "sex",
    "warnings",
    "raw",
    "row_hash",
    "file_id",
    "line_no",
    "first_file_id",
)
_FROM_RECORD = [c for c in RECORD_COLUMNS if c not in _SPECIAL_COLUMNS]
_read_record = operator.attrgetter(*_FROM_RECORD)
# Record attributes then special columns, put into table column order in one C-level step.
_IN_COLUMN_ORDER = operator.itemgetter(
    *((_FROM_RECORD + list(_SPECIAL_COLUMNS)).index(c) for c in RECORD_COLUMNS)
)


def table_values(record: CanonicalRecord, raw: dict[str, str], row_hash: str) -> tuple[Any, ...]:
    """The row for the `records` table in column order; file columns are filled on insert."""
    specials = (
        str(record.agency_kind),
        str(record.sex) if record.sex else None,
        ",".join(record.warnings) or None,
        raw_json(raw),
        row_hash,
        None,  # file_id
        None,  # line_no
        None,  # first_file_id
    )
    return _IN_COLUMN_ORDER((*_read_record(record), *specials))  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Rejected:
    code: str
    reason: str
    raw: dict[str, str]


Getter = Callable[[list[str]], str]


def _getter(spec: FieldSpec, index: dict[str, int]) -> Getter:
    if spec.value is not None:
        constant = spec.value
        return lambda _row: constant
    positions = [index[c] for c in spec.source_columns if c in index]
    if not positions:
        return lambda _row: ""
    if len(positions) == 1:
        pos = positions[0]
        return lambda row: row[pos]
    sep = spec.join
    return lambda row: sep.join(v for v in (row[p].strip() for p in positions) if v)


def header_index(header: list[str], feed: FeedDefinition) -> dict[str, int]:
    """Positions of the definition's columns, matched ignoring case and surrounding space."""
    by_key: dict[str, list[int]] = {}
    for pos, name in enumerate(header):
        by_key.setdefault((clean_text(name) or "").casefold(), []).append(pos)
    wanted = set(feed.record_id)
    for spec in feed.fields.values():
        wanted.update(spec.source_columns)
    index: dict[str, int] = {}
    duplicated = []
    for column in wanted:
        positions = by_key.get(column.strip().casefold(), [])
        if len(positions) > 1:
            duplicated.append(column)
        elif positions:
            index[column] = positions[0]
    if duplicated:
        raise FileRejected(
            f"the header names these columns more than once: {', '.join(sorted(duplicated))}",
            code="duplicate_columns",
        )
    missing = sorted(c for c in feed.required_columns() if c not in index)
    if missing:
        raise FileRejected(
            f"required columns are missing from the header: {', '.join(missing)} "
            f"(the feed definition {feed.feed!r} expects them)",
            code="missing_columns",
        )
    return index


class RowMapper:
    """Applies one feed definition to rows of a file with a given header."""

    def __init__(
        self,
        feed: FeedDefinition,
        header: list[str],
        now: datetime,
        *,
        trust_test_nhs_numbers: bool = False,
    ) -> None:
        self.feed = feed
        self.width = len(header)
        self.index = header_index(header, feed)
        self._raw_positions = sorted(self.index.items(), key=lambda item: item[1])
        self._id_positions = [self.index[c] for c in feed.record_id]
        self._get = {name: _getter(spec, self.index) for name, spec in feed.fields.items()}
        self._maps = {
            name: {k.strip().casefold(): v for k, v in spec.map.items()}
            for name, spec in feed.fields.items()
            if spec.map
        }
        self._now = now
        self._latest_event = bounds.latest_event(now)
        self._clean_nhs = partial(
            identifiers.clean_nhs_number, trust_test_range=trust_test_nhs_numbers
        )
        self._field = ""  # the field being cleansed, to name it if cleansing fails
        self._failed_before = False
        self._agency_kind = AgencyKind(feed.agency.kind)
        self._plain = [name for name in _PLAIN_TEXT if name in feed.fields]

    def map(self, row: list[str]) -> Mapped | Rejected:
        """The row as a record, or why not; never raises, so one row cannot lose a file."""
        self._field = ""
        try:
            return self._map(row)
        except Exception as e:
            return self._unexpected(e, {c: row[p] for c, p in self.index.items() if p < len(row)})

    def _map(self, row: list[str]) -> Mapped | Rejected:
        if len(row) != self.width:
            raw = {c: row[p] for c, p in self.index.items() if p < len(row)}
            return Rejected(
                "field_count", f"the row has {len(row)} fields; the header has {self.width}", raw
            )
        raw = {c: row[p] for c, p in self._raw_positions}
        joined = "\x1f".join(raw.values())
        if "\x00" in joined:
            return Rejected("nul_character", "a value contains NUL characters", raw)
        source_id = "/".join(row[p].strip() for p in self._id_positions)
        if not source_id.strip("/"):
            return Rejected(
                "missing_record_id", f"record id ({', '.join(self.feed.record_id)}) is empty", raw
            )
        try:
            values, warnings = self._cleanse(row)
        except _RowProblem as problem:
            return Rejected(problem.code, problem.reason, raw)
        if not any(values.get(f) for f in _PERSON_FIELDS + _PLACE_FIELDS):
            return Rejected("no_subject", "the row names no person and no place", raw)
        record = CanonicalRecord(
            record_id=f"{self.feed.feed}:{source_id}",
            feed=self.feed.feed,
            agency=self.feed.agency.id,
            agency_kind=self._agency_kind,
            source_record_id=source_id,
            warnings=tuple(dict.fromkeys(warnings)),
            **values,
        )
        row_hash = hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()
        return Mapped(record, raw, row_hash, table_values(record, raw, row_hash))

    def _unexpected(self, error: Exception, raw: dict[str, str]) -> Rejected:
        """A row cleansing failed on in a way nobody foresaw: quarantined, naming the field
        and its columns and the error's type only (its message may quote the value, P16)."""
        spec = self.feed.fields.get(self._field)
        columns = ", ".join(spec.source_columns) if spec else ""
        if not self._failed_before:  # the first per file, for a developer running --debug
            self._failed_before = True
            log.debug("row cleansing failed in field %s", self._field, exc_info=True)
        return Rejected(
            "unreadable_value",
            f"{self._field or 'the row'}"
            f"{f' (column {columns})' if columns else ''} could not be read: "
            f"unexpected {type(error).__name__}; please report it",
            raw,
        )

    def _text(self, name: str, row: list[str], warnings: list[str]) -> str | None:
        self._field = name
        getter = self._get.get(name)
        if getter is None:
            return None
        text = clean_text(getter(row))
        if text is None:
            return None
        table = self._maps.get(name)
        if table is None:
            return text
        mapped = table.get(text.casefold())
        if mapped is not None:
            return mapped or None
        default = self.feed.fields[name].default
        if default is None:
            warnings.append(f"unmapped_{name}")
            return text
        return default or None

    def _cleanse(self, row: list[str]) -> tuple[dict[str, Any], list[str]]:
        warnings: list[str] = []
        v: dict[str, Any] = {}
        occurred = self._date("occurred_at", row, warnings, required=True)
        if not isinstance(occurred, datetime):  # required=True returns a datetime or raises
            raise _RowProblem("invalid_occurred_at", "occurred_at is not a date and time")
        if occurred > self._latest_event:
            raise _RowProblem("future_event", "occurred_at is in the future")
        if occurred.date() < bounds.EARLIEST_DATE:
            raise _RowProblem(
                "event_too_early",
                f"occurred_at is before {bounds.EARLIEST_DATE.isoformat()}, "
                "the earliest date MAST accepts",
            )
        v["occurred_at"] = occurred
        event_day = occurred.date()

        for name in self._plain:
            text = self._text(name, row, warnings)
            if text is not None:
                v[name] = text
        self._names(row, v, warnings)
        self._dob(row, v, warnings, event_day)
        self._address(row, v, warnings)
        for name in ("case_opened", "case_closed"):
            day = self._date(name, row, warnings, required=name in self.feed.required)
            if day is not None:
                day = day.date() if isinstance(day, datetime) else day
                if bounds.in_window(day, self._now):
                    v[name] = day
                else:  # a required one is quarantined as missing below
                    warnings.append(f"{name}_out_of_range")
        self._codes(row, v, warnings)
        for required in self.feed.required:
            if v.get(_PRODUCES.get(required, required)) is None:
                raise _RowProblem(f"missing_{required}", f"{required} is empty or invalid")
        return v, warnings

    def _codes(self, row: list[str], v: dict[str, Any], warnings: list[str]) -> None:
        """Identifiers, contact details and coded values."""
        if "case_status" in v and "case_status" not in self._maps:
            v["case_status"] = _CASE_STATUS.get(v["case_status"].casefold(), v["case_status"])
        for name, clean in (
            ("nhs_number", self._clean_nhs),
            ("lead_phone", identifiers.clean_phone),
            ("lead_email", identifiers.clean_email),
            ("uprn", identifiers.clean_uprn),
        ):
            text = self._text(name, row, warnings)
            if text is not None:
                value, warning = clean(text)
                v[name] = value
                if warning:
                    warnings.append(warning)
        sex = self._text("sex", row, warnings)
        if sex is not None:
            code = sex if "sex" in self._maps else _SEX_CODES.get(sex.casefold())
            if code in ("female", "male", "other"):
                v["sex"] = Sex(code)
            elif code is None:
                warnings.append("sex_unmapped")
        if "lead_name" in v:
            self._field = "lead_name"
            v["lead_name"], _ = names.clean_name(v["lead_name"])

    def _date(
        self, name: str, row: list[str], warnings: list[str], *, required: bool
    ) -> datetime | date | None:
        self._field = name
        getter = self._get.get(name)
        text = ascii_digits(getter(row)).strip() if getter else ""
        if not text:
            if required:
                raise _RowProblem(f"missing_{name}", f"{name} is empty")
            return None
        formats = self.feed.formats_for(name)
        parsed = dates.parse_datetime(text, formats)
        if parsed is None:
            if required:
                raise _RowProblem(
                    f"invalid_{name}",
                    f"{name} is not a real date in the formats {', '.join(formats)}",
                )
            warnings.append(f"{name}_invalid")
            return None
        return parsed.date() if name in DATE_FIELDS else parsed

    def _names(self, row: list[str], v: dict[str, Any], warnings: list[str]) -> None:
        self._field = "full_name"
        full = self._get.get("full_name")
        if full is not None:
            parts = names.split_full_name(
                full(row), self.feed.fields["full_name"].split or "forenames_surname"
            )
            v.update(
                given_name=parts.given_name,
                middle_names=parts.middle_names,
                family_name=parts.family_name,
            )
            warnings.extend(parts.warnings)
        self._field = "given_name"
        if (given := self._get.get("given_name")) is not None:
            parts = names.split_forenames(given(row))
            v.update(given_name=parts.given_name, middle_names=parts.middle_names)
            warnings.extend(parts.warnings)
        for name in ("family_name", "middle_names", "other_names"):
            self._field = name
            if (getter := self._get.get(name)) is not None:
                cleaned, name_warnings = names.clean_name(getter(row))
                if cleaned or name not in v:
                    v[name] = cleaned
                warnings.extend(name_warnings)

    def _dob(self, row: list[str], v: dict[str, Any], warnings: list[str], event_day: date) -> None:
        dob = self._date("dob", row, warnings, required="dob" in self.feed.required)
        if isinstance(dob, date):
            problem = dates.dob_problem(dob, event_day)
            if problem:
                warnings.append(problem)
                if "dob" in self.feed.required:
                    raise _RowProblem(problem, "dob is impossible for the date of the event")
            else:
                v.update(dob=dob, dob_earliest=dob, dob_latest=dob)
        self._field = "age"
        age_text = clean_text(self._get["age"](row)) if "age" in self._get else None
        if age_text is not None:
            age_text = ascii_digits(age_text)
            # Plain ASCII digits only, so `int` always succeeds ('²' became '2' above).
            age = int(age_text) if _AGE.match(age_text) else -1
            if not 0 <= age <= bounds.MAX_AGE_YEARS:
                warnings.append("age_invalid")
                return
            earliest, latest = dates.dob_range_from_age(age, event_day)
            if "dob" in v:
                if not earliest <= v["dob"] <= latest:
                    warnings.append("age_dob_mismatch")
            elif earliest < bounds.EARLIEST_DATE:
                warnings.append("age_out_of_range")
            else:
                v["dob_earliest"], v["dob_latest"] = earliest, latest

    def _address(self, row: list[str], v: dict[str, Any], warnings: list[str]) -> None:
        self._field = "address"
        own = tuple(v.get(name) for name in _OWN_PLACE_FIELDS)
        one_field = self._get["address"](row) if "address" in self._get else ""
        postcode = self._get["postcode"](row) if "postcode" in self._get else None
        fields, warning = _place(one_field, own, postcode)
        v.update(fields)
        if warning:
            warnings.append(warning)


_OWN_PLACE_FIELDS = ("flat", "house_number", "street", "locality", "town")


@lru_cache(maxsize=262_144)
def _place(
    one_field: str, own: tuple[str | None, ...], postcode_text: str | None
) -> tuple[tuple[tuple[str, str | None], ...], str | None]:
    """The address fields of a record from its one-field address, its own address columns
    and its postcode column, with a postcode warning. Pure, so cached: places recur."""
    parts = addresses.split_address(one_field) if one_field else addresses.AddressParts()
    fields = {
        "flat": parts.flat,
        "building": parts.building,
        "house_number": parts.house_number,
        "street": parts.street,
        "locality": parts.locality,
        "town": parts.town,
    }
    for name, value in zip(_OWN_PLACE_FIELDS, own, strict=True):
        if value:  # a feed's own column beats the split of a one-field address
            fields[name] = (
                tidy_place(value) if name in ("street", "locality", "town") else value.upper()
            )
    postcode, warning = parts.postcode, None
    if postcode_text is not None:
        given, warning = postcodes.normalise_postcode(postcode_text)
        postcode = given or postcode
    merged = addresses.AddressParts(postcode=postcode, **fields)
    return (*fields.items(), ("postcode", postcode), ("address_text", merged.text)), warning


class _RowProblem(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# json.dumps with a non-default option builds a new encoder on every call.
_RAW_ENCODER = json.JSONEncoder(ensure_ascii=False)


def raw_json(raw: dict[str, str]) -> str:
    return _RAW_ENCODER.encode(raw)
