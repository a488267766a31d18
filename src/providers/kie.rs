//! KIE.ai's Midjourney API and its twin midapi.ai: every body is
//! `{code, msg, data}`.
//!
//! - The callback: `data` is `{taskId, promptJson, resultUrls}`, and `code`
//!   is the task's outcome (200 done, 500 failed; 501, KIE's "generation
//!   failed", and its API's other error codes, 400 to 599, failed too, with
//!   `msg` as the error; any other code unknown), not an API result.
//! - The `record-info` poll: `data` is the task record (`successFlag` 0
//!   generating, 1 success, 2 failed, 3 generation failed; `resultInfoJson`;
//!   `paramJson`; RFC 3339 or epoch-millisecond times).
//! - Submit replies: `data` is `{taskId}` alone under `code` 200, a pending
//!   task. Under any other code, a bare `{taskId}` is a callback whose
//!   fields came `null` or missing, read by its code like any callback.
//! - Error replies: `code` other than 200 with no task in `data`.
//!
//! Decisions where the vendor is silent:
//! - Whether a body is a task or an error reply is decided by `data.taskId`,
//!   never by `code` alone: a callback's 500 is a failed task.
//! - `promptJson` and `paramJson` are JSON inside a string: their `prompt`
//!   is the prompt and `promptJson.taskType` the callback's operation. A
//!   string that is not JSON, or lacks them, leaves them unknown; it never
//!   fails the event.
//! - `mj_txt2img`, `mj_img2img`, `mj_style_reference` and `mj_omni_reference`
//!   are imagines; `mj_upscale*` and `mj_vary*` (spellings not documented)
//!   are upscales and variations; the video tasks stay verbatim and their
//!   results, videos, are not images.
//! - The results are images without a role of their own: two to four are a
//!   grid's quarters with their positions, one is an image without one.
//! - A submit reply's `code` is the API result, so its event has no
//!   `provider_status`; a callback's is its `code`, a record's its
//!   `successFlag`, both as decimal strings.
//! - A failed record's message is `errorMessage`, else the envelope's `msg`
//!   when its `code` is not 200, else what the vendor documents the flag to
//!   mean ("Failed", "Generation Failed").
//! - `fileUrl` in the request echo (an image prompt) is not reported: it is
//!   no result.
//! - KIE's "Market" tasks (`state`, `resultJson`) are another product and
//!   are refused, as is a task whose echo names a `model` other than
//!   `midjourney` (Veo, Runway, … send the same callback) or echoes an
//!   input video, `videoUrl` (Luma's modify callback names no model). A
//!   `record-info` record must name its `mj_…` `taskType` or hold
//!   `resultInfoJson`, as every Midjourney record does: Veo's and Flux
//!   Kontext's records have neither.

use std::fmt;

use std::borrow::Cow;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_with::{serde_as, skip_serializing_none};

use super::format::{fields_of, Envelope, Format, Signature};
use super::{finish, is_video_url, push_finished_images, At, Check, Events, Provider};
use crate::error::DecodeError;
use crate::event::{JobError, JobEvent, JobStatus, Operation};
use crate::quirks::{
    is_blank, EmptyAsNone, NullableList, OneOrMany, Skipped, StringOrInt, Timestamp,
};

const PROVIDER: Provider = Provider::Kie;

