from django.db import migrations

from xiangzhi.lib import crypto, idnumber
from xiangzhi.lib.migrations import batched


def forwards(apps, schema_editor):
    """Stored masks follow ``idnumber.mask`` (first four and last two since the 4 + 4 mask, with the birth
    date shown beside it, left about 33 candidates); recomputed from the encrypted number."""
    Resident = apps.get_model("people", "Resident")

    def remask(rows):
        changed = [Resident(pk=pk, id_number_masked=fresh) for pk, token, masked in rows
                   if token and (fresh := idnumber.mask(crypto.decrypt(token))) != masked]
        Resident.objects.bulk_update(changed, ["id_number_masked"])

    batched(Resident.objects.all(), remask, fields=("id_number_encrypted", "id_number_masked"))


class Migration(migrations.Migration):
    atomic = False  # a batch a transaction (lib/migrations.py): the register stays writable meanwhile
    dependencies = [("people", "0003_identity_search")]
    # Backwards keeps the shorter mask: it is safe under the older code too.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
