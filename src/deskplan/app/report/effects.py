"""The measures' effects as the report shows them: JSON fields and text lines (kpi/effect.py
computes them; the HTML part is effects_html.py).

JSON, per measure, beside its ticket and SLA figures:

    "start": the day it took effect | null, "budget": {"amount", "currency"} | null,
    "pilot": {"scope", "control" (conditions as written; control null: every other ticket),
              "start", "end" (| null), "before": {"start", "end"}, "during": {"start", "end"},
              "goals": [{"goal", "metric", "direction",
                         "pilot_before", "pilot_during", "control_before", "control_during"
                             (each {"value", "numerator", "denominator"}),
                         "effect_pp", "ci_low_pp", "ci_high_pp" (| null without a ticket in a cell),
                         "expected_pp", "expected_given", "verdict" (effective | harmful |
                         no_effect_detected | too_early),
                         "needed": {"pilot", "control", "per_cell"} (with too_early) | null,
                         "cost_per_pp" | null}]} | null,
    "uncontrolled": {"start", "before": {"start", "end"}, "after": {"start", "end"},
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
from deskplan.kpi.effect import GoalChange, GoalEffect, MeasureEffect, Rate, Span

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
            "cost_per_pp": g.cost_per_pp,
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
            "end": pilot.end.isoformat() if pilot.end else None, "before": span(pilot.before),
            "during": span(pilot.during), "goals": [goal_effect(g) for g in pilot.goals],
        },
        "uncontrolled": None if before_after is None else {
            "start": before_after.start.isoformat(), "before": span(before_after.before),
            "after": span(before_after.after), "goals": [goal_change(g) for g in before_after.goals],
        },
        "cost_per_pp": effect.cost_per_pp,
    }


# --- text -------------------------------------------------------------------------------------

def pp(value: float | None, sign: bool = True) -> str:
    return "–" if value is None else (f"{value:+.1f}pp" if sign else f"{value:.1f}pp")


def rate_text(rate: Rate) -> str:
    return "–" if rate.value is None else f"{rate.value * 100:.0f}% ({rate.numerator}/{rate.denominator})"


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
        if effect.pilot:
            if effect.pilot.end:
                since = lang._("  pilot from {start} to {end}", start=effect.pilot.start, end=effect.pilot.end)
            else:
                since = lang._("  pilot from {start}, running", start=effect.pilot.start)
            lines.append(fit(since, WIDTH))
            for g in effect.pilot.goals:
                lines.append(fit(f"  {g.goal}", WIDTH))
                lines.append(fit(lang._(
                    "    pilot {pilot_before} → {pilot_during} · control {control_before} → {control_during}",
                    pilot_before=rate_text(g.pilot_before), pilot_during=rate_text(g.pilot_during),
                    control_before=rate_text(g.control_before), control_during=rate_text(g.control_during)), WIDTH))
                lines.append(fit(lang._("    effect {effect} {interval} · expected {expected} · {verdict}",
                                        effect=pp(g.effect_pp), interval=interval_text(g.ci_low_pp, g.ci_high_pp),
                                        expected=pp(g.expected_pp), verdict=verdict_label(g.verdict, lang)), WIDTH))
                if g.needed is not None:
                    lines.append(fit(lang._("    to see {expected}: about {pilot} more pilot and {control} more "
                                            "control tickets", expected=pp(g.expected_pp), pilot=g.needed.pilot,
                                            control=g.needed.control), WIDTH))
        elif effect.uncontrolled:
            lines.append(fit(lang._("  no pilot: before and after {start} (uncontrolled: not proof, a quiet month "
                                    "looks the same)", start=effect.uncontrolled.start), WIDTH))
            for c in effect.uncontrolled.goals:
                lines.append("  " + fit(c.goal, 26) + fit(f"{rate_text(c.before)} → {rate_text(c.after)}", 34)
                             + fit_right(f"{pp(c.change_pp)} {interval_text(c.ci_low_pp, c.ci_high_pp)}", 24)
                             + "  " + verdict_label("uncontrolled", lang))
    return lines + [""]
