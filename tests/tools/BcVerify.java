/*
 * BcVerify: an independent signature verifier for egca's tests, built on
 * BouncyCastle rather than OpenSSL (the SM2 oracle: gm-standards.md §5.6).
 * SM2 signatures are checked with SM2Signer and the GM/T 0009 user ID
 * "1234567812345678" over the exact TBS octets; ECDSA and RSA through
 * java.security with the BC provider.
 *
 *   java -cp /usr/share/java/bcprov.jar tests/tools/BcVerify.java \
 *       cert CHILD.pem ISSUER.pem    certificate signed by ISSUER's key
 *   ...  csr CSR.pem                 PKCS#10 self-signature
 *   ...  crl CRL.pem ISSUER.pem      CRL signed by ISSUER's key
 *
 * PEM or DER input. Prints "OK" and exits 0 when the signature is valid,
 * "FAIL: reason" and exits 1 when it is not, exits 2 on usage or input
 * errors.
 */
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithID;
import org.bouncycastle.crypto.signers.SM2Signer;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.jce.spec.ECParameterSpec;

public class BcVerify {
	static final byte[] SM2_ID =
	    "1234567812345678".getBytes(StandardCharsets.US_ASCII);
	static final String OID_SM2_SM3 = "1.2.156.10197.1.501";

	static final class Fail extends Exception {
		Fail(String m) { super(m); }
	}

	static final class Usage extends Exception {
		Usage(String m) { super(m); }
	}

	/* PEM (first block with the label) or DER. */
	static byte[] read(String path, String label) throws Exception {
		byte[] raw = Files.readAllBytes(Path.of(path));
		String s = new String(raw, StandardCharsets.ISO_8859_1);
		int b = s.indexOf("-----BEGIN ");
		if (b < 0)
			return raw;
		for (String l : label.split("\\|")) {
			String begin = "-----BEGIN " + l + "-----";
			String end = "-----END " + l + "-----";
			int i = s.indexOf(begin);
			if (i < 0)
				continue;
			int j = s.indexOf(end, i);
			if (j < 0)
				throw new Usage(path + ": unterminated PEM block");
			String body = s.substring(i + begin.length(), j)
			    .replaceAll("\\s", "");
			return Base64.getDecoder().decode(body);
		}
		throw new Usage(path + ": no " + label + " PEM block");
	}

	/* The three parts of SEQUENCE { tbs, alg, BIT STRING }. */
	static final class Signed {
		byte[] tbs;
		AlgorithmIdentifier alg;
		byte[] sig;
	}

	static Signed split(byte[] der) throws Exception {
		ASN1Sequence seq = ASN1Sequence.getInstance(
		    ASN1Primitive.fromByteArray(der));
		if (seq.size() != 3)
			throw new Usage("not a signed object (3 elements)");
		Signed s = new Signed();
		s.tbs = seq.getObjectAt(0).toASN1Primitive()
		    .getEncoded(ASN1Encoding.DER);
		s.alg = AlgorithmIdentifier.getInstance(seq.getObjectAt(1));
		ASN1BitString bs = ASN1BitString.getInstance(seq.getObjectAt(2));
		if (bs.getPadBits() != 0)
			throw new Fail("signature BIT STRING has unused bits");
		s.sig = bs.getOctets();
		return s;
	}

	static void verify(SubjectPublicKeyInfo spki, AlgorithmIdentifier alg,
	    byte[] tbs, byte[] sig) throws Exception {
		String oid = alg.getAlgorithm().getId();
		if (oid.equals(OID_SM2_SM3)) {
			PublicKey pk = KeyFactory.getInstance("EC", "BC")
			    .generatePublic(new X509EncodedKeySpec(
				spki.getEncoded(ASN1Encoding.DER)));
			if (!(pk instanceof
			    org.bouncycastle.jce.interfaces.ECPublicKey))
				throw new Fail("SM2 signature with a non-EC key");
			org.bouncycastle.jce.interfaces.ECPublicKey ek =
			    (org.bouncycastle.jce.interfaces.ECPublicKey)pk;
			ECParameterSpec ps = ek.getParameters();
			ECDomainParameters dp = new ECDomainParameters(
			    ps.getCurve(), ps.getG(), ps.getN(), ps.getH());
			SM2Signer signer = new SM2Signer();
			signer.init(false, new ParametersWithID(
			    new ECPublicKeyParameters(ek.getQ(), dp), SM2_ID));
			signer.update(tbs, 0, tbs.length);
			if (!signer.verifySignature(sig))
				throw new Fail("SM2 signature does not verify "
				    + "(user ID 1234567812345678)");
			return;
		}
		String name;
		switch (oid) {
		case "1.2.840.10045.4.3.2": name = "SHA256withECDSA"; break;
		case "1.2.840.10045.4.3.3": name = "SHA384withECDSA"; break;
		case "1.2.840.113549.1.1.11": name = "SHA256withRSA"; break;
		case "1.2.840.113549.1.1.12": name = "SHA384withRSA"; break;
		default: throw new Fail("unsupported signature algorithm " + oid);
		}
		String kalg = spki.getAlgorithm().getAlgorithm().getId()
		    .equals("1.2.840.113549.1.1.1") ? "RSA" : "EC";
		PublicKey pk = KeyFactory.getInstance(kalg, "BC").generatePublic(
		    new X509EncodedKeySpec(spki.getEncoded(ASN1Encoding.DER)));
		Signature v = Signature.getInstance(name, "BC");
		try {
			v.initVerify(pk);
		} catch (java.security.InvalidKeyException e) {
			throw new Fail(name + " does not fit the issuer key ("
			    + kalg + ")");
		}
		v.update(tbs);
		if (!v.verify(sig))
			throw new Fail(name + " signature does not verify");
	}

