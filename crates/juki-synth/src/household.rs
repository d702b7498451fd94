//! Households: who lives together, how old they are, what they are called and how they are
//! related to the head (世帯主).
//!
//! A household is drawn by type (single, couple, couple with children, single parent, three
//! generations), then every member's age is drawn from the age table restricted to what the
//! role allows (a child born when the younger parent was 16–45, a head's parent 20–40 years
//! older than the head, a spouse within a few years of the head), so every household is
//! consistent. The table's weights are then fitted once (iterative proportional fitting on a
//! fixed sample) so that the people in all households together match the census pyramid.
//! See docs/synth.md for the weights and their sources.

use crate::days::{self, Day};
use crate::names::{
    self, AliasStyle, JAPANESE, NATIONALITIES, NATIONALITY_WEIGHTS, Nationality, Pair, Style, Words,
};
use crate::pyramid::{AGE_MAX, AgeTable, GROUPS, group};
use crate::rng::{Rng, Weighted};

/// The most members a household can have (head, spouse, two parents, four children).
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
    /// Head, spouse, the head's parent(s) and children.
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

/// Household types of Japanese nationals, per mille of households: about the 2020 census
/// family types (single 38%, couple only 20%, couple and children 25%, single parent 9%,
/// three generations and other 8%).
const JAPANESE_KIND_PER_MILLE: [u64; 6] = [400, 200, 235, 90, 42, 33];
/// Foreign residents: mostly single (students, trainees, workers).
const FOREIGN_KIND_PER_MILLE: [u64; 6] = [600, 140, 200, 60, 0, 0];

/// Children per couple with children (1–4), per single parent (1–3), grandchildren (0–3).
const CHILDREN_COUPLE: [u64; 4] = [50, 38, 10, 2];
const CHILDREN_SINGLE_PARENT: [u64; 3] = [60, 32, 8];
const GRANDCHILDREN: [u64; 4] = [15, 35, 40, 10];

/// Men among people who live alone, per mille, before fitting (below 65 more men than women
/// live alone; above, the widowed are mostly women). Fitted per age group so that each group's
/// sex ratio matches the table's.
const SINGLE_MALE_PER_MILLE: u32 = 580;
const SINGLE_MALE_PER_MILLE_RANGE: (u32, u32) = (30, 900);
/// The first age group (20–24) whose people living alone have their sex fitted.
const ADULT_GROUP_FIRST: usize = 4;
/// Men among heads of couples, of couples with children and of single-parent households.
const COUPLE_HEAD_MALE_PPM: u32 = 920_000;
const FAMILY_HEAD_MALE_PPM: u32 = 950_000;
const SINGLE_PARENT_MALE_PPM: u32 = 150_000;

/// Birth dates only partly known, per million residents aged two or more.
const PARTIAL_BIRTH_JAPANESE_PPM: u32 = 100;
const PARTIAL_BIRTH_FOREIGN_PPM: u32 = 15_000;
/// Residents with an individual number, per million.
const INDIVIDUAL_NUMBER_JAPANESE_PPM: u32 = 990_000;
const INDIVIDUAL_NUMBER_FOREIGN_PPM: u32 = 950_000;

/// Rounds of fitting the age weights, and households drawn per round and population.
const FIT_ROUNDS: u64 = 8;
const FIT_HOUSEHOLDS: u32 = 1 << 15;
/// The fixed seed of every calibration draw: the model never depends on a run's seed.
const CALIBRATION_SEED: u64 = 0x5EED_CA1B;

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
    /// Men among people living alone by age group, per mille: [Japanese, foreign].
    single_male: [[u32; GROUPS]; 2],
}

/// People by age group in a sample of households, and the men among them.
#[derive(Debug)]
pub struct Observed {
    pub people: [u64; GROUPS],
    pub men: [u64; GROUPS],
}

