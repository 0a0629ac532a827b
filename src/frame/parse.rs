//! Parsing and validation of frame CSV text. Pure: takes text, returns the
//! frame and every problem found, each with the file and line.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

use rustc_hash::FxHashMap;
use smol_str::SmolStr;

use super::{Area, Frame, FrameSchema, Span, Village};
use crate::csvscan::{self, Record, Scanner};
use crate::error::{Diag, Diags, excerpt};

/// Header matching ignores case and all white space (including the
/// ideographic space Excel users type), so `Women 15-49` equals `women15-49`.
pub fn normalize_header(h: &str) -> String {
    h.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// Column roles other than sizes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Code,
    Name,
    County,
    CountyCode,
    Township,
    TownshipCode,
    Size(usize),
    Extra,
}

const TOTAL_WORDS: [&str; 4] = ["合计", "总计", "小计", "共计"];

fn looks_like_total(cell: &str) -> bool {
    // All four words end in 计 (E8 AE A1 in UTF-8), so one byte scan rules out
    // most cells; a substring search per word would cost more than the rest
    // of the row.
    let b = cell.as_bytes();
    if b.windows(3).any(|w| w[0] == 0xE8 && w[1] == 0xAE && w[2] == 0xA1)
        && TOTAL_WORDS.iter().any(|w| cell.contains(w))
    {
        return true;
    }
    // The English labels all begin with s or t.
    let t = crate::text::trim(cell);
    if t.as_bytes().first().is_none_or(|&c| !matches!(c | 0x20, b's' | b't')) {
        return false;
    }
    ["total", "subtotal", "sum"].iter().any(|w| t.eq_ignore_ascii_case(w))
        || t.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("total "))
}

/// Excel turns long numeric codes into `1.30921E+11` unless the column is text.
fn looks_like_scientific(code: &str) -> bool {
    let c = code.trim();
    let Some(e) = c.find(['e', 'E']) else {
        return false;
    };
    let (mant, exp) = (&c[..e], &c[e + 1..]);
    !mant.is_empty()
        && mant.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
        && exp.trim_start_matches(['+', '-']).chars().all(|ch| ch.is_ascii_digit())
        && !exp.is_empty()
}

/// Which column of a record plays which role, from the header.
struct Layout {
    width: usize,
    nsizes: usize,
    code: Option<usize>,
    name: Option<usize>,
    county: Option<usize>,
    township: Option<usize>,
    county_code: Option<usize>,
    township_code: Option<usize>,
    sizes: Vec<Option<usize>>,
    /// The columns that must not be empty, with their role.
    mapped: Vec<(usize, Role)>,
}

impl Layout {
    fn new(columns: &[Role], nsizes: usize) -> Layout {
        let col_of = |role: Role| columns.iter().position(|r| *r == role);
        Layout {
            width: columns.len(),
            nsizes,
            code: col_of(Role::Code),
            name: col_of(Role::Name),
            county: col_of(Role::County),
            township: col_of(Role::Township),
            county_code: col_of(Role::CountyCode),
            township_code: col_of(Role::TownshipCode),
            sizes: (0..nsizes).map(|k| col_of(Role::Size(k))).collect(),
            mapped: columns.iter().copied().enumerate().filter(|(_, r)| *r != Role::Extra).collect(),
        }
    }
}

/// Below this many bytes a frame is read on one thread: starting threads
/// would cost more than they save.
const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// At most this many threads read one frame.
const MAX_PIECES: usize = 8;

/// How many pieces a text of `len` bytes is read in: one below
/// [`PARALLEL_MIN_BYTES`], else one per core (at most [`MAX_PIECES`]).
pub(super) fn default_pieces(len: usize) -> usize {
    if len < PARALLEL_MIN_BYTES {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_PIECES)
    }
}

/// Parses frame CSV text against a schema. Returns the rows that parsed and
/// every problem found; callers treat any error as fatal. A large text is
/// read in pieces on all cores (the result is the same as reading it in
/// one piece).
pub fn parse(file: &str, text: &str, schema: &FrameSchema) -> (Frame, Diags) {
    parse_in_pieces(file, text, schema, default_pieces(text.len()))
}

/// As [`parse`], cutting the rows into `pieces` pieces read on as many
/// threads, whatever the size of the text. The pieces are cut after line
/// feeds; when a cut turns out to lie inside a quoted field, or any piece
/// finds a problem, the text is read again in one piece, so that every
/// problem is reported exactly as a reading from the top finds it.
pub fn parse_in_pieces(file: &str, text: &str, schema: &FrameSchema, pieces: usize) -> (Frame, Diags) {
    match read_in_pieces(file, &Bytes(text.as_bytes()), schema, pieces, pieces) {
        Some(read) => read,
        None => parse_whole(file, text, schema),
    }
}

/// Parses frame bytes that are UTF-8 (without a byte-order mark) in pieces,
/// each piece checked as UTF-8 on its own thread: text cut at line feeds is
/// valid as a whole exactly when every piece is. `None` when the bytes are
/// small (read in one piece) or not UTF-8 (the caller decodes them).
pub(super) fn parse_utf8(file: &str, bytes: &[u8], schema: &FrameSchema) -> Option<(Frame, Diags)> {
    let pieces = default_pieces(bytes.len());
    if pieces < 2 {
        return None;
    }
    if let Some(read) = read_in_pieces(file, &Bytes(bytes), schema, pieces, pieces) {
        return Some(read);
    }
    let text = crate::text::as_str(bytes)?;
    Some(parse_whole(file, text, schema))
}

/// Reads the header: the records of the text's first line (and of as many
/// more lines as a quoted header cell spans).
fn read_header<'t>(
    file: &str,
    text: &'t str,
    schema: &FrameSchema,
    diags: &mut Diags,
) -> Option<(Layout, Scanner<'t>)> {
    let mut scanner = Scanner::new(text);
    let mut record = Record::default();
    if !scanner.next_record(&mut record) {
        diags.push(Diag::error(file, None, "the file is empty: expected a header row"));
        return None;
    }
    let headers: Vec<&str> = record.fields(text).collect();
    let columns = map_headers(file, record.line, &headers, schema, diags)?;
    Some((Layout::new(&columns, schema.sizes.len()), scanner))
}

