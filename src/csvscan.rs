//! CSV records read straight from text that is already decoded and valid
//! UTF-8, as SAMPLING.md §4.1 reads them: comma-separated, `"` quotes, `""`
//! for one quote inside quotes, a record ends at CR, LF or CR LF, an empty
//! line is no record, a quote inside an unquoted field is an ordinary
//! character, characters after a closing quote join the field, and a quoted
//! field still open at the end of the text ends there. These are the
//! readings of the csv crate's reader too (a test compares the two).
//!
//! A field without quotes is a slice of the text itself, so nothing is
//! copied and nothing is checked for UTF-8 again: the delimiters are ASCII,
//! so every field starts and ends on a character boundary. Only quoted
//! fields are copied, into a buffer the record owns.
//!
//! [`split`] cuts a text into pieces after line feeds, so that the pieces
//! can be read on several threads. Whether a cut really lies between
//! records, and not inside a quoted field, is only known by reading the
//! piece before it: it then ends inside quotes ([`Scanner::ended_in_quotes`]).

/// Where a field's text lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    /// In the text being read.
    Text(usize, usize),
    /// In the record's own buffer (the field was quoted).
    Own(usize, usize),
}

/// One record: its fields and the line it starts on.
#[derive(Debug, Default, Clone)]
pub struct Record {
    /// 1-based line of the record's first character.
    pub line: u64,
    /// Byte offset of the record's first character in the text.
    pub start: usize,
    spans: Vec<Span>,
    own: String,
}

impl Record {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Field `i` of the record, which was read from `text`.
    pub fn field<'a>(&'a self, text: &'a str, i: usize) -> &'a str {
        match self.spans[i] {
            Span::Text(a, b) => &text[a..b],
            Span::Own(a, b) => &self.own[a..b],
        }
    }

    /// Every field, in order, borrowed from `text` where it stands there as
    /// it reads (unquoted, or quoted without doubled quotes).
    pub fn fields_of<'a, 't: 'a>(
        &'a self,
        text: &'t str,
    ) -> impl Iterator<Item = std::borrow::Cow<'t, str>> + 'a {
        self.spans.iter().map(move |s| match *s {
            Span::Text(a, b) => std::borrow::Cow::Borrowed(&text[a..b]),
            Span::Own(a, b) => std::borrow::Cow::Owned(self.own[a..b].to_string()),
        })
    }

    /// Every field, in order.
    pub fn fields<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        (0..self.spans.len()).map(move |i| self.field(text, i))
    }
}

/// Reads records one after another from a text, or from a piece of it that
/// begins at a record boundary.
pub struct Scanner<'t> {
    text: &'t str,
    pos: usize,
    /// Line feeds in `text[..pos]`.
    newlines: u64,
    /// The last field read was a quoted one still open at the end.
    open: bool,
}

const fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that equals `b`, and possibly of bytes
/// above the first such byte (never below it).
const fn bytes_equal(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * b as u64);
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The first `,`, CR or LF at or after `from`, or the end. Eight bytes at a
/// time: most cells are codes and names of a dozen bytes.
fn field_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        let hit = bytes_equal(w, b',') | bytes_equal(w, b'\n') | bytes_equal(w, b'\r');
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    bytes[i..].iter().position(|&b| b == b',' || is_break(b)).map_or(bytes.len(), |k| i + k)
}

/// The number of line feeds in `bytes`, eight bytes at a time.
pub fn count_newlines(bytes: &[u8]) -> u64 {
    const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let chunks = bytes.chunks_exact(8);
    let tail = chunks.remainder().iter().filter(|&&b| b == b'\n').count() as u64;
    chunks.fold(tail, |n, c| {
        let w =
            u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ (ONES * u64::from(b'\n'));
        // The high bit is set for every byte that is not 0 (not a line feed).
        let nonzero = ((w & LOWS) + LOWS) | w;
        n + u64::from((!nonzero & HIGHS).count_ones())
    })
}

