-- egca schema 5: operators, web sessions and API tokens (auth/).
-- Secrets are never stored in the clear: passwords as Argon2id encoded
-- hashes, session ids and API tokens as SHA-256 hex (they are 256-bit
-- random), TOTP seeds sealed with AES-256-GCM under DIR/keys/auth.key.
-- Role masks are enum egca_role bits (include/egca/auth.h). The point,
-- department and subscriber columns refer to RA tables of another
-- migration by value only (no foreign key across migrations).

CREATE TABLE operator (
	name TEXT NOT NULL PRIMARY KEY,
	display_name TEXT NOT NULL,
	roles BIGINT NOT NULL CHECK (roles > 0),
	point TEXT,
	department TEXT,
	subscriber TEXT,
	password_hash TEXT NOT NULL,
	totp_sealed BYTEA,        -- nonce || ciphertext || tag; NULL: no TOTP
	totp_pending BYTEA,       -- enrolment started, not confirmed
	totp_last_step BIGINT NOT NULL DEFAULT 0, -- replay: last accepted step
	cert_sha256 TEXT UNIQUE,  -- TLS client certificate, SHA-256 hex
	must_change INTEGER NOT NULL DEFAULT 1 CHECK (must_change IN (0, 1)),
	disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	failures INTEGER NOT NULL DEFAULT 0,
	locked_until BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	last_login BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE session (
	id_hash TEXT NOT NULL PRIMARY KEY, -- SHA-256 hex of the cookie value
	operator TEXT NOT NULL REFERENCES operator (name),
	csrf TEXT NOT NULL,
	mfa INTEGER NOT NULL CHECK (mfa IN (0, 1)),
	created_at BIGINT NOT NULL,
	last_seen BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

CREATE INDEX session_operator ON session (operator);
CREATE INDEX session_expires ON session (expires_at);

CREATE TABLE api_token (
	id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 16),
	token_hash TEXT NOT NULL UNIQUE, -- SHA-256 hex of the token text
	owner TEXT NOT NULL REFERENCES operator (name),
	label TEXT NOT NULL DEFAULT '',
	roles BIGINT NOT NULL CHECK (roles > 0),
	mfa INTEGER NOT NULL CHECK (mfa IN (0, 1)),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL DEFAULT 0,
	last_used BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX api_token_owner ON api_token (owner);
