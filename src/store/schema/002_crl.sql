-- egca schema 2: CRLs (RFC 5280 section 5, GM/T 0015 5.3), full and delta.
-- One dialect for SQLite and PostgreSQL, as 001_init.sql.

-- When the status last changed (revoke, hold, unhold): delta CRLs list
-- the changes since their base, and the status service regenerates CRLs
-- after a change. 0 for a certificate whose status never changed.
ALTER TABLE certificate ADD COLUMN status_changed_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX certificate_status_changed ON certificate (ca, status_changed_at);
-- The revoked and held certificates of a CA in serial order, without
-- walking the good ones (a partial index; the CRL query repeats the
-- predicate word for word so that SQLite uses it).
CREATE INDEX certificate_crl ON certificate (ca, serial) WHERE status <> 'good';

-- Every CRL signed, full (delta 0) and delta (delta 1). Full and delta
-- CRLs of one CA share one cRLNumber sequence (RFC 5280 5.2.4).
CREATE TABLE crl (
	ca TEXT NOT NULL REFERENCES ca (name),
	number BIGINT NOT NULL CHECK (number > 0),
	delta INTEGER NOT NULL CHECK (delta IN (0, 1)),
	base_number BIGINT NOT NULL DEFAULT 0,
	this_update BIGINT NOT NULL,
	next_update BIGINT NOT NULL,
	entries BIGINT NOT NULL,
	der BYTEA NOT NULL,
	sm3 TEXT NOT NULL,
	PRIMARY KEY (ca, number, delta)
);

-- The next cRLNumber of each CA, taken in a write transaction so that
-- the number never goes back, also with several nodes on one database.
CREATE TABLE crl_counter (
	ca TEXT NOT NULL PRIMARY KEY REFERENCES ca (name),
	next_number BIGINT NOT NULL CHECK (next_number > 0)
);
