//! Households: who lives together, how old they are, what they are called and how they are
//! related to the head (世帯主).
//!
//! A household is drawn by type (single, couple, couple with children, single parent, three
//! generations), then its members' ages are drawn from the age table restricted to what the
//! role allows (a child at least 16 years younger than both parents, a head's parent at least
//! 22 years older than the head), so the population keeps the pyramid's shape while every
//! household stays consistent. See docs/synth.md for the weights and their sources.

use crate::days::Day;
use crate::names::{
    self, AliasStyle, JAPANESE, NATIONALITIES, NATIONALITY_WEIGHTS, Nationality, Pair, Style, Words,
};
use crate::pyramid::{AGE_MAX, AgeTable};
use crate::rng::{Rng, Weighted};

/// The most members a household can have (head, spouse, four children, two parents).
pub const MEMBERS_MAX: usize = 8;

/// 続柄: relationship to the household head, as a resident record writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relationship {
    Head,
    Wife,
    Husband,
    Child,
    Father,
    Mother,
    ChildsWife,
    Grandchild,
}

impl Relationship {
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Head => "世帯主",
            Relationship::Wife => "妻",
            Relationship::Husband => "夫",
            Relationship::Child => "子",
            Relationship::Father => "父",
            Relationship::Mother => "母",
            Relationship::ChildsWife => "子の妻",
            Relationship::Grandchild => "孫",
        }
    }
}

/// How much of a birth date the register knows (BRIEF §7: never invent a day).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    Full,
    YearMonth,
    Year,
    /// 不詳
    Unknown,
}

