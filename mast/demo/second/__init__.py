"""The second region: another place, nine other partner systems and their own habits, so
that resolution is measured on data unlike the demo it was built beside."""