impl<'t> Scanner<'t> {
    /// A scanner at the start of `text`. A byte-order mark there is
    /// skipped, as the csv crate skips it.
    pub fn new(text: &'t str) -> Scanner<'t> {
        let pos = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
        Scanner { text, pos, newlines: 0, open: false }
    }

    /// A scanner for a piece of a text that begins after a line feed (no
    /// byte-order mark is skipped); its lines count from the piece's start.
    pub fn piece(text: &'t str) -> Scanner<'t> {
        Scanner { text, pos: 0, newlines: 0, open: false }
    }

    /// Byte offset of the next unread character.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Line feeds read so far.
    pub fn newlines(&self) -> u64 {
        self.newlines
    }

    /// Whether the text ended inside a quoted field. For a piece cut out of
    /// a longer text, this means the cut was inside quotes.
    pub fn ended_in_quotes(&self) -> bool {
        self.open
    }

    /// Reads the next record into `rec`; `false` at the end of the text.
    pub fn next_record(&mut self, rec: &mut Record) -> bool {
        let bytes = self.text.as_bytes();
        self.skip_breaks();
        if self.pos >= bytes.len() {
            return false;
        }
        rec.line = self.newlines + 1;
        rec.start = self.pos;
        rec.spans.clear();
        rec.own.clear();
        loop {
            let span = if bytes.get(self.pos) == Some(&b'"') { self.quoted(rec) } else { self.plain() };
            rec.spans.push(span);
            match bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                _ => return true, // a line break (left for the next record) or the end
            }
        }
    }

    fn skip_breaks(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if !is_break(b) {
                break;
            }
            self.newlines += u64::from(b == b'\n');
            self.pos += 1;
        }
    }

    fn plain(&mut self) -> Span {
        let start = self.pos;
        self.pos = field_end(self.text.as_bytes(), start);
        Span::Text(start, self.pos)
    }

    fn quoted(&mut self, rec: &mut Record) -> Span {
        let bytes = self.text.as_bytes();
        let from = rec.own.len();
        self.pos += 1; // the opening quote
        loop {
            let Some(k) = bytes[self.pos..].iter().position(|&b| b == b'"') else {
                // Still open at the end of the text: the field ends there.
                self.take(rec, self.pos, bytes.len());
                self.open = true;
                break;
            };
            let q = self.pos + k;
            self.take(rec, self.pos, q);
            self.pos = q + 1;
            if bytes.get(self.pos) == Some(&b'"') {
                rec.own.push('"');
                self.pos += 1;
                continue;
            }
            // The closing quote: what follows up to the next comma or line
            // break joins the field as it is.
            let end = field_end(bytes, self.pos);
            self.take(rec, self.pos, end);
            break;
        }
        Span::Own(from, rec.own.len())
    }

    /// Copies `text[a..b]` into the record's buffer, counting its line feeds.
    fn take(&mut self, rec: &mut Record, a: usize, b: usize) {
        self.newlines += count_newlines(&self.text.as_bytes()[a..b]);
        rec.own.push_str(&self.text[a..b]);
        self.pos = b;
    }
}

