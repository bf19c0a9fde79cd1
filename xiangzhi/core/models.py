"""Abstract models the apps build on: rows that are only ever added, photos kept with a record."""

from collections.abc import Iterable
from typing import Any, NoReturn, TypeVar

from django.core.files.base import ContentFile
from django.db import models

from xiangzhi.lib.photos import ProcessedPhoto


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


class StoredPhoto(models.Model):
    """A photo kept with a record (a case's, a visit's): re-encoded without EXIF or GPS
    (``lib.photos.process``), with a thumbnail. Each kind declares its ``image`` and ``thumbnail``
    file fields with its own folder."""

    image: models.FileField
    thumbnail: models.FileField
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.image.name or ""

    def attach(self, photo: ProcessedPhoto, name: str) -> None:
        """Take ``photo``'s size and files (saved under ``name``); the caller saves the row."""
        self.width, self.height, self.size_bytes = photo.width, photo.height, len(photo.image)
        self.image.save(name, ContentFile(photo.image), save=False)
        self.thumbnail.save(name, ContentFile(photo.thumbnail), save=False)
