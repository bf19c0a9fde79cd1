"""Lists built through the services for the duties tests."""

from xiangzhi.duties import services
from xiangzhi.duties.models import ListKind, ListVersion
from xiangzhi.duties.services import ItemInput


def duty(code: str, title: str, organisation: str, categories="", *, field="平安建设", level="", post="") -> ItemInput:
    return ItemInput(code=code, field=field, title=title, organisation=organisation, handling_level=level, post=post,
                     category_codes=categories)


def territorial(code: str, title: str, role: str, department="", categories="", *, field="城乡建设",
                unit="") -> ItemInput:
    return ItemInput(code=code, field=field, title=title, township_role=role, department_kind=department, unit=unit,
                     category_codes=categories)


def power(code: str, title: str, side="正面清单", steps=("村党组织提议", "村民代表会议决议", "结果公开"), *,
          field="重大事项决策") -> ItemInput:
    return ItemInput(code=code, field=field, title=title, side=side, subject="村民委员会", steps=list(steps))


def make_list(county, actor, items, *, kind=ListKind.DUTY, activate=True, note="") -> ListVersion:
    """A version of ``kind`` holding ``items``: a draft copied from the one in force, its items replaced
    one by one through ``item_save``, then activated (unless told not to)."""
    draft = services.version_draft(county=county, kind=kind, actor=actor, note=note)
    for old in list(draft.items.all()):
        services.item_remove(item=old, actor=actor)
    for data in items:
        services.item_save(version=draft, actor=actor, data=data)
    if activate:
        services.version_activate(version=draft, actor=actor)
    return ListVersion.objects.get(pk=draft.pk)
