-- egca schema 3: pre-signed OCSP responses and delegated OCSP signers.
-- One dialect for SQLite and PostgreSQL (see 001_init.sql).

-- One pre-signed response per issued certificate (RFC 5019 2.2.1). A
-- status change marks the row stale in the transaction that makes it
-- (status/ egca_status_invalidate); no node serves a stale row, the
-- next tick of a running service re-signs it. der is NULL for a row
-- marked stale before any response was signed.
CREATE TABLE ocsp_response (
	ca TEXT NOT NULL,
	serial TEXT NOT NULL,
	cert_status TEXT NOT NULL
		CHECK (cert_status IN ('good', 'revoked', 'hold', 'stale')),
	der BYTEA,
	this_update BIGINT NOT NULL DEFAULT 0,
	next_update BIGINT NOT NULL DEFAULT 0,
	produced_at BIGINT NOT NULL DEFAULT 0,
	stale INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1)),
	signer TEXT NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (ca, serial),
	FOREIGN KEY (ca, serial) REFERENCES certificate (ca, serial)
);

CREATE INDEX ocsp_response_stale ON ocsp_response (stale);
CREATE INDEX ocsp_response_next ON ocsp_response (next_update);
CREATE INDEX ocsp_response_updated ON ocsp_response (updated_at);

-- Delegated OCSP signing certificates (RFC 6960 4.2.2.2), issued by the
-- CA from the ocsp-signer profile; the key is DIR/<key_file>, encrypted
-- with the CA key's passphrase. At most one active per CA.
CREATE TABLE ocsp_signer (
	ca TEXT NOT NULL REFERENCES ca (name),
	serial TEXT NOT NULL,
	cert_der BYTEA NOT NULL,
	key_file TEXT NOT NULL,
	not_before BIGINT NOT NULL,
	not_after BIGINT NOT NULL,
	active INTEGER NOT NULL CHECK (active IN (0, 1)),
	created_at BIGINT NOT NULL,
	PRIMARY KEY (ca, serial)
);
