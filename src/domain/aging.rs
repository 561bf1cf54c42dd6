//! Aging buckets: how long outstanding amounts have been past due.

use std::fmt;

use time::Date;

use super::{ledger::Ledger, Invoice, StatusRules};
use rust_decimal::Decimal;

/// An aging bucket by days past due.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum AgingBucket {
    /// Not yet past due (≤ 0 days).
    Current,
    /// 1 to 30 days past due.
    D1To30,
    /// 31 to 60 days.
    D31To60,
    /// 61 to 90 days.
    D61To90,
    /// More than 90 days.
    Over90,
}

impl AgingBucket {
    /// All buckets, youngest first.
    pub const ALL: [AgingBucket; 5] = [
        AgingBucket::Current,
        AgingBucket::D1To30,
        AgingBucket::D31To60,
        AgingBucket::D61To90,
        AgingBucket::Over90,
    ];

    /// The bucket for a number of days past due. Every integer falls in exactly one.
    pub fn for_days(days_past_due: i64) -> AgingBucket {
        match days_past_due {
            i64::MIN..=0 => AgingBucket::Current,
            1..=30 => AgingBucket::D1To30,
            31..=60 => AgingBucket::D31To60,
            61..=90 => AgingBucket::D61To90,
            _ => AgingBucket::Over90,
        }
    }

    /// Label used in reports (`current`, `1-30`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            AgingBucket::Current => "current",
            AgingBucket::D1To30 => "1-30",
            AgingBucket::D31To60 => "31-60",
            AgingBucket::D61To90 => "61-90",
            AgingBucket::Over90 => "90+",
        }
    }

    /// Position in [`AgingBucket::ALL`].
    pub fn index(&self) -> usize {
        *self as usize
    }
}

impl fmt::Display for AgingBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An invoice's place in the aging as of a date, if it belongs there at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgingEntry {
    /// Outstanding as of the date.
    pub outstanding: Decimal,
    /// As-of date minus due date.
    pub days_past_due: i64,
    /// The bucket.
    pub bucket: AgingBucket,
}

/// Ages one invoice as of `as_of`: issued by then, not void, outstanding > 0.
pub fn age_invoice(ledger: &Ledger, inv: &Invoice, as_of: Date) -> Option<AgingEntry> {
    if inv.void || inv.issue_date > as_of {
        return None;
    }
    let s = ledger.settlement(inv, &StatusRules::new(as_of));
    if s.outstanding <= Decimal::ZERO {
        return None;
    }
    let days = (as_of - inv.due_date).whole_days();
    Some(AgingEntry {
        outstanding: s.outstanding,
        days_past_due: days,
        bucket: AgingBucket::for_days(days),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_edges_leave_no_gaps() {
        let cases = [
            (-5, "current"),
            (0, "current"),
            (1, "1-30"),
            (30, "1-30"),
            (31, "31-60"),
            (60, "31-60"),
            (61, "61-90"),
            (90, "61-90"),
            (91, "90+"),
            (10_000, "90+"),
        ];
        for (d, want) in cases {
            assert_eq!(AgingBucket::for_days(d).as_str(), want, "{d}");
        }
    }
}
