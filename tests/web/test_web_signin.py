"""Signing in to the dashboard: a one-time link from /web, a session cookie, signing out."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from web_client import CSRF, Browser, link_path

from storage.tables import AuditEntry, WebLoginLink, WebSession


async def test_web_in_a_direct_chat_sends_a_link_that_signs_the_organizer_in(site: Browser) -> None:
    answer = await site.story.dm("sujin", "/web")
    assert "웹 대시보드 로그인 링크입니다. 10분 동안 한 번만 쓸 수 있습니다." in answer[0]
    path = link_path(answer)
    login = await site.page(path)
    assert "로그인" in login and 'lang="ko"' in login
    token = path.rsplit("/", 1)[1]
    # Only the hash is stored: the token itself appears nowhere in the database.
    [link] = await site.story.rows(WebLoginLink)
    assert token not in link.token_hash and len(link.token_hash) == 64
    response = await site.client.post("/web/login", data={"token": token, "csrf": CSRF.search(login).group(1)})  # type: ignore[union-attr]
    overview = await response.text()
    assert response.status == 200 and str(response.url).endswith("/web/overview")
    assert "현황" in overview and "이수진 주무관님" in overview
    cookie = response.history[0].headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie and "Max-Age=28800" in cookie
    assert [e.action for e in await site.story.rows(AuditEntry) if e.action.startswith("web.")] == [
        "web.link_issued",
        "web.signed_in",
    ]


async def test_a_used_link_is_refused_and_says_what_to_do(site: Browser) -> None:
    await site.sign_in("sujin")
    again = await site.get(site.last_link)
    assert again.status == 410
    assert "이미 사용한 링크입니다" in await again.text()
    # Nor can the form of that page be sent again: one link, one session.
    replay = await site.client.post("/web/login", data={"token": site.last_link.rsplit("/", 1)[1], "csrf": "x"})
    assert replay.status == 403
    assert await site.story.count(WebSession) == 1


async def test_an_expired_link_is_refused(site: Browser) -> None:
    path = link_path(await site.story.dm("minji", "/web"))
    async with site.story.app.db.session() as session:
        [link] = (await session.exec(WebLoginLink.__table__.select())).all()  # type: ignore[call-overload]
        await session.exec(WebLoginLink.__table__.update().values(expires_at=link.created_at - timedelta(seconds=1)))  # type: ignore[call-overload]
    response = await site.get(path)
    assert response.status == 410
    assert "만료된 링크입니다" in await response.text()
    forged = await site.get("/web/login/not-a-real-token")
    assert forged.status == 400 and "알 수 없는 링크입니다" in await forged.text()


async def test_the_link_is_only_given_in_a_direct_chat(site: Browser) -> None:
    answer = await site.story.say("sujin", "/web", room="아이디어방")
    assert answer == ["웹 로그인 링크는 봇과의 1:1 대화에서만 보내 드립니다. 봇에게 직접 /web 을 보내 주세요."]
    assert await site.story.count(WebLoginLink) == 0


async def test_signing_out_ends_the_session(site: Browser) -> None:
    await site.sign_in("minji")
    assert await site.story.count(WebSession) == 1
    response = await site.post("/web/logout", {})
    assert response.status == 200 and "로그아웃했습니다" in await response.text()
    assert await site.story.count(WebSession) == 0
    after = await site.get("/web/me")
    assert after.status == 401 and "/web 을 보내면 로그인 링크를 받을 수 있습니다" in await after.text()


async def test_behind_https_the_cookie_is_secure(site: Browser) -> None:
    site.story.app.settings.web_base_url = "https://idearoom.example.go.kr"
    answer = await site.story.dm("minji", "/web")
    assert "https://idearoom.example.go.kr/web/login/" in answer[0]
    path = link_path(answer)
    login = await site.get(path)
    csrf = CSRF.search(await login.text()).group(1)  # type: ignore[union-attr]
    assert "Secure" in login.headers["Set-Cookie"]
    # The test server speaks plain HTTP, so its client keeps Secure cookies to itself: sent by hand.
    response = await site.client.post(
        "/web/login",
        data={"token": path.rsplit("/", 1)[1], "csrf": csrf},
        cookies={"idearoom_login": csrf},
        allow_redirects=False,
    )
    assert response.status == 303
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


async def test_an_erased_person_is_signed_out_for_good(site: Browser) -> None:
    await site.sign_in("minji")
    [sent] = [s for s in await site.story.say_sent("sujin", "/erase minji", room="dm:sujin") if s.actions]
    await site.story.press("sujin", sent.actions[0], room="dm:sujin")
    assert await site.story.count(WebSession) == 0 and await site.story.count(WebLoginLink) == 0
    assert (await site.get("/web/me")).status == 401


async def _raw_status(site: Browser, request: bytes) -> int:
    """The status line's code for `request` sent as raw bytes (a client library would not send them)."""
    server = site.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    return int(status_line.split()[1])


async def test_cookies_of_bytes_that_are_not_utf8_are_an_unknown_session_not_a_500(site: Browser) -> None:
    def get(cookie: bytes) -> bytes:
        return (
            b"GET /web/overview HTTP/1.1\r\nHost: x\r\nCookie: idearoom_session="
            + cookie
            + b"\r\nConnection: close\r\n\r\n"
        )

    def login(cookie: bytes) -> bytes:
        body = b"token=abc&csrf=%FF"
        return (
            b"POST /web/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Cookie: idearoom_login="
            + cookie
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body
        )

    assert await _raw_status(site, get(b"\xff\xfe")) == await _raw_status(site, get(b"unknown"))
    assert await _raw_status(site, login(b"\xff\xfe")) == await _raw_status(site, login(b"unknown")) == 403
