//! Where residents live: a municipality (or a ward of a designated city) weighted by its likely
//! size, and the rest of the address in Japanese notation (`本町二丁目3番4号`,
//! `中央1-2-3 ひかりハイツ201`, `大字上野123番地`).

use crate::rng::{Rng, Weighted};
use juki_domain::code::LocalGovernmentCode;
use juki_domain::lgc::{LgcKind, table};

/// Average population by kind of body, in hundreds (approximate, 2020 census totals divided by
/// the number of bodies): a special ward of Tokyo ~420k, a ward of a designated city ~157k,
/// another city ~100k, a town ~15k, a village ~4.5k. The lgc table has no populations, so every
/// body of a kind weighs the same.
const SPECIAL_WARD_HUNDREDS: u64 = 4_200;
const DESIGNATED_WARD_HUNDREDS: u64 = 1_570;
const CITY_HUNDREDS: u64 = 1_000;
const TOWN_HUNDREDS: u64 = 150;
const VILLAGE_HUNDREDS: u64 = 45;

/// Urban or rural notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// 丁目・番・号 blocks, many apartment buildings.
    Urban,
    /// Towns and villages: half their addresses are 大字 + 番地.
    Rural,
}

/// One code an address may carry.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    /// The code as written: six ASCII digits.
    pub text: [u8; 6],
    pub settlement: Settlement,
}

/// The address codes of the chosen nodes, with their weights.
#[derive(Debug)]
pub struct Places {
    pub places: Vec<Place>,
    weights: Weighted,
}

impl Places {
    /// Every address code of `nodes` (which must all run a node): a designated city contributes
    /// each of its wards.
    pub fn new(nodes: &[LocalGovernmentCode]) -> Places {
        let t = table();
        let mut places = Vec::new();
        let mut weights = Vec::new();
        for &node in nodes {
            let body = t.get(node).expect("nodes were validated against the table");
            let (weight, settlement) = match body.kind {
                LgcKind::SpecialWard => (SPECIAL_WARD_HUNDREDS, Settlement::Urban),
                LgcKind::DesignatedCity => (DESIGNATED_WARD_HUNDREDS, Settlement::Urban),
                _ if body.name.ends_with('市') => (CITY_HUNDREDS, Settlement::Urban),
                _ if body.name.ends_with('村') => (VILLAGE_HUNDREDS, Settlement::Rural),
                _ => (TOWN_HUNDREDS, Settlement::Rural),
            };
            for code in t.address_codes_of(node) {
                let mut text = [0u8; 6];
                let mut n = code.get();
                for slot in text.iter_mut().rev() {
                    *slot = b'0' + (n % 10) as u8;
                    n /= 10;
                }
                places.push(Place { text, settlement });
                weights.push(weight);
            }
        }
        Places {
            weights: Weighted::new(&weights),
            places,
        }
    }

    pub fn sample(&self, rng: &mut Rng) -> &Place {
        &self.places[self.weights.sample(rng)]
    }
}

/// Town names (町名) of the kind found in many municipalities.
const TOWNS: &[&str] = &[
    "本町",
    "中央",
    "栄町",
    "緑町",
    "旭町",
    "幸町",
    "寿町",
    "昭和町",
    "大和町",
    "東町",
    "西町",
    "南町",
    "北町",
    "新町",
    "元町",
    "宮前",
    "桜ケ丘",
    "若葉",
    "青葉台",
    "城山",
    "松原",
    "柳町",
    "錦町",
    "朝日町",
    "日吉町",
    "花園",
    "泉町",
    "港町",
    "浜町",
    "駅前",
    "東雲",
    "八幡町",
    "天神町",
    "稲荷町",
    "住吉町",
    "春日",
    "弥生町",
    "千代田",
    "常盤町",
    "松が丘",
    "富士見",
    "高砂",
    "曙町",
    "末広町",
    "清水",
    "大手町",
    "中町",
    "上町",
    "下町",
    "堀川町",
    "桜木町",
    "平和町",
    "白山",
    "山手町",
    "川端町",
    "新田",
    "大通",
    "本郷",
    "緑が丘",
    "みどり台",
    "ひばりが丘",
    "つつじが丘",
    "中野",
    "北野",
    "南台",
    "東中央",
    "西新町",
    "宮町",
    "桜町",
    "梅田",
    "竹ノ内",
    "松ノ木",
    "美園",
    "千歳町",
    "御幸町",
    "睦町",
    "宝町",
    "相生町",
    "高砂町",
    "恵比寿",
    "丸の内",
    "紅葉ケ丘",
    "若宮",
    "今町",
    "古町",
    "石原",
    "鶴見",
    "亀田",
    "岡本",
    "森下",
    "林町",
    "池田",
    "河原町",
    "三条",
    "四条",
    "一番町",
    "二番町",
    "新宿",
    "八丁堀",
    "旭が丘",
    "希望が丘",
    "光が丘",
    "陽光台",
];

