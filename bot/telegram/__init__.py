"""The Telegram front end: turns updates into calls to the core and replies into Bot API calls."""
