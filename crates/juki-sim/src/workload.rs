//! The workload: people living their lives across the four municipalities (move-ins from
//! outside, births, moves within and between municipalities, across prefectures too,
//! corrections, code changes, deaths), as valid changes submitted to municipal nodes.
//!
//! The generator keeps a model of each person and never sends a second change about a person
//! before the first is answered, so every change it builds fits the record at the node it goes
//! to; a move between municipalities is two changes (move-in at the new one, move-out at the
//! old one), submitted independently, in either order.

use crate::rng::Rng;
use crate::topology::{MUNICIPAL, NODES, NodeId};
use juki_domain::change::{RawChange, ValidationContext, validate};
use juki_domain::{ChangeKind, Date, LocalGovernmentCode, ResidentCode, ValidatedChange};

/// The date validation takes as today: every effective date the workload writes is before it.
const TODAY: Date = Date::constant(2026, 11, 1);

/// First body of the codes given to people who move in from outside the simulated network
/// (outside the pool space `500_000_000..1_000_000_000`).
const OUTSIDE_CODE_BODY: u64 = 1_700_000_000;

const FAMILY: [(&str, &str); 4] = [
    ("佐々木", "ササキ"),
    ("田中", "タナカ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
];

/// Given names by sex; a correction switches to the other of the pair.
const GIVEN: [(&str, [(&str, &str); 2]); 2] = [
    ("女", [("陽菜", "ヒナ"), ("陽葵", "ヒマリ")]),
    ("男", [("蓮", "レン"), ("湊", "ミナト")]),
];

const CHOME: [&str; 5] = ["一", "二", "三", "四", "五"];

/// A person as the workload believes they are.
#[derive(Clone, Debug)]
struct Person {
    /// None until a birth is answered.
    code: Option<ResidentCode>,
    /// The municipal node they live at.
    at: NodeId,
    family: usize,
    sex: usize,
    given: usize,
    birth_date: String,
    address: String,
    alive: bool,
    /// Changes about them not answered yet.
    pending: u32,
}

/// One change to submit to a municipal node, and what became of it so far.
#[derive(Clone, Debug)]
pub struct Op {
    pub person: usize,
    pub node: NodeId,
    pub change: ValidatedChange,
    /// A submission failed with a storage error: the change may have been applied, so a
    /// `Duplicate` answer to a later submission means it was.
    pub errored: bool,
}

/// How a submitted change ended.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// Applied (now or at an earlier submission), about this resident code.
    Accepted(ResidentCode),
    Refused,
}

#[derive(Debug)]
pub struct Workload {
    rng: Rng,
    people: Vec<Person>,
    /// Days since 2010-01-01 on a 28-day-month calendar: each change is a day later.
    day: u32,
    changes: u64,
    outside: u64,
}

impl Workload {
    pub fn new(rng: Rng) -> Workload {
        Workload {
            rng,
            people: Vec::new(),
            day: 0,
            changes: 0,
            outside: 0,
        }
    }

    /// One action of the workload: the changes it submits.
    pub fn act(&mut self) -> Result<Vec<Op>, String> {
        let idle: Vec<usize> = (0..self.people.len())
            .filter(|&i| {
                let p = &self.people[i];
                p.alive && p.pending == 0 && p.code.is_some()
            })
            .collect();
        if idle.is_empty() || self.rng.chance(300) {
            return self.newcomer();
        }
        let who = idle[self.rng.index(idle.len())];
        match self.rng.below(100) {
            0..35 => self.move_away(who),
            35..55 => {
                let p = &mut self.people[who];
                p.address = address(&mut self.rng);
                let at = p.at;
                Ok(vec![self.op(who, at, ChangeKind::MoveWithin, |_| {})?])
            }
            55..75 => {
                let p = &mut self.people[who];
                p.given = 1 - p.given;
                let at = p.at;
                let kind = if self.rng.chance(500) {
                    ChangeKind::OfficialCorrection
                } else {
                    ChangeKind::ClericalCorrection
                };
                Ok(vec![self.op(who, at, kind, |_| {})?])
            }
            75..90 => {
                let at = self.people[who].at;
                Ok(vec![self.op(who, at, ChangeKind::CodeChange, |_| {})?])
            }
            _ => {
                let at = self.people[who].at;
                let op = self.op(who, at, ChangeKind::Death, |_| {})?;
                self.people[who].alive = false;
                Ok(vec![op])
            }
        }
    }

    /// Someone new: born here (the node assigns a code from its pool), or moved in from
    /// outside the simulated network with a code of their own.
    fn newcomer(&mut self) -> Result<Vec<Op>, String> {
        let at = MUNICIPAL[self.rng.index(MUNICIPAL.len())];
        let born = self.rng.chance(500);
        let code = if born {
            None
        } else {
            self.outside += 1;
            Some(ResidentCode::from_body(OUTSIDE_CODE_BODY + self.outside))
        };
        let birth_date = if born {
            date(self.day + 1)
        } else {
            format!(
                "{}-{:02}-{:02}",
                1950 + self.rng.below(50),
                1 + self.rng.below(12),
                1 + self.rng.below(28)
            )
        };
        let person = Person {
            code,
            at,
            family: self.rng.index(FAMILY.len()),
            sex: self.rng.index(GIVEN.len()),
            given: self.rng.index(2),
            birth_date,
            address: address(&mut self.rng),
            alive: true,
            pending: 0,
        };
        self.people.push(person);
        let who = self.people.len() - 1;
        let kind = if born {
            ChangeKind::Birth
        } else {
            ChangeKind::MoveIn
        };
        Ok(vec![self.op(who, at, kind, |_| {})?])
    }

