import datetime as dt
from typing import Any

from django.apps import AppConfig


def _resident_left_register(sender: Any, *, resident: Any, on: dt.date, reason: str, actor: Any,
                            **kwargs: Any) -> None:
    from xiangzhi.party.services import membership_end_for_register

    membership_end_for_register(resident=resident, on=on, reason=reason, actor=actor)


class PartyConfig(AppConfig):
    name = "xiangzhi.party"
    verbose_name = "党组织"

    def ready(self) -> None:
        # people may not import party: a death or a move out of the county reaches the party
        # organisation through the register's signal, in the same transaction.
        from xiangzhi.people.services import resident_left_register

        resident_left_register.connect(_resident_left_register, dispatch_uid="party.resident_left_register")
