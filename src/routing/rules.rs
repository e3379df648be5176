//! Rule choice: the first rule, in file order, whose conditions all hold for a chat.
//!
//! Two ways to the same answer. [`choose_rule`] tries the rules one by one; with
//! [`failing_conditions`] it is what `explain` shows and what the lints reason with, rule by
//! rule. [`RuleIndex`] is what the simulator asks for every chat that reaches routing: the rules
//! compiled into tables on what their conditions read, so that a chat costs a few lookups and
//! word-wide ANDs however many rules come before the one it matches. A property test below
//! holds the two to the same rule for random rules, chats and moments.

use std::collections::BTreeMap;

use crate::model::{
    AttrId, Calendar, ChatContext, Condition, DAY, Model, NO_VALUE, RuleId, ValueId, WEEK,
};

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

/// The rules of a model compiled to give [`choose_rule`]'s answer in a few lookups.
///
/// Each condition is filed by what it reads: one attribute, ownership, the time of day, or the
/// time of the week (weekdays, calendars, and a `not` of time conditions). A `not` that mixes
/// kinds is not filed. Each kind is a table whose rows are bitsets of rules, bit `i` for rule
/// `i`: an attribute has a row per value its conditions name and one for every other value and
/// for none; ownership has two rows; the time of day and of the week have a row per stretch
/// between the moments where one of their conditions can change. A row has rule `i`'s bit set
/// when all of rule `i`'s conditions of that kind hold there, so ANDing the chat's row of every
/// table leaves the rules whose filed conditions all hold. The lowest of those whose unfiled
/// conditions (usually none) hold too is the answer: the first match, in file order.
///
/// Past 64 rules, each row also has a summary, one bit per word that is not zero, and the
/// summaries are ANDed first: only the words where every table has a candidate are read, so a
/// chat that matches the thousandth rule on an attribute no earlier rule names reads one word
/// per table, not sixteen.
///
/// Every row is filled by asking [`Condition::matches`] itself at a value or a moment that
/// stands for the row, so a table cannot disagree with the conditions it was built from; and
/// the time tables are read at the chat's moment.
#[derive(Debug, Clone)]
pub struct RuleIndex {
    /// The answer for every chat, when it is known without looking: with no rules, or a first
    /// rule without conditions (a desk with one queue).
    fixed: Option<Option<RuleId>>,
    /// 64-bit words in a row.
    words: usize,
    /// Every rule (the last word's high bits are clear), and its summary.
    all: Rows,
    attrs: Vec<AttrTable>,
    /// Row 0: chats without an owner; row 1: with one.
    owner: Option<Rows>,
    /// Stretches of the day (`hours`).
    day: Option<TimeTable>,
    /// Stretches of the week (`days`, calendars, and `not`s of time conditions).
    week: Option<TimeTable>,
    /// The rules with no unfiled condition: a candidate among them is the answer.
    plain: Vec<u64>,
    /// Rule `i`'s unfiled conditions are `rest[rest_at[i]..rest_at[i + 1]]`.
    rest_at: Vec<u32>,
    rest: Vec<Condition>,
}

/// The rows of a table: `bits` has `words` words a row; `sums` has `words.div_ceil(64)` words a
/// row, bit `w` set when word `w` of the row is not zero.
#[derive(Debug, Clone)]
struct Rows {
    bits: Vec<u64>,
    sums: Vec<u64>,
}

impl Rows {
    fn new(bits: Vec<u64>, words: usize) -> Rows {
        let per_row = words.div_ceil(64);
        let mut sums = vec![0u64; bits.len().checked_div(words).unwrap_or(0) * per_row];
        for (k, _) in bits.iter().enumerate().filter(|(_, b)| **b != 0) {
            let (row, w) = (k / words, k % words);
            sums[row * per_row + w / 64] |= 1 << (w % 64);
        }
        Rows { bits, sums }
    }
}

/// The rows of one attribute.
#[derive(Debug, Clone)]
struct AttrTable {
    attr: usize,
    /// The row of each value; `other` for a value no condition names, and for no value (no
    /// condition can tell those apart: each only asks whether the value is one it lists).
    row_of: Vec<u32>,
    other: u32,
    rows: Rows,
}

