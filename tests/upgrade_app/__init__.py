"""A stand-in for a new release's app in the upgrade tests (``xiangzhi/backups/tests/test_upgrade.py``): its
second migration fails when ``XIANGZHI_TEST_MIGRATION_FAILS`` is set. Installed only in the test's child
processes, through ``XIANGZHI_TEST_APPS`` (``xiangzhi/test_settings.py``)."""
