//! The one way the window talks to the shell: `invoke::<C>(request)` for any model command `C`,
//! and `listen_core_events` for live updates.

use dealdesk_model::ipc::{CORE_EVENT, Command, CoreEvent, REQUEST_ARG};
use dealdesk_model::{ApiError, ErrorCode};
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use yew::Callback;

/// Why the database could not be opened, once a command has said so, and who shows it.
#[derive(Default)]
struct Unavailable {
    reason: Option<String>,
    show: Option<Callback<String>>,
}

thread_local! {
    static UNAVAILABLE: RefCell<Unavailable> = RefCell::default();
}

/// Calls `show` with why the database cannot be opened: at once if a command already said so,
/// otherwise when one does. The app then shows that instead of lists that look empty.
pub fn on_database_unavailable(show: Callback<String>) {
    let known = UNAVAILABLE.with(|cell| {
        let mut unavailable = cell.borrow_mut();
        unavailable.show = Some(show.clone());
        unavailable.reason.clone()
    });
    if let Some(reason) = known {
        show.emit(reason);
    }
}

/// The first command answered `Unavailable`: remember why, and tell whoever shows it (once).
fn database_unavailable(reason: &str) {
    let show = UNAVAILABLE.with(|cell| {
        let mut unavailable = cell.borrow_mut();
        if unavailable.reason.is_some() {
            return None;
        }
        unavailable.reason = Some(reason.to_string());
        unavailable.show.clone()
    });
    if let Some(show) = show {
        show.emit(reason.to_string());
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(command: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen, catch)]
    async fn tauri_listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>) -> Result<JsValue, JsValue>;
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, ApiError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("cannot encode the request: {e}")))
}

/// Reads an error thrown by the shell: our `ApiError`, or Tauri's own text (bad arguments).
fn to_api_error(value: JsValue) -> ApiError {
    if let Ok(error) = serde_wasm_bindgen::from_value::<ApiError>(value.clone()) {
        return error;
    }
    let text = value.as_string().unwrap_or_else(|| format!("{value:?}"));
    ApiError::new(ErrorCode::Internal, text)
}

/// Calls the shell command `C` with its typed request.
pub async fn invoke<C: Command>(request: &C::Request) -> Result<C::Response, ApiError> {
    crate::perf::mark_once("first-invoke");
    crate::perf::mark_command("sent", C::NAME);
    let args = js_sys::Object::new();
    js_sys::Reflect::set(&args, &JsValue::from_str(REQUEST_ARG), &to_js(request)?)
        .map_err(|_| ApiError::new(ErrorCode::Internal, "cannot build the command arguments"))?;
    let answer = tauri_invoke(C::NAME, args.into()).await.map_err(|error| {
        let error = to_api_error(error);
        if error.code == ErrorCode::Unavailable {
            database_unavailable(&error.message);
        }
        error
    })?;
    crate::perf::mark_once("first-invoke-answered");
    crate::perf::mark_command("answered", C::NAME);
    serde_wasm_bindgen::from_value(answer)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("unexpected answer from {}: {e}", C::NAME)))
}

/// Calls `on_event` for every core event until the returned guard is dropped.
pub struct EventSubscription {
    _handler: Closure<dyn FnMut(JsValue)>,
    unlisten: Option<js_sys::Function>,
}

impl Drop for EventSubscription {
    fn drop(&mut self) {
        if let Some(unlisten) = self.unlisten.take() {
            let _ = unlisten.call0(&JsValue::NULL);
        }
    }
}

pub async fn listen_core_events(mut on_event: impl FnMut(CoreEvent) + 'static) -> Result<EventSubscription, ApiError> {
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
        let payload = js_sys::Reflect::get(&message, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        if let Ok(event) = serde_wasm_bindgen::from_value::<CoreEvent>(payload) {
            on_event(event);
        }
    });
    let unlisten = tauri_listen(CORE_EVENT, &handler).await.map_err(to_api_error)?;
    Ok(EventSubscription { _handler: handler, unlisten: unlisten.dyn_into::<js_sys::Function>().ok() })
}