impl AttrTable {
    #[inline(always)]
    fn row(&self, attrs: &[ValueId]) -> usize {
        self.row_of
            .get(attrs[self.attr] as usize)
            .map_or(self.other, |&r| r) as usize
    }
}

/// The rows of the time of day or of the week: row `i` runs from `starts[i]` to the next start
/// (or to the end of the day or week).
#[derive(Debug, Clone)]
struct TimeTable {
    /// Sorted, from 0.
    starts: Vec<u64>,
    rows: Rows,
}

impl TimeTable {
    /// The row of a moment (of the day or of the week).
    #[inline(always)]
    fn row(&self, t: u64) -> usize {
        self.starts.partition_point(|&s| s <= t) - 1
    }
}

/// What a condition reads, which decides the table it is filed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reads {
    /// Nothing (an empty `not`, which never holds).
    Nothing,
    Attr(AttrId),
    Owner,
    /// The time of day only (`hours`).
    Day,
    /// The time of the week (`days`, `inside`, `outside`, and `hours` among them in a `not`).
    Week,
    /// More than one of the above (a `not` that mixes them).
    Mixed,
}

impl Reads {
    fn of(c: &Condition) -> Reads {
        match c {
            Condition::Attr { attr, .. } => Reads::Attr(*attr),
            Condition::HasOwner(_) => Reads::Owner,
            Condition::Hours(_) => Reads::Day,
            Condition::Days(_) | Condition::Calendar { .. } => Reads::Week,
            Condition::Not(all) => all.iter().map(Reads::of).fold(Reads::Nothing, Reads::and),
        }
    }

    fn and(self, other: Reads) -> Reads {
        match (self, other) {
            (Reads::Nothing, x) | (x, Reads::Nothing) => x,
            (x, y) if x == y => x,
            // The time of day is a function of the time of the week.
            (Reads::Day | Reads::Week, Reads::Day | Reads::Week) => Reads::Week,
            _ => Reads::Mixed,
        }
    }
}

/// The filed conditions of one kind, by rule (in rule order).
type Filed<'m> = BTreeMap<usize, Vec<&'m Condition>>;

