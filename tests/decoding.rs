//! Decoding rules that a review of the decoders turned up, one test each:
//! bodies that must fail clearly, and vendor leniencies that must not fail.

use mjhook::{
    decode, decode_all, decode_auto, DecodeError, ImageRole, JobStatus, Operation, Provider,
};

fn error(provider: Provider, body: &str) -> DecodeError {
    decode(provider, body.as_bytes()).expect_err(body)
}

#[test]
fn arrays_are_not_read_as_structs_by_position() {
    // Derived structs would accept these field by field.
    let cases = [
        (Provider::Goapi, r#"["t", "completed"]"#),
        (
            Provider::Goapi,
            r#"{"task_id": "t", "status": "completed", "output": ["https://example.com/a.png"]}"#,
        ),
        (
            Provider::Goapi,
            r#"{"timestamp": 1, "data": [["t", "completed"]]}"#,
        ),
        (
            Provider::MidjourneyApi,
            r#"{"status": 0, "data": [["abc", 1]]}"#,
        ),
        (
            Provider::Asyncapi,
            r#"{"job_id": "j", "status": "completed", "type": "imagine", "result": {"images": [["https://example.com/a.png", 1]]}}"#,
        ),
        (Provider::Apiframe, r#"{"tasks": [["t", "imagine"]]}"#),
    ];
    for (provider, body) in cases {
        let error = error(provider, body);
        let refused_as_not_an_object = matches!(error, DecodeError::NotAnObject { .. })
            || error.to_string().contains("expected a JSON object")
            || error.to_string().contains("expected an object");
        assert!(refused_as_not_an_object, "{body}: {error}");
    }
}

#[test]
fn a_foreign_key_counts_even_when_null() {
    let body = r#"{"id": "i", "status": "in-progress", "url": "https://example.com/p.webp", "upscaled_urls": null}"#;
    assert!(carries(
        &error(Provider::Asyncapi, body),
        Provider::Imagineapi
    ));
    // …and auto-detection gets it right.
    assert_eq!(
        decode_auto(body.as_bytes()).map(|event| event.provider),
        Ok(Provider::Imagineapi)
    );
}

#[test]
fn apiframe_bodies_given_to_goapi_say_so() {
    for body in [
        r#"{"task_id": "t", "task_type": "upscale-1x", "status": "finished", "image_url": "https://example.com/u.png"}"#,
        r#"{"task_id": "t", "status": "finished", "image_urls": ["https://example.com/0.png"]}"#,
        r#"{"task_id": "t", "status": "finished", "content": ["1️⃣ a fox"]}"#,
    ] {
        assert!(
            carries(&error(Provider::Goapi, body), Provider::Apiframe),
            "{body}"
        );
    }
}

#[test]
fn nulls_inside_lists_are_not_images_but_keep_their_place() {
    let event = decode(
        Provider::Apiframe,
        br#"{"task_id": "t", "image_urls": [null, "https://example.com/1.png", null], "content": [null]}"#,
    )
    .unwrap();
    assert_eq!(event.images.len(), 1);
    assert_eq!(event.images[0].url, "https://example.com/1.png");
    assert_eq!(event.images[0].index, Some(1));
    assert!(event.prompts.is_empty());
    // `null` and `""` alike: a quarter that is missing, not a shorter grid.
    for gap in ["null", "\"\""] {
        let body = format!(
            r#"{{"taskId": "t", "status": 1, "images": ["https://example.com/0.png", {gap}, "https://example.com/2.png", "https://example.com/3.png"]}}"#
        );
        let event = decode(Provider::MidjourneyApi, body.as_bytes()).unwrap();
        let indexes: Vec<_> = event.images.iter().map(|image| image.index).collect();
        assert_eq!(indexes, [Some(0), Some(2), Some(3)], "{body}");
    }
}

#[test]
fn fields_the_model_does_not_read_cannot_fail_a_decode() {
    let body = br#"{"task_id": "t", "task_type": "imagine", "status": "finished",
        "original_image_url": "https://example.com/g.png",
        "actions": [{"label": "U1"}], "sref": 12345, "seed": 42.5, "full_content": ["x"]}"#;
    let event = decode(Provider::Apiframe, body).unwrap();
    assert_eq!(event.status, JobStatus::Completed);
}

#[test]
fn journeyapi_tasks_of_another_model_name_it_as_their_operation() {
    let body = |model: &str| {
        format!(
            r#"{{"task_id": "t", "task_type": "imagine", "model": "{model}", "status": "finished",
                "percentage": "100", "image_url": "https://example.com/r.png"}}"#
        )
    };
    let event = decode(Provider::Apiframe, body("midjourney").as_bytes()).unwrap();
    assert_eq!(event.status, JobStatus::Completed);
    assert_eq!(event.operation, Some(Operation::Imagine));
    let flux = decode(Provider::Apiframe, body("flux-pro").as_bytes()).unwrap();
    assert_eq!(
        flux.operation,
        Some(Operation::Other("flux-pro".to_owned()))
    );
    assert_eq!(flux.status, JobStatus::Completed);
}

