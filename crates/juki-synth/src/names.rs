//! Names: Japanese family and given names with katakana readings (vendored from gimei, see
//! `data/LICENSE-gimei`), and Latin names as on a residence card for foreign residents.

use crate::rng::{Rng, Weighted};
use std::sync::LazyLock;

/// A Japanese name part and its reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JpName {
    pub kanji: &'static str,
    pub kana: &'static str,
}

/// Whether `s` is a reading juki writes: full-width katakana (ァ–ヺ) and the long vowel mark ー.
pub fn is_katakana_reading(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー'))
}

/// Whether `s` is a Japanese-script name: kanji (incl. compatibility and extension blocks, for
/// variants such as 﨑), hiragana, katakana and the marks names use (々 〆 ヶ ー).
pub fn is_japanese_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| {
            matches!(c,
                '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
                | '\u{20000}'..='\u{3FFFF}' | '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}'
                | 'ー' | '々' | '〆')
        })
}

/// Parses a vendored `kanji<TAB>katakana` list, skipping any entry that breaks the rules above
/// (the conversion already dropped them; this keeps a hand edit from slipping through).
fn parse_tsv(text: &'static str) -> Vec<JpName> {
    text.lines()
        .filter_map(|line| {
            let (kanji, kana) = line.split_once('\t')?;
            (is_japanese_name(kanji) && is_katakana_reading(kana)).then_some(JpName { kanji, kana })
        })
        .collect()
}

static FAMILY_TSV: &str = include_str!("../data/family_names.tsv");
static MALE_TSV: &str = include_str!("../data/given_names_male.tsv");
static FEMALE_TSV: &str = include_str!("../data/given_names_female.tsv");

/// Rank offset of the family-name weights: weight(rank) = 1 / (rank + 20), which gives the most
/// common name (佐藤) about 1.5% of residents, as in Japan.
const FAMILY_RANK_OFFSET: u64 = 20;

#[derive(Debug)]
pub struct JapaneseNames {
    pub family: Vec<JpName>,
    family_weights: Weighted,
    pub male: Vec<JpName>,
    pub female: Vec<JpName>,
}

impl JapaneseNames {
    fn load() -> JapaneseNames {
        let family = parse_tsv(FAMILY_TSV);
        let male = parse_tsv(MALE_TSV);
        let female = parse_tsv(FEMALE_TSV);
        assert!(
            !family.is_empty() && !male.is_empty() && !female.is_empty(),
            "vendored name lists"
        );
        // Integer weights ∝ 1/(rank + offset), scaled by a common multiple large enough to keep
        // the tail distinct.
        let weights: Vec<u64> = (0..family.len() as u64)
            .map(|rank| (1u64 << 40) / (rank + FAMILY_RANK_OFFSET))
            .collect();
        JapaneseNames {
            family_weights: Weighted::new(&weights),
            family,
            male,
            female,
        }
    }

    pub fn family(&self, rng: &mut Rng) -> JpName {
        self.family[self.family_weights.sample(rng)]
    }

    pub fn given(&self, rng: &mut Rng, male: bool) -> JpName {
        rng.pick(if male { &self.male } else { &self.female })
    }
}

pub static JAPANESE: LazyLock<JapaneseNames> = LazyLock::new(JapaneseNames::load);

/// How a nationality's names are put together on a residence card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// FAMILY GIVEN (China, Korea, Nepal, …).
    FamilyGiven,
    /// NGUYEN VAN AN: family, a middle name by sex, a given name.
    Vietnamese,
    /// SMITH JOHN, sometimes with a middle name: SMITH JOHN MICHAEL.
    Western,
    /// No family name (Myanmar): the whole name, two or three words, in the family field.
    SingleName,
    /// Mostly FAMILY GIVEN, one in four a single name with the given name left empty.
    Indonesian,
}

/// How a nationality's residents form a 通称 (alias), when they have one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AliasStyle {
    None,
    /// The name in kanji: 王偉 (the second element of each name pair).
    Kanji,
    /// A Japanese alias (通名) as many special permanent residents use: 金本花子.
    Japanese,
    /// Nikkei residents: family name in kanji, given name in katakana: 田中マリア.
    KanjiKatakana,
}

/// (Latin, alias form): the alias form is kanji or katakana, or empty when there is none.
pub type Pair = (&'static str, &'static str);

