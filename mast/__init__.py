"""MAST — the Multi-Agency Safeguarding Tracker.

Rooms (see docs/architecture.md): ``schema`` holds the data contracts,
``loaders`` brings partner extracts in, ``resolver`` finds people and places,
``graph`` projects them into Cypher, ``api`` serves them, ``demo`` makes a
synthetic West Glamorgan to try it all on.
"""

__version__ = "0.1.0"
