"""Mahalleh (Hamyar-e Mahalleh): a Telegram bot for the neighborhood facilitation offices of Qom."""

import os

# Durations (voice length, 429 retry_after) as timedelta now, as python-telegram-bot 23 will.
os.environ.setdefault("PTB_TIMEDELTA", "1")