/// Reads the whole text on this thread, reporting every problem.
fn parse_whole(file: &str, text: &str, schema: &FrameSchema) -> (Frame, Diags) {
    let mut diags = Diags::default();
    let Some((layout, mut scanner)) = read_header(file, text, schema, &mut diags) else {
        let frame = Frame { file: file.to_string(), size_names: schema.sizes.clone(), ..Frame::default() };
        return (frame, diags);
    };
    let ctx = Ctx { file, schema, layout: &layout };
    let rest = &text[scanner.position()..];
    let mut known = Known::default();
    let mut piece = Piece::new(&ctx, (0, &known), rest, rest.len(), false);
    let mut record = Record::default();
    let job = crate::progress::job(crate::progress::Task::ReadFrame, text.len() as u64);
    let mut read = 0u64;
    while scanner.next_record(&mut record) {
        piece.row(&ctx, &mut known, text, &record, 0);
        read += 1;
        if read.is_multiple_of(8192) {
            job.set(scanner.position() as u64);
        }
    }
    diags.extend(std::mem::take(&mut piece.diags));
    let joined = piece.into_joined(&ctx);
    finish(&ctx, joined, diags)
}

/// A county or township a piece has met, as its index keeps it: the name
/// and parent beside the key, inline for the short codes and names of real
/// frames, so that checking a row against them touches one place in memory
/// rather than three (rows come in any order, so each lookup misses the
/// cache; keeping names out of line cost a fifth of the time of reading a
/// national frame).
struct Seen {
    ix: usize,
    name: SmolStr,
    parent: usize,
}

/// What every piece reads with.
struct Ctx<'a> {
    file: &'a str,
    schema: &'a FrameSchema,
    layout: &'a Layout,
}

/// The counties and townships one reader has met, numbered in the order
/// it met them. A reader on a thread keeps them from one of its pieces to
/// the next: a national frame's rows come in any order, so a piece of a
/// megabyte meets most of the country's townships, and indexing them
/// afresh for every piece had cost more than reading the rows.
#[derive(Default)]
struct Known {
    county_ix: FxHashMap<SmolStr, Seen>,
    township_ix: FxHashMap<SmolStr, Seen>,
    /// County keys by number, for messages.
    county_keys: Vec<SmolStr>,
}

/// The rows of one piece of the text. Counties and townships are numbered
/// as its reader's [`Known`] numbers them; `counties` and `townships` hold
/// those first met in this piece, numbered from `county_base` and
/// `township_base` on.
struct Piece {
    /// Which reader read it.
    reader: usize,
    county_base: usize,
    township_base: usize,
    counties: Vec<Area>,
    townships: Vec<Area>,
    villages: Vec<Village>,
    sizes: Vec<u64>,
    arena: String,
    /// For the "a row is the sum of the others" check.
    sums: Vec<u128>,
    rows: u64,
    diags: Diags,
    /// Stop at the first problem (a piece read on a thread: the text is
    /// then read again from the top for the full list).
    stop_on_problem: bool,
    sizes_row: Vec<u64>,
    tkey_buf: String,
}

impl Piece {
    /// A piece of `text`, read by `reader`, whose areas are numbered on
    /// from those it has met (`known`); with room for the rows of `whole`
    /// bytes of text like it: the first piece keeps the rows of all the
    /// others, added in place.
    fn new(
        ctx: &Ctx<'_>,
        (reader, known): (usize, &Known),
        text: &str,
        whole: usize,
        stop_on_problem: bool,
    ) -> Piece {
        let nsizes = ctx.layout.nsizes;
        // Presize from the line count: a frame is mostly villages, and
        // growing vectors by doubling would briefly hold twice their memory.
        // (Room not filled is never touched, so it costs no memory.)
        let bytes = text.as_bytes();
        let lines = csvscan::count_newlines(bytes) as usize + 1;
        let mut expect_rows = lines;
        if whole > bytes.len() {
            // Rows of the pieces not read yet, guessed from this one's, with
            // a tenth to spare: growing by doubling would copy them all.
            expect_rows =
                (lines as u128 * whole as u128 * 11 / (10 * bytes.len().max(1) as u128)) as usize + 1;
        }
        let mut villages = Vec::new();
        villages.reserve_exact(expect_rows);
        let mut sizes = Vec::new();
        sizes.reserve_exact(expect_rows * nsizes);
        Piece {
            reader,
            county_base: known.county_keys.len(),
            township_base: known.township_ix.len(),
            counties: Vec::new(),
            townships: Vec::new(),
            villages,
            sizes,
            arena: String::with_capacity(whole / 3),
            sums: vec![0; nsizes],
            rows: 0,
            diags: Diags::default(),
            stop_on_problem,
            sizes_row: vec![0; nsizes],
            tkey_buf: String::new(),
        }
    }

    fn problem(&mut self, ctx: &Ctx<'_>, line: u64, msg: impl Into<String>) {
        self.diags.push(Diag::at_line(ctx.file, line, msg));
    }

