"""Clustering profiles into people: strongest evidence first, never across a hard constraint.

Edges are taken in order of weight (reviewer links, then a partner's own person id, then
match weight), each joining two clusters unless the joined cluster would hold a
contradiction (`constraints.py`) or a pair a reviewer said are different people. Checking
the whole cluster, not just the edge's two ends, is what stops a chain of weak links —
John Smith ~ J Smith ~ Jane Smith — from merging two people. The order is fixed by
(weight, ids), so the same edges always give the same clusters, in a full run or when only
the touched part is re-clustered.

An exact tie of weights is broken by what the two profiles say (`tie_key`), not by their
ids: a profile id hashes the minted id of its address, and a home that minted its places in
another order (a fresh home, records loaded in other batches) would otherwise attach a
record to the other of two equal candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import pairwise
from operator import itemgetter
from typing import NamedTuple, TypeVar

import numpy as np
from nhs_number.validate import is_valid
from rapidfuzz.distance import DamerauLevenshtein

from mast.resolver.constraints import (
    age_compatible,
    dob_compatible,
    family_same_or_typo,
    given_compatible,
)
from mast.resolver.profiles import Profile

_T = TypeVar("_T", str, date)
_WEIGHT = itemgetter(0)
REVIEWER_WEIGHT = 1000.0
PARTNER_ID_WEIGHT = 100.0
"""A partner's own person id joins its records before any score does (still constrained)."""
DOB_OUTWEIGHED = 15.0
"""A pair this strong on everything else (names, identifier, address) is one person whose
date of birth was mis-keyed beyond a typing error; a father and son with one name at one
address score about 8, so stay apart."""


class Edge(NamedTuple):
    weight: float
    a: str
    b: str


WeightedPair = tuple[float, str, str]
"""An edge as clustering takes it, (weight, a, b): a plain tuple, which zip or the database
driver builds in C. Building 700,000 `Edge`s took 1.4 s and sorting them half as long
again as sorting plain tuples; only the few refused edges are made `Edge`s."""


@dataclass(slots=True)
class _Cluster:
    members: list[str]
    nhs: set[str] = field(default_factory=set)  # valid NHS numbers: never two in a cluster
    ids: set[str] = field(default_factory=set)  # any national identifier, checked or not
    givens: dict[str, int] = field(default_factory=dict)  # records per given name
    families: dict[str, int] = field(default_factory=dict)
    dobs: dict[date, int] = field(default_factory=dict)
    apart_from: set[str] = field(default_factory=set)
    ages: set[tuple[date, date]] = field(default_factory=set)  # ranges from an age alone

    @property
    def given(self) -> str:
        """The given name most of the cluster's records carry: a typo never outvotes it."""
        return _dominant(self.givens) or ""

    @property
    def family(self) -> str:
        return _dominant(self.families) or ""

    @property
    def dob(self) -> date | None:
        return _dominant(self.dobs)

    def absorb(self, other: _Cluster) -> None:
        self.members.extend(other.members)
        self.nhs |= other.nhs
        self.ids |= other.ids
        _add_counts(self.givens, other.givens)
        _add_counts(self.families, other.families)
        _add_counts(self.dobs, other.dobs)
        self.apart_from |= other.apart_from
        self.ages |= other.ages


nhs_is_valid = lru_cache(maxsize=262_144)(is_valid)


def _add_counts(mine: dict[_T, int], theirs: dict[_T, int]) -> None:
    for key, n in theirs.items():
        mine[key] = mine.get(key, 0) + n


def _near(a: set[str], b: set[str]) -> bool:
    """One identifier on both sides, or two a single slip apart. Two valid NHS numbers are
    never a slip apart (Mod-11 catches every one-digit change and transposition), so this
    only forgives identifiers without a check digit."""
    if not a or not b:
        return False
    return bool(a & b) or any(DamerauLevenshtein.distance(x, y) <= 1 for x in a for y in b)


def _one_issued_id(a: _Cluster, b: _Cluster) -> bool:
    """Both carry one identifier that has no check digit (not a valid NHS number), under one
    family name. Where such ids are issued one per person, a shared one outweighs a date of
    birth and given name that both went wrong. A valid NHS number shared is not enough: a
    baby's first records often carry its mother's."""
    return bool((a.ids - a.nhs) & (b.ids - b.nhs)) and family_same_or_typo(a.family, b.family)


def _dominant(counts: Mapping[_T, int]) -> _T | None:
    if not counts:
        return None
    if len(counts) == 1:
        return next(iter(counts))
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


