"""Files as offices send them, read into tidy tables: workbooks and CSVs into cell grids, a returned form
in any layout (its context lines, units, vertical sheets), the annex, the annual series, monthly progress.

Enters: .xlsx/.xls/.et/.ods/.csv/.parquet files. Leaves: tidy DataFrames that pass their schema.
"""