/// One resident, ready to be written.
#[derive(Clone, Debug)]
pub struct Member {
    pub relationship: Relationship,
    pub male: bool,
    pub age: u32,
    /// The true birth day; `precision` says how much of it is written.
    pub birth: Day,
    pub precision: Precision,
    pub family: Words,
    pub given: Words,
    /// Readings; empty for Latin names.
    pub family_kana: &'static str,
    pub given_kana: &'static str,
    /// 通称, written as the concatenation of its parts; empty parts mean none.
    pub alias: [&'static str; 2],
    pub has_individual_number: bool,
    pub resident_since: Day,
    pub address_since: Day,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Single,
    Couple,
    CoupleWithChildren,
    SingleParent,
    /// Head, spouse, children and the head's parent(s).
    WithParents,
    /// An older head, spouse, their son, his wife and grandchildren.
    WithGrandchildren,
}

const KINDS: [Kind; 6] = [
    Kind::Single,
    Kind::Couple,
    Kind::CoupleWithChildren,
    Kind::SingleParent,
    Kind::WithParents,
    Kind::WithGrandchildren,
];

/// Household types of Japanese nationals, per mille of households. Approximately the 2020
/// census family types (single 38%, couple only 20%, couple and children 25%, single parent 9%,
/// other 8%), adjusted so that the resulting population matches the age pyramid.
const JAPANESE_KIND_PER_MILLE: [u64; 6] = [380, 200, 250, 90, 45, 35];
/// Foreign residents: mostly single (students, trainees, workers).
const FOREIGN_KIND_PER_MILLE: [u64; 6] = [600, 140, 200, 60, 0, 0];

const CHILDREN_COUPLE: [u64; 4] = [40, 45, 13, 2];
const CHILDREN_SINGLE_PARENT: [u64; 3] = [60, 32, 8];
const GRANDCHILDREN: [u64; 4] = [15, 35, 40, 10];

/// Birth dates only partly known, per million residents aged two or more.
const PARTIAL_BIRTH_JAPANESE_PPM: u32 = 100;
const PARTIAL_BIRTH_FOREIGN_PPM: u32 = 15_000;
/// Residents with an individual number, per million.
const INDIVIDUAL_NUMBER_JAPANESE_PPM: u32 = 990_000;
const INDIVIDUAL_NUMBER_FOREIGN_PPM: u32 = 950_000;

/// The fixed tables the generator draws from.
#[derive(Debug)]
pub struct Model {
    pub japan_ages: AgeTable,
    pub foreign_ages: AgeTable,
    japanese_kinds: Weighted,
    foreign_kinds: Weighted,
    children_couple: Weighted,
    children_single_parent: Weighted,
    grandchildren: Weighted,
}

impl Model {
    pub fn new() -> Model {
        Model {
            japan_ages: AgeTable::japan(),
            foreign_ages: AgeTable::foreign(),
            japanese_kinds: Weighted::new(&JAPANESE_KIND_PER_MILLE),
            foreign_kinds: Weighted::new(&FOREIGN_KIND_PER_MILLE),
            children_couple: Weighted::new(&CHILDREN_COUPLE),
            children_single_parent: Weighted::new(&CHILDREN_SINGLE_PARENT),
            grandchildren: Weighted::new(&GRANDCHILDREN),
        }
    }
}

impl Default for Model {
    fn default() -> Self {
        Self::new()
    }
}

/// A member before it has a name: role, sex, age.
#[derive(Clone, Copy, Debug)]
struct Slot {
    relationship: Relationship,
    male: bool,
    age: u32,
}

/// Up to `cap` slots; adding past the cap is silently ignored (a household cut at a chunk's
/// end loses its last members, which never breaks consistency: heads and parents come first).
struct Slots {
    items: [Slot; MEMBERS_MAX],
    len: usize,
    cap: usize,
}

impl Slots {
    fn push(&mut self, relationship: Relationship, male: bool, age: u32) {
        if self.len < self.cap {
            self.items[self.len] = Slot {
                relationship,
                male,
                age,
            };
            self.len += 1;
        }
    }
}

/// −k..=k, peaked at 0.
fn triangular(rng: &mut Rng, k: u32) -> i32 {
    (rng.between(0, k) + rng.between(0, k)) as i32 - k as i32
}

fn clamp_age(age: i32, lo: u32) -> u32 {
    age.clamp(lo as i32, AGE_MAX as i32) as u32
}

fn male_at(rng: &mut Rng, ages: &AgeTable, age: u32) -> bool {
    rng.below(1000) < ages.male_per_mille(age)
}

/// A spouse's age: husbands are two years older on average.
fn spouse_age(rng: &mut Rng, head_age: u32, head_male: bool) -> u32 {
    let gap = 2 + triangular(rng, 5);
    let age = if head_male {
        head_age as i32 - gap
    } else {
        head_age as i32 + gap
    };
    clamp_age(age, 18)
}

/// `count` children of parents whose younger is `parent_age`: ages drawn from the table within
/// what the parent allows (born when the parent was 16–45), eldest first.
fn push_children(
    rng: &mut Rng,
    ages: &AgeTable,
    slots: &mut Slots,
    parent_age: u32,
    count: usize,
    rel: Relationship,
) {
    let Some(hi) = parent_age.checked_sub(16) else {
        return;
    };
    let lo = parent_age.saturating_sub(45);
    let mut drawn = [0u32; MEMBERS_MAX];
    let count = count.min(MEMBERS_MAX);
    for slot in &mut drawn[..count] {
        *slot = ages.sample(rng, lo, hi);
    }
    drawn[..count].sort_unstable_by(|a, b| b.cmp(a));
    for &age in &drawn[..count] {
        slots.push(rel, male_at(rng, ages, age), age);
    }
}

fn kind_slots(
    model: &Model,
    rng: &mut Rng,
    kind: Kind,
    foreign: bool,
    ages: &AgeTable,
    slots: &mut Slots,
) {
    use Relationship as R;
    match kind {
        Kind::Single => {
            let (age, elder) = if foreign {
                (ages.sample(rng, 18, AGE_MAX), false)
            } else {
                match rng.below(100) {
                    0..40 => (ages.sample(rng, 18, 34), false),
                    40..67 => (ages.sample(rng, 35, 64), false),
                    _ => (ages.sample(rng, 65, AGE_MAX), true),
                }
            };
            // Two in three older people who live alone are women.
            let mut per_mille = ages.male_per_mille(age);
            if elder {
                per_mille = per_mille * 3 / 4;
            }
            slots.push(R::Head, rng.below(1000) < per_mille, age);
        }
        Kind::Couple => {
            let age = if foreign {
                ages.sample(rng, 20, 90)
            } else if rng.chance(400_000) {
                ages.sample(rng, 22, 59)
            } else {
                ages.sample(rng, 60, 100)
            };
            let male = rng.chance(920_000);
            slots.push(R::Head, male, age);
            slots.push(
                if male { R::Wife } else { R::Husband },
                !male,
                spouse_age(rng, age, male),
            );
        }
        Kind::CoupleWithChildren | Kind::WithParents => {
            let age = match (kind, foreign) {
                (Kind::WithParents, _) => ages.sample(rng, 35, 60),
                (_, true) => ages.sample(rng, 22, 60),
                (_, false) => ages.sample(rng, 25, 64),
            };
            let male = rng.chance(950_000);
            let spouse = spouse_age(rng, age, male);
            slots.push(R::Head, male, age);
            slots.push(if male { R::Wife } else { R::Husband }, !male, spouse);
            if kind == Kind::WithParents {
                // The head's parents come before the children so a cut household keeps them.
                let mother = age + rng.between(22, 36);
                let father = clamp_age(mother as i32 + 2 + triangular(rng, 4), age + 22);
                match rng.below(100) {
                    0..60 => push_parent(slots, R::Mother, false, mother),
                    60..75 => push_parent(slots, R::Father, true, father),
                    _ => {
                        push_parent(slots, R::Father, true, father);
                        push_parent(slots, R::Mother, false, mother);
                    }
                }
            }
            let count = model.children_couple.sample(rng) + 1;
            push_children(rng, ages, slots, age.min(spouse), count, R::Child);
        }
        Kind::SingleParent => {
            let age = if foreign {
                ages.sample(rng, 22, 60)
            } else {
                ages.sample(rng, 25, 70)
            };
            let male = rng.chance(150_000);
            slots.push(R::Head, male, age);
            let count = model.children_single_parent.sample(rng) + 1;
            push_children(rng, ages, slots, age, count, R::Child);
        }
        Kind::WithGrandchildren => {
            let age = ages.sample(rng, 62, 92);
            let male = rng.chance(800_000);
            slots.push(R::Head, male, age);
            let mut youngest = age;
            if male && rng.chance(750_000) {
                let wife = spouse_age(rng, age, true);
                slots.push(R::Wife, false, wife);
                youngest = youngest.min(wife);
            }
            let son = youngest - rng.between(24, 36);
            slots.push(R::Child, true, son);
            let sons_wife = clamp_age(son as i32 - 2 + triangular(rng, 5), 18).min(youngest - 16);
            slots.push(R::ChildsWife, false, sons_wife);
            let count = model.grandchildren.sample(rng);
            push_children(rng, ages, slots, son.min(sons_wife), count, R::Grandchild);
        }
    }
}

fn push_parent(slots: &mut Slots, rel: Relationship, male: bool, age: u32) {
    if age <= AGE_MAX {
        slots.push(rel, male, age);
    }
}

/// A household's people (not yet its address), written into `out`.
#[derive(Debug)]
pub struct Household {
    pub nationality: Option<&'static Nationality>,
    pub members: Vec<Member>,
}

impl Household {
    pub fn new() -> Household {
        Household {
            nationality: None,
            members: Vec::with_capacity(MEMBERS_MAX),
        }
    }
}

impl Default for Household {
    fn default() -> Self {
        Self::new()
    }
}

/// The birth day of someone `age` years old on `today`: uniform over that year of life, and
/// always before `today`.
fn birth_day(rng: &mut Rng, today: Day, age: u32) -> Day {
    today - (age * 365 + age / 4 + rng.below(365) + 1) as Day
}

fn precision(rng: &mut Rng, age: u32, foreign: bool) -> Precision {
    let ppm = if foreign {
        PARTIAL_BIRTH_FOREIGN_PPM
    } else {
        PARTIAL_BIRTH_JAPANESE_PPM
    };
    if age < 2 || !rng.chance(ppm) {
        return Precision::Full;
    }
    match rng.below(100) {
        0..3 if foreign => Precision::Unknown,
        0..40 => Precision::YearMonth,
        _ => Precision::Year,
    }
}

/// Fills `hh` with a new household of at most `cap` members living in the municipality since
/// dates before `today`.
pub fn generate(
    model: &Model,
    rng: &mut Rng,
    today: Day,
    foreign: bool,
    cap: usize,
    hh: &mut Household,
) {
    debug_assert!(cap >= 1);
    hh.members.clear();
    let nationality = foreign.then(|| &NATIONALITIES[NATIONALITY_WEIGHTS.sample(rng)]);
    hh.nationality = nationality;
    let ages = match nationality {
        Some(n) if !n.national_age_profile => &model.foreign_ages,
        _ => &model.japan_ages,
    };
    let kinds = if foreign {
        &model.foreign_kinds
    } else {
        &model.japanese_kinds
    };
    let kind = KINDS[kinds.sample(rng)];
    let mut slots = Slots {
        items: [Slot {
            relationship: Relationship::Head,
            male: false,
            age: 0,
        }; MEMBERS_MAX],
        len: 0,
        cap: cap.min(MEMBERS_MAX),
    };
    kind_slots(model, rng, kind, foreign, ages, &mut slots);

    // When the household moved to this address, and (for some) how much earlier it came to the
    // municipality: recent moves are likelier (the smaller of two uniform draws).
    // Most foreign residents came to Japan within the last fifteen years.
    let head_age = slots.items[0].age;
    let recent_only = nationality.is_some_and(|n| !n.national_age_profile);
    let years_max = if recent_only { 15 } else { 50 }.min(head_age.saturating_sub(18));
    let span = years_max * 365;
    let address_back = rng.below(span + 1).min(rng.below(span + 1));
    let resident_limit = if recent_only { span } else { head_age * 365 };
    let resident_back = if rng.chance(500_000) {
        address_back
    } else {
        address_back + rng.below(resident_limit - address_back + 1)
    };
    let address_since = today - address_back as Day;
    let resident_since = today - resident_back as Day;

    match nationality {
        None => name_japanese(rng, &slots, hh),
        Some(n) => name_foreign(rng, n, &slots, hh),
    }
    let number_ppm = if foreign {
        INDIVIDUAL_NUMBER_FOREIGN_PPM
    } else {
        INDIVIDUAL_NUMBER_JAPANESE_PPM
    };
    for m in &mut hh.members {
        m.birth = birth_day(rng, today, m.age);
        m.precision = precision(rng, m.age, foreign);
        m.has_individual_number = rng.chance(number_ppm);
        m.address_since = address_since.max(m.birth);
        m.resident_since = resident_since.max(m.birth);
    }
}

fn member(slot: &Slot) -> Member {
    Member {
        relationship: slot.relationship,
        male: slot.male,
        age: slot.age,
        birth: 0,
        precision: Precision::Full,
        family: ["", "", ""],
        given: ["", "", ""],
        family_kana: "",
        given_kana: "",
        alias: ["", ""],
        has_individual_number: false,
        resident_since: 0,
        address_since: 0,
    }
}

fn name_japanese(rng: &mut Rng, slots: &Slots, hh: &mut Household) {
    // One family name for the household (夫婦同氏; the head's parents and the son's wife too).
    let family = JAPANESE.family(rng);
    for slot in &slots.items[..slots.len] {
        let given = JAPANESE.given(rng, slot.male);
        hh.members.push(Member {
            family: [family.kanji, "", ""],
            given: [given.kanji, "", ""],
            family_kana: family.kana,
            given_kana: given.kana,
            ..member(slot)
        });
    }
}

fn name_foreign(rng: &mut Rng, n: &'static Nationality, slots: &Slots, hh: &mut Household) {
    let household_family = if n.families.is_empty() {
        ("", "")
    } else {
        rng.pick(n.families)
    };
    let japanese_alias_family = rng.pick(names::ZAINICHI_ALIAS_FAMILY);
    for slot in &slots.items[..slots.len] {
        let is_spouse = matches!(
            slot.relationship,
            Relationship::Wife | Relationship::Husband
        );
        let family_pair: Pair = if is_spouse && n.spouse_keeps_name && !n.families.is_empty() {
            rng.pick(n.families)
        } else {
            household_family
        };
        let list = if slot.male { n.male } else { n.female };
        let given_pair = rng.pick(list);
        let (family, given): (Words, Words) = match n.style {
            Style::FamilyGiven => ([family_pair.0, "", ""], [given_pair.0, "", ""]),
            Style::Vietnamese => {
                let middle = if slot.male {
                    names::VN_MIDDLE_MALE
                } else {
                    names::VN_MIDDLE_FEMALE
                };
                (
                    [family_pair.0, "", ""],
                    [rng.pick(middle), given_pair.0, ""],
                )
            }
            Style::Western => {
                if rng.chance(250_000) {
                    (
                        [family_pair.0, "", ""],
                        [given_pair.0, rng.pick(list).0, ""],
                    )
                } else {
                    ([family_pair.0, "", ""], [given_pair.0, "", ""])
                }
            }
            Style::SingleName => {
                let third = if rng.chance(400_000) {
                    rng.pick(list).0
                } else {
                    ""
                };
                ([given_pair.0, rng.pick(list).0, third], ["", "", ""])
            }
            Style::Indonesian => {
                if rng.chance(250_000) {
                    ([given_pair.0, "", ""], ["", "", ""])
                } else {
                    ([family_pair.0, "", ""], [given_pair.0, "", ""])
                }
            }
        };
        let wants_alias = rng.chance(n.alias_per_mille * 1000);
        let alias = match n.alias {
            _ if !wants_alias => ["", ""],
            AliasStyle::None => ["", ""],
            AliasStyle::Kanji | AliasStyle::KanjiKatakana => {
                if family_pair.1.is_empty() || given_pair.1.is_empty() {
                    ["", ""]
                } else {
                    [family_pair.1, given_pair.1]
                }
            }
            AliasStyle::Japanese => [japanese_alias_family, JAPANESE.given(rng, slot.male).kanji],
        };
        hh.members.push(Member {
            family,
            given,
            alias,
            ..member(slot)
        });
    }
}

/// (members, households) of a fixed sample of households without a size cap: the calibration
/// of the foreign share (docs/synth.md).
pub fn mean_size(model: &Model, foreign: bool) -> (u64, u64) {
    let mut rng = Rng::new(0x5EED_CA1B, u64::from(foreign));
    let mut hh = Household::new();
    let households = 1u64 << 16;
    let mut members = 0u64;
    for _ in 0..households {
        generate(model, &mut rng, 20_000, foreign, MEMBERS_MAX, &mut hh);
        members += hh.members.len() as u64;
    }
    (members, households)
}
