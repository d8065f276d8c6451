"""What the county sends, kept: the transactional store (SQLite by default) with every value's provenance,
the aliases a person registered, the corrections log and values held for a person.

Enters: tidy tables from kpi.inputs. Leaves: the stored progress, annual series and annexes.
"""
