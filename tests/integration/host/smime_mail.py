"""S/MIME mail for tests, made by the openssl command line in a temporary
folder: the test CA and Anna's certificate of test_certificates, signers of
a customer under that CA and under a CA nobody trusts, and signed, opaque
signed, encrypted (CBC and GCM) and hostile messages built from them."""
import base64
import os
import subprocess

from test_certificates import make_certificates

CUSTOMER = "kunde@kunde.example"


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class SmimeMail:
    """Certificates in `folder` (ca.pem trusted once imported, other-ca.pem
    never) and the messages the tests deliver."""

    def __init__(self, folder):
        self.folder = folder
        make_certificates(folder)  # ca.pem/ca.key, anna.pem/anna.key/anna.p12 (anna@example.ch)
        self.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out",
                 "other-ca.pem", "-days", "3650", "-subj", "/CN=Unknown CA", "-addext",
                 "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.signer("kunde", CUSTOMER, "ca")
        self.signer("stranger", CUSTOMER, "other-ca")
        self.count = 0

    def run(self, *args, stdin=None):
        return subprocess.run(args, cwd=self.folder, check=True, capture_output=True, input=stdin).stdout

    def path(self, name):
        return os.path.join(self.folder, name)

    def read(self, name):
        with open(self.path(name), encoding="ascii") as f:
            return f.read()

    def signer(self, name, email, ca):
        """An S/MIME certificate for email, valid for 365 days from now, issued by ca."""
        with open(self.path(f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName=email:{email}\nextendedKeyUsage=emailProtection\n"
                    "keyUsage=digitalSignature,keyEncipherment\n")
        self.run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}")
        self.run("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "365", "-extfile", f"{name}.ext")

    @staticmethod
    def entity(text):
        return crlf(("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + text +
                     "\n").encode())

    def message(self, subject, body, sender=CUSTOMER, to="anna@example.ch"):
        """Outer headers in front of body (a MIME entity, MIME-Version included or not)."""
        self.count += 1
        head = (f"From: Kunde <{sender}>\nTo: {to}\nSubject: {subject}\nDate: Tue, 01 Dec 2026 10:00:00 +0000\n"
                f"Message-ID: <smime-{self.count}-{os.getpid()}@kunde.example>\n").encode()
        body = crlf(body)
        if not body.startswith(b"MIME-Version:"):
            head += b"MIME-Version: 1.0\n"
        return crlf(head) + body

    def sign(self, entity, signers=("kunde",), *options):
        """openssl cms -sign: multipart/signed (MIME-Version first), or with -nodetach signed-data."""
        args = ["openssl", "cms", "-sign"]
        for s in signers:
            args += ["-signer", f"{s}.pem", "-inkey", f"{s}.key"]
        return crlf(self.run(*args, *options, stdin=entity))

    def encrypt(self, entity, cipher="-aes-256-cbc", to="anna.pem"):
        return crlf(self.run("openssl", "cms", "-encrypt", cipher, to, stdin=entity))

    @staticmethod
    def without_mime_version(entity):
        return entity.split(b"\r\n", 1)[1] if entity.startswith(b"MIME-Version:") else entity

    def no_signer_info(self, entity):
        """multipart/signed whose signature is a signed-data with certificates and no signerInfos."""
        der = self.run("openssl", "crl2pkcs7", "-nocrl", "-certfile", "kunde.pem", "-outform", "DER")
        p7s = base64.encodebytes(der)
        return crlf(b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;'
                    b' boundary="sig"\n\n--sig\n' + entity + b'\n--sig\nContent-Type: application/pkcs7-signature;'
                    b' name="smime.p7s"\nContent-Transfer-Encoding: base64\n\n' + p7s + b'\n--sig--\n')

    @staticmethod
    def mixed(*parts):
        """multipart/mixed around the given entities, itself unsigned."""
        out = b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        for p in parts:
            out += b"--outer\r\n" + p + b"\r\n"
        return out + b"--outer--\r\n"

    @staticmethod
    def truncate_base64(entity):
        """The entity with the second half of its base64 body cut off."""
        head, body = entity.split(b"\r\n\r\n", 1)
        lines = body.split(b"\r\n")
        return head + b"\r\n\r\n" + b"\r\n".join(lines[:len(lines) // 2]) + b"\r\n"

    @staticmethod
    def cut_signature(signed):
        """A multipart/signed whose smime.p7s keeps only a third of its base64."""
        head, sig = signed.split(b'name="smime.p7s"', 1)
        at = sig.index(b"\r\n\r\n") + 4
        end = sig.index(b"\r\n\r\n", at)
        b64 = sig[at:end]
        return head + b'name="smime.p7s"' + sig[:at] + b64[:len(b64) // 3] + sig[end:]
