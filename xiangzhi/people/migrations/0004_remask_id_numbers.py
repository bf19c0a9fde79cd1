from django.db import migrations

from xiangzhi.lib import crypto, idnumber

BATCH = 2000


def forwards(apps, schema_editor):
    """Stored masks follow ``idnumber.mask`` (first four and last two since the 4 + 4 mask, with the birth
    date shown beside it, left about 33 candidates); recomputed from the encrypted number."""
    Resident = apps.get_model("people", "Resident")
    last = 0
    while True:  # by primary-key ranges: SQLite gives no isolation between a cursor and writes on its table
        rows = list(Resident.objects.filter(pk__gt=last).order_by("pk")
                    .values_list("pk", "id_number_encrypted", "id_number_masked")[:BATCH])
        if not rows:
            return
        last = rows[-1][0]
        changed = [Resident(pk=pk, id_number_masked=fresh) for pk, token, masked in rows
                   if (fresh := idnumber.mask(crypto.decrypt(token))) != masked]
        Resident.objects.bulk_update(changed, ["id_number_masked"])


class Migration(migrations.Migration):
    dependencies = [("people", "0003_identity_search")]
    # Backwards keeps the shorter mask: it is safe under the older code too.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