    /// Reads one record; `line_base` is added to its line (for a piece
    /// whose scanner counted lines from its own start). Returns whether to
    /// go on.
    fn row(&mut self, ctx: &Ctx<'_>, known: &mut Known, text: &str, rec: &Record, line_base: u64) -> bool {
        let (layout, schema) = (ctx.layout, ctx.schema);
        let line = rec.line + line_base;
        // The trimmed cells, on the stack for frames of usual width.
        let mut stack = [""; 24];
        let heap: Vec<&str>;
        let cells: &[&str] = if rec.len() <= stack.len() {
            for (i, c) in stack.iter_mut().enumerate().take(rec.len()) {
                *c = crate::text::trim(rec.field(text, i));
            }
            &stack[..rec.len()]
        } else {
            heap = rec.fields(text).map(crate::text::trim).collect();
            &heap
        };
        if cells.iter().all(|c| c.is_empty()) {
            return true; // blank lines, including the ",,,," Excel leaves behind
        }
        let n_diags = self.diags.0.len();
        if rec.len() != layout.width {
            self.problem(
                ctx,
                line,
                format!("expected {} fields as in the header, found {}", layout.width, rec.len()),
            );
            return !self.stop_on_problem;
        }
        self.rows += 1;
        let cell = |c: Option<usize>| c.map_or("", |i| cells[i]);
        let (code, name, county, township) =
            (cell(layout.code), cell(layout.name), cell(layout.county), cell(layout.township));

        let labels_total = [code, name, county, township].iter().any(|c| looks_like_total(c));
        let unlabelled_numbers =
            code.is_empty() && cells.iter().all(|c| c.is_empty() || c.parse::<u64>().is_ok());
        if labels_total || unlabelled_numbers {
            self.diags.push(Diag::at_line(
                ctx.file,
                line,
                "this row looks like a totals row (合计/总计/小计/total); a frame lists villages only",
            ));
            return !self.stop_on_problem;
        }
        let mut row_ok = true;
        for &(i, role) in &layout.mapped {
            if cells[i].is_empty() {
                self.diags.push(Diag::at_line(
                    ctx.file,
                    line,
                    format!("empty cell in column `{}`", &record_header(schema, role)),
                ));
                row_ok = false;
            }
        }
        if looks_like_scientific(code) {
            self.diags.push(Diag::at_line(
                ctx.file,
                line,
                format!(
                    "village code `{}` looks like Excel scientific notation; format the code column as text and export again",
                    excerpt(code)
                ),
            ));
            row_ok = false;
        }
        for k in 0..layout.nsizes {
            let raw = cell(layout.sizes[k]);
            if raw.is_empty() {
                continue;
            }
            match parse_size(raw) {
                Ok(v) => self.sizes_row[k] = v,
                Err(why) => {
                    self.diags.push(Diag::at_line(ctx.file, line, format!("`{}`: {why}", schema.sizes[k])));
                    row_ok = false;
                }
            }
        }

        // Hierarchy: a county key has one name, a township one county.
        let ckey = if layout.county_code.is_some() { cell(layout.county_code) } else { county };
        let ci = match known.county_ix.get(ckey) {
            Some(seen) => {
                if layout.county_code.is_some() && seen.name != county && !county.is_empty() {
                    self.diags.push(Diag::at_line(
                        ctx.file,
                        line,
                        format!(
                            "county code {} is named `{}` here but `{}` earlier",
                            excerpt(ckey),
                            excerpt(county),
                            excerpt(&seen.name)
                        ),
                    ));
                }
                seen.ix
            }
            None => {
                self.counties.push(Area {
                    key: ckey.to_string(),
                    name: county.to_string(),
                    parent: usize::MAX,
                });
                let ix = known.county_keys.len();
                known.county_keys.push(ckey.into());
                known.county_ix.insert(ckey.into(), Seen { ix, name: county.into(), parent: usize::MAX });
                ix
            }
        };
        let tkey: &str = if layout.township_code.is_some() {
            cell(layout.township_code)
        } else {
            self.tkey_buf.clear();
            self.tkey_buf.push_str(ckey);
            self.tkey_buf.push('/');
            self.tkey_buf.push_str(township);
            &self.tkey_buf
        };
        let ti = match known.township_ix.get(tkey) {
            Some(seen) => {
                if seen.parent != ci {
                    self.diags.push(Diag::at_line(
                        ctx.file,
                        line,
                        format!(
                            "township {} ({}) is under county {} here but under county {} earlier; a township belongs to one county",
                            excerpt(tkey),
                            excerpt(township),
                            excerpt(&known.county_keys[ci]),
                            excerpt(&known.county_keys[seen.parent])
                        ),
                    ));
                } else if layout.township_code.is_some() && seen.name != township && !township.is_empty() {
                    self.diags.push(Diag::at_line(
                        ctx.file,
                        line,
                        format!(
                            "township code {} is named `{}` here but `{}` earlier",
                            excerpt(tkey),
                            excerpt(township),
                            excerpt(&seen.name)
                        ),
                    ));
                }
                seen.ix
            }
            None => {
                self.townships.push(Area { key: tkey.to_string(), name: township.to_string(), parent: ci });
                let ix = known.township_ix.len();
                known.township_ix.insert(tkey.into(), Seen { ix, name: township.into(), parent: ci });
                ix
            }
        };
        if self.stop_on_problem && self.diags.0.len() > n_diags {
            return false;
        }
        if !row_ok {
            return true;
        }
        for (k, v) in self.sizes_row.iter().enumerate() {
            self.sums[k] += u128::from(*v);
        }
        let code = intern(&mut self.arena, code);
        let name = intern(&mut self.arena, name);
        self.villages.push(Village { code, name, county: ci, township: ti, line });
        self.sizes.extend_from_slice(&self.sizes_row);
        true
    }

    fn into_joined(self, ctx: &Ctx<'_>) -> Joined {
        let frame = Frame {
            file: ctx.file.to_string(),
            size_names: ctx.schema.sizes.clone(),
            counties: self.counties,
            townships: self.townships,
            villages: self.villages,
            arena: self.arena,
            ..Frame::default()
        };
        Joined { frame, sizes: self.sizes, sums: self.sums, rows: self.rows }
    }
}

fn intern(arena: &mut String, s: &str) -> Span {
    let start = arena.len() as u32;
    arena.push_str(s);
    Span { start, len: s.len() as u32 }
}

/// Where a frame's bytes come from: memory, or a file read a piece at a
/// time, so that a large frame is never held whole.
pub(super) trait Source: Sync {
    fn len(&self) -> usize;
    /// The bytes in `range` (clipped to the end); `None` if they cannot be
    /// read.
    fn read(&self, range: Range<usize>) -> Option<Cow<'_, [u8]>>;
}

/// Bytes in memory.
pub(super) struct Bytes<'a>(pub &'a [u8]);

impl Source for Bytes<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn read(&self, range: Range<usize>) -> Option<Cow<'_, [u8]>> {
        let n = self.0.len();
        self.0.get(range.start.min(n)..range.end.min(n)).map(Cow::Borrowed)
    }
}

/// A file from byte `skip` on (after a byte-order mark).
pub(super) struct FileSource {
    pub path: std::path::PathBuf,
    pub skip: usize,
    pub len: usize,
}

impl Source for FileSource {
    fn len(&self) -> usize {
        self.len
    }

    fn read(&self, range: Range<usize>) -> Option<Cow<'_, [u8]>> {
        use std::io::{Read, Seek, SeekFrom};
        let (a, b) = (range.start.min(self.len), range.end.min(self.len));
        let mut f = std::fs::File::open(&self.path).ok()?;
        f.seek(SeekFrom::Start((self.skip + a) as u64)).ok()?;
        let mut buf = vec![0; b - a];
        f.read_exact(&mut buf).ok()?;
        Some(Cow::Owned(buf))
    }
}

/// A piece is about this many bytes: with one piece per thread in hand at
/// a time, a frame of any size is read in little more memory than what is
/// kept of it.
const PIECE_BYTES: usize = 1 << 20;

/// The first line feed at or after `from`, looked for in windows.
fn line_feed_from(src: &dyn Source, from: usize) -> Option<usize> {
    let mut at = from;
    while at < src.len() {
        let window = src.read(at..at + (64 << 10))?;
        if let Some(k) = window.iter().position(|&b| b == b'\n') {
            return Some(at + k);
        }
        at += window.len().max(1);
    }
    None
}