impl Model {
    /// The model, its age weights fitted so that people in households match the pyramid.
    pub fn new() -> Model {
        let mut model = Model {
            japan_ages: AgeTable::japan(),
            foreign_ages: AgeTable::foreign(),
            japanese_kinds: Weighted::new(&JAPANESE_KIND_PER_MILLE),
            foreign_kinds: Weighted::new(&FOREIGN_KIND_PER_MILLE),
            children_couple: Weighted::new(&CHILDREN_COUPLE),
            children_single_parent: Weighted::new(&CHILDREN_SINGLE_PARENT),
            grandchildren: Weighted::new(&GRANDCHILDREN),
            single_male: [[SINGLE_MALE_PER_MILLE; GROUPS]; 2],
        };
        for population in [0, 1] {
            let table = if population == 1 {
                &model.foreign_ages
            } else {
                &model.japan_ages
            };
            for (g, share) in model.single_male[population]
                .iter_mut()
                .enumerate()
                .skip(13)
            {
                *share = table.target_male_per_mille(g);
            }
        }
        for round in 0..FIT_ROUNDS {
            for foreign in [false, true] {
                let stream = round * 2 + u64::from(foreign);
                let observed = model.observe(stream, foreign, FIT_HOUSEHOLDS);
                let table = if foreign {
                    &mut model.foreign_ages
                } else {
                    &mut model.japan_ages
                };
                table.refit(&observed.people);
                // Adults' sex ratio: only people living alone have a sex that is free to move.
                let single_male = &mut model.single_male[usize::from(foreign)];
                for (g, share) in single_male.iter_mut().enumerate().skip(ADULT_GROUP_FIRST) {
                    let (people, men) = (observed.people[g], observed.men[g]);
                    if people == 0 || men == 0 {
                        continue;
                    }
                    let want = u64::from(table.target_male_per_mille(g)) * people;
                    let (lo, hi) = SINGLE_MALE_PER_MILLE_RANGE;
                    *share = ((u64::from(*share) * want / (men * 1000)) as u32).clamp(lo, hi);
                }
            }
        }
        model
    }

    /// People by age group in `households` households of one population, drawn on `stream` of
    /// the calibration seed. Households whose ages come from the other table (foreign
    /// residents with the national age profile) are left out.
    pub fn observe(&self, stream: u64, foreign: bool, households: u32) -> Observed {
        let mut rng = Rng::new(CALIBRATION_SEED, stream);
        let mut observed = Observed {
            people: [0; GROUPS],
            men: [0; GROUPS],
        };
        for _ in 0..households {
            let (nationality, slots) = draw_slots(self, &mut rng, foreign, MEMBERS_MAX);
            if nationality.is_some_and(|n| n.national_age_profile) {
                continue;
            }
            for slot in slots.as_slice() {
                observed.people[group(slot.age)] += 1;
                observed.men[group(slot.age)] += u64::from(slot.male);
            }
        }
        observed
    }

