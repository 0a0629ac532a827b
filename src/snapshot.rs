//! The binary layout of validated snapshots: what `init` keeps of a
//! validated frame and `reports import` of validated self-reports, so that
//! later commands load them instead of parsing and validating the CSV again.
//!
//! A snapshot is a cache, never a source: the CSV files stay the frozen
//! inputs that the commitment covers and that `verify` re-derives from. The
//! campaign journal records each snapshot's SHA-256 like any other recorded
//! file, and a snapshot is only used when its bytes hash to that value.
//!
//! The layout is plain little-endian: a header (magic, layout version, what
//! kind of snapshot, and an `origin` text naming the inputs it was made
//! from), then sections of fixed-width integers and length-prefixed UTF-8
//! strings, column by column. A reader checks every length and index
//! against the bytes it has, so a damaged snapshot is refused with a reason
//! and never read out of bounds. Why this and not a serde format: the
//! columns load with one bounds check each instead of a parse per value,
//! and no dependency is added.

/// The first bytes of every snapshot.
pub const MAGIC: &[u8; 16] = b"spotcheck-snap\r\n";

/// The layout version; a reader refuses any other. Version 2 added the
/// frame's townships in code order.
pub const VERSION: u32 = 2;

/// The layout version a snapshot's header names; `None` for bytes that do
/// not begin as a snapshot does.
pub fn layout(bytes: &[u8]) -> Option<u32> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    Some(u32::from_le_bytes(rest.get(..4)?.try_into().ok()?))
}

/// Builds a snapshot, in memory or straight into a writer (a large one is
/// never held whole).
pub struct Writer<'w> {
    buf: Vec<u8>,
    out: Option<&'w mut dyn std::io::Write>,
    failed: Option<std::io::Error>,
}

/// Bytes held before they go to the writer.
const SPILL: usize = 1 << 20;

impl<'w> Writer<'w> {
    /// A snapshot of `kind` made from `origin`, built in memory.
    pub fn new(kind: &str, origin: &str, capacity: usize) -> Writer<'w> {
        let mut w = Writer { buf: Vec::with_capacity(capacity + 64), out: None, failed: None };
        w.header(kind, origin);
        w
    }

    /// A snapshot of `kind` made from `origin`, written to `out` as it is
    /// built.
    pub fn to(out: &'w mut dyn std::io::Write, kind: &str, origin: &str) -> Writer<'w> {
        let mut w = Writer { buf: Vec::with_capacity(SPILL + 4096), out: Some(out), failed: None };
        w.header(kind, origin);
        w
    }

    /// A writer without a header, for a part written before the header
    /// can be (it is then added with [`Writer::bytes`]).
    pub fn raw() -> Writer<'w> {
        Writer { buf: Vec::new(), out: None, failed: None }
    }

    fn header(&mut self, kind: &str, origin: &str) {
        self.buf.extend_from_slice(MAGIC);
        self.u32(VERSION);
        self.str(kind);
        self.str(origin);
    }

    fn spill(&mut self) {
        if self.buf.len() < SPILL {
            return;
        }
        if let Some(out) = self.out.as_mut() {
            if self.failed.is_none()
                && let Err(e) = out.write_all(&self.buf)
            {
                self.failed = Some(e);
            }
            self.buf.clear();
        }
    }

    pub fn u8(&mut self, x: u8) {
        self.buf.push(x);
        self.spill();
    }

    pub fn u32(&mut self, x: u32) {
        self.buf.extend_from_slice(&x.to_le_bytes());
        self.spill();
    }

    pub fn u64(&mut self, x: u64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
        self.spill();
    }

    /// A string, its length in bytes first.
    pub fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        self.spill();
    }

    /// Unsigned integers in as few bytes as they need: 7 bits a byte, the
    /// high bit set on every byte but the last.
    pub fn var(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.buf.push((x as u8) | 0x80);
            x >>= 7;
        }
        self.buf.push(x as u8);
        self.spill();
    }

    /// The snapshot built in memory (empty when it went to a writer).
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// Writes what is left to the writer.
    pub fn flush(mut self) -> std::io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if let Some(out) = self.out.as_mut() {
            out.write_all(&self.buf)?;
            out.flush()?;
        }
        Ok(())
    }
}

/// Reads a snapshot, refusing anything out of bounds.
#[derive(Clone)]
pub struct Reader<'b> {
    bytes: &'b [u8],
    pos: usize,
}

