"""The six goal metrics (kpi/metrics.py) on hand-built timelines, with exact expected values."""

from datetime import timedelta

from deskplan.kpi.metrics import (
    MetricContext,
    complaint_rate,
    csat,
    feedback_response_within,
    first_contact_resolution,
    first_reply_within,
    resolution_within,
)
from deskplan.model import Score, Status
from deskplan.rules.calendar import CALENDAR_24X7, build_calendar
from deskplan.rules.calendar_spec import CalendarSpec
from deskplan.rules.sla import active_elapsed

from .timelines import T0, at, note, rating, reply, requester, status, ticket

OFFICE = build_calendar("office", CalendarSpec.model_validate(
    {"timezone": "Europe/Berlin", "hours": {"mon-fri": ["09:00-17:00"]}}))


def ctx(now_hours: float, threshold_hours: float | None = 12, calendar=CALENDAR_24X7) -> MetricContext:
    return MetricContext(
        now=at(now_hours),
        threshold=None if threshold_hours is None else timedelta(hours=threshold_hours),
        elapsed=calendar.elapsed,
        active_elapsed=lambda t, a, b: active_elapsed(t, calendar, a, b),
    )


# --- first_reply_within ---------------------------------------------------------------------

def test_first_reply_within_and_late():
    met = first_reply_within(ticket(reply(10)), ctx(100))
    assert (met.at, met.hit, met.weight, met.detail) == (T0, True, 36000.0, "first reply after 10h (allowed 12h)")
    late = first_reply_within(ticket(reply(13)), ctx(100))
    assert (late.hit, late.weight, late.detail) == (False, 46800.0, "first reply after 13h (allowed 12h)")


def test_first_reply_exactly_at_the_threshold_is_within():
    assert first_reply_within(ticket(reply(12)), ctx(100)).hit is True


def test_no_reply_yet_is_left_out_until_the_threshold_has_passed_then_missed():
    waiting = ticket(requester(1))
    assert first_reply_within(waiting, ctx(11)) is None
    assert first_reply_within(waiting, ctx(12)) is None          # exactly T has not *passed*
    missed = first_reply_within(waiting, ctx(13))
    assert (missed.at, missed.hit, missed.detail) == (T0, False, "no first reply after 13h (allowed 12h)")


def test_a_reply_after_now_has_not_happened_yet():
    later = ticket(reply(20))
    assert first_reply_within(later, ctx(11)) is None
    assert first_reply_within(later, ctx(15)).detail == "no first reply after 15h (allowed 12h)"


def test_time_waiting_on_the_customer_is_not_counted():
    # open 2h, waiting 6h (not counted), open again 8h: 10h counted at the reply at 16h
    paused = ticket(status(0.5, Status.OPEN), status(2, Status.WAITING_CUSTOMER), status(8, Status.OPEN), reply(16))
    observed = first_reply_within(paused, ctx(100))
    assert (observed.hit, observed.detail) == (True, "first reply after 10h (allowed 12h)")
    # Still waiting at now: the clock stands still, so the ticket is not late yet.
    still = ticket(status(1, Status.WAITING_CUSTOMER))
    assert first_reply_within(still, ctx(50)) is None


def test_deskplan_comments_internal_notes_and_requester_comments_are_not_replies():
    quiet = ticket(reply(1, by_deskplan=True), note(2), requester(3), reply(14))
    assert first_reply_within(quiet, ctx(100)).detail == "first reply after 14h (allowed 12h)"


def test_first_reply_on_a_business_calendar():
    # Friday 16:00 Berlin (15:00 UTC) -> Monday 10:00 Berlin: 1h Friday + 1h Monday = 2h
    friday = T0 + timedelta(days=4, hours=7)
    weekend = ticket(reply(66, base=friday), created=friday)
    calendar_ctx = MetricContext(now=friday + timedelta(days=10), threshold=timedelta(hours=2),
                                 elapsed=OFFICE.elapsed,
                                 active_elapsed=lambda t, a, b: active_elapsed(t, OFFICE, a, b))
    observed = first_reply_within(weekend, calendar_ctx)
    assert (observed.hit, observed.detail) == (True, "first reply after 2h (allowed 2h)")


# --- resolution_within -----------------------------------------------------------------------

def test_resolution_to_the_first_solve_without_waiting_time():
    solved = ticket(reply(1), status(2, Status.WAITING_CUSTOMER), status(20, Status.OPEN),
                    status(30, Status.SOLVED), status(40, Status.OPEN), status(50, Status.SOLVED))
    observed = resolution_within(solved, ctx(100, threshold_hours=24))
    assert (observed.at, observed.hit, observed.detail) == (T0, True, "resolution after 12h (allowed 24h)")


