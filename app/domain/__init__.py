"""The business: no web or Telegram imports here."""