#[test]
fn numeric_ids_become_decimal_strings_everywhere() {
    let cases = [
        (
            Provider::Asyncapi,
            r#"{"job_id": 42, "status": "pending", "type": "imagine"}"#,
        ),
        (
            Provider::Goapi,
            r#"{"code": 200, "data": {"task_id": 42, "model": "midjourney", "status": "pending"}, "message": "success"}"#,
        ),
        (
            Provider::Imagineapi,
            r#"{"data": {"id": 42, "prompt": "a red kite", "status": "pending", "user_created": null}}"#,
        ),
        (Provider::MidjourneyApi, r#"{"taskId": 42, "status": 0}"#),
        (Provider::Apiframe, r#"{"task_id": 42}"#),
    ];
    for (provider, body) in cases {
        assert_eq!(
            decode(provider, body.as_bytes()).map(|event| event.job_id.to_string()),
            Ok("42".to_owned()),
            "{body}"
        );
    }
}

#[test]
fn goapi_reports_an_error_only_for_a_failed_task() {
    let completed = br#"{"task_id": "t", "status": "completed", "output": {"image_url": "https://example.com/g.png"},
        "error": {"code": 10000, "raw_message": "", "message": "a warning"}}"#;
    assert_eq!(decode(Provider::Goapi, completed).unwrap().error, None);
    let retrying = br#"{"task_id": "t", "status": "processing", "task_result": {"error_messages": ["transient: retrying"]}}"#;
    assert_eq!(decode(Provider::Goapi, retrying).unwrap().error, None);
    let failed = br#"{"task_id": "t", "status": "failed", "task_result": {"error_messages": ["banned prompt"]}}"#;
    assert_eq!(
        decode(Provider::Goapi, failed)
            .unwrap()
            .error
            .map(|e| e.message),
        Some("banned prompt".to_owned())
    );
}

#[test]
fn goapi_reads_the_envelope_code_before_its_data() {
    let failed_reply = br#"{"code": 500, "data": {"task_id": "t", "model": "midjourney", "status": "pending"}, "message": "internal error"}"#;
    assert_eq!(
        decode(Provider::Goapi, failed_reply),
        Err(DecodeError::Vendor {
            provider: Provider::Goapi,
            code: "500".into(),
            message: Some("internal error".into())
        })
    );
    let empty_reply = br#"{"code": 200, "data": null, "message": "success"}"#;
    assert!(matches!(
        decode(Provider::Goapi, empty_reply),
        Err(DecodeError::NoJob { .. })
    ));
    // A task of an id and a status alone, in this envelope, is what many
    // APIs reply to a submission: GoAPI's task carries its model, type,
    // input and output too.
    let bare_task =
        br#"{"code": 0, "message": "ok", "data": {"task_id": "t", "status": "processing"}}"#;
    assert!(matches!(
        decode(Provider::Goapi, bare_task),
        Err(DecodeError::WrongProvider { .. })
    ));
}

#[test]
fn an_asyncapi_upscale_has_no_grid_position() {
    let body = br#"{"job_id": "j", "status": "completed", "type": "upscale",
        "result": {"images": [{"url": "https://example.com/u.png", "index": 2}]}}"#;
    let event = decode(Provider::Asyncapi, body).unwrap();
    assert_eq!(
        (event.images[0].role, event.images[0].index),
        (ImageRole::Image, None)
    );
}

#[test]
fn a_record_without_its_id_is_not_the_format() {
    for body in [
        r#"{"status": 0, "data": {"status": 1}}"#,
        r#"{"status": 0, "data": [{"status": 1}]}"#,
    ] {
        let error = error(Provider::MidjourneyApi, body);
        assert!(
            matches!(&error, DecodeError::WrongProvider { lacks: Some(lacks), .. } if lacks.contains("`taskId`")),
            "{body}: {error}"
        );
    }
}

#[test]
fn only_a_grid_s_quarters_have_grid_positions() {
    let indexes = |provider, body: &str| -> Vec<Option<u8>> {
        let event = decode(provider, body.as_bytes()).expect(body);
        event.images.iter().map(|image| image.index).collect()
    };
    // An upscale's one-element list, a non-Midjourney model's four outputs,
    // and a lone URL are images, not quarters.
    let upscale = r#"{"task_id": "t", "task_type": "upscale", "status": "completed",
        "output": {"image_url": "https://example.com/u.png", "temporary_image_urls": ["https://example.com/u-copy.png"]}}"#;
    assert_eq!(indexes(Provider::Goapi, upscale), [None, None]);
    let model = r#"{"task_id": "t", "task_type": "flux-imagine", "status": "finished",
        "image_urls": ["https://example.com/0.png", "https://example.com/1.png", "https://example.com/2.png", "https://example.com/3.png"]}"#;
    assert_eq!(indexes(Provider::Apiframe, model), [None; 4]);
    let lone = r#"{"taskId": "t", "status": 1, "images": ["https://example.com/0.png"]}"#;
    assert_eq!(indexes(Provider::MidjourneyApi, lone), [None]);
    let quarters = r#"{"task_id": "t", "task_type": "variation-strong", "status": "finished",
        "image_urls": ["https://example.com/0.png", "https://example.com/1.png"]}"#;
    assert_eq!(indexes(Provider::Apiframe, quarters), [Some(0), Some(1)]);
}

#[test]
fn a_completed_job_is_at_100_even_when_the_vendor_says_0() {
    let body = br#"{"task_id": "t", "task_type": "imagine", "status": "completed",
        "output": {"progress": 0, "image_url": "https://example.com/g.png"}}"#;
    let event = decode(Provider::Goapi, body).unwrap();
    assert_eq!(event.progress.map(|p| p.get()), Some(100));
    let running = br#"{"task_id": "t", "status": "processing", "output": {"progress": 0}}"#;
    let event = decode(Provider::Goapi, running).unwrap();
    assert_eq!(event.progress.map(|p| p.get()), Some(0));
}

