"""Run by tests/faults/test_database_outage.py against a private PostgreSQL that the test stops mid-build.

Prints lines the test reads: BUILDING (the build is under way: stop the database now), then waits for the
file named by argv[2] (the database is back) and prints the packet's state after each step.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import OperationalError, close_old_connections  # noqa: E402

from casework.bundles import builder, services  # noqa: E402
from casework.bundles.models import EvidenceBundle  # noqa: E402
from casework.cases.models import Case  # noqa: E402

stopped_flag, restarted_flag = Path(sys.argv[1]), Path(sys.argv[2])
user = get_user_model().objects.create_user("outage", password="outage-password-1")
case = Case.objects.create(reference="CW-7001", title="Outage")
bundle = EvidenceBundle.objects.create(case=case, scope="case", recipient="Court", profile="court", requested_by=user)
real_build = builder.build_packet


def build_while_the_database_goes(bundle, path, progress):
    print("BUILDING", flush=True)
    while not stopped_flag.exists():
        time.sleep(0.1)
    return real_build(bundle, path, progress)


services.build_packet = build_while_the_database_goes
try:
    services.bundle_build(bundle_id=bundle.pk)
    print("BUILD ENDED WITHOUT ERROR", flush=True)
except OperationalError:
    print("BUILD HIT THE OUTAGE", flush=True)
while not restarted_flag.exists():
    time.sleep(0.1)
close_old_connections()
from django.db import connection  # noqa: E402

connection.close()
services.build_packet = real_build
print("AFTER OUTAGE", EvidenceBundle.objects.get(pk=bundle.pk).status, flush=True)
time.sleep(float(os.environ["CASEWORK_BUNDLE_LEASE_SECONDS"]) + 1)
stalled = services.bundles_stalled()
print("STALLED", bundle.pk in stalled, flush=True)
for bundle_id in stalled:
    services.bundle_build(bundle_id=bundle_id)
print("FINALLY", EvidenceBundle.objects.get(pk=bundle.pk).status, flush=True)
