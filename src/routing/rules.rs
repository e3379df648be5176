//! Rule choice: the first rule, in priority order, whose conditions all hold for a chat.

use crate::model::{ChatContext, Condition, Model, RuleId};

/// The rule a chat follows: the first whose conditions all hold, or `None` if none does (the
/// chat then goes to `[fallback]`, or gets the after-hours action when there is none).
pub fn choose_rule(model: &Model, cx: &ChatContext<'_>) -> Option<RuleId> {
    model
        .rules
        .iter()
        .position(|r| r.when.iter().all(|c| c.matches(cx, &model.calendars)))
        .map(|i| RuleId(i as u32))
}

/// The conditions of a rule that do not hold for a chat (empty when the rule matches).
pub fn failing_conditions<'m>(
    model: &'m Model,
    rule: RuleId,
    cx: &ChatContext<'_>,
) -> Vec<&'m Condition> {
    model.rules[rule.ix()]
        .when
        .iter()
        .filter(|c| !c.matches(cx, &model.calendars))
        .collect()
}