#[test]
fn a_key_of_another_format_refuses_even_a_body_that_fits_otherwise() {
    // Whatever its value: the key says the body may be that format's, and
    // decoding it as this one would drop what it holds.
    let cases = [
        (
            Provider::Asyncapi,
            r#"{"event": "job.completed", "job_id": "j", "status": "completed", "type": "imagine",
                "result": {"images": [{"url": "https://example.com/g.png"}]}, "url": "https://example.com/view/j"}"#,
            Provider::Imagineapi,
        ),
        (
            Provider::Imagineapi,
            r#"{"event": "images.items.update", "payload": {"id": "i", "status": "completed",
                "url": "https://example.com/g.png", "upscaled_urls": null, "type": "imagine", "output": null}}"#,
            Provider::Goapi,
        ),
        (
            Provider::Apiframe,
            r#"{"task_id": "t", "task_type": "imagine", "status": "processing", "percentage": "40", "meta": {}}"#,
            Provider::Goapi,
        ),
    ];
    for (provider, body, owner) in cases {
        assert!(carries(&error(provider, body), owner), "{body}");
        assert!(decode_auto(body.as_bytes()).is_err(), "{body}");
    }
    // A body that is another vendor's, given to the wrong decoder, is
    // refused too.
    let apiframe = r#"{"task_id": "t", "status": "finished", "original_image_url": "https://example.com/g.png"}"#;
    assert!(carries(
        &error(Provider::Goapi, apiframe),
        Provider::Apiframe
    ));
}

#[test]
fn a_midjourney_api_envelope_echoing_the_task_id_is_still_an_envelope() {
    let body = br#"{"status": 0, "taskId": "T1", "data": {"taskId": "T1", "status": 1,
        "images": ["https://example.com/0.png", "https://example.com/1.png", "https://example.com/2.png", "https://example.com/3.png"]}}"#;
    let event = decode(Provider::MidjourneyApi, body).unwrap();
    assert_eq!(event.status, JobStatus::Completed);
    assert_eq!(event.provider_status.as_deref(), Some("1"));
    assert_eq!(event.images.len(), 4);
    assert_eq!(event.images[3].index, Some(3));
}

#[test]
fn goapi_failure_text_falls_back_through_every_place_it_is_sent() {
    let message = |body: &str| {
        decode(Provider::Goapi, body.as_bytes())
            .expect(body)
            .error
            .map(|error| error.message)
    };
    let blank_entries = r#"{"task_id": "t", "status": "failed",
        "task_result": {"error_messages": ["", "banned prompt", " "]}}"#;
    assert_eq!(message(blank_entries).as_deref(), Some("banned prompt"));
    let only_blank = r#"{"task_id": "t", "status": "failed",
        "task_result": {"error_messages": [""], "message": "timed out"}}"#;
    assert_eq!(message(only_blank).as_deref(), Some("timed out"));
    let top_level = r#"{"task_id": "t", "status": "failed", "message": "insufficient quota"}"#;
    assert_eq!(message(top_level).as_deref(), Some("insufficient quota"));
}

#[test]
fn goapi_result_url_is_a_grid_only_for_operations_that_make_one() {
    let role = |task_type: &str| {
        let body = format!(
            r#"{{"task_id": "t", "model": "midjourney", "task_type": "{task_type}", "status": "completed",
                "output": {{"image_url": "https://example.com/r.png"}}}}"#
        );
        decode(Provider::Goapi, body.as_bytes()).unwrap().images[0].role
    };
    assert_eq!(role("imagine"), ImageRole::Grid);
    assert_eq!(role("upscale"), ImageRole::Image);
    // A type Midjourney does not have yet, kept verbatim: one image.
    assert_eq!(role("txt2img"), ImageRole::Image);
    assert_eq!(role("face-swap"), ImageRole::Image);
}

#[test]
fn goapi_tasks_of_other_models_are_refused_with_or_without_their_model() {
    let body = |model: &str, task_type: &str| {
        format!(
            r#"{{"task_id": "t", {model} "task_type": "{task_type}", "status": "completed",
                "output": {{"image_url": "https://example.com/r.png"}}, "meta": {{}},
                "error": {{"code": 0, "message": ""}}}}"#
        )
    };
    for model in ["", r#""model": null,"#, r#""model": "","#] {
        // Without a model, Midjourney's task types stand.
        let imagine = body(model, "imagine");
        assert!(
            decode(Provider::Goapi, imagine.as_bytes()).is_ok(),
            "{imagine}"
        );
        for task_type in ["txt2img", "video_generation"] {
            let other = body(model, task_type);
            match decode(Provider::Goapi, other.as_bytes()) {
                Err(DecodeError::WrongProvider { path, .. }) => assert_eq!(path, "task_type"),
                result => panic!("{other}: {result:?}"),
            }
        }
    }
    let flux = body(r#""model": "Qubico/flux1-dev","#, "txt2img");
    assert!(decode(Provider::Goapi, flux.as_bytes()).is_err());
}

