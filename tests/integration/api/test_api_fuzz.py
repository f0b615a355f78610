"""Schemathesis against the running API (RELIABILITY test plan): generated requests from the
OpenAPI description and from the GraphQL SDL cause no server error, and no operation that
declares authentication answers without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth

from mast.api.gql_schema import SDL_PATH
from mast.core.settings import Settings
from mast.web.app import create_app
from tests.support.api_server import PURPOSE, Api

pytestmark = pytest.mark.integration
EXAMPLES = 25


# The description depends on the code alone: an app that is never started gives it.
_UNSTARTED = create_app(Settings(home=Path("unused"), secret_key=SecretStr("unused")))
openapi_schema = schemathesis.openapi.from_dict(_UNSTARTED.openapi())
graphql_schema = schemathesis.graphql.from_path(SDL_PATH)
_QUICK = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def _headers(api: Api, path: str) -> dict[str, str]:
    role = "auditor" if path.startswith("/audit") else "analyst"
    return {"Authorization": f"Bearer {api.tokens[role]}", "X-MAST-Purpose": PURPOSE}


@openapi_schema.parametrize()
@_QUICK
def test_openapi_operations_never_fail_on_the_server(case: Any, api: Api) -> None:
    case.call_and_validate(
        base_url=api.url,
        headers=_headers(api, case.path),
        checks=[not_a_server_error, ignored_auth],
    )


@graphql_schema.parametrize()
@_QUICK
def test_graphql_queries_never_fail_on_the_server(case: Any, api: Api) -> None:
    response = case.call(base_url=api.url + "/graphql", headers=_headers(api, "/graphql"))
    assert response.status_code < 500, response.text
    body = response.json()
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
    assert "INTERNAL" not in codes, body
