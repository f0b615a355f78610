"""Person resolution, full and incremental: records → profiles → scored pairs → people.

A full run (`full.py`) profiles every record, scores every candidate pair and clusters
everything. A day (`day.py`) profiles only records that arrived (or were ruled on) since
the last run and re-clusters only the part of the graph they touch, so the answer is the
one a full run with the same model would give. Person ids carry over either way
(`stable_ids.py`). `run.py` chooses between them; `store.py` and `describe.py` read and
write the people tables.
"""

from __future__ import annotations

from mast.resolver.people.common import LINK_WEIGHT, REVIEW_WEIGHT, PersonRun, scored_edges

__all__ = ["LINK_WEIGHT", "REVIEW_WEIGHT", "PersonRun", "scored_edges"]
