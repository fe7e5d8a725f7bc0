"""Database schema as numbered migrations, applied once each, in order.

Each migration is a list of single statements (DuckDB runs a multi-statement string in
auto-commit, so one statement per execute keeps a failed migration from half-applying).
A later release appends a migration; it never edits one that has shipped.
"""
from __future__ import annotations

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "initial schema", [
        """CREATE SEQUENCE upload_id_seq START 1""",
        """CREATE TABLE uploads (
            upload_id    BIGINT PRIMARY KEY,          -- one stored report: one town, one report date
            file_name    VARCHAR NOT NULL,
            sha256       VARCHAR NOT NULL,            -- of the whole file as uploaded
            size_bytes   BIGINT NOT NULL,
            uploaded_at  TIMESTAMP NOT NULL,
            uploader     VARCHAR NOT NULL,
            town         VARCHAR NOT NULL,
            report_date  DATE NOT NULL,
            version      INTEGER NOT NULL,            -- 1, 2, … per town and report date
            active       BOOLEAN NOT NULL,            -- the version in force; earlier ones are superseded
            superseded_at TIMESTAMP,
            filled_by    VARCHAR,
            phone        VARCHAR,
            is_sample    BOOLEAN NOT NULL DEFAULT FALSE,
            warning_count INTEGER NOT NULL,
            warnings     VARCHAR NOT NULL,            -- JSON list of the warnings shown at import
            UNIQUE (town, report_date, version)
        )""",
        """CREATE TABLE compounds (
            upload_id BIGINT NOT NULL REFERENCES uploads (upload_id),
            source_row INTEGER NOT NULL,
            town VARCHAR NOT NULL,
            community VARCHAR NOT NULL,
            compound VARCHAR NOT NULL,
            eligible BOOLEAN NOT NULL,
            has_committee BOOLEAN NOT NULL,
            committee_founded DATE,
            committee_members INTEGER,
            committee_party_members INTEGER,
            committee_party_org BOOLEAN NOT NULL,
            party_org_founded DATE,
            property_company VARCHAR,
            company_party_org BOOLEAN
        )""",
        """CREATE TABLE communities (
            upload_id BIGINT NOT NULL REFERENCES uploads (upload_id),
            source_row INTEGER NOT NULL,
            town VARCHAR NOT NULL,
            community VARCHAR NOT NULL,
            has_epmc BOOLEAN NOT NULL,
            epmc_founded DATE,
            epmc_members INTEGER,
            epmc_party_members INTEGER,
            epmc_chair_from_rc BOOLEAN,
            epmc_conflict BOOLEAN,
            green_status VARCHAR NOT NULL
        )""",
        """CREATE TABLE brands (
            upload_id BIGINT NOT NULL REFERENCES uploads (upload_id),
            source_row INTEGER NOT NULL,
            town VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            level VARCHAR NOT NULL,
            recognized DATE NOT NULL,
            community VARCHAR,
            compound VARCHAR
        )""",
        """CREATE TABLE epmc_members (
            upload_id BIGINT NOT NULL REFERENCES uploads (upload_id),
            source_row INTEGER NOT NULL,
            town VARCHAR NOT NULL,
            community VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            role VARCHAR,
            member_type VARCHAR,
            party_member BOOLEAN,
            conflict BOOLEAN
        )""",
        """CREATE INDEX uploads_town_date ON uploads (town, report_date)""",
        """CREATE INDEX compounds_upload ON compounds (upload_id)""",
        """CREATE INDEX communities_upload ON communities (upload_id)""",
    ]),
    (2, "settings kept by the application", [
        """CREATE TABLE app_settings (
            key   VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL
        )""",
    ]),
    (3, "content hash per report", [
        # A report's canonical rows hashed, so that a consolidated workbook re-sent with one town
        # changed stores a new version for that town only.
        """ALTER TABLE uploads ADD COLUMN content_sha256 VARCHAR""",
    ]),
    (4, "accounts, failed logins and the audit log", [
        """CREATE TABLE users (
            user_name     VARCHAR PRIMARY KEY,
            role          VARCHAR NOT NULL,           -- admin | town | viewer (core/access.py)
            town          VARCHAR,                    -- the one town of a town clerk
            password_hash VARCHAR,                    -- argon2id (argon2-cffi); NULL: identity provider only
            email         VARCHAR,                    -- matched against the identity provider's e-mail
            active        BOOLEAN NOT NULL DEFAULT TRUE,
            created_at    TIMESTAMP NOT NULL,
            created_by    VARCHAR NOT NULL,
            changed_at    TIMESTAMP,
            last_login_at TIMESTAMP
        )""",
        # Kept per name typed, known or not, so that guessing unknown names backs off as well.
        """CREATE TABLE login_failures (
            user_name    VARCHAR PRIMARY KEY,
            failures     INTEGER NOT NULL,            -- consecutive failures since the last success
            last_failed  TIMESTAMP NOT NULL,
            locked_until TIMESTAMP
        )""",
        """CREATE SEQUENCE audit_id_seq START 1""",
        """CREATE TABLE audit_log (
            audit_id    BIGINT PRIMARY KEY,
            happened_at TIMESTAMP NOT NULL,
            user_name   VARCHAR NOT NULL,             -- who (the name typed, for a failed login)
            role        VARCHAR,
            action      VARCHAR NOT NULL,             -- core/audit.py ACTIONS
            town        VARCHAR,
            report_date DATE,
            file_name   VARCHAR,
            sha256      VARCHAR,                      -- of the file as uploaded
            upload_id   BIGINT,
            version     INTEGER,
            detail      VARCHAR,                      -- a Chinese sentence
            source      VARCHAR                       -- where from: 本机, 命令行 or the client's address
        )""",
        """CREATE INDEX audit_log_happened_at ON audit_log (happened_at)""",
    ]),
    (6, "counts per stored report, cached per set of campaign rules", [
        # A stored report never changes, so its counts under given rules never do: computing them
        # once turns "metrics as of a date" over a year of province history into a small lookup.
        """CREATE TABLE report_counts (
            upload_id BIGINT NOT NULL,
            rules VARCHAR NOT NULL,                -- fingerprint of the rule parameters the counts used
            compounds INTEGER NOT NULL, eligible_compounds INTEGER NOT NULL, committees INTEGER NOT NULL,
            eligible_committees INTEGER NOT NULL, party_orgs INTEGER NOT NULL, red_committees INTEGER NOT NULL,
            communities INTEGER NOT NULL, epmcs INTEGER NOT NULL, compliant_epmcs INTEGER NOT NULL,
            property_companies INTEGER NOT NULL, property_companies_with_party_org INTEGER NOT NULL,
            green_accepted INTEGER NOT NULL, district_brands_new INTEGER NOT NULL,
            PRIMARY KEY (upload_id, rules)
        )""",
    ]),
    (7, "distinct property companies per set of reports, cached", [
        # The district counts property companies once by name across the reports in force, which
        # means reading every compound of them; a set of stored reports never changes, so the two
        # counts of a set are kept, keyed by a hash of its sorted upload ids (core/measures.py).
        """CREATE TABLE district_companies (
            set_key VARCHAR PRIMARY KEY,
            property_companies INTEGER NOT NULL,
            property_companies_with_party_org INTEGER NOT NULL
        )""",
    ]),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]
