"""verify_bundle.py, shipped in every packet: damaged, doubled, incomplete and unzipped packets get a clear
verdict (never a traceback), custody excerpts are re-hashed, and the script runs on Python 3.9."""

import __future__

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casework.bundles import signing, verify_bundle
from casework.bundles.verify_bundle import main, verify
from casework.evidence.models import CustodyEvent
from tests.bundles.conftest import build, make_evidence, packet_path

SCRIPT = Path(verify_bundle.__file__)


@pytest.fixture
def packet(case, intake_worker, analyst) -> Path:
    incident, *_ = make_evidence(case, intake_worker)
    return packet_path(build(case, analyst, incident, "court"))


def run_script(*arguments, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), *map(str, arguments)], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def corrupt_member(path: Path, name: str, destination: Path) -> None:
    """Flip one byte of a stored member's data, leaving its CRC as it was (as a bad disk or transfer would)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    header = info.header_offset
    name_length = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(data[header + 28 : header + 30], "little")
    start = header + 30 + name_length + extra_length
    data[start + 10] ^= 0xFF
    destination.write_bytes(bytes(data))


def rewrite(path: Path, destination: Path, *, replace: dict[str, bytes] | None = None, drop=(), prepend=()):
    """A copy of the packet with members replaced, dropped, or extra ones written first."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(destination, "w") as target:
        for name, data in prepend:
            target.writestr(name, data)
        for info in source.infolist():
            if info.filename in drop:
                continue
            target.writestr(info, (replace or {}).get(info.filename, source.read(info.filename)))


@pytest.mark.django_db
def test_a_member_with_a_bad_crc_is_named_and_the_others_still_checked(packet, tmp_path, capsys):
    damaged = tmp_path / "damaged.zip"
    corrupt_member(packet, "exhibits/CW-0042-000001.jpg", tmp_path / "once.zip")
    corrupt_member(tmp_path / "once.zip", "testimonies.json", damaged)
    problems = verify(str(damaged))
    assert [problem.split(":")[0] for problem in problems] == ["exhibits/CW-0042-000001.jpg", "testimonies.json"]
    assert all("damaged in the ZIP" in problem for problem in problems)
    assert main([str(damaged)]) == 1
    assert "VERDICT: NOT INTACT" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_zip_with_two_entries_of_one_name_is_not_intact(packet, tmp_path):
    doubled = tmp_path / "doubled.zip"
    # Most unzip tools extract the first entry; Python's zipfile reads the last. The first is forged.
    with pytest.warns(UserWarning, match="Duplicate name"):
        rewrite(packet, doubled, prepend=[("report.pdf", b"%PDF-1.7 forged report")])
    problems = verify(str(doubled))
    assert problems and problems[0].startswith("report.pdf: the packet holds two entries of this name")
    result = run_script(doubled, cwd=tmp_path)
    assert result.returncode == 1 and "VERDICT: NOT INTACT" in result.stdout, result.stderr