/// Reads the rows in `pieces` pieces (or more, for a large source) on
/// `threads` threads and joins them, or `None` when the one-piece reading
/// must decide: a piece that is not UTF-8, a cut inside a quoted field, a
/// problem in some piece, a county or township that two pieces see
/// differently.
pub(super) fn read_in_pieces(
    file: &str,
    src: &dyn Source,
    schema: &FrameSchema,
    pieces: usize,
    threads: usize,
) -> Option<(Frame, Diags)> {
    if pieces < 2 || threads < 1 {
        return None;
    }
    // The header, from the first line (and more, while a quoted cell spans
    // them: rarely more than one).
    let mut head_end = 0;
    let (layout, header_end, header_lines) = loop {
        head_end = line_feed_from(src, head_end).map_or(src.len(), |k| k + 1);
        let bytes = src.read(0..head_end)?;
        let text = crate::text::as_str(&bytes)?;
        let mut diags = Diags::default();
        let (layout, scanner) = read_header(file, text, schema, &mut diags)?;
        if !diags.is_empty() {
            return None;
        }
        if !scanner.ended_in_quotes() || head_end == src.len() {
            // The scanner stopped at the header's line break.
            let at = scanner.position();
            break (layout, at, csvscan::count_newlines(&bytes[..at]));
        }
        if head_end > 1 << 16 {
            return None;
        }
    };
    let body = src.len() - header_end;
    let pieces = pieces.max(body.div_ceil(PIECE_BYTES));
    let mut cuts = vec![header_end];
    for k in 1..pieces {
        let guess = header_end + body * k / pieces;
        let last = cuts[cuts.len() - 1];
        if guess < last {
            continue;
        }
        match line_feed_from(src, guess) {
            Some(nl) if nl + 1 < src.len() && nl + 1 > last => cuts.push(nl + 1),
            _ => {}
        }
    }
    cuts.push(src.len());
    if cuts.len() < 3 {
        return None;
    }
    let ctx = Ctx { file, schema, layout: &layout };
    let (ctx, cuts) = (&ctx, &cuts);
    let n = cuts.len() - 1;
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    // A piece is started only when it is at most `ahead` pieces past the
    // last one joined, so that pieces read ahead of a slow one do not pile
    // up in memory.
    let joined_upto = (Mutex::new(0usize), Condvar::new());
    let ahead = threads + 1;
    let (next, failed, joined_upto) = (&next, &failed, &joined_upto);
    let release_all = || {
        failed.store(true, Ordering::Relaxed);
        *joined_upto.0.lock().unwrap_or_else(|e| e.into_inner()) = usize::MAX / 2;
        joined_upto.1.notify_all();
    };
    let release_all = &release_all;
    let job = crate::progress::job(crate::progress::Task::ReadFrame, src.len() as u64);
    job.inc(header_end as u64);
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, Option<(Piece, u64)>)>();
        for reader in 0..threads.min(n) {
            let tx = tx.clone();
            s.spawn(move || {
                let mut known = Known::default();
                while !failed.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= n {
                        break;
                    }
                    {
                        let mut upto = joined_upto.0.lock().unwrap_or_else(|e| e.into_inner());
                        while k >= *upto + ahead {
                            upto = joined_upto.1.wait(upto).unwrap_or_else(|e| e.into_inner());
                        }
                    }
                    let (a, b) = (cuts[k], cuts[k + 1]);
                    // The first piece keeps the rows of all: room for them.
                    let whole = if k == 0 { src.len() - header_end } else { b - a };
                    let read = src.read(a..b).and_then(|bytes| {
                        let text = crate::text::as_str(&bytes)?;
                        let mut piece = Piece::new(ctx, (reader, &known), text, whole, true);
                        let mut scanner = Scanner::piece(text);
                        let mut rec = Record::default();
                        while scanner.next_record(&mut rec) {
                            if !piece.row(ctx, &mut known, text, &rec, 0) {
                                return None;
                            }
                        }
                        (!scanner.ended_in_quotes() && piece.diags.is_empty())
                            .then_some((piece, scanner.newlines()))
                    });
                    if read.is_none() {
                        release_all();
                    }
                    if tx.send((k, read)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Pieces are joined in order as they come in, so that few are held
        // at once.
        let mut waiting: BTreeMap<usize, (Piece, u64)> = BTreeMap::new();
        let mut joined: Option<Joining> = None;
        let mut have = 0;
        for (k, read) in rx {
            let Some(read) = read else {
                release_all();
                return None;
            };
            waiting.insert(k, read);
            while let Some((p, newlines)) = waiting.remove(&have) {
                match &mut joined {
                    None => match Joining::new(p, newlines + header_lines, header_lines, threads.min(n)) {
                        Some(j) => joined = Some(j),
                        None => {
                            release_all();
                            return None;
                        }
                    },
                    Some(j) => {
                        if j.absorb(ctx, p, newlines).is_none() {
                            release_all();
                            return None;
                        }
                    }
                }
                job.inc((cuts[have + 1] - cuts[have]) as u64);
                have += 1;
                let mut upto = joined_upto.0.lock().unwrap_or_else(|e| e.into_inner());
                *upto = (*upto).max(have);
                joined_upto.1.notify_all();
            }
        }
        if have != n {
            return None;
        }
        let joined = joined?.finish(ctx);
        Some(finish(ctx, joined, Diags::default()))
    })
}

/// Pieces joined so far.
struct Joining {
    /// The first piece, to which the others' rows are added.
    first: Piece,
    /// Every county and township of the pieces joined, by key, numbered in
    /// the order of the text (the order a reading from the top gives).
    county_ix: FxHashMap<SmolStr, Seen>,
    township_ix: FxHashMap<SmolStr, Seen>,
    /// For each reader, the joined number of each county and township it
    /// has numbered: a reader's pieces come in the order of the text, so
    /// these grow as its pieces are joined.
    numbers: Vec<(Vec<usize>, Vec<usize>)>,
    /// Line feeds before the next piece.
    line_base: u64,
}

impl Joining {
    /// Starts from the first piece, whose lines count from after the
    /// header, and whose counties and townships are the first of the text.
    /// `None` when its reader had read another piece before it.
    fn new(mut first: Piece, line_base: u64, header_lines: u64, readers: usize) -> Option<Joining> {
        if first.county_base != 0 || first.township_base != 0 || first.reader >= readers {
            return None;
        }
        for v in &mut first.villages {
            v.line += header_lines;
        }
        let seen = |ix: usize, a: &Area| {
            (a.key.as_str().into(), Seen { ix, name: a.name.as_str().into(), parent: a.parent })
        };
        let county_ix = first.counties.iter().enumerate().map(|(ix, a)| seen(ix, a)).collect();
        let township_ix = first.townships.iter().enumerate().map(|(ix, a)| seen(ix, a)).collect();
        let mut numbers = vec![(Vec::new(), Vec::new()); readers];
        numbers[first.reader] = ((0..first.counties.len()).collect(), (0..first.townships.len()).collect());
        Some(Joining { first, county_ix, township_ix, numbers, line_base })
    }

    /// Adds the next piece's rows. The counties and townships its reader
    /// met first in it are numbered on from those already joined, in the
    /// order the text meets them. `None` when the piece sees a known county
    /// or township differently (the reading from the top reports it); what
    /// was joined is then left half changed, and thrown away.
    fn absorb(&mut self, ctx: &Ctx<'_>, p: Piece, newlines: u64) -> Option<()> {
        let j = &mut self.first;
        let (county_map, township_map) = self.numbers.get_mut(p.reader)?;
        // A guard: pieces are joined in the order of the text, so a reader's
        // come in the order it numbered them; anything else is refused.
        if county_map.len() != p.county_base || township_map.len() != p.township_base {
            return None;
        }
        for c in &p.counties {
            let ix = match self.county_ix.get(c.key.as_str()) {
                Some(g) => (ctx.layout.county_code.is_none() || g.name == c.name).then_some(g.ix)?,
                None => {
                    j.counties.push(c.clone());
                    let ix = j.counties.len() - 1;
                    self.county_ix.insert(
                        c.key.as_str().into(),
                        Seen { ix, name: c.name.as_str().into(), parent: c.parent },
                    );
                    ix
                }
            };
            county_map.push(ix);
        }
        for t in &p.townships {
            let parent = *county_map.get(t.parent)?;
            let ix = match self.township_ix.get(t.key.as_str()) {
                Some(g) => (g.parent == parent && (ctx.layout.township_code.is_none() || g.name == t.name))
                    .then_some(g.ix)?,
                None => {
                    j.townships.push(Area { key: t.key.clone(), name: t.name.clone(), parent });
                    let ix = j.townships.len() - 1;
                    self.township_ix
                        .insert(t.key.as_str().into(), Seen { ix, name: t.name.as_str().into(), parent });
                    ix
                }
            };
            township_map.push(ix);
        }
        let shift = u32::try_from(j.arena.len()).ok()?;
        u32::try_from(j.arena.len() + p.arena.len()).ok()?;
        j.arena.push_str(&p.arena);
        let base = self.line_base;
        j.villages.extend(p.villages.iter().map(|v| Village {
            code: Span { start: v.code.start + shift, len: v.code.len },
            name: Span { start: v.name.start + shift, len: v.name.len },
            county: county_map[v.county],
            township: township_map[v.township],
            line: v.line + base,
        }));
        j.sizes.extend_from_slice(&p.sizes);
        for (s, x) in j.sums.iter_mut().zip(&p.sums) {
            *s += x;
        }
        j.rows += p.rows;
        self.line_base += newlines;
        Some(())
    }

    fn finish(self, ctx: &Ctx<'_>) -> Joined {
        self.first.into_joined(ctx)
    }
}

/// The rows read, with what the checks over all rows need.
struct Joined {
    /// The frame, its sizes still apart.
    frame: Frame,
    sizes: Vec<u64>,
    sums: Vec<u128>,
    rows: u64,
}

/// The checks over all rows, and the code order.
fn finish(ctx: &Ctx<'_>, joined: Joined, mut diags: Diags) -> (Frame, Diags) {
    let Joined { mut frame, sizes, sums, rows } = joined;
    let file = ctx.file;
    // The code order, and the duplicates it brings together, are found
    // while the rows are checked against the totals and the area codes (on
    // another thread for a large frame: both only read).
    let order = |frame: &Frame| {
        let keys = sort_by_code(frame);
        let mut duplicates = Diags::default();
        report_duplicates(file, frame, &keys, &mut duplicates);
        let townships: Vec<u32> =
            keys.iter().map(|&k| frame.villages[k as u32 as usize].township as u32).collect();
        (keys, townships, duplicates)
    };
    let ((keys, townships, duplicates), sizes) = if frame.villages.len() >= PARALLEL_ORDER {
        std::thread::scope(|s| {
            let sorted = s.spawn(|| order(&frame));
            let sizes = check_totals(ctx, &frame, sizes, &sums, rows, &mut diags);
            (sorted.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), sizes)
        })
    } else {
        let sizes = check_totals(ctx, &frame, sizes, &sums, rows, &mut diags);
        (order(&frame), sizes)
    };
    frame.sizes = sizes;
    diags.extend(duplicates);
    frame.by_code = keys.into_iter().map(|k| k as u32).collect();
    frame.township_by_code = townships;
    (frame, diags)
}

