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
]

SCHEMA_VERSION = MIGRATIONS[-1][0]
