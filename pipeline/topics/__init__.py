"""Topics: the query language topic rules are written in (`rules.py`), the topics file
(`definitions.py`), tagging a text (`tagging.py`), scoring rules against labelled passages
(`scoring.py`), and running stored articles through a new ruleset (`retag.py`).
"""