	static SubjectPublicKeyInfo certKey(byte[] der) throws Exception {
		ASN1Sequence tbs = ASN1Sequence.getInstance(ASN1Sequence
		    .getInstance(ASN1Primitive.fromByteArray(der)).getObjectAt(0));
		/* [0] version present: SPKI is element 6, else 5. */
		int i = tbs.getObjectAt(0).toASN1Primitive() instanceof
		    org.bouncycastle.asn1.ASN1TaggedObject ? 6 : 5;
		return SubjectPublicKeyInfo.getInstance(tbs.getObjectAt(i));
	}

	static byte[] exact(byte[] parsedTbs, Signed s) throws Fail {
		/* The JDK's TBS must be the octets as received. */
		if (!java.util.Arrays.equals(parsedTbs, s.tbs))
			throw new Fail("TBS is not DER (re-encoding differs)");
		return s.tbs;
	}

	static void run(String[] a) throws Exception {
		if (a.length < 1)
			throw new Usage("no command");
		CertificateFactory cf = CertificateFactory.getInstance("X.509", "BC");
		switch (a[0]) {
		case "cert": {
			if (a.length != 3)
				throw new Usage("cert CHILD ISSUER");
			byte[] child = read(a[1], "CERTIFICATE");
			byte[] issuer = read(a[2], "CERTIFICATE");
			X509Certificate c = (X509Certificate)cf.generateCertificate(
			    new ByteArrayInputStream(child));
			Signed s = split(child);
			verify(certKey(issuer), s.alg, exact(c.getTBSCertificate(), s),
			    s.sig);
			break;
		}
		case "csr": {
			if (a.length != 2)
				throw new Usage("csr CSR");
			byte[] der = read(a[1],
			    "CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST");
			Signed s = split(der);
			ASN1Sequence cri = ASN1Sequence.getInstance(s.tbs);
			verify(SubjectPublicKeyInfo.getInstance(cri.getObjectAt(2)),
			    s.alg, s.tbs, s.sig);
			break;
		}
		case "crl": {
			if (a.length != 3)
				throw new Usage("crl CRL ISSUER");
			byte[] der = read(a[1], "X509 CRL");
			byte[] issuer = read(a[2], "CERTIFICATE");
			X509CRL crl = (X509CRL)cf.generateCRL(
			    new ByteArrayInputStream(der));
			Signed s = split(der);
			verify(certKey(issuer), s.alg, exact(crl.getTBSCertList(), s),
			    s.sig);
			break;
		}
		case "ocsp": {
			/* BasicOCSPResponse: signature over tbsResponseData. */
			if (a.length != 3)
				throw new Usage("ocsp RESP.der SIGNER");
			byte[] der = Files.readAllBytes(Path.of(a[1]));
			byte[] signer = read(a[2], "CERTIFICATE");
			org.bouncycastle.asn1.ocsp.OCSPResponse r =
			    org.bouncycastle.asn1.ocsp.OCSPResponse.getInstance(
				ASN1Primitive.fromByteArray(der));
			if (r.getResponseStatus().getIntValue() != 0)
				throw new Fail("responseStatus "
				    + r.getResponseStatus().getIntValue());
			byte[] basic = r.getResponseBytes().getResponse()
			    .getOctets();
			ASN1Sequence bs = ASN1Sequence.getInstance(
			    ASN1Primitive.fromByteArray(basic));
			Signed s = new Signed();
			s.tbs = bs.getObjectAt(0).toASN1Primitive()
			    .getEncoded(ASN1Encoding.DER);
			s.alg = AlgorithmIdentifier.getInstance(bs.getObjectAt(1));
			ASN1BitString sig = ASN1BitString.getInstance(
			    bs.getObjectAt(2));
			if (sig.getPadBits() != 0)
				throw new Fail("signature BIT STRING has unused bits");
			/* The octets as received must be DER. */
			if (!java.util.Arrays.equals(bs.getEncoded(ASN1Encoding.DER),
			    basic))
				throw new Fail("BasicOCSPResponse is not DER");
			verify(certKey(signer), s.alg, s.tbs, sig.getOctets());
			break;
		}
		default:
			throw new Usage("unknown command " + a[0]);
		}
	}

	public static void main(String[] a) {
		Security.addProvider(new BouncyCastleProvider());
		try {
			run(a);
			System.out.println("OK");
			System.exit(0);
		} catch (Fail f) {
			System.out.println("FAIL: " + f.getMessage());
			System.exit(1);
		} catch (Usage u) {
			System.err.println("usage: BcVerify cert CHILD ISSUER | "
			    + "csr CSR | crl CRL ISSUER | ocsp RESP.der SIGNER ("
			    + u.getMessage() + ")");
			System.exit(2);
		} catch (Exception e) {
			System.err.println("error: " + e);
			System.exit(2);
		}
	}
}
