"""Statistics for branch administrators: SQL aggregates, server-side SVG charts, CSV export.

A plain package (no models, no migrations): it only reads the candidates, juries and
financing tables.
"""
