"""Rules and SLA clocks at scale: `python bench/bench_rules.py [--rules 200] [--tickets 100000]`.

A workspace with the example plan (its calendars: support-hours in Asia/Shanghai with CN
holidays, and 24x7) and `--rules` generated rules (seeded) of the kinds process owners write:
priority/status/type/group/channel/organization tests, tags, regular expressions over the
whole text (English and Chinese), satisfaction, ages, combinations with all/any/not; they
set measures, categories, SLA targets and a few tasks. Tickets are generated helpdesk
tickets (bench/tickets.py), `--distinct` of them built, then copied with ids of their own up
to `--tickets`.

Printed, all on one core of this machine:
- rule evaluations per second: rules x tickets / time of `Engine.matching` (which rules hold);
  the rule index means most rules are ruled out without running their condition, so the
  conditions actually run per ticket are printed too;
- full evaluations per second (`Workspace.evaluate`: measures, categories, the strictest SLA
  target of each kind; tasks not rendered, as the report does);
- SLA clocks per second (`compute_clocks` on each ticket's targets and calendars).
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from deskplan.rules.load import load_workspace
from deskplan.rules.sla import compute_clocks
from deskplan.workspace.init import init_workspace
from measure import emit, load_average, speed_reference
from tickets import NOW, generated_tickets, many

PRIORITIES = ["low", "normal", "high", "urgent"]
STATUSES = ["new", "open", "waiting_customer", "on_hold", "solved", "closed"]
TYPES = ["question", "incident", "problem", "complaint"]
GROUPS = ["Support", "Billing", "Technical", "Logistics", "华东客服"]
CHANNELS = ["web", "email", "chat", "api", "voice"]
ORGANIZATIONS = ["Acme Retail", "Globex", "Initech", "上海星辰科技", "北京云帆贸易"]
TAGS = ["refund", "invoice", "vip", "order", "delivery", "login", "bug", "outage", "billing", "feedback"]
PATTERNS = ["退款|refund", "invoice|发票", "(?i)urgent|紧急", "crash(ed)?|崩溃|闪退", "password|密码",
            r"(?i)\border\b|订单", "delivery|物流|快递", "(?i)cancel(led)?", "complain|投诉|unacceptable",
            "slow|很慢|卡顿", r"#\d{4,}", "(?i)not (received|working)"]
WORDS = ["order", "refund", "invoice", "password", "login", "订单", "发票", "退款", "error", "delivery"]
MEASURES = ["M1", "M2", "M3", "M4", "M5"]
CATEGORIES = ["attitude", "quality", "product", "process", "complaint"]


def condition(rng: random.Random, depth: int = 0) -> dict:
    """One generated condition; combinations nest at most two deep."""
    kind = rng.randrange(14 if depth < 1 else 11)
    if kind == 0:
        return {"priority": {"in": rng.sample(PRIORITIES, rng.randint(1, 2))}}
    if kind == 1:
        return {"status": {"in": rng.sample(STATUSES, 2)}}
    if kind == 2:
        return {"type": rng.choice(TYPES)}
    if kind == 3:
        return {"group": {"in": rng.sample(GROUPS, rng.randint(1, 3))}}
    if kind == 4:
        return {"channel": rng.choice(CHANNELS)}
    if kind == 5:
        return {"tags": {"contains": rng.choice(TAGS)}}
    if kind == 6:
        return {"text": {"matches": rng.choice(PATTERNS)}}
    if kind == 7:
        return {"subject": {"contains": rng.choice(WORDS)}}
    if kind == 8:
        return {"satisfaction": "bad"}
    if kind == 9:
        return {"all": [{"status": {"in": ["new", "open"]}}, {"created_at": {"older_than": f"{rng.randint(1, 60)}d"}}]}
    if kind == 10:
        return {"organization": {"in": rng.sample(ORGANIZATIONS, 2)}}
    if kind == 11:
        return {"all": [condition(rng, depth + 1) for _ in range(rng.randint(2, 3))]}
    if kind == 12:
        return {"any": [condition(rng, depth + 1) for _ in range(rng.randint(2, 3))]}
    return {"all": [condition(rng, depth + 1), {"not": condition(rng, depth + 1)}]}


def rule(rng: random.Random, number: int) -> dict:
    # Most rules narrow by a single-valued field first, as owners write them ("urgent ones that
    # …", "billing tickets where …"), so that a few of the 200 hold for any one ticket.
    narrow = rng.choice([{"priority": rng.choice(PRIORITIES)}, {"type": rng.choice(TYPES)},
                         {"group": rng.choice(GROUPS)}, {"channel": rng.choice(CHANNELS)}])
    when = {"all": [narrow, condition(rng)]} if rng.random() < 0.85 else condition(rng)
    then: dict = {}
    if rng.random() < 0.6:
        then["measure"] = rng.choice(MEASURES)
    if rng.random() < 0.3:
        then["category"] = rng.choice(CATEGORIES)
    if rng.random() < 0.4:
        then["sla"] = {"first_reply": f"{rng.choice([1, 2, 4, 8, 12])}h",
                       "resolution": f"{rng.choice([8, 16, 24, 48])}h",
                       "calendar": rng.choice(["support-hours", "24x7"])}
    if number % 20 == 0:
        then["task"] = {"title": "Follow up {{ ticket.key }}", "owner": "Customer service", "due": "48h"}
    if not then:
        then["category"] = rng.choice(CATEGORIES)
    return {"id": f"bench-{number:03}", "description": f"generated rule {number}", "when": when, "then": then}


def write_workspace(folder: Path, rules: int, seed: int) -> Path:
    init_workspace(folder)
    rng = random.Random(seed)
    for path in (folder / "rules").glob("*.yaml"):
        path.unlink()
    generated = {"rules": [rule(rng, n) for n in range(1, rules + 1)]}
    # JSON is YAML: the generated rules are written as one JSON document.
    (folder / "rules" / "bench.yaml").write_text(json.dumps(generated, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def rate(label: str, count: int, seconds: float, unit: str) -> None:
    print(f"{label:<52} {count / seconds:>14,.0f} {unit}/s   ({count:,} in {seconds:.2f}s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=10_000, help="tickets built; the rest are copies")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    print(f"# {load_average()}; sum(range(1000)) takes {speed_reference():.1f} µs here", flush=True)
    with tempfile.TemporaryDirectory(prefix="deskplan-bench-") as tmp:
        workspace = load_workspace(write_workspace(Path(tmp), args.rules, args.seed))
    engine = workspace.engine
    started = time.perf_counter()
    tickets = list(many(generated_tickets(min(args.distinct, args.tickets), args.seed), args.tickets))
    print(f"# {len(tickets):,} tickets ({min(args.distinct, args.tickets):,} built) in "
          f"{time.perf_counter() - started:.1f}s; {len(engine.rules)} rules, index on "
          f"{len(engine.index.slots)} fields", flush=True)

    started = time.process_time()
    fired = sum(len(engine.matching(ticket, NOW)) for ticket in tickets)
    matching = time.process_time() - started
    candidates = sum(len(engine.index.candidates(engine.values(ticket, NOW))) for ticket in tickets)
    rate("rule evaluations (Engine.matching)", len(tickets) * len(engine.rules), matching, "rule x ticket")
    print(f"  conditions run per ticket {candidates / len(tickets):.1f} of {len(engine.rules)}; "
          f"rules fired per ticket {fired / len(tickets):.2f}")

    started = time.process_time()
    evaluations = [workspace.evaluate(ticket, NOW, render_tasks=False) for ticket in tickets]
    evaluating = time.process_time() - started
    rate("ticket evaluations (Workspace.evaluate)", len(tickets), evaluating, "ticket")

    started = time.process_time()
    clocks = sum(len(compute_clocks(ticket, evaluation.sla.values(), workspace.calendars, NOW))
                 for ticket, evaluation in zip(tickets, evaluations, strict=True))
    clocking = time.process_time() - started
    rate("SLA clocks (compute_clocks)", clocks, clocking, "clock")
    emit("rules", rules=len(engine.rules), tickets=len(tickets),
         rule_evaluations_per_s=round(len(tickets) * len(engine.rules) / matching),
         conditions_run_per_ticket=round(candidates / len(tickets), 1),
         evaluations_per_s=round(len(tickets) / evaluating), clocks=clocks, clocks_per_s=round(clocks / clocking))


if __name__ == "__main__":
    main()
