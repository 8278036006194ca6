"""The pure core of perfeval: documents, form templates, scoring, validation.

Nothing in this package imports Django (a test imports it in a subprocess
without settings): the same rules run on a saved filing, on a JSON file before
it is imported and on a workbook before it is written. Formats (JSON, xlsx,
PDF) and persistence live in evaluations.services and depend on this package,
never the other way round.
"""
