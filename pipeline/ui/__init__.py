"""What users see: the `newsmon` command (`cli.py`), how results look in a terminal
(`render.py`), and the HTML report (`report.py`).
"""
