// Loads the Yew app (built by `cargo xtask ui` with wasm-bindgen --target web). The marks time
// the load for the benchmark (ui/src/perf.rs): the glue loaded, the page's frame painted, the
// wasm's response arrived.
import init from "./dealdesk_ui.js";

const marks = (window.__dealdesk_marks = window.__dealdesk_marks || {});
marks["boot"] = performance.now();
// Two frames: the first runs before a paint, the second after it (the frame in index.html shown).
requestAnimationFrame(() => requestAnimationFrame(() => {
  marks["frame-painted"] = performance.now();
}));
const wasm = fetch(new URL("./dealdesk_ui_bg.wasm", import.meta.url)).then((response) => {
  marks["wasm-response"] = performance.now();
  return response;
});
init({ module_or_path: wasm });
