"""The daily run: its steps, its ledger, its schedule."""