impl RuleIndex {
    /// Compiles the model's rules: each condition is asked once per row of its table (an
    /// attribute's rows: only those of the values its rule lists). Done once per replication,
    /// outside the per-chat path.
    pub fn new(model: &Model) -> RuleIndex {
        let rules = model.rules.len();
        let words = rules.div_ceil(64);
        let mut by_attr: BTreeMap<AttrId, Filed<'_>> = BTreeMap::new();
        let (mut owner, mut day, mut week) = (Filed::new(), Filed::new(), Filed::new());
        let mut rest_at = vec![0u32];
        let mut rest = Vec::new();
        for (i, r) in model.rules.iter().enumerate() {
            for c in &r.when {
                let filed = match Reads::of(c) {
                    Reads::Attr(a) => by_attr.entry(a).or_default(),
                    Reads::Owner => &mut owner,
                    Reads::Day => &mut day,
                    Reads::Week => &mut week,
                    Reads::Nothing | Reads::Mixed => {
                        rest.push(c.clone());
                        continue;
                    }
                };
                filed.entry(i).or_default().push(c);
            }
            rest_at.push(rest.len() as u32);
        }
        let calendars = &model.calendars;
        // The rows of a table: a rule with no condition in it is in every row; one with some
        // is in the rows where they all hold, among the rows `only` leaves (all when `None`).
        type Only<'a> = &'a dyn Fn(&[&Condition]) -> Option<Vec<usize>>;
        let fill = |filed: &Filed<'_>,
                    rows: usize,
                    only: Only<'_>,
                    holds: &mut dyn FnMut(&Condition, usize) -> bool| {
            let mut free = vec![0u64; words];
            for i in (0..rules).filter(|i| !filed.contains_key(i)) {
                free[i / 64] |= 1 << (i % 64);
            }
            let mut bits: Vec<u64> = free.iter().copied().cycle().take(rows * words).collect();
            for (&i, conds) in filed {
                for row in only(conds).unwrap_or_else(|| (0..rows).collect()) {
                    if conds.iter().all(|c| holds(c, row)) {
                        bits[row * words + i / 64] |= 1 << (i % 64);
                    }
                }
            }
            Rows::new(bits, words)
        };
        let mut attrs = Vec::new();
        for (attr, filed) in &by_attr {
            let mut named: Vec<ValueId> = Vec::new();
            for conds in filed.values() {
                conds.iter().for_each(|c| values_in(c, &mut named));
            }
            named.sort_unstable();
            named.dedup();
            // The last row stands for every value no condition names, and for none.
            let other = named.len() as u32;
            let mut row_of = vec![other; named.last().map_or(0, |&v| v as usize + 1)];
            for (row, &v) in named.iter().enumerate() {
                row_of[v as usize] = row as u32;
            }
            // A rule that lists values can only be in their rows: asking the others would cost
            // a pass per value named anywhere, for every rule.
            let listed = |conds: &[&Condition]| {
                conds.iter().find_map(|c| match c {
                    Condition::Attr { values, .. } => Some(
                        values
                            .iter()
                            .map(|&v| row_of[v as usize] as usize)
                            .collect(),
                    ),
                    _ => None,
                })
            };
            let mut values = vec![NO_VALUE; model.attributes.len().max(attr.ix() + 1)];
            let rows = fill(filed, named.len() + 1, &listed, &mut |c, row| {
                values[attr.ix()] = named.get(row).copied().unwrap_or(NO_VALUE);
                c.matches(&probe(&values, 0, false), calendars)
            });
            attrs.push(AttrTable {
                attr: attr.ix(),
                row_of,
                other,
                rows,
            });
        }
        let owner = (!owner.is_empty()).then(|| {
            fill(&owner, 2, &|_| None, &mut |c, row| {
                c.matches(&probe(&[], 0, row == 1), calendars)
            })
        });
        let time = |filed: &Filed<'_>, span: u64| {
            (!filed.is_empty()).then(|| {
                let starts = starts(filed.values().flatten().copied(), calendars, span);
                let rows = fill(filed, starts.len(), &|_| None, &mut |c, row| {
                    c.matches(&probe(&[], starts[row], false), calendars)
                });
                TimeTable { starts, rows }
            })
        };
        let (day, week) = (time(&day, DAY), time(&week, WEEK));
        let mut all = vec![0u64; words];
        let mut plain = vec![0u64; words];
        for i in 0..rules {
            all[i / 64] |= 1 << (i % 64);
            if rest_at[i] == rest_at[i + 1] {
                plain[i / 64] |= 1 << (i % 64);
            }
        }
        let fixed = match model.rules.first() {
            None => Some(None),
            Some(r) if r.when.is_empty() => Some(Some(RuleId(0))),
            Some(_) => None,
        };
        RuleIndex {
            fixed,
            words,
            all: Rows::new(all, words),
            attrs,
            owner,
            day,
            week,
            plain,
            rest_at,
            rest,
        }
    }

    /// The rule every chat follows, when it is known without looking at the chat (no rules, or
    /// a first rule without conditions): a caller can then skip building the chat's context.
    #[inline]
    pub fn fixed(&self) -> Option<Option<RuleId>> {
        self.fixed
    }

    /// The rule a chat follows: the same answer as [`choose_rule`] for the model the index was
    /// built from.
    // Always inlined: its one caller, the engine, pays no call for a desk of up to 64 rules.
    #[inline(always)]
    pub fn choose(&self, model: &Model, cx: &ChatContext<'_>) -> Option<RuleId> {
        if let Some(rule) = self.fixed {
            return rule;
        }
        if self.words != 1 {
            return self.choose_among_many(model, cx);
        }
        // Up to 64 rules, most desks: a row is one word.
        let mut acc = self.all.bits[0];
        for t in &self.attrs {
            acc &= t.rows.bits[t.row(cx.attrs)];
        }
        if let Some(rows) = &self.owner {
            acc &= rows.bits[cx.has_owner as usize];
        }
        if let Some(t) = &self.day {
            acc &= t.rows.bits[t.row(cx.week_time % DAY)];
        }
        if let Some(t) = &self.week {
            acc &= t.rows.bits[t.row(cx.week_time % WEEK)];
        }
        self.first(0, acc, model, cx)
    }

    /// [`RuleIndex::choose`] past 64 rules: the summaries first, then the words they leave.
    #[inline(never)]
    fn choose_among_many(&self, model: &Model, cx: &ChatContext<'_>) -> Option<RuleId> {
        let (words, per_row) = (self.words, self.words.div_ceil(64));
        // The time tables' rows are found once (a binary search each); an attribute's row is a
        // lookup, repeated for each word read.
        let others = [
            (self.owner.as_ref(), cx.has_owner as usize),
            self.day
                .as_ref()
                .map_or((None, 0), |t| (Some(&t.rows), t.row(cx.week_time % DAY))),
            self.week
                .as_ref()
                .map_or((None, 0), |t| (Some(&t.rows), t.row(cx.week_time % WEEK))),
        ];
        // `init` ANDed with one word of the chat's row in every table.
        let and = |init: u64, word: &dyn Fn(&Rows, usize) -> u64| {
            let mut acc = init;
            for t in &self.attrs {
                acc &= word(&t.rows, t.row(cx.attrs));
            }
            for (rows, row) in others {
                if let Some(rows) = rows {
                    acc &= word(rows, row);
                }
            }
            acc
        };
        for s in 0..per_row {
            let mut sum = and(self.all.sums[s], &|rows, row| rows.sums[row * per_row + s]);
            while sum != 0 {
                let w = s * 64 + sum.trailing_zeros() as usize;
                sum &= sum - 1;
                let acc = and(self.all.bits[w], &|rows, row| rows.bits[row * words + w]);
                if let Some(rule) = self.first(w, acc, model, cx) {
                    return Some(rule);
                }
            }
        }
        None
    }

    /// The first rule among the candidates in word `w` whose unfiled conditions hold.
    #[inline(always)]
    fn first(
        &self,
        w: usize,
        mut candidates: u64,
        model: &Model,
        cx: &ChatContext<'_>,
    ) -> Option<RuleId> {
        while candidates != 0 {
            let bit = candidates.trailing_zeros() as usize;
            let i = w * 64 + bit;
            if self.plain[w] >> bit & 1 == 1
                || self.rest[self.rest_at[i] as usize..self.rest_at[i + 1] as usize]
                    .iter()
                    .all(|c| c.matches(cx, &model.calendars))
            {
                return Some(RuleId(i as u32));
            }
            candidates &= candidates - 1;
        }
        None
    }

    /// Bytes the index holds on the heap.
    #[cfg(test)]
    fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let rows = |r: &Rows| (r.bits.len() + r.sums.len()) * 8;
        let attrs: usize = self
            .attrs
            .iter()
            .map(|t| size_of::<AttrTable>() + t.row_of.len() * 4 + rows(&t.rows))
            .sum();
        let times: usize = [&self.day, &self.week]
            .into_iter()
            .flatten()
            .map(|t| t.starts.len() * 8 + rows(&t.rows))
            .sum();
        attrs
            + times
            + self.owner.as_ref().map_or(0, rows)
            + rows(&self.all)
            + self.plain.len() * 8
            + self.rest_at.len() * size_of::<u32>()
            + self.rest.len() * size_of::<Condition>()
    }
}