/// The envelope `{code, msg, data}`, or (read too) a task record on its own.
///
/// `Data` is the type of `data`: a body is a `Task<OneOrMany<Task>>`; the
/// task inside the envelope is a `Task`, whose own `data`, if any, is skipped.
#[serde_as]
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task<'a, Data = Skipped> {
    /// Envelope: 200 on success; in a callback, 500 for a failed task.
    #[serde(borrow)]
    pub code: Option<StringOrInt<'a>>,
    /// Envelope: `"success"`, or what went wrong.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub msg: Option<Cow<'a, str>>,
    /// Envelope: the task.
    pub data: Option<Data>,
    /// The task's id (`mj_task_…`, or 32 hex digits).
    #[serde(borrow)]
    pub task_id: Option<StringOrInt<'a>>,
    /// Callback: the request parameters, as JSON inside a string.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub prompt_json: Option<Cow<'a, str>>,
    /// Callback: the result URLs; `[]` on failure.
    #[serde_as(as = "Option<NullableList>")]
    #[serde(borrow, default)]
    pub result_urls: Option<Vec<Cow<'a, str>>>,
    /// Record: `mj_txt2img`, `mj_img2img`, `mj_style_reference`,
    /// `mj_omni_reference`, `mj_video`, `mj_video_hd`, …
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub task_type: Option<Cow<'a, str>>,
    /// Record: the request parameters, as JSON inside a string.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub param_json: Option<Cow<'a, str>>,
    /// Record: 0 generating, 1 success, 2 failed, 3 generation failed.
    #[serde(borrow)]
    pub success_flag: Option<StringOrInt<'a>>,
    /// Record: the results (an object, despite its name).
    pub result_info_json: Option<ResultInfo>,
    /// Record: when the task was created.
    #[serde(borrow)]
    pub create_time: Option<Timestamp<'a>>,
    /// Record: when it finished.
    #[serde(borrow)]
    pub complete_time: Option<Timestamp<'a>>,
    /// Record: the failure code; `null`, or 200 on success.
    #[serde(borrow)]
    pub error_code: Option<StringOrInt<'a>>,
    /// Record: the failure text; `null` or `""` on success.
    #[serde_as(as = "EmptyAsNone")]
    #[serde(borrow, default)]
    pub error_message: Option<Cow<'a, str>>,
    /// A KIE Market task's state (read only to refuse it).
    pub state: Option<Skipped>,
    /// A KIE Market task's results (read only to refuse it).
    pub result_json: Option<Skipped>,
}

/// `resultInfoJson`: an object as documented, or the same object as JSON
/// inside a string, as its name suggests, read when the body is (a blank
/// string, or `"null"`, holds no result). Text that is no such object is a
/// decode error: its results cannot be read, and a record that reports
/// success without them would be a wrong event.
///
/// `{"resultUrls": [{"resultUrl": "…"}]}`, sent as an object or as text;
/// written back as the object.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ResultInfo(pub ResultList);

/// The results of a record.
#[serde_as]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultList {
    /// The result URLs.
    #[serde_as(as = "NullableList")]
    #[serde(default)]
    pub result_urls: Vec<ResultUrl>,
}

/// A result URL, sent as `{"resultUrl": …}` (or, like the callback's, a
/// plain string).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResultUrl(pub String);

impl crate::quirks::Blank for ResultUrl {
    fn clear_if_blank(&mut self) {
        self.0.clear_if_blank();
    }
}

