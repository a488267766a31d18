//! Folding speed: one job, 10, 20 and 40 large events.
//!
//! Each event carries 20,000 image URLs (about the most a 1 MiB body holds),
//! half of them new and half repeated from the event before, alternating
//! between a running job's previews and a completed job's final images, so
//! lookups, promotions, the image cap and the re-ordering of previews all
//! take part. Folding is meant to cost time in proportion to the events:
//! 40 events should take about four times as long as 10. After criterion's
//! measurements the benchmark prints that ratio from its own timing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mjhook::{Image, ImageRole, JobEvent, JobId, JobState, JobStatus, Provider};

const URLS_PER_EVENT: usize = 20_000;
const COUNTS: [usize; 3] = [10, 20, 40];

fn events(count: usize) -> Vec<JobEvent> {
    (0..count)
        .map(|n| {
            let (status, role) = if n % 2 == 0 {
                (JobStatus::InProgress, ImageRole::Preview)
            } else {
                (JobStatus::Completed, ImageRole::Image)
            };
            let mut event = JobEvent::new(Provider::Goapi, JobId::new("job-1"), status);
            let first = n * URLS_PER_EVENT / 2;
            event.images = (first..first + URLS_PER_EVENT)
                .map(|url| Image::new(format!("https://cdn.example.com/job-1/{url}.png"), role))
                .collect();
            event
        })
        .collect()
}

fn fold(events: &[JobEvent]) -> JobState {
    let mut events = events.iter();
    let mut state = JobState::new(events.next().expect("at least one event"));
    for event in events {
        black_box(state.apply(event));
    }
    state
}

fn track(c: &mut Criterion) {
    let all = events(COUNTS[COUNTS.len() - 1]);
    let mut group = c.benchmark_group("track");
    group.sample_size(10);
    for count in COUNTS {
        let events = &all[..count];
        group.throughput(Throughput::Elements((count * URLS_PER_EVENT) as u64));
        group.bench_with_input(BenchmarkId::new("fold", count), events, |b, events| {
            b.iter(|| black_box(fold(events)))
        });
    }
    group.finish();

    // The best of several runs of each, so other work on the machine counts
    // as little as it can.
    let best = |events: &[JobEvent]| {
        (0..7)
            .map(|_| {
                let started = Instant::now();
                black_box(fold(events));
                started.elapsed()
            })
            .min()
            .unwrap_or(Duration::ZERO)
    };
    let times: Vec<Duration> = COUNTS.iter().map(|&count| best(&all[..count])).collect();
    for (count, time) in COUNTS.iter().zip(&times) {
        println!("track/fold {count} events: {time:?}");
    }
    let ratio = times[2].as_secs_f64() / times[0].as_secs_f64();
    println!("track/fold time(40)/time(10) = {ratio:.2} (linear: about 4)");
}

criterion_group!(benches, track);
criterion_main!(benches);
