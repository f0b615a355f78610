"""Bringing partner extracts in: sources, feed definitions, cleansing, validation, quarantine, the ledger and retention."""
