"""The measures' effects as the report shows them: JSON fields and text lines (kpi/effect.py
computes them; the HTML part is effects_html.py).

JSON, per measure, beside its ticket and SLA figures:

    "start": the day it took effect | null, "budget": {"amount", "currency"} | null,
    "pilot": {"scope", "control" (conditions as written; control null: every other ticket),
              "start", "end" (| null), "started" (false while the pilot lies ahead: nothing counted),
              "before": {"start", "end"}, "during": {"start", "end"},
              "goals": [{"goal", "metric", "direction",
                         "pilot_before", "pilot_during", "control_before", "control_during"
                             (each {"value", "numerator", "denominator"}),
                         "effect_pp", "ci_low_pp", "ci_high_pp" (| null without a ticket in a cell),
                         "expected_pp", "expected_given", "verdict" (effective | harmful |
                         no_effect_detected | too_early),
                         "needed": {"pilot", "control", "per_cell"} (with too_early) | null,
                         "reason": with too_early, "not_started" (then `needed` is the whole sample
                             it will need), "empty_cell" or "few_tickets" | null,
                         "cost_per_pp" | null}]} | null,
    "uncontrolled": {"start", "started", "before": {"start", "end"}, "after": {"start", "end"},
                     "goals": [{"goal", "metric", "direction", "before", "after", "change_pp",
                                "ci_low_pp", "ci_high_pp", "verdict": "uncontrolled"}]} | null,
    "cost_per_pp": budget per point of effect on its first goal with one | null
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from deskplan.app.report.labels import fit, fit_right, verdict_label
from deskplan.i18n import ENGLISH, Lang
from deskplan.kpi.effect import EMPTY_CELL, GoalChange, GoalEffect, MeasureEffect, Rate, Span

WIDTH = 100
VERDICT_LABELS = {
    "effective": "effective", "harmful": "harmful", "no_effect_detected": "no effect detected",
    "too_early": "too early", "uncontrolled": "uncontrolled",
}


def plain(value: Any) -> Any:
    """A condition as written, fit for JSON (YAML gives dates as dates)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def rate_dict(rate: Rate) -> dict[str, Any]:
    return {"value": rate.value, "numerator": rate.numerator, "denominator": rate.denominator}


def effect_fields(effect: MeasureEffect | None, local: Callable[[datetime], str]) -> dict[str, Any]:
    """The JSON fields a measure's entry gains (see the module's docstring)."""
    def span(s: Span) -> dict[str, str]:
        return {"start": local(s.start), "end": local(s.end)}

    def goal_effect(g: GoalEffect) -> dict[str, Any]:
        return {
            "goal": g.goal, "metric": g.metric, "direction": g.direction,
            "pilot_before": rate_dict(g.pilot_before), "pilot_during": rate_dict(g.pilot_during),
            "control_before": rate_dict(g.control_before), "control_during": rate_dict(g.control_during),
            "effect_pp": g.effect_pp, "ci_low_pp": g.ci_low_pp, "ci_high_pp": g.ci_high_pp,
            "expected_pp": g.expected_pp, "expected_given": g.expected_given, "verdict": g.verdict,
            "needed": None if g.needed is None else {"pilot": g.needed.pilot, "control": g.needed.control,
                                                      "per_cell": g.needed.per_cell},
            "reason": g.reason, "cost_per_pp": g.cost_per_pp,
        }

    def goal_change(g: GoalChange) -> dict[str, Any]:
        return {"goal": g.goal, "metric": g.metric, "direction": g.direction, "before": rate_dict(g.before),
                "after": rate_dict(g.after), "change_pp": g.change_pp, "ci_low_pp": g.ci_low_pp,
                "ci_high_pp": g.ci_high_pp, "verdict": g.verdict}

    if effect is None:
        return {"start": None, "budget": None, "pilot": None, "uncontrolled": None, "cost_per_pp": None}
    pilot = effect.pilot
    before_after = effect.uncontrolled
    return {
        "start": effect.start.isoformat() if effect.start else None,
        "budget": None if effect.budget is None else {"amount": effect.budget.amount,
                                                      "currency": effect.budget.currency},
        "pilot": None if pilot is None else {
            "scope": plain(pilot.scope), "control": plain(pilot.control), "start": pilot.start.isoformat(),
            "end": pilot.end.isoformat() if pilot.end else None, "started": pilot.started,
            "before": span(pilot.before),
            "during": span(pilot.during), "goals": [goal_effect(g) for g in pilot.goals],
        },
        "uncontrolled": None if before_after is None else {
            "start": before_after.start.isoformat(), "started": before_after.started,
            "before": span(before_after.before),
            "after": span(before_after.after), "goals": [goal_change(g) for g in before_after.goals],
        },
        "cost_per_pp": effect.cost_per_pp,
    }


