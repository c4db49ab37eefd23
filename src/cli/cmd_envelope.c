/*
 * egca envelope: the holder side of the KM's enveloped encryption key
 * (GM/T 0009 SM2EnvelopedKey, GM/T 0016 ENVELOPEDKEYBLOB). `open`
 * recovers the encryption key pair with the holder's signing key;
 * `seal` makes envelopes for tests and for the KM. Needs no data
 * directory and keeps no audit record: nothing of the CA changes.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "egca/buf.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/pki.h"

/* The PEM label egca writes and reads for a DER SM2EnvelopedKey. */
#define ENVELOPE_PEM_LABEL "SM2 ENVELOPED KEY"
#define IN_MAX ((size_t)1 << 20)

static const char help[] =
    "usage: egca envelope open --key HOLDER_SIGN_KEY.pem --in ENVELOPE\n"
    "                          --out ENC_KEY.pem [options]\n"
    "       egca envelope seal --to HOLDER_CERT_OR_PUBKEY --key ENC_KEY.pem\n"
    "                          --out ENVELOPE [options]\n"
    "\n"
    "The encryption key pair of a dual-certificate holder comes from the\n"
    "key management centre enveloped to the holder's SIGNING public key:\n"
    "SM4-ECB encrypts the private key, SM2 encrypts the SM4 key (GM/T\n"
    "0009 SM2EnvelopedKey in DER, or the GM/T 0016 SKF ENVELOPEDKEYBLOB).\n"
    "\n"
    "  open    recover the encryption key pair with the signing key\n"
    "  seal    make an envelope (tests, the KM)\n"
    "\n"
    "Run 'egca envelope <verb> --help' for the options.\n";

static const char help_open[] =
    "usage: egca envelope open --key HOLDER_SIGN_KEY.pem\n"
    "                          [--passphrase-file FILE] --in ENVELOPE\n"
    "                          [--format der|skf] [--cert ENC_CERT.pem]\n"
    "                          --out ENC_KEY.pem [--out-passphrase-file "
    "FILE]\n"
    "\n"
    "Decrypts the SM4 key with the holder's SM2 signing private key,\n"
    "decrypts the private key with it, and checks that d*G is the\n"
    "enclosed public key (exit 13 when not) and, with --cert, that it is\n"
    "the encryption certificate's public key (exit 13 when not). Writes\n"
    "the key pair as PKCS#8 PEM, mode 0600: encrypted (PBES2, scrypt,\n"
    "AES-256-CBC) with --out-passphrase-file, else unencrypted with a\n"
    "warning. An existing OUT is not overwritten. Exit 5 when the\n"
    "envelope is not for this key (or was altered), 3 when malformed.\n"
    "\n"
    "  --key FILE              the holder's signing private key: PKCS#8\n"
    "                          PEM (encrypted or not), SEC1 PEM, or DER\n"
    "  --passphrase-file FILE  its passphrase when encrypted (default:\n"
    "                          prompt)\n"
    "  --in FILE               the envelope: DER or PEM (\"" ENVELOPE_PEM_LABEL
    "\")\n"
    "                          for der, the 388-octet blob for skf\n"
    "  --format der|skf        SM2EnvelopedKey (default) or "
    "ENVELOPEDKEYBLOB\n"
    "  --cert FILE             the encryption certificate (PEM or DER)\n"
    "  --out FILE              where the recovered key pair goes\n"
    "  --out-passphrase-file FILE\n"
    "                          encrypt it with the passphrase in FILE (at\n"
    "                          least 8 characters)\n";

