//! Stored forms of the reminder records: one follow-up per invoice (key `r` + invoice id)
//! and the reminder settings (meta key `mreminders`). Stored types are separate from the
//! domain types; dates are Julian day numbers, amounts (scale, mantissa).

use serde::{Deserialize, Serialize};

use super::codec::{self, tag, Amount, CodecError};
use super::{keys, Store, StoreError};
use crate::domain::reminders::{
    FollowUp, FollowUps, Ladder, ReminderLevel, ReminderSettings, SentReminder,
};
use crate::domain::InvoiceId;

fn date_from(code: i32) -> Result<time::Date, CodecError> {
    time::Date::from_julian_day(code).map_err(|_| CodecError::BadCode {
        field: "date",
        code: code as u32,
    })
}

/// Stored follow-up of one invoice, version 1.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FollowUpV1 {
    invoice: u64,
    snooze_until: Option<i32>,
    promise: Option<i32>,
    disputed: bool,
    /// (level position, Julian day)
    sent: Vec<(u8, i32)>,
}

impl FollowUpV1 {
    /// The stored form of `f` for `invoice`.
    pub fn new(invoice: InvoiceId, f: &FollowUp) -> Self {
        FollowUpV1 {
            invoice: invoice.0,
            snooze_until: f.snooze_until.map(|d| d.to_julian_day()),
            promise: f.promise.map(|d| d.to_julian_day()),
            disputed: f.disputed,
            sent: f
                .sent
                .iter()
                .map(|s| (s.level, s.date.to_julian_day()))
                .collect(),
        }
    }

    /// The invoice it belongs to and the domain follow-up.
    pub fn into_domain(self) -> Result<(InvoiceId, FollowUp), CodecError> {
        Ok((
            InvoiceId(self.invoice),
            FollowUp {
                snooze_until: self.snooze_until.map(date_from).transpose()?,
                promise: self.promise.map(date_from).transpose()?,
                disputed: self.disputed,
                sent: self
                    .sent
                    .into_iter()
                    .map(|(level, d)| {
                        Ok(SentReminder {
                            level,
                            date: date_from(d)?,
                        })
                    })
                    .collect::<Result<_, CodecError>>()?,
            },
        ))
    }
}

/// Stored reminder level, version 1.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LevelV1 {
    offset_days: i32,
    name: String,
    subject: String,
    body: String,
}

/// Stored reminder settings, version 1.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ReminderSettingsV1 {
    receivable: Vec<LevelV1>,
    payable: Vec<LevelV1>,
    min_amount: Amount,
}

fn levels_v1(l: &Ladder) -> Vec<LevelV1> {
    l.levels
        .iter()
        .map(|l| LevelV1 {
            offset_days: l.offset_days,
            name: l.name.clone(),
            subject: l.subject.clone(),
            body: l.body.clone(),
        })
        .collect()
}

fn ladder(v: Vec<LevelV1>) -> Ladder {
    Ladder {
        levels: v
            .into_iter()
            .map(|l| ReminderLevel {
                offset_days: l.offset_days,
                name: l.name,
                subject: l.subject,
                body: l.body,
            })
            .collect(),
    }
}

impl From<&ReminderSettings> for ReminderSettingsV1 {
    fn from(s: &ReminderSettings) -> Self {
        ReminderSettingsV1 {
            receivable: levels_v1(&s.receivable),
            payable: levels_v1(&s.payable),
            min_amount: s.min_amount.into(),
        }
    }
}

impl TryFrom<ReminderSettingsV1> for ReminderSettings {
    type Error = CodecError;
    fn try_from(v: ReminderSettingsV1) -> Result<Self, CodecError> {
        Ok(ReminderSettings {
            receivable: ladder(v.receivable),
            payable: ladder(v.payable),
            min_amount: v.min_amount.try_into()?,
        })
    }
}

/// Encodes a follow-up record.
pub fn encode_follow_up(invoice: InvoiceId, f: &FollowUp) -> Vec<u8> {
    codec::encode(tag::FOLLOW_UP_V1, &FollowUpV1::new(invoice, f))
}

/// Decodes a follow-up record.
pub fn decode_follow_up(bytes: &[u8]) -> Result<(InvoiceId, FollowUp), CodecError> {
    codec::decode::<FollowUpV1>(tag::FOLLOW_UP_V1, bytes)?.into_domain()
}

/// Encodes the reminder settings.
pub fn encode_settings(s: &ReminderSettings) -> Vec<u8> {
    codec::encode(tag::REMINDER_SETTINGS_V1, &ReminderSettingsV1::from(s))
}

/// Decodes the reminder settings.
pub fn decode_settings(bytes: &[u8]) -> Result<ReminderSettings, CodecError> {
    codec::decode::<ReminderSettingsV1>(tag::REMINDER_SETTINGS_V1, bytes)?.try_into()
}

impl Store {
    /// Every invoice's follow-up state.
    pub fn follow_ups(&self) -> Result<FollowUps, StoreError> {
        self.db
            .scan_prefix([keys::FOLLOW_UPS])
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.sled_err(e))?;
                decode_follow_up(&v).map_err(|e| self.corrupt(&k, e))
            })
            .collect()
    }

    /// The reminder settings (the defaults when none are stored).
    pub fn reminder_settings(&self) -> Result<ReminderSettings, StoreError> {
        match self
            .db
            .get(keys::META_REMINDERS)
            .map_err(|e| self.sled_err(e))?
        {
            Some(v) => decode_settings(&v).map_err(|e| self.corrupt(keys::META_REMINDERS, e)),
            None => Ok(ReminderSettings::default()),
        }
    }
}
