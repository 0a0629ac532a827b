//! Hostile workbooks: files built to exhaust memory or time. Each is built
//! here (nothing large is committed), fed to every command that reads
//! `.xlsx`, and refused with a clear message while the real binary runs
//! under an address-space limit far below what the file asks for.

use std::path::{Path, PathBuf};

use spotcheck::findings::table::{self, XlsxLimits};
use spotcheck::text::Encoding;

use crate::support::{
    SEED, check_snapshot, data, example_frame, example_rules, hash_tree, init, root, run_in,
};

/// The address space the binary may use in these tests: 512 MiB. The files
/// ask for 1 GB to 512 GB.
const MEMORY_LIMIT_KB: u64 = 512 * 1024;

/// Annual rules with one component read from the score file `routine`.
const ANNUAL_RULES: &str = "[annual]\nname = \"t\"\nyear = 2009\npoints = 100\n\n[[component]]\nid = \"routine\"\nname = \"平时考核\"\nweight = 100\nfrom = \"csv:routine\"\n\n[[grade]]\nname = \"合格\"\nmin = 0\n";

/// CRC-32 (IEEE), bit by bit: the parts written here are small.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A zip archive written by hand, so that a test says exactly what each part
/// holds and claims: its bytes, its compression, its declared size.
#[derive(Default)]
struct Zip {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

impl Zip {
    fn entry(&mut self, name: &str, method: u16, body: &[u8], size: u32, crc: u32) {
        let offset = self.out.len() as u32;
        let mut local = Vec::new();
        local.extend(0x0403_4b50u32.to_le_bytes());
        local.extend(20u16.to_le_bytes()); // version needed
        local.extend(0u16.to_le_bytes()); // flags
        local.extend(method.to_le_bytes());
        local.extend([0u8; 4]); // time, date
        local.extend(crc.to_le_bytes());
        local.extend((body.len() as u32).to_le_bytes());
        local.extend(size.to_le_bytes());
        local.extend((name.len() as u16).to_le_bytes());
        local.extend(0u16.to_le_bytes());
        local.extend(name.as_bytes());
        self.out.extend(&local);
        self.out.extend(body);
        let c = &mut self.central;
        c.extend(0x0201_4b50u32.to_le_bytes());
        c.extend(20u16.to_le_bytes()); // version made by
        c.extend(local[4..30].iter()); // the local header's fields, name length and extra length
        c.extend(0u16.to_le_bytes()); // comment length
        c.extend(0u16.to_le_bytes()); // disk
        c.extend(0u16.to_le_bytes()); // internal attributes
        c.extend(0u32.to_le_bytes()); // external attributes
        c.extend(offset.to_le_bytes());
        c.extend(name.as_bytes());
        self.count += 1;
    }

    /// A part stored as is.
    fn stored(&mut self, name: &str, data: &[u8]) {
        self.entry(name, 0, data, data.len() as u32, crc32(data));
    }

    /// A part of raw deflate bytes, declaring `size` bytes unpacked.
    fn deflated(&mut self, name: &str, deflate: &[u8], size: u32) {
        self.entry(name, 8, deflate, size, 0);
    }

    fn finish(mut self) -> Vec<u8> {
        let (start, len) = (self.out.len() as u32, self.central.len() as u32);
        self.out.extend(&self.central);
        self.out.extend(0x0605_4b50u32.to_le_bytes());
        self.out.extend([0u8; 4]); // disk numbers
        self.out.extend(self.count.to_le_bytes());
        self.out.extend(self.count.to_le_bytes());
        self.out.extend(len.to_le_bytes());
        self.out.extend(start.to_le_bytes());
        self.out.extend(0u16.to_le_bytes());
        self.out
    }
}

/// A deflate stream in fixed Huffman codes.
#[derive(Default)]
struct Deflate {
    out: Vec<u8>,
    bit: u32,
    acc: u64,
}

impl Deflate {
    fn new() -> Deflate {
        let mut d = Deflate::default();
        d.bits(1, 1); // the final block
        d.bits(1, 2); // fixed Huffman codes
        d
    }

    /// `n` bits of `v`, least significant first.
    fn bits(&mut self, v: u32, n: u32) {
        self.acc |= u64::from(v) << self.bit;
        self.bit += n;
        while self.bit >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.bit -= 8;
        }
    }

