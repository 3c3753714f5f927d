"""The foundation every room stands on: settings, engines, tables, clocks, errors, the vault.

Nothing here imports another room of ``scheduler``. ``migrations/`` holds the Alembic history
of the tables in ``models``.
"""
