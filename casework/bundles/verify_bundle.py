#!/usr/bin/env python3
"""Check a Casework evidence packet offline: every file against the signed manifest, and the custody log
excerpts against their own hashes.

Usage:  python3 verify_bundle.py PACKET.zip [--public-key KEY.pem] [--tsa-ca TSA-ROOT.pem]
        python3 verify_bundle.py UNZIPPED-PACKET-FOLDER [--public-key KEY.pem] [--tsa-ca TSA-ROOT.pem]
Needs Python 3.9+ and the `cryptography` package (pip install cryptography). Without --public-key the key
inside the packet is used; compare its fingerprint (printed) with the one the sender published.
A packet with captures of online sources may carry RFC 3161 timestamp tokens: they are checked (signature up
to the timestamping authority's root, and imprint) with the `rfc3161-client` package (pip install
rfc3161-client), against --tsa-ca or else the root certificate inside the packet (compare its fingerprint,
printed, with the one the authority publishes).
Exit status 0 when the packet is intact, 1 otherwise.
"""

# Annotations stay strings: this script must run on Python 3.9, which cannot evaluate `bytes | None`.
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import zipfile
import zlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
PUBLIC_KEY = "public_key.pem"
TSA_CERTIFICATE = "tsa_ca.pem"
CUSTODY = "custody.json"
UNLISTED = {MANIFEST, SIGNATURE}
CHUNK = 1024 * 1024
# The fields of a custody event that its hash covers (Casework's canonical form), in the packet's custody.json.
CANONICAL_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "case_id",
    "object_type",
    "object_id",
    "details",
    "previous_hash",
)


class Unreadable(Exception):
    """A member of the packet could not be read (damaged in the ZIP, or missing)."""


class ZipPacket:
    """A packet as its ZIP file."""

    def __init__(self, path: str):
        self.archive = zipfile.ZipFile(path)

    def names(self) -> list[str]:
        return [name for name in self.archive.namelist() if not name.endswith("/")]

    def read(self, name: str) -> bytes:
        return b"".join(self.chunks(name))

    def chunks(self, name: str):
        try:
            with self.archive.open(name) as member:
                while True:
                    chunk = member.read(CHUNK)
                    if not chunk:
                        return
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
            raise Unreadable(f"damaged in the ZIP ({error})") from None

    def close(self) -> None:
        self.archive.close()


class FolderPacket:
    """A packet someone already unzipped into a folder."""

    def __init__(self, path: str):
        self.root = os.path.realpath(path)

    def names(self) -> list[str]:
        found = []
        for folder, _subfolders, files in os.walk(self.root):
            for file_name in files:
                relative = os.path.relpath(os.path.join(folder, file_name), self.root)
                found.append(relative.replace(os.sep, "/"))
        return found

    def _path(self, name: str) -> str:
        path = os.path.realpath(os.path.join(self.root, *name.split("/")))
        if os.path.commonpath([path, self.root]) != self.root:
            raise Unreadable("points outside the packet folder")
        return path

    def read(self, name: str) -> bytes:
        return b"".join(self.chunks(name))

    def chunks(self, name: str):
        try:
            with open(self._path(name), "rb") as member:
                while True:
                    chunk = member.read(CHUNK)
                    if not chunk:
                        return
                    yield chunk
        except OSError as error:
            raise Unreadable(f"cannot be read ({error.strerror or error})") from None

    def close(self) -> None:
        pass


