"""Data contracts: canonical records, the feed-definition format and the state-store tables. No I/O."""
