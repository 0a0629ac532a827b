//! Decoding of the text files people bring: UTF-8 with or without a byte-order
//! mark, or GB18030/GBK as Excel on Chinese Windows writes CSV. Detection is
//! automatic unless the user names an encoding.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::error::{Diag, Loc};

/// The text encodings spotcheck reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 when a BOM is present or the bytes are valid UTF-8, else GB18030.
    #[default]
    Auto,
    Utf8,
    /// GB18030, a superset of GBK and GB2312.
    Gb18030,
}

impl FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Encoding, String> {
        match s.trim().to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "auto" => Ok(Encoding::Auto),
            "utf8" => Ok(Encoding::Utf8),
            "gb18030" | "gbk" | "gb2312" | "cp936" => Ok(Encoding::Gb18030),
            _ => Err(format!("unknown encoding `{s}` (expected auto, utf-8, gb18030 or gbk)")),
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Auto => "auto",
            Encoding::Utf8 => "utf-8",
            Encoding::Gb18030 => "gb18030",
        })
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes `bytes` and reports which encoding was used. The BOM is dropped.
/// `file` names the input in the diagnostic when the bytes are not valid text.
pub fn decode(file: &str, bytes: &[u8], enc: Encoding) -> Result<(String, Encoding), Diag> {
    decode_cow(file, bytes, enc).map(|(s, e)| (s.into_owned(), e))
}

/// Whether the bytes begin with a UTF-16 byte-order mark.
pub fn is_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

/// `s.trim()`, quicker for the usual cell that neither begins nor ends with
/// white space: only its first and last characters are looked at.
pub fn trim(s: &str) -> &str {
    let padded = s.chars().next().is_some_and(char::is_whitespace)
        || s.chars().next_back().is_some_and(char::is_whitespace);
    if padded { s.trim() } else { s }
}

/// The bytes without a leading UTF-8 byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
}

/// As [`decode`], but UTF-8 text is borrowed from the bytes instead of
/// copied: frames can be large.
pub fn decode_cow<'b>(file: &str, bytes: &'b [u8], enc: Encoding) -> Result<(Cow<'b, str>, Encoding), Diag> {
    if is_utf16(bytes) {
        return Err(Diag::error(
            file,
            None,
            "the file is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" or plain CSV instead",
        ));
    }
    let body = strip_bom(bytes);
    let had_bom = body.len() != bytes.len();
    match enc {
        Encoding::Utf8 => utf8(file, body).map(|s| (Cow::Borrowed(s), Encoding::Utf8)),
        Encoding::Auto if had_bom => utf8(file, body).map(|s| (Cow::Borrowed(s), Encoding::Utf8)),
        Encoding::Auto => match as_str(body) {
            Some(s) => Ok((Cow::Borrowed(s), Encoding::Utf8)),
            None => auto_fallback(file, body, valid_up_to(body)).map(|(s, e)| (Cow::Owned(s), e)),
        },
        Encoding::Gb18030 => gb18030(file, body).map(|s| (Cow::Owned(s), Encoding::Gb18030)),
    }
}

/// Detection when the bytes are not UTF-8 (valid up to `utf8_valid`): GB18030,
/// or, when that fails too, an error on the line where the likelier
/// encoding breaks. A UTF-8 file with one bad byte on line 900 fails as
/// GB18030 on line 1 already; pointing there would send people to the
/// wrong place.
fn auto_fallback(file: &str, body: &[u8], utf8_valid: usize) -> Result<(String, Encoding), Diag> {
    match decode_gb18030(body) {
        Ok(s) => Ok((s, Encoding::Gb18030)),
        Err(gb_at) => {
            let at = utf8_valid.max(gb_at);
            let which = if utf8_valid >= gb_at { "UTF-8" } else { "GB18030" };
            Err(Diag::error(
                file,
                Some(Loc::line(line_of(body, at))),
                format!(
                    "neither valid UTF-8 nor valid GB18030/GBK text: it reads as {which} up to this line; check the file's encoding"
                ),
            ))
        }
    }
}

/// The bytes as text when they are UTF-8. Large inputs (frames, reports,
/// snapshots of tens of megabytes, mostly Chinese) are checked with SIMD
/// instructions, several times faster than the standard library's check;
/// the answer is the same.
pub fn as_str(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// How many leading bytes are valid UTF-8 (for the line of a message).
fn valid_up_to(bytes: &[u8]) -> usize {
    std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), str::len)
}

fn utf8<'b>(file: &str, body: &'b [u8]) -> Result<&'b str, Diag> {
    as_str(body).ok_or_else(|| {
        let line = line_of(body, valid_up_to(body));
        Diag::error(
            file,
            Some(Loc::line(line)),
            "not valid UTF-8; if the file came from Excel on Chinese Windows, try --encoding gb18030",
        )
    })
}

fn gb18030(file: &str, body: &[u8]) -> Result<String, Diag> {
    decode_gb18030(body).map_err(|at| {
        Diag::error(
            file,
            Some(Loc::line(line_of(body, at))),
            "not valid GB18030/GBK text; check the file's encoding",
        )
    })
}

