import base64
import binascii
import datetime as dt

from django.conf import settings
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.cases import actions, progress, selectors, services
from xiangzhi.cases.errors import CaseError
from xiangzhi.cases.models import Case, Category
from xiangzhi.cases.routing import category_get_active
from xiangzhi.cases.rules import ACTION_NAMES
from xiangzhi.cases.suggestions import category_suggest
from xiangzhi.core.errors import NotFound
from xiangzhi.core.idempotency import fingerprint
from xiangzhi.lib.photos import PhotoError, process
from xiangzhi.people import selectors as people_selectors
from xiangzhi.regions.models import Department

router = Router(tags=["事件工单"])


class CategoryOut(Schema):
    code: str
    name: str
    group: str
    kind: str
    split_class: str
    default_level: str
    handle_hours: int


class TransitionOut(Schema):
    action: str
    text: str = Field("", description="这一步的说明（居民看到的是他自己的话）")
    from_status: str
    to_status: str
    from_level: str
    to_level: str
    actor: str | None
    department: str | None
    note: str
    created_at: dt.datetime
    photos: list[str]
    routed_by: str | None = Field(None, description="派遣依据：清单及版本，如「《职责任务清单》第3版」（工作人员可见）")


class CaseOut(Schema):
    id: int
    number: str
    category: str = Field(..., alias="category.code")
    category_name: str = Field(..., alias="category.name")
    channel: str
    title: str
    status: str = Field(..., description="事件状态；居民账号看到的是他那一方的状态：accepted 已受理、"
                                          "in_progress 处理中、to_evaluate 待评价、done 已办结、rejected 不予受理")
    status_name: str
    handling_level: str
    grid_code: str | None = Field(None, alias="grid.code")
    region_code: str = Field(..., alias="region.code")
    department: str | None = Field(None, alias="assignee_department.name")
    lon: float | None
    lat: float | None
    address: str
    place: int | None = Field(None, alias="place_id", description="所报的部件与场所 id")
    is_proactive: bool
    due_at: dt.datetime | None
    overdue: bool
    created_at: dt.datetime
    closed_at: dt.datetime | None
    evaluation: str

    @staticmethod
    def resolve_overdue(obj):
        return obj.overdue_at is not None

    @staticmethod
    def resolve_status(obj, context):
        return progress.resident_state(obj).key if _in_residents_words(context) else obj.status

    @staticmethod
    def resolve_status_name(obj, context):
        return progress.resident_state(obj).label if _in_residents_words(context) else obj.get_status_display()


def _in_residents_words(context) -> bool:
    """A villager reads his reports in his own words: never the lifecycle's internal states."""
    request = (context or {}).get("request")
    return request is not None and progress.sees_residents_words(request.user)


def _history(case: Case) -> selectors.CaseHistory:
    """Read once per response: the history and the photo list both come from it."""
    if "_api_history" not in case.__dict__:
        case._api_history = selectors.case_history(case)
    return case._api_history


