"""How an account appears on a page: by its person's name, never by its login.

Loaded as a template builtin (settings ``TEMPLATES``), so every template can write
``{{ step.actor|person_name }}``. An action nobody took by hand (a hotline import, a deadline
sweep, an automatic award) has no actor and shows as 系统.
"""

from django import template

register = template.Library()

SYSTEM = "系统"


@register.filter
def person_name(user, when_none: str = SYSTEM) -> str:
    if user is None or user == "":
        return when_none
    full_name = (getattr(user, "full_name", "") or "").strip()
    if full_name:
        return full_name
    role = getattr(user, "get_role_display", None)
    return f"{role()}（未填姓名）" if callable(role) else "（未填姓名）"