/// From this many villages on, the code order is found on a thread of its
/// own.
const PARALLEL_ORDER: usize = 50_000;

/// The checks of rows against all the others: totals rows, by their
/// figures or by an area's code, and a header without rows. Returns the
/// sizes as the frame holds them.
fn check_totals(
    ctx: &Ctx<'_>,
    frame: &Frame,
    sizes: Vec<u64>,
    sums: &[u128],
    rows: u64,
    diags: &mut Diags,
) -> super::Sizes {
    let file = ctx.file;
    let nsizes = ctx.layout.nsizes;
    // A row equal to the sum of all the others is a totals row whose label
    // cells were filled with something innocent (a numeric code, real
    // names), wherever it stands. Columns the row leaves at 0 are not
    // compared: a totals row may sum only some of them. At least three other
    // villages, so that 10 + 20 = 30 is not taken for a total.
    if frame.villages.len() >= 4 && nsizes > 0 {
        for (v, row) in sizes.chunks_exact(nsizes).enumerate() {
            let (mut equal, mut differ) = (false, false);
            for (x, total) in row.iter().zip(sums) {
                let x = u128::from(*x);
                if x > 0 {
                    if 2 * x == *total { equal = true } else { differ = true }
                }
            }
            if equal && !differ {
                diags.push(Diag::at_line(
                    file,
                    frame.villages[v].line,
                    "this row equals the sum of all other rows in every size column it fills; it looks like a totals row",
                ));
            }
        }
    }
    let sizes = super::Sizes::new(sizes);
    // A subtotal row often carries its county's or township's own code.
    let (by_county, by_township) = (ctx.layout.county_code.is_some(), ctx.layout.township_code.is_some());
    if by_county || by_township {
        let areas: FxHashMap<&str, (&str, &Area)> = frame
            .counties
            .iter()
            .filter(|_| by_county)
            .map(|a| (a.key.as_str(), ("county", a)))
            .chain(frame.townships.iter().filter(|_| by_township).map(|a| (a.key.as_str(), ("township", a))))
            .collect();
        // Village codes are mostly longer than area codes; only a code of
        // an area code's length can be one.
        let lengths: Vec<usize> = {
            let mut l: Vec<usize> = areas.keys().map(|k| k.len()).collect();
            l.sort_unstable();
            l.dedup();
            l
        };
        for v in &frame.villages {
            if !lengths.contains(&(v.code.len as usize)) {
                continue;
            }
            let code = frame.text(v.code);
            if let Some((what, area)) = areas.get(code) {
                diags.push(Diag::at_line(
                    file,
                    v.line,
                    format!(
                        "village code {} is the code of {what} {} too; a frame lists villages only, not totals of a {what}",
                        excerpt(code),
                        excerpt(&area.name)
                    ),
                ));
            }
        }
    }
    if rows == 0 && diags.is_empty() {
        diags.push(Diag::error(file, None, "the file has a header but no villages"));
    }
    sizes
}

