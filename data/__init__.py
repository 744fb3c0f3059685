"""Data layer: schema, migrations, pure query builders, execution, importers, demo data.

Nothing here imports a Dash page, an exporter or the scheduler.
"""
