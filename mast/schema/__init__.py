"""Data contracts: canonical records, feed-definition format, state-store tables. No I/O."""
