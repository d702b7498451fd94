//! The table of local governments: prefectures, municipalities, special wards, designated
//! cities and their wards, with names, and which municipal node (CS) serves each code.
//!
//! Source: 全国地方公共団体コード, Ministry of Internal Affairs and Communications (総務省),
//! vendored as `data/local_government_codes.csv` (columns `code6,prefecture,name,kind,parent5`).

use crate::code::LocalGovernmentCode;
use std::collections::HashMap;
use std::sync::LazyLock;

/// What kind of body a code names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LgcKind {
    Prefecture,
    /// 市町村 (city, town or village) other than a designated city.
    Municipality,
    /// 特別区: the 23 wards of Tokyo, each a municipality of its own.
    SpecialWard,
    /// 政令指定都市: one municipality (one CS) whose wards have codes of their own.
    DesignatedCity,
    /// 行政区 of a designated city: appears in addresses; served by the city's CS.
    DesignatedCityWard,
}

impl LgcKind {
    fn parse(s: &str) -> Option<LgcKind> {
        Some(match s {
            "prefecture" => LgcKind::Prefecture,
            "municipality" => LgcKind::Municipality,
            "special_ward" => LgcKind::SpecialWard,
            "designated_city" => LgcKind::DesignatedCity,
            "designated_city_ward" => LgcKind::DesignatedCityWard,
            _ => return None,
        })
    }

    /// Whether a body of this kind runs a municipal node (CS) of its own.
    pub fn has_node(self) -> bool {
        matches!(
            self,
            LgcKind::Municipality | LgcKind::SpecialWard | LgcKind::DesignatedCity
        )
    }
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalGovernment {
    pub code: LocalGovernmentCode,
    /// Prefecture name, e.g. 東京都.
    pub prefecture: &'static str,
    /// The body's own name (e.g. 中野区, 札幌市中央区); for a prefecture, the prefecture name.
    pub name: &'static str,
    pub kind: LgcKind,
    /// For a designated-city ward, the designated city.
    pub city: Option<LocalGovernmentCode>,
}

impl LocalGovernment {
    /// Full name as written in an address: 東京都中野区, 北海道札幌市中央区, 東京都.
    pub fn full_name(&self) -> String {
        if self.kind == LgcKind::Prefecture {
            self.prefecture.to_string()
        } else {
            format!("{}{}", self.prefecture, self.name)
        }
    }
}

/// The whole table, loaded once.
#[derive(Debug)]
pub struct LgcTable {
    rows: Vec<LocalGovernment>,
    by_code: HashMap<LocalGovernmentCode, usize>,
}

static CSV: &str = include_str!("../data/local_government_codes.csv");
static TABLE: LazyLock<LgcTable> = LazyLock::new(|| LgcTable::parse(CSV));

/// The table of every local government in Japan.
pub fn table() -> &'static LgcTable {
    &TABLE
}

impl LgcTable {
    fn parse(csv: &'static str) -> LgcTable {
        let mut rows = Vec::new();
        for (i, line) in csv.lines().enumerate().skip(1) {
            if line.is_empty() {
                continue;
            }
            let f: Vec<&'static str> = line.split(',').collect();
            assert_eq!(f.len(), 5, "vendored table line {}: five columns", i + 1);
            let code = LocalGovernmentCode::parse(f[0]).expect("vendored table codes are valid");
            let kind = LgcKind::parse(f[3]).expect("vendored table kinds are known");
            let city = (!f[4].is_empty()).then(|| {
                let five: u32 = f[4].parse().expect("parent5 is five digits");
                LocalGovernmentCode::from_five(five).expect("parent5 fits")
            });
            let name = if kind == LgcKind::Prefecture {
                f[1]
            } else {
                f[2]
            };
            rows.push(LocalGovernment {
                code,
                prefecture: f[1],
                name,
                kind,
                city,
            });
        }
        let by_code = rows.iter().enumerate().map(|(i, r)| (r.code, i)).collect();
        LgcTable { rows, by_code }
    }

    pub fn all(&self) -> &[LocalGovernment] {
        &self.rows
    }

    pub fn get(&self, code: LocalGovernmentCode) -> Option<&LocalGovernment> {
        self.by_code.get(&code).map(|&i| &self.rows[i])
    }

