"""The kernel every app stands on: one family of domain errors, the append-only base model, bulk
insert, idempotency and the small input helpers, and the scaffolding of spreadsheet imports.
Django-aware, but with no models of its own (only abstract ones); it imports no app."""
