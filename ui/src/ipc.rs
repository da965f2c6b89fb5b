//! The one way the window talks to the shell: `invoke::<C>(request)` for any model command `C`,
//! and `listen_core_events` for live updates.

use dealdesk_model::ipc::{CORE_EVENT, Command, CoreEvent, REQUEST_ARG};
use dealdesk_model::{ApiError, ErrorCode};
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use yew::Callback;

thread_local! {
    /// Why the database could not be opened, once a command has said so, and who shows it.
    static UNAVAILABLE: RefCell<(Option<String>, Option<Callback<String>>)> = const { RefCell::new((None, None)) };
}

/// Calls `show` with why the database cannot be opened: at once if a command already said so,
/// otherwise when one does. The app then shows that instead of lists that look empty.
pub fn on_database_unavailable(show: Callback<String>) {
    let known = UNAVAILABLE.with(|cell| {
        let mut cell = cell.borrow_mut();
        cell.1 = Some(show.clone());
        cell.0.clone()
    });
    if let Some(message) = known {
        show.emit(message);
    }
}

fn database_unavailable(message: &str) {
    let show = UNAVAILABLE.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.0.is_some() {
            return None;
        }
        cell.0 = Some(message.to_string());
        cell.1.clone()
    });
    if let Some(show) = show {
        show.emit(message.to_string());
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
