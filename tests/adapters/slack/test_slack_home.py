"""App Home shows each Slack account its own person only, whatever name the account chose."""

from __future__ import annotations

import json
import re

from tests.adapters.slack.stand import SlackStand


async def home_of(slack: SlackStand, user_id: str) -> str:
    await slack.event({"type": "app_home_opened", "user": user_id, "channel": f"D{user_id}", "tab": "home"})
    await slack.fake.wait_for(lambda call: call.method == "views.publish" and call.params.get("user_id") == user_id)
    return json.dumps(slack.fake.views[user_id], ensure_ascii=False)


async def test_a_slack_name_equal_to_a_directory_handle_shows_only_that_accounts_own_data(slack: SlackStand) -> None:
    # minji is in the directory (handle "minji", Slack id UMINJI) and has points from her idea.
    await slack.command("minji", "/idea", "민원실 대기표를 문자로 알려 주세요")
    await slack.settle()
    own = await home_of(slack, slack.user("minji"))
    assert "박민지 주무관님의 아이디어방" in own
    # The tab's dates as 공문 write them ("2026. 3. 2.(월) 09:00"), not "2026-03-02 09:00".
    assert re.search(r"\d{4}\. \d{1,2}\. \d{1,2}\.\([월화수목금토일]\) \d\d:\d\d", own) and not re.search(
        r"\d{4}-\d\d-\d\d", own
    )

    # Someone else names their unlinked Slack account "minji".
    slack.fake.add_user("UOTHER", name="minji", real_name="다른사람")
    view = await home_of(slack, "UOTHER")
    assert "박민지" not in view and "미소포인트" not in view
    assert "아직 아이디어방 활동 기록이 없습니다" in view
