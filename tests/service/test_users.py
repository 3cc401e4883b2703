"""Accounts, sign-in, roles and tokens in the core, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tagloop.service import users
from tagloop.service.access import Action, Caller, Forbidden, Role, Unauthenticated, check
from tagloop.service.errors import Conflict, Invalid, NotFound
from tagloop.store.models import ApiToken, User, utcnow

PASSWORD = "correct horse battery"


@pytest.mark.real_password_cost
def test_a_password_is_stored_only_as_an_argon2_hash(core):
    users.create(core.store, "Ada", PASSWORD, name="Ada L.")
    with core.store.session() as session:
        row = session.scalar(select(User).where(User.login == "ada"))
    assert row is not None and row.name == "Ada L."
    # argon2id at RFC 9106's second recommended option: 64 MiB, 3 passes, 4 lanes.
    assert row.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in row.password_hash
    assert users.sign_in(core.store, "ADA", PASSWORD).name == "Ada L."


@pytest.mark.parametrize(
    ("login", "password", "code"),
    [
        ("", PASSWORD, "invalid_login"),
        ("-x", PASSWORD, "invalid_login"),
        ("bob", "short", "weak_password"),
    ],
)
def test_bad_logins_and_weak_passwords_are_refused(core, login, password, code):
    with pytest.raises(Invalid) as caught:
        users.create(core.store, login, password)
    assert caught.value.code == code
    assert not users.has_users(core.store)


def test_a_login_is_unique(core):
    users.create(core.store, "ada", PASSWORD)
    with pytest.raises(Conflict):
        users.create(core.store, "Ada", PASSWORD)


def test_wrong_passwords_lock_the_account_with_a_clear_message(core):
    users.create(core.store, "ada", PASSWORD)
    for _ in range(users.MAX_FAILED_LOGINS):
        with pytest.raises(users.WrongCredentials):
            users.sign_in(core.store, "ada", "not the password")
    with pytest.raises(users.LockedOut) as caught:
        users.sign_in(core.store, "ada", PASSWORD)  # even the right password now
    assert "locked for 15 more minutes" in caught.value.message
    with core.store.transaction() as session:
        session.execute(update(User).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert users.sign_in(core.store, "ada", PASSWORD).user_id is not None


def test_an_unknown_login_and_a_wrong_password_get_the_same_answer(core):
    users.create(core.store, "ada", PASSWORD)
    with pytest.raises(users.WrongCredentials) as unknown:
        users.sign_in(core.store, "nobody", PASSWORD)
    with pytest.raises(users.WrongCredentials) as wrong:
        users.sign_in(core.store, "ada", "wrong password")
    assert unknown.value.message == wrong.value.message


def test_a_disabled_user_cannot_sign_in_or_use_a_token(core):
    users.create(core.store, "root", PASSWORD, admin=True)
    user = users.create(core.store, "ada", PASSWORD)
    new = users.create_token(core.store, user["id"], name="ci")
    assert users.token_caller(core.store, new.token) is not None
    users.update(core.store, "ada", disabled=True)
    with pytest.raises(users.WrongCredentials) as caught:
        users.sign_in(core.store, "ada", PASSWORD)
    assert caught.value.code == "user_disabled"
    assert users.token_caller(core.store, new.token) is None
    assert users.caller(core.store, user["id"], via="session") is None


def test_a_token_is_stored_as_its_hash_and_expires(core):
    user = users.create(core.store, "ada", PASSWORD)
    new = users.create_token(core.store, user["id"], name="ci", expires_days=1)
    with core.store.session() as session:
        row = session.scalar(select(ApiToken))
    assert row is not None and new.token not in (row.token_sha256, row.prefix, row.name)
    assert new.token.startswith(row.prefix)
    assert users.list_tokens(core.store, user["id"])[0]["last_used_at"] is None
    assert users.token_caller(core.store, new.token).name == "ada"  # type: ignore[union-attr]
    assert users.list_tokens(core.store, user["id"])[0]["last_used_at"] is not None
    assert users.token_caller(core.store, new.token + "x") is None
    with core.store.transaction() as session:
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert users.token_caller(core.store, new.token) is None


def test_a_revoked_token_stops_working(core):
    user = users.create(core.store, "ada", PASSWORD)
    new = users.create_token(core.store, user["id"])
    users.revoke_token(core.store, user["id"], new.info["id"])
    assert users.token_caller(core.store, new.token) is None
    with pytest.raises(NotFound):
        users.revoke_token(core.store, user["id"], new.info["id"])


def test_deleting_a_user_keeps_the_name_and_frees_the_login(core):
    users.create(core.store, "root", PASSWORD, admin=True)
    ada = users.create(core.store, "ada", PASSWORD, name="Ada L.")
    token = users.create_token(core.store, ada["id"]).token
    users.delete_user(core.store, "ada")
    assert users.names(core.store, {ada["id"]}) == {ada["id"]: "Ada L."}
    assert users.token_caller(core.store, token) is None
    with pytest.raises(users.WrongCredentials):
        users.sign_in(core.store, "ada", PASSWORD)
    assert users.create(core.store, "ada", PASSWORD)["id"] != ada["id"]


def test_the_last_admin_cannot_be_disabled_demoted_or_deleted(core):
    users.create(core.store, "root", PASSWORD, admin=True)
    for change in (
        lambda: users.update(core.store, "root", disabled=True),
        lambda: users.update(core.store, "root", admin=False),
        lambda: users.delete_user(core.store, "root"),
    ):
        with pytest.raises(Conflict):
            change()


def test_roles_are_per_project(core, tickets):
    ada = users.create(core.store, "ada", PASSWORD)
    default = core.project()
    users.grant(core.store, "ada", tickets, "annotator")
    caller = users.caller(core.store, ada["id"], via="session")
    assert caller is not None
    assert caller.role(tickets) is Role.ANNOTATOR and caller.role(default) is Role.NONE
    check(caller, Action.FEEDBACK, tickets)
    with pytest.raises(Forbidden) as caught:
        check(caller, Action.READ, default)
    assert "needs the viewer role" in caught.value.message
    with pytest.raises(Invalid):
        users.grant(core.store, "ada", tickets, "admin")
    users.grant(core.store, "ada", tickets, None)
    assert users.get(core.store, "ada")["roles"] == {}


# The rule table, read as: role -> the actions it is allowed on its project.
ALLOWED = {
    Role.VIEWER: {Action.READ, Action.READ_INFO, Action.READ_OWN},
    Role.ANNOTATOR: {
        Action.READ,
        Action.READ_INFO,
        Action.READ_OWN,
        Action.CLASSIFY,
        Action.FEEDBACK,
    },
    Role.MAINTAINER: {
        Action.READ,
        Action.READ_INFO,
        Action.READ_OWN,
        Action.CLASSIFY,
        Action.FEEDBACK,
        Action.TRAIN,
        Action.RETRAIN,
        Action.CANCEL_JOB,
        Action.ACTIVATE,
        Action.ROLLBACK,
        Action.CONFIGURE,
    },
}
PROJECT_ACTIONS = ALLOWED[Role.MAINTAINER] | {Action.CREATE_PROJECT, Action.DELETE_PROJECT}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_does_exactly_its_row_of_the_table(core, tickets, role):
    project = tickets  # anonymous callers may do nothing here
    caller = Caller(user_id=1, name="x", roles={project.id: role})
    for action in PROJECT_ACTIONS | {Action.MANAGE_USERS}:
        assert caller.can(action, project) == (action in ALLOWED[role]), action
    admin = Caller(user_id=2, name="root", admin=True)
    assert all(admin.can(action, project) for action in Action)
    assert not any(Caller().can(action, project) for action in PROJECT_ACTIONS)


def test_anonymous_callers_get_only_what_the_project_allows(core):
    from tagloop.service import projects

    project = core.project()
    anonymous = Caller()
    assert anonymous.can(Action.CLASSIFY, project)
    assert not anonymous.can(Action.FEEDBACK, project)
    with pytest.raises(Unauthenticated):
        check(anonymous, Action.READ, project)
    project = projects.update(
        core.store,
        core.settings,
        project,
        project_settings={"anonymous_classify": False, "anonymous_feedback": True},
    )
    assert not anonymous.can(Action.CLASSIFY, project)
    assert anonymous.can(Action.FEEDBACK, project)


def test_before_the_first_account_the_server_is_open_but_changes_need_the_admin_token(core):
    project = core.project()
    assert not core.accounts_exist()
    open_caller = Caller(open=True)
    assert open_caller.can(Action.READ, project) and open_caller.can(Action.FEEDBACK, project)
    with pytest.raises(Forbidden) as caught:
        check(open_caller, Action.ACTIVATE, project)
    assert caught.value.code == "admin_disabled"
    with pytest.raises(Unauthenticated):
        check(Caller(open=True, admin_token_set=True), Action.ACTIVATE, project)
    users.create(core.store, "root", PASSWORD, admin=True)
    assert core.accounts_exist()


def test_deleting_a_project_takes_its_roles_away(core, tickets):
    from tagloop.service import projects

    users.create(core.store, "ada", PASSWORD)
    users.grant(core.store, "ada", tickets, "maintainer")
    projects.delete_project(core.store, core.settings, tickets)
    assert users.get(core.store, "ada")["roles"] == {}