    /// A move to another municipality (in the same prefecture or not): a move-out recorded at
    /// the old one with the facts it holds, a move-in at the new one with the new address.
    fn move_away(&mut self, who: usize) -> Result<Vec<Op>, String> {
        let from = self.people[who].at;
        let others: Vec<NodeId> = MUNICIPAL.iter().copied().filter(|&m| m != from).collect();
        let to = others[self.rng.index(others.len())];
        let new_address = address(&mut self.rng);
        let dest = NODES[to].code;
        let dest_address = new_address.clone();
        let out = self.op(who, from, ChangeKind::MoveOut, |r| {
            r.planned_date = r.effective_date.clone();
            r.destination_code = dest.into();
            r.destination_address = dest_address.clone();
        })?;
        let p = &mut self.people[who];
        p.at = to;
        p.address = new_address;
        let into = self.op(who, to, ChangeKind::MoveIn, |_| {})?;
        Ok(vec![out, into])
    }

    /// A change about person `who` at municipal node `node`, from the model as it is now.
    fn op(
        &mut self,
        who: usize,
        node: NodeId,
        kind: ChangeKind,
        extra: impl FnOnce(&mut RawChange),
    ) -> Result<Op, String> {
        self.day += 1;
        self.changes += 1;
        let p = &self.people[who];
        let (family, family_kana) = FAMILY[p.family];
        let (sex, names) = GIVEN[p.sex];
        let (given, given_kana) = names[p.given];
        let code = NODES[node].code;
        let mut raw = RawChange {
            record_id: format!("W{}", self.changes),
            change_kind: kind.ja().into(),
            effective_date: date(self.day),
            resident_code: p.code.map(|c| c.to_string()).unwrap_or_default(),
            family_name: family.into(),
            given_name: given.into(),
            family_name_kana: family_kana.into(),
            given_name_kana: given_kana.into(),
            birth_date: p.birth_date.clone(),
            sex: sex.into(),
            local_government_code: code.into(),
            address: p.address.clone(),
            ..RawChange::default()
        };
        extra(&mut raw);
        let lgc = LocalGovernmentCode::parse(code).map_err(|p| format!("{code}: {p:?}"))?;
        let ctx = ValidationContext {
            node: lgc,
            today: TODAY,
        };
        let change = validate(&raw, &ctx)
            .map_err(|ps| format!("the workload built an invalid change {raw:?}: {ps:?}"))?;
        self.people[who].pending += 1;
        Ok(Op {
            person: who,
            node,
            change,
            errored: false,
        })
    }

    /// Takes the answer to a change into the model.
    pub fn answered(&mut self, op: &Op, answer: Answer) {
        let p = &mut self.people[op.person];
        p.pending = p.pending.saturating_sub(1);
        match answer {
            Answer::Accepted(code) => {
                if matches!(op.change.kind, ChangeKind::Birth | ChangeKind::CodeChange) {
                    p.code = Some(code);
                }
            }
            // A birth refused (no code left) never happened; any other refusal leaves the
            // record as it was.
            Answer::Refused => {
                if op.change.kind == ChangeKind::Birth {
                    p.alive = false;
                }
            }
        }
    }
}

/// Day `day` after 2010-01-01 on a calendar of 28-day months (always a valid date).
fn date(day: u32) -> String {
    format!(
        "20{:02}-{:02}-{:02}",
        10 + day / 336,
        1 + (day / 28) % 12,
        1 + day % 28
    )
}

fn address(rng: &mut Rng) -> String {
    format!(
        "本町{}丁目{}番{}号",
        CHOME[rng.index(CHOME.len())],
        1 + rng.below(20),
        1 + rng.below(9)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_change_the_workload_builds_is_valid() {
        let mut w = Workload::new(Rng::stream(3, 0));
        let mut kinds = std::collections::BTreeSet::new();
        for i in 0..400 {
            let ops = w.act().unwrap();
            for op in &ops {
                kinds.insert(op.change.kind);
                let code = op
                    .change
                    .resident_code
                    .unwrap_or(ResidentCode::from_body(500_000_000 + i));
                w.answered(op, Answer::Accepted(code));
            }
        }
        for k in [
            ChangeKind::MoveIn,
            ChangeKind::Birth,
            ChangeKind::MoveOut,
            ChangeKind::MoveWithin,
            ChangeKind::CodeChange,
            ChangeKind::Death,
        ] {
            assert!(kinds.contains(&k), "{k:?} never generated");
        }
    }
}