/// A sort key that orders like the code's bytes, then like the village's
/// index: the code's first 12 bytes packed big-endian (a shorter code is
/// zero-padded, and codes hold no NUL bytes) above the index.
fn code_key(code: &str, index: usize) -> u128 {
    let mut buf = [0u8; 16];
    let n = code.len().min(12);
    buf[..n].copy_from_slice(&code.as_bytes()[..n]);
    (u128::from_be_bytes(buf) & !0xffff_ffff) | index as u128
}

/// The code part of a key.
fn key_code(k: u128) -> u128 {
    k >> 32
}

/// Keys of all villages sorted by code (byte order), then by line (which is
/// the order of the villages).
fn sort_by_code(frame: &Frame) -> Vec<u128> {
    let mut keys: Vec<u128> = (0..frame.villages.len()).map(|i| code_key(frame.code(i), i)).collect();
    keys.sort_unstable();
    // Runs with an equal prefix (codes longer than 12 bytes, or duplicates)
    // are put in full code order, then line order.
    let full = |a: &u128, b: &u128| {
        let (x, y) = ((*a as u32) as usize, (*b as u32) as usize);
        frame.code(x).cmp(frame.code(y)).then(frame.villages[x].line.cmp(&frame.villages[y].line))
    };
    for run in keys.chunk_by_mut(|a, b| key_code(*a) == key_code(*b)) {
        if run.len() > 1 {
            run.sort_unstable_by(full);
        }
    }
    keys
}

/// Equal codes sit together in code order; each repeat is an error on its
/// own line, naming the first.
fn report_duplicates(file: &str, frame: &Frame, keys: &[u128], diags: &mut Diags) {
    let village = |j: usize| &frame.villages[keys[j] as u32 as usize];
    let mut run_start = 0;
    for j in 1..keys.len() {
        // Different packed prefixes are different codes; only equal ones
        // need the text.
        if key_code(keys[j]) != key_code(keys[run_start]) {
            run_start = j;
            continue;
        }
        let (first, b) = (village(run_start), village(j));
        let code = frame.text(b.code);
        if frame.text(first.code) != code {
            run_start = j;
            continue;
        }
        let msg = if first.township != b.township {
            format!(
                "village {} is listed under two townships: {} here and {} on line {}",
                excerpt(code),
                excerpt(&frame.townships[b.township].key),
                excerpt(&frame.townships[first.township].key),
                first.line
            )
        } else {
            format!("duplicate village code {} (also on line {})", excerpt(code), first.line)
        };
        diags.push(Diag::at_line(file, b.line, msg));
    }
}

fn record_header(schema: &FrameSchema, role: Role) -> String {
    match role {
        Role::Code => schema.code.clone(),
        Role::Name => schema.name.clone(),
        Role::County => schema.county.clone(),
        Role::CountyCode => schema.county_code.clone().unwrap_or_default(),
        Role::Township => schema.township.clone(),
        Role::TownshipCode => schema.township_code.clone().unwrap_or_default(),
        Role::Size(k) => schema.sizes[k].clone(),
        Role::Extra => String::new(),
    }
}

fn parse_size(raw: &str) -> Result<u64, String> {
    if let Ok(v) = raw.parse::<u64>() {
        return Ok(v);
    }
    if raw.starts_with('-') && raw[1..].parse::<u64>().is_ok() {
        return Err(format!("negative size {}; sizes count people or households and are ≥ 0", excerpt(raw)));
    }
    if raw.contains(',') && raw.replace(',', "").parse::<u64>().is_ok() {
        // Unlike findings and reports, a frame's sizes have no separators:
        // SAMPLING.md fixes how its bytes become numbers for every verifier.
        return Err(format!(
            "`{}` has a thousands separator, which a frame may not have (SAMPLING.md); write the number without it (in Excel: format the column as General (常规), or as Number without the 1000 separator, and save again)",
            excerpt(raw)
        ));
    }
    Err(format!("`{}` is not a whole number", excerpt(raw)))
}

