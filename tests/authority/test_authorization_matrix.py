"""The authorization matrix: every route of the portal × anonymous, citizen, provider A, provider B
and authority, with the status each must get. One row per route; a second test keeps the table
complete, so a new route cannot slip in without its row.

The objects in the URLs belong to provider A and to the citizen (A's listing, a pending revision of
A's, the citizen's enrolment with A and reviews of A). Provider B is a member of another provider: on
A's objects it must be refused. POSTs carry a valid CSRF token and the smallest plausible form, so a
refusal comes from the guard or the object check, not from CSRF; "400" for the owner means the
handler was reached and refused the (empty) form.

Expected values: a status code, or (status, start of the Location header) for redirects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from factories import make_provider

from marketplace.app import STATIC_DIR
from marketplace.db import write_transaction
from marketplace.enrolments.tables import Enrolment
from marketplace.reviews.tables import Review
from marketplace.web.assets import tree_digest

from .support import login, make_user, submit_revision

ROLES = ("anonymous", "citizen", "provider_a", "provider_b", "authority")
LOGIN = (302, "/login?next=")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # the route as registered, e.g. "/authority/revisions/{revision_id:int}"
    url: str  # with {placeholders} from the world
    expected: dict[str, Any]
    data: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.url}"


def everyone(status: Any) -> dict[str, Any]:
    return dict.fromkeys(ROLES, status)


def area(**allowed: Any) -> dict[str, Any]:
    """A role area: anonymous to the login page, other roles 403, the given roles what they get."""
    return {"anonymous": LOGIN, **{r: 403 for r in ROLES[1:]}, **allowed}


def authority(status: Any = 200) -> dict[str, Any]:
    return area(authority=status)


def citizen(status: Any = 200) -> dict[str, Any]:
    return area(citizen=status)


def providers(a: Any = 200, b: Any = None) -> dict[str, Any]:
    """The provider area: A gets `a`; B gets `b` (the same as A for its own area pages)."""
    return area(provider_a=a, provider_b=a if b is None else b)


MATRIX: list[Route] = [
    # public pages, API and files
    Route("GET", "/", "/", everyone(200)),
    Route("GET", "/api/providers", "/api/providers", everyone(200)),
    Route("GET", "/api/providers.csv", "/api/providers.csv", everyone(200)),
    Route("GET", "/api/providers/{provider_id:int}", "/api/providers/{provider_a}", everyone(200)),
    Route("GET", "/api/ratings-history.csv", "/api/ratings-history.csv", everyone(200)),
    Route("GET", "/api/results/national", "/api/results/national", everyone(404)),  # public; no import yet
    Route("GET", "/compare", "/compare?ids={provider_a},{provider_b}", everyone(200)),
    Route("GET", "/health", "/health", everyone(200)),
    Route("GET", "/metode", "/metode", everyone(200)),
    Route("GET", "/providers/{slug:str}", "/providers/{slug_a}", everyone(200)),
    Route("GET", "/schema", "/schema", everyone(200)),
    Route("GET", "/schema/openapi.json", "/schema/openapi.json", everyone(200)),
    Route("GET", "/schema/swagger", "/schema/swagger", everyone(200)),
    Route("GET", "/schema/oauth2-redirect.html", "/schema/oauth2-redirect.html", everyone(200)),
    Route("GET", "/schema/{path:str}", "/schema/redoc", everyone(404)),  # only the Swagger UI is served
    Route("GET", "/sprog/{code:str}", "/sprog/en", everyone((302, "/"))),
    Route("GET", "/static/app/{file_path:path}", "/static/app/site.css", everyone(200)),
    Route("GET", "/static/dkfds/{file_path:path}", "/static/dkfds/css/dkfds-borgerdk.min.css", everyone(200)),
    Route("GET", "/static/v/{digest:str}/{file_path:path}", f"/static/v/{tree_digest(STATIC_DIR)}/app/site.css",
          everyone(200)),
    # accounts
    Route("GET", "/login", "/login", everyone(200)),
    Route("POST", "/login", "/login", everyone(400)),  # an empty form
    Route("GET", "/logout", "/logout", everyone(200)),
    Route("POST", "/logout", "/logout", everyone((303, "/login?out=1"))),
    # every logged-in role: its own password (an empty form is refused, and changes nothing)
    Route("GET", "/account/password", "/account/password", {**everyone(200), "anonymous": LOGIN}),
    Route("POST", "/account/password", "/account/password", {**everyone(400), "anonymous": LOGIN}),
    Route("GET", "/signup", "/signup", {"anonymous": 200, "citizen": (302, "/me"), "provider_a": (302, "/provider"),
                                        "provider_b": (302, "/provider"), "authority": (302, "/authority")}),
    Route("POST", "/signup", "/signup", everyone(400)),
    Route("GET", "/registrer", "/registrer", everyone(200)),
    Route("POST", "/registrer", "/registrer", everyone(400)),
    # the citizen
    Route("GET", "/me", "/me", citizen()),
    Route("GET", "/me/profile", "/me/profile", citizen()),
    Route("POST", "/me/profile", "/me/profile", citizen((303, "/me/profile"))),
    Route("GET", "/me/enrolments", "/me/enrolments", citizen()),
    Route("GET", "/me/enrolments/{reference:str}", "/me/enrolments/{enrolment}", citizen()),
    Route("GET", "/me/enrolments/{reference:str}/switch", "/me/enrolments/{enrolment}/switch", citizen()),
    Route("POST", "/me/enrolments/{reference:str}/switch", "/me/enrolments/{enrolment}/switch", citizen(400)),
    Route("GET", "/me/enrolments/{reference:str}/cancel", "/me/enrolments/{enrolment}/cancel", citizen()),
    # a too long reason: the owner gets as far as the check (400) and the world's choice stays as it is
    Route("POST", "/me/enrolments/{reference:str}/cancel", "/me/enrolments/{enrolment}/cancel", citizen(400),
          data={"reason": "x" * 1001}),
    Route("GET", "/me/enrolments/{reference:str}/review", "/me/enrolments/{enrolment}/review", citizen()),
    Route("POST", "/me/enrolments/{reference:str}/review", "/me/enrolments/{enrolment}/review", citizen(400)),
    Route("POST", "/me/enrolments/{reference:str}/review/edit", "/me/enrolments/{enrolment}/review/edit",
          citizen(400)),
    Route("GET", "/providers/{slug:str}/choose", "/providers/{slug_a}/choose", citizen()),
    Route("POST", "/providers/{slug:str}/choose", "/providers/{slug_a}/choose", citizen(400)),
    Route("GET", "/providers/{slug:str}/review", "/providers/{slug_a}/review", citizen((302, "/me/enrolments/"))),
    # the provider area: its own pages for A and B alike; A's objects for A only
    Route("GET", "/provider", "/provider", providers()),
    Route("GET", "/provider/listing", "/provider/listing", providers()),
    Route("POST", "/provider/listing", "/provider/listing", providers(400)),
    Route("POST", "/provider/listing/submit", "/provider/listing/submit", providers(404)),
    Route("POST", "/provider/listing/withdraw", "/provider/listing/withdraw", providers(404)),
    Route("GET", "/provider/capacity", "/provider/capacity", providers()),
    Route("POST", "/provider/capacity", "/provider/capacity", providers(400)),
    Route("POST", "/provider/confirm", "/provider/confirm", providers((303, "/provider"))),
    Route("GET", "/provider/enrolments", "/provider/enrolments", providers()),
    Route("GET", "/provider/enrolments/{reference:str}/decline", "/provider/enrolments/{enrolment}/decline",
          providers(200, 403)),
    Route("POST", "/provider/enrolments/{reference:str}/decline", "/provider/enrolments/{enrolment}/decline",
          providers(409, 403), data={"reason": "Vi har ikke plads."}),  # already started: too late to decline
    Route("POST", "/provider/enrolments/{reference:str}/accept", "/provider/enrolments/{enrolment}/accept",
          providers(409, 403)),  # already started: a conflict for A, refused for B
    Route("POST", "/provider/enrolments/{reference:str}/start", "/provider/enrolments/{enrolment}/start",
          providers(409, 403)),
    Route("POST", "/provider/enrolments/{reference:str}/end", "/provider/enrolments/{enrolment}/end",
          providers((303, "/provider/enrolments"), 403)),
    Route("GET", "/provider/reviews", "/provider/reviews", providers()),
    Route("POST", "/provider/reviews/{review_id:int}/reply", "/provider/reviews/{published_review}/reply",
          providers((303, "/provider/reviews"), 403), data={"reply": "Tak for jeres ord."}),
    # the authority
    Route("GET", "/authority", "/authority", authority()),
    Route("GET", "/authority/queue", "/authority/queue", authority()),
    Route("GET", "/authority/revisions/{revision_id:int}", "/authority/revisions/{revision}", authority()),
    Route("POST", "/authority/revisions/{revision_id:int}/approve", "/authority/revisions/{revision}/approve",
          authority(400)),
    Route("POST", "/authority/revisions/{revision_id:int}/reject", "/authority/revisions/{revision}/reject",
          authority(400)),
    Route("GET", "/authority/providers", "/authority/providers", authority()),
    Route("GET", "/authority/providers/{provider_id:int}", "/authority/providers/{provider_a}", authority()),
    Route("POST", "/authority/providers/{provider_id:int}/suspend", "/authority/providers/{provider_a}/suspend",
          authority(400)),
    Route("POST", "/authority/providers/{provider_id:int}/revoke", "/authority/providers/{provider_a}/revoke",
          authority(400)),
    Route("POST", "/authority/providers/{provider_id:int}/reinstate", "/authority/providers/{provider_a}/reinstate",
          authority(400)),
    Route("GET", "/authority/audit", "/authority/audit", authority()),
    Route("GET", "/authority/outcomes", "/authority/outcomes", authority()),
    Route("POST", "/authority/outcomes", "/authority/outcomes", authority(400)),
    Route("GET", "/authority/outcomes/jobs/{job_id:str}", "/authority/outcomes/jobs/unknown", authority(404)),
    Route("GET", "/authority/results", "/authority/results", authority()),
    Route("GET", "/authority/reviews", "/authority/reviews", authority()),
    Route("POST", "/authority/reviews/{review_id:int}/approve", "/authority/reviews/{pending_review}/approve",
          authority(409)),  # the form's fingerprint of the text read is missing: a conflict, nothing published
    Route("POST", "/authority/reviews/{review_id:int}/reject", "/authority/reviews/{pending_review}/reject",
          authority(400)),
]


@dataclass
class World:
    users: dict[str, Any]
    values: dict[str, Any]


async def build_world() -> World:
    """Providers A and B with members, a citizen with a started enrolment at A, two reviews of A
    (one pending moderation, one published) and a pending revision of A's listing."""
    a = await make_provider(name="Aktør A")
    b = await make_provider(name="Aktør B")
    revision = await submit_revision(a["id"], description="En ændring fra A.")
    users = {
        "anonymous": None,
        "citizen": await make_user("citizen"),
        "provider_a": await make_user("provider", provider_id=a["id"]),
        "provider_b": await make_user("provider", provider_id=b["id"]),
        "authority": await make_user("authority"),
    }
    citizen = users["citizen"]
    now = datetime.now(timezone.utc)
    async with write_transaction():
        started = Enrolment(reference="M000001", citizen=citizen.id, provider=a["id"], target_group="dagpenge",
                            service="jobsamtaler", status="started", started_at=now)
        await started.save()
        reviews = {}
        for ref, group, status in (("M000002", "sygedagpenge", "pending"), ("M000003", "fleksjob", "published")):
            ended = Enrolment(reference=ref, citizen=citizen.id, provider=a["id"], target_group=group,
                              service="mentor", status="ended", started_at=now, ended_at=now)
            await ended.save()
            review = Review(enrolment=ended.id, provider=a["id"], rating=4, text="God hjælp.", text_status=status)
            await review.save()
            reviews[status] = review.id
    return World(users=users, values={
        "provider_a": a["id"], "provider_b": b["id"], "slug_a": a["slug"], "revision": revision["id"],
        "enrolment": "M000001", "pending_review": reviews["pending"], "published_review": reviews["published"],
    })