# --- text -------------------------------------------------------------------------------------

def pp(value: float | None, sign: bool = True) -> str:
    return "–" if value is None else (f"{value:+.1f}pp" if sign else f"{value:.1f}pp")


def rate_text(rate: Rate, lang: Lang = ENGLISH) -> str:
    if rate.value is None:
        return lang._("no tickets")
    return f"{rate.value * 100:.0f}% ({rate.numerator}/{rate.denominator})"


def missing_tickets(g: GoalEffect, lang: Lang = ENGLISH) -> str:
    """Which group has no ticket in a cell: `the control group has no tickets during the pilot yet`
    ("" when every cell has one)."""
    said = []
    for group, before, during in (("pilot", g.pilot_before, g.pilot_during),
                                  ("control", g.control_before, g.control_during)):
        no_before, no_during = before.denominator == 0, during.denominator == 0
        if no_before and no_during:
            said.append(lang._("the pilot group has no tickets yet") if group == "pilot"
                        else lang._("the control group has no tickets yet"))
        elif no_during:
            said.append(lang._("the pilot group has no tickets during the pilot yet") if group == "pilot"
                        else lang._("the control group has no tickets during the pilot yet"))
        elif no_before:
            said.append(lang._("the pilot group had no tickets before the pilot") if group == "pilot"
                        else lang._("the control group had no tickets before the pilot"))
    return lang._(" and ").join(said)


def missing_change(c: GoalChange, lang: Lang = ENGLISH) -> str:
    """Why a measure without a pilot has no change yet: `no tickets since it took effect`."""
    if c.before.denominator == 0 and c.after.denominator == 0:
        return lang._("no tickets yet")
    if c.after.denominator == 0:
        return lang._("no tickets since it took effect")
    return lang._("no tickets before it took effect")


def needed_words(g: GoalEffect, lang: Lang = ENGLISH) -> str:
    """`about 12 more pilot and 30 more control tickets needed`, naming only a group that needs more."""
    needed = g.needed
    if needed is None or not (needed.pilot or needed.control):
        return ""
    if not needed.control:
        return lang._("about {pilot} more pilot tickets needed", pilot=needed.pilot)
    if not needed.pilot:
        return lang._("about {control} more control tickets needed", control=needed.control)
    return lang._("about {pilot} more pilot and {control} more control tickets needed", pilot=needed.pilot,
                  control=needed.control)


def sample_words(g: GoalEffect, lang: Lang = ENGLISH) -> str:
    """What a pilot that has not begun will need: `to see +5.0pp it will need about 778 tickets per
    group, before and during the pilot`."""
    if g.needed is None:
        return ""
    return lang._("to see {expected} it will need about {count} tickets per group, before and during the pilot",
                  expected=pp(g.expected_pp), count=g.needed.per_cell)