/// Maps each header to its role. Returns `None` when a required column is
/// missing, since no row can then be read.
fn map_headers(
    file: &str,
    line: u64,
    headers: &[&str],
    schema: &FrameSchema,
    diags: &mut Diags,
) -> Option<Vec<Role>> {
    let mut wanted: Vec<(String, Role, &str)> = vec![
        (normalize_header(&schema.code), Role::Code, &schema.code),
        (normalize_header(&schema.name), Role::Name, &schema.name),
        (normalize_header(&schema.county), Role::County, &schema.county),
        (normalize_header(&schema.township), Role::Township, &schema.township),
    ];
    if let Some(c) = &schema.county_code {
        wanted.push((normalize_header(c), Role::CountyCode, c));
    }
    if let Some(c) = &schema.township_code {
        wanted.push((normalize_header(c), Role::TownshipCode, c));
    }
    for (k, s) in schema.sizes.iter().enumerate() {
        wanted.push((normalize_header(s), Role::Size(k), s));
    }
    for s in &schema.extra {
        wanted.push((normalize_header(s), Role::Extra, s));
    }

    let mut roles = Vec::with_capacity(headers.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, h) in headers.iter().copied().enumerate() {
        let h = h.trim_start_matches('\u{feff}');
        let norm = normalize_header(h);
        if let Some(first) = seen.get(&norm) {
            diags.push(Diag::at_line(
                file,
                line,
                format!(
                    "duplicate header `{}` in column {} (same as column {})",
                    excerpt(h),
                    i + 1,
                    first + 1
                ),
            ));
            roles.push(Role::Extra);
            continue;
        }
        seen.insert(norm.clone(), i);
        match wanted.iter().find(|w| w.0 == norm) {
            Some(w) => roles.push(w.1),
            None => {
                let expected: Vec<&str> = wanted.iter().map(|w| w.2).collect();
                diags.push(Diag::at_line(
                    file,
                    line,
                    format!(
                        "unknown header `{}` in column {} (expected: {})",
                        excerpt(h),
                        i + 1,
                        expected.join(", ")
                    ),
                ));
                roles.push(Role::Extra);
            }
        }
    }
    let mut complete = true;
    for (norm, role, shown) in &wanted {
        if *role != Role::Extra && !seen.contains_key(norm) {
            diags.push(Diag::at_line(file, line, format!("missing column `{shown}`")));
            complete = false;
        }
    }
    complete.then_some(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> FrameSchema {
        FrameSchema { sizes: vec!["population".into()], ..FrameSchema::default() }
    }

    #[test]
    fn parses_a_small_frame() {
        let text = "code,name,county,township,population\n3,c,A,t1,30\n1,a,A,t1,10\n2,b,B,t2,20\n";
        let (f, d) = parse("f.csv", text, &schema());
        assert!(d.is_empty(), "{d}");
        assert_eq!(f.villages.len(), 3);
        assert_eq!(f.counties.len(), 2);
        assert_eq!(f.size(1, 0), 10);
        assert_eq!(f.villages[2].line, 4);
    }

    #[test]
    fn headers_match_ignoring_case_and_space() {
        let text = " Code ,NAME,County,Town ship,Popu lation\n1,a,A,t,1\n";
        let s = FrameSchema { township: "township".into(), ..schema() };
        let (f, d) = parse("f.csv", text, &s);
        assert!(d.is_empty(), "{d}");
        assert_eq!(f.villages.len(), 1);
    }

    /// The pieces are joined when every cut lies between records, and the
    /// text is read again from the top when one lies inside quotes.
    #[test]
    fn pieces_are_joined_only_when_every_cut_is_clean() {
        let mut text = String::from("code,name,county,township,population\n");
        for i in 0..400 {
            text.push_str(&format!("{i},v{i},C{},T{},{}\n", i % 7, i % 31, 10 + i));
        }
        let schema = schema();
        let pieces = |text: &str, n: usize| read_in_pieces("f.csv", &Bytes(text.as_bytes()), &schema, n, n);
        let whole = parse_in_pieces("f.csv", &text, &schema, 1);
        for n in 2..6 {
            let (f, d) = pieces(&text, n).expect("clean cuts are joined");
            assert!(d.is_empty() && f == whole.0, "{n} pieces");
        }
        // More pieces than threads.
        let (f, _) = read_in_pieces("f.csv", &Bytes(text.as_bytes()), &schema, 9, 2).unwrap();
        assert_eq!(f, whole.0);
        // A name with line breaks across the middle of the text.
        let quoted = format!("x,\"a{}b\",C0,T0,1\n", "\n".repeat(text.len()));
        let mid = text.len() / 2;
        let at = mid + text[mid..].find('\n').unwrap() + 1;
        text.insert_str(at, &quoted);
        assert!(pieces(&text, 2).is_none());
        let (f, d) = parse_in_pieces("f.csv", &text, &schema, 2);
        assert!(d.is_empty(), "{d}");
        assert_eq!(f, parse_in_pieces("f.csv", &text, &schema, 1).0);
        assert_eq!(f.villages.len(), 401);
    }

    /// A reader keeps the counties and townships it has met from one of
    /// its pieces to the next. Pieces joined from one reader, from two or
    /// from one reader each give the frame a reading from the top gives;
    /// a township under another county, or a county or township under
    /// another name, far down the text (in a later piece of the same
    /// reader or of another) sends the text to be read from the top, which
    /// reports it.
    #[test]
    fn readers_keep_what_they_met_and_join_as_a_reading_from_the_top() {
        let schema = FrameSchema {
            county_code: Some("county_code".into()),
            township_code: Some("township_code".into()),
            extra: vec!["notes".into()],
            ..schema()
        };
        let row = |i: usize, county: usize, township: usize| {
            format!("{i:05},v{i},{county},C{county},{county}-{township},T{township},{},n\n", 10 + i)
        };
        // Counties first met every hundred rows (in later pieces), and
        // their townships with them.
        let mut rows: Vec<String> = (0..600).map(|i| row(i, i / 100, (i * 13) % 40)).collect();
        // With a header of one line, and of two (a quoted line break in
        // its last cell).
        for (notes, extra) in [("notes", 0), ("\"notes\n\"", 1)] {
            let text = |rows: &[String]| {
                format!(
                    "code,name,county_code,county,township_code,township,population,{notes}\n{}",
                    rows.concat()
                )
            };
            let clean = text(&rows);
            let whole = parse_in_pieces("f.csv", &clean, &schema, 1);
            assert!(whole.1.is_empty(), "{}", whole.1);
            assert_eq!((whole.0.counties.len(), whole.0.townships.len()), (6, 240));
            assert_eq!(whole.0.villages[599].line, 601 + extra);
            for threads in [1, 2, 3, 12] {
                let (f, d) =
                    read_in_pieces("f.csv", &Bytes(clean.as_bytes()), &schema, 12, threads).expect("joined");
                assert!(d.is_empty() && f == whole.0, "{threads} readers");
            }
            // Row 590 sees what row 3 saw differently.
            let first = rows[3].clone();
            let f: Vec<&str> = first.trim_end().split(',').collect();
            let variants = [
                // The township under another county.
                format!("99990,x,6,C6,{},{},1,n\n", f[4], f[5]),
                // The county under another name.
                format!("99990,x,{},Elsewhere,{},{},1,n\n", f[2], f[4], f[5]),
                // The township under another name.
                format!("99990,x,{},{},{},Elsewhere,1,n\n", f[2], f[3], f[4]),
            ];
            let kept = rows[590].clone();
            for bad in variants {
                rows[590] = bad.clone();
                let t = text(&rows);
                let from_top = parse_in_pieces("f.csv", &t, &schema, 1);
                assert_eq!(from_top.1.0.len(), 1, "{bad}: {}", from_top.1);
                let at = format!("f.csv:{}: ", 592 + extra);
                assert!(from_top.1.to_string().starts_with(&at), "{}", from_top.1);
                for threads in [1, 2, 12] {
                    assert!(
                        read_in_pieces("f.csv", &Bytes(t.as_bytes()), &schema, 12, threads).is_none(),
                        "{bad}"
                    );
                }
                let (f, d) = parse_in_pieces("f.csv", &t, &schema, 12);
                assert_eq!((f, d.to_string()), (from_top.0, from_top.1.to_string()));
            }
            rows[590] = kept;
        }
    }

    #[test]
    fn a_large_frame_is_ordered_and_checked_beside_each_other() {
        let schema = FrameSchema { township_code: Some("township_code".into()), ..schema() };
        let n = PARALLEL_ORDER + 10;
        let mut text = String::from("code,name,county,township_code,township,population\n");
        let mut total = 0u64;
        for i in 0..n {
            // Shuffled codes, so that stored order is not code order.
            let c = (i * 7919) % n;
            text.push_str(&format!("V{c:07},v,C{},T{},t,{}\n", c % 5, c % 50, 1 + c % 3));
            total += 1 + (c % 3) as u64;
        }
        text.push_str("V0000007,v,C2,T7,t,2\n");
        total += 2;
        text.push_str("T3,v,C3,T3,t,1\n");
        total += 1;
        text.push_str(&format!("V9999999,v,C0,T0,t,{total}\n"));
        let (f, d) = parse_in_pieces("f.csv", &text, &schema, 1);
        let lines: Vec<String> = d.sorted().0.iter().map(|d| d.to_string()).collect();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(
            lines[0].starts_with(&format!("f.csv:{}: duplicate village code V0000007 (also on line", n + 2))
        );
        assert!(lines[1].starts_with(&format!("f.csv:{}: village code T3 is the code of township", n + 3)));
        assert!(lines[2].starts_with(&format!("f.csv:{}: this row equals the sum", n + 4)), "{}", lines[2]);
        assert_eq!(f.by_code.len(), n + 3);
        let codes: Vec<&str> = f.by_code.iter().map(|&i| f.code(i as usize)).collect();
        assert!(codes.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(f, parse_in_pieces("f.csv", &text, &schema, 3).0);
    }

    /// The join, piece by piece, with the readers fixed by hand: what a
    /// piece met first is numbered in the order of the text whichever
    /// reader met it, and a piece that sees a county or township another
    /// reader met differently, or comes out of its reader's order, is not
    /// joined.
    #[test]
    fn pieces_from_different_readers_are_numbered_in_the_order_of_the_text() {
        let schema = FrameSchema {
            county_code: Some("county_code".into()),
            township_code: Some("township_code".into()),
            ..schema()
        };
        let header = "code,name,county_code,county,township_code,township,population\n";
        let mut diags = Diags::default();
        let (layout, _) = read_header("f.csv", header, &schema, &mut diags).unwrap();
        let ctx = Ctx { file: "f.csv", schema: &schema, layout: &layout };
        // Pieces of text and the reader of each, joined in this order.
        let join = |parts: &[(&str, usize)]| -> Option<Frame> {
            let mut known: Vec<Known> = (0..2).map(|_| Known::default()).collect();
            let mut joining: Option<Joining> = None;
            for &(text, reader) in parts {
                let mut p = Piece::new(&ctx, (reader, &known[reader]), text, text.len(), true);
                let (mut scanner, mut rec) = (Scanner::piece(text), Record::default());
                while scanner.next_record(&mut rec) {
                    assert!(p.row(&ctx, &mut known[reader], text, &rec, 0), "{text}");
                }
                match &mut joining {
                    None => joining = Some(Joining::new(p, scanner.newlines() + 1, 1, 2)?),
                    Some(j) => j.absorb(&ctx, p, scanner.newlines())?,
                }
            }
            Some(finish(&ctx, joining?.finish(&ctx), Diags::default()).0)
        };
        let a = "1,v1,1,C1,1-1,T1,5\n2,v2,2,C2,2-1,T1,5\n";
        let b = "3,v3,3,C3,3-1,T1,5\n4,v4,2,C2,2-2,T2,5\n5,v5,1,C1,1-1,T1,5\n";
        let c = "6,v6,3,C3,3-1,T1,5\n7,v7,4,C4,4-1,T1,5\n8,v8,2,C2,2-2,T2,5\n";
        let whole = parse_in_pieces("f.csv", &format!("{header}{a}{b}{c}"), &schema, 1).0;
        for readers in [[0, 1, 0], [0, 1, 1], [0, 0, 1], [0, 0, 0]] {
            let got = join(&[(a, readers[0]), (b, readers[1]), (c, readers[2])]).expect("joined");
            assert_eq!(got, whole, "{readers:?}");
        }
        let keys = |areas: &[Area]| areas.iter().map(|a| a.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&whole.counties), ["1", "2", "3", "4"]);
        assert_eq!(keys(&whole.townships), ["1-1", "2-1", "3-1", "2-2", "4-1"]);
        // What reader 1 meets differently from what reader 0 met.
        for bad in [
            "9,v9,2,C2,1-1,T1,5\n",        // a township under another county
            "9,v9,1,Elsewhere,1-1,T1,5\n", // a county under another name
            "9,v9,1,C1,1-1,Elsewhere,5\n", // a township under another name
        ] {
            assert!(join(&[(a, 0), (bad, 1)]).is_none(), "{bad}");
            assert!(join(&[(a, 0), (b, 0), (bad, 1)]).is_none(), "{bad}");
        }
        // A piece numbered by one reader, joined as another's.
        let mut known = Known::default();
        let mut first = Piece::new(&ctx, (0, &known), a, a.len(), true);
        let (mut scanner, mut rec) = (Scanner::piece(a), Record::default());
        while scanner.next_record(&mut rec) {
            first.row(&ctx, &mut known, a, &rec, 0);
        }
        let mut later = Piece::new(&ctx, (1, &known), b, b.len(), true);
        let mut scanner = Scanner::piece(b);
        while scanner.next_record(&mut rec) {
            later.row(&ctx, &mut known, b, &rec, 0);
        }
        let mut j = Joining::new(first, 3, 1, 2).unwrap();
        assert!(j.absorb(&ctx, later, 3).is_none(), "numbered by reader 0, joined as reader 1's first");
    }

    #[test]
    fn scientific_codes_are_caught() {
        assert!(looks_like_scientific("1.30921E+11"));
        assert!(!looks_like_scientific("130921104203"));
        assert!(!looks_like_scientific("E1"));
    }

    #[test]
    fn totals_words() {
        assert!(looks_like_total("合计"));
        assert!(looks_like_total(" Total "));
        assert!(!looks_like_total("王家庄"));
    }
}