impl<'de> Deserialize<'de> for ResultInfo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ResultInfoVisitor;
        impl<'de> Visitor<'de> for ResultInfoVisitor {
            type Value = ResultInfo;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with `resultUrls`, or one as JSON in a string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<ResultInfo, E> {
                if is_blank(text) {
                    return Ok(ResultInfo::default());
                }
                match serde_json::from_str::<Option<ResultList>>(text) {
                    Ok(list) => Ok(ResultInfo(list.unwrap_or_default())),
                    Err(error) => Err(E::custom(format_args!(
                        "expected an object with `resultUrls`, or one as JSON in a string, \
                         found the text {} ({error} in it)",
                        crate::quirks::shown(text)
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ResultInfo, A::Error> {
                ResultList::deserialize(de::value::MapAccessDeserializer::new(map)).map(ResultInfo)
            }
        }
        deserializer.deserialize_any(ResultInfoVisitor)
    }
}

impl Serialize for ResultUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct UrlObject<'a> {
            #[serde(rename = "resultUrl")]
            result_url: &'a str,
        }
        UrlObject {
            result_url: &self.0,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ResultUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ResultUrlVisitor;
        impl<'de> Visitor<'de> for ResultUrlVisitor {
            type Value = ResultUrl;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with a `resultUrl`, or a URL string")
            }
            fn visit_str<E: de::Error>(self, url: &str) -> Result<ResultUrl, E> {
                Ok(ResultUrl(url.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ResultUrl, A::Error> {
                #[serde_as]
                #[derive(Deserialize)]
                struct UrlObject<'a> {
                    #[serde(rename = "resultUrl")]
                    #[serde_as(as = "EmptyAsNone")]
                    #[serde(borrow, default)]
                    result_url: Option<Cow<'a, str>>,
                }
                let object = UrlObject::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ResultUrl(
                    object.result_url.map(Cow::into_owned).unwrap_or_default(),
                ))
            }
        }
        deserializer.deserialize_any(ResultUrlVisitor)
    }
}

/// Keys beside `taskId` that only a KIE task has.
const MARKS: &[&str] = &[
    "promptJson",
    "resultUrls",
    "successFlag",
    "resultInfoJson",
    "paramJson",
    "taskType",
];

/// How KIE.ai and midapi.ai bodies look: a task keyed by `taskId` with its
/// callback or record fields inside `{code, msg, data}`; the submit reply's
/// `data` is `{taskId}` alone; error replies are `{code, msg}` with a `data`
/// that holds no task.
///
/// KIE's `code` is an HTTP status (200, 4xx, 5xx): a task's own keys are
/// evidence whatever the code, but `{taskId}` alone and the error replies
/// are many APIs' too, and count only beside an HTTP status (`{"code": 0,
/// "msg": "ok", "data": {"taskId": …}}` is another API's submit reply).
pub const FORMAT: Format = Format {
    provider: PROVIDER,
    wire_keys: || fields_of::<Task>().to_vec(),
    also_sends: &[],
    record: &[Signature::keys(&["taskId"], MARKS)],
    envelopes: &[
        Envelope {
            key: "data",
            outer: Some(Signature::keys(&[], &["code", "msg"])),
            carries_id: None,
            record: &[],
        },
        Envelope {
            key: "data",
            outer: Some(Signature::keys(&[], &["code", "msg"]).http_code()),
            carries_id: None,
            record: &[Signature::keys(&["taskId"], &[]).only()],
        },
    ],
    replies: &[
        Signature::keys(&["code", "msg"], &[]).only().http_code(),
        Signature::keys(&["code", "msg", "data"], &[])
            .only()
            .http_code(),
    ],
};

/// Every task in a KIE.ai or midapi.ai body (one).
pub fn decode_all(bytes: &[u8]) -> Result<Vec<JobEvent>, DecodeError> {
    super::DecodeOptions::default().decode_all(Some(PROVIDER), bytes)
}

/// The task's event from a KIE.ai or midapi.ai body.
pub fn decode(bytes: &[u8]) -> Result<JobEvent, DecodeError> {
    PROVIDER.decode(bytes)
}

pub(super) fn events(text: &str, check: Check) -> Result<Events, DecodeError> {
    let mut body: Task<OneOrMany<Task>> = super::parse(PROVIDER, text, check)?;
    if body.task_id.is_some() {
        return Ok(Events::One(normalize(body, At::TOP, None)?));
    }
    let data = body.data.take();
    // An empty `taskId` is no task: with a failing code, the reply is the
    // vendor's error, whose code and message are worth more than "no id".
    let holds_a_task = data.as_ref().is_some_and(|data| {
        data.any(|task| (task.task_id.as_ref()).is_some_and(|id| !id.is_blank()))
    });
    let succeeded = body
        .code
        .as_ref()
        .is_none_or(|code| code.as_int() == Some(200));
    if !holds_a_task && !succeeded {
        return Err(DecodeError::Vendor {
            provider: PROVIDER,
            code: body
                .code
                .as_ref()
                .map(|code| code.to_text().into_owned())
                .unwrap_or_default(),
            message: body.msg.map(Cow::into_owned),
        });
    }
    let Some(data) = data else {
        return Err(DecodeError::NoJob {
            provider: PROVIDER,
            path: "data".to_owned(),
        });
    };
    let envelope = Outcome {
        code: body.code,
        msg: body.msg,
    };
    super::normalize_records(PROVIDER, "data", data, |task, at| {
        normalize(task, at, Some(&envelope))
    })
}

/// The envelope around a task: in a callback, the task's outcome.
struct Outcome<'a> {
    code: Option<StringOrInt<'a>>,
    msg: Option<Cow<'a, str>>,
}

