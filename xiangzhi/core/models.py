"""Abstract models the apps build on: rows that are only ever added."""

from collections.abc import Iterable
from typing import Any, NoReturn, TypeVar

from django.db import models


class AppendOnlyError(ValueError):
    """A change to a ledger row: rows are only ever added."""


_Row = TypeVar("_Row", bound="AppendOnly")


class AppendOnlyQuerySet(models.QuerySet[_Row]):
    def _refuse(self, verb: str) -> NoReturn:
        raise AppendOnlyError(f"{self.model.append_only_noun}只能追加，不能{verb}")

    def update(self, **kwargs: Any) -> NoReturn:
        self._refuse("修改")

    def bulk_update(self, objs: Iterable[_Row], fields: Iterable[str], batch_size: int | None = None) -> NoReturn:
        self._refuse("修改")

    def delete(self) -> NoReturn:
        self._refuse("删除")

    def _raw_delete(self, using: str | None) -> NoReturn:
        self._refuse("删除")


class AppendOnly(models.Model):
    """Rows that are only ever added (the points ledger, the supermarket's stock moves and order
    events). The model layer refuses changes on every database; PostgreSQL also refuses them with
    a trigger installed by each app's migration. ``append_only_noun``
    names the rows in the refusal."""

    append_only_noun = "记录"
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self.append_only_noun}只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.append_only_noun}只能追加，不能删除")
