from django.core.management.base import BaseCommand, CommandError

from casework.bundles import verify_bundle


class Command(BaseCommand):
    help = "Check an evidence packet offline against its signed manifest (the same check as the script inside it)."

    def add_arguments(self, parser):
        parser.add_argument("packet")
        parser.add_argument("--public-key", help="PEM file of the published public key (default: the packet's)")

    def handle(self, *args, packet, public_key, **options):
        argv = [packet] + (["--public-key", public_key] if public_key else [])
        if verify_bundle.main(argv) != 0:
            raise CommandError("The packet is NOT intact.")
