"""The analyst query limits on the embedded graph: how long a query with a huge result runs
against its time limit, and what a 400 MB result costs against the byte cap.

    PYTHONPATH=$PWD .venv/bin/python bench/cypher_limits.py time
    PYTHONPATH=$PWD .venv/bin/python bench/cypher_limits.py bytes

Run each in its own process (peak memory is the process's). An older tree without
`max_bytes` runs the byte case uncapped, for the before figure.
"""

from __future__ import annotations

import argparse
import inspect
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from mast.core.errors import GraphError
from mast.graph.ladybug_store import LadybugStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=["time", "bytes"])
    args = parser.parse_args()
    store = LadybugStore(Path(tempfile.mkdtemp()) / "g.lbug", buffer_pool_bytes=2 * 1024**3)
    started = time.monotonic()
    try:
        if args.case == "time":
            # Executes fast; fetching twenty million rows is what overran the limit.
            query = "UNWIND range(1, 20000000) AS x RETURN x"
            result = store.read(query, {}, timeout_s=2.0, max_rows=10**9)
        else:
            capped = "max_bytes" in inspect.signature(store.read).parameters
            kw: dict[str, Any] = {"max_bytes": 32 * 2**20} if capped else {}
            result = store.read("UNWIND range(1, 400) AS i RETURN repeat('x', 1000000)", {}, **kw)
        outcome = f"returned {len(result.rows):,} rows"
    except GraphError as e:
        outcome = f"stopped: {e}"
    finally:
        seconds = time.monotonic() - started  # the read, not closing the database
        store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    limit = " (limit 2 s)" if args.case == "time" else ""
    print(f"{outcome}; {seconds:.1f} s{limit}; peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
