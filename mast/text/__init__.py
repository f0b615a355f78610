"""Text rules every room shares: folding, name forms and phonetics, postcodes, street words.

Loaders clean with them, the resolver weighs matches with them and search scores hits with
them, so a change here changes all three on purpose.
"""
