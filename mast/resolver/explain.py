"""Why a record belongs to its person, in numbers and in words a practitioner can read.

The strongest link between the record's profile and the rest of its person is explained
field by field: each comparison's level (from the model) and its weight — the log2 of how
much more often that agreement is seen between records of one person than of two. Rulings
and partner ids are stated as what they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from mast.core.db import chunks
from mast.resolver.model import COMPARISONS
from mast.resolver.people import store
from mast.schema.tables import decisions, person_profiles, record_persons


@dataclass(frozen=True)
class Contribution:
    field: str
    level: str
    weight: float


@dataclass(frozen=True)
class Explanation:
    record_id: str
    person_id: str
    sentence: str
    weight: float | None
    contributions: tuple[Contribution, ...]
    same_details: int  # other records of this person written exactly alike


def _level_weights(model: dict[str, Any]) -> dict[str, list[tuple[float, str]]]:
    """Each comparison's levels as the stored model has them (an older model may have fewer)."""
    out: dict[str, list[tuple[float, str]]] = {}
    for comparison in model["splink"]["comparisons"]:
        name = comparison["output_column_name"]
        levels = []
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = 0.0 if level.get("is_null_level") or not m or not u else math.log2(m / u)
            levels.append((weight, str(level.get("label_for_charts", ""))))
        out[name] = levels
    return out


def contributions(row: Any, model: dict[str, Any]) -> tuple[Contribution, ...]:
    """Each field's level and weight for one stored edge."""
    weights = _level_weights(model)
    out = []
    for name in COMPARISONS:
        mw = float(getattr(row, f"mw_{name}"))
        # A model trained before a failed EM session was undone can lack a comparison.
        levels = weights.get(name) or [(0.0, f"{name} not compared by this model")]
        nearest = min(abs(w - mw) for w, _ in levels)
        # Levels of one weight cannot be told apart from it: a place that weighs nothing is
        # missing or only where an event happened, and the words say so rather than guess.
        label = " or ".join(lab for w, lab in levels if abs(w - mw) <= nearest + 1e-9)
        out.append(Contribution(name, label, mw))
    return tuple(out)


def sentence(parts: tuple[Contribution, ...]) -> str:
    """The fields that moved the score, strongest first: 'same NHS number; ...'."""
    moved = sorted((c for c in parts if abs(c.weight) >= 0.5), key=lambda c: -abs(c.weight))
    return "; ".join(c.level for c in moved) or "no field stood out"


def explain(engine: sa.Engine, record_id: str) -> Explanation | None:
    """None when the record has not been resolved to a person."""
    with engine.connect() as conn:
        link = conn.execute(
            sa.select(record_persons.c.profile_id, record_persons.c.person_id).where(
                record_persons.c.record_id == record_id
            )
        ).first()
        if link is None:
            return None
        profile, person = link
        same = conn.execute(
            sa.select(sa.func.count()).where(
                record_persons.c.profile_id == profile, record_persons.c.record_id != record_id
            )
        ).scalar_one()
        siblings = set(
            conn.execute(
                sa.select(person_profiles.c.profile_id).where(
                    person_profiles.c.person_id == person, person_profiles.c.profile_id != profile
                )
            ).scalars()
        )
        ruling = conn.execute(
            sa.select(decisions.c.decided_by, decisions.c.reason)
            .where(
                decisions.c.decision == "link",
                sa.or_(decisions.c.record_a == record_id, decisions.c.record_b == record_id),
            )
            .order_by(decisions.c.decision_id.desc())
        ).first()
        edges = store.edges_touching(conn, [profile], min_weight=-math.inf)
        edges = edges[edges.profile_a.isin(siblings) | edges.profile_b.isin(siblings)]
        model = store.latest_model(conn)
        source = conn.execute(
            sa.select(person_profiles.c.source).where(person_profiles.c.profile_id == profile)
        ).scalar()
        shared_source = (
            bool(source)
            and conn.execute(
                sa.select(sa.func.count()).where(
                    person_profiles.c.source == source, person_profiles.c.profile_id.in_(siblings)
                )
            ).scalar_one()
            > 0
        )
    return _compose(
        record_id,
        person=person,
        same=same,
        ruling=ruling,
        edges=edges,
        model=model,
        source=source if shared_source else None,
    )