#[derive(Debug)]
pub struct Nationality {
    /// ISO 3166-1 alpha-2.
    pub code: &'static str,
    /// Share of Japan's foreign residents, per ten thousand (approximate, 在留外国人統計 2023).
    pub weight: u32,
    pub style: Style,
    pub families: &'static [Pair],
    pub male: &'static [Pair],
    pub female: &'static [Pair],
    pub alias: AliasStyle,
    /// Residents with an alias, per mille (of those whose name has an alias form).
    pub alias_per_mille: u32,
    /// Whether a wife keeps her own family name (China, Korea, Vietnam, …) or takes the head's.
    pub spouse_keeps_name: bool,
    /// Whether the age profile is the nation's rather than the younger foreign one (Korea: many
    /// special permanent residents, born in Japan, of every age).
    pub national_age_profile: bool,
}

const CN_FAMILY: &[Pair] = &[
    ("WANG", "王"),
    ("LI", "李"),
    ("ZHANG", "張"),
    ("LIU", "劉"),
    ("CHEN", "陳"),
    ("YANG", "楊"),
    ("HUANG", "黄"),
    ("ZHAO", "趙"),
    ("WU", "呉"),
    ("ZHOU", "周"),
    ("XU", "徐"),
    ("SUN", "孫"),
    ("MA", "馬"),
    ("ZHU", "朱"),
    ("HU", "胡"),
    ("GUO", "郭"),
    ("HE", "何"),
    ("LIN", "林"),
    ("GAO", "高"),
    ("LUO", "羅"),
    ("ZHENG", "鄭"),
    ("LIANG", "梁"),
    ("XIE", "謝"),
    ("SONG", "宋"),
];
const CN_MALE: &[Pair] = &[
    ("WEI", "偉"),
    ("LEI", "磊"),
    ("JUN", "軍"),
    ("YONG", "勇"),
    ("JIE", "傑"),
    ("TAO", "涛"),
    ("MING", "明"),
    ("CHAO", "超"),
    ("HAO", "浩"),
    ("YU", "宇"),
    ("QIANG", "強"),
    ("PENG", "鵬"),
    ("JIAN", "健"),
    ("HUI", "輝"),
    ("BO", "博"),
    ("ZHIWEI", "志偉"),
    ("JIANHUA", "建華"),
    ("HAOYU", "浩宇"),
];
const CN_FEMALE: &[Pair] = &[
    ("FANG", "芳"),
    ("NA", "娜"),
    ("MIN", "敏"),
    ("JING", "静"),
    ("LI", "麗"),
    ("YAN", "艶"),
    ("XIN", "欣"),
    ("HUI", "慧"),
    ("TING", "婷"),
    ("LING", "玲"),
    ("XIUYING", "秀英"),
    ("XIAOHONG", "暁紅"),
    ("MEILING", "美玲"),
    ("YUTONG", "雨桐"),
    ("JIAYI", "佳怡"),
];

const KR_FAMILY: &[Pair] = &[
    ("KIM", "金"),
    ("LEE", "李"),
    ("PARK", "朴"),
    ("CHOI", "崔"),
    ("JUNG", "鄭"),
    ("KANG", "姜"),
    ("CHO", "趙"),
    ("YOON", "尹"),
    ("JANG", "張"),
    ("LIM", "林"),
    ("HAN", "韓"),
    ("SHIN", "申"),
    ("OH", "呉"),
    ("SEO", "徐"),
    ("KWON", "権"),
    ("HWANG", "黄"),
    ("AHN", "安"),
    ("SONG", "宋"),
];
const KR_MALE: &[Pair] = &[
    ("MIN JUN", ""),
    ("JI HOON", ""),
    ("HYUN WOO", ""),
    ("DONG HYUN", ""),
    ("SUNG MIN", ""),
    ("JUN HO", ""),
    ("YOUNG SOO", ""),
    ("SANG WOO", ""),
    ("JAE HYUN", ""),
    ("SEUNG HO", ""),
    ("TAE YANG", ""),
    ("CHUL SOO", ""),
];
const KR_FEMALE: &[Pair] = &[
    ("SEO YEON", ""),
    ("JI WOO", ""),
    ("SU BIN", ""),
    ("YE JIN", ""),
    ("MIN JI", ""),
    ("HYE JIN", ""),
    ("EUN JI", ""),
    ("YOUNG HEE", ""),
    ("SOO JIN", ""),
    ("JI YOUNG", ""),
    ("MI KYUNG", ""),
    ("HA EUN", ""),
];