/// Maps one task; `at` prefixes JSON paths in errors.
fn normalize<Data>(
    task: Task<Data>,
    at: At,
    envelope: Option<&Outcome<'_>>,
) -> Result<JobEvent, DecodeError> {
    if task.state.is_some() || task.result_json.is_some() {
        return Err(DecodeError::field(
            PROVIDER,
            format!("{at}state"),
            "a KIE Market task (`state`, `resultJson`), not a Midjourney task",
        ));
    }
    let job_id = super::job_id(
        PROVIDER,
        at,
        "missing field `taskId`",
        [("taskId", task.task_id)],
    )?;
    let code = envelope.and_then(|envelope| envelope.code.as_ref());
    let msg = envelope.and_then(|envelope| envelope.msg.clone());
    let is_record = task.success_flag.is_some()
        || task.result_info_json.is_some()
        || task.param_json.is_some()
        || task.task_type.is_some()
        || task.create_time.is_some()
        || task.complete_time.is_some();
    // A callback whose task fields all came `null` is still a callback: only
    // the submit reply is `{taskId}` alone, and it comes under code 200.
    let is_callback = task.prompt_json.is_some()
        || task.result_urls.is_some()
        || code.is_some_and(|code| code.as_int() != Some(200));

    let mut event = JobEvent::new(PROVIDER, job_id, JobStatus::Pending);
    if is_record {
        refuse_other_records(
            task.task_type.as_deref(),
            task.result_info_json.is_some(),
            at,
        )?;
        let flag = task.success_flag.ok_or_else(|| {
            DecodeError::field(
                PROVIDER,
                format!("{at}successFlag"),
                "missing field `successFlag` (or it is null)",
            )
        })?;
        let documented = match flag.as_int() {
            Some(0) => (JobStatus::InProgress, None),
            Some(1) => (JobStatus::Completed, None),
            Some(2) => (JobStatus::Failed, Some("Failed")),
            Some(3) => (JobStatus::Failed, Some("Generation Failed")),
            Some(_) => (JobStatus::Unknown, None),
            None => {
                return Err(DecodeError::field(
                    PROVIDER,
                    format!("{at}successFlag"),
                    format!(
                        "expected an integer from 0 to 3, found {:?}",
                        flag.to_text()
                    ),
                ))
            }
        };
        let (status, meaning) = documented;
        event.status = status;
        event.provider_status = Some(flag.to_text().into_owned());
        event.operation = task.task_type.as_deref().and_then(Operation::from_vendor);
        let echo = task.param_json.as_deref().and_then(Echo::parse);
        if let Some(echo) = &echo {
            echo.check_model(at, "paramJson")?;
        }
        event.prompt = echo.and_then(|echo| echo.prompt);
        let urls: Vec<String> = (task.result_info_json.into_iter())
            .flat_map(|info| info.0.result_urls)
            .map(|url| url.0)
            .collect();
        push_results(&mut event, urls);
        if status == JobStatus::Failed {
            let text = |text: &Cow<'_, str>| !is_blank(text);
            let envelope_text = msg
                .filter(text)
                .filter(|_| code.is_some_and(|c| c.as_int() != Some(200)));
            let message = task
                .error_message
                .filter(text)
                .or(envelope_text)
                .or(meaning.map(Cow::Borrowed));
            event.error = JobError::from_vendor(
                task.error_code.map(|code| code.to_text().into_owned()),
                message,
            );
        }
        if status.is_terminal() {
            event.occurred_at = task.complete_time.as_ref().and_then(Timestamp::to_utc);
        }
        event.created_at = task.create_time.as_ref().and_then(Timestamp::to_utc);
    } else if is_callback {
        let urls = task.result_urls.unwrap_or_default();
        event.status = match code.and_then(StringOrInt::as_int) {
            Some(200) => JobStatus::Completed,
            // 500 is the callback's failure; 501 is KIE's "generation
            // failed". Its other codes of 400 and over are its API's errors
            // (400 bad request, 402 credits, 422 validation…): beside a
            // task, that task did not go through.
            Some(400..=599) => JobStatus::Failed,
            // No envelope: the results, if any, say it is done.
            None if code.is_none() && urls.iter().any(|url| !is_blank(url)) => JobStatus::Completed,
            _ => JobStatus::Unknown,
        };
        event.provider_status = code.map(|code| code.to_text().into_owned());
        if let Some(echo) = task.prompt_json.as_deref().and_then(Echo::parse) {
            echo.check_model(at, "promptJson")?;
            event.prompt = echo.prompt;
            event.operation = echo.task_type.as_deref().and_then(Operation::from_vendor);
        }
        push_results(&mut event, urls);
        if event.status == JobStatus::Failed {
            event.error = JobError::from_vendor(code.map(|code| code.to_text().into_owned()), msg);
        }
    }
    // Otherwise a submit reply: `{taskId}` alone, accepted and not started.
    finish(&mut event);
    Ok(event)
}

