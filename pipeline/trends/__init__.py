"""Trends: topic volume over time drawn as charts (`charts.py`). The counts themselves are
views in `sql/views/`.
"""
