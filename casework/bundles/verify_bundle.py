#!/usr/bin/env python3
"""Check a Casework evidence packet offline: every file against the signed manifest.

Usage:  python3 verify_bundle.py PACKET.zip [--public-key KEY.pem]
Needs Python 3.9+ and the `cryptography` package (pip install cryptography). Without --public-key the key
inside the packet is used; compare its fingerprint (printed) with the one the sender published.
Exit status 0 when the packet is intact, 1 otherwise.
"""

import argparse
import base64
import hashlib
import json
import sys
import zipfile

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
PUBLIC_KEY = "public_key.pem"
UNLISTED = {MANIFEST, SIGNATURE}
CHUNK = 1024 * 1024


def verify(path: str, public_key_pem: bytes | None = None) -> list[str]:
    """Problems found in the packet at `path` (an empty list means intact)."""
    problems = []
    with zipfile.ZipFile(path) as packet:
        names = set(packet.namelist())
        for required in (MANIFEST, SIGNATURE):
            if required not in names:
                return [f"{required} is missing: this is not a complete Casework packet"]
        manifest_bytes = packet.read(MANIFEST)
        key_pem = public_key_pem or packet.read(PUBLIC_KEY)
        public_key = load_pem_public_key(key_pem)
        try:
            public_key.verify(base64.b64decode(packet.read(SIGNATURE)), manifest_bytes)
        except (InvalidSignature, ValueError):
            problems.append(
                "the manifest's signature does not verify: the manifest was changed or not signed by this key"
            )
        manifest = json.loads(manifest_bytes)
        listed = {entry["path"]: entry for entry in manifest["files"]}
        for name in sorted(names - set(listed) - UNLISTED):
            if not name.endswith("/"):
                problems.append(f"{name}: in the packet but not in the manifest")
        for name, entry in sorted(listed.items()):
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing from the packet")
                continue
            digest = hashlib.sha256()
            size = 0
            with packet.open(name) as member:
                while chunk := member.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
            if digest.hexdigest() != entry["sha256"] or size != entry["size"]:
                problems.append(f"{name}: content differs from the manifest (SHA-256 {digest.hexdigest()})")
    return problems


def key_fingerprint(public_key_pem: bytes) -> str:
    return hashlib.sha256(public_key_pem.strip()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Casework evidence packet offline.")
    parser.add_argument("packet")
    parser.add_argument("--public-key", help="PEM file of the sender's published public key")
    args = parser.parse_args(argv)
    key = open(args.public_key, "rb").read() if args.public_key else None
    problems = verify(args.packet, key)
    with zipfile.ZipFile(args.packet) as packet:
        used_key = key or packet.read(PUBLIC_KEY)
        manifest = json.loads(packet.read(MANIFEST))
    print(f"Packet {manifest.get('bundle_id')} for {manifest.get('recipient')}, {len(manifest['files'])} files")
    print(f"Signing key fingerprint (SHA-256 of the PEM): {key_fingerprint(used_key)}")
    if problems:
        print("VERDICT: NOT INTACT")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("VERDICT: INTACT - every file matches the signed manifest.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