/// The results, unless they are videos: a video task's, or files named
/// as videos (a callback's echo need not say the task was a video).
fn push_results<Url: Into<String> + AsRef<str>>(event: &mut JobEvent, urls: Vec<Url>) {
    let video = matches!(&event.operation, Some(Operation::Other(kind))
        if kind.to_ascii_lowercase().contains("video"));
    if !video {
        let images = urls.into_iter().filter(|url| !is_video_url(url.as_ref()));
        push_finished_images(event, images.collect());
    }
}

/// What mjhook reads of the request parameters that KIE echoes as JSON
/// inside a string (`promptJson`, `paramJson`): the prompt, the task type
/// and the model, each when it is a non-empty string. The rest of the echo
/// is skipped unread; a repeated key counts its last value, as in any JSON
/// object.
#[derive(Debug, Default)]
struct Echo {
    prompt: Option<String>,
    task_type: Option<String>,
    /// `midjourney` in a Midjourney task's echo; KIE's other APIs (Veo,
    /// Runway, …) send the same callback with a model of their own.
    model: Option<String>,
    /// Whether the echo has a `videoUrl`: an input video, which a Midjourney
    /// request never takes (its image prompt is `fileUrl`) and KIE's video
    /// APIs (Luma's modify, …) do, in a callback that names no model.
    takes_a_video: bool,
}

impl Echo {
    /// The echo in `text`; `None` when `text` is not a JSON object.
    fn parse(text: &str) -> Option<Echo> {
        serde_json::from_str(text).ok()
    }

    /// Refuses the echo of another API's task: a model that is not
    /// Midjourney's. `key` is where the echo sits, for the message.
    fn check_model(&self, at: At, key: &str) -> Result<(), DecodeError> {
        if self.takes_a_video {
            return Err(DecodeError::another_api(
                PROVIDER,
                format!("{at}{key}"),
                format!(
                    "its `{at}{key}` echoes a `videoUrl`, an input video, as tasks of KIE's \
                     video APIs (Luma, …) do: a Midjourney request takes none"
                ),
            ));
        }
        super::refuse_other_model(PROVIDER, at, key, self.model.as_deref(), "Veo, Runway, …")
    }
}

/// A key of the echo, matched as it is read: no key is copied.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum EchoKey {
    Prompt,
    TaskType,
    Model,
    VideoUrl,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for Echo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EchoVisitor;
        impl<'de> Visitor<'de> for EchoVisitor {
            type Value = Echo;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of request parameters")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Echo, A::Error> {
                let mut echo = Echo::default();
                while let Some(key) = map.next_key::<EchoKey>()? {
                    let slot = match key {
                        EchoKey::Prompt => &mut echo.prompt,
                        EchoKey::TaskType => &mut echo.task_type,
                        EchoKey::Model => &mut echo.model,
                        EchoKey::VideoUrl => {
                            echo.takes_a_video = true;
                            map.next_value::<de::IgnoredAny>()?;
                            continue;
                        }
                        EchoKey::Other => {
                            map.next_value::<de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    // Only these values are kept, so only they are
                    // read whole; a value that is not text counts as none.
                    *slot = match map.next_value::<serde_json::Value>()? {
                        serde_json::Value::String(text) if !is_blank(&text) => Some(text),
                        _ => None,
                    };
                }
                Ok(echo)
            }
        }
        deserializer.deserialize_map(EchoVisitor)
    }
}

