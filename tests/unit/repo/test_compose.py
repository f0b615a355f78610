"""docker-compose.yml keeps its promises: ports on 127.0.0.1 only, the Neo4j image pinned
to a Neo4j 5 release, secrets from the environment rather than the file."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).parents[3] / "docker-compose.yml"


def test_compose_binds_to_loopback_pins_neo4j_and_holds_no_secret() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    ports = [p for s in services.values() for p in s.get("ports", [])]
    assert ports and all(str(p).startswith("127.0.0.1:") for p in ports)
    image = services["neo4j"]["image"]
    assert image.startswith("neo4j:5.") and "latest" not in image
    assert "healthcheck" in services["neo4j"]
    assert services["mast"]["environment"]["MAST_NEO4J_URI"].startswith("bolt://")
    auth = services["neo4j"]["environment"]["NEO4J_AUTH"]
    assert "${NEO4J_PASSWORD" in auth  # from the environment, never written here
    mast = services["mast"]["environment"]
    assert mast["MAST_AUDIT_KEY"].startswith("${") and mast["MAST_SECRET_KEY"].startswith("${")
    assert mast["MAST_PARTNERS"] == "/etc/mast/partners.yaml"
    assert "/healthz" in " ".join(services["mast"]["healthcheck"]["test"])
