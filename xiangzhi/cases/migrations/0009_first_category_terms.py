"""Every category gets its first version of terms, and every case points at its category's version: one
UPDATE per category, however many cases there are. A first version is dated at its category's first case
(it was in force then), or now. Written to run again safely (the demo and the tests re-seed the catalog,
without a schema editor): only categories without a version get one, only cases without terms are
pointed; re-seeded, a first version is dated two years back, before any history the demo writes."""

import datetime as dt

from django.db import migrations
from django.db.models import Min

TERMS_FIELDS = ("default_level", "department_kind", "split_class", "accept_hours", "dispatch_hours",
                "handle_hours", "verify_hours", "warn_before_hours", "overdue_action")


def forwards(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    CategoryTerms = apps.get_model("cases", "CategoryTerms")
    Case = apps.get_model("cases", "Case")
    now = dt.datetime.now(dt.UTC)
    if schema_editor is None:
        now -= dt.timedelta(days=730)
    first_case = dict(Case.objects.values_list("category_id").annotate(first=Min("created_at")).order_by())
    versioned = set(CategoryTerms.objects.values_list("category_id", flat=True))
    CategoryTerms.objects.bulk_create([
        CategoryTerms(category_id=c["id"], version=1, reason="初始版本", created_at=min(first_case.get(c["id"], now), now),
                      **{name: c[name] for name in TERMS_FIELDS})
        for c in Category.objects.exclude(pk__in=versioned).values("id", *TERMS_FIELDS)
    ])
    latest = {}
    for category_id, pk in CategoryTerms.objects.order_by("category_id", "version").values_list("category_id", "id"):
        latest[category_id] = pk
    for category_id, pk in latest.items():
        Case.objects.filter(category_id=category_id, terms__isnull=True).update(terms_id=pk)


class Migration(migrations.Migration):
    atomic = False  # one short UPDATE per category, each its own transaction (lib/migrations.py)
    dependencies = [("cases", "0008_category_terms")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