const VN_FAMILY: &[Pair] = &[
    ("NGUYEN", ""),
    ("NGUYEN", ""),
    ("NGUYEN", ""),
    ("TRAN", ""),
    ("LE", ""),
    ("PHAM", ""),
    ("HOANG", ""),
    ("HUYNH", ""),
    ("PHAN", ""),
    ("VU", ""),
    ("VO", ""),
    ("DANG", ""),
    ("BUI", ""),
    ("DO", ""),
    ("HO", ""),
    ("NGO", ""),
    ("DUONG", ""),
    ("LY", ""),
];
const VN_MALE: &[Pair] = &[
    ("AN", ""),
    ("BINH", ""),
    ("CUONG", ""),
    ("DUNG", ""),
    ("DUC", ""),
    ("HAI", ""),
    ("HUNG", ""),
    ("KHANH", ""),
    ("LONG", ""),
    ("MINH", ""),
    ("NAM", ""),
    ("QUANG", ""),
    ("TUAN", ""),
    ("VIET", ""),
    ("THANG", ""),
    ("HIEU", ""),
    ("TRUNG", ""),
    ("PHONG", ""),
];
const VN_FEMALE: &[Pair] = &[
    ("ANH", ""),
    ("HA", ""),
    ("HANH", ""),
    ("HOA", ""),
    ("HUONG", ""),
    ("LAN", ""),
    ("LINH", ""),
    ("MAI", ""),
    ("NGA", ""),
    ("NHUNG", ""),
    ("PHUONG", ""),
    ("THAO", ""),
    ("THU", ""),
    ("TRANG", ""),
    ("YEN", ""),
    ("VY", ""),
    ("NGOC ANH", ""),
    ("THUY", ""),
];
/// Vietnamese middle names by sex.
pub const VN_MIDDLE_MALE: &[&str] = &["VAN", "VAN", "VAN", "DUC", "MINH", "HUU", "QUANG", "THANH"];
pub const VN_MIDDLE_FEMALE: &[&str] = &["THI", "THI", "THI", "THI", "NGOC", "THU", "THANH"];

const PH_FAMILY: &[Pair] = &[
    ("SANTOS", ""),
    ("REYES", ""),
    ("CRUZ", ""),
    ("BAUTISTA", ""),
    ("OCAMPO", ""),
    ("GARCIA", ""),
    ("MENDOZA", ""),
    ("TORRES", ""),
    ("DELA CRUZ", ""),
    ("VILLANUEVA", ""),
    ("RAMOS", ""),
    ("AQUINO", ""),
    ("CASTILLO", ""),
    ("FLORES", ""),
    ("GONZALES", ""),
    ("DE LEON", ""),
];
const PH_MALE: &[Pair] = &[
    ("JOSE", ""),
    ("MARK ANTHONY", ""),
    ("JOHN PAUL", ""),
    ("RICARDO", ""),
    ("ROMMEL", ""),
    ("JUAN", ""),
    ("MICHAEL", ""),
    ("JAYSON", ""),
    ("RODEL", ""),
    ("ARNEL", ""),
    ("JERICHO", ""),
];
const PH_FEMALE: &[Pair] = &[
    ("MARIA", ""),
    ("MARIA CRISTINA", ""),
    ("ANGELICA", ""),
    ("JOCELYN", ""),
    ("ROSALIE", ""),
    ("MARIBEL", ""),
    ("JENNIFER", ""),
    ("MICHELLE", ""),
    ("MARY GRACE", ""),
    ("LORNA", ""),
    ("ANALYN", ""),
    ("RIZZA", ""),
];

