"""What every other package builds on, with no I/O of its own beyond reading
configuration: the events (`events.py`), the settings (`settings.py`), the configuration
files (`config.py`), where bundled data lives (`resources.py`), and text from strangers made
safe to store, match and show (`text.py`).
"""