def _compose(
    record_id: str,
    *,
    person: str,
    same: int,
    ruling: Any,
    edges: Any,
    model: dict[str, Any] | None,
    source: str | None,
) -> Explanation:
    lead: list[str] = []
    if ruling is not None:
        lead.append(f"linked by reviewer {ruling.decided_by}: {ruling.reason}")
    if source:
        lead.append(f"filed under the same {source.split('/')[0]} person id")
    if same:
        lead.append(
            f"written exactly as {same} other record{'s' if same > 1 else ''} of this person"
        )
    if edges.empty or model is None:
        words = "; ".join(lead) or "the only record of this person"
        return Explanation(record_id, person, words, None, (), same)
    best = edges.sort_values(["weight", "profile_a", "profile_b"], ascending=[False, True, True])
    row = next(best.itertuples())
    parts = contributions(row, model)
    words = "; ".join([*lead, sentence(parts)])
    weight = float(row.weight)
    return Explanation(record_id, person, words, weight, parts, same)


def for_and_against(parts: tuple[Contribution, ...]) -> tuple[str, str]:
    """The fields that spoke for one person and those that spoke against, strongest first."""
    pro = [c.level for c in sorted(parts, key=lambda c: -c.weight) if c.weight >= 0.5]
    con = [c.level for c in sorted(parts, key=lambda c: c.weight) if c.weight <= -0.5]
    return "; ".join(pro), "; ".join(con)


def explain_many(engine: sa.Engine, record_ids: list[str]) -> dict[str, Explanation]:
    """`explain` for many records in a handful of queries, the model read once: a person
    page's records (unresolved records are left out)."""
    wanted = sorted(set(record_ids))
    with engine.connect() as conn:
        links: dict[str, tuple[str, str]] = {}
        for part in chunks(wanted):
            links.update(
                (r.record_id, (r.profile_id, r.person_id))
                for r in conn.execute(
                    sa.select(
                        record_persons.c.record_id,
                        record_persons.c.profile_id,
                        record_persons.c.person_id,
                    ).where(record_persons.c.record_id.in_(part))
                )
            )
        if not links:
            return {}
        profiles = sorted({p for p, _ in links.values()})
        people = sorted({q for _, q in links.values()})
        per_profile: dict[str, int] = {}
        for part in chunks(profiles):
            per_profile.update(
                conn.execute(
                    sa.select(record_persons.c.profile_id, sa.func.count())
                    .where(record_persons.c.profile_id.in_(part))
                    .group_by(record_persons.c.profile_id)
                ).all()
            )
        profiles_of: dict[str, set[str]] = {}
        source_of: dict[str, str | None] = {}
        for part in chunks(people):
            for profile, person, source in conn.execute(
                sa.select(
                    person_profiles.c.profile_id,
                    person_profiles.c.person_id,
                    person_profiles.c.source,
                ).where(person_profiles.c.person_id.in_(part))
            ):
                profiles_of.setdefault(person, set()).add(profile)
                source_of[profile] = source
        rulings = _link_rulings(conn, wanted)
        edges = store.edges_touching(conn, profiles, min_weight=-math.inf)
        model = store.latest_model(conn)
    out = {}
    # Records written alike share a profile, and so an explanation (bar a ruling on one).
    done: dict[tuple[str, Any], Explanation] = {}
    for rid, (profile, person) in links.items():
        ruling = rulings.get(rid)
        key = (profile, None if ruling is None else (ruling.decided_by, ruling.reason))
        if key in done:
            out[rid] = replace(done[key], record_id=rid)
            continue
        siblings = profiles_of.get(person, set()) - {profile}
        mine = edges[
            ((edges.profile_a == profile) & edges.profile_b.isin(siblings))
            | ((edges.profile_b == profile) & edges.profile_a.isin(siblings))
        ]
        source = source_of.get(profile)
        shared = bool(source) and any(source_of.get(s) == source for s in siblings)
        out[rid] = done[key] = _compose(
            rid,
            person=person,
            same=per_profile.get(profile, 1) - 1,
            ruling=ruling,
            edges=mine,
            model=model,
            source=source if shared else None,
        )
    return out


def _link_rulings(conn: sa.Connection, record_ids: list[str]) -> dict[str, Any]:
    """The newest reviewer's ruling to link that names each record, by record id."""
    rulings: dict[str, Any] = {}
    for part in chunks(record_ids):
        for row in conn.execute(
            sa.select(
                decisions.c.record_a,
                decisions.c.record_b,
                decisions.c.decided_by,
                decisions.c.reason,
            )
            .where(
                decisions.c.decision == "link",
                sa.or_(decisions.c.record_a.in_(part), decisions.c.record_b.in_(part)),
            )
            .order_by(decisions.c.decision_id)
        ):
            for rid in (row.record_a, row.record_b):
                rulings[rid] = row  # the newest ruling wins
    return rulings
