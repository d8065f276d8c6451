"""A new county's project (kpi init) drafted from its plan's text and annex, and what is still to review
in it (kpi check).

Enters: a plan's text and annex. Leaves: a project folder with kpi.toml and a draft registry.
"""
