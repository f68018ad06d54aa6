"""A seeded generator of realistic helpdesk stories over the six months before `now`.

Both simulators render the same Scenario, so a seed reproduces the same helpdesk in
Zendesk's and in Jira's shapes. The mix is what a service improvement plan is measured
on: channels, priorities, complaint tickets, VIP customers, teams and organizations,
Chinese and English text, waiting-for-customer and on-hold periods, reopens, one or
several agent replies, internal notes, ratings (some bad ones later changed to good),
rare deletions, and tickets still open at `now`.

Everything is drawn from one `random.Random(seed)`, so a seed gives the same story on
every machine; times are UTC, whole seconds, and each ticket's events are strictly
ordered after its creation (two events share an instant only when one actor did both
in one update, e.g. a reply that also set the status).
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

from deskplan_sandbox.gcpause import gc_paused
from deskplan_sandbox.scenario import (
    Comment,
    Person,
    Priority,
    Rating,
    Role,
    Scenario,
    ScenarioStatus,
    ScenarioTicket,
    Score,
    StatusChange,
)

HISTORY = timedelta(days=182)
CLOSE_AFTER_SOLVED = timedelta(days=4)

GROUPS = ["Support", "Billing", "Technical", "Logistics", "华东客服"]
ORGANIZATIONS = [
    "Acme Retail", "Globex", "Initech", "Umbrella Health", "Stark Logistics",
    "上海星辰科技", "北京云帆贸易", "深圳海川电子", "杭州青禾食品",
]

CHANNELS = ["web", "email", "chat", "api", "voice"]
CHANNEL_WEIGHTS = [35, 35, 12, 8, 10]
PRIORITIES: list[Priority | None] = ["low", "normal", "high", "urgent", None]
PRIORITY_WEIGHTS = [20, 52, 17, 7, 4]
TYPES: list[str | None] = ["question", "incident", "problem", "task", "complaint", None]
TYPE_WEIGHTS = [38, 28, 8, 4, 12, 10]

# Median first-reply delay by priority, in minutes: urgent work is picked up first.
FIRST_REPLY_MEDIAN = {"urgent": 40, "high": 120, "normal": 300, "low": 600, None: 360}

# One team gets a real improvement from a date: from eight weeks before `now`, Billing answers
# first in a fifth of the time (a new rota), while the other teams go on as before. A plan that
# pilots a measure on Billing from about then (the example workspace's M2, as `deskplan demo`
# dates it) sees an effect that the other teams, its control group, do not share.
IMPROVED_GROUP = "Billing"
IMPROVED_FOR = timedelta(weeks=8)
IMPROVED_FIRST_REPLY = 0.2

EN_FIRST = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Mason", "Sophia", "Lucas", "Mia", "Ethan", "Grace", "Jack"]
EN_LAST = ["Smith", "Brown", "Wilson", "Taylor", "Clark", "Walker", "Young", "King", "Wright", "Green"]
ZH_FAMILY = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"]
ZH_GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "杰", "婷", "浩", "雪", "涛"]

# topic -> (group, tag, [(zh subject, en subject)], (zh description, en description))
TOPICS = {
    "refund": ("Billing", "refund",
               [("订单 #{n} 的退款还没到账", "Refund for order #{n} not received"),
                ("申请退款：订单 #{n}", "Refund request for order #{n}")],
               ("你好，我在两周前申请了订单 #{n} 的退款，到现在还没有收到，请帮忙查一下。",
                "Hi, I asked for a refund on order #{n} two weeks ago and still have not received it. "
                "Could you check?")),
    "invoice": ("Billing", "invoice",
                [("发票抬头开错了（订单 #{n}）", "Wrong company name on invoice #{n}"),
                 ("需要补开增值税发票", "Need a VAT invoice for order #{n}")],
                ("发票上的公司名称不对，麻烦重新开具，订单号 #{n}。",
                 "The invoice for order #{n} shows the wrong company name, please issue a corrected one.")),
    "shipping": ("Logistics", "shipping",
                 [("快递三天没有更新 #{n}", "Parcel #{n} has not moved for three days"),
                  ("收到的商品破损 #{n}", "Item arrived damaged, order #{n}")],
                 ("物流信息三天没有更新了，订单 #{n}，能帮忙催一下吗？",
                  "Tracking for order #{n} has not updated in three days. Can you chase the carrier?")),
    "login": ("Support", "login",
              [("无法登录账户", "Cannot log in to my account"),
               ("收不到验证码", "Verification code never arrives")],
              ("我一直收不到短信验证码，没法登录，账户 ID {n}。",
               "I never get the verification code and cannot log in. Account id {n}.")),
    "outage": ("Technical", "outage",
               [("接口返回 500 错误", "API returns 500 errors since this morning"),
                ("后台页面打不开", "Dashboard does not load")],
               ("从今天早上开始接口一直返回 500，影响我们的线上业务，请尽快处理！",
                "Since this morning the API returns HTTP 500 for every call; our production is affected.")),
    "product": ("Technical", "product",
                [("设备 #{n} 无法开机", "Device #{n} will not power on"),
                 ("固件升级后功能异常", "Feature broken after firmware update")],
                ("升级固件以后设备就无法正常使用了，序列号 {n}。",
                 "After the firmware update the device stopped working. Serial number {n}.")),
    "account": ("华东客服", "account",
                [("修改账户绑定手机号", "Change the phone number on my account"),
                 ("企业账户开通咨询", "Question about opening a business account")],
                ("想咨询一下企业账户怎么开通，需要准备哪些材料？",
                 "How do I open a business account and which documents do you need?")),
}
TOPIC_NAMES = list(TOPICS)

COMPLAINT_SUBJECTS = [
    ("投诉：客服态度很差", "Complaint: rude support agent"),
    ("投诉：多次联系无人处理 #{n}", "Unacceptable: nobody answers about order #{n}"),
    ("对售后服务非常不满意", "I want to complain about your after-sales service"),
]
COMPLAINT_BODIES = (
    "我已经联系了三次，每次都说会处理，到现在还没有结果，我要投诉！",
    "This is unacceptable. I have contacted you three times and nobody has solved it. I want to complain.",
)

AGENT_REPLIES = (
    ["您好，已收到您的问题，我们正在核实，请稍候。", "您好，麻烦提供一下订单截图，方便我们进一步处理。",
     "已经为您联系相关部门，预计一个工作日内回复。", "感谢耐心等待，请确认问题是否仍然存在？"],
    ["Thanks for reaching out, we are looking into it.",
     "Could you send a screenshot of the error so we can investigate?",
     "I have escalated this to the team in charge; expect an update within one business day.",
     "Thanks for your patience. Is the problem still happening on your side?"],
)
AGENT_SOLUTIONS = (
    ["问题已处理完毕，如有其他疑问欢迎随时联系。", "退款已经原路退回，预计 1-3 个工作日到账。",
     "已为您重新发货，物流单号已更新。"],
    ["This is fixed now; let us know if anything else comes up.",
     "The refund has been issued and should arrive in 1-3 business days.",
     "We shipped a replacement; the tracking number is in your order page."],
)
INTERNAL_NOTES = (
    ["内部备注：已与物流确认，包裹在转运中心滞留。", "内部备注：需要二线技术支持协助排查日志。",
     "内部备注：客户为重点客户，优先处理。"],
    ["Internal: checked with the carrier, parcel is stuck at the hub.",
     "Internal: needs tier-2 to look at the server logs.",
     "Internal: key account, handle with priority."],
)
HOLD_NOTES = (["内部备注：等待供应商回复，先挂起。"], ["Internal: waiting on the vendor, putting this on hold."])
REQUESTER_FOLLOWUPS = (
    ["好的，截图已经上传，请查收。", "还是不行，问题依旧。", "请问现在处理得怎么样了？"],
    ["Screenshot attached.", "Still not working, same error.", "Any update on this?"],
)
REOPEN_MESSAGES = (["问题又出现了，请再看一下。", "退款还是没有到账。"],
                   ["It happened again, please reopen.", "The refund still has not arrived."])
GOOD_RATING_COMMENTS = (["处理很快，谢谢！", "客服很耐心。"], ["Quick and helpful, thanks!", "Very patient agent."])
# One of each kind of complaint a feedback analysis sorts out: waiting (process), an
# unsolved problem (quality), the agent's manner (attitude), the product itself.
BAD_RATING_COMMENTS = (
    ["等了太久才有人回复。", "问题根本没有解决。", "客服态度很差，很不耐烦。", "App 一直闪退，质量太差。"],
    ["Took far too long to get an answer.", "My problem was not solved at all.",
     "The agent was rude and impatient.", "The app keeps crashing, the product is broken."],
)
BAD_RATING_FOLLOWUPS = (
    ["内部备注：已电话回访客户，致歉并补偿优惠券。"],
    ["Internal: called the customer back, apologised and offered a voucher."],
)


def generate_scenario(tickets: int, seed: int, now: datetime, *, improvement: bool = True) -> Scenario:
    """`tickets` tickets created over the six months before `now`, the same for the same seed.

    With `improvement=False` no team improves (IMPROVED_GROUP answers as it did before, over
    the whole history), for a story whose goal windows are counted one by one and must not
    depend on the demo's pilot. The two stories agree up to the first improved ticket whose
    story, moved on by its quicker reply, draws more or fewer numbers before `now` than it
    would have; from there on the draws, and so the tickets, differ."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(timezone.utc).replace(microsecond=0)
    rng = random.Random(seed)
    agents, requesters, vip_requesters = _people(rng, tickets)
    agents_by_group = {group: [a for i, a in enumerate(agents) if i % len(GROUPS) == g]
                       for g, group in enumerate(GROUPS)}
    with gc_paused():
        story = [
            _ticket(rng, number, now, requesters, vip_requesters, agents_by_group, improvement)
            for number in range(1, tickets + 1)
        ]
    # Ticket numbers follow creation time, as helpdesk sequence numbers do.
    story.sort(key=lambda t: t.created_at)
    for number, ticket in enumerate(story, start=1):
        ticket.number = number
    return Scenario(people=agents + requesters, tickets=story, groups=list(GROUPS),
                    organizations=list(ORGANIZATIONS), now=now)