#[test]
fn midjourney_api_records_read_what_other_clients_of_the_api_read() {
    let event = |body: &str| decode(Provider::MidjourneyApi, body.as_bytes()).expect(body);
    let failed = event(r#"{"taskId": "t", "status": 2, "message": "moderation"}"#);
    assert_eq!(
        failed.error.map(|e| e.message).as_deref(),
        Some("moderation")
    );
    let failed =
        event(r#"{"taskId": "t", "status": "2", "failReason": "  ", "message": "timeout"}"#);
    assert_eq!(failed.error.map(|e| e.message).as_deref(), Some("timeout"));
    // A field this vendor does not document cannot fail the decode.
    let completed = event(r#"{"taskId": "t", "status": 1, "error": false}"#);
    assert_eq!(completed.status, JobStatus::Completed);
    // A record may carry a `data` of its own; it is no envelope unless it
    // holds a record.
    let record = event(r#"{"taskId": "t", "status": 2, "failReason": "x", "data": []}"#);
    assert_eq!(record.status, JobStatus::Failed);
    // Null-only lists are no result.
    let nothing = event(r#"{"taskId": "t", "images": [null, ""]}"#);
    assert_eq!(nothing.status, JobStatus::Pending);
    let prompt = event(r#"{"taskId": "t", "status": 0, "prompt": "", "mjPrompt": "a kite --v 7"}"#);
    assert_eq!(prompt.prompt.as_deref(), Some("a kite --v 7"));
    // A status word is read inside the vendor's envelope; bare, `{taskId,
    // status}` with a word is what other APIs send (Pollo's webhook).
    let word = event(r#"{"status": 0, "data": {"taskId": "t", "status": "processing"}}"#);
    assert_eq!(word.status, JobStatus::InProgress);
    assert!(decode(
        Provider::MidjourneyApi,
        br#"{"taskId": "t", "status": "processing"}"#
    )
    .is_err());
    let unstated = event(r#"{"taskId": "t", "images": ["https://example.com/0.png"]}"#);
    assert_eq!(unstated.status, JobStatus::Completed);
    let unstated = event(r#"{"taskId": "t", "failReason": "banned"}"#);
    assert_eq!(unstated.status, JobStatus::Failed);
}

#[test]
fn apiframe_empty_values_are_no_values() {
    let event = |body: &str| decode(Provider::Apiframe, body.as_bytes()).expect(body);
    let failed =
        event(r#"{"task_id": "t", "status": "failed", "error": "", "message": "queue full"}"#);
    assert_eq!(
        failed.error.map(|e| e.message).as_deref(),
        Some("queue full")
    );
    let failed = event(
        r#"{"task_id": "t", "status": "failed", "error": {"message": ""}, "message": "queue full"}"#,
    );
    assert_eq!(
        failed.error.map(|e| e.message).as_deref(),
        Some("queue full")
    );
    let unstated = event(
        r#"{"task_id": "t", "status": "", "original_image_url": "https://example.com/g.png"}"#,
    );
    assert_eq!(unstated.status, JobStatus::Completed);
    let nothing = event(r#"{"task_id": "t", "content": ["", " "]}"#);
    assert_eq!(nothing.status, JobStatus::Pending);
}

#[test]
fn an_empty_job_id_is_no_job_id() {
    let cases = [
        (
            Provider::Asyncapi,
            r#"{"job_id": "", "status": "pending", "type": "imagine"}"#,
            "job_id",
        ),
        (
            Provider::Apiframe,
            r#"{"task_id": " ", "status": "pending"}"#,
            "task_id",
        ),
        (
            Provider::Goapi,
            r#"{"task_id": "", "status": "pending", "meta": {}, "model": "midjourney"}"#,
            "task_id",
        ),
        (
            Provider::Imagineapi,
            r#"{"data": {"id": "", "status": "pending", "upscaled_urls": []}}"#,
            "data.id",
        ),
        (
            Provider::MidjourneyApi,
            r#"{"taskId": "", "status": 0}"#,
            "taskId",
        ),
    ];
    for (provider, body, path) in cases {
        let error = error(provider, body);
        assert_eq!(error.path(), Some(path), "{body}");
        assert!(
            error.to_string().contains("expected a job id, found"),
            "{error}"
        );
    }
    // AsyncAPI's `id` stands in for an empty `job_id`.
    let event = decode(
        Provider::Asyncapi,
        br#"{"job_id": "", "id": "j-1", "status": "pending", "type": "imagine"}"#,
    )
    .unwrap();
    assert_eq!(event.job_id.as_str(), "j-1");
}

#[test]
fn imagineapi_replies_that_are_not_images_say_so() {
    let forbidden = br#"{"errors": [{"message": "You don't have permission to access this.", "extensions": {"code": "FORBIDDEN"}}]}"#;
    for result in [
        decode(Provider::Imagineapi, forbidden),
        decode_auto(forbidden),
    ] {
        match result {
            Err(DecodeError::Vendor {
                provider,
                code,
                message,
            }) => {
                assert_eq!(provider, Provider::Imagineapi);
                assert_eq!(code, "FORBIDDEN");
                assert!(message.is_some_and(|m| m.contains("permission")));
            }
            other => panic!("{other:?}"),
        }
    }
    let bot = br#"{"data": {"bot_status": "healthy", "date_created": "2024-04-05T15:47:43.573Z", "id": 1, "message": null, "user_created": null}}"#;
    for result in [decode(Provider::Imagineapi, bot), decode_auto(bot)] {
        let error = result.unwrap_err();
        assert_eq!(error.path(), Some("data.bot_status"), "{error}");
    }
}

#[test]
fn asyncapi_error_replies_and_previews() {
    for body in [
        r#"{"status": "ERROR", "message": "Invalid API key"}"#,
        r#"{"status": "ERROR", "code": 401, "message": "Invalid API key"}"#,
    ] {
        assert!(
            matches!(
                decode_auto(body.as_bytes()),
                Err(DecodeError::Vendor {
                    provider: Provider::Asyncapi,
                    ..
                })
            ),
            "{body}"
        );
    }
    let running =
        br#"{"event": "job.progress", "job_id": "j", "status": "in_progress", "progress": 40,
        "type": "imagine", "result": {"images": [{"url": "https://example.com/partial.webp"}]}}"#;
    let event = decode(Provider::Asyncapi, running).unwrap();
    assert_eq!(event.images[0].role, ImageRole::Preview);
}

#[test]
fn a_goapi_account_notification_is_named_as_such_when_detected_too() {
    let body = br#"{"type": "mj_penalty_triggered", "time": 1748768441, "message": "penalty", "detail": {}}"#;
    let error = decode_auto(body).unwrap_err();
    assert_eq!(error.path(), Some("type"), "{error}");
    assert!(
        error.to_string().contains("account notification"),
        "{error}"
    );
}

#[test]
fn envelopes_that_echo_or_carry_the_task_id_are_envelopes() {
    // midjourney-api.com: the id only on the envelope (the vendor's own
    // handlers read `data.taskId || taskId`).
    let mjapi = br#"{"status": 0, "message": "success", "taskId": "T1",
        "data": {"status": 2, "failReason": "banned prompt"}}"#;
    for event in [
        decode_auto(mjapi).unwrap(),
        decode(Provider::MidjourneyApi, mjapi).unwrap(),
    ] {
        assert_eq!(
            (event.job_id.as_str(), event.status),
            ("T1", JobStatus::Failed)
        );
        assert_eq!(
            event.error.map(|e| e.message).as_deref(),
            Some("banned prompt")
        );
    }
    // GoAPI: the webhook envelope echoing `task_id`.
    let goapi = br#"{"timestamp": 1743588700, "task_id": "g1", "data": {"task_id": "g1",
        "task_type": "imagine", "status": "completed", "output": {"image_url": "https://example.com/g.png"}}}"#;
    for event in [
        decode_auto(goapi).unwrap(),
        decode(Provider::Goapi, goapi).unwrap(),
    ] {
        assert_eq!(
            (event.provider, event.status),
            (Provider::Goapi, JobStatus::Completed)
        );
        assert_eq!(event.images.len(), 1);
    }
}

#[test]
fn a_relatives_key_that_this_format_sends_too_is_no_foreign_key() {
    let cases = [
        // A relative's `seed` beside midjourney-api.com's own keys.
        (
            r#"{"taskId": "T", "status": 1, "jobId": "j", "images": ["https://example.com/0.png"], "seed": 7}"#,
            Provider::MidjourneyApi,
        ),
    ];
    for (body, provider) in cases {
        let event = decode_auto(body.as_bytes()).expect(body);
        assert_eq!(event.provider, provider, "{body}");
        assert_eq!(
            decode(provider, body.as_bytes()).as_ref(),
            Ok(&event),
            "{body}"
        );
    }
}

#[test]
fn a_running_job_s_results_are_previews_in_every_provider() {
    let cases = [
        (
            Provider::Apiframe,
            r#"{"task_id": "t", "task_type": "imagine", "status": "processing", "percentage": 60,
            "original_image_url": "https://example.com/partial.png"}"#,
        ),
        (
            Provider::MidjourneyApi,
            r#"{"taskId": "t", "status": 0, "image": "https://example.com/partial.png"}"#,
        ),
        (
            Provider::Goapi,
            r#"{"task_id": "t", "task_type": "imagine", "status": "processing",
            "output": {"image_urls": ["https://example.com/0.png", "https://example.com/1.png"]}}"#,
        ),
        (
            Provider::Asyncapi,
            r#"{"event": "job.progress", "job_id": "t", "status": "in_progress",
            "result": {"images": [{"url": "https://example.com/0.png", "index": 1}]}}"#,
        ),
    ];
    for (provider, body) in cases {
        let event = decode(provider, body.as_bytes()).expect(body);
        assert!(!event.images.is_empty(), "{body}");
        assert!(
            event
                .images
                .iter()
                .all(|image| image.role == ImageRole::Preview),
            "{body}"
        );
    }
}

#[test]
fn each_prompt_appears_once() {
    let body = br#"{"task_id": "t", "task_type": "describe", "status": "completed",
        "output": {"description": "1\u20e3 a fox\n2\u20e3 a hen", "descriptions": ["a fox", "a hen"]}}"#;
    let event = decode(Provider::Goapi, body).unwrap();
    assert_eq!(event.prompts, ["a fox", "a hen"]);
}

#[test]
fn apiframe_success_message_is_no_failure() {
    let event = decode(
        Provider::Apiframe,
        br#"{"task_id": "t", "message": "success"}"#,
    )
    .unwrap();
    assert_eq!((event.status, event.error), (JobStatus::Pending, None));
}

/// Whether `error` refuses a body for carrying a key of `owner`'s format.
fn carries(error: &DecodeError, owner: Provider) -> bool {
    matches!(error, DecodeError::WrongProvider { foreign, .. }
        if foreign.iter().any(|(_, owners)| owners.contains(&owner)))
}

#[test]
fn contradicting_envelopes_are_errors_that_say_what_contradicts_what() {
    let cases = [
        (
            Provider::MidjourneyApi,
            r#"{"status": 0, "taskId": "A", "data": {"taskId": "B", "status": 1, "images": []}}"#,
            "contradicts `data.taskId`",
        ),
        (
            Provider::MidjourneyApi,
            r#"{"status": 0, "taskId": "A", "data": [{"status": 1, "jobId": "j"}, {"status": 0, "jobId": "k"}]}"#,
            "beside 2 records",
        ),
        (
            Provider::Goapi,
            r#"{"code": 200, "task_id": "A", "data": {"task_id": "B", "model": "midjourney", "status": "pending", "meta": {}}, "message": "success"}"#,
            "contradicts `data.task_id`",
        ),
        (
            Provider::Imagineapi,
            r#"{"event": "images.items.update", "payload": {"id": "a", "status": "completed", "user_created": null},
                "data": {"id": "b", "status": "failed", "user_created": null}}"#,
            "`payload`",
        ),
        (
            Provider::Apiframe,
            r#"{"task_id": "a", "task_type": "imagine", "tasks": [{"task_id": "b", "task_type": "imagine"}]}"#,
            "beside `tasks`",
        ),
    ];
    for (provider, body, says) in cases {
        let error = error(provider, body);
        assert!(error.to_string().contains(says), "{body}: {error}");
        assert!(decode_auto(body.as_bytes()).is_err(), "{body}");
    }
    // An envelope that echoes its record's own id is no contradiction.
    let echo =
        r#"{"status": 0, "taskId": "A", "data": {"taskId": "A", "status": 1, "jobId": "j"}}"#;
    assert_eq!(
        decode(Provider::MidjourneyApi, echo.as_bytes()).map(|e| e.job_id.as_str().to_owned()),
        Ok("A".to_owned())
    );
}

#[test]
fn invalid_text_anywhere_is_a_syntax_error_even_in_skipped_fields() {
    let good = r#"{"task_id": "t", "percentage": 40, "status": "processing", "extra": "#;
    for (skipped, column) in [
        (&br#""\ud800""#[..], 80),
        (br#""\udc00 \u0041""#, 80),
        (b"\"\xff\"", 74),
        (b"\"\xc0\xaf\"", 74),
    ] {
        let body = [good.as_bytes(), skipped, b"}"].concat();
        for result in [decode(Provider::Apiframe, &body), decode_auto(&body)] {
            let error = result.unwrap_err();
            assert!(
                matches!(error, DecodeError::Syntax { line: 1, .. }),
                "{}: {error:?}",
                String::from_utf8_lossy(&body)
            );
            assert!(
                error.position().is_some_and(|(_, c)| c >= 70),
                "{error:?} {column}"
            );
        }
        assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
    }
    // A surrogate pair is a character: fine, as serde_json says.
    let emoji = [good.as_bytes(), br#""\ud83c\udf38"}"#].concat();
    assert!(decode(Provider::Apiframe, &emoji).is_ok());
}

#[test]
fn skipped_values_are_read_as_a_value_parse_reads_them() {
    // Bodies that decode, each with a place whose value no decoder reads:
    // `{}` is where a value goes.
    let places = [
        (
            Provider::Apiframe,
            r#"{"task_id": "t", "status": "pending", "actions": {}}"#,
        ),
        (
            Provider::Apiframe,
            r#"{"tasks": [{"task_id": "t", "status": "pending", "sref": {}}]}"#,
        ),
        (
            Provider::Goapi,
            r#"{"code": 200, "data": {"task_id": "t", "status": "pending", "task_type": "imagine", "meta": {"usage": {}}}, "message": "ok"}"#,
        ),
        (
            Provider::MidjourneyProxy,
            r#"{"id": "t", "action": "IMAGINE", "status": "IN_PROGRESS", "progress": "10%", "promptEn": "a fox", "properties": {"a": [{}]}}"#,
        ),
        (
            Provider::MidjourneyProxy,
            r#"[{"id": "t", "action": "IMAGINE", "status": "IN_PROGRESS", "promptEn": "a fox", "properties": {"extra": {}}}]"#,
        ),
    ];
    let deep = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    let values = [
        "1e308".to_owned(),
        "1e309".to_owned(),
        "-1e400".to_owned(),
        "1e-400".to_owned(),
        format!("1{}", "0".repeat(400)),
        deep(100),
        deep(126),
        deep(127),
        deep(128),
        deep(1000),
        format!(r#"{{"a": {}}}"#, deep(130)),
    ];
    for (provider, place) in places {
        for value in &values {
            // The first `{}` in the place.
            let body = place.replacen("{}", value, 1);
            let value_parse = serde_json::from_str::<serde_json::Value>(&body);
            for result in [
                decode(provider, body.as_bytes()).map(|_| provider),
                decode_auto(body.as_bytes()).map(|event| event.provider),
                mjhook::detect(body.as_bytes()),
            ] {
                match (&value_parse, result) {
                    (Ok(_), Ok(found)) => assert_eq!(found, provider, "{body}"),
                    (Err(refusal), Err(error)) => {
                        let (line, column) = error.position().expect("a syntax error");
                        assert_eq!(
                            (line, column),
                            (refusal.line(), refusal.column()),
                            "{body}: {error}"
                        );
                    }
                    (value_parse, result) => {
                        panic!("{body}: Value parse {value_parse:?}, mjhook {result:?}")
                    }
                }
            }
        }
    }
}

#[test]
fn asyncapi_without_an_event_needs_its_own_words_and_keys() {
    // The spec's status words on its own keys are AsyncAPI's, by detection too.
    for body in [
        r#"{"job_id": "j", "event": "job.progress", "status": "in_progress", "timestamp": "2026-03-02T10:00:00Z"}"#,
        r#"{"job_id": "j", "status": "in_progress", "progress": 40, "timestamp": "2026-03-02T10:00:00Z"}"#,
        r#"{"job_id": "j", "status": "in_progress", "type": "imagine"}"#,
        r#"{"id": "j", "type": "upscale", "status": "completed", "created_at": "2026-03-02T10:00:00Z"}"#,
        r#"{"job_id": "j", "status": "completed", "result": {"images": [{"url": "https://example.com/a.png"}]}, "timestamp": "2026-03-02T10:00:00Z"}"#,
    ] {
        let event = decode_auto(body.as_bytes()).expect(body);
        assert_eq!(event.provider, Provider::Asyncapi, "{body}");
    }
    // Another API's word, another API's keys, another API's result.
    for body in [
        r#"{"job_id": "j", "status": "processing", "progress": 40}"#,
        // Other job APIs' status reply, in the spec's words and keys, but
        // with neither the payload's `timestamp` nor a job type.
        r#"{"job_id": "j", "status": "pending", "progress": 0, "created_at": "2026-03-02T10:00:00Z", "completed_at": null}"#,
        r#"{"id": "j", "type": "video", "status": "completed", "download": "https://example.com/v.mp4"}"#,
        r#"{"job_id": "j", "status": "completed", "result": {"urls": ["https://example.com/a.png"]}}"#,
        r#"{"job_id": "j", "event": "generation.done", "status": "completed", "output_url": "https://example.com/a.png"}"#,
    ] {
        assert!(decode_auto(body.as_bytes()).is_err(), "{body}");
        let refused = error(Provider::Asyncapi, body).to_string();
        assert!(
            refused.contains("processing")
                || refused.contains("`timestamp`")
                || refused.contains("no known format sends")
                || refused.contains("`urls`"),
            "{body}: {refused}"
        );
    }
}

#[test]
fn kie_and_goapi_replies_count_only_with_an_http_status_as_code() {
    // `{code: 0, msg, data: {taskId}}` is many APIs' submit reply; KIE's
    // `code` is an HTTP status.
    let submit = r#"{"code": 0, "msg": "ok", "data": {"taskId": "t-1"}}"#;
    assert!(
        matches!(
            decode_auto(submit.as_bytes()),
            Err(DecodeError::Undetected { .. })
        ),
        "{submit}"
    );
    let named = error(Provider::Kie, submit).to_string();
    assert!(named.contains("its `code` is no HTTP status"), "{named}");
    for code in ["200", "\"200\""] {
        let body = format!(r#"{{"code": {code}, "msg": "success", "data": {{"taskId": "t-1"}}}}"#);
        let event = decode_auto(body.as_bytes()).expect(&body);
        assert_eq!(
            (event.provider, event.status),
            (Provider::Kie, JobStatus::Pending)
        );
    }
    // A task's own keys are evidence whatever the code says.
    let callback = r#"{"code": 0, "msg": "ok", "data": {"taskId": "t-1", "resultUrls": ["https://example.com/a.png"]}}"#;
    assert_eq!(
        decode_auto(callback.as_bytes()).map(|event| event.provider),
        Ok(Provider::Kie)
    );
    // Error replies: an HTTP status is the vendor's error, anything else
    // another API's body.
    for (body, vendor) in [
        (
            r#"{"code": 404, "msg": "no such task"}"#,
            Some(Provider::Kie),
        ),
        (r#"{"code": -1121, "msg": "invalid symbol"}"#, None),
        (r#"{"code": 0, "msg": "ok", "data": null}"#, None),
        (
            r#"{"code": 500, "message": "internal"}"#,
            Some(Provider::Goapi),
        ),
        (r#"{"code": 0, "message": "ok"}"#, None),
        (r#"{"code": 99991663, "message": "token invalid"}"#, None),
    ] {
        match (decode_auto(body.as_bytes()), vendor) {
            (Err(DecodeError::Vendor { provider, .. }), Some(vendor)) => {
                assert_eq!(provider, vendor, "{body}")
            }
            (Err(DecodeError::Undetected { .. }), None) => {}
            (outcome, _) => panic!("{body}: {outcome:?}"),
        }
    }
}

#[test]
fn a_null_required_field_is_not_called_merely_missing() {
    for (provider, body, field) in [
        (
            Provider::Goapi,
            r#"{"timestamp": 1748772030, "data": {"task_id": "t", "model": "midjourney", "task_type": "imagine", "status": null, "output": null, "meta": {"created_at": "2025-06-01T10:00:00Z"}, "error": {"code": 0, "raw_message": "", "message": "", "detail": null}}}"#,
            "data.status",
        ),
        (
            Provider::Kie,
            r#"{"code": 200, "msg": "success", "data": {"taskId": "t", "taskType": "mj_txt2img", "paramJson": "{}", "resultInfoJson": null, "successFlag": null, "createTime": "2025-07-01T09:00:00Z"}}"#,
            "data.successFlag",
        ),
    ] {
        let message = error(provider, body).to_string();
        assert!(
            message.contains(field) && message.contains("or it is null"),
            "{message}"
        );
    }
}

#[test]
fn a_status_under_a_key_no_format_sends_counts_only_without_status() {
    // Stated only there: the body is none of the formats'.
    let elsewhere = r#"{"task_id": "t-1", "task_status": "FAILED", "image_urls": ["https://cdn.example.com/t-1.png"]}"#;
    assert!(decode_auto(elsewhere.as_bytes()).is_err());
    let refused = error(Provider::Apiframe, elsewhere).to_string();
    assert!(
        refused.contains("states its job's status under `task_status`"),
        "{refused}"
    );
    // Beside the body's own `status`, it is one more key no format knows.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/midjourney_proxy/fetch-upscale-success.json"
    );
    let body = std::fs::read_to_string(path).expect("the fixture");
    let added = body.replacen('{', r#"{"Status": "SUCCESS", "jobStatus": "done","#, 1);
    let plain = decode(Provider::MidjourneyProxy, body.as_bytes()).expect("the fixture");
    assert_eq!(
        decode(Provider::MidjourneyProxy, added.as_bytes()),
        Ok(plain.clone())
    );
    assert_eq!(decode_auto(added.as_bytes()), Ok(plain));
}

#[test]
fn a_status_under_a_key_no_format_sends_counts_in_any_job_of_a_list() {
    let tasks = |second: &str| {
        format!(
            r#"{{"tasks": [{{"task_id": "t-1", "status": "processing", "percentage": "40"}},
            {{"task_id": "t-2", {second} "image_url": "https://cdn.example.com/t-2.png"}}]}}"#
        )
    };
    // The second job states its status only there, or beside a null one;
    // the same body in the other order is refused too.
    for second in [
        r#""task_status": "failed","#,
        r#""status": null, "task_status": "failed","#,
    ] {
        let body = tasks(second);
        let unknown = decode_all(None, body.as_bytes())
            .expect_err("refused")
            .to_string();
        // The key the reason names is among the keys seen.
        let seen = unknown
            .split_once("keys seen: ")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(seen, _)| seen);
        assert!(
            seen.is_some_and(|seen| seen.ends_with("tasks.task_status")),
            "{unknown}"
        );
        let refused = decode_all(Some(Provider::Apiframe), body.as_bytes())
            .expect_err("refused")
            .to_string();
        assert!(
            refused.contains(
                "one of its jobs has no `status` but states its status under `tasks.task_status`"
            ),
            "{refused}"
        );
    }
    // With a status of its own, the other key is one more unknown key.
    let own = tasks(r#""status": "finished", "task_status": "failed","#);
    let events = decode_all(Some(Provider::Apiframe), own.as_bytes()).expect("decoded");
    assert_eq!(events.len(), 2);
    assert_eq!(decode_all(None, own.as_bytes()), Ok(events));
}

#[test]
fn a_status_key_in_a_message_is_escaped() {
    let body = "{\"task_id\": \"t-1\", \"x\\u001b[31m\\nINFO forged\\nTask_status\": \"done\", \"image_urls\": []}";
    let message = error(Provider::Apiframe, body).to_string();
    assert!(message.contains("states its job's status"), "{message}");
    assert!(
        !message.chars().any(char::is_control),
        "no control character: {message:?}"
    );
}

#[test]
fn asyncapi_completed_at_is_a_fallback_that_cannot_fail_a_decode() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/asyncapi/job-get-ended-completed-at-only.json"
    );
    let body = std::fs::read_to_string(path).expect("the fixture");
    let ended = decode(Provider::Asyncapi, body.as_bytes()).expect("the fixture");
    assert_eq!(
        ended.occurred_at.map(|at| at.to_rfc3339()),
        Some("2025-03-05T11:02:41+00:00".to_owned())
    );
    for unreadable in [r#""2025-03-05T11:02:41""#, r#""garbage""#, "true", "[1]"] {
        let odd = body.replace(r#""2025-03-05T11:02:41Z""#, unreadable);
        assert_ne!(odd, body);
        let event = decode(Provider::Asyncapi, odd.as_bytes()).expect(unreadable);
        assert_eq!(event.occurred_at, None, "{unreadable}");
    }
}

#[test]
fn a_blank_job_id_is_told_apart_from_an_empty_one() {
    for (id, found) in [
        (r#""""#, "found an empty string"),
        (r#""  ""#, "found only white space"),
    ] {
        let body = format!(r#"{{"task_id": {id}, "status": "processing"}}"#);
        let message = error(Provider::Apiframe, &body).to_string();
        assert!(
            message.contains(&format!("): expected a job id, {found}")),
            "{message}"
        );
    }
}

#[test]
fn a_blank_job_id_is_reported_at_the_key_that_holds_it() {
    let cases = [
        (
            Provider::Asyncapi,
            r#"{"data": [{"id": "", "type": "imagine", "status": "pending"}]}"#,
            "data[0].id",
        ),
        (
            Provider::MidjourneyProxy,
            r#"{"task_id": " ", "action": "IMAGINE", "status": "SUBMITTED", "imageUrl": ""}"#,
            "task_id",
        ),
        (
            Provider::Ttapi,
            r#"{"status": "SUCCESS", "message": "", "data": {"jobId": "", "action": "imagine", "progress": "10"}}"#,
            "data.jobId",
        ),
    ];
    for (provider, body, path) in cases {
        let refused = decode_all(Some(provider), body.as_bytes()).expect_err(body);
        assert_eq!(refused.path(), Some(path), "{refused}");
        assert!(
            refused.to_string().contains("expected a job id"),
            "{refused}"
        );
    }
}

#[test]
fn a_bare_midjourney_api_record_without_its_id_is_no_vendor_error() {
    // Its `status` 1 is a completed record's, not an API code: the missing
    // id is what is wrong.
    let body = r#"{"taskId": null, "status": 1, "images": ["https://cdn.example.com/0_0.png"]}"#;
    let refused = error(Provider::MidjourneyApi, body);
    assert_eq!(refused.path(), Some("taskId"), "{refused}");
    // An envelope's code still is one.
    let envelope = r#"{"status": 1001, "message": "quota exceeded", "data": null}"#;
    assert!(matches!(
        error(Provider::MidjourneyApi, envelope),
        DecodeError::Vendor { code, .. } if code == "1001"
    ));
}

#[test]
fn a_status_that_is_no_word_is_shown_as_found() {
    let cases = [
        (
            r#"{"task_id": "t", "task_type": "imagine", "status": 99}"#,
            "its `status` is 99, no word",
        ),
        (
            r#"{"task_id": "t", "task_type": "imagine", "status": true}"#,
            "its `status` is true, no word",
        ),
        (
            r#"{"task_id": "t", "task_type": "imagine", "status": {"a": 1}}"#,
            "its `status` is an object, no word",
        ),
    ];
    for (body, found) in cases {
        let refused = error(Provider::Apiframe, body).to_string();
        assert!(refused.contains(found), "{refused}");
    }
}

#[test]
fn a_proxy_action_without_a_proxy_status_counts_only_in_capitals() {
    for body in [
        r#"{"id": 5, "action": "upload", "status": "done"}"#,
        r#"{"id": 5, "action": "edit"}"#,
    ] {
        assert!(
            decode(Provider::MidjourneyProxy, body.as_bytes()).is_err(),
            "{body}"
        );
        assert!(decode_auto(body.as_bytes()).is_err(), "{body}");
    }
    let refused = error(
        Provider::MidjourneyProxy,
        r#"{"id": 5, "action": "imagine"}"#,
    );
    assert!(
        refused
            .to_string()
            .contains("its `action` `imagine` is not in the capitals the format writes it in"),
        "{refused}"
    );
    let own = decode(
        Provider::MidjourneyProxy,
        br#"{"id": 5, "action": "UPLOAD"}"#,
    )
    .expect("the proxy's");
    assert_eq!(own.status, JobStatus::Unknown);
}

#[test]
fn a_proxy_task_of_its_own_keys_keeps_a_status_word_mjhook_does_not_know() {
    // Its action is the proxy's: the undocumented status is `unknown`.
    let own = r#"{"id": "1700000000000001", "action": "IMAGINE", "status": "TIMEOUT", "progress": "0%", "imageUrl": ""}"#;
    let event = decode(Provider::MidjourneyProxy, own.as_bytes()).expect("decoded");
    assert_eq!(event.status, JobStatus::Unknown);
    assert_eq!(decode_auto(own.as_bytes()), Ok(event));
    // Neither the action nor the status is the proxy's: another API's.
    let render = r#"{"id": "r-1", "action": "render", "status": "done", "url": "https://example.com/r.mp4"}"#;
    assert!(decode(Provider::MidjourneyProxy, render.as_bytes()).is_err());
    assert!(decode_auto(render.as_bytes()).is_err());
}