/// Cuts `bytes` into at most `parts` pieces of about equal length, each
/// but the first beginning after a line feed. The cuts are guesses: a line
/// feed may lie inside a quoted field, which only reading the piece before
/// the cut can tell ([`Scanner::ended_in_quotes`]). Returns the piece
/// boundaries, 0 first and `bytes.len()` last. The line feeds are ASCII, so
/// for UTF-8 text every boundary is a character boundary.
pub fn split(bytes: &[u8], parts: usize) -> Vec<usize> {
    let mut cuts = vec![0];
    for k in 1..parts.max(1) {
        let guess = bytes.len() * k / parts;
        let last = cuts[cuts.len() - 1];
        if let Some(nl) = bytes[guess.max(last)..].iter().position(|&b| b == b'\n') {
            let cut = guess.max(last) + nl + 1;
            if cut < bytes.len() && cut > last {
                cuts.push(cut);
            }
        }
    }
    cuts.push(bytes.len());
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut s = Scanner::new(text);
        let mut r = Record::default();
        let mut out = Vec::new();
        while s.next_record(&mut r) {
            let fields: Vec<String> = r.fields(text).map(str::to_string).collect();
            let borrowed: Vec<String> = r.fields_of(text).map(|c| c.into_owned()).collect();
            assert_eq!(borrowed, fields, "{text:?}");
            out.push((r.line, fields));
        }
        out
    }

    #[test]
    fn fields_that_stand_in_the_text_are_borrowed_from_it() {
        let text = "a,\"b,c\",\"x\"\"y\"\n";
        let mut r = Record::default();
        assert!(Scanner::new(text).next_record(&mut r));
        let f: Vec<std::borrow::Cow<'_, str>> = r.fields_of(text).collect();
        assert_eq!(f, ["a", "b,c", "x\"y"]);
        assert!(matches!(f[0], std::borrow::Cow::Borrowed(_)));
        assert!(matches!(f[2], std::borrow::Cow::Owned(_)));
    }

    /// The csv crate's reading, with the line corrected for skipped blank
    /// lines as `text::record_line` does. That correction misses the blank
    /// lines right after a byte-order mark the csv crate skipped, so such a
    /// text is read without its mark (which reads the same otherwise).
    fn theirs(text: &str) -> Vec<(u64, Vec<String>)> {
        if let Some(rest) = text.strip_prefix('\u{feff}')
            && !rest.starts_with('\u{feff}')
        {
            return theirs(rest);
        }
        let mut rdr =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut rec = csv::StringRecord::new();
        let mut out = Vec::new();
        while rdr.read_record(&mut rec).unwrap() {
            let line = crate::text::record_line(text.as_bytes(), rec.position());
            out.push((line, rec.iter().map(str::to_string).collect()));
        }
        out
    }

    #[test]
    fn reads_as_the_csv_crate_does() {
        let cases = [
            "a,b\n1,2\n",
            "a,b\r\n1,2\r\n\r\n\n3,4",
            "a,\"b,c\"\n\"x\"\"y\",z\n",
            "\"ab\"c\"d,e\n",
            "ab\"c,d\n",
            "\"open,\nstill\n",
            "a,\n,\n",
            "\n\n\na\n",
            "\"\"\n",
            "\"a\nb\",c\nd\n",
            "中,文\r文,中",
            "a,b,",
            ",",
            "\"",
            "\"\"\"",
            " \"a\" ,b\n",
            "\u{feff}a,b\n",
            "\u{feff}\"a\",b\n",
            "\u{feff}\u{feff}a\n",
            "\n\u{feff}a\n",
            "\u{feff}\n\u{feff}a\n",
        ];
        for c in cases {
            assert_eq!(ours(c), theirs(c), "{c:?}");
        }
    }

    /// Random texts over the characters that matter, against the csv crate.
    #[test]
    fn random_texts_read_as_the_csv_crate_does() {
        let pieces = ["a", "中", ",", "\"", "\r", "\n", " ", "\r\n", "\"\"", "bc", "\u{feff}"];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..4000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let n = (state % 40) as usize;
            for _ in 0..n {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            assert_eq!(ours(&text), theirs(&text), "{text:?}");
        }
    }

    #[test]
    fn pieces_cut_inside_quotes_end_in_quotes() {
        let text = "h\n1,\"x\ny\"\n2,z\n";
        let cut = text.find('y').unwrap();
        let mut r = Record::default();
        let mut s = Scanner::new(&text[..cut]);
        while s.next_record(&mut r) {}
        assert!(s.ended_in_quotes());
        // A cut between records: the piece after it has the lines it has
        // in the whole, counted from the newlines of the piece before.
        let cut = text.find("2,").unwrap();
        let mut s = Scanner::new(&text[..cut]);
        while s.next_record(&mut r) {}
        assert!(!s.ended_in_quotes());
        assert_eq!(s.newlines(), 3);
        let mut rest = Scanner::piece(&text[cut..]);
        assert!(rest.next_record(&mut r));
        assert_eq!((r.line + s.newlines(), r.field(&text[cut..], 1)), (4, "z"));
        // An escaped quote just before the cut leaves the field open.
        let text = "a,\"x\"\"\ny\"\n";
        let mut s = Scanner::new(&text[..text.find('y').unwrap()]);
        while s.next_record(&mut r) {}
        assert!(s.ended_in_quotes());
    }

    #[test]
    fn byte_searches_agree_with_plain_loops() {
        let text = "ab,c\r\n中文,\"\n\n,,x\ny\u{a}\u{d}\u{2c}zzzzzzzzzzzzzz\n,";
        let bytes = text.as_bytes();
        for from in 0..bytes.len() {
            let want = bytes[from..]
                .iter()
                .position(|&b| b == b',' || is_break(b))
                .map_or(bytes.len(), |k| from + k);
            assert_eq!(field_end(bytes, from), want, "from {from}");
            let want = bytes[from..].iter().filter(|&&b| b == b'\n').count() as u64;
            assert_eq!(count_newlines(&bytes[from..]), want);
        }
        // Bytes with the high bit set next to a line feed are not miscounted.
        assert_eq!(count_newlines(b"\x8a\n\x0a\xff\x0b\x09\n\n\n"), 5);
    }

    #[test]
    fn split_cuts_after_line_feeds() {
        let text = b"h\naaaa\nbbbb\ncccc\n";
        let cuts = split(text, 3);
        assert_eq!(cuts.first(), Some(&0));
        assert_eq!(cuts.last(), Some(&text.len()));
        for w in cuts.windows(2) {
            assert!(w[0] < w[1]);
        }
        for &c in &cuts[1..cuts.len() - 1] {
            assert_eq!(text[c - 1], b'\n');
        }
        assert_eq!(split(b"h\nx", 4), vec![0, 2, 3]);
        assert_eq!(split(b"hx", 4), vec![0, 2]);
    }
}