/// A chat that has these attribute values, owner and moment; the fields a condition does not
/// read are whatever they are.
fn probe(attrs: &[ValueId], week_time: u64, has_owner: bool) -> ChatContext<'_> {
    ChatContext {
        attrs,
        week_time,
        has_owner,
    }
}

/// Every value an attribute condition lists, inside `not`s too.
fn values_in(c: &Condition, out: &mut Vec<ValueId>) {
    match c {
        Condition::Attr { values, .. } => out.extend(values),
        Condition::Not(all) => all.iter().for_each(|c| values_in(c, out)),
        _ => {}
    }
}

/// The moments in `0..span` (a day or a week) at which one of these time conditions can change:
/// the starts and ends of their windows and of their calendars' windows, on every day, and every
/// midnight. Between two of them each condition holds throughout or not at all, so its value at
/// the first moment is its value for the whole stretch. Sorted, starting at 0.
fn starts<'m>(
    conds: impl Iterator<Item = &'m Condition>,
    calendars: &[Calendar],
    span: u64,
) -> Vec<u64> {
    fn tods(c: &Condition, calendars: &[Calendar], out: &mut Vec<u64>) {
        match c {
            Condition::Hours(w) => out.extend([w.start, w.end]),
            Condition::Calendar { calendar, .. } => {
                for w in calendars[*calendar].days.iter().flatten() {
                    out.extend([w.start, w.end]);
                }
            }
            Condition::Not(all) => all.iter().for_each(|c| tods(c, calendars, out)),
            Condition::Attr { .. } | Condition::Days(_) | Condition::HasOwner(_) => {}
        }
    }
    let mut tod = vec![0];
    conds.for_each(|c| tods(c, calendars, &mut tod));
    // A window's 24:00 (or anything past midnight) adds a moment that is only ever extra.
    let mut out: Vec<u64> = (0..span / DAY)
        .flat_map(|day| tod.iter().map(move |t| day * DAY + t % DAY))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::{Action, Rule, Shift, TICKS_PER_SEC};

    const QUARTER: u64 = 15 * 60 * TICKS_PER_SEC;
    /// Attributes that random conditions test, and their values; the models have one more
    /// attribute, the selector of [`case`].
    const ATTRS: usize = 3;
    const VALUES: u32 = 4;

    fn model(rules: Vec<Vec<Condition>>, calendars: Vec<[Vec<Shift>; 7]>) -> Model {
        let mut m = crate::scenario::parse_str("t.toml", crate::scenario::tests::MINIMAL).unwrap();
        m.attributes = (0..=ATTRS)
            .map(|a| crate::model::Attribute {
                name: format!("a{a}"),
                values: (0..VALUES).map(|v| format!("v{v}")).collect(),
            })
            .collect();
        m.calendars = calendars
            .into_iter()
            .enumerate()
            .map(|(i, days)| Calendar {
                name: format!("c{i}"),
                days,
            })
            .collect();
        m.rules = rules
            .into_iter()
            .enumerate()
            .map(|(i, when)| Rule {
                name: format!("r{i}"),
                when,
                priority: 0,
                action: Action::AfterHours,
                bot: None,
            })
            .collect();
        m
    }

    /// A moment on a quarter-hour grid, often a tick either side of it, where windows begin and
    /// end; or any moment of three weeks.
    fn moment() -> impl Strategy<Value = u64> {
        prop_oneof![
            (0..7 * 96u64, -1i64..=1).prop_map(|(q, d)| (q * QUARTER).saturating_add_signed(d)),
            0..3 * WEEK,
        ]
    }

    /// A window on the quarter-hour grid (24:00 included; start == end is every time of day),
    /// or anywhere.
    fn window() -> impl Strategy<Value = Shift> {
        prop_oneof![
            4 => (0..=96u64, 0..=96u64).prop_map(|(s, e)| Shift { start: s * QUARTER, end: e * QUARTER }),
            1 => (0..=DAY, 0..=DAY).prop_map(|(start, end)| Shift { start, end }),
        ]
    }

    fn calendar() -> impl Strategy<Value = [Vec<Shift>; 7]> {
        proptest::array::uniform7(proptest::collection::vec(window(), 0..3))
    }

    fn condition(calendars: usize) -> impl Strategy<Value = Condition> {
        let leaf = prop_oneof![
            (0..ATTRS as u32, proptest::collection::vec(0..VALUES, 1..4)).prop_map(
                |(a, mut values)| {
                    values.sort_unstable();
                    values.dedup();
                    Condition::Attr {
                        attr: AttrId(a),
                        values,
                    }
                }
            ),
            window().prop_map(Condition::Hours),
            (0..128u8).prop_map(Condition::Days),
            (0..calendars, any::<bool>())
                .prop_map(|(calendar, inside)| Condition::Calendar { calendar, inside }),
            any::<bool>().prop_map(Condition::HasOwner),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            proptest::collection::vec(inner, 0..3).prop_map(Condition::Not)
        })
    }

    /// Calendars, rules of up to four conditions (a `not` now and then, some of one kind only,
    /// some mixed), and chats at moments. With a `selector`, every rule also asks for one value in
    /// `0..selector` of a fourth attribute, and chats draw theirs from the same range: with many
    /// values, most chats pass many rules before one matches, or none does.
    fn case(
        max_rules: usize,
        selector: u32,
    ) -> impl Strategy<Value = (Model, Vec<(Vec<ValueId>, bool, u64)>)> {
        proptest::collection::vec(calendar(), 1..3).prop_flat_map(move |cals| {
            let n = cals.len();
            let pick = (0..selector.max(1)).prop_map(move |v| {
                (selector > 0).then(|| Condition::Attr {
                    attr: AttrId(ATTRS as u32),
                    values: vec![v],
                })
            });
            let rule = (pick, proptest::collection::vec(condition(n), 0..4)).prop_map(
                |(pick, mut when)| {
                    when.extend(pick);
                    when
                },
            );
            let rules = proptest::collection::vec(rule, 0..max_rules);
            // Values past the attribute's (VALUES + 1) and unset ones, too.
            let value = prop_oneof![4 => 0..VALUES + 2, 1 => Just(NO_VALUE)];
            let chat = (
                proptest::collection::vec(value, ATTRS),
                0..selector.max(1),
                any::<bool>(),
                moment(),
            )
                .prop_map(|(mut attrs, pick, owner, t)| {
                    attrs.push(pick);
                    (attrs, owner, t)
                });
            (
                rules.prop_map(move |r| model(r, cals.clone())),
                proptest::collection::vec(chat, 1..40),
            )
        })
    }

    fn same_rule(m: &Model, chats: &[(Vec<ValueId>, bool, u64)]) -> Result<(), TestCaseError> {
        let index = RuleIndex::new(m);
        for (attrs, has_owner, week_time) in chats {
            let cx = probe(attrs, *week_time, *has_owner);
            prop_assert_eq!(
                index.choose(m, &cx),
                choose_rule(m, &cx),
                "attrs {:?}, owner {}, week time {}",
                attrs,
                has_owner,
                week_time
            );
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn the_index_chooses_the_rule_the_ordered_scan_does((m, chats) in case(100, 0)) {
            same_rule(&m, &chats)?;
        }

        // Past 64 rules the index reads the words its summaries leave; a chat here passes a few
        // hundred rules on average.
        #[test]
        fn so_it_does_with_many_rules((m, chats) in case(1_200, 200)) {
            same_rule(&m, &chats)?;
        }
    }

    #[test]
    fn a_thousand_rules_on_attributes_and_hours_take_little_memory() {
        let rules = (0..1_000u32)
            .map(|k| {
                vec![
                    Condition::Attr {
                        attr: AttrId(0),
                        values: vec![k, k + 1_000],
                    },
                    Condition::Hours(Shift {
                        start: u64::from(k % 96) * QUARTER,
                        end: u64::from(k % 96 + 32) % 96 * QUARTER,
                    }),
                    Condition::HasOwner(k % 2 == 0),
                ]
            })
            .collect();
        let m = model(rules, vec![]);
        let bytes = RuleIndex::new(&m).heap_bytes();
        // 2,001 attribute rows and 96 stretches of the day, 16 words each.
        assert!(bytes < 300 * 1_024, "{bytes} bytes");
        let last = [999, 0, 0];
        let cx = probe(&last, 3 * DAY + 999 % 96 * QUARTER, false);
        assert_eq!(RuleIndex::new(&m).choose(&m, &cx), Some(RuleId(999)));
    }
}