class _GuardedClusters:
    def __init__(
        self,
        profiles: Mapping[str, Profile],
        sizes: Mapping[str, int],
        apart: Mapping[str, set[str]],
    ) -> None:
        self.parent: dict[str, str] = {}
        self.state: dict[str, _Cluster] = {}
        self.profiles = profiles
        self.sizes = sizes
        self.apart = apart

    def add(self, pid: str) -> None:
        """Give a profile its one-member cluster, the first time an edge reaches it."""
        p = self.profiles[pid]
        n = self.sizes.get(pid, 1)
        self.parent[pid] = pid
        self.state[pid] = _Cluster(  # positional: this runs once per profile
            [pid],
            {p.nhs} if p.nhs and nhs_is_valid(p.nhs) else set(),
            {p.nhs} if p.nhs else set(),
            {given: n} if (given := _given_key(p)) else {},
            {p.family: n} if p.family else {},
            {p.dob: n} if p.dob else {},
            set(self.apart.get(pid, ())),
            {(p.dob_lo, p.dob_hi)} if p.dob_lo and p.dob_hi else set(),
        )

    def find(self, pid: str) -> str:
        parent = self.parent
        root = parent.get(pid)
        if root is None:
            self.add(pid)
            return pid
        if root == pid:  # most lookups: a root, or one step from it
            return pid
        while parent[root] != root:
            root = parent[root]
        while parent[pid] != root:
            parent[pid], pid = root, parent[pid]
        return root

    @staticmethod
    def conflict(a: _Cluster, b: _Cluster, weight: float) -> bool:
        """Different people, judged on NHS numbers, reviewers' rulings and dominant values."""
        # Rulings and ages are rare: checked only where there are some (this runs per edge).
        if (a.apart_from and not a.apart_from.isdisjoint(b.members)) or (
            b.apart_from and not b.apart_from.isdisjoint(a.members)
        ):
            return True
        if a.nhs and b.nhs and a.nhs != b.nhs:
            return True
        shared_id = _near(a.ids, b.ids)
        # Each dominant value once: this runs for every edge between two clusters.
        given_a, given_b, dob_a, dob_b = a.given, b.given, a.dob, b.dob
        # Names written the other way round (family name in the given-name field) agree.
        names_agree = given_compatible(given_a, given_b) or (
            given_compatible(given_a, b.family) and given_compatible(given_b, a.family)
        )
        # A shared identifier or a pair strong on everything else outweighs a date of birth
        # mis-keyed beyond a typing error, but not with a different name as well: that is a
        # baby filed under its mother's NHS number, however much else they share.
        dob_outweighed = names_agree and (shared_id or DOB_OUTWEIGHED <= weight < PARTNER_ID_WEIGHT)
        if not (dob_outweighed or dob_compatible(dob_a, dob_b) or _one_issued_id(a, b)):
            return True
        if (b.ages and any(not age_compatible(dob_a, *age) for age in b.ages)) or (
            a.ages and any(not age_compatible(dob_b, *age) for age in a.ages)
        ):
            return True
        # A shared identifier or a partner's own id outweighs a difference in given name.
        return not (names_agree or shared_id or weight >= PARTNER_ID_WEIGHT)

    def union(self, a: str, b: str, weight: float) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ca, cb = self.state[ra], self.state[rb]
        # A reviewer's link always joins; a partner's own id is not second-guessed on names.
        if weight < REVIEWER_WEIGHT and self.conflict(ca, cb, weight):
            return False
        if len(ca.members) < len(cb.members):
            ra, rb, ca, cb = rb, ra, cb, ca
        self.parent[rb] = ra
        ca.absorb(cb)
        del self.state[rb]
        return True


@dataclass(frozen=True)
class Clustering:
    cluster_of: dict[str, str]
    """profile id → the id of one member, the same for the whole cluster."""
    refused: list[Edge]
    """Edges above the link threshold that a constraint kept apart: for review."""

    def components(self) -> dict[str, str]:
        """profile id → the smallest profile id it is connected to by any edge, taken or
        refused. Clusters only grow along edges, so a component is its clusters joined by
        refused edges; a daily run re-clusters whole components and nothing else."""
        parent = {c: c for c in set(self.cluster_of.values())}

        def find(c: str) -> str:
            while parent[c] != c:
                parent[c] = parent[parent[c]]
                c = parent[c]
            return c

        for edge in self.refused:
            a, b = find(self.cluster_of[edge.a]), find(self.cluster_of[edge.b])
            if a != b:
                parent[max(a, b)] = min(a, b)  # cluster labels are their smallest member
        return {pid: find(c) for pid, c in self.cluster_of.items()}