static const char help_seal[] =
    "usage: egca envelope seal --to HOLDER_CERT_OR_PUBKEY --key "
    "ENC_KEY.pem\n"
    "                          [--passphrase-file FILE] --out ENVELOPE\n"
    "                          [--format der|skf] [--pem]\n"
    "\n"
    "Envelopes the SM2 key pair in ENC_KEY to the SM2 public key of the\n"
    "holder's signing certificate (or a PUBLIC KEY file): a fresh SM4 key\n"
    "encrypts d (ECB, no padding), SM2 encrypts the SM4 key.\n"
    "\n"
    "  --to FILE               the holder's signing certificate or public\n"
    "                          key, PEM or DER\n"
    "  --key FILE              the key pair to envelope (PKCS#8 PEM,\n"
    "                          encrypted or not, SEC1 PEM, or DER)\n"
    "  --passphrase-file FILE  its passphrase when encrypted (default:\n"
    "                          prompt)\n"
    "  --out FILE              where the envelope goes (- for stdout)\n"
    "  --format der|skf        SM2EnvelopedKey DER (default) or the SKF\n"
    "                          ENVELOPEDKEYBLOB (388 octets)\n"
    "  --pem                   PEM (\"" ENVELOPE_PEM_LABEL
    "\") instead of DER\n";

/* Copies the detail before prefixing it (it is the same buffer). */
static enum egca_err
prefixed(enum egca_err e, const char *prefix)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", egca_err_detail());
	return egca_err_set(e, "%s: %s", prefix, why);
}

/* A private key file, encrypted (passphrase from pf or a prompt) or not. */
static enum egca_err
load_key(const char *path, const char *pf, EVP_PKEY **out)
{
	uint8_t *data = NULL;
	size_t len = 0, pass_len = 0;
	char *pass = NULL;
	enum egca_err e;

	*out = NULL;
	if ((e = egca_file_read(path, (size_t)64 << 10, &data, &len)) !=
	    EGCA_OK)
		return e;
	if (strstr((const char *)data, "-----BEGIN ENCRYPTED PRIVATE KEY") ==
	    NULL) {
		e = egca_crypto_key_load_plain(path, out);
		goto out;
	}
	if ((e = egca_crypto_passphrase_read(pf, 0, &pass, &pass_len)) !=
	    EGCA_OK)
		goto out;
	e = egca_crypto_key_load(path, pass, pass_len, out);
out:
	if (pass != NULL)
		egca_crypto_passphrase_free(pass, pass_len);
	/* It may be an unencrypted private key. */
	OPENSSL_cleanse(data, len);
	free(data);
	return e;
}

/* The public key of a certificate or PUBLIC KEY file (PEM or DER). */
static enum egca_err
load_pub(const char *path, EVP_PKEY **out)
{
	struct egca_der_list l = {0};
	struct egca_cert_info info;
	uint8_t *data = NULL;
	size_t len;
	int pem_cert, pem_pub;
	enum egca_err e;

	*out = NULL;
	memset(&info, 0, sizeof(info));
	if ((e = egca_file_read(path, (size_t)1 << 20, &data, &len)) != EGCA_OK)
		return e;
	pem_cert = strstr((const char *)data, "-----BEGIN CERTIFICATE") != NULL;
	pem_pub = strstr((const char *)data, "-----BEGIN PUBLIC KEY") != NULL;
	if (pem_pub) {
		if ((e = egca_pki_pem_decode(data, len, "PUBLIC KEY", &l)) !=
		    EGCA_OK)
			goto out;
		e = egca_crypto_spki_decode(l.der[0], l.len[0], out);
		goto out;
	}
	if ((e = egca_pki_pem_decode(data, len, "CERTIFICATE", &l)) != EGCA_OK)
		goto out;
	if ((e = egca_pki_cert_info(l.der[0], l.len[0], &info)) != EGCA_OK) {
		/* Not a certificate: a DER SubjectPublicKeyInfo? */
		if (!pem_cert &&
		    egca_crypto_spki_decode(l.der[0], l.len[0], out) == EGCA_OK)
			e = EGCA_OK;
		goto out;
	}
	e = egca_crypto_spki_decode(info.spki_der, info.spki_der_len, out);
out:
	if (e != EGCA_OK)
		e = prefixed(e, path);
	egca_pki_cert_info_free(&info);
	egca_der_list_free(&l);
	free(data);
	return e;
}