class CaseDetailOut(CaseOut):
    description: str
    place_name: str | None = Field(None, description="所报的部件与场所，如「路灯 · 17号杆」")
    reporter_name: str
    reporter_phone: str = Field(..., alias="reporter_phone_masked")
    rework_count: int
    escalation_count: int
    supervise_count: int
    close_due_at: dt.datetime | None
    duplicate_of: str | None = Field(None, alias="duplicate_of.number")
    history: list[TransitionOut]
    actions: list[str]
    photos: list[str]

    @staticmethod
    def resolve_history(obj, context):
        history = _history(obj)
        photos = history.photo_ids_by_transition
        if _in_residents_words(context):
            steps = progress.step_list(obj, history.transitions, viewer=context["request"].user,
                                       photo_ids_by_transition=photos)
            state = {s: r.key for r in progress.RESIDENT_STATES for s in r.statuses}
            return [
                {"action": t.action, "text": step.text, "from_status": state.get(t.from_status, ""),
                 "to_status": state.get(t.to_status, ""), "from_level": t.from_level, "to_level": t.to_level,
                 "actor": step.who, "department": step.unit or None, "note": step.note, "created_at": t.created_at,
                 "photos": [f"/cases/photos/{pk}/" for pk in step.photo_ids]}
                for t, step in zip(history.transitions, steps, strict=True)
            ]
        return [
            {"action": t.action, "text": ACTION_NAMES.get(t.action, "办理"), "from_status": t.from_status,
             "to_status": t.to_status, "from_level": t.from_level, "to_level": t.to_level,
             "actor": (t.actor.full_name or "工作人员") if t.actor else None,
             "department": t.department.name if t.department else None, "note": t.note,
             "created_at": t.created_at, "routed_by": str(t.list_version) if t.list_version_id else None,
             "photos": [f"/cases/photos/{pk}/" for pk in photos.get(t.pk, [])]}
            for t in history.transitions
        ]

    @staticmethod
    def resolve_place_name(obj):
        return obj.place.title if obj.place_id else None

    @staticmethod
    def resolve_photos(obj):
        return [f"/cases/photos/{pk}/" for pk in _history(obj).photo_ids]

    @staticmethod
    def resolve_actions(obj, context):
        return [a.name for a in actions.available_actions(context["request"].user, obj)]


class CaseIn(Schema):
    category: str = Field("", description="事件类别代码，见 GET /categories；不填则归入“其他”")
    title: str = Field("", max_length=100, description="不填则由类别和地点生成")
    description: str = Field("", max_length=5000)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str = Field("", max_length=200)
    place: int | None = Field(None, description="所报的部件与场所 id（GET /places/near 列出图钉附近的）；"
                                               "给出时位置取该部件的位置")
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=11)
    proactive: bool = Field(False, description="网格员主动发现（未诉先办）")
    photos: list[str] = Field([], max_length=settings.CASE_PHOTO_MAX_COUNT,
                              description=f"照片，base64 编码，最多 {settings.CASE_PHOTO_MAX_COUNT} 张")


class ActionIn(Schema):
    note: str = Field("", max_length=2000)
    level: str | None = Field(None, description="dispatch/escalate 的目标层级")
    department: str | None = Field(None, description="dispatch 的目标部门编码")
    assignee: int | None = Field(None, description="reassign 的目标账号 id")
    evaluation: str = Field("", description="evaluate：satisfied / basically_satisfied / dissatisfied")
    into: int | None = Field(None, description="merge：合并到的事件 id")
    category: str | None = Field(None, max_length=32, description="recategorise：新的类别代码")
    photos: list[str] = Field([], max_length=settings.CASE_PHOTO_MAX_COUNT)


def decode_photos(items: list[str]):
    if len(items) > settings.CASE_PHOTO_MAX_COUNT:  # before a single one is decoded
        raise CaseError(f"最多上传 {settings.CASE_PHOTO_MAX_COUNT} 张照片")
    out = []
    for i, item in enumerate(items, start=1):
        payload = item.split(",", 1)[1] if item.startswith("data:") else item
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise CaseError(f"第 {i} 张照片不是有效的 base64 编码") from None
        try:
            out.append(process(data, max_bytes=settings.CASE_PHOTO_MAX_BYTES))
        except PhotoError as exc:
            raise CaseError(f"第 {i} 张照片：{exc}") from None
    return out


@router.get("/categories", response=list[CategoryOut], summary="事件类别目录")
def category_list(request):
    return list(selectors.category_list())


class SuggestIn(Schema):
    text: str = Field(..., max_length=10000, description="报告人自己的话（标题和描述）；只读前 512 个字")


class SuggestionOut(Schema):
    code: str
    name: str
    group: str
    score: float = Field(..., description="0～1，越大越可能")


class SuggestOut(Schema):
    suggestions: list[SuggestionOut] = Field(..., description="最可能的三个类别，最可能的在前；没有可读的字时为空")