/// Refuses a `record-info` record of KIE's other APIs, which share its
/// envelope and keys (`taskId`, `paramJson`, `successFlag`, `createTime`):
/// a Midjourney record names its task type (`mj_txt2img` and the like) or
/// holds its results in `resultInfoJson` (the quickstart's reply names no
/// type); Veo's and Flux Kontext's records have neither, and their results
/// come in `response`.
fn refuse_other_records(
    task_type: Option<&str>,
    has_result_info: bool,
    at: At,
) -> Result<(), DecodeError> {
    let is_midjourney = |kind: &str| kind.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("mj_"));
    if task_type.is_some_and(is_midjourney) || has_result_info {
        return Ok(());
    }
    Err(DecodeError::another_api(
        PROVIDER,
        format!("{at}taskType"),
        format!(
            "{} and no `{at}resultInfoJson`, where every Midjourney record names its `mj_…` \
             task type or holds its results there: the records of KIE's other APIs (Veo, Flux \
             Kontext, …) look the same otherwise",
            super::key_as_found(at, "taskType", task_type)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::Echo;
    use crate::{JobStatus, Provider};

    #[test]
    fn a_bare_task_is_a_submit_reply_only_under_code_200() {
        for (code, status, error) in [
            (200, JobStatus::Pending, None),
            (500, JobStatus::Failed, Some("failed here")),
            (501, JobStatus::Failed, Some("failed here")),
            (400, JobStatus::Failed, Some("failed here")),
            (422, JobStatus::Failed, Some("failed here")),
            (201, JobStatus::Unknown, None),
            (302, JobStatus::Unknown, None),
        ] {
            let body = format!(
                r#"{{"code": {code}, "msg": "failed here", "data": {{"taskId": "t-1", "resultUrls": null}}}}"#
            );
            let event = Provider::Kie.decode(body.as_bytes()).expect(&body);
            assert_eq!(event.status, status, "{body}");
            assert_eq!(
                event.error.as_ref().map(|error| error.message.as_str()),
                error,
                "{body}"
            );
        }
    }

    /// KIE's other APIs send the same callback and record: their echo
    /// names a model of their own. Midjourney's, if any, is `midjourney`.
    #[test]
    fn an_echo_naming_another_model_is_another_apis_task() {
        let callback = |model: &str| {
            let echo = format!(r#"{{\"prompt\":\"a fox\",\"model\":\"{model}\"}}"#);
            format!(
                r#"{{"code": 200, "msg": "ok", "data": {{"taskId": "t-1", "promptJson": "{echo}", "resultUrls": ["https://example.com/1.png"]}}}}"#
            )
        };
        let record = |model: &str| {
            let echo = format!(r#"{{\"prompt\":\"a fox\",\"model\":\"{model}\"}}"#);
            format!(
                r#"{{"code": 200, "msg": "success", "data": {{"taskId": "t-1", "taskType": "mj_txt2img", "paramJson": "{echo}", "successFlag": 0}}}}"#
            )
        };
        for (body, key) in [
            (callback("veo3_fast"), "promptJson"),
            (record("runway"), "paramJson"),
        ] {
            match Provider::Kie.decode(body.as_bytes()) {
                Err(crate::DecodeError::WrongProvider { path, .. }) => {
                    assert_eq!(path, format!("data.{key}"), "{body}")
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        for body in [
            callback("midjourney"),
            callback("Midjourney"),
            record("midjourney"),
        ] {
            let event = Provider::Kie.decode(body.as_bytes()).expect(&body);
            assert_eq!(event.prompt.as_deref(), Some("a fox"), "{body}");
        }
    }

    #[test]
    fn an_echo_gives_its_prompt_and_task_type_when_they_are_text() {
        let echo = Echo::parse(
            r#"{"prompt": "a fox", "taskType": "mj_txt2img", "speed": {"nested": [1, "x"]}, "version": 7}"#,
        )
        .expect("an object");
        assert_eq!(echo.prompt.as_deref(), Some("a fox"));
        assert_eq!(echo.task_type.as_deref(), Some("mj_txt2img"));
    }

    #[test]
    fn an_echo_keeps_a_repeated_key_last_value_and_no_blank_or_non_text() {
        let echo = Echo::parse(r#"{"prompt": "first", "prompt": "last", "taskType": 3}"#)
            .expect("an object");
        assert_eq!(echo.prompt.as_deref(), Some("last"));
        assert_eq!(echo.task_type, None);
        let blank = Echo::parse(r#"{"prompt": "  "}"#).expect("an object");
        assert_eq!(blank.prompt, None);
        assert!(Echo::parse("[1, 2]").is_none());
        assert!(Echo::parse("not json").is_none());
    }
}
