//! Printable certificates: the resident-record copy (住民票の写し) as HTML for the browser's
//! print dialog and as a PDF set in a Japanese font (docs/certificates.md).
//!
//! Both renderings show the same things, from the same lists ([`rows`], [`footer`]): the
//! fields a copy shows, the issuing and home municipality, the date in Tokyo, the certificate
//! number and the verification code. The PDF embeds a subset of the configured font (IPAex
//! Mincho by default) with its Unicode map, so its text can be searched and extracted; a
//! character the font lacks refuses the PDF rather than printing a blank in its place.

use juki_api::ResidentCopy;
use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// IPAex Mincho, as Debian's `fonts-ipaexfont` installs it.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf";

/// Why a certificate could not be rendered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrintError {
    /// The font file is missing or not a font.
    #[error("certificate font {path}: {reason}")]
    Font { path: PathBuf, reason: String },
    /// A character of the certificate has no glyph in the font.
    #[error("U+{:04X} ({ch}) has no glyph in the certificate font", *.ch as u32)]
    Glyph { ch: char },
    /// The PDF writer failed.
    #[error("PDF: {0}")]
    Pdf(String),
}

/// A font loaded for printing certificates.
pub struct CertificateFont {
    path: PathBuf,
    data: Arc<Vec<u8>>,
    font: Font,
}

