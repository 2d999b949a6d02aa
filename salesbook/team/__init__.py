"""The team report (``salesbook rollup``): many reps' workbooks → one TEAM.xlsx.

``partials`` (the per-workbook step, on Dask workers), ``reduce`` (the partial tables added
up), ``duplicates`` (the same customer in two reps' books), ``report`` (the sheet models),
``cluster`` (where the per-workbook work runs) and ``rollup`` (the command, start to end).
"""