def test_resolution_closed_without_solve_counts_and_unsolved_is_missed_once_late():
    closed = ticket(status(25, Status.CLOSED))
    assert resolution_within(closed, ctx(100, threshold_hours=24)).hit is False
    open_ticket = ticket(reply(1))
    assert resolution_within(open_ticket, ctx(23, threshold_hours=24)) is None
    assert resolution_within(open_ticket, ctx(25, threshold_hours=24)).detail == \
        "no resolution after 25h (allowed 24h)"


# --- first_contact_resolution -----------------------------------------------------------------

def test_fcr_one_reply_and_solved():
    observed = first_contact_resolution(ticket(reply(1), status(2, Status.SOLVED)), ctx(100, None))
    assert (observed.at, observed.hit, observed.detail) == (at(2), True, "solved with 1 public reply")


def test_fcr_two_replies_or_none_is_not_first_contact():
    two = first_contact_resolution(ticket(reply(1), reply(2), status(3, Status.SOLVED)), ctx(100, None))
    assert (two.hit, two.detail) == (False, "solved with 2 public replies")
    none = first_contact_resolution(ticket(note(1), status(3, Status.SOLVED)), ctx(100, None))
    assert (none.hit, none.detail) == (False, "solved with 0 public replies")


def test_fcr_reopened_ticket_is_not_first_contact_and_is_observed_at_its_first_solve():
    reopened = ticket(reply(1), status(2, Status.SOLVED), requester(5), status(5, Status.OPEN),
                      status(6, Status.SOLVED))
    observed = first_contact_resolution(reopened, ctx(100, None))
    assert (observed.at, observed.hit, observed.detail) == (at(2), False, "solved with 1 public reply, then reopened")
    # Before the reopen had happened, it counted as first contact.
    assert first_contact_resolution(reopened, ctx(4, None)).hit is True


def test_fcr_unsolved_is_not_observed_and_later_replies_do_not_count():
    assert first_contact_resolution(ticket(reply(1)), ctx(100, None)) is None
    thanks = ticket(reply(1), status(2, Status.SOLVED), reply(3))
    assert first_contact_resolution(thanks, ctx(100, None)).hit is True


# --- csat -----------------------------------------------------------------------------------

def test_csat_counts_the_latest_score_at_its_latest_change():
    changed = ticket(reply(1), status(2, Status.SOLVED), rating(10, Score.BAD), rating(30, Score.GOOD),
                     satisfaction=(30, Score.GOOD))
    observed = csat(changed, ctx(100, None))
    assert (observed.at, observed.hit, observed.detail) == (at(30), True, "rated good")
    # As of hour 20 the rating was still bad, given at hour 10.
    before = csat(changed, ctx(20, None))
    assert (before.at, before.hit) == (at(10), False)


def test_csat_from_the_current_satisfaction_alone_and_no_rating():
    only_current = ticket(reply(1), satisfaction=(5, Score.BAD))
    assert (csat(only_current, ctx(100, None)).at, csat(only_current, ctx(100, None)).hit) == (at(5), False)
    assert csat(ticket(reply(1)), ctx(100, None)) is None


# --- complaint_rate -------------------------------------------------------------------------

def test_complaint_rate_counts_tickets_in_the_complaint_category():
    t = ticket(reply(1))
    assert complaint_rate(t, ctx(100, None), frozenset({"complaint", "attitude"})).hit is True
    plain = complaint_rate(t, ctx(100, None), frozenset({"attitude"}))
    assert (plain.at, plain.hit) == (T0, False)


# --- feedback_response_within ----------------------------------------------------------------

def test_bad_rating_answered_within_the_threshold_by_a_note_or_reply():
    noted = ticket(reply(1), status(2, Status.SOLVED), rating(10, Score.BAD), note(40))
    observed = feedback_response_within(noted, ctx(200, threshold_hours=48))
    assert (observed.at, observed.hit, observed.detail) == \
        (at(10), True, "answer to the bad rating after 30h (allowed 48h)")
    late = ticket(reply(1), rating(10, Score.BAD), note(5), reply(60, by_deskplan=True), reply(70))
    observed = feedback_response_within(late, ctx(200, threshold_hours=48))
    assert (observed.hit, observed.detail) == (False, "answer to the bad rating after 60h (allowed 48h)")


def test_bad_rating_without_answer_and_ratings_that_are_not_bad():
    silent = ticket(reply(1), rating(10, Score.BAD))
    assert feedback_response_within(silent, ctx(57, threshold_hours=48)) is None
    assert feedback_response_within(silent, ctx(59, threshold_hours=48)).hit is False
    turned_good = ticket(reply(1), rating(10, Score.BAD), rating(20, Score.GOOD))
    assert feedback_response_within(turned_good, ctx(200, threshold_hours=48)) is None
    assert feedback_response_within(ticket(reply(1)), ctx(200, threshold_hours=48)) is None