class Result:
    """What the check found: `problems` (empty when intact) and facts to print."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.manifest: dict = {}
        self.key_fingerprint = ""
        self.custody_rehashed = 0
        self.custody_links = 0
        self.custody_hash_only = 0
        self.timestamps: list[str] = []
        self.tsa_fingerprint = ""

    @property
    def intact(self) -> bool:
        return not self.problems


def open_packet(path: str):
    if os.path.isdir(path):
        return FolderPacket(path)
    return ZipPacket(path)


def key_fingerprint(public_key_pem: bytes) -> str:
    return hashlib.sha256(public_key_pem.strip()).hexdigest()


def check(path: str, public_key_pem: bytes | None = None, tsa_ca_pem: bytes | None = None) -> Result:
    """Check the packet at `path` (a ZIP file or an unzipped folder). Never raises for a bad packet."""
    result = Result()
    try:
        packet = open_packet(path)
    except (zipfile.BadZipFile, OSError) as error:
        result.problems.append(f"{path}: not a readable ZIP archive ({error})")
        return result
    try:
        _check_packet(packet, public_key_pem, result)
        if result.manifest and result.manifest.get("captures"):
            _check_timestamps(packet, result.manifest, tsa_ca_pem, result)
    finally:
        packet.close()
    return result


def verify(path: str, public_key_pem: bytes | None = None, tsa_ca_pem: bytes | None = None) -> list[str]:
    """Problems found in the packet at `path` (an empty list means intact)."""
    return check(path, public_key_pem, tsa_ca_pem).problems


def _check_packet(packet, public_key_pem: bytes | None, result: Result) -> None:
    all_names = packet.names()
    seen: set[str] = set()
    for name in all_names:
        if name in seen:
            result.problems.append(
                f"{name}: the packet holds two entries of this name; a Casework packet holds each file once, "
                "so one of them was added later"
            )
        seen.add(name)
    if len(seen) != len(all_names):
        return
    names = seen
    if MANIFEST not in names:
        result.problems.append(f"{MANIFEST} is missing: this is not a complete Casework packet, nothing can be checked")
        return
    try:
        manifest_bytes = packet.read(MANIFEST)
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        listed = {entry["path"]: entry for entry in manifest["files"]}
    except Unreadable as error:
        result.problems.append(f"{MANIFEST}: {error}")
        return
    except (ValueError, KeyError, TypeError):
        result.problems.append(f"{MANIFEST} is not a Casework manifest (it cannot be read as one)")
        return
    result.manifest = manifest
    _check_signature(packet, names, manifest_bytes, public_key_pem, result)
    for name in sorted(names - set(listed) - UNLISTED):
        result.problems.append(f"{name}: in the packet but not in the manifest")
    for name, entry in sorted(listed.items()):
        if name not in names:
            result.problems.append(f"{name}: listed in the manifest but missing from the packet")
            continue
        digest = hashlib.sha256()
        size = 0
        try:
            for chunk in packet.chunks(name):
                digest.update(chunk)
                size += len(chunk)
        except Unreadable as error:
            result.problems.append(f"{name}: {error}")
            continue
        if digest.hexdigest() != entry.get("sha256") or size != entry.get("size"):
            result.problems.append(f"{name}: content differs from the manifest (SHA-256 {digest.hexdigest()})")
    if CUSTODY in listed and CUSTODY in names:
        _check_custody(packet, result)


def _check_signature(packet, names: set[str], manifest_bytes: bytes, public_key_pem, result: Result) -> None:
    if SIGNATURE not in names:
        result.problems.append(f"{SIGNATURE} is missing: the manifest is not signed")
        return
    if public_key_pem is None:
        if PUBLIC_KEY not in names:
            result.problems.append(f"{PUBLIC_KEY} is missing: give the sender's key with --public-key")
            return
        try:
            public_key_pem = packet.read(PUBLIC_KEY)
        except Unreadable as error:
            result.problems.append(f"{PUBLIC_KEY}: {error}")
            return
    result.key_fingerprint = key_fingerprint(public_key_pem)
    try:
        public_key = load_pem_public_key(public_key_pem)
        public_key.verify(base64.b64decode(packet.read(SIGNATURE)), manifest_bytes)
    except Unreadable as error:
        result.problems.append(f"{SIGNATURE}: {error}")
    except (InvalidSignature, ValueError, TypeError):
        result.problems.append(
            "the manifest's signature does not verify: the manifest was changed or not signed by this key"
        )


def canonical_event_hash(event: dict) -> str:
    """The SHA-256 Casework computed over a custody event: its canonical fields as compact, sorted JSON."""
    document = {name: event[name] for name in CANONICAL_FIELDS}
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_custody(packet, result: Result) -> None:
    try:
        excerpts = json.loads(packet.read(CUSTODY).decode("utf-8"))
    except (Unreadable, ValueError):
        return  # its hash check above already named the problem
    if not isinstance(excerpts, dict):
        result.problems.append(f"{CUSTODY}: not a custody excerpt")
        return
    for item, events in sorted(excerpts.items()):
        label = f"{CUSTODY}: item {item[:16]}"
        try:
            ordered = sorted(events, key=lambda event: event["sequence"])
        except (TypeError, KeyError):
            result.problems.append(f"{label}: events without a sequence number")
            continue
        previous = None
        for event in ordered:
            if all(name in event for name in CANONICAL_FIELDS):
                result.custody_rehashed += 1
                if canonical_event_hash(event) != event.get("event_hash"):
                    result.problems.append(
                        f"{label}: event #{event['sequence']} does not match its hash (it was altered)"
                    )
            else:
                result.custody_hash_only += 1
            # Only events next to each other in the whole chain link directly; gaps are other objects' events.
            if previous is not None and event["sequence"] == previous["sequence"] + 1:
                result.custody_links += 1
                if event.get("previous_hash") != previous.get("event_hash"):
                    result.problems.append(
                        f"{label}: event #{event['sequence']} does not link to event #{previous['sequence']}"
                    )
            previous = event


def _check_timestamps(packet, manifest: dict, tsa_ca_pem: bytes | None, result: Result) -> None:
    """Each capture's RFC 3161 token: signed by an authority under the root given (or carried), over the exact
    statement beside it, and that statement names the SHA-256 of the capture's manifest in the packet."""
    stamped = [entry for entry in manifest["captures"] if isinstance(entry, dict) and entry.get("timestamp")]
    if not stamped:
        return
    try:
        from cryptography import x509
        from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response
    except ImportError:
        result.problems.append(
            "timestamp tokens cannot be checked: install rfc3161-client (pip install rfc3161-client)"
        )
        return
    try:
        if tsa_ca_pem is None:
            tsa_ca_pem = packet.read(TSA_CERTIFICATE)
        roots = x509.load_pem_x509_certificates(tsa_ca_pem)
    except (Unreadable, ValueError):
        result.problems.append("timestamp tokens cannot be checked: no root certificate (give --tsa-ca)")
        return
    result.tsa_fingerprint = hashlib.sha256(tsa_ca_pem.strip()).hexdigest()
    for entry in stamped:
        stamp = entry["timestamp"]
        label = f"capture {entry.get('capture')}: timestamp"
        try:
            token = packet.read(stamp["token"])
            statement = packet.read(stamp["statement"])
            response = decode_timestamp_response(token)
            verifier = VerifierBuilder()
            for root in roots:
                verifier = verifier.add_root_certificate(root)
            verifier.build().verify_message(response, statement)
        except (Unreadable, KeyError, TypeError) as error:
            result.problems.append(f"{label}: cannot be read ({error})")
            continue
        except (ValueError, VerificationError) as error:
            result.problems.append(f"{label}: the token does not verify ({str(error) or type(error).__name__})")
            continue
        if stamp.get("manifest"):
            try:
                claimed = json.loads(statement.decode("utf-8"))["capture_manifest_sha256"]
                actual = hashlib.sha256(packet.read(stamp["manifest"])).hexdigest()
            except (Unreadable, ValueError, KeyError, TypeError):
                result.problems.append(f"{label}: its statement or the capture manifest cannot be read")
                continue
            if claimed != actual:
                result.problems.append(f"{label}: the timestamped statement is not about this capture's manifest")
                continue
        result.timestamps.append(f"capture {entry.get('capture')}: {response.tst_info.gen_time.isoformat()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Casework evidence packet offline.")
    parser.add_argument("packet", help="the packet's ZIP file, or the folder it was unzipped into")
    parser.add_argument("--public-key", help="PEM file of the sender's published public key")
    parser.add_argument("--tsa-ca", help="PEM file of the timestamping authority's root certificate")
    args = parser.parse_args(argv)
    key = tsa_ca = None
    if args.public_key:
        with open(args.public_key, "rb") as key_file:
            key = key_file.read()
    if args.tsa_ca:
        with open(args.tsa_ca, "rb") as tsa_file:
            tsa_ca = tsa_file.read()
    result = check(args.packet, key, tsa_ca)
    manifest = result.manifest
    if manifest:
        files = manifest.get("files") or []
        print(f"Packet {manifest.get('bundle_id')} for {manifest.get('recipient')}, {len(files)} files")
        print(f"Custody chain head when the packet was built: {manifest.get('custody_head_hash')}")
    else:
        print(f"Packet {args.packet}: no readable manifest")
    if result.key_fingerprint:
        print(f"Signing key fingerprint (SHA-256 of the PEM): {result.key_fingerprint}")
    if result.custody_rehashed or result.custody_hash_only:
        line = f"Custody excerpts: {result.custody_rehashed} events re-hashed, {result.custody_links} links checked"
        if result.custody_hash_only:
            line += (
                f"; {result.custody_hash_only} events carry only their hashes (staff names and details withheld "
                "from this packet), so only their links were checked"
            )
        print(line)
    if result.tsa_fingerprint:
        print(f"Timestamping authority root fingerprint (SHA-256 of the PEM): {result.tsa_fingerprint}")
    for line in result.timestamps:
        print(f"Trusted timestamp (RFC 3161) verified, {line}")
    if result.problems:
        print("VERDICT: NOT INTACT")
        for problem in result.problems:
            print(f"  - {problem}")
        return 1
    print("VERDICT: INTACT - every file matches the signed manifest.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
