//! Benchmark of `spotcheck plan simulate`: 10,000 replicates of the example
//! city's real design (18 counties, 5,700 villages, PPS townships, SRS
//! villages), on 1 and on 2 threads, measured in the same run.
//!
//!     cargo bench --bench simulate            # 10,000 replicates
//!     cargo bench --bench simulate -- 2000    # fewer

use std::path::Path;
use std::time::Instant;

use spotcheck::frame::tree::Population;
use spotcheck::plan::rate::Rate;
use spotcheck::sample::power::{Pattern, Spec, simulate};
use spotcheck::sample::{Design, excluded_codes};
use spotcheck::text::Encoding;
use spotcheck::{frame, rules};

fn main() {
    let replicates: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cangzhou-2008");
    let r = rules::load(&root.join("rules/cangzhou-2008-face-to-face.toml"), "rules.toml").unwrap();
    let f = frame::load(&root.join("synthetic-frame.csv"), "frame.csv", &r.frame, Encoding::Auto).unwrap();
    let pop = Population::new(&f, &excluded_codes(&r));
    let design = Design::prepare(&r, &pop).0.unwrap();
    let spec = |threads| Spec {
        rate: Rate { num: 1, den: 10 },
        pattern: Pattern::Clustered,
        replicates,
        seed: 1,
        threads,
        size_column: 0,
    };
    let mut rates = [Vec::new(), Vec::new()];
    let mut first = None;
    for _ in 0..3 {
        for (slot, threads) in [(0, 1), (1, 2)] {
            let t = Instant::now();
            let res = simulate(&design, &pop, &spec(threads), &|_| {});
            rates[slot].push(replicates as f64 / t.elapsed().as_secs_f64());
            // The same numbers whatever the thread count.
            assert_eq!(*first.get_or_insert_with(|| res.clone()), res);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (one, two) = (median(&mut rates[0]), median(&mut rates[1]));
    println!(
        "{replicates} replicates of the example city's design, clustered falsification at 10%; median of 3 rounds"
    );
    println!("| threads | replicates per second | speed-up |");
    println!("|---|---|---|");
    println!("| 1 | {one:.0} | 1.00 |");
    println!("| 2 | {two:.0} | {:.2} |", two / one);
}
