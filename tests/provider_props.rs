//! Property tests: for each provider, generate valid vendor payloads from
//! the `Wire` types (every status, operation and quirk form) and check that
//! decoding maps them as the design says; and arbitrary JSON never panics
//! a decoder.
//!
//! The expected values come from tables written here, not from the crate's
//! own mapping functions, so a decoder that mis-maps a status or drops an
//! image fails these tests.

// Wire types with private telltale fields cannot be built with struct
// update syntax outside the crate; the tests set fields one by one throughout.
#![allow(clippy::field_reassign_with_default)]

use std::borrow::Cow;
use std::collections::BTreeSet;

use mjhook::providers::{
    acedata, apiframe, asyncapi, goapi, imagineapi, imaginepro, kie, legnext, midjourney_api,
    midjourney_proxy, ttapi,
};
use mjhook::quirks::{FractionalEpoch, OneOrMany, Percent, StringOrInt, Timestamp};
use mjhook::{decode_all, JobEvent, Provider};
use proptest::prelude::*;
use proptest::sample::select;

/// Four distinct image URLs under one job, with a per-case salt so cases differ.
fn urls(salt: u32, kind: &str, count: usize) -> Vec<Cow<'static, str>> {
    (0..count)
        .map(|n| format!("https://cdn.example.com/{salt}/{kind}_{n}.png").into())
        .collect()
}

/// Every form vendors send a progress in.
fn percent() -> impl Strategy<Value = (Percent<'static>, Option<u8>)> {
    prop_oneof![
        (0u8..=100).prop_map(|n| (Percent::Int(n), Some(n))),
        (0u8..=100).prop_map(|n| (Percent::Text(n.to_string().into()), Some(n))),
        (0u8..=100).prop_map(|n| (Percent::Text(format!("{n}%").into()), Some(n))),
        Just((Percent::Text(String::new().into()), None)),
    ]
}

/// The checks every decoded event must pass.
fn check_invariants(event: &JobEvent) -> Result<(), TestCaseError> {
    let mut seen = BTreeSet::new();
    for image in &event.images {
        prop_assert!(!image.url.is_empty());
        prop_assert!(
            seen.insert(image.url.clone()),
            "{} appears twice",
            image.url
        );
        prop_assert!(image.index.is_none_or(|index| index < 4));
    }
    prop_assert!(event.progress.is_none_or(|progress| progress.get() <= 100));
    let json = serde_json::to_string(event).unwrap();
    let back: JobEvent = serde_json::from_str(&json).unwrap();
    prop_assert_eq!(&back, event);
    Ok(())
}

/// The canonical model: a completed job with no progress is at 100; so is one at 0,
/// which is what GoAPI sends on plans without progress reports.
fn completed_at_100(status: &str, progress: Option<u8>) -> Option<u8> {
    match progress {
        None | Some(0) if status == "completed" => Some(100),
        progress => progress,
    }
}

fn url_set(event: &JobEvent) -> BTreeSet<&str> {
    event
        .images
        .iter()
        .map(|image| image.url.as_str())
        .collect()
}

fn decode_one(provider: Provider, wire: &impl serde::Serialize) -> JobEvent {
    let bytes = serde_json::to_vec(wire).unwrap();
    let mut events = decode_all(Some(provider), &bytes)
        .unwrap_or_else(|err| panic!("{err}\n{}", String::from_utf8_lossy(&bytes)));
    assert_eq!(events.len(), 1);
    // Detection must agree with the named provider on every generated body.
    assert_eq!(decode_all(None, &bytes).as_deref(), Ok(&events[..]));
    events.remove(0)
}

const APIFRAME_STATUSES: [(&str, &str); 8] = [
    ("staged", "pending"),
    ("pending", "pending"),
    ("starting", "in_progress"),
    ("processing", "in_progress"),
    ("retry", "in_progress"),
    ("retrying", "in_progress"),
    ("finished", "completed"),
    ("failed", "failed"),
];

const TASK_TYPES: [(&str, &str); 20] = [
    ("imagine", "imagine"),
    ("reroll", "reroll"),
    ("upscale#1", "upscale"),
    ("upscale#4", "upscale"),
    ("upscale-1x", "upscale"),
    ("upscale-creative", "upscale"),
    ("upscale-subtle", "upscale"),
    ("upscale-2x", "upscale"),
    ("variation-2", "variation"),
    ("variation-strong", "variation"),
    ("inpaint", "inpaint"),
    ("outpaint-2", "outpaint"),
    ("outpaint-1.5", "outpaint"),
    ("pan-left", "pan"),
    ("pan-up", "pan"),
    ("blend", "blend"),
    ("seed", "seed"),
    ("shorten", "shorten"),
    ("faceswap", "faceswap"),
    ("flux-imagine", "flux-imagine"),
];