impl std::fmt::Debug for CertificateFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateFont")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl CertificateFont {
    /// Loads the TrueType/OpenType font at `path` (the first face of a collection).
    pub fn load(path: &Path) -> Result<CertificateFont, PrintError> {
        let bad = |reason: String| PrintError::Font {
            path: path.to_path_buf(),
            reason,
        };
        let data = Arc::new(std::fs::read(path).map_err(|e| bad(e.to_string()))?);
        skrifa::FontRef::new(&data).map_err(|e| bad(format!("not a font: {e}")))?;
        let font = Font::new(data.clone().into(), 0).ok_or_else(|| bad("not a font".into()))?;
        Ok(CertificateFont {
            path: path.to_path_buf(),
            data,
            font,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that the font has a glyph for every visible character of `text`.
    fn covers(&self, text: &str) -> Result<(), PrintError> {
        let face = skrifa::FontRef::new(&self.data).map_err(|e| PrintError::Font {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        let charmap = face.charmap();
        match text
            .chars()
            .find(|&ch| !ch.is_whitespace() && charmap.map(ch).is_none())
        {
            Some(ch) => Err(PrintError::Glyph { ch }),
            None => Ok(()),
        }
    }
}

/// The copy's title, and the line under it.
fn heading(c: &ResidentCopy) -> (&'static str, &'static str) {
    (
        "住民票の写し",
        if c.wide_area {
            "広域交付（住民基本台帳法第12条の4）"
        } else {
            "交付"
        },
    )
}

/// The rows of the copy: label and value.
pub fn rows(c: &ResidentCopy) -> Vec<(&'static str, String)> {
    let f = &c.fields;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        ("氏名", format!("{} {}", f.family_name, f.given_name)),
        (
            "ふりがな",
            format!("{} {}", f.family_name_kana, f.given_name_kana),
        ),
        ("生年月日", f.birth_date.clone()),
        ("性別", f.sex.clone()),
        ("住所", format!("{}{}", c.home_name, f.address)),
        ("住民票コード", c.resident_code.clone()),
        ("世帯主", opt(&f.household_head)),
        ("続柄", opt(&f.relationship)),
        ("住民となった年月日", opt(&f.resident_since)),
        ("住所を定めた年月日", opt(&f.address_since)),
    ]
}

/// The lines under the table: the attestation, who issued it when, the home municipality,
/// the certificate number and the verification code. `date` is the issue date in Tokyo.
pub fn footer(c: &ResidentCopy, date: &str) -> Vec<String> {
    vec![
        "この写しは、住民票の原本と相違ないことを証明する。".into(),
        format!("{date}　{}長（交付地 {}）", c.issued_by_name, c.issued_by),
        format!("住所地: {} ({})", c.home_name, c.home),
        format!(
            "証明書番号 {}　検証コード {}",
            c.certificate_id, c.verification_code
        ),
    ]
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The copy as an HTML page for printing (A4).
pub fn html(c: &ResidentCopy, date: &str) -> String {
    let (title, kind) = heading(c);
    let mut table = String::new();
    for (k, v) in rows(c) {
        table.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            esc(k),
            esc(&v)
        ));
    }
    let mut lines = String::new();
    for (i, line) in footer(c, date).iter().enumerate() {
        // The verification code stands out on paper.
        let line = if i == 3 {
            esc(line).replace(
                &esc(&c.verification_code),
                &format!("<strong>{}</strong>", esc(&c.verification_code)),
            )
        } else {
            esc(line)
        };
        lines.push_str(&format!("<p>{line}</p>\n"));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{title} {id}</title>\n\
         <style>@page {{ size: A4; margin: 20mm }} body {{ font-family: 'IPAexMincho', serif }} \
         table {{ border-collapse: collapse; width: 100% }} th, td {{ border: 1px solid #000; padding: 4px 8px; text-align: left }} \
         th {{ width: 30% }}</style></head>\n<body>\n<h1>{title}</h1>\n<p>{kind}</p>\n<table>\n{table}</table>\n{lines}</body></html>\n",
        id = esc(&c.certificate_id),
    )
}

/// A4 in points, and the layout of the page.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.7;
const LABEL_W: f32 = 150.0;
const ROW_H: f32 = 26.0;
const TEXT_PT: f32 = 11.0;

/// `text` cut into lines of at most `width` points at `size`, reckoning every character a
/// full em (CJK text is; Latin text is narrower, so it only wraps early).
fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let per_line = ((width / size).floor() as usize).max(1);
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(per_line).map(|c| c.iter().collect()).collect()
}

/// The copy as a one-page A4 PDF set in `font`.
pub fn pdf(c: &ResidentCopy, date: &str, font: &CertificateFont) -> Result<Vec<u8>, PrintError> {
    let (title, kind) = heading(c);
    let rows = rows(c);
    let footer = footer(c, date);
    let all: String = [title, kind]
        .into_iter()
        .map(String::from)
        .chain(rows.iter().flat_map(|(k, v)| [k.to_string(), v.clone()]))
        .chain(footer.iter().cloned())
        .collect();
    font.covers(&all)?;

    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("{title} {}", c.certificate_id))
            .language("ja".into())
            .creator("juki".into()),
    );
    let settings =
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PrintError::Pdf("page size".into()))?;
    let mut page = doc.start_page_with(settings);
    let mut s = page.surface();
    let text = |s: &mut krilla::surface::Surface<'_>, x: f32, y: f32, size: f32, t: &str| {
        s.draw_text(
            Point::from_xy(x, y),
            font.font.clone(),
            size,
            t,
            false,
            TextDirection::Auto,
        );
    };
    text(&mut s, MARGIN, 90.0, 22.0, title);
    text(&mut s, MARGIN, 116.0, 10.0, kind);

    // The table: a rule above every row and below the last; values wrap within their cell.
    let left = MARGIN;
    let right = PAGE_W - MARGIN;
    let value_x = left + LABEL_W;
    let mut y = 140.0;
    let mut rules = vec![y];
    for (label, value) in &rows {
        let lines = wrap(value, right - value_x - 8.0, TEXT_PT);
        let height = ROW_H.max(8.0 + lines.len() as f32 * (TEXT_PT + 5.0));
        text(&mut s, left + 6.0, y + 17.0, TEXT_PT, label);
        for (i, line) in lines.iter().enumerate() {
            text(
                &mut s,
                value_x + 6.0,
                y + 17.0 + i as f32 * (TEXT_PT + 5.0),
                TEXT_PT,
                line,
            );
        }
        y += height;
        rules.push(y);
    }
    let table_bottom = y;
    y += 36.0;
    for line in &footer {
        for part in wrap(line, right - left, TEXT_PT) {
            text(&mut s, left, y, TEXT_PT, &part);
            y += TEXT_PT + 9.0;
        }
    }

    s.set_fill(None);
    s.set_stroke(Some(Stroke {
        width: 0.7,
        ..Stroke::default()
    }));
    let mut pb = PathBuilder::new();
    for r in &rules {
        pb.move_to(left, *r);
        pb.line_to(right, *r);
    }
    for x in [left, value_x, right] {
        pb.move_to(x, rules[0]);
        pb.line_to(x, table_bottom);
    }
    if let Some(path) = pb.finish() {
        s.draw_path(&path);
    }
    s.finish();
    page.finish();
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use juki_api::RecordFields;

    fn copy() -> ResidentCopy {
        ResidentCopy {
            certificate_id: "131202-7".into(),
            verification_code: "7K3M-Q9XA-2B4D".into(),
            issued_at: "2026-04-10T01:00:00Z".into(),
            issued_by: "131202".into(),
            issued_by_name: "東京都練馬区".into(),
            home: "131148".into(),
            home_name: "東京都中野区".into(),
            wide_area: true,
            resident_code: "12345678901".into(),
            fields: RecordFields {
                family_name: "髙橋".into(),
                given_name: "花子".into(),
                family_name_kana: "タカハシ".into(),
                given_name_kana: "ハナコ".into(),
                birth_date: "1980-05-05".into(),
                sex: "女".into(),
                local_government_code: "131148".into(),
                address: "中央一丁目1番1号<b>".into(),
                ..RecordFields::default()
            },
            html: String::new(),
            pdf: None,
        }
    }

    #[test]
    fn the_html_copy_escapes_what_it_shows() {
        let h = html(&copy(), "2026年04月10日");
        assert!(h.contains("中央一丁目1番1号&lt;b&gt;"));
        assert!(h.contains("<strong>7K3M-Q9XA-2B4D</strong>"));
        assert!(h.contains("広域交付"));
        assert!(h.contains("2026年04月10日　東京都練馬区長（交付地 131202）"));
    }

    #[test]
    fn long_values_wrap_by_the_em() {
        assert_eq!(wrap("", 100.0, 10.0), vec![String::new()]);
        assert_eq!(wrap("一二三四五", 30.0, 10.0), vec!["一二三", "四五"]);
        assert_eq!(
            wrap("一", 5.0, 10.0),
            vec!["一"],
            "at least one character a line"
        );
    }

    /// With IPAex Mincho installed (fonts-ipaexfont): a PDF that starts as one, and a refusal
    /// naming a character the font lacks.
    #[test]
    fn a_pdf_in_the_default_font_and_a_missing_glyph_refused() {
        let font = CertificateFont::load(Path::new(DEFAULT_FONT))
            .expect("fonts-ipaexfont is installed (scripts/test installs it)");
        let bytes = pdf(&copy(), "2026年04月10日", &font).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        let mut odd = copy();
        odd.fields.given_name = "𠮷子".into();
        assert_eq!(
            pdf(&odd, "2026年04月10日", &font).unwrap_err(),
            PrintError::Glyph { ch: '𠮷' }
        );
    }

    #[test]
    fn a_missing_font_is_named() {
        let err = CertificateFont::load(Path::new("/nonexistent/font.ttf")).unwrap_err();
        assert!(
            matches!(err, PrintError::Font { ref path, .. } if path == Path::new("/nonexistent/font.ttf"))
        );
    }
}
