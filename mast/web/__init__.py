"""The web UI: pages for practitioners, reviewers, analysts and auditors (Jinja2 and htmx),
and the server that mounts them beside the API."""
