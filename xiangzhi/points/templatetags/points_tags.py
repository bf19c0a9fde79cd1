"""How the ledger's proofs read on a villager's screen: a short 核验码 rather than a 64-digit hash."""

from django import template

register = template.Library()


@register.filter
def verify_code(digest: str) -> str:
    """The first eight hex digits of a SHA-256 hash, uppercase, grouped 4-4 (``3FA2-9C01``): short
    enough to read aloud and compare with the posted notice; the full hash is on the verification page."""
    head = (digest or "")[:8].upper()
    return f"{head[:4]}-{head[4:]}" if len(head) == 8 else "—"
