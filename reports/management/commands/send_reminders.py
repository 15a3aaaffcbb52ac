"""Remind coordinators of reports not yet submitted as a deadline nears."""

from typing import Any

from django.core.management.base import BaseCommand

from reports import windows
from reports.notifications import REMINDER_DAYS, send_deadline_reminders


class Command(BaseCommand):
    help = (
        "Email the coordinators of areas that have not submitted when an open year's deadline "
        f"is {', '.join(str(d) for d in REMINDER_DAYS)} days away. Run it once a day."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_deadline_reminders(windows.today())
        self.stdout.write(f"{sent} reminder{'s' if sent != 1 else ''} sent.")