@router.post("/cases/suggest", response=SuggestOut, summary="按描述建议事件类别")
def case_suggest(request, payload: SuggestIn):
    """本县启用的类别中最可能的三个，由本机上的模型按报告人的原话给出（不联网）。"""
    return {"suggestions": [{"code": s.code, "name": s.category.name, "group": s.category.group,
                             "score": round(s.score, 4)} for s in category_suggest(payload.text)]}


@router.post("/cases", response={200: CaseDetailOut, 201: CaseDetailOut}, summary="上报事件（支持 Idempotency-Key）")
def case_create(request, payload: CaseIn):
    category = category_get_active(payload.category) if payload.category else None
    if payload.category and category is None:
        raise CaseError(f"未知的事件类别：{payload.category}")
    user = request.user
    proactive = payload.proactive and user.role in ("grid_chief", "grid_worker")
    result = services.case_report(
        channel="worker" if proactive else ("resident" if user.role == "resident" else "api"),
        category=category, title=payload.title, description=payload.description, lon=payload.lon,
        lat=payload.lat, address=payload.address, reporter=user, reporter_name=payload.reporter_name,
        place=people_selectors.place_get_for_report(user, payload.place) if payload.place else None,
        reporter_phone=payload.reporter_phone, is_proactive=proactive, photos=decode_photos(payload.photos),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
        fingerprint=fingerprint(payload.dict()),
    )
    return (201 if result.created else 200), result.case


@router.get("/cases", response=list[CaseOut], summary="事件列表（按权限范围）")
@paginate(PageNumberPagination, page_size=20, max_page_size=100)
def case_list(request, status: str | None = None, open: bool = False, category: str | None = None, q: str = ""):
    category_obj = Category.objects.filter(code=category).first() if category else None
    if category and category_obj is None:
        return Case.objects.none()
    if progress.sees_residents_words(request.user):  # his states, not the lifecycle's
        cases = selectors.case_list_for_user(request.user, category=category_obj, open_only=open, search=q.strip())
        return progress.resident_filter(cases, status) if status else cases
    return selectors.case_list_for_user(request.user, status=status, category=category_obj, open_only=open,
                                        search=q.strip())


@router.get("/cases/inbox", response=list[CaseOut], summary="我的待办")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def case_inbox(request):
    return selectors.inbox_for_user(request.user)


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="事件详情（含处置记录）")
def case_get(request, case_id: int):
    return selectors.case_get_for_user(request.user, case_id)


@router.get("/cases/{case_id}/duplicates", response=list[CaseOut], summary="疑似重复件")
def case_duplicates(request, case_id: int):
    case = selectors.case_get_for_user(request.user, case_id)
    return selectors.case_duplicate_list_for_user(request.user, case)


def _act(request, case_id: int, name: str, payload: ActionIn):
    case = selectors.case_get_for_user(request.user, case_id)
    department = None
    if payload.department:
        department = Department.objects.filter(code=payload.department, is_active=True).first()
        if department is None:
            raise CaseError(f"未知的职能部门：{payload.department}")
    into = None
    if payload.into is not None:
        try:
            into = selectors.case_get_for_user(request.user, payload.into)
        except NotFound:
            raise CaseError("要合并到的事件不存在或无权查看") from None
    category = None
    if payload.category:
        category = category_get_active(payload.category)
        if category is None:
            raise CaseError(f"未知或已停用的事件类别：{payload.category}")
    actions.perform(name, case=case, actor=request.user, note=payload.note, level=payload.level,
                    department=department, assignee_id=payload.assignee, evaluation=payload.evaluation,
                    into=into, photos=decode_photos(payload.photos), category=category)
    return selectors.case_get_for_user(request.user, case_id)


def _register(name: str, path: str, summary: str) -> None:
    def endpoint(request, case_id: int, payload: ActionIn):
        return _act(request, case_id, name, payload)

    endpoint.__name__ = f"case_{name}"
    router.post(f"/cases/{{case_id}}/{path}", response=CaseDetailOut, summary=summary,
                operation_id=f"case_{name}")(endpoint)


for _name, _action in actions.ACTIONS.items():
    _register(_name, _name.replace("_", "-"), _action.label)
_register("close", "close", "结案")