def interval_text(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"[{low:+.1f}, {high:+.1f}]"


def money(amount: float, currency: str) -> str:
    return f"{amount:,.0f} {currency}" if amount >= 100 else f"{amount:,.2f} {currency}"


def effect_lines(effects: tuple[MeasureEffect, ...], lang: Lang = ENGLISH) -> list[str]:
    """MEASURE EFFECTS: per measure its budget, then per goal the pilot's four rates, the effect
    with its interval and the verdict (or the before/after change, labelled uncontrolled)."""
    shown = [e for e in effects if e.pilot or e.uncontrolled or e.budget]
    if not shown:
        return []
    lines = [lang._("MEASURE EFFECTS (pilot vs control, before vs during; effect in points with its 95% interval)")]
    for effect in shown:
        if effect.budget:
            budget = lang._("budget {amount}", amount=money(effect.budget.amount, effect.budget.currency))
        else:
            budget = lang._("no budget")
        cost = (lang._(", {amount} a point", amount=money(effect.cost_per_pp, effect.budget.currency))
                if effect.cost_per_pp is not None and effect.budget else "")
        lines.append(fit(f"{effect.id} {effect.title} · {budget}{cost}", WIDTH))
        if effect.pilot and not effect.pilot.started:
            lines.append(fit(lang._("  pilot starts {start}; nothing to compare yet", start=effect.pilot.start),
                             WIDTH))
            for g in effect.pilot.goals:
                lines.append(fit(f"  {g.goal}", WIDTH))
                if g.needed is not None:
                    lines.append(fit(f"    {sample_words(g, lang)}", WIDTH))
        elif effect.pilot:
            if effect.pilot.end:
                since = lang._("  pilot from {start} to {end}", start=effect.pilot.start, end=effect.pilot.end)
            else:
                since = lang._("  pilot from {start}, running", start=effect.pilot.start)
            lines.append(fit(since, WIDTH))
            for g in effect.pilot.goals:
                lines.append(fit(f"  {g.goal}", WIDTH))
                lines.append(fit(lang._(
                    "    pilot {pilot_before} → {pilot_during} · control {control_before} → {control_during}",
                    pilot_before=rate_text(g.pilot_before, lang), pilot_during=rate_text(g.pilot_during, lang),
                    control_before=rate_text(g.control_before, lang),
                    control_during=rate_text(g.control_during, lang)), WIDTH))
                if g.reason == EMPTY_CELL or g.effect_pp is None:
                    lines.append(fit(lang._("    no effect yet: {missing}", missing=missing_tickets(g, lang)), WIDTH))
                    lines.append(fit(lang._("    expected {expected} · {verdict}", expected=pp(g.expected_pp),
                                            verdict=verdict_label(g.verdict, lang)), WIDTH))
                else:
                    lines.append(fit(lang._("    effect {effect} {interval} · expected {expected} · {verdict}",
                                            effect=pp(g.effect_pp), interval=interval_text(g.ci_low_pp, g.ci_high_pp),
                                            expected=pp(g.expected_pp), verdict=verdict_label(g.verdict, lang)),
                                     WIDTH))
                if needed_words(g, lang):
                    lines.append(fit(lang._("    to see {expected}: {needed}", expected=pp(g.expected_pp),
                                            needed=needed_words(g, lang)), WIDTH))
        elif effect.uncontrolled and not effect.uncontrolled.started:
            lines.append(fit(lang._("  no pilot: takes effect {start}; nothing to compare yet",
                                    start=effect.uncontrolled.start), WIDTH))
        elif effect.uncontrolled:
            lines.append(fit(lang._("  no pilot: before and after {start} (uncontrolled: not proof, a quiet month "
                                    "looks the same)", start=effect.uncontrolled.start), WIDTH))
            for c in effect.uncontrolled.goals:
                change = (f"{pp(c.change_pp)} {interval_text(c.ci_low_pp, c.ci_high_pp)}" if c.change_pp is not None
                          else lang._("nothing to compare"))
                lines.append("  " + fit(c.goal, 26)
                             + fit(f"{rate_text(c.before, lang)} → {rate_text(c.after, lang)}", 34)
                             + fit_right(change, 24) + "  " + verdict_label("uncontrolled", lang))
    return lines + [""]