@pytest.mark.django_db
def test_a_packet_without_its_manifest_says_so(packet, tmp_path, capsys):
    incomplete = tmp_path / "incomplete.zip"
    rewrite(packet, incomplete, drop={"manifest.json"})
    assert verify(str(incomplete)) == [
        "manifest.json is missing: this is not a complete Casework packet, nothing can be checked"
    ]
    with pytest.raises(CommandError):
        call_command("verify_bundle", str(incomplete))
    output = capsys.readouterr().out
    assert "no readable manifest" in output and "manifest.json is missing" in output
    result = run_script(incomplete, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr and "manifest.json is missing" in result.stdout


@pytest.mark.django_db
def test_an_unzipped_packet_folder_can_be_verified(packet, tmp_path, capsys):
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(packet) as archive:
        archive.extractall(folder)
    assert verify(str(folder)) == []
    result = run_script(folder / "verify_bundle.py", cwd=folder)  # not a packet: the script itself
    assert result.returncode == 1
    result = subprocess.run(
        [sys.executable, "-I", "verify_bundle.py", "."], capture_output=True, text=True, timeout=60, cwd=folder
    )
    assert result.returncode == 0 and "VERDICT: INTACT" in result.stdout, result.stdout + result.stderr
    call_command("verify_bundle", str(folder))
    assert "VERDICT: INTACT" in capsys.readouterr().out

    exhibit = folder / "exhibits" / "CW-0042-000001.jpg"
    exhibit.write_bytes(exhibit.read_bytes()[:-1] + b"\x00")
    (folder / "extra.txt").write_text("added later")
    assert sorted(problem.split(":")[0] for problem in verify(str(folder))) == [
        "exhibits/CW-0042-000001.jpg",
        "extra.txt",
    ]
    with pytest.raises(CommandError):
        call_command("verify_bundle", str(folder))


def test_the_script_runs_on_python_3_9():
    source = SCRIPT.read_text()
    # Python 3.9's grammar (no match statements, no parenthesised context managers, no `except*`).
    tree = ast.parse(source, feature_version=(3, 9))
    # No annotation is evaluated when the script runs: `bytes | None` would fail on 3.9.
    code = compile(source, str(SCRIPT), "exec", dont_inherit=True)
    assert code.co_flags & __future__.annotations.compiler_flag
    # Nor any API added after 3.9.
    newer = {"pairwise", "bit_count", "aiter", "anext", "file_digest", "tomllib", "UTC", "TypeAlias", "Self",
             "ExceptionGroup", "add_note"}  # fmt: skip
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    used |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert not used & newer
    keywords = {keyword.arg for node in ast.walk(tree) if isinstance(node, ast.Call) for keyword in node.keywords}
    assert not keywords & {"strict", "kw_only", "slots"}  # zip(strict=), dataclass(kw_only=, slots=)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    # rfc3161_client (and cryptography's x509) only for a packet that holds capture timestamp tokens.
    assert imported <= {"__future__", "argparse", "base64", "hashlib", "json", "os", "sys", "zipfile", "zlib",
                        "cryptography.exceptions", "cryptography.hazmat.primitives.serialization",
                        "cryptography", "rfc3161_client"}  # fmt: skip


def python39_with_cryptography() -> str | None:
    """A Python 3.9 that has `cryptography` (VERIFY_BUNDLE_PYTHON39, or python3.9 on the PATH), if any."""
    candidate = os.environ.get("VERIFY_BUNDLE_PYTHON39") or shutil.which("python3.9")
    if not candidate:
        return None
    probe = subprocess.run([candidate, "-c", "import cryptography"], capture_output=True, timeout=60)
    return candidate if probe.returncode == 0 else None


@pytest.mark.django_db
def test_the_script_verifies_packets_under_python_3_9(packet, tmp_path):
    python39 = python39_with_cryptography()
    if python39 is None:
        pytest.skip("no Python 3.9 with cryptography here (set VERIFY_BUNDLE_PYTHON39)")
    damaged = tmp_path / "damaged.zip"
    corrupt_member(packet, "testimonies.json", damaged)
    for target, verdict in ((packet, "VERDICT: INTACT"), (damaged, "VERDICT: NOT INTACT")):
        result = subprocess.run(
            [python39, "-I", str(SCRIPT), str(target)], capture_output=True, text=True, timeout=60, cwd=tmp_path
        )
        assert verdict in result.stdout and "Traceback" not in result.stderr, result.stdout + result.stderr


# 5. Custody excerpts carry what a recipient needs to re-hash each event.


def resigned(path: Path, destination: Path, custody: dict) -> None:
    """The packet with an altered custody.json and a manifest re-signed to match: only the custody check
    itself can catch it (as if the signing key had leaked)."""
    custody_bytes = json.dumps(custody, indent=2).encode()
    with zipfile.ZipFile(path) as source:
        manifest = json.loads(source.read("manifest.json"))
    for entry in manifest["files"]:
        if entry["path"] == "custody.json":
            entry.update(size=len(custody_bytes), sha256=hashlib.sha256(custody_bytes).hexdigest())
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    rewrite(
        path,
        destination,
        replace={
            "custody.json": custody_bytes,
            "manifest.json": manifest_bytes,
            "manifest.json.sig": signing.sign(manifest_bytes),
        },
    )


@pytest.mark.django_db
def test_custody_excerpts_are_re_hashed_and_their_links_checked(packet, tmp_path, capsys):
    with zipfile.ZipFile(packet) as archive:
        custody = json.loads(archive.read("custody.json"))
        head = json.loads(archive.read("manifest.json"))["custody_head_hash"]
    item_sha256, events = next(iter(custody.items()))
    stored = CustodyEvent.objects.get(sequence=events[0]["sequence"])
    assert events[0]["event_hash"] == stored.event_hash and events[0]["actor_id"] == stored.actor_id
    assert main([str(packet)]) == 0
    output = capsys.readouterr().out
    assert f"Custody chain head when the packet was built: {head}" in output and "events re-hashed" in output

    edited = json.loads(json.dumps(custody))
    edited[item_sha256][0]["actor_label"] = "someone_else"
    resigned(packet, tmp_path / "edited.zip", edited)
    first = events[0]["sequence"]
    assert verify(str(tmp_path / "edited.zip")) == [
        f"custody.json: item {item_sha256[:16]}: event #{first} does not match its hash (it was altered)"
    ]

    relinked = json.loads(json.dumps(custody))
    consecutive = next(
        (one, other) for one, other in zip(events, events[1:], strict=False) if other["sequence"] == one["sequence"] + 1
    )
    index = events.index(consecutive[1])
    relinked[item_sha256][index]["previous_hash"] = "0" * 64
    resigned(packet, tmp_path / "relinked.zip", relinked)
    problems = verify(str(tmp_path / "relinked.zip"))
    assert f"event #{consecutive[1]['sequence']} does not link to event #{consecutive[0]['sequence']}" in (
        " ".join(problems)
    )