const BR_FAMILY: &[Pair] = &[
    ("SILVA", ""),
    ("SANTOS", ""),
    ("OLIVEIRA", ""),
    ("SOUZA", ""),
    ("PEREIRA", ""),
    ("COSTA", ""),
    ("RODRIGUES", ""),
    ("ALMEIDA", ""),
    ("NASCIMENTO", ""),
    ("LIMA", ""),
    ("ARAUJO", ""),
    ("FERREIRA", ""),
    ("TANAKA", "田中"),
    ("SUZUKI", "鈴木"),
    ("YAMAMOTO", "山本"),
    ("NAKAMURA", "中村"),
    ("KOBAYASHI", "小林"),
    ("SATO", "佐藤"),
    ("HIGA", "比嘉"),
    ("OSHIRO", "大城"),
    ("KINJO", "金城"),
    ("MATSUMOTO", "松本"),
];
const BR_MALE: &[Pair] = &[
    ("JOAO", "ジョアン"),
    ("PEDRO", "ペドロ"),
    ("LUCAS", "ルーカス"),
    ("GABRIEL", "ガブリエル"),
    ("RAFAEL", "ハファエル"),
    ("BRUNO", "ブルーノ"),
    ("CARLOS", "カルロス"),
    ("PAULO", "パウロ"),
    ("MARCOS", "マルコス"),
    ("FELIPE", "フェリペ"),
    ("THIAGO", "チアゴ"),
    ("RICARDO", "ヒカルド"),
];
const BR_FEMALE: &[Pair] = &[
    ("MARIA", "マリア"),
    ("ANA", "アナ"),
    ("JULIANA", "ジュリアナ"),
    ("FERNANDA", "フェルナンダ"),
    ("CAMILA", "カミラ"),
    ("PATRICIA", "パトリシア"),
    ("LETICIA", "レチシア"),
    ("BEATRIZ", "ベアトリス"),
    ("LUCIANA", "ルシアナ"),
    ("SANDRA", "サンドラ"),
    ("ERIKA", "エリカ"),
    ("MARINA", "マリナ"),
];

const PE_FAMILY: &[Pair] = &[
    ("GARCIA", ""),
    ("RODRIGUEZ", ""),
    ("LOPEZ", ""),
    ("GONZALEZ", ""),
    ("FLORES", ""),
    ("RAMIREZ", ""),
    ("TORRES", ""),
    ("QUISPE", ""),
    ("MAMANI", ""),
    ("CHAVEZ", ""),
    ("HIGA", "比嘉"),
    ("YAMASHIRO", "山城"),
    ("NAKAMURA", "中村"),
    ("UEHARA", "上原"),
];
const PE_MALE: &[Pair] = &[
    ("JOSE", "ホセ"),
    ("LUIS", "ルイス"),
    ("CARLOS", "カルロス"),
    ("JORGE", "ホルヘ"),
    ("JUAN", "フアン"),
    ("MIGUEL", "ミゲル"),
    ("CESAR", "セサル"),
    ("VICTOR", "ビクトル"),
];
const PE_FEMALE: &[Pair] = &[
    ("MARIA", "マリア"),
    ("ROSA", "ロサ"),
    ("CARMEN", "カルメン"),
    ("ANA", "アナ"),
    ("LUCIA", "ルシア"),
    ("ELENA", "エレナ"),
    ("PATRICIA", "パトリシア"),
    ("SOFIA", "ソフィア"),
];

const NP_FAMILY: &[Pair] = &[
    ("SHRESTHA", ""),
    ("GURUNG", ""),
    ("TAMANG", ""),
    ("RAI", ""),
    ("MAGAR", ""),
    ("THAPA", ""),
    ("ADHIKARI", ""),
    ("SHARMA", ""),
    ("POUDEL", ""),
    ("KHADKA", ""),
    ("BHANDARI", ""),
    ("KARKI", ""),
    ("BASNET", ""),
    ("LAMA", ""),
];
const NP_MALE: &[Pair] = &[
    ("RAM", ""),
    ("BIKASH", ""),
    ("ANIL", ""),
    ("SANJAY", ""),
    ("PRAKASH", ""),
    ("BINOD", ""),
    ("KIRAN", ""),
    ("RAJESH", ""),
    ("DIPAK", ""),
    ("SURESH", ""),
    ("ROSHAN", ""),
    ("SUMAN", ""),
];
const NP_FEMALE: &[Pair] = &[
    ("SITA", ""),
    ("SUNITA", ""),
    ("ANITA", ""),
    ("SARITA", ""),
    ("MAMATA", ""),
    ("GITA", ""),
    ("SABINA", ""),
    ("PUJA", ""),
    ("RITA", ""),
    ("ASHA", ""),
    ("NIRMALA", ""),
];

