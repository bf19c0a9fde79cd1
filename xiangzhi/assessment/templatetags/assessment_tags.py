"""The stars of the grid assessment (五星), drawn as text so they print, copy and read aloud: the filled
stars, the empty ones lighter, and the number in words for screen readers."""

from django import template
from django.utils.html import format_html

from xiangzhi.assessment.selectors import STAR_NAMES

register = template.Library()

# Six fixed pieces of markup, built once: a county ranking draws one per grid.
_STARS = {
    n: format_html('<span class="xz-stars" role="img" aria-label="{}" title="{}">{}<span class="xz-stars-off">{}'
                   "</span></span>", STAR_NAMES[n], STAR_NAMES[n], "★" * n, "☆" * (5 - n))
    for n in range(6)
}


@register.filter
def stars(value: object) -> str:
    """``{{ score.stars|stars }}`` → ★★★★☆ labelled 「四星」."""
    try:
        n = int(value or 0)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        n = 0
    return _STARS[max(0, min(5, n))]
