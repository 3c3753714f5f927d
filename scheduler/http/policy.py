"""The one access policy: every route, page or JSON, and the least role it needs, with where
the production it acts on is found (``scheduler.http.access`` applies it before every route).

docs/access.md is this table (``access_table``), and a test keeps it so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from scheduler.core.models import Role
from scheduler.review.duties import RULE


class Scope(StrEnum):
    """Where a route finds the production whose role decides."""

    public = "public"  # no sign-in (signing in itself)
    signed_in = "signed in"  # any person; lists show only their productions
    site = "site"  # site admins only
    production = "production_id in the path"
    post = "the post in the path"
    delivery = "the delivery in the path"
    body = "production_id in the body"
    #: Without ``production_id`` in the query, only a site admin (``GET /audit``).
    query = "production_id in the query string"
    pause = "the pause's scope"  # everything or an account: site admin; a production: its role
    #: A blackout's production (in the body, or the blackout in the path); none: every
    #: production's, site admins only.
    blackout = "the blackout's production_id (none: every production)"
    #: Each production named (``POST /accounts``); naming none: only a site admin.
    productions = "each of production_ids in the body (none: site admin)"
    #: Each production the account serves; one that serves none: only a site admin.
    account = "each production the account in the path serves (none: site admin)"
    #: Granting an account to a production: a role there and in one it already serves.
    grant = "production_id in the path, and one the account in the path serves"


@dataclass(frozen=True)
class Rule:
    scope: Scope
    role: Role | None = None


V, M, P, A = Role.viewer, Role.marketer, Role.producer, Role.admin

POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): Rule(Scope.public),
    ("GET", "/readyz"): Rule(Scope.public),
    # Counts only, no names; `metrics_token` closes it (Prometheus sends it as a bearer token).
    ("GET", "/metrics"): Rule(Scope.public),
    ("POST", "/auth/login"): Rule(Scope.public),
    ("POST", "/auth/logout"): Rule(Scope.signed_in),
    ("GET", "/me"): Rule(Scope.signed_in),
    ("POST", "/tokens"): Rule(Scope.signed_in),
    ("GET", "/tokens"): Rule(Scope.signed_in),
    ("DELETE", "/tokens/{token_id}"): Rule(Scope.signed_in),
    ("PUT", "/me/password"): Rule(Scope.signed_in),
    ("POST", "/people"): Rule(Scope.site),
    ("GET", "/people"): Rule(Scope.site),
    ("POST", "/people/{person_id}/disable"): Rule(Scope.site),
    ("POST", "/people/{person_id}/enable"): Rule(Scope.site),
    ("GET", "/productions/{production_id}/members"): Rule(Scope.production, V),
    ("PUT", "/productions/{production_id}/members/{person_id}"): Rule(Scope.production, A),
    ("DELETE", "/productions/{production_id}/members/{person_id}"): Rule(Scope.production, A),
    ("POST", "/productions"): Rule(Scope.site),
    ("GET", "/productions"): Rule(Scope.signed_in),
    ("GET", "/productions/{production_id}"): Rule(Scope.production, V),
    ("PATCH", "/productions/{production_id}"): Rule(Scope.production, A),
    ("POST", "/productions/{production_id}/timezone"): Rule(Scope.production, A),
    ("POST", "/productions/{production_id}/milestones"): Rule(Scope.production, P),
    ("GET", "/productions/{production_id}/milestones"): Rule(Scope.production, V),
    ("PATCH", "/productions/{production_id}/milestones/{milestone_id}"): Rule(Scope.production, P),
    ("POST", "/productions/{production_id}/embargoes"): Rule(Scope.production, P),
    ("GET", "/productions/{production_id}/embargoes"): Rule(Scope.production, V),
    ("PATCH", "/productions/{production_id}/embargoes/{embargo_id}"): Rule(Scope.production, P),
    ("DELETE", "/productions/{production_id}/embargoes/{embargo_id}"): Rule(Scope.production, P),
    ("DELETE", "/productions/{production_id}/milestones/{milestone_id}"): Rule(Scope.production, P),
    ("GET", "/productions/{production_id}/calendar.ics"): Rule(Scope.production, V),
    ("GET", "/productions/{production_id}/schedule.csv"): Rule(Scope.production, V),
    ("POST", "/productions/{production_id}/calendar-subscriptions"): Rule(Scope.production, V),
    ("GET", "/me/calendar-subscriptions"): Rule(Scope.signed_in),
    ("DELETE", "/calendar-subscriptions/{subscription_id}"): Rule(Scope.signed_in),  # owner
    # The link is the credential: calendar apps cannot sign in (scheduler.people.calendars).
    ("GET", "/calendar/{token}.ics"): Rule(Scope.public),
    ("POST", "/productions/{production_id}/schedule.csv"): Rule(Scope.production, M),
    ("POST", "/productions/{production_id}/media"): Rule(Scope.production, M),
    ("GET", "/productions/{production_id}/media"): Rule(Scope.production, V),
    ("GET", "/productions/{production_id}/media/{media_id}"): Rule(Scope.production, V),
    ("POST", "/accounts"): Rule(Scope.productions, A),
    ("GET", "/accounts"): Rule(Scope.signed_in),
    ("PUT", "/accounts/{account_id}/credentials"): Rule(Scope.account, A),
    ("PATCH", "/accounts/{account_id}"): Rule(Scope.account, A),
    ("GET", "/accounts/{account_id}/removal"): Rule(Scope.account, A),
    ("DELETE", "/accounts/{account_id}"): Rule(Scope.account, A),
    ("PUT", "/accounts/{account_id}/productions/{production_id}"): Rule(Scope.grant, A),
    ("DELETE", "/accounts/{account_id}/productions/{production_id}"): Rule(Scope.production, A),
    ("GET", "/platforms"): Rule(Scope.signed_in),
    ("GET", "/platforms/{platform}"): Rule(Scope.signed_in),
    ("GET", "/templates"): Rule(Scope.signed_in),
    ("GET", "/productions/{production_id}/chain"): Rule(Scope.production, V),
    ("PUT", "/productions/{production_id}/chain"): Rule(Scope.production, A),
    ("GET", "/productions/{production_id}/checklist"): Rule(Scope.production, V),
    ("PUT", "/productions/{production_id}/checklist"): Rule(Scope.production, A),
    ("GET", "/productions/{production_id}/review"): Rule(Scope.production, V),
    ("POST", "/productions/{production_id}/review/approve"): Rule(Scope.production, P),
    ("POST", "/posts"): Rule(Scope.body, M),
    ("POST", "/posts/preview"): Rule(Scope.body, M),  # a post not yet saved; saves nothing
    ("GET", "/posts"): Rule(Scope.signed_in),
    ("GET", "/posts/{post_id}"): Rule(Scope.post, V),
    ("PATCH", "/posts/{post_id}"): Rule(Scope.post, M),
    ("GET", "/posts/{post_id}/preview"): Rule(Scope.post, V),
    ("POST", "/posts/{post_id}/submit"): Rule(Scope.post, M),
    ("POST", "/posts/{post_id}/approve"): Rule(Scope.post, P),
    ("POST", "/posts/{post_id}/reject"): Rule(Scope.post, P),
    ("GET", "/deliveries"): Rule(Scope.signed_in),
    ("POST", "/deliveries/{delivery_id}/release"): Rule(Scope.delivery, P),
    ("POST", "/deliveries/{delivery_id}/cancel"): Rule(Scope.delivery, P),
    ("POST", "/deliveries/{delivery_id}/resolve"): Rule(Scope.delivery, P),
    ("POST", "/deliveries/{delivery_id}/retry"): Rule(Scope.delivery, P),
    ("POST", "/pauses"): Rule(Scope.pause, P),
    ("GET", "/pauses"): Rule(Scope.signed_in),
    ("POST", "/pauses/{pause_id}/resume"): Rule(Scope.pause, P),
    ("POST", "/blackouts"): Rule(Scope.blackout, P),
    ("GET", "/blackouts"): Rule(Scope.signed_in),
    ("PATCH", "/blackouts/{blackout_id}"): Rule(Scope.blackout, P),
    ("DELETE", "/blackouts/{blackout_id}"): Rule(Scope.blackout, P),
    ("POST", "/productions/{production_id}/talent"): Rule(Scope.production, M),
    ("GET", "/productions/{production_id}/talent"): Rule(Scope.production, V),
    ("PATCH", "/productions/{production_id}/talent/{talent_id}"): Rule(Scope.production, M),
    ("POST", "/posts/{post_id}/signoffs"): Rule(Scope.post, M),
    ("GET", "/posts/{post_id}/signoffs"): Rule(Scope.post, V),
    # Sending a talent a fresh link (the earlier one stops working) is a producer's call.
    ("POST", "/posts/{post_id}/signoffs/{signoff_id}/resend"): Rule(Scope.post, P),
    # The signed link is the credential: talent have no account (scheduler.review.links).
    ("GET", "/signoff/{token}"): Rule(Scope.public),
    ("POST", "/signoff/{token}"): Rule(Scope.public),
    ("GET", "/audit"): Rule(Scope.query, P),
    ("POST", "/productions/{production_id}/notification-hooks"): Rule(Scope.production, A),
    ("GET", "/productions/{production_id}/notification-hooks"): Rule(Scope.production, A),
    ("PATCH", "/productions/{production_id}/notification-hooks/{hook_id}"): Rule(
        Scope.production, A
    ),
    ("DELETE", "/productions/{production_id}/notification-hooks/{hook_id}"): Rule(
        Scope.production, A
    ),
    ("GET", "/productions/{production_id}/notifications"): Rule(Scope.production, P),
    ("POST", "/notification-hooks"): Rule(Scope.site),
    ("GET", "/notification-hooks"): Rule(Scope.site),
    ("PATCH", "/notification-hooks/{hook_id}"): Rule(Scope.site),
    ("DELETE", "/notification-hooks/{hook_id}"): Rule(Scope.site),
    ("GET", "/notifications"): Rule(Scope.site),
    # The pages (scheduler.web): the same rules, each page or action as its API twin.
    ("GET", "/"): Rule(Scope.public),  # leads to /app/
    ("GET", "/app/sign-in"): Rule(Scope.public),
    ("POST", "/app/sign-in"): Rule(Scope.public),
    # The one-time link is the credential (`callsheet up --sign-in-link`).
    ("GET", "/app/sign-in/link/{token}"): Rule(Scope.public),
    ("POST", "/app/sign-in/link/{token}"): Rule(Scope.public),
    ("POST", "/app/sign-out"): Rule(Scope.signed_in),
    ("GET", "/app/password"): Rule(Scope.signed_in),
    ("POST", "/app/password"): Rule(Scope.signed_in),
    ("GET", "/app/"): Rule(Scope.signed_in),  # what waits for you, in your productions
    ("GET", "/app/productions/{production_id}/calendar"): Rule(Scope.production, V),
    # The pages for keeping things safe: pauses, problems, the audit trail, accounts.
    ("GET", "/app/pauses"): Rule(Scope.signed_in),  # the pauses that concern you
    # POST /pauses with the production in the path (a form posts no JSON): the same rule.
    ("POST", "/app/productions/{production_id}/pause"): Rule(Scope.production, P),
    ("POST", "/app/pause-everything"): Rule(Scope.site),
    ("POST", "/app/pauses/{pause_id}/resume"): Rule(Scope.pause, P),
    ("GET", "/app/problems"): Rule(Scope.signed_in),  # as GET /deliveries: your productions'
    ("POST", "/app/deliveries/{delivery_id}/retry"): Rule(Scope.delivery, P),
    ("POST", "/app/deliveries/{delivery_id}/resolve"): Rule(Scope.delivery, P),
    ("POST", "/app/deliveries/{delivery_id}/release"): Rule(Scope.delivery, P),
    ("POST", "/app/deliveries/{delivery_id}/cancel"): Rule(Scope.delivery, P),
    ("GET", "/app/audit"): Rule(Scope.query, P),
    ("GET", "/app/accounts"): Rule(Scope.signed_in),  # as GET /accounts: your productions'
    # POST /accounts naming the production in the path alone: its admins'.
    ("POST", "/app/productions/{production_id}/accounts"): Rule(Scope.production, A),
    ("POST", "/app/accounts/{account_id}/credentials"): Rule(Scope.account, A),
    # The approval queue and the talent sign-off page (scheduler.web.routes.review, .signoff):
    # the queue is a producer's, as approving is; the link is the talent's credential.
    ("GET", "/app/productions/{production_id}/review"): Rule(Scope.production, P),
    ("POST", "/app/productions/{production_id}/review/approve"): Rule(Scope.production, P),
    ("POST", "/app/posts/{post_id}/approve"): Rule(Scope.post, P),
    ("POST", "/app/posts/{post_id}/reject"): Rule(Scope.post, P),
    ("GET", "/app/signoff/{token}"): Rule(Scope.public),
    ("POST", "/app/signoff/{token}"): Rule(Scope.public),
    ("GET", "/app/signoff/{token}/media/{media_id}"): Rule(Scope.public),
    # The post editor (scheduler.web.routes.editor): as POST /posts, PATCH /posts/{post_id},
    # POST /posts/{post_id}/submit; its live preview as POST /posts/preview (saves nothing).
    ("GET", "/app/productions/{production_id}/posts/new"): Rule(Scope.production, M),
    ("POST", "/app/productions/{production_id}/posts"): Rule(Scope.production, M),
    ("POST", "/app/productions/{production_id}/posts/preview"): Rule(Scope.production, M),
    ("GET", "/app/posts/{post_id}/edit"): Rule(Scope.post, M),
    ("POST", "/app/posts/{post_id}/edit"): Rule(Scope.post, M),
    ("POST", "/app/posts/{post_id}/submit"): Rule(Scope.post, M),
    # The calendars (scheduler.web.routes.calendar, moving): a post's move is its edit
    # (PATCH /posts/{id}), a milestone's is PATCH /productions/{id}/milestones/{mid}.
    ("GET", "/app/calendar"): Rule(Scope.signed_in),  # only the productions one can see
    ("GET", "/app/posts/{post_id}/move"): Rule(Scope.post, M),
    ("POST", "/app/posts/{post_id}/move"): Rule(Scope.post, M),
    ("GET", "/app/productions/{production_id}/milestones/{milestone_id}/move"): Rule(
        Scope.production, P
    ),
    ("POST", "/app/productions/{production_id}/milestones/{milestone_id}/move"): Rule(
        Scope.production, P
    ),
}


def access_table(describe: Callable[[str, str], str] | None = None) -> str:
    """The policy as a Markdown table, then the rule no role lifts: separation of duties
    (docs/access.md is this, and a test keeps it so)."""
    lines = ["| method | path | who | production from |", "|---|---|---|---|"]
    for (method, path), rule in sorted(POLICY.items(), key=lambda item: (item[0][1], item[0][0])):
        if rule.scope in (Scope.public, Scope.signed_in, Scope.site):
            who = {Scope.public: "anyone", Scope.signed_in: "any signed-in person"}.get(
                rule.scope, "site admin"
            )
            where = "—"
        else:
            assert rule.role is not None
            who = f"{rule.role.value} or above"
            where = rule.scope.value
        lines.append(f"| {method} | `{path}` | {who} | {where} |")
    return "\n".join(lines) + "\n\n" + RULE + "\n"