static int
parse_format(const char *cmd, const char *s, int *skf)
{
	if (strcmp(s, "der") == 0)
		*skf = 0;
	else if (strcmp(s, "skf") == 0)
		*skf = 1;
	else
		return cli_usage_error(
		    cmd, "--format: der or skf, not '%s'", s);
	return 0;
}

static int
open_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"in", required_argument, NULL, 'i'},
	    {"format", required_argument, NULL, 'f'},
	    {"cert", required_argument, NULL, 'c'},
	    {"out", required_argument, NULL, 'o'},
	    {"out-passphrase-file", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	const char *key_file = NULL, *pf = NULL, *in = NULL, *cert = NULL;
	const char *out = NULL, *opf = NULL;
	struct egca_der_list l = {0};
	struct egca_envelope env;
	EVP_PKEY *holder = NULL, *enc = NULL, *cert_key = NULL;
	uint8_t *data = NULL, *spki = NULL, kid[20];
	size_t len = 0, spki_len, pass_len = 0;
	char *pass = NULL, hex[41];
	int c, skf = 0;
	enum egca_err e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key_file = optarg;
			break;
		case 'p':
			pf = optarg;
			break;
		case 'i':
			in = optarg;
			break;
		case 'f':
			if (parse_format("envelope open", optarg, &skf) != 0)
				return EGCA_ERR_USAGE;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'P':
			opf = optarg;
			break;
		default:
			return cli_usage_error(
			    "envelope open", "unknown option");
		}
	}
	if (optind != argc || key_file == NULL || in == NULL || out == NULL)
		return cli_usage_error(
		    "envelope open", "needs --key, --in and --out");
	if (egca_file_exists(out))
		return cli_fail(egca_err_set(EGCA_ERR_EXISTS,
		    "%s exists: not overwriting a key file", out));
	if ((e = egca_file_read(in, IN_MAX, &data, &len)) != EGCA_OK)
		goto out;
	if (skf) {
		e = egca_envelope_skf_parse(data, len, &env);
	} else if ((e = egca_pki_pem_decode(
	                data, len, ENVELOPE_PEM_LABEL, &l)) == EGCA_OK) {
		if (l.n != 1)
			e = egca_err_set(
			    EGCA_ERR_INPUT, "%zu envelopes in one file", l.n);
		else
			e = egca_envelope_parse(l.der[0], l.len[0], &env);
	}
	if (e != EGCA_OK) {
		e = prefixed(e, in);
		goto out;
	}
	if ((e = load_key(key_file, pf, &holder)) != EGCA_OK)
		goto out;
	if (cert != NULL && (e = load_pub(cert, &cert_key)) != EGCA_OK)
		goto out;
	if ((e = egca_envelope_open_parsed(holder, &env, &enc)) != EGCA_OK) {
		e = prefixed(e, in);
		goto out;
	}
	if (cert_key != NULL && !egca_crypto_key_public_equal(enc, cert_key)) {
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "%s: the enveloped key is not the public key of %s", in,
		    cert);
		goto out;
	}
	if (opf != NULL) {
		if ((e = egca_crypto_passphrase_read(
		         opf, 1, &pass, &pass_len)) != EGCA_OK)
			goto out;
		e = egca_crypto_key_save(enc, out, pass, pass_len);
	} else {
		e = egca_crypto_key_save_plain(enc, out);
		if (e == EGCA_OK)
			fprintf(stderr,
			    "egca: warning: %s holds the private key "
			    "UNENCRYPTED (mode 0600); use "
			    "--out-passphrase-file to protect it\n",
			    out);
	}
	if (e != EGCA_OK)
		goto out;
	if ((e = egca_crypto_spki_encode(enc, &spki, &spki_len)) != EGCA_OK ||
	    (e = egca_pki_spki_key_id(spki, spki_len, kid)) != EGCA_OK)
		goto out;
	egca_hex_encode(kid, sizeof(kid), hex);
	printf("opened: SM2 encryption key pair, key id %s%s\nwritten: %s "
	       "(%s)\n",
	    hex, cert_key != NULL ? ", matches the certificate" : "", out,
	    opf != NULL ? "encrypted" : "unencrypted");
