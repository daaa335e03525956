"""Alerts: who is due what (`policy.py`, pure), the message (`message.py`, pure), the stage
that claims, sends and records each alert once (`outbox.py`), and SMTP (`smtp.py`).
"""