const ID_FAMILY: &[Pair] = &[
    ("SETIAWAN", ""),
    ("SARI", ""),
    ("PRATAMA", ""),
    ("WIJAYA", ""),
    ("SAPUTRA", ""),
    ("HIDAYAT", ""),
    ("NUGROHO", ""),
    ("KURNIAWAN", ""),
    ("LESTARI", ""),
    ("RAHMAWATI", ""),
    ("SANTOSO", ""),
    ("HARTONO", ""),
];
const ID_MALE: &[Pair] = &[
    ("BUDI", ""),
    ("AGUS", ""),
    ("ADI", ""),
    ("ANDI", ""),
    ("YOGA", ""),
    ("RIZKY", ""),
    ("DIMAS", ""),
    ("FAJAR", ""),
    ("EKO", ""),
    ("ARIF", ""),
    ("MUHAMMAD", ""),
];
const ID_FEMALE: &[Pair] = &[
    ("DEWI", ""),
    ("SITI", ""),
    ("EKA", ""),
    ("RINA", ""),
    ("PUTRI", ""),
    ("AYU", ""),
    ("INDAH", ""),
    ("FITRI", ""),
    ("NUR", ""),
    ("WULAN", ""),
];

/// Myanmar: words of a name; a name is two or three of them.
const MM_WORDS_MALE: &[Pair] = &[
    ("AUNG", ""),
    ("KYAW", ""),
    ("ZAW", ""),
    ("MIN", ""),
    ("HTET", ""),
    ("WIN", ""),
    ("NAING", ""),
    ("SOE", ""),
    ("THU", ""),
    ("HTUN", ""),
    ("MYO", ""),
    ("LIN", ""),
];
const MM_WORDS_FEMALE: &[Pair] = &[
    ("MOE", ""),
    ("MYAT", ""),
    ("HLAING", ""),
    ("SU", ""),
    ("NANDAR", ""),
    ("KHIN", ""),
    ("MAY", ""),
    ("THIN", ""),
    ("ZAR", ""),
    ("PHYU", ""),
    ("THANDAR", ""),
    ("EI", ""),
];

const TW_FAMILY: &[Pair] = &[
    ("CHEN", "陳"),
    ("LIN", "林"),
    ("HUANG", "黄"),
    ("CHANG", "張"),
    ("LEE", "李"),
    ("WANG", "王"),
    ("WU", "呉"),
    ("LIU", "劉"),
    ("TSAI", "蔡"),
    ("YANG", "楊"),
    ("HSU", "許"),
    ("CHENG", "鄭"),
];
const TW_MALE: &[Pair] = &[
    ("CHIA-HAO", "家豪"),
    ("CHIH-WEI", "志偉"),
    ("CHUN-HUNG", "俊宏"),
    ("CHIEN-HUNG", "建宏"),
    ("TSUNG-HAN", "宗翰"),
    ("YU-CHENG", "宇成"),
    ("WEI-LUN", "偉倫"),
    ("CHENG-EN", "承恩"),
];
const TW_FEMALE: &[Pair] = &[
    ("YI-TING", "怡婷"),
    ("SHU-FEN", "淑芬"),
    ("MEI-LING", "美玲"),
    ("YA-TING", "雅婷"),
    ("HSIN-YI", "欣怡"),
    ("YU-CHEN", "雨辰"),
    ("PEI-SHAN", "佩珊"),
    ("SHU-HUI", "淑恵"),
];

const TH_FAMILY: &[Pair] = &[
    ("SRISUK", ""),
    ("SAETANG", ""),
    ("WONGSAWAT", ""),
    ("CHAIYAPORN", ""),
    ("SUKSAWAT", ""),
    ("THONGCHAI", ""),
    ("BOONMA", ""),
    ("KAEWKLA", ""),
    ("RATTANAPORN", ""),
    ("PHROMMA", ""),
];
const TH_MALE: &[Pair] = &[
    ("SOMCHAI", ""),
    ("SOMSAK", ""),
    ("KITTI", ""),
    ("WANCHAI", ""),
    ("PRASERT", ""),
    ("ANAN", ""),
    ("CHAIWAT", ""),
    ("THANAWAT", ""),
];
const TH_FEMALE: &[Pair] = &[
    ("NATTAPORN", ""),
    ("SUPAPORN", ""),
    ("PORNTIP", ""),
    ("ANCHALEE", ""),
    ("NARUMON", ""),
    ("SIRIPORN", ""),
    ("KANYA", ""),
    ("WARUNEE", ""),
];

