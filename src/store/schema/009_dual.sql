-- egca schema 9: dual certificates and user key recovery on the CA side
-- (ra/ execution with the KM; docs/km.md "CA side").
--
-- cert_pair: which signing certificate goes with which encryption
-- certificate (its key made and escrowed by the KM, userCertNO = the
-- encryption certificate's serial). A dual issuance writes one row; a
-- user key recovery adds one for the new signing certificate and the
-- same encryption certificate, so an encryption certificate may have
-- several rows over time (the newest is the current signing
-- certificate).
-- app_dual: the KM material of one application ("new" with an
-- enc_profile, or "recover"): the encryption certificate's serial (chosen
-- before the KM is asked, since the KM keys by it), the public key the
-- KM returned and the envelope (GM/T 0009 SM2EnvelopedKey, DER) of the
-- private key to the holder's signing key. The envelope is no secret to
-- anyone but the holder, but it is kept only until expires_at (the
-- holder downloads it meanwhile); a retried execution finds the KM's
-- answer here instead of asking the KM twice.

CREATE TABLE cert_pair (
	ca TEXT NOT NULL,
	sign_serial TEXT NOT NULL,
	enc_serial TEXT NOT NULL,
	app TEXT,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (ca, sign_serial)
);
CREATE INDEX cert_pair_enc ON cert_pair (ca, enc_serial);

CREATE TABLE app_dual (
	app TEXT NOT NULL PRIMARY KEY REFERENCES application (id),
	ca TEXT NOT NULL,
	enc_serial TEXT NOT NULL,
	sign_serial TEXT,
	enc_spki BYTEA NOT NULL,
	envelope BYTEA,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
