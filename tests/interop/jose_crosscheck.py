#!/usr/bin/python3
"""Cross-checks tessera's JWS/JWT against PyJWT and jwcrypto, for every algorithm tessera has.

    jose_crosscheck.py <path to tessera_jose_tool>

For each algorithm: generate a key with `cryptography`; tessera signs, PyJWT and jwcrypto
verify; PyJWT and jwcrypto sign, tessera verifies; a tampered token (changed claims, flipped
signature bit) fails on every side. One summary line per algorithm; exit status 1 on any
mismatch, 2 when a dependency is missing.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

try:
    import jwt as pyjwt
    from jwcrypto import jwk as jc_jwk, jws as jc_jws, jwt as jc_jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
except ImportError as e:  # pragma: no cover
    print(f"jose_crosscheck: missing dependency: {e}", file=sys.stderr)
    sys.exit(2)

ISS = "https://issuer.example"
AUD = "tessera-crosscheck"
ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512", "EdDSA"]
CURVES = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
HMAC_SIZE = {"HS256": 32, "HS384": 48, "HS512": 64}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Keys:
    """One key in the forms each implementation wants, plus files for the tool."""

    def __init__(self, alg: str, tmp: str):
        self.alg = alg
        if alg.startswith("HS"):
            self.secret = os.urandom(HMAC_SIZE[alg] + 16)
            self.sign_key = self.verify_key = self.secret
            self.priv_file = self.pub_file = os.path.join(tmp, f"{alg}.secret")
            with open(self.priv_file, "wb") as f:
                f.write(self.secret)
            self.jc_priv = self.jc_pub = jc_jwk.JWK(kty="oct", k=b64(self.secret))
            return
        if alg[:2] in ("RS", "PS"):
            priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif alg.startswith("ES"):
            priv = ec.generate_private_key(CURVES[alg])
        else:
            priv = ed25519.Ed25519PrivateKey.generate()
        priv_pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        pub_pem = priv.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        self.sign_key, self.verify_key = priv, priv.public_key()
        self.priv_file = os.path.join(tmp, f"{alg}.priv.pem")
        self.pub_file = os.path.join(tmp, f"{alg}.pub.pem")
        with open(self.priv_file, "wb") as f:
            f.write(priv_pem)
        with open(self.pub_file, "wb") as f:
            f.write(pub_pem)
        self.jc_priv = jc_jwk.JWK.from_pem(priv_pem)
        self.jc_pub = jc_jwk.JWK.from_pem(pub_pem)


class Crosscheck:
    def __init__(self, tool: str, tmp: str):
        self.tool, self.tmp = tool, tmp
        self.failures = []

    # --- tessera through the tool --------------------------------------------------------
    def tessera_sign(self, keys: Keys, claims: dict) -> str:
        path = os.path.join(self.tmp, "claims.json")
        with open(path, "w") as f:
            json.dump(claims, f)
        r = subprocess.run([self.tool, "sign", keys.alg, keys.priv_file, path], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"tessera sign failed: {r.stderr.strip()}")
        return r.stdout.strip()

    def tessera_verify(self, keys: Keys, token: str):
        r = subprocess.run([self.tool, "verify", keys.alg, keys.pub_file, token, "--iss", ISS, "--aud", AUD],
                           capture_output=True, text=True)
        if r.returncode == 0:
            return json.loads(r.stdout)
        if r.returncode == 1:
            return None
        raise RuntimeError(f"tessera verify: exit {r.returncode}: {r.stderr.strip()}")

    # --- peers ---------------------------------------------------------------------------
    @staticmethod
    def pyjwt_sign(keys: Keys, claims: dict) -> str:
        return pyjwt.encode(claims, keys.sign_key, algorithm=keys.alg)

    @staticmethod
    def pyjwt_verify(keys: Keys, token: str):
        try:
            return pyjwt.decode(token, keys.verify_key, algorithms=[keys.alg], audience=AUD, issuer=ISS)
        except pyjwt.PyJWTError:
            return None

    @staticmethod
    def jwcrypto_sign(keys: Keys, claims: dict) -> str:
        t = jc_jwt.JWT(header={"alg": keys.alg, "typ": "JWT"}, claims=claims)
        t.make_signed_token(keys.jc_priv)
        return t.serialize()

    @staticmethod
    def jwcrypto_verify(keys: Keys, token: str):
        try:
            t = jc_jwt.JWT(jwt=token, key=keys.jc_pub, algs=[keys.alg],
                           check_claims={"iss": ISS, "aud": AUD, "exp": None})
            return json.loads(t.claims)
        except Exception:  # jwcrypto raises several unrelated exception types
            return None

    # --- the checks ----------------------------------------------------------------------
    def expect(self, alg: str, what: str, ok: bool, detail: str = ""):
        if not ok:
            self.failures.append(f"{alg}: {what} {detail}".rstrip())
        return ok

    @staticmethod
    def tampered(token: str):
        """Two forgeries of a valid token: other claims under the old signature, and a flipped
        bit in the middle of the signature (never in the last character, whose low bits may be
        padding that lax decoders ignore)."""
        h, p, s = token.split(".")
        claims = json.loads(unb64(p))
        claims["sub"] = "mallory"
        other_claims = ".".join([h, b64(json.dumps(claims, separators=(",", ":")).encode()), s])
        sig = bytearray(unb64(s))
        sig[len(sig) // 2] ^= 0x01
        flipped = ".".join([h, p, b64(bytes(sig))])
        return {"changed claims": other_claims, "flipped signature bit": flipped}

    def run_alg(self, alg: str) -> str:
        keys = Keys(alg, self.tmp)
        now = int(time.time())
        claims = {"iss": ISS, "aud": AUD, "sub": f"alice-{alg}", "iat": now, "exp": now + 300, "scope": "read"}
        counts = {"ok": 0}

        def check(what, ok, detail=""):
            if self.expect(alg, what, ok, detail):
                counts["ok"] += 1

        # tessera → peers
        token = self.tessera_sign(keys, claims)
        header = json.loads(unb64(token.split(".")[0]))
        check("tessera header alg", header.get("alg") == alg, str(header))
        got = self.pyjwt_verify(keys, token)
        check("PyJWT verifies tessera's token", got is not None and got["sub"] == claims["sub"])
        got = self.jwcrypto_verify(keys, token)
        check("jwcrypto verifies tessera's token", got is not None and got["sub"] == claims["sub"])

        # peers → tessera
        for peer, signer in (("PyJWT", self.pyjwt_sign), ("jwcrypto", self.jwcrypto_sign)):
            peer_token = signer(keys, claims)
            got = self.tessera_verify(keys, peer_token)
            check(f"tessera verifies {peer}'s token", got is not None and got.get("sub") == claims["sub"], str(got))
            for how, bad in self.tampered(peer_token).items():
                check(f"tessera rejects {peer}'s token with {how}", self.tessera_verify(keys, bad) is None)

        # tampered tessera token → everyone rejects
        for how, bad in self.tampered(token).items():
            check(f"tessera rejects its own token with {how}", self.tessera_verify(keys, bad) is None)
            check(f"PyJWT rejects tessera's token with {how}", self.pyjwt_verify(keys, bad) is None)
            check(f"jwcrypto rejects tessera's token with {how}", self.jwcrypto_verify(keys, bad) is None)

        # an expired token is refused by tessera (the claims path is live, not just signatures)
        expired = dict(claims, exp=now - 3600, iat=now - 7200)
        check("tessera rejects PyJWT's expired token", self.tessera_verify(keys, self.pyjwt_sign(keys, expired)) is None)

        failed = [f for f in self.failures if f.startswith(alg + ":")]
        status = "ok" if not failed else "FAIL"
        return f"{alg:6} {status}: {counts['ok']} checks passed, {len(failed)} failed"


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    tool = sys.argv[1]
    if not os.access(tool, os.X_OK):
        print(f"jose_crosscheck: {tool} is not an executable", file=sys.stderr)
        return 2
    print(f"PyJWT {pyjwt.__version__}; tool {tool}")
    with tempfile.TemporaryDirectory(prefix="tessera-crosscheck-") as tmp:
        cc = Crosscheck(tool, tmp)
        for alg in ALGS:
            try:
                print(cc.run_alg(alg), flush=True)
            except Exception as e:  # an exception is a failure, never a skip
                cc.failures.append(f"{alg}: exception {type(e).__name__}: {e}")
                print(f"{alg:6} FAIL: {type(e).__name__}: {e}", flush=True)
        if cc.failures:
            print(f"\njose_crosscheck: {len(cc.failures)} mismatch(es):", file=sys.stderr)
            for f in cc.failures:
                print("  " + f, file=sys.stderr)
            return 1
    print("jose_crosscheck: all algorithms agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