const LK_FAMILY: &[Pair] = &[
    ("PERERA", ""),
    ("FERNANDO", ""),
    ("SILVA", ""),
    ("JAYASINGHE", ""),
    ("BANDARA", ""),
    ("DISSANAYAKE", ""),
    ("WICKRAMASINGHE", ""),
    ("RATHNAYAKE", ""),
    ("HERATH", ""),
];
const LK_MALE: &[Pair] = &[
    ("NUWAN", ""),
    ("KASUN", ""),
    ("CHAMARA", ""),
    ("RUWAN", ""),
    ("SAMAN", ""),
    ("DINESH", ""),
    ("PRADEEP", ""),
    ("LAHIRU", ""),
];
const LK_FEMALE: &[Pair] = &[
    ("NADEESHA", ""),
    ("DILANI", ""),
    ("CHAMARI", ""),
    ("SANDYA", ""),
    ("ISHARA", ""),
    ("MADUSHANI", ""),
    ("NILANTHI", ""),
];

const IN_FAMILY: &[Pair] = &[
    ("SHARMA", ""),
    ("SINGH", ""),
    ("KUMAR", ""),
    ("PATEL", ""),
    ("GUPTA", ""),
    ("REDDY", ""),
    ("IYER", ""),
    ("NAIR", ""),
    ("RAO", ""),
    ("DAS", ""),
    ("JOSHI", ""),
];
const IN_MALE: &[Pair] = &[
    ("RAHUL", ""),
    ("AMIT", ""),
    ("RAJ", ""),
    ("VIKRAM", ""),
    ("ARJUN", ""),
    ("SURESH", ""),
    ("KARTHIK", ""),
    ("ANAND", ""),
    ("ROHIT", ""),
];
const IN_FEMALE: &[Pair] = &[
    ("PRIYA", ""),
    ("ANJALI", ""),
    ("DIVYA", ""),
    ("KAVYA", ""),
    ("POOJA", ""),
    ("NEHA", ""),
    ("LAKSHMI", ""),
    ("SNEHA", ""),
];

const ANGLO_FAMILY: &[Pair] = &[
    ("SMITH", ""),
    ("JOHNSON", ""),
    ("WILLIAMS", ""),
    ("BROWN", ""),
    ("JONES", ""),
    ("MILLER", ""),
    ("DAVIS", ""),
    ("WILSON", ""),
    ("ANDERSON", ""),
    ("TAYLOR", ""),
    ("O'BRIEN", ""),
    ("MARTIN", ""),
    ("THOMPSON", ""),
    ("WHITE", ""),
    ("HARRIS", ""),
    ("CLARK", ""),
    ("LEWIS", ""),
    ("WALKER", ""),
    ("YOUNG", ""),
    ("O'CONNOR", ""),
    ("MACDONALD", ""),
    ("SMITH-JONES", ""),
];
const ANGLO_MALE: &[Pair] = &[
    ("JOHN", ""),
    ("MICHAEL", ""),
    ("DAVID", ""),
    ("JAMES", ""),
    ("ROBERT", ""),
    ("CHRISTOPHER", ""),
    ("MATTHEW", ""),
    ("DANIEL", ""),
    ("WILLIAM", ""),
    ("THOMAS", ""),
    ("ANDREW", ""),
    ("RYAN", ""),
];
const ANGLO_FEMALE: &[Pair] = &[
    ("MARY", ""),
    ("JENNIFER", ""),
    ("SARAH", ""),
    ("EMILY", ""),
    ("JESSICA", ""),
    ("ANNA", ""),
    ("ELIZABETH", ""),
    ("MARY-ANN", ""),
    ("LAURA", ""),
    ("RACHEL", ""),
    ("HANNAH", ""),
];

const FR_FAMILY: &[Pair] = &[
    ("MARTIN", ""),
    ("BERNARD", ""),
    ("DUBOIS", ""),
    ("THOMAS", ""),
    ("ROBERT", ""),
    ("RICHARD", ""),
    ("PETIT", ""),
    ("DURAND", ""),
    ("LEROY", ""),
    ("D'ARCY", ""),
];
const FR_MALE: &[Pair] = &[
    ("JEAN-PIERRE", ""),
    ("PIERRE", ""),
    ("NICOLAS", ""),
    ("JULIEN", ""),
    ("THOMAS", ""),
    ("ANTOINE", ""),
    ("LOUIS", ""),
];
const FR_FEMALE: &[Pair] = &[
    ("MARIE", ""),
    ("SOPHIE", ""),
    ("CAMILLE", ""),
    ("JULIE", ""),
    ("CLAIRE", ""),
    ("ANNE-SOPHIE", ""),
    ("CHLOE", ""),
];

