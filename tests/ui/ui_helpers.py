"""Helpers shared by the UI tests: sign in through the login form, prepare data through the
app's own services, read pages."""

from __future__ import annotations

from pathlib import Path

from tests.support.people import PEOPLE, password

APP_SCRIPT = Path(__file__).resolve().parents[2] / "app" / "ui" / "app.py"
MEETING_NOTES = Path(__file__).resolve().parents[2] / "examples" / "meeting-summaries.md"
TASK = "Summarise internal meetings with AI"
OWNER_LOGIN = "dana"
OWNER = PEOPLE[OWNER_LOGIN][0]  # Dana Reyes, the approver every test SOP is submitted to
ROLE = PEOPLE[OWNER_LOGIN][2]
WAIVER_REASON = "Checked by hand against the meeting notes; the statement is correct as written."
# Drafting every section spends most of its time verifying statements with the embedding
# model; a few sections exercise the same UI paths in a fraction of the time.
FEW_SECTIONS = ["purpose", "roles", "steps", "human_review"]


def new_session(secrets: dict | None = None):  # noqa: ANN201 - AppTest
    """A new browser session of the app (an AppTest, with ``secrets`` as st.secrets), run once."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=60)
    at.secrets.update(secrets or {})
    at.run()
    return at


def sign_in(at, login: str, secret: str | None = None) -> None:  # noqa: ANN001 - AppTest
    """Fill in the login form and press Sign in (``secret`` defaults to the person's password)."""
    at.text_input(key="login-name").input(login)
    at.text_input(key="login-password").input(password(login) if secret is None else secret)
    button(at, "Sign in").click().run()


def state_of(at):  # noqa: ANN001, ANN201 - AppTest -> UIState
    """The session's :class:`app.ui.state.UIState`."""
    return at.session_state["sopdraft"]


def services_of(at) -> "object":  # noqa: ANN001 - AppTest
    """The Services the running app built (to prepare data the fast way)."""
    return state_of(at).context.services


def identity_of(at):  # noqa: ANN001, ANN201 - AppTest -> Identity
    """Who is signed in to this session (None before sign-in)."""
    return state_of(at).identity


def no_errors(at) -> None:  # noqa: ANN001 - AppTest
    """Fail with the messages if the page raised or showed an error."""
    problems = [e.value for e in at.exception] + [e.value for e in at.error]
    assert not problems, problems


def ingest_notes(at, paths: list[Path] | None = None) -> None:  # noqa: ANN001 - AppTest
    """Ingest the meeting notes (or ``paths``) through the app's own index."""
    report = services_of(at).index.ingest(paths or [MEETING_NOTES])
    assert report.count("failed") == 0, report


def create_draft(at) -> str:  # noqa: ANN001 - AppTest
    """Draft the meeting-summary SOP with the fake model as the signed-in user; returns the draft id."""
    from app.drafting.service import create_draft as draft

    return draft(services_of(at), TASK, identity=identity_of(at), sections=FEW_SECTIONS).draft_id


def button(at, label: str):  # noqa: ANN001, ANN201 - AppTest and its Button
    """The one button whose label starts with ``label``."""
    found = [b for b in at.button if b.label.startswith(label)]
    assert len(found) == 1, (label, [b.label for b in at.button])
    return found[0]


def texts(at) -> str:  # noqa: ANN001 - AppTest
    """Every piece of text on the page, joined (for 'the page says …' assertions)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.text]
    parts += [e.value for kind in (at.info, at.success, at.warning, at.error) for e in kind]
    return "\n".join(str(p) for p in parts)


def submit_and_clear_blockers(services, team, draft_id: str):  # noqa: ANN001, ANN201 - Services, Team -> DraftRecord
    """Submit the draft to its owner (Dana) as the author and waive its blockers as the reviewer.

    The AppTest flow does the same through the pages; other tests use this to reach signing quickly.
    """
    signoff = services.signoff
    record = signoff.submit(team.author, draft_id, owner_login=OWNER_LOGIN)
    for flag in signoff.blockers(record):
        signoff.waive(team.reviewer, draft_id, flag.flag_id, reason=WAIVER_REASON)
    return services.store.get_draft(draft_id)


def approve(services, team, draft_id: str):  # noqa: ANN001, ANN201 - Services, Team -> DraftRecord
    """Submit, clear the blockers and sign 'approved' as the owner (with her password)."""
    from app.registry.signoff import PasswordProof

    submit_and_clear_blockers(services, team, draft_id)
    return services.signoff.sign(team.approver, draft_id, "approved", proof=PasswordProof(password(OWNER_LOGIN)),
                                 confirm=True)


def plain_texts(at) -> str:  # noqa: ANN001 - AppTest
    """:func:`texts` without Markdown's escaping backslashes (to look for names and sentences)."""
    return texts(at).replace("\\", "")


def submitted_draft(at, team):  # noqa: ANN001, ANN201 - AppTest, Team -> DraftRecord
    """Ingest, draft, submit to Dana and waive the blockers: a draft waiting for her signature."""
    ingest_notes(at)
    return submit_and_clear_blockers(services_of(at), team, create_draft(at))


def open_review(at):  # noqa: ANN001, ANN201 - AppTest
    """Switch the session to the Review page and return it."""
    at.switch_page("page_scripts/review.py").run()
    return at


def sign_approved(at, record, secret: str | None, *, confirm: bool = True) -> None:  # noqa: ANN001 - AppTest, DraftRecord
    """Fill the 'approved' sign form of ``record`` (tick, password) and press Sign."""
    form = f"sign-{record.draft_id}-{record.version}-approved"
    if confirm:
        at.checkbox(key=f"{form}:confirm").check()
    if secret is not None:
        at.text_input(key=f"{form}:password").input(secret)
    button(at, f"Sign version {record.version}").click().run()