/// Place names of 大字 (rural areas).
const AZA: &[&str] = &[
    "上野",
    "下田",
    "中山",
    "大原",
    "高田",
    "小松",
    "新田",
    "平田",
    "石川",
    "吉野",
    "岡本",
    "宮田",
    "松原",
    "柳沢",
    "杉山",
    "竹田",
    "北沢",
    "南原",
    "東山",
    "西山",
    "荒井",
    "長沼",
    "深谷",
    "桑原",
    "上原",
    "下村",
    "中島",
    "大久保",
    "小池",
    "今泉",
    "大沢",
    "川口",
    "木戸",
    "本郷",
    "野田",
    "八木",
];

const BUILDING_HEADS: &[&str] = &[
    "ひかり",
    "さくら",
    "グリーン",
    "サンライズ",
    "パーク",
    "リバーサイド",
    "ロイヤル",
    "コスモ",
    "アーバン",
    "朝日",
    "富士見",
    "若葉",
    "白樺",
    "エスポワール",
    "シャトー",
    "ベル",
];
const BUILDING_TAILS: &[&str] = &[
    "ハイツ",
    "コーポ",
    "マンション",
    "レジデンス",
    "ハイム",
    "コート",
    "ヒルズ",
    "荘",
    "テラス",
    "パレス",
];

const KANJI_NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notation {
    /// 本町二丁目3番4号
    KanjiChome,
    /// 本町2丁目3番4号
    DigitChome,
    /// 本町2-3-4
    Hyphens,
    /// 大字上野123番地 / 大字上野123番地4
    Banchi,
}

/// The part of an address after the municipality (and ward) name.
#[derive(Clone, Copy, Debug)]
pub struct Remainder {
    notation: Notation,
    town: &'static str,
    chome: u32,
    ban: u32,
    go: u32,
    /// Building name parts and room; no building when `room` is 0.
    building: (&'static str, &'static str),
    room: u32,
}

impl Remainder {
    pub fn sample(rng: &mut Rng, settlement: Settlement) -> Remainder {
        let rural = settlement == Settlement::Rural && rng.chance(500_000);
        let notation = if rural {
            Notation::Banchi
        } else {
            match rng.below(10) {
                0..5 => Notation::KanjiChome,
                5..7 => Notation::DigitChome,
                _ => Notation::Hyphens,
            }
        };
        let flats_ppm = if rural { 50_000 } else { 350_000 };
        let room = if rng.chance(flats_ppm) {
            // Most buildings are low: floors 1–4 usually, up to 12.
            let floor = if rng.chance(800_000) {
                rng.between(1, 4)
            } else {
                rng.between(5, 12)
            };
            floor * 100 + rng.between(1, 10)
        } else {
            0
        };
        Remainder {
            notation,
            town: if rural {
                rng.pick(AZA)
            } else {
                rng.pick(TOWNS)
            },
            chome: rng.between(1, 7),
            ban: if rural {
                rng.between(1, 3_000)
            } else {
                rng.between(1, 40)
            },
            go: if rural {
                if rng.chance(300_000) {
                    rng.between(1, 20)
                } else {
                    0
                }
            } else {
                rng.between(1, 30)
            },
            building: (rng.pick(BUILDING_HEADS), rng.pick(BUILDING_TAILS)),
            room,
        }
    }

