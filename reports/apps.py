from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "MAPPA reports"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the system checks)
            public_state,
        )

        public_state.connect(self)
