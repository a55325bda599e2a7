"""The cloud's small shared kit: what several features import and none of them owns.

pagination (cursors, page sizes, the 422 naming a field), csv_text (decoding a CSV upload,
spreadsheet numbers, formula-safe cells), uploads (the uploaded file of a request), sql
(array parameters, JSON row sets). Nothing here knows a feature's tables.
"""
