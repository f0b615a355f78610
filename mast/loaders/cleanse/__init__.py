"""Cleansing of single values.

Pure functions; each returns the clean value or None and never raises on data.
"""