def _people(rng: random.Random, tickets: int) -> tuple[list[Person], list[Person], set[int]]:
    agent_count = max(len(GROUPS) * 2, min(tickets // 150, 400))
    requester_count = max(20, tickets // 3)
    agents = [_person(rng, i, "agent", None) for i in range(1, agent_count + 1)]
    requesters = []
    for i in range(agent_count + 1, agent_count + requester_count + 1):
        organization = rng.choice(ORGANIZATIONS) if rng.random() < 0.7 else None
        requesters.append(_person(rng, i, "requester", organization))
    vip = {p.id for p in requesters if rng.random() < 0.08}
    return agents, requesters, vip


def _person(rng: random.Random, pid: int, role: Role, organization: str | None) -> Person:
    domain = "support.example.com" if role == "agent" else "customer.example.com"
    if rng.random() < 0.5:
        name = rng.choice(ZH_FAMILY) + rng.choice(ZH_GIVEN) + (rng.choice(ZH_GIVEN) if rng.random() < 0.6 else "")
        email = f"user{pid}@{domain}"
    else:
        first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
        name = f"{first} {last}"
        email = f"{first.lower()}.{last.lower()}{pid}@{domain}"
    return Person(id=pid, name=name, email=email, role=role, organization=organization)


class _Story:
    """One ticket's events on a clock that only moves forward and stops at `now`."""

    def __init__(self, created: datetime, now: datetime):
        self.t = created
        self.now = now
        self.over = False
        self.status: ScenarioStatus = "new"
        self.status_changes: list[StatusChange] = []
        self.comments: list[Comment] = []
        self.ratings: list[Rating] = []

    def wait(self, seconds: float) -> bool:
        """Move the clock on (at least one second); False once the story runs past now."""
        if self.over:
            return False
        t = self.t + timedelta(seconds=max(1, int(seconds)))
        if t > self.now:
            self.over = True
            return False
        self.t = t
        return True

    def say(self, author: int, body: str, public: bool) -> None:
        self.comments.append(Comment(self.t, author, body, public))

    def set_status(self, status: ScenarioStatus, by: int) -> None:
        if status != self.status:
            self.status = status
            self.status_changes.append(StatusChange(self.t, status, by))

    def rate(self, score: Score, comment: str | None) -> None:
        self.ratings.append(Rating(self.t, score, comment))


def _minutes(rng: random.Random, median: float, sigma: float = 1.0, cap_days: float = 10) -> float:
    """A log-normal delay in seconds: most replies are quick, a few take days."""
    return min(median * 60 * math.exp(rng.gauss(0, sigma)), cap_days * 86400)


def _ticket(rng: random.Random, number: int, now: datetime, requesters: list[Person],
            vip: set[int], agents_by_group: dict[str, list[Person]], improvement: bool) -> ScenarioTicket:
    created = now - timedelta(seconds=rng.randrange(int(HISTORY.total_seconds())))
    requester = rng.choice(requesters)
    lang = 0 if rng.random() < 0.5 else 1                       # 0: Chinese, 1: English
    topic = rng.choice(TOPIC_NAMES)
    group, topic_tag, subjects, bodies = TOPICS[topic]
    kind = rng.choices(TYPES, TYPE_WEIGHTS)[0]
    order = rng.randrange(100000, 999999)
    if kind == "complaint":
        subject = rng.choice(COMPLAINT_SUBJECTS)[lang].format(n=order)
        description = COMPLAINT_BODIES[lang]
    else:
        subject = rng.choice(subjects)[lang].format(n=order)
        description = bodies[lang].format(n=order)
    tags = [topic_tag]
    if requester.id in vip:
        tags.append("vip")
    if kind == "complaint":
        tags.append("complaint")
    priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
    if "vip" in tags and priority in ("low", "normal", None):
        priority = "high"
    # A few fresh tickets wait in the queue unassigned; old ones were all picked up at some point.
    fresh = now - created < timedelta(days=2)
    unassigned = rng.random() < (0.3 if fresh else 0.002)
    assignee = None if unassigned else rng.choice(agents_by_group[group])

    story = _Story(created, now)
    story.status_changes.append(StatusChange(created, "new", requester.id))
    story.say(requester.id, description, True)
    improved = improvement and group == IMPROVED_GROUP and created >= now - IMPROVED_FOR
    if assignee is not None:
        _work(rng, story, requester.id, assignee.id, priority, lang, agents_by_group[group],
              first_reply=IMPROVED_FIRST_REPLY if improved else 1.0)

    deleted_at = None
    if rng.random() < 0.006:
        candidate = story.t + timedelta(seconds=rng.randrange(3600, 5 * 86400))
        deleted_at = candidate if candidate <= now else None
    return ScenarioTicket(
        number=number, subject=subject, description=description, requester=requester.id,
        assignee=assignee.id if assignee else None, group=group, organization=requester.organization,
        priority=priority, type=kind, channel=rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0], tags=tags,
        created_at=created, status_changes=story.status_changes, comments=story.comments,
        ratings=story.ratings, deleted_at=deleted_at,
    )


def _work(rng: random.Random, story: _Story, requester: int, agent: int, priority: str | None,
          lang: int, colleagues: list[Person], first_reply: float = 1.0) -> None:
    """Agent and requester take turns until the ticket is solved, rated and closed, or `now` comes;
    `first_reply` scales the first reply's delay."""
    rounds_wanted = rng.choices([1, 2, 3, 4], [30, 40, 20, 10])[0]
    rounds = 0
    reopened = held = False
    while True:
        median = FIRST_REPLY_MEDIAN[priority] * first_reply if rounds == 0 else 180
        if rng.random() < 0.2:
            if not story.wait(_minutes(rng, 30, 0.8)):
                return
            story.say(rng.choice(colleagues).id, rng.choice(INTERNAL_NOTES[lang]), False)
        if not story.wait(_minutes(rng, median)):
            return
        rounds += 1
        if rounds >= rounds_wanted:
            story.say(agent, rng.choice(AGENT_SOLUTIONS[lang]), True)
            story.set_status("solved", agent)
        elif not held and rng.random() < 0.1:
            held = True
            story.say(agent, HOLD_NOTES[lang][0], False)
            story.set_status("on_hold", agent)
            if not story.wait(rng.randrange(86400, 3 * 86400)):
                return
            story.set_status("open", agent)
            continue
        else:
            story.say(agent, rng.choice(AGENT_REPLIES[lang]), True)
            story.set_status("waiting_customer", agent)
            if rng.random() < 0.8:
                if not story.wait(_minutes(rng, 480, 1.2)):
                    return
                story.say(requester, rng.choice(REQUESTER_FOLLOWUPS[lang]), True)
                story.set_status("open", requester)
            else:                                   # the customer went quiet: solved after three days
                if not story.wait(3 * 86400):
                    return
                story.say(agent, rng.choice(AGENT_SOLUTIONS[lang]), True)
                story.set_status("solved", agent)
        if story.status != "solved":
            continue
        if not reopened and rng.random() < 0.12:
            reopened = True
            if not story.wait(rng.randrange(3600, 72 * 3600)):
                return
            story.say(requester, rng.choice(REOPEN_MESSAGES[lang]), True)
            story.set_status("open", requester)
            rounds_wanted = rounds + rng.choice([1, 2])
            continue
        break
    _rate(rng, story, agent, lang)
    if story.t + CLOSE_AFTER_SOLVED <= story.now:
        story.t += CLOSE_AFTER_SOLVED
        story.set_status("closed", agent)


def _rate(rng: random.Random, story: _Story, agent: int, lang: int) -> None:
    if rng.random() >= 0.45 or not story.wait(_minutes(rng, 360)):
        return
    good = rng.random() < 0.78
    comments = GOOD_RATING_COMMENTS if good else BAD_RATING_COMMENTS
    story.rate("good" if good else "bad", rng.choice(comments[lang]) if rng.random() < 0.6 else None)
    if good or rng.random() >= 0.7:
        return
    # Negative feedback is followed up; a third of the customers then change their mind.
    if not story.wait(_minutes(rng, 240)):
        return
    story.say(agent, BAD_RATING_FOLLOWUPS[lang][0], False)
    if rng.random() < 0.35 and story.wait(_minutes(rng, 600)):
        story.rate("good", GOOD_RATING_COMMENTS[lang][0])
