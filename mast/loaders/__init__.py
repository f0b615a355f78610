"""Bringing partner extracts in.

Sources, feed definitions, cleansing, validation, quarantine, the ledger and retention.
"""
