#!/usr/bin/env python3
"""Independent check-character arithmetic for the identity-number tests.

Written from the standards' text, not from src/ra/ident.c, so that
test_ident.c's vectors do not merely agree with the code under test.
Run it to re-derive the vectors: python3 tests/unit/ra/gen_vectors.py

  GB 32100-2015  unified social credit code, MOD 31 over 17 characters
  GB 11714-1997  organisation code, MOD 11 over 8 characters
  GB 11643-1999  resident identity number, ISO 7064 MOD 11-2
"""
import sys

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I O S V Z


def uscc_check(first17):
    s = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_ALPHABET[(31 - s % 31) % 31]


def org_value(c):
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_check(first8):
    w = [3, 7, 9, 10, 5, 8, 4, 2]
    c = 11 - sum(org_value(ch) * w[i] for i, ch in enumerate(first8)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def id_check(first17):
    s = sum(int(c) * (pow(2, 17 - i) % 11) for i, c in enumerate(first17))
    return "10X98765432"[s % 11]


def uscc_make(prefix8, org8):
    body = prefix8 + org8 + org_check(org8)
    return body + uscc_check(body)


def main():
    # Weights as the standards list them, re-derived here as a check.
    assert [pow(3, i, 31) for i in range(17)] == [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert [pow(2, 17 - i) % 11 for i in range(17)] == [
        7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    public = sys.argv[1:]
    # Arguments "uscc:V", "id:V" or "org:V" check a published value.
    for arg in public:
        kind, v = arg.split(":", 1)
        if kind == "uscc":
            ok = org_check(v[8:16]) == v[16] and uscc_check(v[:17]) == v[17]
        elif kind == "id":
            ok = id_check(v[:17]) == v[17]
        else:
            b = v.replace("-", "")
            ok = org_check(b[:8]) == b[8]
        print(arg, "valid" if ok else "INVALID")
    if public:
        return
    print("# USCC")
    for p, o in [("91110000", "MA01ABCD"), ("11100000", "00001312"),
                 ("12440300", "45574123"), ("31110000", "E0000012"),
                 ("51310000", "50000777"), ("N2330100", "MA2H0001"),
                 ("Y1650000", "MA77QW01"), ("A1110000", "MA00000K"),
                 ("93440300", "MA5FXX01"), ("92371000", "MA3MXH0E")]:
        print(uscc_make(p, o))
    print("# org codes")
    for o in ["D2143569", "MA1BUFLT", "00001312", "12345678", "ABCDEFGH",
              "A0000003"]:
        print(o + "-" + org_check(o))
    print("# id cards")
    for p in ["11010519491231002", "44030419800229123", "31011520000101001",
              "65010219000101008", "81000019900615123", "83000020010911003",
              "51010120161231999", "11010519800101002", "22010119720301003",
              "54010219990909002", "37020320240229001", "63010319000228006"]:
        print(p + id_check(p))


if __name__ == "__main__":
    main()
