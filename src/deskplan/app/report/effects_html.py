"""The measures' effects in the HTML report (templates/effects.html.j2): per piloted goal one
small SVG a service manager reads in ten seconds. Left, the pilot's and the control group's
rate before and during the pilot as two sloped lines; right, the effect in points as a dot on
its 95% interval against 0, coloured and worded by the verdict."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from deskplan.app.report.effects import (
    VERDICT_LABELS,
    interval_text,
    missing_change,
    missing_tickets,
    money,
    needed_words,
    pp,
    rate_text,
    sample_words,
)
from deskplan.app.report.labels import verdict_label
from deskplan.app.report.svg import BLUE, FONT, GREEN, GRID, INK, MUTED, ORANGE, VERMILLION, _a
from deskplan.i18n import ENGLISH, Lang
from deskplan.kpi.effect import GoalEffect, MeasureEffect
from deskplan.kpi.results import Report

VERDICT_COLOURS = {"effective": GREEN, "harmful": VERMILLION, "no_effect_detected": MUTED, "too_early": ORANGE}
WIDTH, HEIGHT = 460, 150


def pilot_chart(goal: GoalEffect) -> str:
    """One goal of a pilot: the four rates and the effect with its interval (see the module's docstring)."""
    rates = [goal.pilot_before.value, goal.pilot_during.value, goal.control_before.value, goal.control_during.value]
    known = [r for r in rates if r is not None]
    low = min(known, default=0.0)
    high = max(known, default=1.0)
    pad = max(0.02, (high - low) * 0.15)
    low, high = max(0.0, low - pad), min(1.0, high + pad)
    top, bottom, x0, x1 = 28, 118, 70, 190

    def y(value: float) -> float:
        return bottom - (value - low) / (high - low or 1) * (bottom - top)

    parts = [
        f'<line x1="{x0}" y1="{bottom + 6}" x2="{x1}" y2="{bottom + 6}" stroke="{GRID}"/>',
        f'<text x="{x0}" y="{bottom + 22}" text-anchor="middle" fill="{MUTED}" {FONT}>before</text>',
        f'<text x="{x1}" y="{bottom + 22}" text-anchor="middle" fill="{MUTED}" {FONT}>during</text>',
    ]
    for name, colour, before, during, dash in (
        ("control", MUTED, rates[2], rates[3], ' stroke-dasharray="4 3"'),
        ("pilot", BLUE, rates[0], rates[1], ""),
    ):
        if before is not None and during is not None:
            parts.append(f'<line x1="{x0}" y1="{y(before):.1f}" x2="{x1}" y2="{y(during):.1f}" stroke="{colour}" '
                         f'stroke-width="2.5"{dash}/>')
        for x, value, anchor, dx in ((x0, before, "end", -8), (x1, during, "start", 8)):
            if value is None:
                continue
            parts.append(f'<circle cx="{x}" cy="{y(value):.1f}" r="4" fill="{colour}"/>')
            label = f"{value * 100:.0f}%" + (f" {name}" if x == x1 else "")
            parts.append(f'<text x="{x + dx}" y="{y(value) + 4:.1f}" text-anchor="{anchor}" fill="{colour}" '
                         f'{FONT}>{_a(label)}</text>')
    parts.append(_effect_panel(goal))
    effect = (f"Effect {pp(goal.effect_pp)} {interval_text(goal.ci_low_pp, goal.ci_high_pp)}"
              if goal.effect_pp is not None else f"No effect yet: {missing_tickets(goal)}")
    description = (
        f"{goal.goal}: pilot {rate_text(goal.pilot_before)} before, {rate_text(goal.pilot_during)} during; control "
        f"{rate_text(goal.control_before)} before, {rate_text(goal.control_during)} during. {effect}: "
        f"{VERDICT_LABELS[goal.verdict]}."
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
            f'style="max-width:{WIDTH}px" role="img" aria-label="{_a(description)}">'
            + "".join(parts) + "</svg>")


def _effect_panel(goal: GoalEffect) -> str:
    """The effect as a dot on its interval, 0 marked, the goal's good side named."""
    left, right, mid_y = 290, 450, 80
    colour = VERDICT_COLOURS[goal.verdict]
    parts = [f'<text x="{(left + right) / 2}" y="16" text-anchor="middle" fill="{INK}" {FONT} '
             f'font-weight="600">{_a(VERDICT_LABELS[goal.verdict])}</text>']
    if goal.effect_pp is None or goal.ci_low_pp is None or goal.ci_high_pp is None:
        parts.append(f'<text x="{(left + right) / 2}" y="{mid_y - 8}" text-anchor="middle" fill="{MUTED}" {FONT}>'
                     "no effect yet:</text>")
        for i, said in enumerate(_empty_cells(goal)):
            parts.append(f'<text x="{(left + right) / 2}" y="{mid_y + 8 + 14 * i}" text-anchor="middle" '
                         f'fill="{MUTED}" {FONT}>{_a(said)}</text>')
        return "".join(parts)
    reach = max(abs(goal.ci_low_pp), abs(goal.ci_high_pp), abs(goal.expected_pp), 1.0) * 1.1

    def x(points: float) -> float:
        return left + (points + reach) / (2 * reach) * (right - left)

    good = "→ better" if goal.direction == "at_least" else "← better"
    parts += [
        f'<line x1="{left}" y1="{mid_y}" x2="{right}" y2="{mid_y}" stroke="{GRID}"/>',
        f'<line x1="{x(0):.1f}" y1="{mid_y - 26}" x2="{x(0):.1f}" y2="{mid_y + 26}" stroke="{INK}"/>',
        f'<text x="{x(0):.1f}" y="{mid_y + 40}" text-anchor="middle" fill="{MUTED}" {FONT}>0</text>',
        f'<line x1="{x(goal.expected_pp):.1f}" y1="{mid_y - 14}" x2="{x(goal.expected_pp):.1f}" '
        f'y2="{mid_y + 14}" stroke="{MUTED}" stroke-dasharray="2 2"/>',
        f'<line x1="{x(goal.ci_low_pp):.1f}" y1="{mid_y}" x2="{x(goal.ci_high_pp):.1f}" y2="{mid_y}" '
        f'stroke="{colour}" stroke-width="4" stroke-linecap="round"/>',
        f'<circle cx="{x(goal.effect_pp):.1f}" cy="{mid_y}" r="6" fill="{colour}" stroke="#fff"/>',
        f'<text x="{(left + right) / 2}" y="{mid_y - 34}" text-anchor="middle" fill="{colour}" {FONT}>'
        f'{_a(pp(goal.effect_pp))} {_a(interval_text(goal.ci_low_pp, goal.ci_high_pp))}</text>',
        f'<text x="{(left + right) / 2}" y="{mid_y + 56}" text-anchor="middle" fill="{MUTED}" {FONT}>'
        f'{_a(good)} · expected {_a(pp(goal.expected_pp))}</text>',
    ]
    return "".join(parts)


def _empty_cells(goal: GoalEffect) -> list[str]:
    """The chart's short words for the cells without a ticket: `no control tickets during`."""
    said = []
    for group, before, during in (("pilot", goal.pilot_before, goal.pilot_during),
                                  ("control", goal.control_before, goal.control_during)):
        if not before.denominator and not during.denominator:
            said.append(f"no {group} tickets yet")
        elif not during.denominator:
            said.append(f"no {group} tickets during")
        elif not before.denominator:
            said.append(f"no {group} tickets before")
    return said


def effect_views(report: Report, lang: Lang = ENGLISH) -> list[dict[str, Any]]:
    """What templates/effects.html.j2 shows, per measure with a pilot, a start or a budget."""
    views = []
    for effect in report.effects:
        if not (effect.pilot or effect.uncontrolled or effect.budget):
            continue
        started = effect.pilot is None or effect.pilot.started
        views.append({
            "m": effect, "budget": _budget(effect, lang), "started": started,
            "uncontrolled_started": effect.uncontrolled is None or effect.uncontrolled.started,
            "pilot": [_pilot_view(g, started, lang) for g in (effect.pilot.goals if effect.pilot else ())],
            "uncontrolled": [{"c": c, "before": rate_text(c.before, lang), "after": rate_text(c.after, lang),
                              "change": (f"{pp(c.change_pp)} {interval_text(c.ci_low_pp, c.ci_high_pp)}"
                                         if c.change_pp is not None else missing_change(c, lang))}
                             for c in (effect.uncontrolled.goals if effect.uncontrolled else ())],
        })
    return views


def _pilot_view(g: GoalEffect, started: bool, lang: Lang) -> dict[str, Any]:
    """One piloted goal: a pilot that has not begun gets no chart, only the sample it will need."""
    if not started:
        return {"g": g, "chart": None, "verdict": lang._("not started yet"), "lines": [sample_words(g, lang)]}
    rates = [rate_text(r, lang) for r in (g.pilot_before, g.pilot_during, g.control_before, g.control_during)]
    if g.effect_pp is None:
        effect = lang._("no effect yet: {missing}", missing=missing_tickets(g, lang))
    else:
        effect = lang._("effect {effect}", effect=f"{pp(g.effect_pp)} {interval_text(g.ci_low_pp, g.ci_high_pp)}")
    lines = [lang._("pilot {before} → {during}", before=rates[0], during=rates[1]),
             lang._("control {before} → {during}", before=rates[2], during=rates[3]), effect]
    if needed_words(g, lang):
        lines.append(lang._("to see {expected}: {needed}", expected=pp(g.expected_pp), needed=needed_words(g, lang)))
    return {"g": g, "chart": Markup(pilot_chart(g)), "verdict": verdict_label(g.verdict, lang), "lines": lines}


def _budget(effect: MeasureEffect, lang: Lang = ENGLISH) -> str:
    if effect.budget is None:
        return lang._("no budget")
    text = lang._("budget {amount}", amount=money(effect.budget.amount, effect.budget.currency))
    if effect.cost_per_pp is not None:
        text += lang._(", {amount} a point of effect", amount=money(effect.cost_per_pp, effect.budget.currency))
    return text
