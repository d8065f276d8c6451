"""The vocabulary and plumbing every stage shares: the error types, the domain's facts, how a cell's
text and unit are read, how a table is formatted for a reader, atomic writes and fault points.

Enters: nothing of the project's. Leaves: names, rules of reading and writing, for every stage above.
"""
