-- egca schema 1: CAs, trust anchors, serial reservations, certificates,
-- audit events. One dialect for SQLite and PostgreSQL: no AUTOINCREMENT
-- or SERIAL (keys come from the application), BYTEA for binary (SQLite
-- keeps blobs under any type name), times as Unix seconds in BIGINT.
-- schema_migrations is created by store.c before this runs.

CREATE TABLE ca (
	name TEXT NOT NULL PRIMARY KEY,
	status TEXT NOT NULL CHECK (status IN ('pending', 'active')),
	mode TEXT NOT NULL CHECK (mode IN ('root', 'subordinate')),
	key_alg TEXT NOT NULL,
	key_file TEXT NOT NULL,
	subject TEXT NOT NULL,
	subject_der BYTEA,
	cert_der BYTEA,
	csr_der BYTEA,
	chain_pem TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	not_after BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE trust_anchor (
	id TEXT NOT NULL PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('anchor', 'cross')),
	subject TEXT NOT NULL,
	cert_der BYTEA NOT NULL,
	not_after BIGINT NOT NULL,
	added_at BIGINT NOT NULL
);

-- Written before anything is signed (reliability-scenarios, section 0 item 1):
-- a serial is used at most once per CA, even if signing then fails.
CREATE TABLE serial_reservation (
	ca TEXT NOT NULL REFERENCES ca (name),
	serial TEXT NOT NULL,
	tbs_sm3 TEXT NOT NULL,
	reserved_at BIGINT NOT NULL,
	UNIQUE (ca, serial)
);

-- A certificate can only be stored under a reserved serial.
CREATE TABLE certificate (
	ca TEXT NOT NULL REFERENCES ca (name),
	serial TEXT NOT NULL,
	profile TEXT NOT NULL,
	subject TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('good', 'revoked', 'hold')),
	reason INTEGER NOT NULL DEFAULT -1,
	revoked_at BIGINT NOT NULL DEFAULT 0,
	invalidity_date BIGINT NOT NULL DEFAULT 0,
	not_before BIGINT NOT NULL,
	not_after BIGINT NOT NULL,
	issued_at BIGINT NOT NULL,
	audience TEXT NOT NULL CHECK (audience IN ('public', 'government')),
	key_alg TEXT NOT NULL,
	tbs_sm3 TEXT NOT NULL,
	der BYTEA NOT NULL,
	PRIMARY KEY (ca, serial),
	FOREIGN KEY (ca, serial) REFERENCES serial_reservation (ca, serial)
);

CREATE INDEX certificate_status ON certificate (status);
CREATE INDEX certificate_not_after ON certificate (not_after);
CREATE INDEX certificate_subject ON certificate (subject);
CREATE INDEX certificate_issued ON certificate (issued_at, serial);

-- Hash chain computed by audit/; seq is contiguous from 1.
CREATE TABLE audit_event (
	seq BIGINT NOT NULL PRIMARY KEY CHECK (seq > 0),
	ts BIGINT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL,
	outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
	details TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
