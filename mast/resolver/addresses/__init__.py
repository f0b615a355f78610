"""Address resolution: one Address per real place.

`keys` turns a record into a key of normalised parts; `cluster` joins keys that are one
place (exact keys and their repairs first, then the links `learned` scores with Splink);
`run` resolves the store's records, full or a day's; `store` reads and writes its tables;
`describe` says what an address is from its records.
"""

from mast.resolver.addresses.cluster import (
    cluster_keys,
    neighbours_among,
    within_reach,
)
from mast.resolver.addresses.describe import describe, describe_grown
from mast.resolver.addresses.keys import AddressInput, Key, KeyState, add_inputs
from mast.resolver.addresses.learned import resolve_addresses
from mast.resolver.addresses.run import resolve_all_addresses
from mast.resolver.addresses.store import KEPT_TALLY, AddressRun

__all__ = [
    "KEPT_TALLY",
    "AddressInput",
    "AddressRun",
    "Key",
    "KeyState",
    "add_inputs",
    "cluster_keys",
    "describe",
    "describe_grown",
    "neighbours_among",
    "resolve_addresses",
    "resolve_all_addresses",
    "within_reach",
]
