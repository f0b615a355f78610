"""API latency over loopback HTTP: `searchPeople` and a person page (chronology, household,
open cases), measured from this process while a second process keeps the server busy.

    .venv/bin/python bench/api.py --home .mast-demo     # a home `make demo` built
    .venv/bin/python bench/api.py --home H --samples 300 --load-workers 2

Starts `mast serve` on 127.0.0.1 (a process of its own), adds a bench account, then times
`--samples` requests of each kind, one at a time, while `--load-workers` background
clients send a mix of both as fast as they can. Names are searched as practitioners type
them: a third with a typing error, a third with a nickname or initial, the rest exact.
Targets (issue 5): p95 searchPeople <= 100 ms, person page <= 150 ms. The search box
(issue 21): `GET /search/results` as the web UI sends it, a signed-in session typing a
name half-written, with an age, or an address as a caller says it; p95 <= 1 s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from machine import loop_seconds

from mast.accounts.accounts import Accounts
from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings

SEARCH = """query($n: String, $d: Date) { searchPeople(name: $n, dob: $d, first: 20) {
  totalCount edges { score why openCases possiblySame agencies { agency agencyKind }
    lastAddress { addressId line } node { id personId givenName familyName dob } } } }"""
PAGE = """query($id: ID!) { person(id: $id) { personId givenName familyName dob
  chronology(first: 100) { totalCount edges { node { occurredAt agency kind category role
    addressLine } } }
  household { person { personId givenName familyName dob } since until }
  openCases { caseId agency kind leadName leadPhone leadEmail team } } }"""
PURPOSE = "benchmark"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token_for(settings: Settings, role: str) -> str:
    accounts = Accounts(open_store(settings), settings)
    name = f"bench-{role}"
    user = accounts.get(name) or accounts.add(
        name, display_name="Benchmark", role=role, agency="bench", password=None
    )
    return accounts.issue(user, kind="token", label="bench/api.py")


def ui_session(url: str, settings: Settings) -> httpx.Client:
    """A web session (cookie) for the bench's own practitioner, signed in with a purpose."""
    accounts = Accounts(open_store(settings), settings)
    name, password = (
        f"bench-ui-{random.getrandbits(32):08x}",
        f"bench {random.getrandbits(64):x} pw",
    )
    accounts.add(
        name, display_name="Benchmark", role="practitioner", agency="bench", password=password
    )
    client = httpx.Client(base_url=url, timeout=60)
    body = {"username": name, "password": password, "purpose": PURPOSE}
    response = client.post("/auth/login", json=body)
    if response.status_code != 200:
        raise SystemExit(f"web sign-in failed: {response.status_code}")
    return client


def box_queries(client: httpx.Client, people: list[dict[str, Any]], n: int) -> list[str]:
    """What a practitioner or call handler types into the box: half a given name and the
    family name, a family name and an age, a flat and door and street, a street alone."""
    rows = client.post(
        "/cypher",
        json={
            "cypher": "MATCH (a:`Address`) WHERE a.line STARTS WITH 'Flat ' "
            "RETURN a.line ORDER BY a.address_id LIMIT 200"
        },
    ).json()["rows"]
    places = []
    for (line,) in rows:
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3 and parts[1][:1].isdigit():
            places += [f"{parts[0].lower()} {parts[1]}", parts[1].split(" ", 1)[1]]
    out = []
    for i, p in enumerate(people[:n]):
        given, family = p["full"]
        out.append(f"{given[:3]} {family}" if i % 2 else f"{family} aged {p['age']}")
        if places:
            out.append(places[i % len(places)])
    return out


def time_box(url: str, settings: Settings, box: list[str]) -> list[float]:
    """Seconds for each line typed into the web UI's box, results rendered."""
    out = []
    web = ui_session(url, settings)
    try:
        for q in box:
            started = time.perf_counter()
            response = web.get("/search/results", params={"q": q})
            out.append(time.perf_counter() - started)
            if response.status_code != 200 or "<h2" not in response.text:
                raise SystemExit(f"search box failed: {response.status_code}")
    finally:
        web.close()
    return out


def typed(given: str, family: str, rng: random.Random) -> str:
    """The name as someone might type it."""
    roll = rng.random()
    if roll < 1 / 3 and len(family) > 3:
        i = rng.randrange(1, len(family) - 2)
        family = family[:i] + family[i + 1] + family[i] + family[i + 2 :]
    elif roll < 2 / 3:
        given = given[0]
    return f"{given} {family}"


