"""The fake Bot API server every bot test talks to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.bot.fake_telegram import FakeTelegram


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()
