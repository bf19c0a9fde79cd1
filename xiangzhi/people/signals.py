"""What people tells the apps above it, which it may not import: they connect in their ``AppConfig.ready``.

``resident_left_register``: a resident left the register — died, or moved out of the county — on
``on`` (a date). Sent inside the transaction that writes the change, with ``resident``, ``on``,
``reason`` (Chinese, as the register words it: 已死亡, 已迁出本县（…）) and ``actor`` (the cadre who
confirmed it). A receiver that raises undoes the change with it.
"""

from django.dispatch import Signal

resident_left_register = Signal()
