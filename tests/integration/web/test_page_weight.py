"""What a phone downloads: static files come compressed, pages do not (BREACH), and the
person page names no timeline script of its own (mast.js fetches it on a wide screen only;
tests/e2e/test_ui.py checks that a phone never asks for it)."""

from __future__ import annotations

import httpx

from tests.support.api_server import PASSWORD, Api

TIMELINE = "/static/vendor/vis-timeline-8.5.4/vis-timeline-graph2d.min.js"


def test_static_files_are_compressed_and_pages_are_not(api: Api) -> None:
    gzip = {"Accept-Encoding": "gzip"}
    with httpx.Client(base_url=api.url, timeout=60) as client:
        script = client.get(TIMELINE, headers=gzip)
        assert script.status_code == 200 and script.headers.get("content-encoding") == "gzip"
        assert script.num_bytes_downloaded < len(script.content) / 3
        sign_in = client.get("/login", headers={**gzip, "Accept": "text/html"})
        assert sign_in.status_code == 200 and "content-encoding" not in sign_in.headers
    with api.client(None, purpose=None) as signed_in:
        login = {"username": "practitioner", "password": PASSWORD, "purpose": "page weight"}
        assert signed_in.post("/auth/login", json=login).status_code == 200
        person = api.cypher("MATCH (p:`Person`) RETURN p.person_id ORDER BY p.person_id")[0][0]
        page = signed_in.get(f"/people/{person}", headers={**gzip, "Accept": "text/html"})
    assert page.status_code == 200 and "content-encoding" not in page.headers
    assert f'<script src="{TIMELINE}"' not in page.text and f'data-script="{TIMELINE}"' in page.text
