"""Publish the approved reports of every year whose release time has come."""

from typing import Any

from django.core.management.base import BaseCommand

from reports.workflow import release_due


class Command(BaseCommand):
    help = (
        "Publish every approved report whose year's release time has passed. Run it every "
        "minute from a timer (cron, systemd): reports then go public together at the announced "
        "time without anyone pressing a button."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        released = release_due()
        for report in released:
            self.stdout.write(f"{report}: published.")
        if not released:
            self.stdout.write("Nothing due for release.")
