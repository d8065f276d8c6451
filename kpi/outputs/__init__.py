"""What a reader receives, one file kind each: the 晾晒表 .xlsx, the monthly 情况通报 .docx, the forms sent
out, charts, the tables notebooks show, and the notes on the rules an output applied.

Enters: boards and assessments from kpi.metrics. Leaves: files and displayable tables and figures.
"""
