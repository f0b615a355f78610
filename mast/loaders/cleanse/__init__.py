"""Cleansing of single values. Pure functions; each returns the clean value or None, never raises on data."""