    /// A Huffman code: most significant bit first.
    fn code(&mut self, v: u32, n: u32) {
        self.bits(v.reverse_bits() >> (32 - n), n);
    }

    fn literals(&mut self, s: &[u8]) {
        for &b in s {
            match b {
                0..=143 => self.code(0x30 + u32::from(b), 8),
                _ => self.code(0x190 + u32::from(b) - 144, 9),
            }
        }
    }

    /// `times` copies of the 258 bytes before, at distance `dist` (1 to 4).
    fn repeat(&mut self, dist: u32, times: u64) {
        for _ in 0..times {
            self.code(0xC5, 8); // length 258
            self.code(dist - 1, 5); // distance 1 to 4: codes 0 to 3, no extra bits
        }
    }

    fn finish(mut self) -> Vec<u8> {
        self.code(0, 7); // end of block
        if self.bit > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

fn sheet_xml(rows: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"{NS}\"><sheetData>{rows}</sheetData></worksheet>"
    )
}

/// A workbook of one sheet; `sheet` is the sheet part's writer, so that a
/// test can store it, or deflate a bomb into it.
fn workbook(shared: Option<&str>, sheet: impl FnOnce(&mut Zip)) -> Vec<u8> {
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let pkg = "http://schemas.openxmlformats.org/package/2006/relationships";
    let mut z = Zip::default();
    z.stored(
        "[Content_Types].xml",
                    "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/></Types>"
        .as_bytes(),
    );
    z.stored(
        "_rels/.rels",
        format!("<?xml version=\"1.0\"?><Relationships xmlns=\"{pkg}\"><Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>").as_bytes(),
    );
    z.stored(
        "xl/workbook.xml",
        format!("<?xml version=\"1.0\"?><workbook xmlns=\"{NS}\" xmlns:r=\"{rel}\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>").as_bytes(),
    );
    z.stored(
        "xl/_rels/workbook.xml.rels",
        format!("<?xml version=\"1.0\"?><Relationships xmlns=\"{pkg}\"><Relationship Id=\"rId1\" Type=\"{rel}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{rel}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>").as_bytes(),
    );
    if let Some(s) = shared {
        z.stored("xl/sharedStrings.xml", s.as_bytes());
    }
    sheet(&mut z);
    z.finish()
}

fn inline(cell: &str, text: &str) -> String {
    format!("<c r=\"{cell}\" t=\"inlineStr\"><is><t>{text}</t></is></c>")
}

/// A sheet with one cell at A1 and one at XFD1048576: a grid over the used
/// area would hold 17 billion cells (512 GB).
fn far_cell() -> Vec<u8> {
    let rows = format!(
        "<row r=\"1\">{}</row><row r=\"1048576\">{}</row>",
        inline("A1", "村代码"),
        inline("XFD1048576", "x")
    );
    workbook(None, |z| z.stored("xl/worksheets/sheet1.xml", sheet_xml(&rows).as_bytes()))
}

/// A shared-strings table announcing 2^31 entries (51 GB of room reserved
/// before the first is read).
fn shared_strings_claim() -> Vec<u8> {
    let sst = format!(
        "<?xml version=\"1.0\"?><sst xmlns=\"{NS}\" count=\"2147483648\" uniqueCount=\"2147483648\"><si><t>村代码</t></si></sst>"
    );
    let rows = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>";
    workbook(Some(&sst), |z| z.stored("xl/worksheets/sheet1.xml", sheet_xml(rows).as_bytes()))
}

/// A sheet whose one cell holds 1 GiB of `A`, deflated into a few
/// megabytes. `honest`: the zip declares the part's real size; otherwise it
/// claims the few hundred bytes of an ordinary sheet.
fn bomb(honest: bool) -> Vec<u8> {
    let head = format!(
        "<?xml version=\"1.0\"?><worksheet xmlns=\"{NS}\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>A"
    );
    let tail = "</t></is></c></row></sheetData></worksheet>";
    let repeats = (1u64 << 30) / 258;
    let mut d = Deflate::new();
    d.literals(head.as_bytes());
    d.repeat(1, repeats);
    d.literals(tail.as_bytes());
    let size = head.len() as u64 + repeats * 258 + tail.len() as u64;
    let declared = if honest { size as u32 } else { 400 };
    let deflate = d.finish();
    workbook(None, |z| z.deflated("xl/worksheets/sheet1.xml", &deflate, declared))
}

/// A self-report whose code cell is a formula saved without its result.
fn formula_without_value() -> Vec<u8> {
    let rows = format!(
        "<row r=\"1\">{}{}</row><row r=\"2\"><c r=\"A2\"><f>130921100200+1</f></c>{}</row>",
        inline("A1", "村代码"),
        inline("B1", "births"),
        "<c r=\"B2\"><v>4</v></c>"
    );
    workbook(None, |z| z.stored("xl/worksheets/sheet1.xml", sheet_xml(&rows).as_bytes()))
}

/// Runs spotcheck in `dir` with the address space limited.
fn run_limited(dir: &Path, args: &[&str]) -> (i32, String) {
    // annual works in no campaign folder: it runs from `dir` instead.
    let mut all = if args[0] == "annual" { vec![] } else { vec!["-C", dir.to_str().unwrap()] };
    all.extend_from_slice(args);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_LIMIT_KB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_spotcheck"))
        .args(&all)
        .current_dir(dir)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).to_string())
}