const DE_FAMILY: &[Pair] = &[
    ("MUELLER", ""),
    ("SCHMIDT", ""),
    ("SCHNEIDER", ""),
    ("FISCHER", ""),
    ("WEBER", ""),
    ("MEYER", ""),
    ("WAGNER", ""),
    ("BECKER", ""),
    ("HOFFMANN", ""),
];
const DE_MALE: &[Pair] = &[
    ("LUKAS", ""),
    ("JONAS", ""),
    ("FELIX", ""),
    ("STEFAN", ""),
    ("MARKUS", ""),
    ("TOBIAS", ""),
    ("KARL-HEINZ", ""),
];
const DE_FEMALE: &[Pair] = &[
    ("ANNA", ""),
    ("LENA", ""),
    ("KATHARINA", ""),
    ("JULIA", ""),
    ("SABINE", ""),
    ("MONIKA", ""),
];

/// Japanese aliases (通名) common among special permanent residents.
pub const ZAINICHI_ALIAS_FAMILY: &[&str] = &[
    "金本", "金田", "金山", "新井", "松本", "木村", "安田", "岩本", "大山", "山本", "高山", "宮本",
    "平山", "西原", "国本", "星山",
];

const fn nat(
    code: &'static str,
    weight: u32,
    style: Style,
    families: &'static [Pair],
    male: &'static [Pair],
    female: &'static [Pair],
) -> Nationality {
    Nationality {
        code,
        weight,
        style,
        families,
        male,
        female,
        alias: AliasStyle::None,
        alias_per_mille: 0,
        spouse_keeps_name: false,
        national_age_profile: false,
    }
}

/// Japan's foreign residents by nationality (approximate shares; the long tail of other
/// nationalities is left out, so the shares below are renormalised).
pub static NATIONALITIES: &[Nationality] = &[
    Nationality {
        alias: AliasStyle::Kanji,
        alias_per_mille: 120,
        spouse_keeps_name: true,
        ..nat(
            "CN",
            2_390,
            Style::FamilyGiven,
            CN_FAMILY,
            CN_MALE,
            CN_FEMALE,
        )
    },
    Nationality {
        spouse_keeps_name: true,
        ..nat(
            "VN",
            1_650,
            Style::Vietnamese,
            VN_FAMILY,
            VN_MALE,
            VN_FEMALE,
        )
    },
    Nationality {
        alias: AliasStyle::Japanese,
        alias_per_mille: 550,
        spouse_keeps_name: true,
        national_age_profile: true,
        ..nat(
            "KR",
            1_200,
            Style::FamilyGiven,
            KR_FAMILY,
            KR_MALE,
            KR_FEMALE,
        )
    },
    nat("PH", 930, Style::Western, PH_FAMILY, PH_MALE, PH_FEMALE),
    Nationality {
        alias: AliasStyle::KanjiKatakana,
        alias_per_mille: 300,
        ..nat("BR", 620, Style::Western, BR_FAMILY, BR_MALE, BR_FEMALE)
    },
    nat("NP", 510, Style::FamilyGiven, NP_FAMILY, NP_MALE, NP_FEMALE),
    nat("ID", 440, Style::Indonesian, ID_FAMILY, ID_MALE, ID_FEMALE),
    nat(
        "MM",
        250,
        Style::SingleName,
        &[],
        MM_WORDS_MALE,
        MM_WORDS_FEMALE,
    ),
    Nationality {
        alias: AliasStyle::Kanji,
        alias_per_mille: 200,
        spouse_keeps_name: true,
        ..nat("TW", 190, Style::FamilyGiven, TW_FAMILY, TW_MALE, TW_FEMALE)
    },
    nat(
        "US",
        190,
        Style::Western,
        ANGLO_FAMILY,
        ANGLO_MALE,
        ANGLO_FEMALE,
    ),
    nat("TH", 190, Style::FamilyGiven, TH_FAMILY, TH_MALE, TH_FEMALE),
    nat("LK", 160, Style::FamilyGiven, LK_FAMILY, LK_MALE, LK_FEMALE),
    nat("IN", 140, Style::FamilyGiven, IN_FAMILY, IN_MALE, IN_FEMALE),
    Nationality {
        alias: AliasStyle::KanjiKatakana,
        alias_per_mille: 300,
        ..nat("PE", 140, Style::Western, PE_FAMILY, PE_MALE, PE_FEMALE)
    },
    nat(
        "GB",
        60,
        Style::Western,
        ANGLO_FAMILY,
        ANGLO_MALE,
        ANGLO_FEMALE,
    ),
    nat("FR", 40, Style::Western, FR_FAMILY, FR_MALE, FR_FEMALE),
    nat(
        "CA",
        30,
        Style::Western,
        ANGLO_FAMILY,
        ANGLO_MALE,
        ANGLO_FEMALE,
    ),
    nat(
        "AU",
        30,
        Style::Western,
        ANGLO_FAMILY,
        ANGLO_MALE,
        ANGLO_FEMALE,
    ),
    nat("DE", 25, Style::Western, DE_FAMILY, DE_MALE, DE_FEMALE),
];

