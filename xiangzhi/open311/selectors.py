"""Reads for Open311. Who sees what:

- nobody's personal data: no reporter name, phone or e-mail is ever part of a response;
- without an api_key: cases under the region of at least one active client (a county that issues
  no key publishes nothing), except 私事 categories (family and neighbour disputes), in the
  public-safe view: no free text, coordinates rounded to 3 decimals (≈100 m);
- with an api_key: the same, limited to the client's region, plus the client's own submissions
  (私事 included) in full.
"""

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value

from xiangzhi.cases.models import Case, Category, Photo, SplitClass, Status, Transition
from xiangzhi.open311.models import Open311Client, Submission

OPEN = (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.HANDLED, Status.VERIFIED,
        Status.SUSPENDED)
CLOSED = (Status.CLOSED, Status.EVALUATED, Status.ARCHIVED, Status.REJECTED, Status.MERGED)
STATUSES = {"open": OPEN, "closed": CLOSED}
WINDOW = dt.timedelta(days=90)
MAX_RESULTS = 1000


@dataclass(frozen=True)
class Attribute:
    """A question a service definition asks, beyond the standard fields. Every one is stored."""

    code: str
    description: str
    order: int
    max_length: int
    stored_as: str
    required: bool = False
    datatype: str = "string"
    kinds: frozenset[str] = field(default_factory=lambda: frozenset({"facility", "event"}))


ATTRIBUTES = (
    Attribute("title", "事件标题；不填则取描述的第一行", 1, 100, "事件标题"),
    Attribute("address_detail", "位置补充：门牌号、参照物等", 2, 100, "地址（接在 address_string 之后）"),
    Attribute("facility_code", "部件编号：路灯杆号、井盖编号等", 3, 50, "事件描述中的“部件编号”一行",
              kinds=frozenset({"facility"})),
)


def service_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("sort", "group", "code")  # 其他 last


def service_get(code: str) -> Category | None:
    return service_list().filter(code=code).first()


def service_attributes(category: Category) -> list[Attribute]:
    return [a for a in ATTRIBUTES if category.kind in a.kinds]


def catalog_changeset() -> str:
    """Changes whenever the service list or a definition changes, so clients know to refresh."""
    rows = service_list().values_list("code", "name", "group", "kind")
    text = repr([*rows, *ATTRIBUTES])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def client_get_for_key(key: str) -> Open311Client | None:
    if not key:
        return None
    return (Open311Client.objects.select_related("region").defer("region__boundary")
            .filter(key_digest=Open311Client.digest_of(key), is_active=True).first())


def _under(paths: Iterable[str]) -> Q:
    paths = list(paths)
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(scope_path__startswith=p) for p in paths))


_PUBLIC = ~Q(category__split_class=SplitClass.PRIVATE)


def case_list_for_client(client: Open311Client | None) -> QuerySet[Case]:
    """The cases a caller may read, each annotated with ``own`` (shown in full), ``last_action``,
    ``last_note`` and ``photo_id`` (the first photo taken at report time)."""
    own: Value | Exists
    if client is None:
        published = Open311Client.objects.filter(is_active=True).values_list("region__path", flat=True).distinct()
        qs = Case.objects.filter(_under(published) & _PUBLIC)
        own = Value(False)
    else:
        mine = Submission.objects.filter(client=client, case=OuterRef("pk"))
        qs = Case.objects.filter(Q(scope_path__startswith=client.region.path) & (_PUBLIC | Exists(mine)))
        own = Exists(mine)
    latest = Transition.objects.filter(case=OuterRef("pk")).order_by("-created_at", "-id")
    photo = Photo.objects.filter(case=OuterRef("pk"), transition__action="report").order_by("id")
    return (
        qs.annotate(own=own, last_note=Subquery(latest.values("note")[:1]),
                    photo_id=Subquery(photo.values("id")[:1]))
        .select_related("category", "assignee_department", "region__parent", "open311_submission")
        .defer("region__boundary", "region__parent__boundary")
    )


def request_list_for_client(client: Open311Client | None, *, ids: list[str] | None = None,
                            service_codes: Sequence[str] = (), statuses: Sequence[str] = (), start: dt.datetime,
                            end: dt.datetime) -> list[Case]:
    """Newest first, at most 1000. ``ids`` (case numbers) override every other filter, as the spec says."""
    qs = case_list_for_client(client)
    if ids:
        qs = qs.filter(number__in=ids[:MAX_RESULTS])
    else:
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if service_codes:
            qs = qs.filter(category__code__in=service_codes)
        if statuses:
            qs = qs.filter(status__in=[s for name in statuses for s in STATUSES[name]])
    return list(qs.order_by("-created_at", "-id")[:MAX_RESULTS])


def request_get_for_client(client: Open311Client | None, number: str) -> Case | None:
    return case_list_for_client(client).filter(number=number).first()


def token_get_for_client(client: Open311Client | None, token: str) -> Case | None:
    """Tokens are handed out only for Open311 submissions; a token is the case number."""
    return case_list_for_client(client).filter(number=token, open311_submission__isnull=False).first()
