"""Role areas: anonymous visitors go to /login, the wrong role gets 403, the right role its page.
Object checks: a provider member reaches only its own provider."""
from __future__ import annotations

import httpx
import pytest
from factories import make_provider, running
from litestar import get
from litestar.routes import HTTPRoute

from marketplace.accounts.guards import area_check, area_of, require_own_provider
from marketplace.app import create_app
from marketplace.accounts.tables import User
from marketplace.errors import Forbidden

from .support import login, make_user

AREAS = {"/me": "citizen", "/provider": "provider", "/authority": "authority"}


@pytest.mark.parametrize("path", list(AREAS))
async def test_an_anonymous_visitor_is_sent_to_login(client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 302
    assert response.headers["location"] == f"/login?next={path}"


@pytest.mark.parametrize("role", ["citizen", "provider", "authority"])
async def test_each_role_reaches_only_its_own_area(client, role: str) -> None:
    user = await make_user(role)
    await login(client, user.email)
    for path, owner in AREAS.items():
        response = await client.get(path)
        expected = 200 if owner == role else 403
        assert response.status_code == expected, (role, path)
        if expected == 403:
            assert "Du har ikke adgang til siden" in response.text


async def test_the_area_page_says_who_is_logged_in_and_offers_logout(client) -> None:
    provider = await make_provider(name="Mentorhuset")
    user = await make_user("provider", provider_id=provider["id"], name="Pia Aktør")
    await login(client, user.email)

    response = await client.get("/provider")

    assert "Pia Aktør" in response.text and user.email in response.text and "Mentorhuset" in response.text
    assert 'action="/logout"' in response.text
    assert "Logget ind som Pia Aktør" in response.text  # the page header


async def test_login_then_next_leads_back_to_the_area_asked_for(client) -> None:
    user = await make_user("authority")
    redirect = await client.get("/authority")
    next_path = redirect.headers["location"].split("next=")[1]
    response = await login(client, user.email, next=next_path)
    assert response.headers["location"] == "/authority"


async def test_a_deactivated_user_loses_access_at_once(client) -> None:
    user = await make_user("authority")
    await login(client, user.email)
    await User.update({User.active: False}).where(User.id == user.id)

    response = await client.get("/authority")

    assert response.status_code == 302 and response.headers["location"].startswith("/login")


async def test_a_provider_member_without_a_provider_is_refused(client) -> None:
    user = await make_user("provider")
    await login(client, user.email)
    await User.update({User.provider: None}).where(User.id == user.id)
    assert (await client.get("/provider")).status_code == 403


def test_areas_cover_their_subpaths_but_not_public_lookalikes() -> None:
    assert area_of("/provider/listing") == "provider"
    assert area_of("/api/authority/queue") == "authority"
    assert area_of("/me") == "citizen"
    assert area_of("/providers/mentorhuset") is None
    assert area_of("/metode") is None and area_of("/api/providers") is None


async def test_require_own_provider_allows_members_of_that_provider_only() -> None:
    a, b = await make_provider(), await make_provider()
    member_a = await make_user("provider", provider_id=a["id"])
    authority = await make_user("authority")

    require_own_provider(member_a, a["id"])
    with pytest.raises(Forbidden):
        require_own_provider(member_a, b["id"])
    with pytest.raises(Forbidden):
        require_own_provider(authority, a["id"])
    require_own_provider(authority, a["id"], allow_authority=True)


def test_every_route_runs_the_area_check_before_its_handler() -> None:
    # The app-wide check is the app's `before_request`; a layer setting its own would replace it.
    app = create_app(run_outbox_worker=False)
    handlers = [h for route in app.routes if isinstance(route, HTTPRoute) for h in route.route_handlers]
    assert len(handlers) > 40
    assert [str(h) for h in handlers if h.resolve_before_request() is not area_check] == []


async def test_a_route_in_an_area_without_a_guard_of_its_own_is_closed_all_the_same(engine) -> None:
    app = create_app(search_engine=engine, run_outbox_worker=False)

    @get("/authority/unguarded-probe", include_in_schema=False, sync_to_thread=False)
    def probe() -> str:
        return "open"

    app.register(probe)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
            anonymous = await http.get("/authority/unguarded-probe")
            assert anonymous.status_code == 302 and anonymous.headers["location"].startswith("/login")
            await login(http, (await make_user("citizen")).email)
            assert (await http.get("/authority/unguarded-probe")).status_code == 403
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
            await login(http, (await make_user("authority")).email)
            allowed = await http.get("/authority/unguarded-probe")
            assert allowed.status_code == 200 and allowed.text == "open"