/// Up to three words of a Latin name, joined by spaces when written; empty words are skipped.
pub type Words = [&'static str; 3];

/// Whether `s` is a Latin name as on a residence card: A–Z words separated by one space, with
/// hyphens and apostrophes inside words.
pub fn is_residence_card_name(s: &str) -> bool {
    !s.is_empty()
        && s.split(' ').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'\'')
                && w.as_bytes()[0].is_ascii_uppercase()
        })
}

/// The weighted table of nationalities. Building it checks every foreign name once: Latin
/// names are A–Z words, alias forms Japanese script (so no name ever needs CSV quoting).
pub static NATIONALITY_WEIGHTS: LazyLock<Weighted> = LazyLock::new(|| {
    for n in NATIONALITIES {
        for (latin, alias) in n.families.iter().chain(n.male).chain(n.female) {
            assert!(
                is_residence_card_name(latin),
                "vendored Latin name {latin:?}"
            );
            assert!(
                alias.is_empty() || is_japanese_name(alias),
                "vendored alias form {alias:?}"
            );
        }
    }
    for w in VN_MIDDLE_MALE.iter().chain(VN_MIDDLE_FEMALE) {
        assert!(is_residence_card_name(w), "vendored middle name {w:?}");
    }
    for a in ZAINICHI_ALIAS_FAMILY {
        assert!(is_japanese_name(a), "vendored alias {a:?}");
    }
    Weighted::new(
        &NATIONALITIES
            .iter()
            .map(|n| u64::from(n.weight))
            .collect::<Vec<_>>(),
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_lists_are_clean_and_complete() {
        // Nothing in the vendored files is skipped by the load-time check.
        for (text, parsed) in [
            (FAMILY_TSV, &JAPANESE.family),
            (MALE_TSV, &JAPANESE.male),
            (FEMALE_TSV, &JAPANESE.female),
        ] {
            assert_eq!(text.lines().count(), parsed.len());
        }
        let has = |k: &str| JAPANESE.family.iter().any(|n| n.kanji == k);
        for k in ["佐々木", "髙橋", "山﨑", "一ノ瀬", "千ヶ崎", "渡邊", "齋藤"] {
            assert!(has(k), "{k} is in the family names");
        }
        assert_eq!(
            JAPANESE.family[0],
            JpName {
                kanji: "佐藤",
                kana: "サトウ"
            }
        );
    }

    #[test]
    fn katakana_rule() {
        assert!(is_katakana_reading("ササキ"));
        assert!(is_katakana_reading("ユーキ"));
        assert!(is_katakana_reading("ヴァン"));
        assert!(!is_katakana_reading("ささき"));
        assert!(!is_katakana_reading("ｻｻｷ"));
        assert!(!is_katakana_reading("サ キ"));
        assert!(!is_katakana_reading(""));
    }

    #[test]
    fn foreign_names_are_residence_card_names() {
        for n in NATIONALITIES {
            assert!(n.code.len() == 2 && n.code.bytes().all(|b| b.is_ascii_uppercase()));
            for (latin, alias) in n.families.iter().chain(n.male).chain(n.female) {
                assert!(is_residence_card_name(latin), "{latin:?} ({})", n.code);
                assert!(alias.is_empty() || is_japanese_name(alias), "{alias:?}");
            }
            assert!(!n.male.is_empty() && !n.female.is_empty());
            assert!(n.style == Style::SingleName || !n.families.is_empty());
        }
        for w in VN_MIDDLE_MALE.iter().chain(VN_MIDDLE_FEMALE) {
            assert!(is_residence_card_name(w));
        }
        for a in ZAINICHI_ALIAS_FAMILY {
            assert!(is_japanese_name(a));
        }
        assert!(!is_residence_card_name("SMITH  JOHN"));
        assert!(!is_residence_card_name("Smith"));
    }
}
