"""The street-scale demo (文祖街道), built once for this package through the ``demo`` command: the
demo tests read what it generated and the page crawl walks it with every role.

Modules here that build something else (``test_county``, the case-history tests) sort before the
first module that asks for ``street_demo``, so they never see it and never wipe it.
"""

import json
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from xiangzhi.demo.builder import build_demo, reset_database
from xiangzhi.people.models import HouseholdChange, Resident
from xiangzhi.regions.selectors import grid_index_invalidate

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Built:
    accounts: list[dict]
    stdout: str
    same_seed: tuple[list, list]
    other_seed: list
    same_history: tuple[list, list] = ([], [])  # the register's changes of two builds with one seed


def _first_residents():
    return list(Resident.objects.order_by("household__number", "id").values_list("name", "id_number_hash")[:20])


def _register_history():
    return list(HouseholdChange.objects.order_by("household__number", "kind", "id").values_list(
        "household__number", "kind", "state", "resident__name", "after", "proposed_at__date"))


@pytest.fixture(scope="package")
def street_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    with django_db_blocker.unblock(), override_settings(VAR_DIR=var):
        # Determinism first, on one village (every stage of the build runs for it; the residents
        # compared are the first village's whatever the count) with a cheap hasher; then the real thing,
        # whose first village (the same one, another seed) must come out different.
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            build_demo("street", 7, villages=1)
            a, history_a = _first_residents(), _register_history()
            build_demo("street", 7, villages=1)
            b, history_b = _first_residents(), _register_history()
        out = StringIO()
        call_command("demo", "--no-serve", stdout=out)
        c = _first_residents()
        accounts = json.loads((Path(var) / "demo-accounts.json").read_text(encoding="utf-8"))
        grid_index_invalidate()
        yield Built(accounts=accounts, stdout=out.getvalue(), same_seed=(a, b), other_seed=c,
                    same_history=(history_a, history_b))
        reset_database()