/// Why a snapshot cannot be used.
pub type Refused = String;

impl<'b> Reader<'b> {
    /// Checks the header: magic, version, kind and origin.
    pub fn new(bytes: &'b [u8], kind: &str, origin: &str) -> Result<Reader<'b>, Refused> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err("not a spotcheck snapshot".into());
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(format!("snapshot layout {version}, this spotcheck reads {VERSION}"));
        }
        let k = r.str()?;
        if k != kind {
            return Err(format!("a {k} snapshot, not a {kind} snapshot"));
        }
        let o = r.str()?;
        if o != origin {
            return Err("made from other inputs".into());
        }
        Ok(r)
    }

    /// A reader of bytes without a header (written by [`Writer::raw`]).
    pub fn raw(bytes: &'b [u8]) -> Reader<'b> {
        Reader { bytes, pos: 0 }
    }

    pub fn take(&mut self, n: usize) -> Result<&'b [u8], Refused> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("cut short")?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, Refused> {
        Ok(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, Refused> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self) -> Result<u64, Refused> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// A count of items that each take at least `min_bytes`: a count the
    /// rest of the snapshot cannot hold is refused before anything is
    /// allocated for it.
    pub fn count(&mut self, min_bytes: usize) -> Result<usize, Refused> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_bytes.max(1)) > self.bytes.len() - self.pos {
            return Err("a count larger than the snapshot".into());
        }
        Ok(n)
    }

    pub fn str(&mut self) -> Result<&'b str, Refused> {
        let n = usize::try_from(self.u64()?).map_err(|_| "a string longer than memory")?;
        std::str::from_utf8(self.take(n)?).map_err(|_| "a string that is not UTF-8".into())
    }

    /// `n` little-endian u32.
    pub fn u32s(&mut self, n: usize) -> Result<Vec<u32>, Refused> {
        let b = self.take(n.checked_mul(4).ok_or("too long")?)?;
        Ok(b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    pub fn var(&mut self) -> Result<u64, Refused> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            x |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(x);
            }
        }
        Err("an integer longer than 64 bits".into())
    }

    /// Whether every byte has been read.
    pub fn done(&self) -> Result<(), Refused> {
        if self.pos == self.bytes.len() { Ok(()) } else { Err("bytes left over at the end".into()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout a header names is read from any snapshot, of any kind
    /// or layout, without reading further; anything else names none.
    #[test]
    fn the_layout_is_read_from_the_header() {
        let mut bytes = Writer::new("test", "made from x", 0).finish();
        assert_eq!(layout(&bytes), Some(VERSION));
        assert_eq!(layout(&bytes[..MAGIC.len() + 4]), Some(VERSION));
        bytes[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(layout(&bytes), Some(1));
        bytes[MAGIC.len() + 3] = 1;
        assert_eq!(layout(&bytes), Some(1 + (1 << 24)));
        assert_eq!(layout(&bytes[..MAGIC.len() + 3]), None);
        assert_eq!(layout(b"code,name\n"), None);
        bytes[0] ^= 1;
        assert_eq!(layout(&bytes), None);
    }

    #[test]
    fn round_trip_and_refusals() {
        let mut w = Writer::new("test", "made from x", 0);
        w.u32(7);
        w.str("沧县");
        for x in [0, 1, 127, 128, 300, u64::MAX] {
            w.var(x);
        }
        let bytes = w.finish();
        let mut r = Reader::new(&bytes, "test", "made from x").unwrap();
        assert_eq!(r.u32().unwrap(), 7);
        assert_eq!(r.str().unwrap(), "沧县");
        for x in [0, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(r.var().unwrap(), x);
        }
        r.done().unwrap();
        assert!(Reader::new(&bytes, "test", "made from y").is_err());
        assert!(Reader::new(&bytes, "other", "made from x").is_err());
        assert!(Reader::new(&bytes[..10], "test", "made from x").is_err());
        // Every cut is refused, never a panic.
        for n in 0..bytes.len() {
            let read = Reader::new(&bytes[..n], "test", "made from x").and_then(|mut r| {
                r.u32()?;
                r.str()?;
                (0..6).try_for_each(|_| r.var().map(|_| ()))
            });
            assert!(read.is_err(), "{n}");
        }
    }
}