    /// Finds bodies by name: the exact name (中野区, 札幌市中央区), the full name with prefecture
    /// (東京都中野区), or a ward's own name (中央区 finds 東京都中央区 and every 〜市中央区).
    pub fn find_by_name(&self, name: &str) -> Vec<&LocalGovernment> {
        let name = name.trim();
        self.rows
            .iter()
            .filter(|r| {
                r.name == name
                    || r.full_name() == name
                    || (r.kind == LgcKind::DesignatedCityWard
                        && r.city
                            .and_then(|c| self.get(c))
                            .is_some_and(|c| r.name.strip_prefix(c.name) == Some(name)))
            })
            .collect()
    }

    /// The body whose municipal node serves `code`: a designated-city ward maps to its city,
    /// a municipality or special ward to itself; a prefecture has none.
    pub fn serving_node(&self, code: LocalGovernmentCode) -> Option<&LocalGovernment> {
        let row = self.get(code)?;
        match row.kind {
            LgcKind::DesignatedCityWard => row.city.and_then(|c| self.get(c)),
            LgcKind::Prefecture => None,
            _ => Some(row),
        }
    }

    /// Every body that runs a municipal node (CS): 市町村, 特別区 and designated cities.
    pub fn nodes(&self) -> impl Iterator<Item = &LocalGovernment> {
        self.rows.iter().filter(|r| r.kind.has_node())
    }

    /// The wards of a designated city.
    pub fn wards_of(&self, city: LocalGovernmentCode) -> impl Iterator<Item = &LocalGovernment> {
        self.rows.iter().filter(move |r| r.city == Some(city))
    }

    /// The codes an address recorded at node `node` may carry: the node's own code, or for a
    /// designated city, the code of one of its wards.
    pub fn address_codes_of(&self, node: LocalGovernmentCode) -> Vec<LocalGovernmentCode> {
        let wards: Vec<_> = self.wards_of(node).map(|w| w.code).collect();
        if wards.is_empty() { vec![node] } else { wards }
    }

    /// The prefectures, in code order.
    pub fn prefectures(&self) -> impl Iterator<Item = &LocalGovernment> {
        self.rows.iter().filter(|r| r.kind == LgcKind::Prefecture)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> LocalGovernmentCode {
        LocalGovernmentCode::parse(s).unwrap()
    }

    #[test]
    fn the_table_is_complete() {
        let t = table();
        assert_eq!(t.prefectures().count(), 47);
        assert_eq!(
            t.all()
                .iter()
                .filter(|r| r.kind == LgcKind::SpecialWard)
                .count(),
            23
        );
        assert_eq!(
            t.all()
                .iter()
                .filter(|r| r.kind == LgcKind::DesignatedCity)
                .count(),
            20
        );
        // 1,718 municipalities = 1,698 others + 20 designated cities, plus 23 special wards.
        assert_eq!(t.nodes().count(), 1741);
        for r in t.all() {
            assert!(t.get(r.code).is_some());
            if r.kind == LgcKind::DesignatedCityWard {
                assert_eq!(
                    t.get(r.city.unwrap()).unwrap().kind,
                    LgcKind::DesignatedCity
                );
            }
        }
    }

    #[test]
    fn lookups_by_code_and_name() {
        let t = table();
        let nakano = t.get(code("131148")).unwrap();
        assert_eq!(nakano.name, "中野区");
        assert_eq!(nakano.full_name(), "東京都中野区");
        assert_eq!(nakano.kind, LgcKind::SpecialWard);
        assert_eq!(t.find_by_name("東京都中野区"), vec![nakano]);
        assert_eq!(t.find_by_name("中野区"), vec![nakano]);
        assert_eq!(t.get(code("130001")).unwrap().name, "東京都");
        // 北区 is a special ward of Tokyo and a ward of several designated cities.
        let kita = t.find_by_name("北区");
        assert!(kita.len() > 3, "{kita:?}");
        assert!(kita.iter().any(|r| r.code == code("131172")));
        assert!(kita.iter().any(|r| r.name == "札幌市北区"));
    }

    #[test]
    fn wards_belong_to_their_designated_city() {
        let t = table();
        let chuo = t.get(code("011011")).unwrap();
        assert_eq!(chuo.kind, LgcKind::DesignatedCityWard);
        let sapporo = t.serving_node(chuo.code).unwrap();
        assert_eq!(sapporo.name, "札幌市");
        assert_eq!(sapporo.code, code("011002"));
        assert_eq!(t.wards_of(sapporo.code).count(), 10);
        assert_eq!(t.address_codes_of(code("131148")), vec![code("131148")]);
        assert_eq!(t.address_codes_of(sapporo.code).len(), 10);
        assert!(t.serving_node(code("130001")).is_none());
    }
}
