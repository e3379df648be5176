//! `cargo bench --bench core`: one routing decision at 1,000, 10,000 and 100,000 agents on
//! `scenarios/bench/desk-1000.toml` scaled to each size, measured by criterion.
//!
//! The decision is the one `routesim bench` times, driven by the same
//! [`CoreDesk`](routesim::corebench::CoreDesk): each iteration draws a chat (not timed), times
//! `decide` (choose the rule, decide, apply it to the board or a queue) with `Instant`, and
//! settles the desk back to its busy share (not timed). Criterion's time per iteration is
//! therefore one decision plus one `Instant::now()` / `elapsed()` pair (about 20 ns on the
//! project's machines; `routesim bench` prints it as `timer_overhead_ns`).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use routesim::corebench::{CoreDesk, DEFAULT_SIZES, scenario_busy};
use routesim::scenario::{Overrides, Source};

fn decision(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench/desk-1000.toml");
    let source = Source::read(&path).expect("the bundled scenario reads");
    let file = source.compile(&Overrides::default()).expect("it compiles");
    let busy = scenario_busy(&file);
    let mut group = c.benchmark_group("decision");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for agents in DEFAULT_SIZES {
        let model = source
            .compile(&Overrides {
                agents_total: Some(agents),
                ..Default::default()
            })
            .expect("the scaled scenario compiles");
        let mut desk = CoreDesk::new(&model, busy, model.start);
        group.bench_with_input(BenchmarkId::from_parameter(agents), &agents, |b, _| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    desk.draw();
                    let t = Instant::now();
                    let d = black_box(desk.decide());
                    timed += t.elapsed();
                    desk.settle(d);
                }
                timed
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decision);
criterion_main!(benches);