    /// (members, households) of a fixed sample of households without a size cap: the
    /// calibration of the foreign share (docs/synth.md).
    pub fn mean_size(&self, foreign: bool) -> (u64, u64) {
        let mut rng = Rng::new(CALIBRATION_SEED, 1_000 + u64::from(foreign));
        let households = 1u64 << 16;
        let mut members = 0u64;
        for _ in 0..households {
            members += draw_slots(self, &mut rng, foreign, MEMBERS_MAX).1.len as u64;
        }
        (members, households)
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

/// Up to `cap` slots; adding past the cap is ignored. A household cut at a chunk's end loses
/// its last members, which never breaks consistency: heads, spouses and parents come first.
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

    fn as_slice(&self) -> &[Slot] {
        &self.items[..self.len]
    }
}

fn male_at(rng: &mut Rng, ages: &AgeTable, age: u32) -> bool {
    rng.below(1000) < ages.male_per_mille(age)
}

/// A spouse's age, from the table within a few years of the head's: wives 0–6 years younger
/// or up to 3 older than their husbands.
fn spouse_age(rng: &mut Rng, ages: &AgeTable, head_age: u32, head_male: bool) -> u32 {
    let (lo, hi) = if head_male {
        (head_age.saturating_sub(6), head_age + 3)
    } else {
        (head_age.saturating_sub(3), head_age + 6)
    };
    ages.sample(rng, lo.max(18), hi.max(18))
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

/// The head's parent: 20–40 years older than the head, when that is a possible age.
fn push_parent(
    rng: &mut Rng,
    ages: &AgeTable,
    slots: &mut Slots,
    head_age: u32,
    rel: Relationship,
    male: bool,
) {
    if head_age + 20 <= AGE_MAX {
        slots.push(rel, male, ages.sample(rng, head_age + 20, head_age + 40));
    }
}

/// The head and spouse of a couple; returns the younger one's age.
fn push_couple(
    rng: &mut Rng,
    ages: &AgeTable,
    slots: &mut Slots,
    head_age: u32,
    male_ppm: u32,
) -> u32 {
    use Relationship as R;
    let male = rng.chance(male_ppm);
    let spouse = spouse_age(rng, ages, head_age, male);
    slots.push(R::Head, male, head_age);
    slots.push(if male { R::Wife } else { R::Husband }, !male, spouse);
    head_age.min(spouse)
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
            let age = if foreign {
                ages.sample(rng, 18, AGE_MAX)
            } else {
                match rng.below(100) {
                    0..40 => ages.sample(rng, 18, 34),
                    40..67 => ages.sample(rng, 35, 64),
                    _ => ages.sample(rng, 65, AGE_MAX),
                }
            };
            let per_mille = model.single_male[usize::from(foreign)][group(age)];
            slots.push(R::Head, rng.below(1000) < per_mille, age);
        }
        Kind::Couple => {
            let age = if foreign {
                ages.sample(rng, 20, 90)
            } else {
                ages.sample(rng, 22, 95)
            };
            push_couple(rng, ages, slots, age, COUPLE_HEAD_MALE_PPM);
        }
        Kind::CoupleWithChildren => {
            let age = if foreign {
                ages.sample(rng, 22, 60)
            } else {
                ages.sample(rng, 25, 80)
            };
            let younger = push_couple(rng, ages, slots, age, FAMILY_HEAD_MALE_PPM);
            let count = model.children_couple.sample(rng) + 1;
            push_children(rng, ages, slots, younger, count, R::Child);
        }
        Kind::WithParents => {
            let age = ages.sample(rng, 35, 65);
            let younger = push_couple(rng, ages, slots, age, FAMILY_HEAD_MALE_PPM);
            // The head's parents come before the children so a cut household keeps them.
            match rng.below(100) {
                0..60 => push_parent(rng, ages, slots, age, R::Mother, false),
                60..75 => push_parent(rng, ages, slots, age, R::Father, true),
                _ => {
                    push_parent(rng, ages, slots, age, R::Father, true);
                    push_parent(rng, ages, slots, age, R::Mother, false);
                }
            }
            let count = model.children_single_parent.sample(rng) + 1;
            push_children(rng, ages, slots, younger, count, R::Child);
        }
        Kind::SingleParent => {
            let age = if foreign {
                ages.sample(rng, 22, 60)
            } else {
                ages.sample(rng, 25, 75)
            };
            let male = rng.chance(SINGLE_PARENT_MALE_PPM);
            slots.push(R::Head, male, age);
            let count = model.children_single_parent.sample(rng) + 1;
            push_children(rng, ages, slots, age, count, R::Child);
        }
        Kind::WithGrandchildren => {
            let age = ages.sample(rng, 62, 90);
            let male = rng.chance(800_000);
            slots.push(R::Head, male, age);
            let mut younger = age;
            if male && rng.chance(750_000) {
                let wife = spouse_age(rng, ages, age, true);
                slots.push(R::Wife, false, wife);
                younger = younger.min(wife);
            }
            // younger ≥ 56, so the son is at least 16 and his wife an adult.
            let son = ages.sample(rng, younger.saturating_sub(40), younger - 22);
            slots.push(R::Child, true, son);
            let sons_wife = spouse_age(rng, ages, son, true).min(younger - 16);
            slots.push(R::ChildsWife, false, sons_wife);
            let count = model.grandchildren.sample(rng);
            push_children(rng, ages, slots, son.min(sons_wife), count, R::Grandchild);
        }
    }
}

/// The nationality (of a foreign household), type and members' roles, sexes and ages.
fn draw_slots(
    model: &Model,
    rng: &mut Rng,
    foreign: bool,
    cap: usize,
) -> (Option<&'static Nationality>, Slots) {
    let nationality = foreign.then(|| &NATIONALITIES[NATIONALITY_WEIGHTS.sample(rng)]);
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
    (nationality, slots)
}

/// A household's people (not yet its address).
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

/// Fills `hh` with a new household of at most `cap` members, living in the municipality since
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
    let (nationality, slots) = draw_slots(model, rng, foreign, cap);
    hh.nationality = nationality;

    // When the household moved to this address, and (for half) how much earlier it came to
    // the municipality; recent moves are likelier (the smaller of two uniform draws). Most
    // foreign residents came to Japan within the last fifteen years.
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
        // Nobody lives somewhere before birth; with a partial birth date the bound is the end
        // of what is known, so the dates never reveal the day the register does not know.
        let known_born_by = match m.precision {
            Precision::Full => m.birth,
            Precision::YearMonth => {
                let (y, mo, _) = days::to_civil(m.birth);
                if mo == 12 {
                    days::from_civil(y + 1, 1, 1)
                } else {
                    days::from_civil(y, mo + 1, 1)
                }
            }
            Precision::Year => days::from_civil(days::to_civil(m.birth).0 + 1, 1, 1),
            Precision::Unknown => Day::MIN,
        };
        m.address_since = address_since.max(known_born_by);
        m.resident_since = resident_since.max(known_born_by);
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
    for slot in slots.as_slice() {
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
    for slot in slots.as_slice() {
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
                // A quarter have a second given name (never the first one again).
                let second = if rng.chance(250_000) {
                    rng.pick(list).0
                } else {
                    ""
                };
                let second = if second == given_pair.0 { "" } else { second };
                ([family_pair.0, "", ""], [given_pair.0, second, ""])
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
