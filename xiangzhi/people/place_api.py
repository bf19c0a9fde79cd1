"""地、物、组织 over the API: list in scope (by grid and kind), add, move; the places near a point."""

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.people import selectors, services
from xiangzhi.regions.selectors import grid_filter_for_user, grid_get_for_user

router = Router(tags=["部件与组织"])


class PlaceOut(Schema):
    id: int
    kind: str = Field(..., alias="kind_id", description="类别代码")
    kind_name: str = Field(..., alias="kind.name")
    name: str
    label: str = Field(..., description="设施上的编号标识，如 17号杆")
    note: str
    grid_code: str = Field(..., alias="grid.code")
    lon: float
    lat: float
    is_active: bool
    updated_at: dt.datetime


class PlaceIn(Schema):
    grid: str = Field(..., description="网格编码")
    kind: str = Field(..., description="类别代码，见 GET /place-kinds")
    name: str = Field(..., max_length=100)
    label: str = Field("", max_length=50)
    note: str = Field("", max_length=500)
    lon: float
    lat: float


class MoveIn(Schema):
    lon: float
    lat: float
    reason: str = Field("", max_length=200)


class KindOut(Schema):
    code: str
    name: str


class OrganisationOut(Schema):
    id: int
    kind: str = Field(..., alias="kind_id")
    kind_name: str = Field(..., alias="kind.name")
    name: str
    contact_name: str
    contact_phone: str = Field(..., alias="contact_phone_masked", description="脱敏后的联系电话")
    address: str
    grid_code: str = Field(..., alias="grid.code")
    lon: float | None
    lat: float | None
    is_active: bool


class OrganisationIn(Schema):
    grid: str
    kind: str = Field(..., description="类别代码，见 GET /organisation-kinds")
    name: str = Field(..., max_length=100)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=11)
    address: str = Field("", max_length=200)
    note: str = Field("", max_length=500)
    lon: float | None = None
    lat: float | None = None


class NearOut(Schema):
    id: int
    text: str
    metres: int
    lon: float
    lat: float


@router.get("/place-kinds", response=list[KindOut], summary="部件与场所类别")
def place_kind_list(request):
    return list(selectors.place_kind_list())


@router.get("/organisation-kinds", response=list[KindOut], summary="组织类别")
def organisation_kind_list(request):
    return list(selectors.organisation_kind_list())


@router.get("/places", response=list[PlaceOut], summary="部件与场所（按权限范围，可按网格、类别筛选）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def place_list(request, grid: str | None = None, kind: str = ""):
    return selectors.place_list_for_user(request.user, grid=grid_filter_for_user(request.user, grid), kind=kind)


@router.get("/places/near", response=list[NearOut], summary="某点附近约150米内的部件（上报时选用，近的在前）")
def place_near(request, lon: float, lat: float):
    return [{"id": n.place.pk, "text": n.text, "metres": n.metres, "lon": n.place.lon, "lat": n.place.lat}
            for n in selectors.place_near_list(request.user, lon=lon, lat=lat)]


@router.get("/places/{place_id}", response=PlaceOut, summary="部件与场所详情")
def place_get(request, place_id: int):
    return selectors.place_get_for_user(request.user, place_id)


@router.post("/places", response={201: PlaceOut}, summary="添加部件与场所（网格员、网格长在本网格，村干部在本村）")
def place_create(request, payload: PlaceIn):
    grid = grid_get_for_user(request.user, payload.grid)
    place = services.place_add(actor=request.user, grid=grid, kind=payload.kind, name=payload.name,
                               label=payload.label, note=payload.note, lon=payload.lon, lat=payload.lat)
    return Status(201, place)


@router.post("/places/{place_id}/move", response=PlaceOut, summary="移动部件位置（须在本村范围内）")
def place_move(request, place_id: int, payload: MoveIn):
    place = selectors.place_get_for_user(request.user, place_id)
    return services.place_move(actor=request.user, place=place, lon=payload.lon, lat=payload.lat,
                               reason=payload.reason)


@router.get("/organisations", response=list[OrganisationOut], summary="组织（按权限范围，可按网格、类别筛选）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def organisation_list(request, grid: str | None = None, kind: str = ""):
    return selectors.organisation_list_for_user(request.user, grid=grid_filter_for_user(request.user, grid),
                                                kind=kind)


@router.post("/organisations", response={201: OrganisationOut}, summary="添加组织")
def organisation_create(request, payload: OrganisationIn):
    grid = grid_get_for_user(request.user, payload.grid)
    org = services.organisation_add(
        actor=request.user, grid=grid, lon=payload.lon, lat=payload.lat,
        data=services.OrganisationInput(kind=payload.kind, name=payload.name, contact_name=payload.contact_name,
                                        contact_phone=payload.contact_phone, address=payload.address,
                                        note=payload.note),
    )
    return Status(201, org)


@router.post("/organisations/{organisation_id}/move", response=OrganisationOut, summary="移动组织位置")
def organisation_move(request, organisation_id: int, payload: MoveIn):
    org = selectors.organisation_get_for_user(request.user, organisation_id)
    return services.organisation_move(actor=request.user, organisation=org, lon=payload.lon, lat=payload.lat,
                                      reason=payload.reason)
