"""Import 10,000 residents from .xlsx (validation + encryption + insert), rolled back afterwards;
against openpyxl only reading the same file."""

import datetime as dt
import io
import random
import time

from bench.common import line, setup_django

N = 10_000


def make_file(grid_codes: list[str]) -> bytes:
    from openpyxl import Workbook

    from xiangzhi.lib import idnumber
    from xiangzhi.people.xlsx import COLUMNS

    rng = random.Random(11)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("户籍")
    sheet.append(COLUMNS)
    written, household = 0, 0
    used: set[str] = set()
    while written < N:
        household += 1
        size = min(N - written, rng.choice([1, 2, 3, 3, 4, 5]))
        grid = rng.choice(grid_codes)
        for k in range(size):
            while True:
                birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 80 * 365))
                # 110105 is not used by the demo county, so these never collide with its residents.
                value = idnumber.make("110105", birth, rng.randrange(1, 1000))
                if value not in used:
                    used.add(value)
                    break
            sheet.append([grid, f"B{household:06d}", "测试路1号", f"导入{written}", "户主" if k == 0 else "子女",
                          value, f"139{rng.randrange(10**8):08d}", "", "否"])
            written += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from openpyxl import load_workbook

    from xiangzhi.accounts.models import Role, User
    from xiangzhi.people.xlsx import households_import
    from xiangzhi.regions.models import Grid

    user = User.objects.filter(role=Role.TOWNSHIP_STAFF).select_related("region").order_by("username").first()
    codes = list(Grid.objects.filter(path__startswith=user.region.path, parent__isnull=True)
                 .values_list("code", flat=True)[:20])
    content = make_file(codes)

    t0 = time.perf_counter()
    book = load_workbook(io.BytesIO(content), read_only=True)
    n = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1
    book.close()
    parse = time.perf_counter() - t0

    class Rollback(Exception):
        pass

    t0 = time.perf_counter()
    try:
        with transaction.atomic():
            result = households_import(user=user, file=SimpleUploadedFile("b.xlsx", content))
            assert result.ok, result.errors[:5]
            imported = time.perf_counter() - t0
            raise Rollback
    except Rollback:
        pass
    rate = result.residents / imported
    print(f"xlsx import of {result.residents:,} residents in {result.households:,} households by {user.username}")
    line("households_import", f"{rate:,.0f} rows/s ({imported:.2f} s, validation + encryption + insert)",
         f"openpyxl reading the same file: {n / parse:,.0f} rows/s ({parse:.2f} s)",
         "≥ 2,000 rows/s: " + ("met" if rate >= 2000 else "NOT met"))


if __name__ == "__main__":
    main()
