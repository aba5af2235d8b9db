"""همیار محله (Mahalleh): a Telegram bot for the neighborhood facilitation offices of Qom."""
