"""The audit log: an HMAC hash chain of who read what, its sealed head file and its tables.

Every room that must leave a trace (the API, the daily run's retention and backup, the CLI)
writes through `chain.AuditLog`; none of them needs the web tier to do it.
"""
