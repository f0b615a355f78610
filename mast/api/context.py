"""One request's caller, stated purpose, loaders and what it has been shown, for the audit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from mast.accounts.access import allowed
from mast.accounts.accounts import User
from mast.api.services import Services
from mast.core.errors import QueryTimedOut, ResultTooLarge

T = TypeVar("T")


class ClientError(Exception):
    """A request MAST refuses, with a code partner apps can act on; never personal data."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.extensions = {"code": code}


def not_found() -> ClientError:
    # Forbidden and not found look the same (RELIABILITY P8).
    return ClientError("not found", "NOT_FOUND")


@dataclass
class RequestContext:
    services: Services
    user: User
    purpose: str
    seen: set[str] = field(default_factory=set)
    """Every id this request has returned: the audit entry lists them."""
    loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    def require(self, operation: str) -> None:
        if not allowed(self.user.role, operation):
            raise not_found()

    def saw(self, *ids: str | None) -> None:
        self.seen.update(i for i in ids if i)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Graph and store calls block; they run on worker threads, not the event loop.
        A query stopped at its time limit or size cap is the client's to narrow, with its
        code, not an INTERNAL error."""
        try:
            return await asyncio.to_thread(fn, *args)
        except QueryTimedOut as e:
            raise ClientError(str(e), "TIMEOUT") from e
        except ResultTooLarge as e:
            raise ClientError(str(e), "BAD_USER_INPUT") from e

    def loader(self, name: str, fn: Callable[[list[Any]], list[Any]]) -> DataLoader[Any, Any]:
        """A per-request loader: one batched call for every key asked in the same tick."""
        if name not in self.loaders:

            async def load(keys: list[Any]) -> list[Any]:
                return await self.run(fn, keys)

            self.loaders[name] = DataLoader(load_fn=load)
        return self.loaders[name]
