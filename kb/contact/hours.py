"""When the support team answers, as the policy file says, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass

from kb.policy.policy_file import describe_weekdays, timezone_city
from kb.shop import current_policy


@dataclass(frozen=True)
class SupportHours:
    """The team's days and hours, and how soon a question is answered."""

    days: str
    opens: str
    closes: str
    response_hours: int
    timezone: str  # the zone's city, as readers say it ("Paris" for Europe/Paris)


def support_hours(lang: str) -> SupportHours:
    """The support hours from the policy file, with the days named in ``lang``."""
    policy = current_policy()
    return SupportHours(
        days=describe_weekdays(policy.support_days, lang if lang in ("en", "fr") else "en"),
        opens=policy.support_opens,
        closes=policy.support_closes,
        response_hours=policy.response_hours,
        timezone=timezone_city(policy.timezone),
    )