async def log_in_as(client: httpx.AsyncClient, user: Any) -> None:
    client.cookies.clear()
    if user is None:
        await client.get("/login")  # the CSRF cookie, as a visitor's browser has it
    else:
        assert (await login(client, user.email)).status_code == 303


def outcome(response: httpx.Response, expected: Any) -> Any:
    """The response in the shape of `expected`: a status, or (status, location prefix)."""
    if isinstance(expected, tuple):
        location = response.headers.get("location", "")
        return (response.status_code, expected[1] if location.startswith(expected[1]) else location)
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
async def test_each_route_answers_each_role_as_the_matrix_says(client, role: str) -> None:
    """One world per role (users are argon2-hashed: building one per cell would take minutes); the
    rows run in table order, and a row that changes something (ending an enrolment, replying,
    logging out) comes after the rows that read the same object."""
    world = await build_world()
    user = world.users[role]
    await log_in_as(client, user)
    wrong = []
    for route in MATRIX:
        url = route.url.format(**world.values)
        if route.method == "GET":
            response = await client.get(url)
        else:
            response = await client.post(url, data={**route.data, "_csrf_token": client.cookies["csrftoken"]})
        got = outcome(response, route.expected[role])
        if got != route.expected[role] or response.status_code >= 500:
            wrong.append(f"{route.method} {url}: expected {route.expected[role]}, got {got}")
        if route.url == "/logout" and route.method == "POST":
            await log_in_as(client, user)  # the session has ended
    assert wrong == []


def test_every_route_of_the_portal_is_in_the_matrix() -> None:
    from marketplace.app import create_app

    app = create_app(run_outbox_worker=False)
    registered = {(m, route.path) for route in app.routes for m in getattr(route, "methods", ())
                  if m not in ("OPTIONS", "HEAD")}
    in_matrix = {(r.method, r.pattern) for r in MATRIX}
    assert registered - in_matrix == set(), "routes without a row in the matrix"
    assert in_matrix - registered == set(), "rows for routes that no longer exist"