def cluster(
    profiles: Mapping[str, Profile],
    edges: Iterable[WeightedPair],
    *,
    sizes: Mapping[str, int] | None = None,
    apart: Mapping[str, set[str]] | None = None,
) -> Clustering:
    """Cluster every profile; `sizes` counts each profile's records, and `apart` maps a
    profile to the profiles a reviewer kept apart from it.

    Edges of REVIEWER_WEIGHT are a reviewer's link and join whatever the constraints say.
    """
    clusters = _GuardedClusters(profiles, sizes or {}, apart or {})
    refused: list[Edge] = []
    # Strongest first, then in id order: sorted whole, then by weight alone, which a stable
    # sort does without building a key tuple per edge (a third faster for 700,000 edges).
    ordered = sorted(edges)
    ordered.sort(key=_WEIGHT, reverse=True)
    _break_ties(ordered, profiles)
    parent, find = clusters.parent, clusters.find
    for edge in ordered:
        weight, a, b = edge
        ra, rb = parent.get(a), parent.get(b)
        if ra is not None and rb is not None:
            # Six edges in seven fall inside a cluster already made (measured on a day and
            # a full run): settled here, without the three calls a union makes.
            if parent[ra] != ra:
                ra = find(a)
            if parent[rb] != rb:
                rb = find(b)
            if ra == rb:
                continue
        elif a not in profiles or b not in profiles:
            continue
        if not clusters.union(a, b, weight):
            refused.append(Edge(weight, a, b))
    label = {root: min(state.members) for root, state in clusters.state.items()}
    return Clustering(
        {pid: label[clusters.find(pid)] if pid in clusters.parent else pid for pid in profiles},
        refused,
    )


def tie_key(p: Profile) -> str:
    """What orders a profile among edges of exactly equal weight: its fields, without its
    id and its address id (both follow the order places were minted in); the postcode and
    the event mark stand for the place. Two profiles that differ only in their address id
    keep their id order: they agree on every field clustering checks."""
    fields = (
        p.source,
        p.given,
        p.middle,
        p.family,
        p.other_family,
        p.dob,
        p.dob_lo,
        p.dob_hi,
        p.sex,
        p.nhs,
        p.postcode,
    )
    # Empty and missing read alike, and dates as text: a stored profile read back from
    # either database gives the key a freshly built one does.
    return repr(
        (
            *(v.isoformat() if isinstance(v, date) else v or "" for v in fields),
            bool(p.address_event),
        )
    )


def _break_ties(ordered: list[WeightedPair], profiles: Mapping[str, Profile]) -> None:
    """Re-order each run of equal weight in `ordered` (sorted by weight) by the tie keys of
    its two profiles, then their ids."""
    keys: dict[str, str] = {}

    def key_of(pid: str) -> str:
        found = keys.get(pid)
        if found is None:
            p = profiles.get(pid)
            found = keys[pid] = tie_key(p) if p is not None else ""
        return found

    def edge_key(edge: WeightedPair) -> tuple[str, str, str, str]:
        ka, kb = key_of(edge[1]), key_of(edge[2])
        return (
            (ka, kb, edge[1], edge[2])
            if (ka, edge[1]) <= (kb, edge[2])
            else (kb, ka, edge[2], edge[1])
        )

    if len(ordered) < 2:
        return
    # Where a weight equals the next one, found by numpy: most weights are unique, and a
    # Python pass over 700,000 edges would cost more than the sort itself.
    weights = np.fromiter((e[0] for e in ordered), dtype=np.float64, count=len(ordered))
    tied = np.flatnonzero(weights[1:] == weights[:-1])
    if not len(tied):
        return
    # Runs of consecutive tied positions: a run [i, j] of `tied` covers edges i..j+1.
    breaks = np.flatnonzero(np.diff(tied) != 1)
    starts = np.concatenate(([tied[0]], tied[breaks + 1]))
    ends = np.concatenate((tied[breaks], [tied[-1]])) + 2
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        ordered[start:end] = sorted(ordered[start:end], key=edge_key)


def outweighs_its_person(pid: str, person: Mapping[str, Profile], sizes: Mapping[str, int]) -> bool:
    """Whether profile `pid`, one of `person`'s profiles (profile → fields, `sizes` their
    records), carries more records than its person holds of any other given name, family
    name or date of birth. Then its values are the strict dominant of every cluster that
    holds it, however the person was put together, and stay so with more records: records
    added to it change no decision clustering makes (tested against `cluster` itself)."""
    mine, n = person[pid], sizes.get(pid, 1)
    for value in (_given_key, _family_key, _dob_key):
        own = value(mine)
        if own is None:
            continue
        others: dict[object, int] = {}
        for other, p in person.items():
            theirs = value(p)
            if other != pid and theirs is not None and theirs != own:
                others[theirs] = others.get(theirs, 0) + sizes.get(other, 1)
        if others and max(others.values()) >= n:
            return False
    return True


def _given_key(p: Profile) -> str | None:
    return f"{p.given} {p.middle}".strip() if p.given else None


def _family_key(p: Profile) -> str | None:
    return p.family or None


def _dob_key(p: Profile) -> date | None:
    return p.dob


def partner_id_edges(profiles: Iterable[Profile]) -> list[Edge]:
    """Profiles a partner filed under one person id, chained in the order of their tie
    keys (then ids), so which profiles the chain joins does not follow minting order."""
    by_source: dict[str, list[tuple[str, str]]] = {}
    for p in profiles:
        if p.source:
            by_source.setdefault(p.source, []).append((tie_key(p), p.profile_id))
    edges: list[Edge] = []
    for keyed in by_source.values():
        keyed.sort()
        ids = [pid for _, pid in keyed]
        edges.extend(Edge(PARTNER_ID_WEIGHT, a, b) for a, b in pairwise(ids))
    return edges
