"""``{% bar_chart %}``: a light bar chart (``xiangzhi/core/charts.py``) with its table, for pages whose
view hands over plain lists, e.g. the points rankings:
``{% load xz_charts %}{% bar_chart "rate" "各村参与率" chart.names chart.rate name="参与率" unit="%" places=1 %}``."""

from django import template

from xiangzhi.core.charts import GREEN, Series, bars

register = template.Library()


@register.inclusion_tag("front/_chart.html")
def bar_chart(key: str, title: str, labels, values, *, name: str = "", unit: str = "", places: int | None = None,
              color: str = GREEN, label_head: str = "") -> dict:
    return {"chart": bars(key, title, list(labels), [Series(name or title, list(values), color)], unit=unit,
                          places=places, label_head=label_head)}
