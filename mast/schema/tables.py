"""Tables of the state store, the source of truth (SQLite by default, PostgreSQL by URL).

The graph is a projection of these tables and can be rebuilt from them at any time.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

files = sa.Table(
    "files",
    metadata,
    sa.Column("file_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("feed", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255), nullable=False, comment="as delivered; never used as a path"),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, comment="loaded | rejected"),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("rows_in", sa.Integer, nullable=False, default=0),
    sa.Column("stored", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Integer, nullable=False, default=0),
    sa.Column("quarantined", sa.Integer, nullable=False, default=0),
    sa.Column("duplicates", sa.Integer, nullable=False, default=0),
    sa.Column("warnings", sa.Integer, nullable=False, default=0),
    sa.Column("reject_code", sa.String(32)),
    sa.Column("reject_reason", sa.Text),
    sa.Index("ix_files_sha256", "sha256"),
)

_RECORD_TEXT = [
    "source_person_id",
    "given_name",
    "middle_names",
    "family_name",
    "other_names",
    "sex",
    "nhs_number",
    "address_text",
    "flat",
    "building",
    "house_number",
    "street",
    "locality",
    "town",
    "postcode",
    "uprn",
    "premises_type",
    "local_authority",
    "event_ref",
    "event_kind",
    "category",
    "role",
    "case_ref",
    "case_status",
    "lead_name",
    "lead_phone",
    "lead_email",
    "team",
    "related_source_person_id",
    "relationship",
]

records = sa.Table(
    "records",
    metadata,
    sa.Column("record_id", sa.String(300), primary_key=True),
    sa.Column("feed", sa.String(64), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("agency_kind", sa.String(32), nullable=False),
    sa.Column("source_record_id", sa.String(255), nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("dob", sa.Date),
    sa.Column("dob_earliest", sa.Date),
    sa.Column("dob_latest", sa.Date),
    sa.Column("case_opened", sa.Date),
    sa.Column("case_closed", sa.Date),
    *(sa.Column(name, sa.Text) for name in _RECORD_TEXT),
    sa.Column("warnings", sa.Text, comment="comma-separated warning codes"),
    sa.Column("raw", sa.Text, nullable=False, comment="mapped source values as received (JSON)"),
    sa.Column("row_hash", sa.String(40), nullable=False),
    sa.Column("file_id", sa.Integer, nullable=False, comment="file of the current version"),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("first_file_id", sa.Integer, nullable=False),
    sa.Index("ix_records_feed", "feed"),
    sa.Index("ix_records_occurred_at", "occurred_at"),
    sa.Index("ix_records_file_id", "file_id"),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("quarantine_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_id", sa.Integer, nullable=False),
    sa.Column("feed", sa.String(64), nullable=False),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("reason_code", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, comment="never contains the values"),
    sa.Column("fields", sa.Text, nullable=False, comment="mapped source values (JSON)"),
    sa.Column("quarantined_at", sa.DateTime, nullable=False),
    sa.Index("ix_quarantine_file", "file_id"),
)

purges = sa.Table(
    "purges",
    metadata,
    sa.Column("purge_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ran_at", sa.DateTime, nullable=False),
    sa.Column("cutoff", sa.DateTime, nullable=False),
    sa.Column("records_removed", sa.Integer, nullable=False),
    sa.Column("quarantine_removed", sa.Integer, nullable=False),
)

pulls = sa.Table(
    "pulls",
    metadata,
    sa.Column("source", sa.String(255), primary_key=True),
    sa.Column("remote_name", sa.String(255), primary_key=True),
    sa.Column("size", sa.BigInteger, primary_key=True),
    sa.Column("mtime", sa.BigInteger, primary_key=True),
    sa.Column("pulled_at", sa.DateTime, nullable=False),
    comment="files already fetched from a remote source, so a daily pull takes only new ones",
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trigger", sa.String(16), nullable=False, comment="schedule | manual"),
    sa.Column(
        "as_of", sa.DateTime, nullable=False, comment="the run's clock: retention counts from it"
    ),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column(
        "status",
        sa.String(16),
        nullable=False,
        comment="running | ok | partial (a partner failed) | failed | interrupted",
    ),
    sa.Column("seconds", sa.Float),
    comment="daily runs: pull, ingest, purge, resolve, graph, figures",
)

run_steps = sa.Table(
    "run_steps",
    metadata,
    sa.Column("run_id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("step", sa.String(32), nullable=False),
    sa.Column("partner", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False, comment="ok | failed"),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("counts", sa.Text, nullable=False, comment="JSON: what the step did, in numbers"),
    sa.Column("error", sa.Text, comment="never contains personal data"),
)

addresses = sa.Table(
    "addresses",
    metadata,
    sa.Column(
        "address_id", sa.String(16), primary_key=True, comment="minted by MAST, never reused"
    ),
    sa.Column("uprn", sa.String(12)),
    sa.Column("flat", sa.Text),
    sa.Column("building", sa.Text),
    sa.Column("house_number", sa.Text),
    sa.Column("street", sa.Text),
    sa.Column("locality", sa.Text),
    sa.Column("town", sa.Text),
    sa.Column("postcode", sa.String(8)),
    sa.Column("premises_type", sa.String(64)),
    sa.Column("residential", sa.Boolean),
    sa.Column("records", sa.Integer, nullable=False, default=0),
    sa.Column("retired_into", sa.String(16), comment="set when merged into another address"),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ix_addresses_postcode", "postcode"),
)

record_addresses = sa.Table(
    "record_addresses",
    metadata,
    sa.Column("record_id", sa.String(300), primary_key=True),
    sa.Column("address_id", sa.String(16), nullable=False),
    sa.Index("ix_record_addresses_address", "address_id"),
)

address_keys = sa.Table(
    "address_keys",
    metadata,
    sa.Column(
        "key", sa.Text, primary_key=True, comment="postcode, premises, flat, street, building"
    ),
    sa.Column("uprns", sa.Text, comment="UPRNs seen with this key, comma-separated"),
    sa.Column("town", sa.Text, nullable=False),
    sa.Column("locality", sa.Text, nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("address_id", sa.String(16), nullable=False),
    sa.Column("place", sa.Text, comment="premises, flat, street: a postcode mistyped joins"),
    sa.Column("door", sa.Text, comment="postcode, premises, flat: a street mistyped joins"),
    sa.Column("name", sa.Text, comment="building name, flat: the same name joins by postcode"),
    sa.Column("name_here", sa.Text, comment="building name, flat, postcode (or none)"),
    sa.Index("ix_address_keys_place", "place"),
    sa.Index("ix_address_keys_door", "door"),
    sa.Index("ix_address_keys_name", "name"),
    sa.Index("ix_address_keys_name_here", "name_here"),
    comment="the keys address resolution clusters, so a daily run need not re-read every record",
)

address_waiting = sa.Table(
    "address_waiting",
    metadata,
    sa.Column("record_id", sa.String(300), primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
    sa.Index("ix_address_waiting_key", "key"),
    comment="records whose key names no place yet (a name alone that may be a district's), "
    "so the day a record places their key finds them",
)

address_tallies = sa.Table(
    "address_tallies",
    metadata,
    sa.Column("address_id", sa.String(16), primary_key=True),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("counts", sa.Text, nullable=False, comment="JSON: field → value → records"),
    comment="the described values of an address with many records (a hospital's thousands), "
    "counted, so a daily run adds its records to the counts rather than counting all again",
)

address_key_uprns = sa.Table(
    "address_key_uprns",
    metadata,
    sa.Column("uprn", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    comment="which keys carry a UPRN, so a daily run finds the keys a UPRN joins by index",
)

address_key_links = sa.Table(
    "address_key_links",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("other", sa.Text, primary_key=True),
    sa.Index("ix_address_key_links_other", "other"),
    comment="pairs of keys the learned address model scores as one place, each way round, "
    "so a daily run finds a key's links by index",
)

address_key_blocks = sa.Table(
    "address_key_blocks",
    metadata,
    sa.Column("block", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    comment="the candidate blocks (postcode; street and number; sector and numbers) of each "
    "key, so a daily run finds the keys the model should score a new one against",
)

address_models = sa.Table(
    "address_models",
    metadata,
    sa.Column("model_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trained_at", sa.DateTime, nullable=False),
    sa.Column("keys", sa.Integer, nullable=False),
    sa.Column("settings", sa.Text, nullable=False, comment="Splink model JSON and frequencies"),
)

id_history = sa.Table(
    "id_history",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(16), nullable=False, comment="address | person"),
    sa.Column("kind", sa.String(8), nullable=False, comment="merge | split"),
    sa.Column("old_id", sa.String(16), nullable=False),
    sa.Column("new_id", sa.String(16), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

RECORD_COLUMNS: tuple[str, ...] = tuple(c.name for c in records.columns)

# --- Person resolution (mast/resolver) -------------------------------------------------

persons = sa.Table(
    "persons",
    metadata,
    sa.Column("person_id", sa.String(16), primary_key=True, comment="minted by MAST, never reused"),
    sa.Column("given_name", sa.Text),
    sa.Column("family_name", sa.Text),
    sa.Column("other_names", sa.Text, comment="other spellings and former names, '; '-separated"),
    sa.Column("dob", sa.Date),
    sa.Column("sex", sa.String(8)),
    sa.Column("nhs_number", sa.String(10)),
    sa.Column("records", sa.Integer, nullable=False, default=0),
    sa.Column("first_seen", sa.DateTime),
    sa.Column("last_seen", sa.DateTime),
    sa.Column("retired_into", sa.String(16), comment="set when merged into another person"),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

person_profiles = sa.Table(
    "person_profiles",
    metadata,
    sa.Column("profile_id", sa.String(16), primary_key=True, comment="hash of the fields below"),
    sa.Column("source", sa.Text, comment="feed/partner person id"),
    sa.Column("given", sa.Text),
    sa.Column("middle", sa.Text),
    sa.Column("family", sa.Text),
    sa.Column("other_family", sa.Text),
    sa.Column("dob", sa.Date),
    sa.Column("dob_lo", sa.Date),
    sa.Column("dob_hi", sa.Date),
    sa.Column("sex", sa.String(8)),
    sa.Column("nhs", sa.String(10)),
    sa.Column("address_id", sa.String(16)),
    sa.Column("postcode", sa.String(8)),
    sa.Column(
        "address_event",
        sa.Boolean,
        comment="the address is where an event happened, not a home (NULL: made before)",
    ),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("person_id", sa.String(16), nullable=False),
    sa.Column(
        "component",
        sa.String(16),
        comment="smallest profile id joined to this one by stored links, persons or partner "
        "ids: what a daily run must re-cluster together",
    ),
    sa.Index("ix_person_profiles_person", "person_id"),
    sa.Index("ix_person_profiles_component", "component"),
    sa.Index("ix_person_profiles_source", "source"),
    # The look-ups of a daily run's candidates (resolver.people.store.candidates).
    sa.Index("ix_person_profiles_nhs", "nhs"),
    sa.Index("ix_person_profiles_dob", "dob"),
    sa.Index("ix_person_profiles_postcode_family", "postcode", "family"),
    sa.Index("ix_person_profiles_postcode_given", "postcode", "given"),
    comment="the distinct ways people were written down; the unit the model compares",
)
profile_sector = sa.func.substr(
    person_profiles.c.postcode,
    sa.literal_column("1"),
    sa.func.length(person_profiles.c.postcode) - sa.literal_column("2"),
)
"""A profile's postcode sector (`profiles.sector_of`) as SQL, written out once: a query
uses the index below only when it names the very same expression."""
# Also the index on given and family names: SQLite searches by a leading part of one.
sa.Index(
    "ix_person_profiles_sector", person_profiles.c.given, person_profiles.c.family, profile_sector
)
RETIRED_INDEXES = ("ix_person_profiles_names", "ix_person_profiles_postcode")
"""Indexes an older MAST made that others now serve: each costs every write a page."""

record_persons = sa.Table(
    "record_persons",
    metadata,
    sa.Column("record_id", sa.String(300), primary_key=True),
    sa.Column("profile_id", sa.String(16), nullable=False),
    sa.Column("person_id", sa.String(16), nullable=False),
    sa.Index("ix_record_persons_person", "person_id"),
    sa.Index("ix_record_persons_profile", "profile_id"),
)

person_edges = sa.Table(
    "person_edges",
    metadata,
    sa.Column("profile_a", sa.String(16), primary_key=True),
    sa.Column("profile_b", sa.String(16), primary_key=True),
    sa.Column("weight", sa.Float, nullable=False, comment="Fellegi–Sunter match weight"),
    *(
        sa.Column(f"mw_{name}", sa.Float, nullable=False)
        for name in ("nhs", "given", "family", "dob", "sex", "place")
    ),
    sa.Index("ix_person_edges_b", "profile_b"),
    comment="scored candidate pairs at or above the review threshold",
)

review_items = sa.Table(
    "review_items",
    metadata,
    sa.Column("item_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("record_a", sa.String(300), nullable=False),
    sa.Column("record_b", sa.String(300), nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("reason", sa.String(16), nullable=False, comment="uncertain | conflict | reported"),
    sa.Column("status", sa.String(8), nullable=False, comment="open | decided"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("priority", sa.Float, comment="what hangs on it: open case, recency, records"),
    sa.Column("evidence", sa.Text, comment="what is at stake, and for and against, in words"),
    sa.Index("ix_review_items_status", "status"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("decision_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("record_a", sa.String(300), nullable=False),
    sa.Column("record_b", sa.String(300), nullable=False),
    sa.Column("decision", sa.String(8), nullable=False, comment="link | unlink"),
    sa.Column("decided_by", sa.String(255), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decided_at", sa.DateTime, nullable=False),
    comment="reviewers' rulings: they always win, and survive every later run",
)

disputes = sa.Table(
    "disputes",
    metadata,
    sa.Column("dispute_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("record_id", sa.String(300), nullable=False),
    sa.Column("person_id", sa.String(16), nullable=False, comment="the person it was shown on"),
    sa.Column("item_id", sa.Integer, nullable=False, comment="the review item it queued"),
    sa.Column("reported_by", sa.String(255), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("reported_at", sa.DateTime, nullable=False),
    sa.Index("ix_disputes_record", "record_id"),
    comment="'not this person' reports: the record is flagged on every page at once, "
    "until a reviewer's ruling on its review item",
)

resolver_models = sa.Table(
    "resolver_models",
    metadata,
    sa.Column("model_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trained_at", sa.DateTime, nullable=False),
    sa.Column("profiles", sa.Integer, nullable=False),
    sa.Column("settings", sa.Text, nullable=False, comment="Splink model JSON: levels, m and u"),
)

person_pending = sa.Table(
    "person_pending",
    metadata,
    sa.Column("profile_id", sa.String(16), primary_key=True),
    comment="profiles a purge took records from: the next person run re-clusters them",
)

address_moves = sa.Table(
    "address_moves",
    metadata,
    sa.Column("record_id", sa.String(64), primary_key=True),
    comment="records an address run moved to another address: the next person run "
    "profiles them again",
)

ADDRESS_MARK = "address_file_id"
"""The resolver_state key of the last file addresses were resolved from; a purge clears it."""

resolver_state = sa.Table(
    "resolver_state",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    comment="high-water marks of the last resolution",
)

# --- Accounts and the audit trail (mast/api) -------------------------------------------

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("password_hash", sa.Text, comment="Argon2; NULL for single sign-on only"),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sso_issuer", sa.String(300), comment="single sign-on: the provider's issuer"),
    sa.Column("sso_subject", sa.String(255), comment="and its `sub` for this person"),
    sa.Index("ux_users_sso", "sso_issuer", "sso_subject", unique=True),
    comment="individual accounts: one person each, never shared (RELIABILITY P9)",
)

credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("credential_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False, comment="session | token"),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True, comment="SHA-256"),
    sa.Column("label", sa.String(200), nullable=False, default=""),
    sa.Column("purpose", sa.Text, comment="a session's stated purpose, asked once"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime),
    comment="web sessions and partner apps' bearer tokens; only their hashes are kept",
)

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("attempt_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("client", sa.String(64), comment="the client's address (back-off is per client)"),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Index("ix_login_attempts_user", "username", "at"),
    sa.Index("ix_login_attempts_client", "client", "at"),
)

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(32), nullable=False, comment="UTC, ISO 8601 with microseconds"),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("operation", sa.String(64), nullable=False),
    sa.Column("params", sa.Text, nullable=False, comment="JSON: the query and its arguments"),
    sa.Column("result_ids", sa.Text, nullable=False, comment="JSON list of ids returned"),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("mac", sa.String(64), nullable=False, comment="HMAC of the previous mac and this"),
    comment="append-only and hash-chained (RELIABILITY P6, P7)",
)

audit_subjects = sa.Table(
    "audit_subjects",
    metadata,
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("subject_id", sa.String(300), nullable=False),
    sa.PrimaryKeyConstraint("subject_id", "seq"),
    comment="which entries returned which ids: 'who viewed this person'; checked by verify",
)

audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("chain", sa.String(16), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("mac", sa.String(64), nullable=False),
    sa.Column("seal", sa.String(64), nullable=False, comment="HMAC of seq and mac: truncation"),
)

# --- The Cypher workbench (mast/web/routes_workbench.py) ------------------------------------

saved_queries = sa.Table(
    "saved_queries",
    metadata,
    sa.Column("query_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, nullable=False, comment="who saved it (users.user_id)"),
    sa.Column("agency", sa.String(64), nullable=False, comment="their team, when saved"),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("cypher", sa.Text, nullable=False, comment="with its // @param header lines"),
    sa.Column("params", sa.Text, nullable=False, default="", comment="name = value lines"),
    sa.Column("shared", sa.Boolean, nullable=False, default=False, comment="with the team"),
    sa.Column("saved_at", sa.DateTime, nullable=False),
    sa.Index("ix_saved_queries_user", "user_id"),
    sa.Index("ix_saved_queries_agency", "agency", "shared"),
    comment="analysts' own Cypher, kept per user and optionally shared with their agency",
)


# --- The change feed for partner apps (mast/resolver/change_feed.py) -------------------

person_changes = sa.Table(
    "person_changes",
    metadata,
    sa.Column(
        "seq",
        sa.Integer,
        primary_key=True,
        autoincrement=False,
        comment="the cursor: one more than the last, given in the run's own transaction",
    ),
    sa.Column("kind", sa.String(8), nullable=False, comment="created|split|merged|retired|event"),
    sa.Column("person_id", sa.String(16), nullable=False),
    sa.Column("into_id", sa.String(16), comment="merged: the surviving id; split: the new one"),
    sa.Column("event_id", sa.Text, comment="event: the graph's Event id now this person's"),
    sa.Column("at", sa.DateTime, nullable=False, comment="the run's clock"),
    sa.Index("ix_person_changes_at", "at"),
    comment="append-only: what each resolution did to persons, ids and kinds only, in order",
)


# --- Alerts (mast/daily/alerts.py) ----------------------------------------------------

watches = sa.Table(
    "watches",
    metadata,
    sa.Column("watch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False, comment="the watcher's: never alerted"),
    sa.Column("subject_kind", sa.String(8), nullable=False, comment="person | address"),
    sa.Column("subject_id", sa.String(16), nullable=False, comment="follows merges"),
    sa.Column(
        "kind", sa.String(8), nullable=False, comment="records | lookups (a case lead's opt-in)"
    ),
    sa.Column("cursor_file", sa.Integer, nullable=False, comment="files up to this one are seen"),
    sa.Column("cursor_seq", sa.Integer, nullable=False, comment="audit entries up to this one"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ux_watches_one", "username", "subject_kind", "subject_id", "kind", unique=True),
    comment="what a user asked to be told about; removing a watch deletes it (audited)",
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("watch_id", sa.Integer, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False, comment="records | lookup"),
    sa.Column("subject_kind", sa.String(8), nullable=False),
    sa.Column("subject_id", sa.String(16), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False, comment="the other agency"),
    sa.Column("records", sa.Integer, nullable=False, comment="new records (1 for a lookup)"),
    sa.Column("role", sa.String(16), comment="a lookup: the reader's role"),
    sa.Column("purpose", sa.Text, comment="a lookup: the purpose the reader gave"),
    sa.Column("happened_at", sa.DateTime, nullable=False, comment="a lookup: when it was read"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("seen_at", sa.DateTime, comment="first shown on the watching page"),
    sa.Column("emailed_at", sa.DateTime),
    sa.Index("ix_alerts_user", "username", "seen_at"),
    comment="what a watch found: counts by agency, never the records themselves",
)

alert_contacts = sa.Table(
    "alert_contacts",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    comment="where a user asked to be e-mailed about their alerts",
)


# --- The graph's touched deltas (mast/graph/touched.py) ---------------------------------
# Partial indexes (few records have these), so a day's delta finds a case's records and the
# statements naming a partner's person id without reading every record.
sa.Index(
    "ix_records_case_ref",
    records.c.case_ref,
    sqlite_where=records.c.case_ref.is_not(None),
    postgresql_where=records.c.case_ref.is_not(None),
)
sa.Index(
    "ix_records_related_person",
    records.c.related_source_person_id,
    sqlite_where=records.c.related_source_person_id.is_not(None),
    postgresql_where=records.c.related_source_person_id.is_not(None),
)

address_key_counts = sa.Table(
    "address_key_counts",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("kind", sa.String(1), primary_key=True, comment="u: a UPRN; p: a town and locality"),
    sa.Column("value", sa.Text, primary_key=True, comment="the UPRN, or town and locality"),
    sa.Column("records", sa.Integer, nullable=False),
    comment="each address key's records counted by UPRN and by town and locality, so a purge "
    "takes a record out of its key without reading the other records of its address",
)