/// Whether a job of this canonical status shows previews: one that has not
/// completed (a failed or cancelled one keeps the last it showed).
/// Whether a job of this status and progress shows previews: one not
/// completed, or of an unknown status part of the way through.
fn shows_previews(status: &str, progress: Option<mjhook::Progress>) -> bool {
    matches!(status, "pending" | "in_progress" | "failed" | "cancelled")
        || (status == "unknown" && progress.is_some_and(|p| (1..100).contains(&p.get())))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn apiframe_tasks(
        salt in any::<u32>(),
        status in prop::option::of(select(&APIFRAME_STATUSES[..])),
        task_type in select(&TASK_TYPES[..]),
        percentage in prop::option::of(percent()),
        grid in any::<bool>(),
        quarters in 0usize..=4,
        single in any::<bool>(),
        numeric_id in any::<bool>(),
    ) {
        let mut task: apiframe::Task = Default::default();
        task.task_id = Some(if numeric_id { StringOrInt::Int(i64::from(salt)) } else { StringOrInt::Str(format!("t-{salt}").into()) });
        task.status = status.map(|(word, _)| word.into());
        task.task_type = Some(task_type.0.into());
        task.percentage = percentage.as_ref().map(|(form, _)| form.clone());
        task.original_image_url = grid.then(|| urls(salt, "grid", 1).remove(0));
        task.image_urls = urls(salt, "q", quarters);
        task.image_url = single.then(|| urls(salt, "single", 1).remove(0));
        let has_result = grid || quarters > 0 || single;

        let event = decode_one(Provider::Apiframe, &task);
        check_invariants(&event)?;
        // 100 % of nothing is still running: the result is to come.
        let part_way = percentage.as_ref().and_then(|(_, n)| *n).is_some_and(|n| (1..100).contains(&n) || (n == 100 && !has_result));
        let expected_status = match status {
            Some((_, canonical)) => canonical,
            None if part_way => "in_progress",
            None if has_result => "completed",
            None => "pending",
        };
        prop_assert_eq!(event.status.as_str(), expected_status);
        prop_assert_eq!(event.operation.as_ref().map(|op| op.as_str()), Some(task_type.1));
        let expected_progress = completed_at_100(expected_status, percentage.and_then(|(_, n)| n));
        prop_assert_eq!(event.progress.map(|p| p.get()), expected_progress);
        let expected_urls: BTreeSet<String> = task.original_image_url.iter().chain(&task.image_urls).chain(&task.image_url).map(|url| url.to_string()).collect();
        prop_assert_eq!(url_set(&event), expected_urls.iter().map(String::as_str).collect::<BTreeSet<_>>());
        let expected_id = if numeric_id { salt.to_string() } else { format!("t-{salt}") };
        prop_assert_eq!(event.job_id.as_str(), expected_id.as_str());
    }

    #[test]
    fn apiframe_fetch_many_keeps_every_task(count in 1usize..6, salt in any::<u32>()) {
        let mut body = apiframe::Task::<Vec<apiframe::Task>>::default();
        body.tasks = Some((0..count).map(|n| {
            let mut task: apiframe::Task = Default::default();
            task.task_id = Some(StringOrInt::Str(format!("t-{salt}-{n}").into()));
            task.status = Some("processing".into());
            task
        }).collect());
        let bytes = serde_json::to_vec(&body).unwrap();
        let events = decode_all(Some(Provider::Apiframe), &bytes).unwrap();
        let ids: Vec<&str> = events.iter().map(|event| event.job_id.as_str()).collect();
        let expected: Vec<String> = (0..count).map(|n| format!("t-{salt}-{n}")).collect();
        prop_assert_eq!(ids, expected.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(mjhook::decode(Provider::Apiframe, &bytes).is_ok(), count == 1);
    }

    #[test]
    fn goapi_unified_tasks(
        salt in any::<u32>(),
        status in select(&[("pending", "pending"), ("staged", "pending"), ("processing", "in_progress"), ("completed", "completed"), ("failed", "failed")][..]),
        spelling in 0usize..3,
        task_type in select(&["imagine", "variation", "reroll", "blend", "upscale"][..]),
        progress in prop::option::of(0u8..=100),
        image_url in any::<bool>(),
        quarters in 0usize..=4,
        temporary in any::<bool>(),
        previews in 0usize..=2,
        envelope in 0usize..3,
        created in select(&["2025-04-02T10:11:12.418276913Z", "0001-01-01T00:00:00Z", "2025-04-02T12:11:12+02:00"][..]),
    ) {
        let mut output = goapi::Output::default();
        output.progress = progress.map(Percent::Int);
        output.image_url = image_url.then(|| urls(salt, "grid", 1).remove(0));
        if temporary { output.temporary_image_urls = urls(salt, "tmp", quarters) } else { output.image_urls = urls(salt, "q", quarters) }
        output.intermediate_image_urls = urls(salt, "preview", previews);
        let mut meta = goapi::Meta::default();
        meta.created_at = Some(Timestamp::text(created).expect("a date-time"));
        let mut task: goapi::Task = Default::default();
        task.task_id = Some(StringOrInt::Str(format!("{salt}-task").into()));
        task.status = Some(match spelling { 0 => status.0.into(), 1 => status.0.to_uppercase().into(), _ => (status.0[..1].to_uppercase() + &status.0[1..]).into() });
        task.task_type = Some(task_type.into());
        task.output = Some(output.clone());
        task.meta = Some(meta);
        task.error = Some(serde_json::from_str(r#"{"code": 0, "raw_message": "", "message": ""}"#).unwrap());

        let event = match envelope {
            0 => decode_one(Provider::Goapi, &task),
            1 => {
                let mut body = goapi::Task::<Box<goapi::Task>>::default();
                body.timestamp = Some(Timestamp::Epoch(1_743_588_700));
                body.data = Some(Box::new(task));
                decode_one(Provider::Goapi, &body)
            }
            _ => {
                let mut body = goapi::Task::<Box<goapi::Task>>::default();
                body.code = Some(StringOrInt::Int(200));
                body.message = Some("success".into());
                body.data = Some(Box::new(task));
                decode_one(Provider::Goapi, &body)
            }
        };
        check_invariants(&event)?;
        prop_assert_eq!(event.status.as_str(), status.1);
        prop_assert_eq!(event.error.as_ref(), None, "code 0 is no error");
        prop_assert_eq!(event.created_at.is_none(), created.starts_with("0001"));
        prop_assert_eq!(event.occurred_at.is_some(), envelope == 1);
        let expected_progress = completed_at_100(status.1, progress);
        prop_assert_eq!(event.progress.map(|p| p.get()), expected_progress);
        let all: BTreeSet<String> = output.image_url.iter().chain(&output.image_urls).chain(&output.temporary_image_urls).chain(&output.intermediate_image_urls).map(|url| url.to_string()).collect();
        prop_assert_eq!(url_set(&event), all.iter().map(String::as_str).collect::<BTreeSet<_>>());
        // A task that has not completed shows previews.
        let running = shows_previews(status.1, event.progress);
        let results = usize::from(image_url) + quarters;
        let previews_out = event.images.iter().filter(|image| image.role == mjhook::ImageRole::Preview).count();
        prop_assert_eq!(previews_out, previews + if running { results } else { 0 });
    }

    #[test]
    fn goapi_v2_tasks(
        salt in any::<u32>(),
        status in select(&[("pending", "pending"), ("staged", "pending"), ("processing", "in_progress"), ("retry", "in_progress"), ("finished", "completed"), ("failed", "failed")][..]),
        progress in prop::option::of(0u8..=100),
        epoch in 1_600_000_000i64..1_900_000_000,
        errors in prop::collection::vec("[a-z][a-z ]{0,11}", 0..3),
    ) {
        let mut result = goapi::TaskResult::default();
        result.task_progress = progress.map(Percent::Int);
        result.image_url = Some(urls(salt, "grid", 1).remove(0));
        result.image_urls = urls(salt, "q", 4);
        result.error_messages = errors.iter().map(Cow::from).collect();
        let mut meta = goapi::Meta::default();
        meta.created_at = Some(Timestamp::Epoch(epoch));
        meta.task_type = Some("imagine".into());
        let mut task: goapi::Task = Default::default();
        task.task_id = Some(StringOrInt::Str(format!("{salt}-v2").into()));
        task.status = Some(status.0.into());
        task.task_result = Some(result);
        task.meta = Some(meta);

        let event = decode_one(Provider::Goapi, &task);
        check_invariants(&event)?;
        prop_assert_eq!(event.status.as_str(), status.1);
        prop_assert_eq!(event.created_at.map(|at| at.timestamp()), Some(epoch));
        prop_assert_eq!(event.images.len(), 5);
        // Error text on a task that goes on is not an error of the job.
        prop_assert_eq!(event.error.is_some(), !errors.is_empty() && status.1 == "failed");
    }

    #[test]
    fn imagineapi_images(
        salt in any::<u32>(),
        status in select(&[("pending", "pending"), ("queued", "pending"), ("in-progress", "in_progress"), ("completed", "completed"), ("failed", "failed")][..]),
        progress in prop::option::of(percent()),
        url in any::<bool>(),
        quarters in 0usize..=4,
        webhook in any::<bool>(),
    ) {
        let mut image = imagineapi::ImageRecord::default();
        image.id = Some(StringOrInt::Str(format!("img-{salt}").into()));
        image.status = Some(status.0.into());
        image.progress = progress.as_ref().map(|(form, _)| form.clone());
        image.url = url.then(|| urls(salt, "url", 1).remove(0));
        image.upscaled_urls = urls(salt, "q", quarters);
        let mut envelope = imagineapi::Body::default();
        if webhook {
            envelope.event = Some("images.items.update".into());
            envelope.payload = Some(OneOrMany::One(Box::new(image.clone())));
        } else {
            envelope.data = Some(OneOrMany::One(Box::new(image.clone())));
        }

        let event = decode_one(Provider::Imagineapi, &envelope);
        check_invariants(&event)?;
        prop_assert_eq!(event.status.as_str(), status.1);
        prop_assert_eq!(event.operation.as_ref().map(|op| op.as_str()), Some("imagine"));
        let url_role = event.images.iter().find(|i| Some(i.url.as_str()) == image.url.as_deref()).map(|i| i.role);
        let expected_role = image.url.as_ref().map(|_| if status.1 == "completed" { mjhook::ImageRole::Grid } else { mjhook::ImageRole::Preview });
        prop_assert_eq!(url_role, expected_role);
        let quarters_out: Vec<_> = event.images.iter().filter(|i| image.upscaled_urls.contains(&Cow::from(&i.url))).collect();
        // One URL is no grid: it has no position.
        let expected_indexes: Vec<_> = (0..quarters as u8).map(|n| (quarters >= 2).then_some(n)).collect();
        prop_assert_eq!(quarters_out.iter().map(|i| i.index).collect::<Vec<_>>(), expected_indexes);
        // A job that has not completed shows previews.
        let running = shows_previews(status.1, event.progress);
        let quarter_role = if running { mjhook::ImageRole::Preview } else { mjhook::ImageRole::Image };
        prop_assert!(quarters_out.iter().all(|i| i.role == quarter_role));
        let expected_progress = completed_at_100(status.1, progress.and_then(|(_, n)| n));
        prop_assert_eq!(event.progress.map(|p| p.get()), expected_progress);
    }

    #[test]
    fn midjourney_api_records(
        salt in any::<u32>(),
        status in select(&[(0i64, "in_progress"), (1, "completed"), (2, "failed"), (7, "unknown")][..]),
        as_string in any::<bool>(),
        quarters in 0usize..=4,
        grid in any::<bool>(),
        created_ms in 1_600_000_000_000i64..1_900_000_000_000,
        shape in 0usize..3,
    ) {
        let mut record = midjourney_api::Record::default();
        record.task_id = Some(StringOrInt::Str(format!("task_{salt}").into()));
        record.status = Some(if as_string { StringOrInt::Str(status.0.to_string().into()) } else { StringOrInt::Int(status.0) });
        record.images = urls(salt, "q", quarters).into_iter().map(|url| midjourney_api::ImageUrl(url.into_owned())).collect();
        record.image = grid.then(|| urls(salt, "grid", 1).remove(0));
        record.created_at = Some(Timestamp::Epoch(created_ms));
        record.fail_reason = (status.0 == 2).then(|| "Invalid parameter".into());

        let event = match shape {
            0 => decode_one(Provider::MidjourneyApi, &record),
            _ => {
                let mut body = midjourney_api::Record::<OneOrMany<midjourney_api::Record>>::default();
                body.status = Some(if shape == 1 { StringOrInt::Int(0) } else { StringOrInt::Str("0".into()) });
                body.data = Some(if shape == 1 { OneOrMany::One(Box::new(record.clone())) } else { OneOrMany::Many(vec![record.clone()]) });
                decode_one(Provider::MidjourneyApi, &body)
            }
        };
        check_invariants(&event)?;
        prop_assert_eq!(event.status.as_str(), status.1);
        let expected_status_text = status.0.to_string();
        prop_assert_eq!(event.provider_status.as_deref(), Some(expected_status_text.as_str()));
        prop_assert_eq!(event.created_at.map(|at| at.timestamp_millis()), Some(created_ms));
        prop_assert_eq!(event.images.len(), quarters + usize::from(grid));
        prop_assert_eq!(event.error.is_some(), status.0 == 2);
    }

    #[test]
    fn midjourney_proxy_tasks(
        salt in any::<u32>(),
        status in select(&[("NOT_START", "pending"), ("SUBMITTED", "pending"), ("MODAL", "pending"), ("IN_PROGRESS", "in_progress"), ("SUCCESS", "completed"), ("FAILURE", "failed"), ("CANCEL", "cancelled"), ("RUNNING", "in_progress")][..]),
        action in select(&[("IMAGINE", "imagine"), ("UPSCALE", "upscale"), ("UPSCALE_HD", "upscale"), ("VARIATION", "variation"), ("LOW_VARIATION", "variation"), ("HIGH_VARIATION", "variation"), ("REROLL", "reroll"), ("BLEND", "blend"), ("ZOOM", "outpaint"), ("CUSTOM_ZOOM", "outpaint"), ("PAN", "pan"), ("INPAINT", "inpaint"), ("SWAP_FACE", "SWAP_FACE")][..]),
        progress in prop::option::of(percent()),
        grid in any::<bool>(),
        quarters in 0usize..=4,
        numeric_id in any::<bool>(),
        submit_ms in 1_600_000_000_000i64..1_900_000_000_000,
        listed in any::<bool>(),
    ) {
        let mut task = midjourney_proxy::Task::default();
        task.id = Some(if numeric_id { StringOrInt::Int(i64::from(salt)) } else { StringOrInt::Str(format!("task_{salt}").into()) });
        task.status = Some(status.0.into());
        task.action = Some(action.0.into());
        task.progress = progress.as_ref().map(|(form, _)| form.clone());
        task.image_url = grid.then(|| urls(salt, "grid", 1).remove(0));
        task.image_urls = urls(salt, "q", quarters).into_iter().map(|url| midjourney_api::ImageUrl(url.into_owned())).collect();
        task.submit_time = Some(Timestamp::Epoch(submit_ms));
        task.finish_time = Some(Timestamp::Epoch(submit_ms + 60_000));
        task.fail_reason = Some(format!("reason {salt}").into());

        let event = if listed { decode_one(Provider::MidjourneyProxy, &vec![task.clone()]) } else { decode_one(Provider::MidjourneyProxy, &task) };
        check_invariants(&event)?;
        prop_assert_eq!(event.status.as_str(), status.1);
        prop_assert_eq!(event.provider_status.as_deref(), Some(status.0));
        prop_assert_eq!(event.operation.as_ref().map(|op| op.as_str()), Some(action.1));
        prop_assert_eq!(event.progress.map(|p| p.get()), completed_at_100(status.1, progress.and_then(|(_, n)| n)));
        let expected_urls: BTreeSet<String> = task.image_url.iter().map(|url| url.to_string()).chain(task.image_urls.iter().map(|url| url.0.clone())).collect();
        prop_assert_eq!(url_set(&event), expected_urls.iter().map(String::as_str).collect::<BTreeSet<_>>());
        let expected_id = if numeric_id { salt.to_string() } else { format!("task_{salt}") };
        prop_assert_eq!(event.job_id.as_str(), expected_id.as_str());
        prop_assert_eq!(event.created_at.map(|at| at.timestamp_millis()), Some(submit_ms));
        let terminal = matches!(status.1, "completed" | "failed" | "cancelled");
        prop_assert_eq!(event.occurred_at.map(|at| at.timestamp_millis()), terminal.then_some(submit_ms + 60_000));
        let expected_error = (status.1 == "failed").then(|| format!("reason {salt}"));
        prop_assert_eq!(event.error.map(|error| error.message), expected_error);
    }

    #[test]
    fn midjourney_proxy_lists_keep_every_task(count in 1usize..6, salt in any::<u32>()) {
        let tasks: Vec<midjourney_proxy::Task> = (0..count).map(|n| {
            let mut task = midjourney_proxy::Task::default();
            task.id = Some(StringOrInt::Str(format!("t-{salt}-{n}").into()));
            task.status = Some("SUCCESS".into());
            task.image_url = Some(format!("https://cdn.example.com/{salt}/{n}.png").into());
            task
        }).collect();
        let bytes = serde_json::to_vec(&tasks).unwrap();
        let events = decode_all(Some(Provider::MidjourneyProxy), &bytes).unwrap();
        let ids: Vec<&str> = events.iter().map(|event| event.job_id.as_str()).collect();
        let expected: Vec<String> = (0..count).map(|n| format!("t-{salt}-{n}")).collect();
        prop_assert_eq!(ids, expected.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(decode_all(None, &bytes), Ok(events));
        prop_assert_eq!(mjhook::decode(Provider::MidjourneyProxy, &bytes).is_ok(), count == 1);
    }

    #[test]
    fn ttapi_tasks(
        salt in any::<u32>(),
        status in select(&[("PENDING_QUEUE", "pending"), ("ON_QUEUE", "in_progress"), ("SUCCESS", "completed"), ("FAILED", "failed")][..]),
        action in select(&[("imagine", "imagine"), ("upsample3", "upscale"), ("variation2", "variation"), ("reroll", "reroll"), ("zoom_out_2", "outpaint"), ("pan_up", "pan"), ("high_variation", "variation"), ("upscale_subtle", "upscale"), ("blend", "blend"), ("inpaint", "inpaint"), ("make_square", "outpaint")][..]),
        legacy in any::<bool>(),
        progress in prop::option::of(percent()),
        cdn in any::<bool>(),
        discord in 0usize..3,
        quarters in 0usize..=4,
        top_id in any::<bool>(),
    ) {
        let job = format!("7d2e0c4a-{salt:08x}");
        let mut task = ttapi::Task::default();
        task.job_id = Some(StringOrInt::Str(job.clone().into()));
        if legacy { task.actions = Some(action.0.into()) } else { task.action = Some(action.0.into()) }
        task.progress = progress.as_ref().map(|(form, _)| form.clone());
        task.cdn_image = cdn.then(|| urls(salt, "cdn", 1).remove(0));
        // No Discord copy, the same URL as the CDN copy, or its own.
        task.discord_image = match discord {
            0 => None,
            1 => task.cdn_image.clone(),
            _ => Some(urls(salt, "discord", 1).remove(0)),
        };
        task.images = urls(salt, "q", quarters);
        let mut body = ttapi::Task::<OneOrMany<ttapi::Task>>::default();
        body.status = Some(StringOrInt::Str(status.0.into()));
        body.message = Some(format!("message {salt}").into());
        body.job_id = top_id.then(|| StringOrInt::Str(job.clone().into()));
        body.data = Some(OneOrMany::One(Box::new(task.clone())));

        let event = decode_one(Provider::Ttapi, &body);
        check_invariants(&event)?;
        prop_assert_eq!(event.job_id.as_str(), job.as_str());
        prop_assert_eq!(event.status.as_str(), status.1);
        prop_assert_eq!(event.provider_status.as_deref(), Some(status.0));
        prop_assert_eq!(event.operation.as_ref().map(|op| op.as_str()), Some(action.1));
        prop_assert_eq!(event.progress.map(|p| p.get()), completed_at_100(status.1, progress.and_then(|(_, n)| n)));
        let expected_urls: BTreeSet<String> = task.discord_image.iter().chain(&task.cdn_image).chain(&task.images).map(|url| url.to_string()).collect();
        prop_assert_eq!(url_set(&event), expected_urls.iter().map(String::as_str).collect::<BTreeSet<_>>());
        let expected_error = (status.1 == "failed").then(|| format!("message {salt}"));
        prop_assert_eq!(event.error.map(|error| error.message), expected_error);
    }

    #[test]
    fn ttapi_fetch_list_keeps_every_record(count in 1usize..6, salt in any::<u32>(), status in 0i64..4) {
        let mut body = ttapi::Task::<OneOrMany<ttapi::Task>>::default();
        body.status = Some(StringOrInt::Str("SUCCESS".into()));
        body.data = Some(OneOrMany::Many((0..count).map(|n| {
            let mut record = ttapi::Task::default();
            record.job_id_snake = Some(StringOrInt::Str(format!("t-{salt}-{n}").into()));
            record.status = Some(StringOrInt::Int(status));
            record.cdn_image_snake = Some(format!("https://cdn.example.com/{salt}/{n}.png").into());
            record
        }).collect()));
        let bytes = serde_json::to_vec(&body).unwrap();
        let events = decode_all(Some(Provider::Ttapi), &bytes).unwrap();
        let ids: Vec<&str> = events.iter().map(|event| event.job_id.as_str()).collect();
        let expected: Vec<String> = (0..count).map(|n| format!("t-{salt}-{n}")).collect();
        prop_assert_eq!(ids, expected.iter().map(String::as_str).collect::<Vec<_>>());
        let expected_status = if status == 2 { "completed" } else { "unknown" };
        prop_assert!(events.iter().all(|event| event.status.as_str() == expected_status));
        prop_assert_eq!(decode_all(None, &bytes), Ok(events));
    }

    #[test]
    fn asyncapi_payloads(
        salt in any::<u32>(),
        status in select(&[("pending", "job.progress"), ("in_progress", "job.progress"), ("completed", "job.completed"), ("failed", "job.failed"), ("cancelled", "job.cancelled")][..]),
        spelling in 0usize..3,
        kind in select(&["imagine", "variation", "blend", "upscale", "describe"][..]),
        progress in prop::option::of(0u8..=100),
        indexed in prop::collection::btree_set(1i64..=4, 0..=4),
        with_grid in any::<bool>(),
        use_id in any::<bool>(),
    ) {
        let mut result = asyncapi::JobResult::default();
        if with_grid {
            result.images.push(asyncapi::WireImage { url: Some(urls(salt, "grid", 1).remove(0)), ..Default::default() });
        }
        for index in &indexed {
            result.images.push(asyncapi::WireImage { url: Some(format!("https://example.com/{salt}/{index}.png").into()), index: Some(*index), width: Some(1024), height: Some(1024) });
        }
        let mut wire: asyncapi::Wire = Default::default();
        if use_id { wire.id = Some(StringOrInt::Str(format!("job-{salt}").into())) } else { wire.job_id = Some(StringOrInt::Str(format!("job-{salt}").into())) }
        wire.event = Some(status.1.into());
        wire.status = Some(match spelling { 0 => status.0.into(), 1 => status.0.to_uppercase().into(), _ => status.0.replace('_', "-").into() });
        wire.kind = Some(kind.into());
        wire.progress = progress.map(Percent::Int);
        wire.result = Some(result);
        wire.timestamp = Some(Timestamp::text("2024-05-01T12:00:00.250Z").expect("a date-time"));

        let event = decode_one(Provider::Asyncapi, &wire);
        check_invariants(&event)?;
        prop_assert_eq!(event.status.as_str(), status.0);
        let expected_id = format!("job-{salt}");
        prop_assert_eq!(event.job_id.as_str(), expected_id.as_str());
        let indexes: BTreeSet<u8> = event.images.iter().filter_map(|image| image.index).collect();
        // 1-based on the wire, 0-based in the event; an upscale has no position.
        let expected: BTreeSet<u8> = match kind {
            "upscale" => BTreeSet::new(),
            _ => indexed.iter().map(|index| (*index - 1) as u8).collect(),
        };
        prop_assert_eq!(indexes, expected);
        prop_assert_eq!(event.images.len(), indexed.len() + usize::from(with_grid));
        prop_assert_eq!(event.occurred_at.map(|at| at.timestamp_millis()), Some(1_714_564_800_250));
    }

    #[test]
    fn legnext_jobs(
        salt in any::<u32>(),
        status in select(&[("pending", "pending"), ("staged", "pending"), ("processing", "in_progress"), ("running", "in_progress"), ("queued", "pending"), ("completed", "completed"), ("failed", "failed")][..]),
        upper in any::<bool>(),
        task_type in select(&[("diffusion", "imagine", false), ("variation", "variation", false), ("reroll", "reroll", false), ("blend", "blend", false), ("pan", "pan", false), ("outpaint", "outpaint", false), ("inpaint", "inpaint", false), ("remix", "remix", false), ("edit", "edit", false), ("upscale", "upscale", true), ("enhance", "enhance", true), ("remove-background", "remove-background", true)][..]),
        image_url in any::<bool>(),
        quarters in 0usize..=4,
        callback in any::<bool>(),
        created in select(&["2026-01-04T05:54:17Z", "0001-01-01T00:00:00Z", ""][..]),
        ended in select(&["2026-01-04T05:54:58Z", "0001-01-01T00:00:00Z", ""][..]),
    ) {
        let mut output = legnext::Output::default();
        output.image_url = image_url.then(|| urls(salt, "grid", 1).remove(0));
        output.image_urls = urls(salt, "q", quarters);
        let mut meta = legnext::Meta::default();
        meta.created_at = Some(Timestamp::text(created).expect("a date-time"));
        meta.ended_at = Some(Timestamp::text(ended).expect("a date-time"));
        let mut job: legnext::Job = Default::default();
        job.job_id = Some(StringOrInt::Str(format!("{salt}-job").into()));
        job.status = Some(if upper { status.0.to_uppercase().into() } else { status.0.into() });
        job.task_type = Some(task_type.0.into());
        job.output = Some(output.clone());
        job.meta = Some(meta);
        job.error = Some(serde_json::from_str(if status.1 == "failed" {
            r#"{"code": 10002, "raw_message": "raw", "message": "rejected"}"#
        } else {
            r#"{"code": 0, "raw_message": "", "message": ""}"#
        }).unwrap());

        let event = if callback {
            let mut body = legnext::Job::<Box<legnext::Job>>::default();
            body.timestamp = Some(Timestamp::Epoch(1_767_506_100));
            body.data = Some(Box::new(job));
            decode_one(Provider::Legnext, &body)
        } else {
            decode_one(Provider::Legnext, &job)
        };
        check_invariants(&event)?;
        prop_assert_eq!(event.status.as_str(), status.1);
        prop_assert_eq!(event.operation.as_ref().map(|op| op.as_str()), Some(task_type.1));
        prop_assert_eq!(event.progress.map(|p| p.get()), (status.1 == "completed").then_some(100));
        prop_assert_eq!(event.created_at.is_some(), created.starts_with("2026"));
        let terminal = matches!(status.1, "completed" | "failed");
        let expected_occurred = if callback { Some(1_767_506_100_000) } else if terminal && ended.starts_with("2026") { Some(1_767_506_098_000) } else { None };
        prop_assert_eq!(event.occurred_at.map(|at| at.timestamp_millis()), expected_occurred);
        prop_assert_eq!(event.error.as_ref().and_then(|e| e.code.as_deref()), (status.1 == "failed").then_some("10002"));
        let all: BTreeSet<String> = output.image_url.iter().chain(&output.image_urls).map(|url| url.to_string()).collect();
        prop_assert_eq!(url_set(&event), all.iter().map(String::as_str).collect::<BTreeSet<_>>());
        let running = shows_previews(status.1, event.progress);
        for image in &event.images {
            let expected_role = if running {
                mjhook::ImageRole::Preview
            } else if Some(image.url.as_str()) == output.image_url.as_deref() && !task_type.2 {
                mjhook::ImageRole::Grid
            } else {
                mjhook::ImageRole::Image
            };
            prop_assert_eq!(image.role, expected_role);
        }
        let indexed = event.images.iter().filter(|image| image.index.is_some()).count();
        prop_assert_eq!(indexed, if !task_type.2 && quarters >= 2 { quarters } else { 0 });
    }

    #[test]
    fn kie_records(
        salt in any::<u32>(),
        flag in select(&[(0i64, "in_progress"), (1, "completed"), (2, "failed"), (3, "failed"), (9, "unknown")][..]),
        task_type in select(&[("mj_txt2img", Some("imagine")), ("mj_img2img", Some("imagine")), ("mj_style_reference", Some("imagine")), ("mj_omni_reference", Some("imagine")), ("mj_upscale", Some("upscale")), ("mj_vary", Some("variation")), ("mj_video", Some("mj_video"))][..]),
        results in 0usize..=4,
        as_text in any::<bool>(),
        epoch_ms in any::<bool>(),
        error_message in prop::option::of("[a-z ]{0,12}"),
    ) {
        let urls = urls(salt, "r", results);
        let list = kie::ResultList { result_urls: urls.iter().map(|url| kie::ResultUrl(url.to_string())).collect() };
        let mut record: kie::Task = Default::default();
        record.task_id = Some(StringOrInt::Str(format!("mj_task_{salt}").into()));
        record.task_type = Some(task_type.0.into());
        record.param_json = Some(format!(r#"{{"prompt":"p {salt}","taskType":"{}"}}"#, task_type.0).into());
        record.success_flag = Some(StringOrInt::Int(flag.0));
        record.result_info_json = Some(kie::ResultInfo(list));
        record.create_time = Some(if epoch_ms { Timestamp::Epoch(1_772_441_400_000) } else { Timestamp::text("2026-03-02T08:50:00Z").expect("a date-time") });
        record.complete_time = Some(Timestamp::text("2026-03-02T08:51:00Z").expect("a date-time"));
        record.error_message = error_message.clone().map(Cow::from);
        let mut body = kie::Task::<Box<kie::Task>>::default();
        body.code = Some(StringOrInt::Int(200));
        body.msg = Some("success".into());
        body.data = Some(Box::new(record));
        let mut body = serde_json::to_value(&body).unwrap();
        if as_text {
            // The same results as JSON in a string, as the key's name says.
            let info = &mut body["data"]["resultInfoJson"];
            *info = serde_json::Value::String(info.to_string());
        }

        let event = decode_one(Provider::Kie, &body);
        check_invariants(&event)?;
        prop_assert_eq!(event.status.as_str(), flag.1);
        let expected_flag = flag.0.to_string();
        prop_assert_eq!(event.provider_status.as_deref(), Some(expected_flag.as_str()));
        prop_assert_eq!(event.operation.as_ref().map(|op| op.as_str()), task_type.1);
        let expected_prompt = format!("p {salt}");
        prop_assert_eq!(event.prompt.as_deref(), Some(expected_prompt.as_str()));
        let video = task_type.0 == "mj_video";
        prop_assert_eq!(event.images.len(), if video { 0 } else { results });
        let grid_like = !video && task_type.1 != Some("upscale") && (2..=4).contains(&results);
        for (n, image) in event.images.iter().enumerate() {
            prop_assert_eq!(image.index, grid_like.then_some(n as u8));
        }
        prop_assert_eq!(event.error.is_some(), flag.1 == "failed");
        if let Some(error) = &event.error {
            let documented = if flag.0 == 2 { "Failed" } else { "Generation Failed" };
            let expected = error_message.as_deref().filter(|m| !m.trim().is_empty()).unwrap_or(documented);
            prop_assert_eq!(error.message.as_str(), expected);
        }
        prop_assert_eq!(event.progress.map(|p| p.get()), (flag.1 == "completed").then_some(100));
        prop_assert_eq!(event.created_at.is_some(), true);
        prop_assert_eq!(event.occurred_at.is_some(), matches!(flag.1, "completed" | "failed"));
    }

    #[test]
    fn kie_callbacks(
        salt in any::<u32>(),
        code in select(&[(200i64, "completed"), (500, "failed"), (201, "unknown")][..]),
        results in 0usize..=4,
        echo_type in prop::option::of(select(&[("mj_txt2img", "imagine"), ("mj_upscale", "upscale")][..])),
        broken_echo in any::<bool>(),
    ) {
        let mut callback: kie::Task = Default::default();
        callback.task_id = Some(StringOrInt::Str(format!("mj_task_{salt}").into()));
        callback.prompt_json = Some(if broken_echo {
            "{prompt: not json".into()
        } else {
            match echo_type {
                Some((kind, _)) => format!(r#"{{"prompt":"p {salt}","taskType":"{kind}"}}"#).into(),
                None => format!(r#"{{"prompt":"p {salt}"}}"#).into(),
            }
        });
        callback.result_urls = Some(urls(salt, "r", results));
        let mut body = kie::Task::<Box<kie::Task>>::default();
        body.code = Some(StringOrInt::Int(code.0));
        body.msg = Some(if code.0 == 500 { "Image generation failed".into() } else { "success".into() });
        body.data = Some(Box::new(callback));

        let event = decode_one(Provider::Kie, &body);
        check_invariants(&event)?;
        prop_assert_eq!(event.status.as_str(), code.1);
        let expected_code = code.0.to_string();
        prop_assert_eq!(event.provider_status.as_deref(), Some(expected_code.as_str()));
        prop_assert_eq!(event.prompt.is_some(), !broken_echo);
        let expected_operation = if broken_echo { None } else { echo_type.map(|(_, op)| op) };
        prop_assert_eq!(event.operation.as_ref().map(|op| op.as_str()), expected_operation);
        prop_assert_eq!(event.images.len(), results);
        prop_assert_eq!(event.error.as_ref().and_then(|e| e.code.as_deref()), (code.0 == 500).then_some("500"));
        prop_assert_eq!(event.occurred_at, None);
    }

    #[test]
    fn arbitrary_json_never_panics_a_decoder(value in arbitrary_json()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        for provider in Provider::ALL {
            if let Ok(events) = decode_all(Some(provider), &bytes) {
                for event in &events {
                    check_invariants(event)?;
                }
            }
        }
        let _ = mjhook::decode_auto(&bytes);
        let _ = mjhook::detect(&bytes);
    }
}

/// JSON values biased towards vendor keys, so generated objects often reach
/// deep into the decoders rather than failing at the first key.
fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    let keys = select(
        &[
            "task_id",
            "taskId",
            "job_id",
            "id",
            "status",
            "percentage",
            "progress",
            "task_type",
            "type",
            "event",
            "payload",
            "data",
            "tasks",
            "output",
            "task_result",
            "meta",
            "created_at",
            "createdAt",
            "timestamp",
            "image_url",
            "image_urls",
            "images",
            "image",
            "url",
            "upscaled_urls",
            "result",
            "error",
            "message",
            "code",
            "content",
            "description",
            "index",
            "msg",
            "successFlag",
            "resultInfoJson",
            "resultUrls",
            "promptJson",
            "paramJson",
            "raw_message",
            "finalPrompt",
            "prompts",
        ][..],
    );
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (0u8..=120).prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "[a-z0-9%:. -]{0,12}".prop_map(serde_json::Value::from),
        select(
            &[
                "processing",
                "finished",
                "completed",
                "in-progress",
                "0001-01-01T00:00:00Z",
                "45%",
                "job.completed",
                "images.items.update",
                "https://example.com/a.png"
            ][..]
        )
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(keys.clone(), inner, 0..6).prop_map(|map| {
                serde_json::Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

const ACEDATA_ACTIONS: [(&str, &str, bool); 12] = [
    ("generate", "imagine", true),
    ("upscale1", "upscale", false),
    ("upscale4", "upscale", false),
    ("upscale_2x", "upscale", false),
    ("variation2", "variation", true),
    ("variation_subtle", "variation", true),
    ("variation_region", "inpaint", true),
    ("reroll", "reroll", true),
    ("zoom_out_2x", "outpaint", true),
    ("zoom_out_1_5x", "outpaint", true),
    ("pan_left", "pan", true),
    ("pan_down", "pan", true),
];

const IMAGINEPRO_STATUSES: [(&str, &str); 7] = [
    ("QUEUED", "pending"),
    ("PROCESSING", "in_progress"),
    ("DONE", "completed"),
    ("FAIL", "failed"),
    ("FAILED", "failed"),
    ("done", "completed"),
    ("ARCHIVED", "unknown"),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn acedata_results(
        salt in any::<u32>(),
        success in any::<bool>(),
        progress in prop::option::of(prop_oneof![
            (0u8..=100).prop_map(|n| (Percent::Int(n), n)),
            (0u8..=100).prop_map(|n| (Percent::Text(n.to_string().into()), n)),
        ]),
        thumbnail in any::<bool>(),
        raw in any::<bool>(),
        quarters in any::<bool>(),
        offers_upscales in any::<bool>(),
    ) {
        let mut task: acedata::Task = Default::default();
        task.success = Some(success);
        task.task_id = Some(StringOrInt::Str(format!("ace-{salt}").into()));
        task.progress = progress.as_ref().map(|(form, _)| form.clone());
        if thumbnail {
            task.image_url = Some(urls(salt, "thumb", 1).remove(0));
            task.image_width = Some(1024);
            task.image_height = Some(1024);
        }
        if raw {
            task.raw_image_url = Some(urls(salt, "raw", 1).remove(0));
            task.raw_image_width = Some(2048);
            task.raw_image_height = Some(2048);
        }
        if quarters {
            task.sub_image_urls = urls(salt, "q", 4);
        }
        task.actions = if offers_upscales {
            vec!["upscale1".into(), "upscale2".into(), "upscale3".into(), "upscale4".into(), "reroll".into()]
        } else {
            vec!["upscale_2x".into(), "variation_strong".into()]
        };
        if !success {
            task.error = serde_json::from_str(r#"{"code": "bad_request", "message": "banned prompt"}"#).unwrap();
        }

        let event = decode_one(Provider::Acedata, &task);
        check_invariants(&event)?;
        let has_result = thumbnail || raw || quarters;
        let expected_status = match (success, progress.as_ref().map(|(_, n)| *n)) {
            (false, _) => "failed",
            (true, Some(n)) if n < 100 => "in_progress",
            (true, Some(_)) => "completed",
            (true, None) if has_result => "completed",
            (true, None) => "pending",
        };
        prop_assert_eq!(event.status.as_str(), expected_status);
        prop_assert_eq!(event.provider_status.as_deref(), None);
        prop_assert_eq!(event.operation.as_ref(), None);
        let expected_progress = completed_at_100(expected_status, progress.map(|(_, n)| n));
        prop_assert_eq!(event.progress.map(|p| p.get()), expected_progress);
        let expected_urls: BTreeSet<String> = task.image_url.iter().chain(&task.raw_image_url).chain(&task.sub_image_urls).map(|url| url.to_string()).collect();
        prop_assert_eq!(url_set(&event), expected_urls.iter().map(String::as_str).collect::<BTreeSet<_>>());
        let running = shows_previews(expected_status, event.progress);
        let whole_role = if running {
            mjhook::ImageRole::Preview
        } else if quarters || offers_upscales {
            mjhook::ImageRole::Grid
        } else {
            mjhook::ImageRole::Image
        };
        for image in event.images.iter().filter(|image| image.index.is_none()) {
            prop_assert_eq!(image.role, whole_role);
            prop_assert_eq!(image.width, image.height);
            prop_assert!(image.width.is_some());
        }
        let indexes: Vec<u8> = event.images.iter().filter_map(|image| image.index).collect();
        prop_assert_eq!(indexes, if quarters { vec![0, 1, 2, 3] } else { vec![] });
        prop_assert_eq!(event.error.as_ref().and_then(|e| e.code.as_deref()), (!success).then_some("bad_request"));
    }

    #[test]
    fn acedata_records(
        salt in any::<u32>(),
        action in select(&ACEDATA_ACTIONS[..]),
        finished in any::<bool>(),
        created_ms in 1_600_000_000_000i64..1_900_000_000_000,
        batch in 0usize..4,
    ) {
        let id = format!("rec-{salt}");
        let mut request = acedata::Request::default();
        request.action = Some(action.0.into());
        request.prompt = Some(format!("a lighthouse {salt}").into());
        let mut record: acedata::Task<mjhook::quirks::Skipped, acedata::Task> = Default::default();
        record.id = Some(StringOrInt::Str(id.clone().into()));
        record.application_id = Some(Default::default());
        record.kind = Some("imagine".into());
        record.request = Some(request);
        record.created_at = Some(FractionalEpoch(created_ms as f64 / 1000.0));
        if finished {
            let mut response: acedata::Task = Default::default();
            response.success = Some(true);
            response.task_id = Some(StringOrInt::Str(id.clone().into()));
            response.image_url = Some(urls(salt, "result", 1).remove(0));
            response.progress = Some(Percent::Int(100));
            record.response = Some(response);
            record.finished_at = Some(FractionalEpoch((created_ms + 31_407) as f64 / 1000.0));
        }

        let events = if batch == 0 {
            vec![decode_one(Provider::Acedata, &record)]
        } else {
            let mut body: acedata::Task<OneOrMany<acedata::Task<mjhook::quirks::Skipped, acedata::Task>>, acedata::Task> = Default::default();
            body.items = Some(OneOrMany::Many(vec![record.clone(); batch]));
            let bytes = serde_json::to_vec(&body).unwrap();
            let events = decode_all(Some(Provider::Acedata), &bytes).unwrap();
            let detected = decode_all(None, &bytes);
            prop_assert_eq!(detected.as_ref(), Ok(&events));
            prop_assert_eq!(mjhook::decode(Provider::Acedata, &bytes).is_ok(), batch == 1);
            events
        };
        prop_assert_eq!(events.len(), batch.max(1));
        for event in &events {
            check_invariants(event)?;
            prop_assert_eq!(event.job_id.as_str(), id.as_str());
            prop_assert_eq!(event.operation.as_ref().map(|op| op.as_str()), Some(action.1));
            prop_assert_eq!(event.status.as_str(), if finished { "completed" } else { "in_progress" });
            prop_assert_eq!(event.created_at.map(|at| at.timestamp_millis()), Some(created_ms));
            prop_assert_eq!(event.occurred_at.map(|at| at.timestamp_millis()), finished.then_some(created_ms + 31_407));
            let expected_role = if action.2 { mjhook::ImageRole::Grid } else { mjhook::ImageRole::Image };
            prop_assert!(event.images.iter().all(|image| image.role == expected_role && image.index.is_none()));
            prop_assert_eq!(event.images.len(), usize::from(finished));
        }
    }

    #[test]
    fn imaginepro_messages(
        salt in any::<u32>(),
        status in prop::option::of(select(&IMAGINEPRO_STATUSES[..])),
        progress in prop::option::of(percent()),
        uri in any::<bool>(),
        original in any::<bool>(),
        offers_upscales in any::<bool>(),
        updated_ms in 1_600_000_000_000i64..1_900_000_000_000,
    ) {
        let mut message = imaginepro::Message::default();
        message.message_id = Some(StringOrInt::Str(format!("msg-{salt}").into()));
        message.status = status.map(|(word, _)| word.into());
        message.progress = progress.as_ref().map(|(form, _)| form.clone());
        message.uri = uri.then(|| urls(salt, "cdn", 1).remove(0));
        message.original_url = original.then(|| urls(salt, "discord", 1).remove(0));
        message.buttons = if offers_upscales {
            vec!["U1".into(), "U2".into(), "U3".into(), "U4".into(), "🔄".into()]
        } else {
            vec!["Upscale (Subtle)".into(), "Vary (Strong)".into(), "⬅️".into()]
        };
        let updated = chrono::DateTime::from_timestamp_millis(updated_ms).unwrap();
        message.updated_at = Some(Timestamp::text(updated.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).expect("a date-time"));
        let failed = matches!(status, Some((_, "failed")));
        message.error = failed.then(|| serde_json::from_str("\"Job failed: moderation\"").unwrap());

        let event = decode_one(Provider::Imaginepro, &message);
        check_invariants(&event)?;
        // No status: a submit reply, unless the message has an image.
        let unstated = match progress.as_ref().and_then(|(_, n)| *n) {
            _ if !uri && !original => "pending",
            Some(n) if n < 100 => "in_progress",
            _ => "completed",
        };
        let expected_status = status.map_or(unstated, |(_, canonical)| canonical);
        prop_assert_eq!(event.status.as_str(), expected_status);
        prop_assert_eq!(event.provider_status.as_deref(), status.map(|(word, _)| word));
        prop_assert_eq!(event.operation.as_ref(), None);
        let expected_progress = completed_at_100(expected_status, progress.and_then(|(_, n)| n));
        prop_assert_eq!(event.progress.map(|p| p.get()), expected_progress);
        // Payload order: the message serializes `originalUrl` before `uri`.
        let expected_urls: Vec<&str> = message.original_url.iter().chain(&message.uri).map(|url| url.as_ref()).collect();
        prop_assert_eq!(event.images.iter().map(|image| image.url.as_str()).collect::<Vec<_>>(), expected_urls);
        let role = if shows_previews(expected_status, event.progress) {
            mjhook::ImageRole::Preview
        } else if offers_upscales {
            mjhook::ImageRole::Grid
        } else {
            mjhook::ImageRole::Image
        };
        prop_assert!(event.images.iter().all(|image| image.role == role && image.index.is_none()));
        prop_assert_eq!(event.occurred_at.map(|at| at.timestamp_millis()), Some(updated_ms));
        prop_assert_eq!(event.error.map(|error| (error.code, error.message)), failed.then(|| (None, "Job failed: moderation".to_owned())));
    }
}