/// GB18030 text, or the offset of the first malformed byte.
fn decode_gb18030(body: &[u8]) -> Result<String, usize> {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(body.len() * 3 / 2 + 16);
    let mut read_total = 0;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&body[read_total..], &mut out, true);
        read_total += read;
        match result {
            encoding_rs::DecoderResult::InputEmpty => return Ok(out),
            encoding_rs::DecoderResult::OutputFull => out.reserve(body.len() - read_total + 16),
            encoding_rs::DecoderResult::Malformed(bad, after) => {
                return Err(read_total.saturating_sub(usize::from(bad) + usize::from(after)));
            }
        }
    }
}

/// The line a CSV record really starts on. The csv crate reports the
/// position where it began reading, before any blank lines it skipped; the
/// line is corrected by the line breaks between there and the record.
pub fn record_line(text: &[u8], pos: Option<&csv::Position>) -> u64 {
    let Some(p) = pos else { return 0 };
    let rest = text.get(p.byte() as usize..).unwrap_or(&[]);
    let skipped = rest.iter().take_while(|&&b| b == b'\n' || b == b'\r').filter(|&&b| b == b'\n').count();
    p.line() + skipped as u64
}

/// 1-based line number of byte offset `at`.
fn line_of(bytes: &[u8], at: usize) -> u64 {
    1 + bytes[..at.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_looks_at_the_ends_and_agrees_with_the_standard_library() {
        // Every white space character Unicode has, ASCII and not.
        let spaces: Vec<char> =
            (0..0x3001u32).filter_map(char::from_u32).filter(|c| c.is_whitespace()).collect();
        assert_eq!(spaces.len(), 25);
        let mut cases = vec![String::new(), "村".into(), "a b".into(), "县\u{3000}二".into()];
        for &c in &spaces {
            for body in ["", "x", "小沟村", "0.5"] {
                cases.push(format!("{c}{body}"));
                cases.push(format!("{body}{c}"));
                cases.push(format!("{c}{body}{c}"));
                cases.push(format!("{body}{c}{body}"));
            }
        }
        for s in &cases {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
        assert_eq!(trim("\u{3000}小沟村 "), "小沟村");
    }

    #[test]
    fn detects_bom_utf8_and_gb18030() {
        let (s, e) = decode("f", "\u{feff}村,名\n".as_bytes(), Encoding::Auto).unwrap();
        assert_eq!((s.as_str(), e), ("村,名\n", Encoding::Utf8));
        let (gbk, _, _) = encoding_rs::GB18030.encode("沧县,青县\n");
        let (s, e) = decode("f", &gbk, Encoding::Auto).unwrap();
        assert_eq!((s.as_str(), e), ("沧县,青县\n", Encoding::Gb18030));
    }

    #[test]
    fn forced_utf8_on_gbk_bytes_names_the_line() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("a\nb\n沧县\n");
        let d = decode("x.csv", &gbk, Encoding::Utf8).unwrap_err();
        assert_eq!(d.loc, Some(Loc::line(3)));
    }

    /// Regression: a UTF-8 file with one bad byte far down was reported on
    /// line 1 (where its UTF-8 Chinese stops being GB18030).
    #[test]
    fn an_encoding_error_names_the_line_where_it_is() {
        let mut bytes = "村代码,村名\n1,宋家堡\n2,石店\n".as_bytes().to_vec();
        bytes.extend(b"3,\xff\xfe\n");
        for d in [
            decode("x.csv", &bytes, Encoding::Auto).unwrap_err(),
            decode_cow("x.csv", &bytes, Encoding::Auto).unwrap_err(),
        ] {
            assert_eq!(d.loc, Some(Loc::line(4)), "{d}");
            assert!(d.message.contains("reads as UTF-8 up to this line"), "{d}");
        }
        // GB18030 text with a bad byte on line 3.
        let (mut gbk, _, _) = encoding_rs::GB18030.encode("沧县,青县\n沧县\n");
        let mut gbk = gbk.to_mut().clone();
        gbk.extend(b"\x80\xff\n");
        let d = decode("x.csv", &gbk, Encoding::Auto).unwrap_err();
        assert_eq!(d.loc, Some(Loc::line(3)), "{d}");
        assert!(d.message.contains("reads as GB18030"), "{d}");
        let d = decode("x.csv", &gbk, Encoding::Gb18030).unwrap_err();
        assert_eq!(d.loc, Some(Loc::line(3)), "{d}");
    }

    /// The SIMD check takes exactly the texts the standard library takes:
    /// Chinese, truncated and overlong sequences, surrogates, code points
    /// past U+10FFFF, and random bytes of every length around the 64-byte
    /// blocks it works in.
    #[test]
    fn the_fast_utf8_check_agrees_with_the_standard_one() {
        let mut cases: Vec<Vec<u8>> = vec![
            "村代码,村名\n1,宋家堡\n".repeat(9).into_bytes(),
            b"\xe6\x9d".to_vec(),
            b"\xc0\xaf".to_vec(),
            b"\xed\xa0\x80".to_vec(),
            b"\xf4\x90\x80\x80".to_vec(),
            b"\xef\xbb\xbfabc".to_vec(),
            Vec::new(),
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let chinese = "县乡村,合计 12".as_bytes();
        for len in 0..200usize {
            // Text cut anywhere (a third with one byte changed), and raw
            // random bytes.
            let mut text: Vec<u8> = chinese.iter().cycle().take(len).copied().collect();
            if len % 3 == 0 && len > 0 {
                let at = (next() as usize) % len;
                text[at] = next() as u8;
            }
            cases.push(text);
            cases.push((0..len).map(|_| next() as u8).collect());
        }
        for bytes in &cases {
            let want = std::str::from_utf8(bytes).ok();
            assert_eq!(as_str(bytes), want, "{bytes:02X?}");
            // The place a message names: the whole text when it is valid,
            // else a valid prefix that the next byte spoils.
            let at = valid_up_to(bytes);
            assert_eq!(at == bytes.len(), want.is_some());
            assert!(as_str(&bytes[..at]).is_some());
            if at < bytes.len() {
                assert!((at + 1..=bytes.len().min(at + 4)).all(|end| as_str(&bytes[..end]).is_none()));
            }
        }
        assert!(cases.iter().filter(|b| as_str(b).is_some()).count() > 50);
        assert!(cases.iter().filter(|b| as_str(b).is_none()).count() > 100);
    }

    /// A byte-order mark says UTF-8: bytes after it that are not UTF-8 are
    /// an error on their line, not GB18030 text (which GBK bytes would
    /// decode as).
    #[test]
    fn a_byte_order_mark_holds_the_file_to_utf8() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("村,名\n沧县,青县\n");
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(&gbk);
        for d in [
            decode("x.csv", &bytes, Encoding::Auto).unwrap_err(),
            decode_cow("x.csv", &bytes, Encoding::Auto).unwrap_err(),
        ] {
            assert_eq!(d.loc, Some(Loc::line(1)), "{d}");
            assert!(d.message.starts_with("not valid UTF-8"), "{d}");
        }
        assert!(decode_cow("x.csv", &gbk, Encoding::Auto).is_ok());
    }

    #[test]
    fn utf16_is_refused_with_advice() {
        let d = decode("x.csv", b"\xFF\xFEa\0", Encoding::Auto).unwrap_err();
        assert!(d.message.contains("UTF-16"));
    }

    /// SAMPLING.md §4.1: the byte sequences on which GB18030-2000 decoders
    /// differ from the WHATWG decoder the draw uses. A dependency update that
    /// changes any of them changes how frames read.
    #[test]
    fn gb18030_decodes_the_sequences_sampling_md_lists() {
        let table: [(&[u8], char); 22] = [
            (b"\x80", '\u{20AC}'),
            (b"\xA3\xA0", '\u{3000}'),
            (b"\xA6\xD9", '\u{FE10}'),
            (b"\xA6\xDA", '\u{FE12}'),
            (b"\xA6\xDB", '\u{FE11}'),
            (b"\xA6\xDC", '\u{FE13}'),
            (b"\xA6\xDD", '\u{FE14}'),
            (b"\xA6\xDE", '\u{FE15}'),
            (b"\xA6\xDF", '\u{FE16}'),
            (b"\xA6\xEC", '\u{FE17}'),
            (b"\xA6\xED", '\u{FE18}'),
            (b"\xA6\xF3", '\u{FE19}'),
            (b"\xA8\xBC", '\u{1E3F}'),
            (b"\xFE\x59", '\u{9FB4}'),
            (b"\xFE\x61", '\u{9FB5}'),
            (b"\xFE\x66", '\u{9FB6}'),
            (b"\xFE\x67", '\u{9FB7}'),
            (b"\xFE\x6D", '\u{9FB8}'),
            (b"\xFE\x7E", '\u{9FB9}'),
            (b"\xFE\x90", '\u{9FBA}'),
            (b"\xFE\xA0", '\u{9FBB}'),
            (b"\x81\x35\xF4\x37", '\u{E7C7}'),
        ];
        for (bytes, want) in table {
            let (s, _) = decode("f", bytes, Encoding::Gb18030).unwrap();
            assert_eq!(s, want.to_string(), "{bytes:02X?}");
        }
        // The UTF-8 byte-order mark is dropped before GB18030 decoding too.
        let (s, _) = decode("f", b"\xEF\xBB\xBF\xA8\xBC", Encoding::Gb18030).unwrap();
        assert_eq!(s, "\u{1E3F}");
    }

    #[test]
    fn encoding_names_parse() {
        assert_eq!("GBK".parse::<Encoding>().unwrap(), Encoding::Gb18030);
        assert_eq!("UTF-8".parse::<Encoding>().unwrap(), Encoding::Utf8);
        assert!("latin1".parse::<Encoding>().is_err());
    }
}
