"""A synthetic West Glamorgan: people, households, places and a year of partner extracts.

Synthetic only: names are drawn from common-name lists, NHS numbers from the range
the NHS keeps for testing (999…), postcodes and UPRNs are made up.
"""
