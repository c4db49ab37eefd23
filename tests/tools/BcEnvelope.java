/*
 * BcEnvelope: an independent implementation of the GM/T 0009
 * SM2EnvelopedKey for egca's tests, built on BouncyCastle rather than
 * OpenSSL. The DER is taken apart with BC's ASN.1 classes, SM2 runs in
 * BC's SM2Engine (C1C3C2, SM3) on the DER-decoded C1/C3/C2, SM4 in
 * ECB without padding through the BC provider.
 *
 *   java -cp /usr/share/java/bcprov.jar tests/tools/BcEnvelope.java \
 *       open ENVELOPE.der HOLDER_KEY.pem    prints d (hex) when d*G is the
 *                                           enclosed public key
 *   ...  seal HOLDER_PUB_OR_CERT ENC_KEY.pem OUT.der
 *                                           envelopes ENC_KEY to the holder
 *   ...  encrypt PUB_OR_CERT IN OUT.der     SM2Cipher DER of the octets in IN
 *
 * Keys: unencrypted PKCS#8 PEM or DER; public keys as PUBLIC KEY or
 * CERTIFICATE, PEM or DER. Exit 0 on success, 1 ("FAIL: reason") when
 * an envelope does not open or does not match, 2 on usage or input
 * errors.
 */
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.Security;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.gm.GMNamedCurves;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SM3Digest;
import org.bouncycastle.crypto.engines.SM2Engine;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;
import org.bouncycastle.util.encoders.Hex;

public class BcEnvelope {
	static final String OID_SM4_ECB = "1.2.156.10197.1.104.1";
	static final String OID_SM2_CURVE = "1.2.156.10197.1.301";
	static final X9ECParameters X9 = GMNamedCurves.getByName("sm2p256v1");
	static final ECDomainParameters DOM = new ECDomainParameters(
	    X9.getCurve(), X9.getG(), X9.getN(), X9.getH());

	static final class Fail extends Exception {
		Fail(String m) { super(m); }
	}

	static final class Usage extends Exception {
		Usage(String m) { super(m); }
	}

	/* The first PEM block with one of the labels, or the file as DER. */
	static byte[] read(String path, String labels) throws Exception {
		byte[] raw = Files.readAllBytes(Path.of(path));
		String s = new String(raw, StandardCharsets.ISO_8859_1);
		if (s.indexOf("-----BEGIN ") < 0)
			return raw;
		for (String l : labels.split("\\|")) {
			String begin = "-----BEGIN " + l + "-----";
			int i = s.indexOf(begin);
			if (i < 0)
				continue;
			int j = s.indexOf("-----END " + l + "-----", i);
			if (j < 0)
				throw new Usage(path + ": unterminated PEM block");
			return Base64.getDecoder().decode(s.substring(
			    i + begin.length(), j).replaceAll("\\s", ""));
		}
		throw new Usage(path + ": no " + labels + " PEM block");
	}

	static BigInteger privateKey(String path) throws Exception {
		PrivateKeyInfo pki = PrivateKeyInfo.getInstance(
		    read(path, "PRIVATE KEY"));
		ASN1Primitive params = pki.getPrivateKeyAlgorithm()
		    .getParameters().toASN1Primitive();
		if (!(params instanceof ASN1ObjectIdentifier) ||
		    !((ASN1ObjectIdentifier)params).getId().equals(OID_SM2_CURVE))
			throw new Usage(path + ": not an SM2 key");
		return org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(
		    pki.parsePrivateKey()).getKey();
	}

	static ECPoint publicKey(String path) throws Exception {
		byte[] der = read(path, "PUBLIC KEY|CERTIFICATE");
		ASN1Sequence seq = ASN1Sequence.getInstance(
		    ASN1Primitive.fromByteArray(der));
		SubjectPublicKeyInfo spki = seq.size() == 3 &&
		    seq.getObjectAt(0).toASN1Primitive() instanceof ASN1Sequence
		    ? Certificate.getInstance(seq).getSubjectPublicKeyInfo()
		    : SubjectPublicKeyInfo.getInstance(seq);
		return X9.getCurve().decodePoint(
		    spki.getPublicKeyData().getOctets());
	}

	static byte[] u32(BigInteger v) {
		return BigIntegers.asUnsignedByteArray(32, v);
	}

	/* SM2Cipher DER -> C1 (04||x||y) || C3 || C2 for SM2Engine. */
	static byte[] rawCipher(ASN1Sequence c) throws Exception {
		if (c.size() != 4)
			throw new Fail("SM2Cipher: " + c.size() + " elements");
		BigInteger x = ASN1Integer.getInstance(c.getObjectAt(0))
		    .getPositiveValue();
		BigInteger y = ASN1Integer.getInstance(c.getObjectAt(1))
		    .getPositiveValue();
		byte[] c3 = ASN1OctetString.getInstance(c.getObjectAt(2))
		    .getOctets();
		byte[] c2 = ASN1OctetString.getInstance(c.getObjectAt(3))
		    .getOctets();
		if (c3.length != 32)
			throw new Fail("SM2Cipher: HASH of " + c3.length);
		byte[] out = new byte[65 + 32 + c2.length];
		out[0] = 0x04;
		System.arraycopy(u32(x), 0, out, 1, 32);
		System.arraycopy(u32(y), 0, out, 33, 32);
		System.arraycopy(c3, 0, out, 65, 32);
		System.arraycopy(c2, 0, out, 97, c2.length);
		return out;
	}