    /// Appends the address text (no quoting needed: the pieces hold no comma, quote or newline).
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut num = itoa::Buffer::new();
        let mut push_num =
            |out: &mut Vec<u8>, n: u32| out.extend_from_slice(num.format(n).as_bytes());
        match self.notation {
            Notation::KanjiChome | Notation::DigitChome => {
                out.extend_from_slice(self.town.as_bytes());
                if self.notation == Notation::KanjiChome {
                    out.extend_from_slice(KANJI_NUMERALS[self.chome as usize - 1].as_bytes());
                } else {
                    push_num(out, self.chome);
                }
                out.extend_from_slice("丁目".as_bytes());
                push_num(out, self.ban);
                out.extend_from_slice("番".as_bytes());
                push_num(out, self.go);
                out.extend_from_slice("号".as_bytes());
            }
            Notation::Hyphens => {
                out.extend_from_slice(self.town.as_bytes());
                push_num(out, self.chome);
                out.push(b'-');
                push_num(out, self.ban);
                out.push(b'-');
                push_num(out, self.go);
            }
            Notation::Banchi => {
                out.extend_from_slice("大字".as_bytes());
                out.extend_from_slice(self.town.as_bytes());
                push_num(out, self.ban);
                out.extend_from_slice("番地".as_bytes());
                if self.go > 0 {
                    push_num(out, self.go);
                }
            }
        }
        if self.room > 0 {
            out.push(b' ');
            out.extend_from_slice(self.building.0.as_bytes());
            out.extend_from_slice(self.building.1.as_bytes());
            push_num(out, self.room);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> LocalGovernmentCode {
        LocalGovernmentCode::parse(s).unwrap()
    }

    #[test]
    fn designated_cities_weigh_by_their_wards() {
        // 札幌市 (ten wards) and 中野区.
        let places = Places::new(&[code("011002"), code("131148")]);
        assert_eq!(places.places.len(), 11);
        let mut rng = Rng::new(1, 1);
        let mut nakano = 0;
        for _ in 0..100_000 {
            if &places.sample(&mut rng).text == b"131148" {
                nakano += 1;
            }
        }
        // 4200 / (10·1570 + 4200) ≈ 21%.
        assert!((19_000..23_000).contains(&nakano), "{nakano}");
        assert_eq!(&places.places[10].text, b"131148");
    }

    #[test]
    fn notations_look_right() {
        let mut text = Vec::new();
        let r = Remainder {
            notation: Notation::KanjiChome,
            town: "本町",
            chome: 2,
            ban: 3,
            go: 4,
            building: ("ひかり", "ハイツ"),
            room: 0,
        };
        r.write(&mut text);
        let r2 = Remainder {
            notation: Notation::Hyphens,
            town: "中央",
            chome: 1,
            room: 201,
            ..r
        };
        text.push(b'|');
        r2.write(&mut text);
        let r3 = Remainder {
            notation: Notation::Banchi,
            town: "上野",
            ban: 123,
            go: 0,
            ..r
        };
        text.push(b'|');
        r3.write(&mut text);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "本町二丁目3番4号|中央1-3-4 ひかりハイツ201|大字上野123番地"
        );
    }

    #[test]
    fn sampled_addresses_never_need_quoting() {
        let mut rng = Rng::new(5, 5);
        let mut text = Vec::new();
        for i in 0..10_000 {
            text.clear();
            let settlement = if i % 2 == 0 {
                Settlement::Urban
            } else {
                Settlement::Rural
            };
            Remainder::sample(&mut rng, settlement).write(&mut text);
            let s = std::str::from_utf8(&text).unwrap();
            assert!(!s.is_empty() && !s.contains([',', '"', '\n', '\r']), "{s}");
        }
    }
}
