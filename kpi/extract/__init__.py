"""A plan's own text read for its targets (kpi init, kpi extract): sentences, indicator tables, years and
units, drafted as plan_targets.csv for a person to review.

Enters: a plan's text (.txt/.docx/.pdf text). Leaves: a draft targets table, never published unreviewed.
"""