out:
	if (pass != NULL)
		egca_crypto_passphrase_free(pass, pass_len);
	free(spki);
	EVP_PKEY_free(holder);
	EVP_PKEY_free(enc);
	EVP_PKEY_free(cert_key);
	egca_der_list_free(&l);
	free(data);
	return cli_fail(e);
}

static int
seal_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"to", required_argument, NULL, 't'},
	    {"key", required_argument, NULL, 'k'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"out", required_argument, NULL, 'o'},
	    {"format", required_argument, NULL, 'f'},
	    {"pem", no_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0},
	};
	const char *to = NULL, *key_file = NULL, *pf = NULL, *out = NULL;
	EVP_PKEY *holder = NULL, *enc = NULL;
	struct egca_envelope env;
	struct egca_buf pem;
	uint8_t *der = NULL, *blob = NULL;
	size_t der_len = 0, blob_len = 0;
	int c, skf = 0, as_pem = 0;
	enum egca_err e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			to = optarg;
			break;
		case 'k':
			key_file = optarg;
			break;
		case 'p':
			pf = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			if (parse_format("envelope seal", optarg, &skf) != 0)
				return EGCA_ERR_USAGE;
			break;
		case 'm':
			as_pem = 1;
			break;
		default:
			return cli_usage_error(
			    "envelope seal", "unknown option");
		}
	}
	if (optind != argc || to == NULL || key_file == NULL || out == NULL)
		return cli_usage_error(
		    "envelope seal", "needs --to, --key and --out");
	if (skf && as_pem)
		return cli_usage_error(
		    "envelope seal", "--pem is for the der format only");
	egca_buf_init(&pem, (size_t)64 << 10);
	if ((e = load_pub(to, &holder)) != EGCA_OK ||
	    (e = load_key(key_file, pf, &enc)) != EGCA_OK ||
	    (e = egca_envelope_seal(holder, enc, &der, &der_len)) != EGCA_OK)
		goto out;
	if (skf) {
		if ((e = egca_envelope_parse(der, der_len, &env)) != EGCA_OK ||
		    (e = egca_envelope_skf_encode(&env, &blob, &blob_len)) !=
		        EGCA_OK)
			goto out;
		e = cli_write_out(out, blob, blob_len, 0644);
	} else if (as_pem) {
		if ((e = egca_pki_pem_encode(
		         der, der_len, ENVELOPE_PEM_LABEL, &pem)) != EGCA_OK)
			goto out;
		e = cli_write_out(out, pem.data, pem.len, 0644);
	} else {
		e = cli_write_out(out, der, der_len, 0644);
	}
out:
	egca_buf_free(&pem);
	free(der);
	free(blob);
	EVP_PKEY_free(holder);
	EVP_PKEY_free(enc);
	return cli_fail(e);
}

int
cmd_envelope(int argc, char **argv)
{
	const char *verb;
	int rc;

	/* Per-verb help: "egca envelope open --help". */
	if (argc >= 2 && strcmp(argv[1], "open") == 0) {
		if (cli_wants_help(argc - 1, argv + 1)) {
			fputs(help_open, stdout);
			return 0;
		}
		return open_cmd(argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "seal") == 0) {
		if (cli_wants_help(argc - 1, argv + 1)) {
			fputs(help_seal, stdout);
			return 0;
		}
		return seal_cmd(argc - 1, argv + 1);
	}
	if ((rc = cli_verb(&argc, &argv, help, &verb)) >= 0)
		return rc;
	return cli_usage_error("envelope", "unknown verb '%s'", verb);
}
