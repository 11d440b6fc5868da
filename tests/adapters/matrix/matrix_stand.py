"""The bot on a temporary database, connected by the real Matrix adapter to the test Synapse, and its people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from matrix_people import MatrixUser
from sqlmodel import func, select
from synapse_server import Synapse

from adapters.matrix.adapter import MatrixAdapter
from bot.ports import Clock, ManualClock
from idearoom.wiring import App
from tests.harness import link_accounts, test_settings
from tests.templates import prepared_app

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # Monday 09:00 in Seoul
# The demo organisation's handles the test accounts stand for.
HANDLES = ("sujin", "minji", "junho", "seoyeon", "dohyun")


@dataclass
class Stand:
    """The running bot and everyone's Matrix client."""

    synapse: Synapse
    bot_id: str
    people: dict[str, MatrixUser]
    app: App | None = None
    adapter: MatrixAdapter | None = None
    clock: Clock = field(default_factory=lambda: ManualClock(START))

    def __getitem__(self, who: str) -> MatrixUser:
        return self.people[who]

    async def start(self, database_url: str, **settings: object) -> None:
        bot = self.synapse.accounts[self.bot_id.split(":")[0][1:]]
        values: dict[str, object] = {
            "MATRIX_HOMESERVER_URL": self.synapse.url,
            "MATRIX_USER_ID": bot.user_id,
            "MATRIX_ACCESS_TOKEN": bot.access_token,
            "IDEAROOM_MATRIX_SYNC_TIMEOUT_SECONDS": 1,
            "IDEAROOM_SEND_RATE_LIMITS": "off",
        }
        values.update(settings)
        self.app = await prepared_app(test_settings(database_url, **values), self.clock, migrate=True)
        await link_accounts(
            self.app, "matrix", {handle: user.user_id for handle, user in self.people.items() if handle in HANDLES}
        )
        self.adapter = MatrixAdapter(self.app)
        self.app.add_gateway(self.adapter.gateway)
        await self.adapter.start()
        self.app.start_sender()

    async def stop(self) -> None:
        if self.adapter is not None:
            await self.adapter.stop()
        if self.app is not None:
            await self.app.close()
        for user in self.people.values():
            await user.close()

    async def bot_joined(self) -> list[str]:
        assert self.adapter is not None
        from mautrix.api import Method

        answer = await self.adapter.client.api.request(Method.GET, "/_matrix/client/v3/joined_rooms")
        return list(answer["joined_rooms"])

    async def count(self, table: type, *where: object) -> int:
        assert self.app is not None
        async with self.app.db.session() as session:
            return int((await session.exec(select(func.count()).select_from(table).where(*where))).one())

    async def rows(self, table: type, *where: object) -> list:
        assert self.app is not None
        async with self.app.db.session() as session:
            return list((await session.exec(select(table).where(*where))).all())


def make_stand(synapse: Synapse, names: dict[str, str]) -> Stand:
    accounts = {who: synapse.register(localpart) for who, localpart in names.items()}
    # The bot account is exempt from the message rate limit, as the README asks of the homeserver's admin.
    synapse.set_ratelimit(accounts["bot"].user_id, 0, 0)
    people = {who: MatrixUser(synapse.url, a.user_id, a.access_token) for who, a in accounts.items() if who != "bot"}
    return Stand(synapse, accounts["bot"].user_id, people)