	/* C1 || C3 || C2 from SM2Engine -> SM2Cipher DER. */
	static DERSequence derCipher(byte[] raw) {
		ASN1EncodableVector v = new ASN1EncodableVector();
		v.add(new ASN1Integer(new BigInteger(1,
		    Arrays.copyOfRange(raw, 1, 33))));
		v.add(new ASN1Integer(new BigInteger(1,
		    Arrays.copyOfRange(raw, 33, 65))));
		v.add(new DEROctetString(Arrays.copyOfRange(raw, 65, 97)));
		v.add(new DEROctetString(Arrays.copyOfRange(raw, 97, raw.length)));
		return new DERSequence(v);
	}

	static byte[] sm2Encrypt(ECPoint q, byte[] m) throws Exception {
		SM2Engine e = new SM2Engine(new SM3Digest(),
		    SM2Engine.Mode.C1C3C2);
		e.init(true, new ParametersWithRandom(
		    new ECPublicKeyParameters(q, DOM), new SecureRandom()));
		return e.processBlock(m, 0, m.length);
	}

	static byte[] sm4(int mode, byte[] key, byte[] in) throws Exception {
		Cipher c = Cipher.getInstance("SM4/ECB/NoPadding", "BC");
		c.init(mode, new SecretKeySpec(key, "SM4"));
		return c.doFinal(in);
	}

	static void open(String envPath, String keyPath) throws Exception {
		byte[] der = read(envPath, "SM2 ENVELOPED KEY");
		BigInteger holder = privateKey(keyPath);
		ASN1Sequence env = ASN1Sequence.getInstance(
		    ASN1Primitive.fromByteArray(der));
		if (env.size() != 4)
			throw new Fail("SM2EnvelopedKey: " + env.size() + " elements");
		AlgorithmIdentifier alg = AlgorithmIdentifier.getInstance(
		    env.getObjectAt(0));
		if (!alg.getAlgorithm().getId().equals(OID_SM4_ECB))
			throw new Fail("symAlgID " + alg.getAlgorithm().getId());
		byte[] raw = rawCipher(ASN1Sequence.getInstance(env.getObjectAt(1)));
		ASN1BitString pubBits = ASN1BitString.getInstance(env.getObjectAt(2));
		ASN1BitString privBits = ASN1BitString.getInstance(
		    env.getObjectAt(3));
		if (pubBits.getPadBits() != 0 || privBits.getPadBits() != 0)
			throw new Fail("BIT STRING with unused bits");
		byte[] pub = pubBits.getOctets();
		byte[] encD = privBits.getOctets();
		if (encD.length != 32)
			throw new Fail("sm2EncryptedPrivateKey of " + encD.length);

		SM2Engine e = new SM2Engine(new SM3Digest(),
		    SM2Engine.Mode.C1C3C2);
		e.init(false, new ECPrivateKeyParameters(holder, DOM));
		byte[] key;
		try {
			key = e.processBlock(raw, 0, raw.length);
		} catch (org.bouncycastle.crypto.InvalidCipherTextException x) {
			throw new Fail("symEncryptedKey does not decrypt: "
			    + x.getMessage());
		}
		if (key.length != 16)
			throw new Fail("SM4 key of " + key.length + " octets");
		byte[] d = sm4(Cipher.DECRYPT_MODE, key, encD);
		BigInteger dv = new BigInteger(1, d);
		ECPoint q = X9.getG().multiply(dv).normalize();
		if (!Arrays.equals(q.getEncoded(false), pub))
			throw new Fail("d*G is not sm2PublicKey");
		System.out.println(Hex.toHexString(d));
	}

	static void seal(String pubPath, String keyPath, String out)
	    throws Exception {
		ECPoint holder = publicKey(pubPath);
		BigInteger d = privateKey(keyPath);
		byte[] key = new byte[16];
		new SecureRandom().nextBytes(key);
		byte[] encD = sm4(Cipher.ENCRYPT_MODE, key, u32(d));
		ASN1EncodableVector v = new ASN1EncodableVector();
		v.add(new AlgorithmIdentifier(new ASN1ObjectIdentifier(OID_SM4_ECB),
		    DERNull.INSTANCE));
		v.add(derCipher(sm2Encrypt(holder, key)));
		v.add(new DERBitString(
		    X9.getG().multiply(d).normalize().getEncoded(false)));
		v.add(new DERBitString(encD));
		Files.write(Path.of(out),
		    new DERSequence(v).getEncoded(ASN1Encoding.DER));
	}

	static void encrypt(String pubPath, String in, String out)
	    throws Exception {
		byte[] m = Files.readAllBytes(Path.of(in));
		Files.write(Path.of(out), derCipher(sm2Encrypt(publicKey(pubPath),
		    m)).getEncoded(ASN1Encoding.DER));
	}

	public static void main(String[] a) {
		Security.addProvider(new BouncyCastleProvider());
		try {
			if (a.length == 3 && a[0].equals("open"))
				open(a[1], a[2]);
			else if (a.length == 4 && a[0].equals("seal"))
				seal(a[1], a[2], a[3]);
			else if (a.length == 4 && a[0].equals("encrypt"))
				encrypt(a[1], a[2], a[3]);
			else
				throw new Usage("open ENV KEY | seal PUB KEY OUT | "
				    + "encrypt PUB IN OUT");
		} catch (Fail f) {
			System.out.println("FAIL: " + f.getMessage());
			System.exit(1);
		} catch (Usage u) {
			System.err.println("BcEnvelope: " + u.getMessage());
			System.exit(2);
		} catch (Exception x) {
			System.err.println("BcEnvelope: " + x);
			System.exit(2);
		}
	}
}
