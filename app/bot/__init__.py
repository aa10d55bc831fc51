"""The agencies' Telegram bots (aiogram 3), polled inside the app's process."""
