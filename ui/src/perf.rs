//! Timestamps the benchmark reads from the page: `window.__dealdesk_marks[name]` is
//! `performance.now()` at the first frame painted after the mark was requested.

use std::cell::Cell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

thread_local! {
    /// True until the first content is painted: the once-only marks time the start, and after it
    /// they cost nothing (the IPC marks every command while it is true).
    static STARTING: Cell<bool> = const { Cell::new(true) };
}

fn starting() -> bool {
    STARTING.with(Cell::get)
}

fn set_mark(name: &str, only_once: bool) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let key = JsValue::from_str("__dealdesk_marks");
    let marks = match js_sys::Reflect::get(&window, &key) {
        Ok(existing) if existing.is_object() => existing,
        _ => {
            let fresh: JsValue = js_sys::Object::new().into();
            let _ = js_sys::Reflect::set(&window, &key, &fresh);
            fresh
        }
    };
    let name = JsValue::from_str(name);
    if only_once && js_sys::Reflect::has(&marks, &name).unwrap_or(false) {
        return;
    }
    let now = window.performance().map_or(0.0, |p| p.now());
    let _ = js_sys::Reflect::set(&marks, &name, &JsValue::from_f64(now));
}

fn after_paint(name: String, only_once: bool) {
    let Some(window) = web_sys::window() else {
        return;
    };
    // Two frames: the first runs before paint, the second after it.
    let inner = Closure::once_into_js(move || set_mark(&name, only_once));
    let outer = Closure::once_into_js(move || {
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(inner.unchecked_ref());
        }
    });
    let _ = window.request_animation_frame(outer.unchecked_ref());
}

/// Records `name` now, unless it was recorded before (only during the start).
pub fn mark_once(name: &str) {
    if starting() {
        set_mark(name, true);
    }
}

/// Records `prefix:command` now, once, during the start (`sent:list_people`, say).
pub fn mark_command(prefix: &str, command: &str) {
    if starting() {
        set_mark(&format!("{prefix}:{command}"), true);
    }
}

/// Records `name` after the next paint (overwriting an earlier mark of that name).
pub fn mark_after_paint(name: &str) {
    after_paint(name.to_string(), false);
}

/// Records `name` after the next paint unless it was recorded before (only during the start).
pub fn mark_once_after_paint(name: &str) {
    if starting() {
        after_paint(name.to_string(), true);
    }
}

/// The first content (rows, or a list's empty state) is on screen: recorded after the next paint,
/// and the start's marks end there.
pub fn first_content_painted() {
    if starting() {
        STARTING.with(|s| s.set(false));
        after_paint("first-rows".to_string(), true);
    }
}

fn record_search(field: &str, query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let key = JsValue::from_str("__dealdesk_search");
    let log = match js_sys::Reflect::get(&window, &key) {
        Ok(existing) if existing.is_object() => existing,
        _ => {
            let fresh: JsValue = js_sys::Object::new().into();
            let _ = js_sys::Reflect::set(&window, &key, &fresh);
            fresh
        }
    };
    let entry = match js_sys::Reflect::get(&log, &JsValue::from_str(query)) {
        Ok(existing) if existing.is_object() => existing,
        _ => {
            let fresh: JsValue = js_sys::Object::new().into();
            let _ = js_sys::Reflect::set(&log, &JsValue::from_str(query), &fresh);
            fresh
        }
    };
    let now = window.performance().map_or(0.0, |p| p.now());
    let _ = js_sys::Reflect::set(&entry, &JsValue::from_str(field), &JsValue::from_f64(now));
}

/// The palette's text became `query` (the start of a search-to-paint measurement).
pub fn search_input(query: &str) {
    record_search("input", query);
}

/// The core answered the search for `query` (before rendering).
pub fn search_answered(query: &str) {
    record_search("answered", query);
}

/// Results for `query` are in the DOM (rendered, not yet painted).
pub fn search_rendered(query: &str) {
    record_search("rendered", query);
}

/// Results for `query` are on screen: recorded after the next paint.
pub fn search_painted(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let query = query.to_string();
    let inner = Closure::once_into_js(move || record_search("painted", &query));
    let outer = Closure::once_into_js(move || {
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(inner.unchecked_ref());
        }
    });
    let _ = window.request_animation_frame(outer.unchecked_ref());
}