/// A campaign before the commitment (for reports) and one drawn and
/// assigned (for teams and findings).
fn campaigns(tmp: &Path) -> (PathBuf, PathBuf) {
    let open = tmp.join("open");
    assert_eq!(init(&open, &example_rules(), &example_frame()).0, 0);
    let drawn = tmp.join("drawn");
    assert_eq!(init(&drawn, &example_rules(), &example_frame()).0, 0);
    assert_eq!(run_in(&drawn, &["commit"]).0, 0);
    assert_eq!(run_in(&drawn, &["draw", "--seed", SEED]).0, 0);
    let teams = root("examples/cangzhou-2008/teams.csv");
    assert_eq!(run_in(&drawn, &["assign", "--teams", teams.to_str().unwrap()]).0, 0);
    (open, drawn)
}

/// Every reader of `.xlsx` refuses every hostile workbook with exit 1 and
/// a message (snapshotted in tests/data/hostile/), never an abort, within
/// the memory limit, and leaves the campaign as it was.
#[test]
fn hostile_workbooks_are_refused_by_every_reader_within_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let (open, drawn) = campaigns(tmp.path());
    let annual_rules = tmp.path().join("annual.toml");
    std::fs::write(&annual_rules, ANNUAL_RULES).unwrap();
    let files: [(&str, Vec<u8>); 5] = [
        ("far_cell", far_cell()),
        ("shared_strings_claim", shared_strings_claim()),
        ("bomb", bomb(true)),
        ("bomb_lying_header", bomb(false)),
        ("formula_without_value", formula_without_value()),
    ];
    let mut failures = Vec::new();
    for (name, bytes) in &files {
        let path = tmp.path().join(format!("{name}.xlsx"));
        std::fs::write(&path, bytes).unwrap();
        let p = path.to_str().unwrap();
        let annual_dir = tmp.path().join(format!("annual-{name}"));
        std::fs::create_dir(&annual_dir).unwrap();
        let out = annual_dir.join("out");
        let input = format!("routine={p}");
        let runs: [(&str, &Path, Vec<&str>); 4] = [
            ("reports", &open, vec!["reports", "import", p]),
            ("findings", &drawn, vec!["findings", "import", p]),
            ("assign", &drawn, vec!["assign", "--teams", p, "--reassign", "--reason", "test"]),
            (
                "annual",
                &annual_dir,
                vec![
                    "annual",
                    "--rules",
                    annual_rules.to_str().unwrap(),
                    "--input",
                    &input,
                    "--out",
                    out.to_str().unwrap(),
                ],
            ),
        ];
        for (cmd, dir, args) in runs {
            let before = hash_tree(dir);
            let (code, stderr) = run_limited(dir, &args);
            if code != 1 {
                failures.push(format!("{name} / {cmd}: exit {code}\n{stderr}"));
            }
            if stderr.contains("panicked") || stderr.contains("memory allocation") {
                failures.push(format!("{name} / {cmd}: {stderr}"));
            }
            if before != hash_tree(dir) {
                failures.push(format!("{name} / {cmd}: the folder changed"));
            }
            let shown = stderr.replace(p, &format!("{name}.xlsx"));
            let shown = shown.replace(&out.display().to_string(), "OUT");
            if let Err(m) = check_snapshot(&data(&format!("hostile/{name}-{cmd}.expected")), &shown) {
                failures.push(m);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The limits count what a workbook really holds, not what its zip
/// headers claim: with small limits, each is met exactly at its bound.
#[test]
fn xlsx_limits_hold_at_their_bounds() {
    let lim =
        XlsxLimits { parts: 20, unpacked: 1 << 20, token: 4096, shared_strings: 3, cells: 10, text: 100 };
    let read = |bytes: &[u8]| {
        table::read_xlsx_within("t.xlsx", bytes, None, &lim).map_err(|d| d.to_string()).map(|s| s.rows.len())
    };
    // 2 MiB of short tags, declared as such, or as 400 bytes.
    let mut d = Deflate::new();
    let head = format!("<?xml version=\"1.0\"?><worksheet xmlns=\"{NS}\"><sheetData><row>");
    d.literals(head.as_bytes());
    d.literals(b"<c/>");
    let repeats = (2 << 20) / 258;
    d.repeat(4, repeats);
    let size = (head.len() as u64 + 4 + repeats * 258) as u32;
    let deflate = d.finish();
    let honest = workbook(None, |z| z.deflated("xl/worksheets/sheet1.xml", &deflate, size));
    let e = read(&honest).unwrap_err();
    assert!(e.contains("unpacks to more than 1 MiB"), "{e}");
    let lying = workbook(None, |z| z.deflated("xl/worksheets/sheet1.xml", &deflate, 400));
    let e = read(&lying).unwrap_err();
    assert!(e.contains("larger than its declared uncompressed size"), "{e}");
    // Shared strings: three fit, a fourth does not, announced or present.
    let sst = |announced: u32, present: usize| {
        let entries: String = (0..present).map(|i| format!("<si><t>s{i}</t></si>")).collect();
        format!("<sst xmlns=\"{NS}\" uniqueCount=\"{announced}\">{entries}</sst>")
    };
    let rows = format!("<row r=\"1\">{}</row>", "<c r=\"A1\" t=\"s\"><v>0</v></c>");
    let book =
        |s: &str| workbook(Some(s), |z| z.stored("xl/worksheets/sheet1.xml", sheet_xml(&rows).as_bytes()));
    assert_eq!(read(&book(&sst(3, 3))), Ok(0));
    assert!(read(&book(&sst(4, 3))).unwrap_err().contains("announces 4 entries"));
    assert!(read(&book(&sst(3, 4))).unwrap_err().contains("more than 3 shared strings"));
    // Cells: ten in all, counted from column A in each row.
    let cells = |n: usize, col: &str| {
        let row2: String = (0..n).map(|i| inline(&format!("{}2", (b'A' + i as u8) as char), "1")).collect();
        let rows = format!(
            "<row r=\"1\">{}</row><row r=\"2\">{row2}</row><row r=\"3\">{}</row>",
            inline("A1", "h"),
            inline(&format!("{col}3"), "x")
        );
        workbook(None, |z| z.stored("xl/worksheets/sheet1.xml", sheet_xml(&rows).as_bytes()))
    };
    assert_eq!(read(&cells(8, "A")), Ok(2));
    assert!(read(&cells(7, "D")).unwrap_err().contains("span more than 10 cells"));
    assert!(read(&cells(10, "A")).unwrap_err().contains("more than 10 cells"));
    // A token: 4,096 bytes from one `<` to the next.
    let text = |n: usize| {
        let rows =
            format!("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>{}</t></is></c></row>", "y".repeat(n));
        workbook(None, |z| z.stored("xl/worksheets/sheet1.xml", sheet_xml(&rows).as_bytes()))
    };
    assert!(read(&text(100)).is_ok());
    assert!(read(&text(101)).unwrap_err().contains("more than 100 bytes of text"));
    assert!(read(&text(5000)).unwrap_err().contains("a tag or text longer than"));
    // An ordinary workbook from an xlsx writer reads as before.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "村代码").unwrap();
    ws.write_number(1, 0, 130921100201.0).unwrap();
    let s = table::read("ok.xlsx", &wb.save_to_buffer().unwrap(), Encoding::Auto, None).unwrap();
    assert_eq!(
        (s.header.clone(), s.rows[0].cells.clone()),
        (vec!["村代码".to_string()], vec!["130921100201".to_string()])
    );
}

/// Regression: a formula or veto nested 5,000 deep, or a long NOT chain,
/// overflowed the stack of `check` and `init` (exit 134). Now a located
/// error, exit 1, and no campaign folder.
#[test]
fn deeply_nested_formulas_are_refused_by_check_and_init() {
    let tmp = tempfile::tempdir().unwrap();
    // The fixtures' frame: columns code, name, county, township, population.
    let frame = tmp.path().join("frame.csv");
    let mut text = String::from("code,name,county,township,population\n");
    for i in 0..12 {
        text.push_str(&format!("{},v{i},A,t{},{}\n", 100 + i, i % 3, 50 + i));
    }
    std::fs::write(&frame, text).unwrap();
    for name in ["formula_nested_parentheses", "veto_not_chain", "veto_not_nested"] {
        let rules = data(&format!("rules/err/{name}.toml"));
        let (r, f) = (rules.to_str().unwrap(), frame.to_str().unwrap());
        let (c, _, e) = crate::support::run(&["check", "--rules", r, "--frame", f]);
        assert_eq!(c, 1, "{name}: {e}");
        assert!(
            e.contains(&format!("{name}.toml:")) && (e.contains("levels deep") || e.contains("longer than")),
            "{e}"
        );
        let camp = tmp.path().join(name);
        let (c, _, e) = init(&camp, &rules, &frame);
        assert_eq!(c, 1, "{name}: {e}");
        assert!(!camp.exists(), "{name}: init refused, nothing is created");
    }
}

/// Every cell of a CSV spotcheck wrote: none may begin with a formula
/// trigger unless it is a number. Returns the cells.
fn csv_cells(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
    let number = |s: &str| {
        let t = s.trim_start_matches(['+', '-']).trim_end_matches('%');
        !t.is_empty() && t.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut cells = Vec::new();
    for rec in rdr.records() {
        for c in rec.unwrap().iter() {
            assert!(
                !c.starts_with(['=', '+', '-', '@', '\t', '\r']) || number(c),
                "{}: a live formula: {c:?}",
                path.display()
            );
            cells.push(c.to_string());
        }
    }
    cells
}

const FORMULA: &str = "=HYPERLINK(\"http://x\",\"click\")";
const SCRIPT: &str = "<script>alert(1)</script>";

/// Regression: names from the frame reached every CSV as live formulas and
/// the Markdown reports as raw HTML. A county named `=HYPERLINK(…)`, one
/// named `<script>`, and villages named `<script>` go through the whole pipeline; every CSV shows
/// them as text, Markdown and HTML escape them, and the draw still verifies,
/// with spotcheck and with the independent Python verifier.
#[test]
fn hostile_names_go_through_the_pipeline_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let ex = root("examples/cangzhou-2008");
    let text = std::fs::read_to_string(example_frame()).unwrap();
    let mut frame = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        if i > 0 && f[2] == "130921" {
            f[1] = SCRIPT.into();
            f[3] = FORMULA.into();
        }
        if i > 0 && f[2] == "130922" {
            f[3] = "<script>alert(2)</script>".into();
        }
        if i > 0 && f[4] == "130922101" {
            f[5] = "@SUM(1+1)*cmd|' /C calc'!A0".into();
        }
        let quoted: Vec<String> =
            f.iter()
                .map(|c| {
                    if c.contains([',', '"']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.clone() }
                })
                .collect();
        frame.push_str(&quoted.join(","));
        frame.push('\n');
    }
    let frame_path = tmp.path().join("frame.csv");
    std::fs::write(&frame_path, frame).unwrap();
    let camp = tmp.path().join("camp");
    let ok = |args: &[&str]| {
        let (c, out, e) = run_in(&camp, args);
        assert_eq!(c, 0, "{args:?}: {e}");
        out
    };
    assert_eq!(init(&camp, &example_rules(), &frame_path).0, 0);
    let reports: Vec<String> = std::fs::read_dir(ex.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().to_string())
        .collect();
    let mut args = vec!["reports", "import"];
    args.extend(reports.iter().map(String::as_str));
    ok(&args);
    ok(&["commit"]);
    ok(&["draw", "--seed", SEED]);
    ok(&["verify"]);
    ok(&["assign", "--teams", ex.join("teams.csv").to_str().unwrap()]);
    ok(&["forms"]);
    let findings: Vec<String> = std::fs::read_dir(ex.join("findings"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().to_string())
        .collect();
    let mut args = vec!["findings", "import"];
    args.extend(findings.iter().map(String::as_str));
    ok(&args);
    // The example's sequential plan checks 黄骅市 again in a second round.
    ok(&["score", "--provisional"]);
    ok(&["escalate"]);
    let round2 = ex.join("findings-round-2/检查表-第八组-第2轮.csv");
    ok(&["findings", "import", round2.to_str().unwrap()]);
    ok(&["score"]);
    ok(&["status"]);
    ok(&["audit"]);
    let out = camp.join("annual");
    let (c, _, e) = crate::support::run(&[
        "annual",
        "--rules",
        root("rules/cangzhou-2009-annual.toml").to_str().unwrap(),
        "--campaign",
        &format!("face-to-face={}", camp.display()),
        "--input",
        &format!("routine={}", ex.join("routine-2009.csv").display()),
        "--input",
        &format!("bonus={}", ex.join("bonus-2009.csv").display()),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(c, 0, "{e}");

    let defused = format!("'{FORMULA}");
    let mut csvs = vec![
        camp.join("sample.csv"),
        camp.join("assignment.csv"),
        camp.join("score/scorecards.csv"),
        camp.join("score/summary.csv"),
        out.join("annual.csv"),
    ];
    csvs.extend(
        std::fs::read_dir(camp.join("forms"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "csv")),
    );
    let mut forms_with_it = 0;
    for p in &csvs {
        let cells = csv_cells(p);
        let has = cells.contains(&defused);
        let is_form = p.parent().is_some_and(|d| d.ends_with("forms"));
        forms_with_it += usize::from(is_form && has);
        assert!(has || is_form, "{}: the county's name as text", p.display());
        assert!(!cells.iter().any(|c| c.starts_with("''")), "{}: defused twice", p.display());
    }
    assert!(forms_with_it > 0, "some team inspects the county");
    // The planning simulation's CSV too.
    let sim = ok(&["plan", "simulate", "--rate", "10%", "--replicates", "3", "--format", "csv"]);
    let sim_path = tmp.path().join("simulate.csv");
    std::fs::write(&sim_path, sim).unwrap();
    assert!(csv_cells(&sim_path).contains(&defused));
    let sample = csv_cells(&camp.join("sample.csv"));
    assert!(
        sample.contains(&SCRIPT.to_string()) && sample.contains(&"'@SUM(1+1)*cmd|' /C calc'!A0".to_string())
    );
    for md in [camp.join("score/scorecards.md"), out.join("annual.md"), out.join("annual.html")] {
        let text = std::fs::read_to_string(&md).unwrap();
        assert!(!text.contains("<script"), "{}: raw HTML", md.display());
        assert!(text.contains("&lt;script&gt;alert(2)&lt;/script&gt;"), "{}", md.display());
        assert!(text.contains("HYPERLINK"), "{}", md.display());
    }
    // The scorecards' numbers are numbers, the county's row among them.
    let summary = csv_cells(&camp.join("score/summary.csv"));
    let at = summary.iter().position(|c| c == "130921").unwrap();
    assert_eq!(summary[at + 1], defused);
    assert!(summary[at + 2].parse::<f64>().is_ok(), "{summary:?}");

    // An outside auditor re-derives the sample, names and all.
    let published = tmp.path().join("published");
    std::fs::create_dir(&published).unwrap();
    for f in ["rules", "frame", "reports"] {
        copy_dir(&camp.join(f), &published.join(f));
    }
    for f in ["draw.toml", "sample.csv", "households.csv"] {
        std::fs::copy(camp.join(f), published.join(f)).unwrap();
    }
    let (c, _, e) = crate::support::run(&["-C", published.to_str().unwrap(), "verify"]);
    assert_eq!(c, 0, "{e}");
    // Algorithm v1 wrote names as they are: its re-derivation differs in
    // the formula-looking names, and only there.
    let draw = published.join("draw.toml");
    let v2 = std::fs::read_to_string(&draw).unwrap();
    std::fs::write(&draw, v2.replace("spotcheck-draw-v2", "spotcheck-draw-v1")).unwrap();
    let (c, _, e) = crate::support::run(&["-C", published.to_str().unwrap(), "verify"]);
    assert_eq!(c, 1, "{e}");
    assert!(
        e.contains("county is `'=HYPERLINK") && e.contains("township is `'@SUM") && !e.contains("name is"),
        "{e}"
    );
    std::fs::write(&draw, v2).unwrap();
    if std::process::Command::new("python3").arg("--version").output().is_ok() {
        let out = std::process::Command::new("python3")
            .arg(root("tools/verify_draw.py"))
            .arg(&published)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() { copy_dir(&p, &dest) } else { std::fs::copy(&p, &dest).map(|_| ()).unwrap() }
    }
}

/// A table larger than spotcheck reads (a 300 MB CSV, here sparse) is
/// refused by every reader before it is read, by size and with the way out,
/// within the memory limit: it once took six times its size and aborted
/// under a limit.
#[test]
fn an_oversized_table_is_refused_by_every_reader_before_it_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let (open, drawn) = campaigns(tmp.path());
    let huge = tmp.path().join("检查表-第一组.csv");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(300_000_000).unwrap();
    drop(f);
    let p = huge.to_str().unwrap();
    let annual_rules = tmp.path().join("annual.toml");
    std::fs::write(&annual_rules, ANNUAL_RULES).unwrap();
    let annual_dir = tmp.path().join("annual");
    std::fs::create_dir(&annual_dir).unwrap();
    let out = annual_dir.join("out");
    let input = format!("routine={p}");
    let runs: [(&Path, Vec<&str>); 4] = [
        (&open, vec!["reports", "import", p]),
        (&drawn, vec!["findings", "import", p]),
        (&drawn, vec!["assign", "--teams", p, "--reassign", "--reason", "test"]),
        (
            &annual_dir,
            vec![
                "annual",
                "--rules",
                annual_rules.to_str().unwrap(),
                "--input",
                &input,
                "--out",
                out.to_str().unwrap(),
            ],
        ),
    ];
    for (dir, args) in runs {
        let before = hash_tree(dir);
        let (code, stderr) = run_limited(dir, &args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("检查表-第一组.csv")
                && stderr.contains("the file is 287 MiB; spotcheck reads tables of at most 256 MiB"),
            "{args:?}: {stderr}"
        );
        assert_eq!(hash_tree(dir), before, "{args:?} changed the folder");
    }
}

/// A frame larger than spotcheck reads (here a sparse 1.1 GB file) is
/// refused by `check` and `init` before it is read or copied: nothing is
/// left beside the campaign's place.
#[test]
fn an_oversized_frame_is_refused_before_it_is_read_or_copied() {
    let tmp = tempfile::tempdir().unwrap();
    let frame = tmp.path().join("frame.csv");
    let f = std::fs::File::create(&frame).unwrap();
    f.set_len(1_100_000_000).unwrap();
    drop(f);
    let rules = example_rules();
    let expected = "the frame is 1050 MiB; spotcheck reads frames of at most 1024 MiB";
    let (c, _, e) = crate::support::run(&[
        "check",
        "--rules",
        rules.to_str().unwrap(),
        "--frame",
        frame.to_str().unwrap(),
    ]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("frame.csv") && e.contains(expected), "{e}");
    let parent = tmp.path().join("p");
    std::fs::create_dir(&parent).unwrap();
    let camp = parent.join("camp");
    let (c, _, e) = init(&camp, &rules, &frame);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains(expected), "{e}");
    assert_eq!(std::fs::read_dir(&parent).unwrap().count(), 0, "nothing written beside the campaign's place");
}
