"""Who may do what: the one table of actions and the role each needs.

Roles are per project and ordered: a *viewer* reads a project's predictions, stats, models
and jobs; an *annotator* also classifies and gives feedback; a *maintainer* also trains,
retrains, promotes, rolls back and changes the project's settings. An *admin* is
server-wide: every project, plus creating and deleting projects and managing users. The
bootstrap ``TAGLOOP_ADMIN_TOKEN`` is an admin.

Anonymous callers (no session, no token) get only what the project allows:
``anonymous_classify`` (classify, and read back their own results) and
``anonymous_feedback`` (give feedback on their own results; off unless set).

A server with no user accounts yet keeps its behaviour from before accounts existed
(``Caller.open``): anyone may read, classify and give feedback, and project changes need
the admin token. Creating the first user (``tagloop users create NAME --role admin``)
turns the table on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TypedDict

from tagloop.service.errors import Invalid, ServiceError
from tagloop.service.projects import ProjectRef


class Role(enum.IntEnum):
    """Ordered: each role can do everything the ones below it can."""

    NONE = 0
    VIEWER = 1
    ANNOTATOR = 2
    MAINTAINER = 3
    ADMIN = 4

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            role = cls[name.strip().upper()]
        except KeyError:
            role = cls.NONE
        if role is cls.NONE:
            raise Invalid(
                f"role {name!r} is not one of viewer, annotator, maintainer, admin",
                code="invalid_role",
            )
        return role

    @property
    def label(self) -> str:
        return self.name.lower()


PROJECT_ROLES = (Role.VIEWER, Role.ANNOTATOR, Role.MAINTAINER)


class Action(enum.Enum):
    # Open to everyone, signed in or not.
    PUBLIC = "public"
    # Needs a signed-in user (any role): their own account and tokens, the project list
    # (filtered to the projects they can see).
    SELF = "self"
    # On one project.
    READ_INFO = "read_info"
    CLASSIFY = "classify"
    READ_OWN = "read_own"
    READ = "read"
    FEEDBACK = "feedback"
    LABEL = "label"
    IMPORT = "import"
    TRAIN = "train"
    RETRAIN = "retrain"
    CANCEL_JOB = "cancel_job"
    ACTIVATE = "activate"
    ROLLBACK = "rollback"
    CONFIGURE = "configure"
    # Server-wide.
    CREATE_PROJECT = "create_project"
    DELETE_PROJECT = "delete_project"
    MANAGE_USERS = "manage_users"


# Actions that are not about one project (every other one is checked on the request's).
SERVER_WIDE = {Action.PUBLIC, Action.SELF, Action.CREATE_PROJECT, Action.MANAGE_USERS}

# The rule table: the least role each action needs on the project (server-wide actions
# need ADMIN). PUBLIC and SELF need no role.
RULES: dict[Action, Role] = {
    Action.PUBLIC: Role.NONE,
    Action.SELF: Role.NONE,
    Action.READ_INFO: Role.VIEWER,
    Action.READ_OWN: Role.VIEWER,
    Action.CLASSIFY: Role.ANNOTATOR,
    Action.READ: Role.VIEWER,
    Action.FEEDBACK: Role.ANNOTATOR,
    Action.LABEL: Role.ANNOTATOR,
    Action.IMPORT: Role.MAINTAINER,
    Action.TRAIN: Role.MAINTAINER,
    Action.RETRAIN: Role.MAINTAINER,
    Action.CANCEL_JOB: Role.MAINTAINER,
    Action.ACTIVATE: Role.MAINTAINER,
    Action.ROLLBACK: Role.MAINTAINER,
    Action.CONFIGURE: Role.MAINTAINER,
    Action.CREATE_PROJECT: Role.ADMIN,
    Action.DELETE_PROJECT: Role.ADMIN,
    Action.MANAGE_USERS: Role.ADMIN,
}

# What an anonymous caller may do on a project, by the project setting that allows it.
ANONYMOUS: dict[Action, str] = {
    Action.READ_INFO: "anonymous_classify",
    Action.CLASSIFY: "anonymous_classify",
    Action.READ_OWN: "anonymous_classify",
    Action.FEEDBACK: "anonymous_feedback",
    Action.LABEL: "anonymous_feedback",
}

# Before the first account exists: what anyone may do (the single-user behaviour).
OPEN = {
    Action.PUBLIC,
    Action.READ_INFO,
    Action.CLASSIFY,
    Action.READ_OWN,
    Action.READ,
    Action.FEEDBACK,
    Action.LABEL,
}


class Unauthenticated(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


@dataclass(frozen=True)
class Caller:
    """Who is asking. ``user_id`` None with ``admin`` set: the bootstrap token."""

    user_id: int | None = None
    name: str = ""
    admin: bool = False
    roles: dict[int, Role] = field(default_factory=dict)  # project id -> role
    open: bool = False  # no accounts exist yet
    admin_token_set: bool = False  # TAGLOOP_ADMIN_TOKEN is configured
    via: str = ""  # "session", "token", "admin_token" or "" (anonymous)

    @property
    def signed_in(self) -> bool:
        return self.admin or self.user_id is not None

    def role(self, project: ProjectRef) -> Role:
        if self.admin:
            return Role.ADMIN
        return self.roles.get(project.id, Role.NONE)

    def can(self, action: Action, project: ProjectRef | None = None) -> bool:
        try:
            check(self, action, project)
        except ServiceError:
            return False
        return True


def check(caller: Caller, action: Action, project: ProjectRef | None = None) -> None:
    """Allow, or raise 401 (sign in) / 403 (signed in, or anonymous where anonymity can
    never do this) naming what is missing."""
    needed = RULES[action]
    if needed is Role.NONE and (action is Action.PUBLIC or caller.signed_in):
        return
    if caller.admin:
        return
    # Whatever the project lets anonymous callers do, a signed-in one may do too.
    setting = ANONYMOUS.get(action)
    if project is not None and setting and getattr(project.settings, setting):
        return
    if not caller.signed_in:
        if caller.open and action in OPEN:
            return
        if caller.open and not caller.admin_token_set:
            raise Forbidden(
                f"{action.value.replace('_', ' ')} needs the admin token: set "
                "TAGLOOP_ADMIN_TOKEN on the server, or create the first user with "
                "'tagloop users create NAME --role admin'",
                code="admin_disabled",
            )
        if caller.open:
            raise Unauthenticated(
                f"{action.value.replace('_', ' ')} needs the admin token: send "
                "'Authorization: Bearer <token>'"
            )
        raise Unauthenticated(
            f"{action.value.replace('_', ' ')} needs you to sign in "
            "(a session, or 'Authorization: Bearer <token>')"
        )
    if needed is Role.ADMIN or project is None:
        raise Forbidden(f"{action.value.replace('_', ' ')} needs an admin")
    have = caller.role(project)
    if have < needed:
        has = f"your role is {have.label}" if have else "you have no role there"
        raise Forbidden(
            f"{action.value.replace('_', ' ')} on project {project.slug!r} needs the "
            f"{needed.label} role ({has})",
            details={"needed": needed.label, "role": have.label},
        )


# What a client may ask about: every action on one project, and the server-wide ones
# that have a page or a button (PUBLIC and SELF need no asking).
ASKABLE = [action for action in Action if action not in (Action.PUBLIC, Action.SELF)]


class Permission(TypedDict):
    allowed: bool
    # Not allowed as the caller is, but the bootstrap admin token would be: a server with
    # no accounts yet, where the web app asks for the token when it is needed.
    with_admin_token: bool
    needs: str  # the least role the action needs on the project (a label of Role)
    reason: str | None  # why not, in the words the server's refusal would use


def permissions(caller: Caller, project: ProjectRef) -> dict[str, Permission]:
    """For each action, whether ``caller`` may do it on ``project`` and if not, why: the
    answer ``check`` would give, so a client shows what the server enforces."""
    out: dict[str, Permission] = {}
    for action in ASKABLE:
        reason: str | None = None
        token = False
        try:
            check(caller, action, None if action in SERVER_WIDE else project)
        except ServiceError as exc:
            reason = exc.message
            token = caller.open and caller.admin_token_set and not caller.signed_in
        out[action.value] = {
            "allowed": reason is None,
            "with_admin_token": token,
            "needs": RULES[action].label,
            "reason": reason,
        }
    return out
