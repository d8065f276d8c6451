"""A quarter published as a transaction: the batch planned, each report notebook run through papermill
in its own worker, rendered to HTML and A4 PDF, the pages beside them, and the build swapped in whole.

Enters: processed tables and the notebooks. Leaves: reports/<quarter>, or the last good one untouched.
"""
