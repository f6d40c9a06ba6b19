#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Judge a conformance scan of one of our servers.

  scan-check.py testssl FILE.json   testssl.sh --jsonfile output
  scan-check.py sslscan FILE.xml    sslscan --xml output

Fails (exit 1, one line per problem) on: SSLv2/SSLv3/TLS 1.0/TLS 1.1
offered, a CBC, CCM_8 or static-RSA (no forward secrecy) suite, no server
cipher order, and (testssl) any finding rated MEDIUM, HIGH or CRITICAL or
an obsolete cipher category (NULL, EXPORT, LOW, 3DES, CBC "AVERAGE").
Findings about the certificate (cert_*) are left out of the severity
rule: the test makes its own from a throwaway CA valid for two days, so
its chain, lifetime and revocation pointers are the fixture's, not the
server's. A scan with too few findings to judge is a failure too.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

BAD = ("MEDIUM", "HIGH", "CRITICAL")


def suite_problem(iana):
    """Why an IANA suite name is not acceptable, or None."""
    if "CCM_8" in iana:
        return "CCM_8 (short tag)"
    if "_CBC_" in iana:
        return "CBC"
    if iana.startswith("TLS_RSA_") or iana.startswith("TLS_PSK_WITH"):
        return "no forward secrecy"
    if not re.search(r"_GCM_|_CHACHA20_POLY1305_|_CCM", iana):
        return "not an AEAD kTLS can carry"
    return None


def openssl_problem(version, name):
    """The same for an OpenSSL suite name, as sslscan prints them."""
    if version == "TLSv1.3":
        return "CCM_8 (short tag)" if "CCM_8" in name else None
    if "CCM8" in name:
        return "CCM_8 (short tag)"
    if not (name.startswith("ECDHE-") or name.startswith("DHE-")):
        return "no forward secrecy"
    if not re.search(r"GCM|CHACHA20|CCM", name):
        return "CBC or another non-AEAD cipher"
    return None


def check_testssl(path):
    probs = []
    with open(path) as f:
        findings = json.load(f)
    if isinstance(findings, dict):		# --jsonfile-pretty
        findings = [x for s in findings.get("scanResult", [])
                    for v in s.values() if isinstance(v, list) for x in v]
    ids = {x.get("id"): x for x in findings}
    for proto in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        f = ids.get(proto)
        if f is None:
            probs.append("no verdict on %s" % proto)
        elif not f.get("finding", "").startswith("not offered"):
            probs.append("%s: %s" % (proto, f.get("finding")))
    order = ids.get("cipher_order", {}).get("finding", "")
    if "server" not in order:
        probs.append("cipher order: %r (want the server's)" % order)
    for cat in ("NULL", "aNULL", "EXPORT", "LOW", "3DES_IDEA", "AVERAGE"):
        f = ids.get("cipherlist_" + cat)
        if f is None:
            probs.append("no verdict on %s ciphers" % cat)
        elif not f.get("finding", "").startswith("not offered"):
            probs.append("%s ciphers: %s" % (cat, f.get("finding")))
    suites = 0
    for f in findings:
        fid = f.get("id", "")
        m = re.match(r"cipherorder_(TLSv1(_[0-9])?|SSLv[23])$", fid)
        if m:
            version = fid.split("_", 1)[1].replace("_", ".")
            for name in f.get("finding", "").split():
                suites += 1
                why = openssl_problem(version, name)
                if version not in ("TLSv1.2", "TLSv1.3"):
                    why = "offered over " + version
                if why:
                    probs.append("%s %s offered: %s" % (version, name,
                                                        why))
        if fid.startswith("cipher-tls") or fid.startswith("cipher-ssl"):
            suites += 1
            iana = f.get("finding", "").split()[-1]
            why = suite_problem(iana)
            if why:
                probs.append("suite %s offered: %s" % (iana, why))
        if f.get("severity") in BAD and not fid.startswith("cert_"):
            probs.append("%s %s: %s" % (f["severity"], fid,
                                        f.get("finding")))
    if not suites:
        probs.append("no cipher suites listed (scan failed?)")
    return probs, len(findings), suites


def check_sslscan(path):
    probs = []
    root = ET.parse(path).getroot()
    test = root.find("ssltest")
    if test is None:
        return ["no ssltest element (scan failed?)"], 0, 0
    for p in test.findall("protocol"):
        name = "%s %s" % (p.get("type"), p.get("version"))
        if name in ("ssl 2", "ssl 3", "tls 1.0", "tls 1.1") and \
           p.get("enabled") != "0":
            probs.append("%s enabled" % name)
    for h in test.findall("heartbleed"):
        if h.get("vulnerable") != "0":
            probs.append("heartbleed over %s" % h.get("sslversion"))
    for c in test.findall("compression"):
        if c.get("supported") != "0":
            probs.append("TLS compression")
    for r in test.findall("renegotiation"):
        if r.get("supported") == "1" and r.get("secure") != "1":
            probs.append("insecure renegotiation")
    suites = test.findall("cipher")
    for c in suites:
        why = openssl_problem(c.get("sslversion"), c.get("cipher", ""))
        if why:
            probs.append("%s %s offered: %s" % (c.get("sslversion"),
                                                c.get("cipher"), why))
    if not suites:
        probs.append("no cipher suites listed (scan failed?)")
    return probs, len(list(test)), len(suites)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("testssl", "sslscan"):
        sys.exit(__doc__)
    check = check_testssl if sys.argv[1] == "testssl" else check_sslscan
    try:
        probs, n, suites = check(sys.argv[2])
    except (OSError, ValueError, ET.ParseError) as e:
        print("%s: unreadable scan output: %s" % (sys.argv[1], e))
        return 1
    for p in probs:
        print("%s: %s" % (sys.argv[1], p))
    print("%s: %d findings, %d suites, %d problems" %
          (sys.argv[1], n, suites, len(probs)))
    return 1 if probs else 0


if __name__ == "__main__":
    sys.exit(main())
