"""MAST — the Multi-Agency Safeguarding Tracker.

Rooms, each importing only from those below it (docs/architecture.md; ``make lint``
checks it): ``cli``; ``api`` serves the graph; ``daily`` runs the day; ``graph``
projects people and places into Cypher; ``resolver`` finds them; ``loaders`` brings
partner extracts in; ``audit`` and ``accounts``; ``text`` and ``core``, shared by all;
``schema``, the data contracts. ``demo`` makes a synthetic West Glamorgan to try it on.
"""

__version__ = "0.1.0"
