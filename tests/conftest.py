import pytest
from django.core.management import call_command


@pytest.fixture
def demo(db):
    """The demo data of `make run`: Kent and Cambridgeshire and Peterborough 2010-11."""
    call_command("load_demo", verbosity=0)