def sample(client: httpx.Client, n: int, seed: int) -> list[dict[str, Any]]:
    rows = client.post(
        "/cypher",
        json={
            "cypher": "MATCH (p:`Person`) WHERE p.given_name IS NOT NULL AND "
            "p.family_name IS NOT NULL AND p.dob IS NOT NULL "
            "RETURN p.person_id, p.given_name, p.family_name, p.dob"
        },
    ).json()["rows"]
    rng = random.Random(seed)
    picked = rng.sample(rows, min(n, len(rows)))
    today = time.localtime()
    return [
        {
            "id": r[0],
            "name": typed(r[1], r[2], rng),
            "dob": r[3],
            "full": (r[1], r[2]),
            "age": today.tm_year
            - int(r[3][:4])
            - ((today.tm_mon, today.tm_mday) < (int(r[3][5:7]), int(r[3][8:10]))),
        }
        for r in picked
    ]


def timed(client: httpx.Client, query: str, variables: dict[str, Any]) -> float:
    start = time.perf_counter()
    response = client.post("/graphql", json={"query": query, "variables": variables})
    elapsed = time.perf_counter() - start
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"request failed: {response.status_code} {str(body)[:300]}")
    return elapsed


def load(url: str, headers: dict[str, str], people: list[dict[str, Any]], stop: Any) -> None:
    rng = random.Random(os.getpid())
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        while not stop.is_set():
            p = rng.choice(people)
            if rng.random() < 0.5:
                client.post("/graphql", json={"query": SEARCH, "variables": {"n": p["name"]}})
            else:
                client.post("/graphql", json={"query": PAGE, "variables": {"id": p["id"]}})


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", default=".mast-demo")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--load-workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    settings = Settings(home=Path(args.home), feeds=BUILTIN_FEEDS)
    headers = {"X-MAST-Purpose": PURPOSE}
    analyst = {**headers, "Authorization": f"Bearer {token_for(settings, 'analyst')}"}
    viewer = {**headers, "Authorization": f"Bearer {token_for(settings, 'practitioner')}"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The web session's cookie over plain HTTP on loopback, for the search box's timings.
    env = {**os.environ, "MAST_HOME": str(settings.home), "MAST_COOKIE_SECURE": "false"}
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "mast", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.perf_counter() - started > 600:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        ready = time.perf_counter() - started
        with httpx.Client(base_url=url, headers=analyst, timeout=120) as client:
            people = sample(client, args.samples, args.seed)
            box = box_queries(client, people, args.samples // 2)
        stop = multiprocessing.Event()
        workers = [
            multiprocessing.Process(target=load, args=(url, viewer, people, stop))
            for _ in range(args.load_workers)
        ]
        for w in workers:
            w.start()
        results: dict[str, list[float]] = {"searchPeople": [], "person page": [], "search box": []}
        with httpx.Client(base_url=url, headers=viewer, timeout=60) as client:
            for p in people[:10]:  # warm the connection and the caches of the first pages
                timed(client, PAGE, {"id": p["id"]})
            for p in people:
                results["searchPeople"].append(timed(client, SEARCH, {"n": p["name"]}))
                results["person page"].append(timed(client, PAGE, {"id": p["id"]}))
        results["search box"] = time_box(url, settings, box)
        stop.set()
        for w in workers:
            w.join()
    finally:
        server.terminate()
        server.wait(timeout=60)
    loop = loop_seconds()
    print(
        f"\nAPI over loopback HTTP: {args.home}, server ready in {ready:.1f} s, "
        f"{args.load_workers} load process(es); 20M-step Python loop {loop:.2f} s\n"
    )
    print(
        f"| {'request':<14} | {'n':>5} | {'p50 ms':>7} | {'p95 ms':>7} | {'max ms':>7} | target p95 |"
    )
    print(f"|{'-' * 16}|{'-' * 7}|{'-' * 9}|{'-' * 9}|{'-' * 9}|------------|")
    for name, target in (("searchPeople", 100), ("person page", 150), ("search box", 1000)):
        values = results[name]
        print(
            f"| {name:<14} | {len(values):>5} | {statistics.median(values) * 1000:>7.1f} | "
            f"{pct(values, 0.95):>7.1f} | {max(values) * 1000:>7.1f} | <= {target} ms |"
        )


if __name__ == "__main__":
    main()
