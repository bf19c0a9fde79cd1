import datetime as dt

from django.utils import timezone

from xiangzhi.disclosure import selectors, services
from xiangzhi.disclosure.models import DueItem

TODAY = timezone.localdate()
# The quarter before the last closed one: due (10 days after its end) whatever today is.
DUE_QUARTER = selectors.last_closed_quarter(TODAY).previous()
YEAR_AGO = TODAY - dt.timedelta(days=366)


def pdf(text: str = "会议记录") -> services.Upload:
    """A small PDF as a cadre's phone sends it."""
    body = f"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% {text}\ntrailer<</Root 1 0 R>>\n%%EOF\n".encode()
    return services.Upload(name=f"{text}.pdf", data=body)


def install(county, active_from=YEAR_AGO) -> dict[str, DueItem]:
    services.template_install_default(county=county.county, active_from=active_from)
    return {i.code: i for i in DueItem.objects.filter(county=county.county)}


def filled(county, item, quarter=DUE_QUARTER, *, content="本季度召开党员大会1次，支委会3次。", figures=None,
           attach=None, start=None):
    """A1's disclosure of ``item`` for the quarter (or the period beginning ``start``), filled and with
    the attachment it needs: a draft ready to submit."""
    cadre = county.users["village_cadre"]
    d = services.disclosure_open(actor=cadre, village=county.village_a1, item=item,
                                 period_start=start or quarter.start)
    if figures is None:
        figures = {label: "1000" for label in item.figure_labels}
    d = services.disclosure_save(actor=cadre, disclosure=d, content=content, figures=figures)
    if attach if attach is not None else item.attachment_required:
        services.attachment_add(actor=cadre, disclosure=d, uploads=[pdf()])
    return d


def published(county, item, quarter=DUE_QUARTER, **kw):
    """Filled by the cadre, passed by the township, published by the cadre."""
    d = filled(county, item, quarter, **kw)
    cadre, town = county.users["village_cadre"], county.users["township_staff"]
    services.disclosure_submit(actor=cadre, disclosure=d)
    services.disclosure_screen(actor=town, disclosure=d, passed=True)
    services.disclosure_publish(actor=cadre, disclosure=d)
    d.refresh_from_db()
    return d
